//! The emulator itself. `infra/moto_server.py` replaces moto's whole-table
//! backup for transactions with an undo log of the items they name; a
//! cancelled transaction must still leave both tables exactly as they were,
//! and a successful one must apply every action (DynamoDB's all-or-nothing).

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use portal::store::keys::{PK, SK};

use crate::support::*;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: u32) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(table: &str, sk: &str) -> Vec<(&'static str, AttributeValue)> {
    // The portal table has a sort key, the rate-limit table does not.
    let mut key = vec![(PK, s("EMULATOR#check"))];
    if table.ends_with("portal") {
        key.push((SK, s(sk)));
    }
    key
}

fn put(table: &str, sk: &str, count: u32) -> TransactWriteItem {
    let mut put = Put::builder().table_name(table).item("count", n(count));
    for (name, value) in key(table, sk) {
        put = put.item(name, value);
    }
    TransactWriteItem::builder().put(put.build().unwrap()).build()
}

fn set_count(table: &str, sk: &str, count: u32) -> TransactWriteItem {
    let mut update = Update::builder()
        .table_name(table)
        .update_expression("SET #c = :c")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":c", n(count));
    for (name, value) in key(table, sk) {
        update = update.key(name, value);
    }
    TransactWriteItem::builder().update(update.build().unwrap()).build()
}

fn count_is(table: &str, sk: &str, count: u32) -> TransactWriteItem {
    let mut check = ConditionCheck::builder()
        .table_name(table)
        .condition_expression("#c = :c")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":c", n(count));
    for (name, value) in key(table, sk) {
        check = check.key(name, value);
    }
    TransactWriteItem::builder().condition_check(check.build().unwrap()).build()
}

async fn count(db: &Client, table: &str, sk: &str) -> Option<u32> {
    let mut get = db.get_item().table_name(table).consistent_read(true);
    for (name, value) in key(table, sk) {
        get = get.key(name, value);
    }
    let item = get.send().await.unwrap().item?;
    Some(item["count"].as_n().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_transaction_changes_nothing_and_a_successful_one_everything() {
    let stack = Stack::start().await;
    let db = clients_for(&stack.proxy.endpoint()).await.dynamodb;
    let (portal, limits) = (stack.names.table.as_str(), stack.names.rate_limit_table.as_str());
    let setup = [put(portal, "A", 1), put(portal, "D", 5), put(limits, "-", 1)];
    db.transact_write_items().set_transact_items(Some(setup.to_vec())).send().await.unwrap();

    // Writes before and after a failing check (one action per item, as DynamoDB
    // requires), in both tables: updates of existing items and new items.
    let cancelled = [
        set_count(portal, "A", 2),
        put(portal, "B", 1),
        count_is(portal, "D", 9),
        set_count(limits, "-", 2),
        put(portal, "C", 1),
    ];
    let refused = db.transact_write_items().set_transact_items(Some(cancelled.to_vec())).send().await.unwrap_err();
    assert_eq!(refused.code(), Some("TransactionCanceledException"), "{refused:?}");
    assert_eq!(count(&db, portal, "A").await, Some(1));
    assert_eq!(count(&db, portal, "B").await, None);
    assert_eq!(count(&db, portal, "C").await, None);
    assert_eq!(count(&db, limits, "-").await, Some(1));

    let applied = [set_count(portal, "A", 3), put(portal, "B", 1), count_is(portal, "D", 5), set_count(limits, "-", 3)];
    db.transact_write_items().set_transact_items(Some(applied.to_vec())).send().await.unwrap();
    assert_eq!(count(&db, portal, "A").await, Some(3));
    assert_eq!(count(&db, portal, "B").await, Some(1));
    assert_eq!(count(&db, limits, "-").await, Some(3));
}

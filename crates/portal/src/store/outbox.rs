//! The transactional outbox: a write that announces an event puts the event
//! here in its own transaction, so a committed write always has its event on
//! record. The worker deletes the item once it has handled the event (the
//! acknowledgement); the sweeper sends again whatever stays unacknowledged.

use aws_sdk_dynamodb::types::{AttributeValue, Put};

use super::keys::{outbox_key, outbox_pk, EXPIRES_AT, OUTBOX_SHARDS, PK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::PortalEvent;
use crate::dynamo::{conditional, key, n, s, Item};

/// An unacknowledged event is sent again once its last send is this old; so
/// no event is sent by the sweeper more than once a minute.
pub const RESEND_AFTER_SECS: i64 = 60;
/// The sweeper gives up on an event after this many sends of its own: one the
/// worker failed on every time is in the dead-letter queue (alarmed) by then,
/// and the item stays as a record of what was never delivered.
pub const MAX_RESENDS: u32 = 10;
/// An unacknowledged item outlives any redelivery, then DynamoDB removes it.
const OUTBOX_TTL_SECS: i64 = 14 * 24 * 3600;
/// How many due events one sweep takes from a shard (the next sweep takes the rest).
const SWEEP_LIMIT_PER_SHARD: usize = 200;

const EVENT: &str = "event";
const CREATED_AT: &str = "createdAt";
const LAST_SENT_AT: &str = "lastSentAt";
const RESENDS: &str = "resends";

impl Store {
    /// The transaction part that records `event` at `now`. The request that
    /// writes it also sends it at once, which counts as its first send.
    pub(super) fn outbox_put(&self, event: &PortalEvent, now: i64) -> Result<Put, AwsError> {
        let (pk, sk) = outbox_key(event);
        let mut item = key(pk, sk);
        item.insert(EVENT.into(), s(event.to_json()));
        item.insert(CREATED_AT.into(), n(now));
        item.insert(LAST_SENT_AT.into(), n(now));
        item.insert(RESENDS.into(), n(0));
        item.insert(EXPIRES_AT.into(), n(now + OUTBOX_TTL_SECS));
        Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(|e| AwsError::new("outbox item", e))
    }

    /// Whether `event` is still waiting for the worker (not acknowledged).
    pub async fn outbox_pending(&self, event: &PortalEvent) -> Result<bool, AwsError> {
        let (pk, sk) = outbox_key(event);
        Ok(self.get("GetItem outbox", key(pk, sk)).await?.is_some())
    }

    /// The worker's acknowledgement: `event` was handled, never send it again.
    pub async fn acknowledge_event(&self, event: &PortalEvent) -> Result<(), AwsError> {
        let (pk, sk) = outbox_key(event);
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .send()
            .await
            .map_err(|e| AwsError::new("DeleteItem outbox", e))?;
        Ok(())
    }

    /// Unacknowledged events of every shard whose last send is at least
    /// [`RESEND_AFTER_SECS`] old at `now`, oldest first within a shard.
    pub async fn due_events(&self, now: i64) -> Result<Vec<PortalEvent>, AwsError> {
        let mut due = Vec::new();
        for shard in 0..OUTBOX_SHARDS {
            due.extend(self.due_in_shard(shard, now).await?);
        }
        Ok(due)
    }

    async fn due_in_shard(&self, shard: u32, now: i64) -> Result<Vec<PortalEvent>, AwsError> {
        let mut due = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk")
                .filter_expression("#last <= :cutoff AND #resends < :max")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#last", LAST_SENT_AT)
                .expression_attribute_names("#resends", RESENDS)
                .expression_attribute_values(":pk", s(outbox_pk(shard)))
                .expression_attribute_values(":cutoff", n(now - RESEND_AFTER_SECS))
                .expression_attribute_values(":max", n(MAX_RESENDS))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| AwsError::new("Query outbox", e))?;
            for item in out.items.unwrap_or_default() {
                match due_event(&item) {
                    Some(event) => due.push(event),
                    None => tracing::warn!(shard, "an outbox item without a readable event; left alone"),
                }
            }
            match out.last_evaluated_key {
                Some(next) if !next.is_empty() && due.len() < SWEEP_LIMIT_PER_SHARD => start = Some(next),
                _ => return Ok(due),
            }
        }
    }

    /// Takes a due event for one more send at `now`: false when it is not due
    /// any more (acknowledged meanwhile, or another sweep took it), so two
    /// sweeps never send it in the same minute and an acknowledged item is
    /// never written back.
    pub async fn take_for_resend(&self, event: &PortalEvent, now: i64) -> Result<bool, AwsError> {
        let (pk, sk) = outbox_key(event);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .update_expression("SET #last = :now ADD #resends :one")
            .condition_expression("attribute_exists(#pk) AND #last <= :cutoff AND #resends < :max")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#last", LAST_SENT_AT)
            .expression_attribute_names("#resends", RESENDS)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cutoff", n(now - RESEND_AFTER_SECS))
            .expression_attribute_values(":max", n(MAX_RESENDS))
            .send()
            .await;
        Ok(conditional("UpdateItem outbox resend", result)?.is_some())
    }
}

fn due_event(item: &Item) -> Option<PortalEvent> {
    let Some(AttributeValue::S(json)) = item.get(EVENT) else { return None };
    PortalEvent::parse(json).ok()
}

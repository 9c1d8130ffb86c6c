//! Least privilege, proved against the code: every AWS call each function
//! makes while every sample event, the worker and the sweeper run is checked
//! against that function's policy in `template.yaml` (action, table or index,
//! and the `dynamodb:LeadingKeys` partitions it may touch). The emulator
//! enforces no IAM, so without this a policy too tight fails only on AWS.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::support::*;
use devserver::inbound::LOCAL_FUNCTION_ARN;
use devserver::proxy::Call;
use devserver::samples::{self, HTTP_SAMPLES};
use devserver::ses_event::{as_stored, receipt_event, Receipt};
use devserver::smtp::Envelope;
use portal::domain::mail_in::SesMessageId;
use portal::entry::mail_in::SesReceiptEvent;
use portal::store::schema::{TableSpec, PORTAL_TABLE, RATE_LIMIT_TABLE};
use portal::web::routes;
use serde_json::Value as Json;
use serde_yaml::Value;

fn template() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What a statement's resource names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    /// A logical id's ARN (`Fn::GetAtt: [Id, Arn]`).
    Arn(String),
    /// `${Table.Arn}/index/{name}`.
    Index(String, String),
    /// Anything else, as written.
    Other(String),
}

fn resources_of(value: &Value) -> Vec<Resource> {
    if let Some(list) = value.as_sequence() {
        return list.iter().flat_map(resources_of).collect();
    }
    if let Some(get_att) = value["Fn::GetAtt"].as_sequence() {
        return vec![Resource::Arn(get_att[0].as_str().unwrap().to_owned())];
    }
    let text = value["Fn::Sub"].as_str().or(value.as_str()).unwrap_or_default();
    match text.strip_prefix("${").and_then(|t| t.split_once(".Arn}/index/")) {
        Some((table, index)) => vec![Resource::Index(table.to_owned(), index.to_owned())],
        None => vec![Resource::Other(text.to_owned())],
    }
}

struct Statement {
    actions: Vec<String>,
    resources: Vec<Resource>,
    /// `ForAllValues:StringLike` `dynamodb:LeadingKeys` patterns, when the statement has them.
    leading_keys: Option<Vec<String>>,
}

fn statements_of(function: &Value) -> Vec<Statement> {
    let mut statements = Vec::new();
    for policy in function["Properties"]["Policies"].as_sequence().unwrap() {
        for s in policy["Statement"].as_sequence().unwrap() {
            assert_eq!(s["Effect"], "Allow");
            let strings = |v: &Value| -> Vec<String> {
                match v.as_sequence() {
                    Some(list) => list.iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
                    None => v.as_str().map(|a| vec![a.to_owned()]).unwrap_or_default(),
                }
            };
            let leading = &s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            statements.push(Statement {
                actions: strings(&s["Action"]),
                resources: resources_of(&s["Resource"]),
                leading_keys: (!leading.is_null()).then(|| strings(leading)),
            });
        }
    }
    statements
}

/// `*` matches any run of characters, as IAM's StringLike does (no `?` used here).
fn like(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.starts_with(head) && (0..=value.len() - head.len()).any(|i| like(tail, &value[head.len() + i..]))
        }
    }
}

/// One authorised access: an action on a resource, with the partition it touches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Access {
    action: String,
    resource: String,
    index: Option<String>,
    partition: Option<String>,
}

struct Tables {
    portal: String,
    rate_limit: String,
}

impl Tables {
    fn spec(&self, name: &str) -> TableSpec {
        if name == self.portal {
            PORTAL_TABLE
        } else if name == self.rate_limit {
            RATE_LIMIT_TABLE
        } else {
            panic!("a call to an unknown table {name}")
        }
    }
}

fn string_attribute(item: &Json, name: &str) -> Option<String> {
    item[name]["S"].as_str().map(str::to_owned)
}

/// The partition value a Query's key condition names (`#pk = :pk AND ...`).
fn query_partition(body: &Json, attribute: &str) -> Option<String> {
    let expression = body["KeyConditionExpression"].as_str()?;
    expression.split(" AND ").find_map(|part| {
        let (name, value) = part.split_once('=')?;
        let name = name.trim();
        let resolved = body["ExpressionAttributeNames"][name].as_str().unwrap_or(name);
        (resolved == attribute).then(|| string_attribute(&body["ExpressionAttributeValues"], value.trim())).flatten()
    })
}

fn item_access(tables: &Tables, action: &str, table: &str, item: &Json) -> Access {
    let spec = tables.spec(table);
    Access {
        action: format!("dynamodb:{action}"),
        resource: spec.logical_id.to_owned(),
        index: None,
        partition: string_attribute(item, spec.partition_key),
    }
}

/// What IAM authorises for one call a function made.
fn accesses(tables: &Tables, call: &Call) -> Vec<Access> {
    if call.is_send_email() {
        return vec![Access { action: "ses:SendEmail".into(), resource: "ses".into(), index: None, partition: None }];
    }
    let body: Json = serde_json::from_slice(&call.body).unwrap_or(Json::Null);
    let Some((service, operation)) = call.target.split_once('.') else {
        // S3 speaks REST: the inbound function only ever reads a stored message.
        let action = match call.method.as_str() {
            "GET" => "s3:GetObject",
            other => panic!("an S3 {other} {} by a function", call.path),
        };
        let object = call.path.trim_start_matches('/').split_once('/').map(|(_, key)| key.to_owned());
        return vec![Access { action: action.into(), resource: "s3".into(), index: None, partition: object }];
    };
    if service == "AmazonSQS" {
        return match operation {
            // The event source mapping receives and deletes, under Lambda's own grant.
            "ReceiveMessage"
            | "DeleteMessage"
            | "DeleteMessageBatch"
            | "ChangeMessageVisibility"
            | "ChangeMessageVisibilityBatch" => Vec::new(),
            "SendMessage" | "SendMessageBatch" => {
                vec![Access {
                    action: "sqs:SendMessage".into(),
                    resource: "EventsQueue".into(),
                    index: None,
                    partition: None,
                }]
            }
            other => {
                vec![Access { action: format!("sqs:{other}"), resource: "?".into(), index: None, partition: None }]
            }
        };
    }
    let table = body["TableName"].as_str().unwrap_or_default();
    match operation {
        "GetItem" | "UpdateItem" | "DeleteItem" => vec![item_access(tables, operation, table, &body["Key"])],
        "PutItem" => vec![item_access(tables, operation, table, &body["Item"])],
        "Query" => {
            let spec = tables.spec(table);
            let index = body["IndexName"].as_str().map(str::to_owned);
            let attribute = match &index {
                Some(name) => spec.indexes.iter().find(|i| i.name == name).expect("a known index").partition_key,
                None => spec.partition_key,
            };
            vec![Access {
                action: "dynamodb:Query".into(),
                resource: spec.logical_id.to_owned(),
                index,
                partition: query_partition(&body, attribute),
            }]
        }
        "BatchGetItem" => {
            let mut found = Vec::new();
            for (table, request) in body["RequestItems"].as_object().unwrap() {
                for key in request["Keys"].as_array().unwrap() {
                    found.push(item_access(tables, "BatchGetItem", table, key));
                }
            }
            found
        }
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                let (kind, part) = entry.as_object().unwrap().iter().next().unwrap();
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    other => panic!("unknown transaction part {other}"),
                };
                let item = if kind == "Put" { &part["Item"] } else { &part["Key"] };
                item_access(tables, action, part["TableName"].as_str().unwrap(), item)
            })
            .collect(),
        other => {
            vec![Access { action: format!("dynamodb:{other}"), resource: table.into(), index: None, partition: None }]
        }
    }
}

fn allows(statements: &[Statement], access: &Access) -> bool {
    statements.iter().any(|s| {
        let action = s.actions.iter().any(|a| a == &access.action);
        let resource = s.resources.iter().any(|r| match (r, &access.index) {
            (Resource::Arn(id), None) => id == &access.resource,
            (Resource::Index(table, index), Some(wanted)) => table == &access.resource && index == wanted,
            (Resource::Other(arn), None) if access.resource == "ses" => arn.contains(":identity/"),
            // `${Bucket.Arn}/prefix/*`: the object key must be under the prefix.
            (Resource::Other(arn), None) if access.resource == "s3" => arn
                .split_once(".Arn}/")
                .zip(access.partition.as_deref())
                .is_some_and(|((_, pattern), key)| like(pattern, key)),
            _ => false,
        });
        let partition = match (&s.leading_keys, &access.partition) {
            (None, _) => true,
            _ if access.resource == "s3" => true,
            (Some(patterns), Some(value)) => patterns.iter().any(|p| like(p, value)),
            (Some(_), None) => false,
        };
        action && resource && partition
    })
}

/// Every call a function made, by function binary name.
#[derive(Default)]
struct Observed(Vec<(String, Call)>);

impl Observed {
    fn record(&mut self, stack: &Stack, function: &str, since: usize) {
        for call in stack.proxy.calls().into_iter().skip(since) {
            self.0.push((function.to_owned(), call));
        }
    }
}

/// Every sample event through its function.
async fn run_samples(stack: &Stack, observed: &mut Observed) {
    for (name, _) in HTTP_SAMPLES {
        samples::before(&stack.store, name).await.unwrap();
        let event = samples::load(name).unwrap();
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let method =
            http::Method::from_bytes(event["requestContext"]["http"]["method"].as_str().unwrap().as_bytes()).unwrap();
        let (route, _) = routes::resolve(&method, event["rawPath"].as_str().unwrap()).unwrap();
        let since = stack.proxy.calls().len();
        devserver::server::invoke(&stack.portal, route.function, request).await;
        observed.record(stack, route.function.name(), since);
    }
}

/// The worker on what the samples queued, then on a resolution.
async fn run_worker(stack: &Stack, observed: &mut Observed) {
    // portalctl
    // runs with an operator's credentials, so its own calls are not checked).
    let since = stack.proxy.calls().len();
    stack.drain().await;
    observed.record(stack, "assign-worker", since);
    let (code, out) = stack.portalctl(&["ticket", "resolve", "demo", "TKT-0002", "--resolution", "Done"]).await;
    assert_eq!(code, 0, "{out}");
    let since = stack.proxy.calls().len();
    stack.drain().await;
    observed.record(stack, "assign-worker", since);
}

/// The sweeper on an event whose send failed, a minute later.
async fn run_sweeper(stack: &Stack, observed: &mut Observed) {
    stack.proxy.fail_when(|call| {
        (call.target == "AmazonSQS.SendMessage")
            .then_some(devserver::proxy::Fault { status: 500, error_type: "InternalError" })
    });
    let submitted = stack
        .post_json(
            "/api/portal/demo/tickets",
            &serde_json::json!({"name": "Bo", "email": "bo@example.com", "subject": "Hi"}),
        )
        .await;
    assert_eq!(submitted.status, 201);
    stack.proxy.heal();
    stack.advance(portal::store::RESEND_AFTER_SECS + 1);
    let since = stack.proxy.calls().len();
    assert_eq!(stack.sweep().await.sent, 1);
    observed.record(stack, "outbox-sweeper", since);
    let since = stack.proxy.calls().len();
    stack.drain().await;
    observed.record(stack, "assign-worker", since);
}

/// The inbound function on a mail SES stored, as SES would invoke it.
async fn run_inbound(stack: &Stack, observed: &mut Observed) {
    let s3 = stack.clients.s3.clone().expect("the test clients include S3");
    let envelope = Envelope { sender: "ann@example.com".into(), recipients: vec!["demo@inbound.localhost".into()] };
    let raw = as_stored(
        &envelope,
        b"From: Ann <ann@example.com>\r\nTo: demo@inbound.localhost\r\nSubject: By mail\r\n\r\nHello.\r\n",
    );
    let id = devserver::ses_event::new_message_id();
    portal::mail_in::store(&s3, &stack.names.inbound_bucket, &SesMessageId::parse(&id).unwrap(), raw.clone())
        .await
        .unwrap();
    let receipt = Receipt {
        message_id: &id,
        envelope: &envelope,
        raw: &raw,
        received_at_ms: 0,
        function_arn: LOCAL_FUNCTION_ARN,
    };
    let event: SesReceiptEvent = serde_json::from_value(receipt_event(&receipt)).unwrap();
    let since = stack.proxy.calls().len();
    portal::entry::mail_in::handle(&stack.portal, &event).await.unwrap();
    observed.record(stack, "inbound-email", since);
    let since = stack.proxy.calls().len();
    stack.drain().await;
    observed.record(stack, "assign-worker", since);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_each_function_makes_is_allowed_by_its_own_policy() {
    let stack = Stack::start_with_manual_clock().await;
    samples::prepare(&stack.store).await.unwrap();
    let mut observed = Observed::default();
    // Each part boxed: one future holding them all overflows a debug build's stack.
    Box::pin(run_samples(&stack, &mut observed)).await;
    Box::pin(run_worker(&stack, &mut observed)).await;
    Box::pin(run_sweeper(&stack, &mut observed)).await;
    Box::pin(run_inbound(&stack, &mut observed)).await;

    let template = template();
    let tables = Tables { portal: stack.names.table.clone(), rate_limit: stack.names.rate_limit_table.clone() };
    let functions = template["Resources"].as_mapping().unwrap();
    let mut refused = BTreeSet::new();
    let mut checked = BTreeSet::new();
    for (binary, call) in &observed.0 {
        let function = functions
            .values()
            .find(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary))
            .unwrap_or_else(|| panic!("no function {binary} in template.yaml"));
        let statements = statements_of(function);
        for access in accesses(&tables, call) {
            checked.insert((binary.clone(), access.action.clone()));
            if !allows(&statements, &access) {
                refused.insert((binary.clone(), access));
            }
        }
    }
    assert!(refused.is_empty(), "calls the template would refuse:\n{refused:#?}");
    for expected in ["submit", "track", "reply", "csat", "assign-worker", "outbox-sweeper", "inbound-email"] {
        assert!(checked.iter().any(|(f, _)| f == expected), "{expected} made no call: the scenario missed it");
    }
    assert!(checked.contains(&("assign-worker".into(), "ses:SendEmail".into())));
    assert!(checked.contains(&("inbound-email".into(), "s3:GetObject".into())));
}

/// Each function's DynamoDB statements name the partitions it may touch, and
/// the worker may send only as the stack's sender.
#[test]
fn every_table_statement_is_held_to_its_partitions_and_mail_to_the_sender() {
    let template = template();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        for statement in statements_of(resource) {
            let on_table = statement.resources.iter().any(|r| matches!(r, Resource::Arn(t) if t.ends_with("Table")));
            if on_table {
                let keys = statement.leading_keys.as_ref();
                assert!(
                    keys.is_some_and(|k| !k.is_empty() && k.iter().all(|p| p != "*")),
                    "{id:?}: {:?}",
                    statement.actions
                );
            }
            if statement.actions.iter().any(|a| a.starts_with("ses:")) {
                assert!(statement
                    .resources
                    .iter()
                    .all(|r| !matches!(r, Resource::Other(arn) if arn.ends_with("identity/*"))));
            }
        }
    }
    let worker = &template["Resources"]["AssignWorkerFunction"]["Properties"]["Policies"][0]["Statement"];
    let ses = worker.as_sequence().unwrap().iter().find(|s| s["Action"][0] == "ses:SendEmail").unwrap();
    assert_eq!(ses["Condition"]["StringEquals"]["ses:FromAddress"]["Ref"], "SenderAddress");
}

#[test]
fn like_matches_as_iam_does() {
    assert!(like("T#*", "T#demo#TKT-0001"));
    assert!(like("submit#*", "submit#10#abc"));
    assert!(!like("T#*", "TOKEN#x"));
    assert!(like("*#x", "a#x"));
    assert!(!like("WS#*", "XWS#a"));
}

//! The local stand-in for Lambda's SQS event source mapping: receive a batch,
//! hand it to the worker as the SQS event Lambda would build, and delete only
//! the records the worker did not report as failed (`ReportBatchItemFailures`).
//! Failed records reappear after the queue's visibility timeout; after its
//! maxReceiveCount the emulator moves them to the dead-letter queue.
//!
//! A batch stays hidden while the worker runs for [`IN_FLIGHT_SECS`], however
//! short the queue's own timeout (the tests' is 2 s, so failed records come
//! back quickly): on a loaded machine a record that outlived the timeout came
//! back while it still ran, and its twin doubled the work. Lambda is held to
//! the same by the template (the queue's timeout is six times the function's).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName,
};
use portal::entry::worker::{Worker, TIMEOUT_SECS};
use portal::provision::Provisioned;
use serde_json::{json, Map, Value};

/// The SQS event Lambda delivers for `messages`.
pub fn sqs_event(messages: &[Message], queue_arn: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone()))).collect())
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// How long a received batch stays hidden while the worker runs: six times its timeout.
pub const IN_FLIGHT_SECS: i32 = 6 * TIMEOUT_SECS as i32;

/// Receives up to ten messages, runs the worker on them, deletes the successes
/// and hands the failures back to the queue's visibility timeout.
/// Returns how many messages were received.
pub async fn deliver_once(
    worker: &Worker,
    sqs: &aws_sdk_sqs::Client,
    queue: &Provisioned,
    wait_secs: i32,
) -> Result<usize, String> {
    let queue_url = queue.queue_url.as_str();
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_secs)
        .visibility_timeout(IN_FLIGHT_SECS)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| format!("ReceiveMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    let event: SqsEvent = serde_json::from_value(sqs_event(&messages, &format!("arn:aws:sqs:local:{queue_url}")))
        .map_err(|e| e.to_string())?;
    let response = worker.handle(event).await;
    let failed: HashSet<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    let (failures, successes): (Vec<&Message>, Vec<&Message>) =
        messages.iter().partition(|m| failed.contains(m.message_id().unwrap_or("")));
    retry_later(sqs, queue, &failures).await?;
    let entries: Vec<DeleteMessageBatchRequestEntry> = successes
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle().unwrap_or(""))
                .build()
                .ok()
        })
        .collect();
    if !entries.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| format!("DeleteMessageBatch: {}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    }
    Ok(messages.len())
}

/// Failed records come back when the queue's own visibility timeout ends, as
/// they would after a Lambda invocation.
async fn retry_later(sqs: &aws_sdk_sqs::Client, queue: &Provisioned, failures: &[&Message]) -> Result<(), String> {
    let entries: Vec<ChangeMessageVisibilityBatchRequestEntry> = failures
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle().unwrap_or(""))
                .visibility_timeout(i32::try_from(queue.visibility_timeout_secs).unwrap_or(IN_FLIGHT_SECS))
                .build()
                .ok()
        })
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    sqs.change_message_visibility_batch()
        .queue_url(&queue.queue_url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| format!("ChangeMessageVisibilityBatch: {}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    Ok(())
}

/// Polls forever with `concurrency` pollers, like Lambda scaling out on a busy queue.
pub async fn run(worker: Arc<Worker>, sqs: aws_sdk_sqs::Client, queue: Provisioned, concurrency: usize) {
    let mut pollers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let worker = worker.clone();
        let (sqs, queue) = (sqs.clone(), queue.clone());
        pollers.spawn(async move {
            loop {
                if let Err(err) = deliver_once(&worker, &sqs, &queue, 1).await {
                    tracing::warn!(error = %err, "polling the events queue failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
    while pollers.join_next().await.is_some() {}
}

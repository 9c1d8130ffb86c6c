//! The local stand-in for Lambda's SQS event source mapping: receive a batch,
//! hand it to the worker as the SQS event Lambda would build, and delete only
//! the records the worker did not report as failed (`ReportBatchItemFailures`).
//! Failed records reappear after the visibility timeout; after the queue's
//! maxReceiveCount the emulator moves them to the dead-letter queue.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use portal::worker::Worker;
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

/// Receives up to ten messages, runs the worker on them, deletes the successes.
/// Returns how many messages were received.
pub async fn deliver_once(
    worker: &Worker,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    wait_secs: i32,
) -> Result<usize, String> {
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_secs)
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
    let entries: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .filter(|m| !failed.contains(m.message_id().unwrap_or("")))
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

/// Polls forever with `concurrency` pollers, like Lambda scaling out on a busy queue.
pub async fn run(worker: Arc<Worker>, sqs: aws_sdk_sqs::Client, queue_url: String, concurrency: usize) {
    let mut pollers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let worker = worker.clone();
        let (sqs, queue_url) = (sqs.clone(), queue_url.clone());
        pollers.spawn(async move {
            loop {
                if let Err(err) = deliver_once(&worker, &sqs, &queue_url, 1).await {
                    tracing::warn!(error = %err, "polling the events queue failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
    while pollers.join_next().await.is_some() {}
}

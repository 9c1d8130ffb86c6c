//! SQS adapter: hands events to the assign-worker.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use crate::aws::AwsError;
use crate::domain::{AccessRequested, PortalEvent};

#[derive(Clone, Debug)]
pub struct EventQueue {
    client: Client,
    url: String,
}

impl EventQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn publish(&self, event: &PortalEvent) -> Result<(), AwsError> {
        self.send(event.to_json()).await
    }

    /// Queues an access request for the worker.
    pub async fn publish_access(&self, event: &AccessRequested) -> Result<(), AwsError> {
        self.send(event.to_json()).await
    }

    async fn send(&self, body: String) -> Result<(), AwsError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| AwsError::new("SendMessage", e))?;
        Ok(())
    }

    /// Sends up to [`MAX_BATCH`] events in one call, answering how many SQS
    /// accepted (a batch can succeed in part).
    pub async fn publish_batch(&self, events: &[PortalEvent]) -> Result<usize, AwsError> {
        let entries = events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(event.to_json())
                    .build()
                    .map_err(|e| AwsError::new("SendMessageBatch entry", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if entries.is_empty() {
            return Ok(0);
        }
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| AwsError::new("SendMessageBatch", e))?;
        Ok(out.successful.len())
    }
}

/// SQS takes at most ten messages per SendMessageBatch.
pub const MAX_BATCH: usize = 10;

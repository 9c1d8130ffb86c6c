//! SQS adapter: hands events to the assign-worker.

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
}

//! The assign-worker's entry: SQS batches in, each event handed to the
//! service ([`Portal::handle_event`]), and only the failed records reported
//! back (`batchItemFailures`), so SQS redelivers just those; a record that
//! keeps failing reaches the dead-letter queue.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::config::ConfigError;
use crate::domain::WorkerMessage;
pub use crate::service::{Outcome, WorkError};
use crate::Portal;

pub struct Worker {
    portal: Portal,
}

impl Worker {
    /// The worker sends email: it refuses to start without `MAIL_FROM`.
    pub fn new(portal: Portal) -> Result<Self, ConfigError> {
        if !portal.sends_mail() {
            return Err(ConfigError::Missing("MAIL_FROM".into()));
        }
        Ok(Self { portal })
    }

    /// Handles one SQS batch, reporting the records to retry.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for record in &event.records {
            let message_id = record.message_id.clone().unwrap_or_default();
            // Boxed: the processing future is deep enough to strain type layout.
            match Box::pin(self.process(record)).await {
                Ok(outcome) => tracing::debug!(message_id = %message_id, ?outcome, "processed"),
                Err(err) => {
                    tracing::warn!(message_id = %message_id, error = %err, "record failed; SQS will redeliver it");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id;
                    failures.push(failure);
                }
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures;
        response
    }

    /// Handles one record.
    pub async fn process(&self, record: &SqsMessage) -> Result<Outcome, WorkError> {
        match WorkerMessage::parse(record.body.as_deref().unwrap_or(""))? {
            WorkerMessage::Ticket(event) => self.portal.handle_event(&event, sent_at(record)).await,
            WorkerMessage::Access(request) => self.portal.handle_access_request(&request, sent_at(record)).await,
        }
    }
}

/// When SQS accepted the message, in Unix seconds.
fn sent_at(record: &SqsMessage) -> Option<i64> {
    record.attributes.get("SentTimestamp").and_then(|v| v.parse::<i64>().ok()).map(|ms| ms / 1000)
}

/// The Lambda main of the assign-worker.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let worker = Worker::new(crate::aws_init::lambda_portal(crate::aws_init::Needs::WORKER).await?)?;
    let worker = &worker;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}

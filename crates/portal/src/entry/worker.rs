//! The assign-worker's entry: SQS batches in, each event handed to the
//! service ([`Portal::handle_event`]), and only the failed records reported
//! back (`batchItemFailures`), so SQS redelivers just those; a record that
//! keeps failing reaches the dead-letter queue.
//!
//! Records of a batch run side by side, at most [`CONCURRENCY`] at once. That
//! is safe for the same reasons two Lambda instances on one queue are: every
//! email is claimed in the effect ledger by a conditional write before it is
//! sent, the round-robin turns an atomic counter and assigns only an
//! unassigned ticket, inbox items have deterministic keys, and the outbox
//! acknowledgement is a delete. Two copies of one event in a batch (a fast
//! send and a sweep) meet in the ledger: one runs, the other finds the claim
//! busy, fails, and finds the effect done on redelivery.
//!
//! No record starts with less than the deadline margin of the invocation
//! left: those are reported as failures for SQS to redeliver, instead of
//! being cut off when Lambda stops the invocation. Records still running just
//! before the deadline are cut off and reported as failures with every record
//! not yet started, and the ledger claims they hold are given back, so the
//! redelivery runs at once instead of finding them busy until they go stale;
//! an email already asked of SES is not given back (it may have left) but
//! finishes as a task of its own.
//! Numbers: docs/EVENTS.md.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::config::ConfigError;
use crate::domain::WorkerMessage;
use crate::service::HeldClaims;
pub use crate::service::{Outcome, WorkError};
use crate::Portal;

/// The function's timeout (template.yaml `AssignWorkerFunction.Timeout`; the
/// template test holds them together), and the local trigger's deadline: a
/// sixth of the queue's visibility timeout, as Lambda advises.
pub const TIMEOUT_SECS: u64 = 10;
/// A record is started only with at least this much of the invocation left:
/// ten times the slowest record measured (docs/EVENTS.md, "Sizing the worker").
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(3);
/// Records of one batch handled at once (a batch of ten in two waves).
pub const CONCURRENCY: usize = 5;
/// Kept back to answer Lambda: a record still running then is reported as
/// failed (Lambda would cut it off a moment later anyway).
const ANSWER_RESERVE: Duration = Duration::from_millis(200);
/// Of that reserve, what giving back a cut-off record's ledger claims may take.
const RELEASE_BUDGET: Duration = Duration::from_millis(100);

pub struct Worker {
    portal: Portal,
    timeout: Duration,
    margin: Duration,
    concurrency: usize,
}

impl Worker {
    /// The worker sends email: it refuses to start without `MAIL_FROM`.
    pub fn new(portal: Portal) -> Result<Self, ConfigError> {
        if !portal.sends_mail() {
            return Err(ConfigError::Missing("MAIL_FROM".into()));
        }
        Ok(Self {
            portal,
            timeout: Duration::from_secs(TIMEOUT_SECS),
            margin: DEADLINE_MARGIN,
            concurrency: CONCURRENCY,
        })
    }

    /// The same worker as an invocation of another timeout would run it (tests
    /// that are about something else than deadlines give a loaded machine time).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same worker with another deadline margin (tests use short deadlines).
    pub fn with_deadline_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The same worker handling at most `records` records at once (at least one).
    pub fn with_concurrency(mut self, records: usize) -> Self {
        self.concurrency = records.max(1);
        self
    }

    /// Handles one SQS batch as an invocation of [`TIMEOUT_SECS`] (or the
    /// timeout given) would.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        self.handle_until(event, Instant::now() + self.timeout).await
    }

    /// Handles one SQS batch that must be answered by `deadline`, reporting
    /// the records to retry: those that failed, those still running at the
    /// deadline and those there was no time left to start.
    pub async fn handle_until(&self, event: SqsEvent, deadline: Instant) -> SqsBatchResponse {
        let last_start = deadline.checked_sub(self.margin).unwrap_or(deadline);
        let answer_by = tokio::time::Instant::from_std(deadline.checked_sub(ANSWER_RESERVE).unwrap_or(deadline));
        let mut failed = Vec::new();
        // The claims each running record holds, to give back if it is cut off.
        let mut running_ids: HashMap<String, HeldClaims> = HashMap::new();
        let mut running = FuturesUnordered::new();
        let mut waiting = event.records.iter();
        loop {
            while running.len() < self.concurrency {
                let Some(record) = waiting.next() else { break };
                if Instant::now() >= last_start {
                    let unstarted: Vec<String> =
                        std::iter::once(record).chain(waiting.by_ref()).map(message_id).collect();
                    tracing::warn!(
                        records = unstarted.len(),
                        "too little time left to start these records; SQS will redeliver them"
                    );
                    failed.extend(unstarted);
                    break;
                }
                let held = HeldClaims::default();
                running_ids.insert(message_id(record), held.clone());
                // Boxed: the processing future is deep enough to strain type layout.
                running.push(Box::pin(async move { (message_id(record), held.track(self.process(record)).await) }));
            }
            match tokio::time::timeout_at(answer_by, running.next()).await {
                Ok(Some((id, result))) => {
                    running_ids.remove(&id);
                    match result {
                        Ok(outcome) => tracing::debug!(message_id = %id, ?outcome, "processed"),
                        Err(err) => {
                            tracing::warn!(message_id = %id, error = %err, "record failed; SQS will redeliver it");
                            failed.push(id);
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        records = running_ids.len(),
                        "records still running at the deadline; SQS will redeliver them"
                    );
                    drop(running);
                    // Records never started are failures too: answered as
                    // successes they would be deleted unprocessed.
                    failed.extend(waiting.by_ref().map(message_id));
                    let (ids, held): (Vec<String>, Vec<HeldClaims>) = running_ids.drain().unzip();
                    let releases = held.iter().map(|claims| self.portal.release_claims(claims, RELEASE_BUDGET));
                    futures_util::future::join_all(releases).await;
                    failed.extend(ids);
                    break;
                }
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failed
            .into_iter()
            .map(|id| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
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

fn message_id(record: &SqsMessage) -> String {
    record.message_id.clone().unwrap_or_default()
}

/// When SQS accepted the message, in Unix seconds.
fn sent_at(record: &SqsMessage) -> Option<i64> {
    record.attributes.get("SentTimestamp").and_then(|v| v.parse::<i64>().ok()).map(|ms| ms / 1000)
}

/// The invocation's deadline as an instant of this process.
fn deadline_of(context: &lambda_runtime::Context) -> Instant {
    let left = context.deadline().duration_since(SystemTime::now()).unwrap_or_default();
    Instant::now() + left
}

/// The Lambda main of the assign-worker.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::entry::telemetry::init();
    let worker = Worker::new(crate::entry::lambda::lambda_portal(crate::entry::lambda::Needs::WORKER).await?)?;
    let worker = &worker;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<SqsEvent>| async move {
        let deadline = deadline_of(&event.context);
        Ok::<_, lambda_runtime::Error>(worker.handle_until(event.payload, deadline).await)
    }))
    .await
}

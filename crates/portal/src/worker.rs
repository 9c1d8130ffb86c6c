//! The assign-worker: turns portal events (SQS) into assignments, inbox items
//! and emails, each effect exactly once as people see it.
//!
//! - Each effect is claimed in a ledger before it runs and marked done after;
//!   a redelivered message finds it done and does nothing.
//! - A batch reports only its failed records (`batchItemFailures`), so SQS
//!   redelivers just those; a record that keeps failing reaches the DLQ.
//! - A message may arrive before the write it announces commits (they are sent
//!   in parallel): the worker waits briefly, then lets SQS redeliver. A message
//!   whose write never happened (the request failed) is dropped once it is
//!   older than [`ORPHAN_AFTER_SECS`].

use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::aws::AwsError;
use crate::config::ConfigError;
use crate::domain::events::BadEvent;
use crate::domain::secrets::{new_link_token, token_hash};
use crate::domain::{
    Agent, Author, Comment, EventKind, InboxItem, LinkToken, PortalEvent, Status, Ticket, Visibility, Workspace,
};
use crate::mail::{self, Mailer};
use crate::store::Claim;
use crate::Portal;

/// A message older than this whose ticket, comment or resolution does not exist
/// announced a write that failed; no retry will make it appear.
pub const ORPHAN_AFTER_SECS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error(transparent)]
    Malformed(#[from] BadEvent),
    #[error("the announced write is not visible yet")]
    NotYet,
    #[error("another delivery is running this effect")]
    Busy,
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// What processing one record came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The message announced something that never happened, or no longer applies.
    Dropped,
}

pub struct Worker {
    pub portal: Portal,
    mailer: Mailer,
}

impl Worker {
    pub fn new(portal: Portal) -> Result<Self, ConfigError> {
        let from = portal.config.mail_from.clone().ok_or_else(|| ConfigError::Missing("MAIL_FROM".into()))?;
        let mailer = Mailer::new(portal.clients.ses.clone(), from);
        Ok(Self { portal, mailer })
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

    pub async fn process(&self, record: &SqsMessage) -> Result<Outcome, WorkError> {
        let event = PortalEvent::parse(record.body.as_deref().unwrap_or(""))?;
        let age = message_age_secs(record, self.portal.clock.now_unix());
        let outcome = match event.kind {
            EventKind::TicketCreated => self.ticket_created(&event, age).await?,
            EventKind::CustomerReplied => self.customer_replied(&event, age).await?,
            EventKind::AgentReplied => self.agent_replied(&event, age).await?,
            EventKind::TicketResolved => self.ticket_resolved(&event, age).await?,
        };
        tracing::info!(kind = event.kind.as_str(), workspace = %event.workspace, reference = %event.reference, ?outcome, "event handled");
        Ok(outcome)
    }

    /// How the workspace's emails look.
    fn brand(&self, workspace: &Workspace) -> mail::Brand {
        mail::Brand::for_workspace(workspace, self.portal.links())
    }

    /// Runs `effect` unless the ledger says it ran.
    async fn once<F, Fut>(&self, event: &PortalEvent, name: &str, effect: F) -> Result<(), WorkError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), AwsError>>,
    {
        let key = event.effect_key(name);
        let store = &self.portal.store;
        match store.claim_effect(&key).await? {
            Claim::Done => Ok(()),
            Claim::Busy => Err(WorkError::Busy),
            Claim::Run => match effect().await {
                Ok(()) => Ok(store.complete_effect(&key).await?),
                Err(err) => {
                    if let Err(release) = store.release_effect(&key).await {
                        tracing::warn!(error = %release, "could not release a failed effect; it reruns after the stale-claim delay");
                    }
                    Err(err.into())
                }
            },
        }
    }

    /// Reads what `event` announced, waiting a moment for a write still in flight.
    /// `Ok(None)`: it never happened (drop the message).
    async fn announced<T, F, Fut>(&self, age_secs: i64, read: F) -> Result<Option<T>, WorkError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>, AwsError>>,
    {
        for attempt in 0..4 {
            if let Some(found) = read().await? {
                return Ok(Some(found));
            }
            if attempt < 3 {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
        if age_secs > ORPHAN_AFTER_SECS {
            Ok(None)
        } else {
            Err(WorkError::NotYet)
        }
    }

    async fn workspace(&self, event: &PortalEvent) -> Result<Workspace, WorkError> {
        self.portal.store.get_workspace(&event.workspace).await?.ok_or(WorkError::NotYet)
    }

    async fn ticket_created(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let store = &self.portal.store;
        let found = self
            .announced(age, || async {
                let ticket = store.get_ticket(&event.workspace, event.reference).await?;
                Ok(ticket.filter(|t| t.id == event.id))
            })
            .await?;
        let Some(ticket) = found else {
            tracing::warn!(reference = %event.reference, "ticket_created for a ticket that was never written; dropped");
            return Ok(Outcome::Dropped);
        };
        let workspace = self.workspace(event).await?;
        if let Some(agent) = self.assignee(&workspace, &ticket).await? {
            let tracking = self.portal.links().tracking_url(&event.workspace, ticket.reference);
            let reference = ticket.reference.to_string();
            let email = mail::agent_assigned(&agent.email, &reference, &ticket.subject, &tracking);
            let brand = self.brand(&workspace);
            self.once(event, "agent_email", || self.mailer.send(&email, &brand)).await?;
            let item = InboxItem {
                id: ticket.id.clone(),
                agent: agent.id.clone(),
                kind: "ticket_assigned".into(),
                reference: ticket.reference,
                text: format!("New ticket {}: {}", ticket.reference, ticket.subject),
                created_at: self.portal.clock.now_unix(),
                read: false,
            };
            store.add_inbox_item(&event.workspace, &item).await?;
        }
        let tracking = self.portal.links().tracking_url(&event.workspace, ticket.reference);
        let email = mail::confirmation(&ticket.email, &ticket.reference.to_string(), &tracking);
        let brand = self.brand(&workspace);
        self.once(event, "confirmation_email", || self.mailer.send(&email, &brand)).await?;
        Ok(Outcome::Done)
    }

    /// The ticket's agent: the one it has, or the next available one by
    /// round-robin when the workspace auto-assigns.
    async fn assignee(&self, workspace: &Workspace, ticket: &Ticket) -> Result<Option<Agent>, WorkError> {
        let store = &self.portal.store;
        let agents = store.list_agents(&workspace.slug).await?;
        if let Some(id) = &ticket.assignee {
            return Ok(agents.into_iter().find(|a| &a.id == id));
        }
        if !workspace.auto_assign {
            return Ok(None);
        }
        let available: Vec<&Agent> = agents.iter().filter(|a| a.available).collect();
        if available.is_empty() {
            tracing::warn!(workspace = %workspace.slug, reference = %ticket.reference, "no agent available; ticket left unassigned");
            return Ok(None);
        }
        let slot = store.next_assignment_slot(&workspace.slug).await?;
        let chosen = available[(slot % available.len() as u64) as usize].clone();
        if store.assign_if_unassigned(&workspace.slug, ticket.reference, &chosen).await? {
            tracing::info!(reference = %ticket.reference, agent = %chosen.id, "ticket assigned");
            return Ok(Some(chosen));
        }
        // Someone assigned it meanwhile (a twin delivery, an agent): follow that.
        let current = store.get_ticket(&workspace.slug, ticket.reference).await?.and_then(|t| t.assignee);
        Ok(current.and_then(|id| agents.into_iter().find(|a| a.id == id)))
    }

    async fn comment(&self, event: &PortalEvent, age: i64) -> Result<Option<(Ticket, Comment)>, WorkError> {
        let store = &self.portal.store;
        self.announced(age, || async {
            let found = store.ticket_with_comments(&event.workspace, event.reference).await?;
            Ok(found.and_then(|(ticket, comments)| {
                comments.into_iter().find(|c| c.id == event.id).map(|comment| (ticket, comment))
            }))
        })
        .await
    }

    async fn customer_replied(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let Some((ticket, comment)) = self.comment(event, age).await? else {
            return Ok(Outcome::Dropped);
        };
        let Some(agent) = ticket.assignee.clone() else {
            tracing::info!(reference = %ticket.reference, "customer replied on an unassigned ticket; nobody to notify");
            return Ok(Outcome::Done);
        };
        let item = InboxItem {
            id: comment.id.clone(),
            agent,
            kind: "customer_replied".into(),
            reference: ticket.reference,
            text: format!("{} replied on {}", comment.author.display_name(), ticket.reference),
            created_at: self.portal.clock.now_unix(),
            read: false,
        };
        self.portal.store.add_inbox_item(&event.workspace, &item).await?;
        Ok(Outcome::Done)
    }

    async fn agent_replied(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let Some((ticket, comment)) = self.comment(event, age).await? else {
            return Ok(Outcome::Dropped);
        };
        let Author::Agent { name, .. } = &comment.author else {
            return Ok(Outcome::Dropped);
        };
        // Internal notes never leave the server, whatever a message claims.
        if comment.visibility != Visibility::Public {
            tracing::warn!(reference = %ticket.reference, "agent_replied named an internal note; not emailed");
            return Ok(Outcome::Dropped);
        }
        let workspace = self.workspace(event).await?;
        let tracking = self.portal.links().tracking_url(&event.workspace, ticket.reference);
        let email = mail::agent_reply(&ticket.email, &ticket.reference.to_string(), name, &comment.body, &tracking);
        let brand = self.brand(&workspace);
        self.once(event, "customer_email", || self.mailer.send(&email, &brand)).await?;
        Ok(Outcome::Done)
    }

    async fn ticket_resolved(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let store = &self.portal.store;
        let found = self
            .announced(age, || async {
                let ticket = store.get_ticket(&event.workspace, event.reference).await?;
                Ok(ticket.filter(|t| t.resolution.as_ref().is_some_and(|r| r.id == event.id)))
            })
            .await?;
        let Some(ticket) = found else {
            return Ok(Outcome::Dropped);
        };
        if !matches!(ticket.status, Status::Resolved | Status::Closed) {
            tracing::info!(reference = %ticket.reference, "reopened before the survey went out; no survey");
            return Ok(Outcome::Dropped);
        }
        let workspace = self.workspace(event).await?;
        let resolution = ticket.resolution.clone().map(|r| r.text).unwrap_or_default();
        self.once(event, "csat_email", || async {
            let token = new_link_token();
            let stored =
                LinkToken::survey(event.workspace.clone(), ticket.reference, &event.id, self.portal.clock.now_unix());
            store.put_link_token(&token_hash(&token), &stored).await?;
            let url = self.portal.links().survey_url(&event.workspace, &token);
            let email = mail::rate_your_experience(&ticket.email, &ticket.reference.to_string(), &resolution, &url);
            let brand = self.brand(&workspace);
            self.mailer.send(&email, &brand).await
        })
        .await?;
        Ok(Outcome::Done)
    }
}

fn message_age_secs(record: &SqsMessage, now: i64) -> i64 {
    let sent_ms = record.attributes.get("SentTimestamp").and_then(|v| v.parse::<i64>().ok());
    sent_ms.map(|ms| now - ms / 1000).unwrap_or(0)
}

/// The Lambda main of the assign-worker.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let worker = Worker::new(Portal::from_env().await?)?;
    let worker = &worker;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}

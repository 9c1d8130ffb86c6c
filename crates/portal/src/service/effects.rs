//! What the assign-worker does with each portal event: assignments, inbox
//! items and emails, each effect exactly once as people see it.
//!
//! - Each effect is claimed in a ledger before it runs and marked done after;
//!   a redelivered message finds it done and does nothing.
//! - Effects of one event that do not depend on each other run side by side
//!   and fail alone: the customer's confirmation never waits on the agent's
//!   email; the failed one is retried on redelivery, the ledger skips the other.
//! - A message may arrive before the write it announces commits (they are sent
//!   in parallel): the worker waits briefly, then lets SQS redeliver. A message
//!   whose write never happened (the request failed) is dropped once it is
//!   older than [`ORPHAN_AFTER_SECS`].
//! - Once an event is handled (or dropped as not applicable) its outbox item
//!   is deleted: that acknowledgement stops the sweeper sending it again.

use std::future::Future;
use std::time::Duration;

use super::error::{unavailable_from_aws, Unavailable};
use super::{claims, Portal};
use crate::aws::AwsError;
use crate::domain::events::BadEvent;
use crate::domain::secrets::{new_link_token, token_hash};
use crate::domain::{
    Agent, Author, Comment, EventKind, InboxItem, LinkToken, PortalEvent, ReplyRecipient, Ticket, Visibility, Workspace,
};
use crate::emails::{self, Email};
use crate::mail_out::Mailer;
use crate::store::Claim;

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
    /// The runtime stopped an email's send before it answered.
    #[error("the send was stopped before it answered")]
    Stopped,
    /// This portal was built without `MAIL_FROM`, so it cannot send the emails events ask for.
    #[error("missing configuration: set MAIL_FROM")]
    NoSender,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(WorkError);

/// What processing one event came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The message announced something that never happened, or no longer applies.
    Dropped,
}

impl Portal {
    /// Whether this portal can send the worker's emails (`MAIL_FROM` is set).
    pub fn sends_mail(&self) -> bool {
        self.mailer.is_some()
    }

    pub(super) fn mailer(&self) -> Result<&Mailer, WorkError> {
        self.mailer.as_ref().ok_or(WorkError::NoSender)
    }

    /// Runs every effect `event` calls for that has not run yet. `sent_at` is
    /// when the message was sent (Unix seconds), if known: a message about a
    /// write that never appeared is dropped once it is old enough.
    pub async fn handle_event(&self, event: &PortalEvent, sent_at: Option<i64>) -> Result<Outcome, WorkError> {
        let age = sent_at.map(|sent| self.clock.now_unix() - sent).unwrap_or(0);
        let outcome = match event.kind {
            EventKind::TicketCreated => self.ticket_created(event, age).await?,
            EventKind::CustomerReplied => self.customer_replied(event, age).await?,
            EventKind::AgentReplied => self.agent_replied(event, age).await?,
            EventKind::TicketResolved => self.ticket_resolved(event, age).await?,
            // `PortalEvent::parse` refuses this kind: access requests have their own shape.
            EventKind::AccessRequested => Outcome::Dropped,
        };
        tracing::info!(kind = event.kind.as_str(), workspace = %event.workspace, reference = %event.reference, ?outcome, "event handled");
        if let Err(err) = self.store.acknowledge_event(event).await {
            // Not the record's failure: the sweeper sends it again, and every
            // effect finds itself done in the ledger.
            tracing::warn!(kind = event.kind.as_str(), error = %err, "handled event not acknowledged");
        }
        Ok(outcome)
    }

    /// How the workspace's emails look.
    pub(super) fn brand(&self, workspace: &Workspace) -> emails::Brand {
        emails::Brand::for_workspace(workspace, &self.links)
    }

    /// Sends the email `compose` writes unless the ledger says it was sent.
    pub(super) async fn once_mail<F, Fut>(
        &self,
        event: &PortalEvent,
        name: &str,
        brand: &emails::Brand,
        compose: F,
    ) -> Result<(), WorkError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Email, AwsError>>,
    {
        self.mail_once_keyed(event.effect_key(name), brand, || async { compose().await.map(Some) }).await
    }

    /// Sends the email `compose` writes, if any, unless the ledger holds `key`
    /// as done. Composing (link tokens, reply addresses) is given back when the
    /// record is cut off and redone on redelivery. The send is not: once asked
    /// for, the mail may have left, so the send and its done mark run as a
    /// task of their own that cutting the record off does not stop.
    pub(super) async fn mail_once_keyed<F, Fut>(
        &self,
        key: String,
        brand: &emails::Brand,
        compose: F,
    ) -> Result<(), WorkError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Email>, AwsError>>,
    {
        let mailer = self.mailer()?.clone();
        let Some(holder) = self.claim(&key).await? else { return Ok(()) };
        let email = match compose().await {
            Ok(Some(email)) => email,
            nothing_or_failed => {
                // Nothing was sent: settled after the write, so that a cut
                // during it still gives the claim back.
                let settled = self.settle(&key, &holder, nothing_or_failed.map(|_| ())).await;
                claims::settled(&key, &holder);
                return settled;
            }
        };
        let (portal, brand) = (self.clone(), brand.clone());
        let (answer, answered) = tokio::sync::oneshot::channel();
        let (task_key, task_holder) = (key.clone(), holder.clone());
        let task = tokio::spawn(async move {
            let sent = mailer.send(&email, &brand).await;
            let _ = answer.send(portal.settle(&task_key, &task_holder, sent).await);
        });
        claims::sending(&key, &holder, task);
        answered.await.unwrap_or(Err(WorkError::Stopped))
    }

    /// Runs `effect` unless the ledger holds `key` as done. Cut off while it
    /// runs, its claim is given back: for effects that may be repeated (a
    /// repeated turn of the rotation costs at most that turn).
    pub(super) async fn once_keyed<F, Fut>(&self, key: String, effect: F) -> Result<(), WorkError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), AwsError>>,
    {
        let Some(holder) = self.claim(&key).await? else { return Ok(()) };
        let ran = effect().await;
        // Settled before the write that records it: an effect that ran is
        // never given back, even if this record is cut off now.
        claims::settled(&key, &holder);
        self.settle(&key, &holder, ran).await
    }

    /// Claims `key` in the ledger: the new claim's holder, or `None` when the
    /// effect is done.
    async fn claim(&self, key: &str) -> Result<Option<String>, WorkError> {
        let store = &self.store;
        let holder = ulid::Ulid::new().to_string();
        // Noted before the claim is asked for: cut off while it is in flight,
        // the claim may have been written (giving back one not ours is a no-op).
        claims::taken(key, &holder);
        let claim = store.claim_effect(key, &holder).await;
        if !matches!(claim, Ok(Claim::Run)) {
            claims::settled(key, &holder);
        }
        if claim.is_err() {
            // The answer was lost, not necessarily the write.
            let _ = store.release_effect(key, &holder).await;
        }
        match claim? {
            Claim::Done => Ok(None),
            Claim::Busy => Err(WorkError::Busy),
            Claim::Run => Ok(Some(holder)),
        }
    }

    /// Records how a claimed effect's run ended: done, or given back to be retried.
    async fn settle(&self, key: &str, holder: &str, ran: Result<(), AwsError>) -> Result<(), WorkError> {
        match ran {
            Ok(()) => Ok(self.store.complete_effect(key).await?),
            Err(err) => {
                if let Err(release) = self.store.release_effect(key, holder).await {
                    tracing::warn!(error = %release, "could not release a failed effect; it reruns after the stale-claim delay");
                }
                Err(err.into())
            }
        }
    }

    /// Reads what `event` announced, waiting a moment for a write still in flight.
    /// `Ok(None)`: it never happened (drop the message).
    pub(super) async fn announced<T, F, Fut>(&self, age_secs: i64, read: F) -> Result<Option<T>, WorkError>
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

    async fn event_workspace(&self, event: &PortalEvent) -> Result<Workspace, WorkError> {
        self.store.get_workspace(&event.workspace).await?.ok_or(WorkError::NotYet)
    }

    async fn ticket_created(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let store = &self.store;
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
        let workspace = self.event_workspace(event).await?;
        let brand = self.brand(&workspace);
        let confirm = async {
            if ticket.no_auto_reply {
                return Ok(());
            }
            let tracking = self.links.tracking_url(&event.workspace, ticket.reference);
            self.once_mail(event, "confirmation_email", &brand, || async {
                Ok(emails::confirmation(&ticket.email, &ticket.reference.to_string(), &tracking)
                    .with_ticket_link(self.new_ticket_link(&ticket).await?)
                    .with_reply_to(self.reply_address(&ticket, ReplyRecipient::Customer).await?)
                    .with_thread(self.thread_of(&ticket)))
            })
            .await
        };
        // Independent effects: neither waits on the other or fails with it.
        let (assigned, confirmed) = tokio::join!(self.tell_assignee(event, &workspace, &ticket, &brand), confirm);
        assigned.and(confirmed)?;
        Ok(Outcome::Done)
    }

    /// Assigns the new ticket if it needs an agent, then tells the agent: the
    /// inbox item first, so a failing SES still leaves the in-app notice.
    async fn tell_assignee(
        &self,
        event: &PortalEvent,
        workspace: &Workspace,
        ticket: &Ticket,
        brand: &emails::Brand,
    ) -> Result<(), WorkError> {
        let Some(agent) = self.assignee_for(event, workspace, ticket).await? else { return Ok(()) };
        let tracking = self.links.tracking_url(&event.workspace, ticket.reference);
        let reference = ticket.reference.to_string();
        let item = InboxItem {
            id: ticket.id.clone(),
            agent: agent.id.clone(),
            kind: "ticket_assigned".into(),
            reference: ticket.reference,
            text: format!("New ticket {}: {}", ticket.reference, ticket.subject),
            created_at: self.clock.now_unix(),
            read: false,
        };
        self.store.add_inbox_item(&event.workspace, &item).await?;
        self.once_mail(event, "agent_email", brand, || async {
            Ok(emails::agent_assigned(&agent.email, &reference, &ticket.subject, &tracking)
                .with_reply_to(self.reply_address(ticket, ReplyRecipient::Agent(agent.id.clone())).await?)
                .with_thread(self.thread_of(ticket)))
        })
        .await
    }

    /// The ticket's agent: the one it has, or the next available one by
    /// round-robin when the workspace auto-assigns.
    async fn assignee_for(
        &self,
        event: &PortalEvent,
        workspace: &Workspace,
        ticket: &Ticket,
    ) -> Result<Option<Agent>, WorkError> {
        let store = &self.store;
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
        // One turn of the rotation per ticket: twin deliveries running at once
        // (SQS delivers at least once) would each take a turn and skip an agent,
        // so taking the turn and assigning is an effect of the ledger too.
        let mut chosen = None;
        self.once_keyed(event.effect_key("auto_assign"), || async {
            let slot = store.next_assignment_slot(&workspace.slug).await?;
            let agent = available[(slot % available.len() as u64) as usize];
            if store.assign_if_unassigned(&workspace.slug, ticket.reference, agent).await? {
                tracing::info!(reference = %ticket.reference, agent = %agent.id, "ticket assigned");
                chosen = Some(agent.clone());
            }
            Ok(())
        })
        .await?;
        if chosen.is_some() {
            return Ok(chosen);
        }
        // Assigned meanwhile (by an earlier delivery, or an agent): follow that.
        let current = store.get_ticket(&workspace.slug, ticket.reference).await?.and_then(|t| t.assignee);
        Ok(current.and_then(|id| agents.into_iter().find(|a| a.id == id)))
    }

    /// The ticket and the one public comment `event` names, read by key (never the conversation).
    async fn announced_comment(&self, event: &PortalEvent, age: i64) -> Result<Option<(Ticket, Comment)>, WorkError> {
        let store = &self.store;
        self.announced(age, || async {
            let (ticket, comment) = tokio::join!(
                store.get_ticket(&event.workspace, event.reference),
                store.public_comment(&event.workspace, event.reference, &event.id)
            );
            Ok(ticket?.zip(comment?))
        })
        .await
    }

    async fn customer_replied(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let Some((ticket, comment)) = self.announced_comment(event, age).await? else {
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
            created_at: self.clock.now_unix(),
            read: false,
        };
        self.store.add_inbox_item(&event.workspace, &item).await?;
        Ok(Outcome::Done)
    }

    async fn agent_replied(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let Some((ticket, comment)) = self.announced_comment(event, age).await? else {
            return Ok(Outcome::Dropped);
        };
        let name = match &comment.author {
            Author::Agent { name, .. } | Author::Team { name } => name,
            Author::Customer { .. } => return Ok(Outcome::Dropped),
        };
        // Internal notes never leave the server, whatever a message claims.
        if comment.visibility != Visibility::Public {
            tracing::warn!(reference = %ticket.reference, "agent_replied named an internal note; not emailed");
            return Ok(Outcome::Dropped);
        }
        let workspace = self.event_workspace(event).await?;
        let tracking = self.links.tracking_url(&event.workspace, ticket.reference);
        let brand = self.brand(&workspace);
        self.once_mail(event, "customer_email", &brand, || async {
            Ok(emails::agent_reply(&ticket.email, &ticket.reference.to_string(), name, &comment.body, &tracking)
                .with_ticket_link(self.new_ticket_link(&ticket).await?)
                .with_reply_to(self.reply_address(&ticket, ReplyRecipient::Customer).await?)
                .with_thread(self.thread_of(&ticket)))
        })
        .await?;
        Ok(Outcome::Done)
    }

    async fn ticket_resolved(&self, event: &PortalEvent, age: i64) -> Result<Outcome, WorkError> {
        let store = &self.store;
        let found = self
            .announced(age, || async {
                let ticket = store.get_ticket(&event.workspace, event.reference).await?;
                Ok(ticket.filter(|t| t.resolution.as_ref().is_some_and(|r| r.id == event.id)))
            })
            .await?;
        let Some(ticket) = found else {
            return Ok(Outcome::Dropped);
        };
        if !ticket.status.is_resolved() {
            tracing::info!(reference = %ticket.reference, "reopened before the survey went out; no survey");
            return Ok(Outcome::Dropped);
        }
        let workspace = self.event_workspace(event).await?;
        let resolution = ticket.resolution.clone().map(|r| r.text).unwrap_or_default();
        let brand = self.brand(&workspace);
        self.once_mail(event, "csat_email", &brand, || async {
            let token = new_link_token();
            let stored = LinkToken::survey(event.workspace.clone(), ticket.reference, &event.id, self.clock.now_unix());
            store.put_link_token(&token_hash(&token), &stored).await?;
            let url = self.links.survey_url(&event.workspace, &token);
            Ok(emails::rate_your_experience(&ticket.email, &ticket.reference.to_string(), &resolution, &url)
                .with_ticket_link(self.new_ticket_link(&ticket).await?)
                .with_reply_to(self.reply_address(&ticket, ReplyRecipient::Customer).await?)
                .with_thread(self.thread_of(&ticket)))
        })
        .await?;
        Ok(Outcome::Done)
    }
}

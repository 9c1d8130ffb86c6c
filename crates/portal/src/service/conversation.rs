//! Customers verifying a ticket by email, and replying to it.

use ulid::Ulid;

use super::retry::{until_fresh, Attempt, Contended};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::fields::normalize_email;
use crate::domain::secrets::{constant_time_eq, sha256_hex};
use crate::domain::{
    Author, Comment, CustomerView, EventKind, IdempotencyKey, MessageBody, PortalEvent, ReplyRefused, Ticket,
    TicketRef, Visibility, Workspace, WorkspaceSlug,
};
use crate::ratelimit::{Admission, Limit};
use crate::store::{reply_idempotency_scope, IdempotencyRecord, StatusChange, TicketWriteError};

/// Why a customer cannot see a ticket. `NotFound` covers an unknown workspace,
/// an unknown ticket and a wrong email alike.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no ticket with that reference and email")]
    NotFound,
    #[error("too many failed attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Unavailable(#[from] AwsError),
}

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error(transparent)]
    Refused(ReplyRefused),
    #[error("idempotency key reused for a different reply")]
    IdempotencyConflict,
    /// The ticket kept changing under the reply (agents at work): try again.
    #[error(transparent)]
    Contended(#[from] Contended),
    /// The key was taken, yet its record cannot be read.
    #[error("the idempotency record of an earlier reply vanished")]
    IdempotencyRecordVanished,
}

impl From<AwsError> for ReplyError {
    fn from(err: AwsError) -> Self {
        ReplyError::Lookup(LookupError::Unavailable(err))
    }
}

/// The ticket after a reply, and the reply itself.
#[derive(Debug, Clone)]
pub struct ReplyReceipt {
    pub workspace: Workspace,
    pub view: CustomerView,
    pub comment_id: String,
}

/// A verified ticket with everything read alongside it.
struct Verified {
    workspace: Workspace,
    ticket: Ticket,
    comments: Vec<Comment>,
}

/// How a reply's write went.
enum Replied {
    Added(Box<ReplyReceipt>),
    /// An earlier request with the same key added it (found beside the verification).
    Earlier(Box<(IdempotencyRecord, Verified)>),
    /// A concurrent request with the same key won the write.
    KeyTaken,
}

impl Portal {
    fn lookup_limits(&self) -> Limit {
        Limit::failed_lookups_per_client(self.config.lookup_limit)
    }

    fn ticket_limits(&self) -> Limit {
        Limit::failed_lookups_per_ticket(self.config.lookup_limit)
    }

    /// Reads the ticket and checks `email` against it. One sequential round
    /// trip when it matches: the workspace, the ticket with its conversation and
    /// both failed-attempt counters are read in parallel. Every way of not
    /// matching does the same work and answers the same.
    async fn verify(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        client_ip: &str,
    ) -> Result<Verified, LookupError> {
        let ticket_subject = format!("{slug}/{reference}");
        let (workspace, found, by_client, by_ticket) = tokio::join!(
            self.store.get_workspace(slug),
            self.store.ticket_with_comments(slug, reference),
            self.limiter.check(self.lookup_limits(), client_ip),
            self.limiter.check(self.ticket_limits(), &ticket_subject),
        );
        for admission in [by_client?, by_ticket?] {
            if let Admission::Limited { retry_after_secs } = admission {
                return Err(LookupError::RateLimited { retry_after_secs });
            }
        }
        let (workspace, found) = (workspace?, found?);
        let typed = normalize_email(email);
        // Compare against something even when there is no ticket, so a miss
        // costs what a wrong address costs.
        let owner = found.as_ref().map(|(t, _)| t.email_normalized.as_str()).unwrap_or("no ticket\u{0}");
        let matches = constant_time_eq(&typed, owner);
        match (workspace, found) {
            (Some(workspace), Some((ticket, comments))) if matches => Ok(Verified { workspace, ticket, comments }),
            _ => {
                let (a, b) = tokio::join!(
                    self.limiter.admit(self.lookup_limits(), client_ip),
                    self.limiter.admit(self.ticket_limits(), &ticket_subject),
                );
                a?;
                b?;
                tracing::info!(workspace = %slug, reference = %reference, "ticket lookup did not match");
                Err(LookupError::NotFound)
            }
        }
    }

    /// The ticket as its customer may see it, if `email` is the one it was submitted with.
    pub async fn lookup_ticket(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        client_ip: &str,
    ) -> Result<(Workspace, CustomerView), LookupError> {
        let verified = self.verify(slug, reference, email, client_ip).await?;
        Ok((verified.workspace, CustomerView::new(verified.ticket, verified.comments)))
    }

    /// Adds the customer's public reply, reopening a Resolved or Waiting ticket
    /// in the same transaction. Two sequential round trips: the verified read,
    /// then the write (which records the "customer replied" event in the
    /// outbox) together with the event's send; a failed send does not fail the
    /// reply (the sweeper sends it). A retry with the same idempotency key adds
    /// nothing and answers like the first: its key is looked up beside the
    /// verification, so a replay writes and sends nothing it need not.
    pub async fn reply_as_customer(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        message: MessageBody,
        client_ip: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ReplyReceipt, ReplyError> {
        let fingerprint = sha256_hex(message.as_str().as_bytes());
        let scoped_key = idempotency_key.map(|k| reply_idempotency_scope(reference, k.as_str()));
        let comment_id = Ulid::new().to_string();
        let event = PortalEvent::new(EventKind::CustomerReplied, slug.clone(), reference, &comment_id);
        let (message_ref, comment_id_ref, event_ref) = (&message, &comment_id, &event);
        let idempotency = scoped_key.as_deref().map(|k| (k, fingerprint.as_str()));
        let replied = until_fresh::<_, ReplyError, _>(move || async move {
            let (verified, earlier) = tokio::join!(self.verify(slug, reference, email, client_ip), async {
                match idempotency {
                    Some((key, _)) => self.store.find_idempotent(slug, key).await,
                    None => Ok(None),
                }
            });
            let verified = verified?;
            if let Some(record) = earlier? {
                return Ok(Attempt::Done(Replied::Earlier(Box::new((record, verified)))));
            }
            let Verified { workspace, mut ticket, mut comments } = verified;
            let next = ticket.status.after_customer_reply().map_err(ReplyError::Refused)?;
            let comment = Comment {
                id: comment_id_ref.clone(),
                author: Author::Customer { name: ticket.name.clone() },
                body: message_ref.to_string(),
                visibility: Visibility::Public,
                created_at: self.clock.now_unix(),
            };
            let change = StatusChange { expected: ticket.status, next, resolution: None };
            let (written, ()) = tokio::join!(
                self.store.add_comment(slug, reference, &comment, &change, idempotency, Some(event_ref)),
                self.announce(event_ref)
            );
            match written {
                Ok(()) => {
                    tracing::info!(workspace = %slug, reference = %reference, "customer replied");
                    ticket.status = next;
                    ticket.updated_at = comment.created_at;
                    comments.push(comment);
                    let view = CustomerView::new(ticket, comments);
                    let receipt = ReplyReceipt { workspace, view, comment_id: comment_id_ref.clone() };
                    Ok(Attempt::Done(Replied::Added(Box::new(receipt))))
                }
                Err(TicketWriteError::Stale) => Ok(Attempt::Stale),
                Err(TicketWriteError::IdempotencyKeyTaken) => Ok(Attempt::Done(Replied::KeyTaken)),
                Err(TicketWriteError::Aws(err)) => Err(err.into()),
            }
        })
        .await?;
        match replied {
            Replied::Added(receipt) => Ok(*receipt),
            Replied::Earlier(earlier) => {
                let (record, verified) = *earlier;
                self.replay_reply(slug, reference, record, &fingerprint, verified).await
            }
            Replied::KeyTaken => {
                let key = scoped_key.as_deref().unwrap_or_default();
                let (record, verified) =
                    tokio::join!(self.store.find_idempotent(slug, key), self.verify(slug, reference, email, client_ip));
                let record = record?.ok_or(ReplyError::IdempotencyRecordVanished)?;
                self.replay_reply(slug, reference, record, &fingerprint, verified?).await
            }
        }
    }

    /// Answers a replayed reply like its first request did, and sends its
    /// event again only if the worker has not acknowledged it (the first
    /// attempt's send may have failed).
    async fn replay_reply(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        record: IdempotencyRecord,
        fingerprint: &str,
        verified: Verified,
    ) -> Result<ReplyReceipt, ReplyError> {
        if !constant_time_eq(&record.fingerprint, fingerprint) {
            return Err(ReplyError::IdempotencyConflict);
        }
        let event = PortalEvent::new(EventKind::CustomerReplied, slug.clone(), reference, &record.id);
        let pending = self.store.outbox_pending(&event).await;
        self.announce_if_undelivered(pending, &event).await;
        let Verified { workspace, ticket, comments } = verified;
        Ok(ReplyReceipt { workspace, view: CustomerView::new(ticket, comments), comment_id: record.id })
    }
}

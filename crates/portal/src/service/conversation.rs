//! Customers verifying a ticket by email, and replying to it.

use ulid::Ulid;

use super::access::Proof;
use super::retry::{until_fresh, Attempt, Contended};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::fields::normalize_email;
use crate::domain::secrets::{constant_time_eq, sha256_hex};
use crate::domain::{
    Author, Comment, CommentCursor, ConversationPage, CustomerView, EventKind, IdempotencyKey, MessageBody,
    PortalEvent, ReplyRefused, Ticket, TicketRef, Visibility, Workspace, WorkspaceSlug,
};
use crate::ratelimit::{Admission, Limit};
use crate::store::{reply_idempotency_scope, StatusChange, TicketWriteError};

/// Why a customer cannot see a ticket. `NotFound` covers an unknown workspace,
/// an unknown ticket and a wrong email alike.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no ticket with that reference and email")]
    NotFound,
    #[error("too many failed attempts")]
    RateLimited { retry_after_secs: u64 },
    /// The workspace tracks by link: a typed email never shows a ticket, it
    /// only sends a link (when it is the ticket's). The same answer either way.
    #[error("a link was emailed instead")]
    LinkSent,
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

/// A verified ticket with everything read alongside it: one page of its conversation.
pub(super) struct Verified {
    pub(super) workspace: Workspace,
    pub(super) ticket: Ticket,
    pub(super) page: ConversationPage,
}

/// How a reply's write went.
enum Replied {
    Added(Box<ReplyReceipt>),
    /// An earlier request with the same key added it.
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
    /// trip when it matches: the workspace, the ticket with one page of its
    /// conversation (the newest, or the one older than `before`) and both
    /// failed-attempt counters are read in parallel. Every way of not
    /// matching does the same work and answers the same.
    pub(super) async fn verify(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        client_ip: &str,
        before: Option<&CommentCursor>,
    ) -> Result<Verified, LookupError> {
        let ticket_subject = format!("{slug}/{reference}");
        let (workspace, found, by_client, by_ticket) = tokio::join!(
            self.store.get_workspace(slug),
            self.store.ticket_page(slug, reference, before),
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
            (Some(workspace), Some((ticket, page))) if matches => Ok(Verified { workspace, ticket, page }),
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

    /// The ticket as its customer may see it, if `email` is the one it was
    /// submitted with: the newest page of its conversation, or the page older
    /// than `before`.
    pub async fn lookup_ticket(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        client_ip: &str,
        before: Option<&CommentCursor>,
    ) -> Result<(Workspace, CustomerView), LookupError> {
        let verified = self.verify_typed(slug, reference, email, client_ip, before).await?;
        Ok((verified.workspace, CustomerView::paged(verified.ticket, verified.page)))
    }

    /// Adds the customer's public reply, reopening a Resolved or Waiting ticket
    /// in the same transaction. Two sequential round trips: the verified read,
    /// then the write together with the "customer replied" message. A retry with
    /// the same idempotency key adds nothing and answers like the first.
    pub async fn reply_as_customer(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        message: MessageBody,
        client_ip: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ReplyReceipt, ReplyError> {
        let proof = Proof::Email { email, client_ip };
        self.reply(slug, reference, &proof, message, client_ip, idempotency_key).await
    }

    /// A reply verified by `proof` (a typed email or a session).
    pub(super) async fn reply(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        proof: &Proof<'_>,
        message: MessageBody,
        // The reply limits count the client, for typed and session replies alike.
        _client_ip: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ReplyReceipt, ReplyError> {
        let fingerprint = sha256_hex(message.as_str().as_bytes());
        let scoped_key = idempotency_key.map(|k| reply_idempotency_scope(reference, k.as_str()));
        let comment_id = Ulid::new().to_string();
        let event = PortalEvent::new(EventKind::CustomerReplied, slug.clone(), reference, &comment_id);
        let (message_ref, comment_id_ref, event_ref) = (&message, &comment_id, &event);
        let idempotency = scoped_key.as_deref().map(|k| (k, fingerprint.as_str()));
        let replied = until_fresh::<_, ReplyError, _>(move || async move {
            let Verified { workspace, mut ticket, page } = self.verify_proof(slug, reference, proof, None).await?;
            let next = ticket.status.after_customer_reply().map_err(ReplyError::Refused)?;
            let comment = Comment {
                id: comment_id_ref.clone(),
                author: Author::Customer { name: ticket.name.clone() },
                body: message_ref.to_string(),
                visibility: Visibility::Public,
                created_at: self.clock.now_unix(),
            };
            let change = StatusChange { expected: ticket.status, next, resolution: None };
            let (written, sent) = tokio::join!(
                self.store.add_comment(slug, reference, &comment, &change, idempotency),
                self.queue.publish(event_ref)
            );
            match written {
                Ok(()) => {
                    sent?;
                    tracing::info!(workspace = %slug, reference = %reference, "customer replied");
                    ticket.status = next;
                    ticket.updated_at = comment.created_at;
                    let view = CustomerView::paged(ticket, page).with_newest(comment);
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
            Replied::KeyTaken => {
                let key = scoped_key.as_deref().unwrap_or_default();
                self.replay_reply(slug, reference, key, &fingerprint, proof).await
            }
        }
    }

    async fn replay_reply(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        scoped_key: &str,
        fingerprint: &str,
        proof: &Proof<'_>,
    ) -> Result<ReplyReceipt, ReplyError> {
        let record =
            self.store.find_idempotent(slug, scoped_key).await?.ok_or(ReplyError::IdempotencyRecordVanished)?;
        if !constant_time_eq(&record.fingerprint, fingerprint) {
            return Err(ReplyError::IdempotencyConflict);
        }
        // The first attempt may have failed to queue its message: send it again.
        let event = PortalEvent::new(EventKind::CustomerReplied, slug.clone(), reference, &record.id);
        self.queue.publish(&event).await?;
        let Verified { workspace, ticket, page } = self.verify_proof(slug, reference, proof, None).await?;
        Ok(ReplyReceipt { workspace, view: CustomerView::paged(ticket, page), comment_id: record.id })
    }
}

//! Customers verifying a ticket by email, and replying to it.

use ulid::Ulid;

use super::access::Proof;
use super::error::{unavailable_from_aws, Unavailable};
use super::retry::{until_fresh, Attempt, Contended};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::client::ClientAddress;
use crate::domain::fields::normalize_email;
use crate::domain::limits::{Limit, OverLimit};
use crate::domain::secrets::{constant_time_eq, sha256_hex};
use crate::domain::{
    Author, Comment, CommentCursor, ConversationPage, CustomerView, EventKind, IdempotencyKey, MessageBody,
    PortalEvent, ReplyRefused, Ticket, TicketRef, TrackingMode, Visibility, Workspace, WorkspaceSlug,
    MAX_CUSTOMER_MESSAGES,
};
use crate::limiter::Subject;
use crate::store::{
    reply_idempotency_scope, CommentWrite, CustomerReply, IdempotencyRecord, StatusChange, TicketWriteError, TypedEmail,
};

/// Why a customer cannot see a ticket. `NotFound` covers an unknown workspace,
/// an unknown ticket and a wrong email alike.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no ticket with that reference and email")]
    NotFound,
    /// This client address has used up its misses.
    #[error("too many failed attempts")]
    RateLimited { retry_after_secs: u64 },
    /// The ticket has used up its misses, from whatever addresses: typed
    /// emails wait, for everyone alike; a private link still opens it.
    #[error("too many failed attempts on this ticket")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The workspace tracks by link: a typed email never shows a ticket, it
    /// only sends a link (when it is the ticket's). The same answer either way.
    #[error("a link was emailed instead")]
    LinkSent,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(LookupError);

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// Closed, or full.
    #[error(transparent)]
    Refused(ReplyRefused),
    /// Over a reply limit: nothing was added. The verified ticket comes
    /// along, so the form can be shown again with the message in it.
    #[error("too many replies")]
    RateLimited { retry_after_secs: u64, ticket: Box<(Workspace, CustomerView)> },
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
        ReplyError::Lookup(LookupError::Unavailable(err.into()))
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

/// What a typed-email check found: the workspace's tracking mode (read beside
/// the check, whatever its outcome), and the outcome.
pub(super) struct TypedCheck {
    pub(super) tracking: Option<TrackingMode>,
    pub(super) outcome: Result<Verified, LookupError>,
}

/// How a reply's write went.
enum Replied {
    Added(Box<ReplyReceipt>),
    /// An earlier request with the same key added it (found beside the verification).
    Earlier(Box<(IdempotencyRecord, Verified)>),
    /// A concurrent request with the same key won the write.
    KeyTaken,
}

/// A customer's lookup of one ticket by the email they typed: which ticket,
/// the email, who asks (every miss is counted per client address), and which
/// page of the conversation (the newest, or the one older than `before`).
#[derive(Debug, Clone, Copy)]
pub struct TypedLookup<'a> {
    pub slug: &'a WorkspaceSlug,
    pub reference: TicketRef,
    pub email: &'a str,
    pub client: ClientAddress,
    pub before: Option<&'a CommentCursor>,
}

impl Portal {
    /// Reads the ticket and checks the typed `email` against it, counting a
    /// miss before anything is compared. One sequential round trip: the
    /// workspace and the ticket with one page of its
    /// conversation (the newest, or the one older than `before`) are read alongside one
    /// transaction that charges the client's and the ticket's miss registers
    /// unless the database finds the email is the ticket's (which cancels
    /// it, so the owner's own lookups cost nothing). A full register refuses
    /// the attempt before any answer exists. Every way of not matching does
    /// the same work and answers the same.
    pub(super) async fn verify(&self, lookup: TypedLookup<'_>) -> Result<TypedCheck, LookupError> {
        let TypedLookup { slug, reference, email, client, before } = lookup;
        let typed = normalize_email(email);
        let per_ticket = Limit::failed_lookups_per_ticket(self.config.lookup_limit);
        let misses = [
            self.limiter
                .charge(Limit::failed_lookups_per_client(self.config.lookup_limit), &Subject::Client(client))?,
            self.limiter.charge(per_ticket, &Subject::Ticket(slug, reference))?,
        ];
        let (workspace, found, checked) = tokio::join!(
            self.store.get_workspace(slug),
            self.store.ticket_page(slug, reference, before),
            self.store.check_typed_email(slug, reference, &typed, &misses),
        );
        let workspace = workspace?;
        let tracking = workspace.as_ref().map(|w| w.tracking);
        let outcome = match checked? {
            TypedEmail::OverLimit(refusals) => {
                let ticket_wide = refusals.iter().find(|r| r.limit == per_ticket);
                let retry_after_secs = OverLimit::longest(&refusals).map_or(1, |r| r.retry_after_secs);
                Err(match ticket_wide {
                    Some(_) => LookupError::TooManyAttempts { retry_after_secs },
                    None => LookupError::RateLimited { retry_after_secs },
                })
            }
            TypedEmail::Miss => {
                tracing::info!(workspace = %slug, reference = %reference, "ticket lookup did not match");
                Err(LookupError::NotFound)
            }
            TypedEmail::Matches => match (workspace, found?) {
                // The database said "match"; the ticket read must agree.
                (Some(workspace), Some((ticket, page))) if constant_time_eq(&typed, &ticket.email_normalized) => {
                    Ok(Verified { workspace, ticket, page })
                }
                _ => {
                    tracing::warn!(workspace = %slug, reference = %reference, "typed email matched, yet the read ticket differs");
                    Err(LookupError::NotFound)
                }
            },
        };
        Ok(TypedCheck { tracking, outcome })
    }

    /// The ticket as its customer may see it, if `email` is the one it was
    /// submitted with: the newest page of its conversation, or the page older
    /// than `before`.
    pub async fn lookup_ticket(&self, lookup: TypedLookup<'_>) -> Result<(Workspace, CustomerView), LookupError> {
        let verified = self.verify_typed(lookup).await?;
        Ok((verified.workspace, CustomerView::paged(verified.ticket, verified.page)))
    }

    /// Adds the customer's public reply, reopening a Resolved or Waiting ticket
    /// in the same transaction. Two sequential round trips: the verified read,
    /// then the write (which records the "customer replied" event in the
    /// outbox) together with the event's send; a failed send does not fail the
    /// reply (the sweeper sends it). The write also charges the reply limits
    /// (per client address, per ticket) and counts one of the ticket's
    /// [`MAX_CUSTOMER_MESSAGES`], so a refused reply writes nothing. A retry
    /// with the same idempotency key adds nothing and answers like the first:
    /// its key is looked up beside the verification, so a replay writes and
    /// sends nothing it need not.
    pub async fn reply_as_customer(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        email: &str,
        message: MessageBody,
        client: ClientAddress,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ReplyReceipt, ReplyError> {
        let proof = Proof::Email { email, client };
        self.reply(slug, reference, &proof, message, client, idempotency_key).await
    }

    /// A reply verified by `proof` (a typed email or a session).
    pub(super) async fn reply(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        proof: &Proof<'_>,
        message: MessageBody,
        // The reply limits count the client, for typed and session replies alike.
        client: ClientAddress,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ReplyReceipt, ReplyError> {
        let fingerprint = sha256_hex(message.as_str().as_bytes());
        let scoped_key = idempotency_key.map(|k| reply_idempotency_scope(reference, k.as_str()));
        let comment_id = Ulid::new().to_string();
        let event = PortalEvent::new(EventKind::CustomerReplied, slug.clone(), reference, &comment_id);
        let (message_ref, comment_id_ref, event_ref) = (&message, &comment_id, &event);
        let idempotency = scoped_key.as_deref().map(|k| (k, fingerprint.as_str()));
        let replied = until_fresh::<_, ReplyError, _>(move || async move {
            let (verified, earlier) = tokio::join!(self.verify_proof(slug, reference, proof, None), async {
                match idempotency {
                    Some((key, _)) => self.store.find_idempotent(slug, key).await,
                    None => Ok(None),
                }
            });
            let verified = verified?;
            if let Some(record) = earlier? {
                return Ok(Attempt::Done(Replied::Earlier(Box::new((record, verified)))));
            }
            let Verified { workspace, mut ticket, page } = verified;
            let next = ticket.status.after_customer_reply().map_err(ReplyError::Refused)?;
            let comment = Comment {
                id: comment_id_ref.clone(),
                author: Author::Customer { name: ticket.name.clone() },
                body: message_ref.to_string(),
                visibility: Visibility::Public,
                created_at: self.clock.now_unix(),
            };
            let change = StatusChange { expected: ticket.status, next, resolution: None };
            let charges = [
                self.limiter.charge(Limit::replies_per_client(self.config.reply_limit_per_hour), &Subject::Client(client))?,
                self.limiter.charge(
                    Limit::replies_per_ticket(self.config.ticket_reply_limit_per_hour),
                    &Subject::Ticket(slug, reference),
                )?,
            ];
            let customer = CustomerReply { charges: &charges, max_messages: MAX_CUSTOMER_MESSAGES };
            let (written, ()) = tokio::join!(
                self.store.add_comment(slug, reference, &comment, CommentWrite {
                    idempotency,
                    customer: Some(customer),
                    event: Some(event_ref),
                    ..CommentWrite::new(&change)
                }),
                self.announce(event_ref)
            );
            match written {
                Ok(()) => {
                    tracing::info!(workspace = %slug, reference = %reference, "customer replied");
                    ticket.status = next;
                    ticket.updated_at = comment.created_at;
                    let view = CustomerView::paged(ticket, page).with_newest(comment);
                    let receipt = ReplyReceipt { workspace, view, comment_id: comment_id_ref.clone() };
                    Ok(Attempt::Done(Replied::Added(Box::new(receipt))))
                }
                Err(TicketWriteError::Stale) => Ok(Attempt::Stale),
                Err(TicketWriteError::IdempotencyKeyTaken) => Ok(Attempt::Done(Replied::KeyTaken)),
                Err(TicketWriteError::Full) => Err(ReplyError::Refused(ReplyRefused::Full)),
                Err(TicketWriteError::OverLimit(over)) => {
                    tracing::info!(workspace = %slug, reference = %reference, scope = over.limit.scope, "reply over the limit");
                    let ticket = Box::new((workspace, CustomerView::paged(ticket, page)));
                    Err(ReplyError::RateLimited { retry_after_secs: over.retry_after_secs, ticket })
                }
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
                let (record, verified) = tokio::join!(
                    self.store.find_idempotent(slug, key),
                    self.verify_proof(slug, reference, proof, None)
                );
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
        let Verified { workspace, ticket, page } = verified;
        Ok(ReplyReceipt { workspace, view: CustomerView::paged(ticket, page), comment_id: record.id })
    }
}

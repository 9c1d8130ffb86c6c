//! Answers by email: a mail to `reply+{token}@{INBOUND_DOMAIN}` adds a public
//! comment when its sender is the recipient the token was made for.
//!
//! - The ticket's customer: the same write as the portal reply (reopens
//!   Resolved and Waiting, counts the per-ticket reply limit and the ticket's
//!   message cap, and the "customer replied" event notifies the assignee);
//!   a Closed ticket gets a new ticket that names it instead.
//! - The agent: a public comment as `portalctl ticket comment` adds, whose
//!   "agent replied" event emails the customer.
//! - Anyone else, an unknown or expired token: dropped, nothing sent back.
//! - Without a token (a client that dropped `Reply-To`), a mail to the
//!   workspace address from a ticket's own customer threads into that ticket
//!   by our thread id in `In-Reply-To`/`References`, or by `[TKT-nnnn]` in its
//!   subject, only when SES's verdicts authenticate the sender (DMARC with SPF
//!   or DKIM) and the workspace tracks by email; unproven, it opens a ticket
//!   that names the one it is about; from anyone else it opens a new ticket
//!   as any mail does.
//!
//! The comment's text is what the sender typed this time: quotes, signatures
//! and our footer are cut ([`inbound_mail::strip_quotes`]).

use inbound_mail::InboundMail;
use ulid::Ulid;

use super::mail_in::{dropped, Dropped, InboundError, Received};
use super::retry::{until_fresh, Attempt};
use super::Portal;
use crate::domain::fields::normalize_email;
use crate::domain::limits::Limit;
use crate::domain::mail_in::{mail_body, parse_thread_root, FollowUp, SesMessageId};
use crate::domain::secrets::{constant_time_eq, sha256_hex, token_hash};
use crate::domain::TrackingMode;
use crate::domain::{
    Author, Comment, EventKind, MessageBody, PortalEvent, ReplyRecipient, Status, TicketRef, Visibility, WorkspaceSlug,
    MAX_CUSTOMER_MESSAGES,
};
use crate::limiter::Subject;
use crate::store::{CommentWrite, CustomerReply, StatusChange, TicketWriteError};

/// Who wrote an answer, once checked against the token.
enum Writer {
    Customer,
    Agent { id: String, name: String },
}

impl Portal {
    /// Handles a mail to a reply address (see the module doc).
    pub(super) async fn answer_by_mail(
        &self,
        id: &SesMessageId,
        token: &str,
        mail: &InboundMail,
        quiet: bool,
    ) -> Result<Received, InboundError> {
        let now = self.clock.now_unix();
        let stored = self.store.link_token(&token_hash(token)).await?;
        let Some((slug, reference, recipient)) =
            stored.as_ref().and_then(|t| t.reply_target(now)).map(|(slug, r, who)| (slug.clone(), r, who))
        else {
            return Ok(dropped(Dropped::Stranger, id.as_str()));
        };
        let key = id.ticket_key();
        let (ticket, earlier, agents) =
            tokio::join!(self.store.get_ticket(&slug, reference), self.store.find_idempotent(&slug, &key), async {
                match &recipient {
                    ReplyRecipient::Agent(_) => self.store.list_agents(&slug).await.map(Some),
                    ReplyRecipient::Customer => Ok(None),
                }
            });
        if let Some(earlier) = earlier? {
            return Ok(Received::Duplicate(earlier.reference));
        }
        let Some(ticket) = ticket? else {
            return Ok(dropped(Dropped::Stranger, id.as_str()));
        };
        let sender = normalize_email(mail.from().as_str());
        let writer = match recipient {
            ReplyRecipient::Customer if constant_time_eq(&sender, &ticket.email_normalized) => Writer::Customer,
            ReplyRecipient::Agent(agent_id) => {
                let agent = agents?.unwrap_or_default().into_iter().find(|a| a.id == agent_id);
                match agent {
                    Some(agent) if constant_time_eq(&sender, &normalize_email(&agent.email)) => {
                        Writer::Agent { id: agent.id, name: agent.name }
                    }
                    _ => return Ok(dropped(Dropped::Stranger, id.as_str())),
                }
            }
            ReplyRecipient::Customer => return Ok(dropped(Dropped::Stranger, id.as_str())),
        };
        if matches!(writer, Writer::Customer) && !ticket.status.takes_replies() {
            return self.open_ticket_by_mail(&slug, id, mail, Some(FollowUp::Closed(reference)), quiet).await;
        }
        let Some(text) = mail.text().new_text() else {
            return Ok(dropped(Dropped::Empty, id.as_str()));
        };
        let Ok(body) = MessageBody::parse_required(&mail_body("", text, mail.attachment_count()), "reply") else {
            return Ok(dropped(Dropped::Empty, id.as_str()));
        };
        self.comment_by_mail(&slug, reference, id, &sender, writer, body).await
    }

    /// The ticket a mail to the workspace address answers, when it names one
    /// (our thread id in `In-Reply-To`/`References`, or `[TKT-nnnn]` in its
    /// subject) and comes from that ticket's address: `Some` when it was handled
    /// here. It writes to the ticket only when SES vouches for the sender
    /// (`authenticated`) in a workspace that tracks by email; otherwise a From
    /// header is a claim anyone can type, so it opens a ticket of its own that
    /// names the one it is about ([`FollowUp::Unverified`]).
    pub(super) async fn thread_by_mail(
        &self,
        slug: &WorkspaceSlug,
        id: &SesMessageId,
        mail: &InboundMail,
        domain: &str,
        authenticated: bool,
        quiet: bool,
    ) -> Result<Option<Received>, InboundError> {
        let by_thread = mail
            .thread_ids()
            .filter_map(|m| parse_thread_root(m.as_str(), domain))
            .find(|(root_slug, _, _)| root_slug == slug)
            .map(|(_, reference, ticket_id)| (reference, Some(ticket_id)));
        let by_subject = || mail.ticket_mention().and_then(|m| TicketRef::from_number(m.number())).map(|r| (r, None));
        let Some((reference, ticket_id)) = by_thread.or_else(by_subject) else { return Ok(None) };
        let (ticket, workspace) = tokio::join!(self.store.get_ticket(slug, reference), self.store.get_workspace(slug));
        let (Some(ticket), Some(workspace)) = (ticket?, workspace?) else { return Ok(None) };
        let sender = normalize_email(mail.from().as_str());
        let same_ticket = ticket_id.is_none_or(|tid| tid == ticket.id);
        if !same_ticket || !constant_time_eq(&sender, &ticket.email_normalized) {
            return Ok(None);
        }
        if !authenticated || workspace.tracking == TrackingMode::Link {
            let follow_up = Some(FollowUp::Unverified(reference));
            return self.open_ticket_by_mail(slug, id, mail, follow_up, quiet).await.map(Some);
        }
        if !ticket.status.takes_replies() {
            let follow_up = Some(FollowUp::Closed(reference));
            return self.open_ticket_by_mail(slug, id, mail, follow_up, quiet).await.map(Some);
        }
        let Some(text) = mail.text().new_text() else {
            return Ok(Some(dropped(Dropped::Empty, id.as_str())));
        };
        let Ok(body) = MessageBody::parse_required(&mail_body("", text, mail.attachment_count()), "reply") else {
            return Ok(Some(dropped(Dropped::Empty, id.as_str())));
        };
        self.comment_by_mail(slug, reference, id, &sender, Writer::Customer, body).await.map(Some)
    }

    async fn comment_by_mail(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        id: &SesMessageId,
        sender: &str,
        writer: Writer,
        body: MessageBody,
    ) -> Result<Received, InboundError> {
        let comment_id = Ulid::new().to_string();
        let kind = match writer {
            Writer::Customer => EventKind::CustomerReplied,
            Writer::Agent { .. } => EventKind::AgentReplied,
        };
        let event = PortalEvent::new(kind, slug.clone(), reference, &comment_id);
        let (key, fingerprint) = (id.ticket_key(), sha256_hex(id.as_str().as_bytes()));
        let (writer, body, event, comment_id) = (&writer, &body, &event, &comment_id);
        let (key, fingerprint) = (key.as_str(), fingerprint.as_str());
        until_fresh::<_, InboundError, _>(move || async move {
            let Some(ticket) = self.store.get_ticket(slug, reference).await? else {
                return Ok(Attempt::Done(dropped(Dropped::Stranger, id.as_str())));
            };
            let (author, next) = match writer {
                Writer::Customer => match ticket.status.after_customer_reply() {
                    Ok(next) => (Author::Customer { name: ticket.name.clone() }, next),
                    Err(_) => return Ok(Attempt::Done(dropped(Dropped::Closed, id.as_str()))),
                },
                Writer::Agent { id, name } => (Author::Agent { id: id.clone(), name: name.clone() }, ticket.status),
            };
            let comment = Comment {
                id: comment_id.clone(),
                author,
                body: body.to_string(),
                visibility: Visibility::Public,
                created_at: self.clock.now_unix(),
            };
            let change = StatusChange { expected: ticket.status, next, resolution: None };
            let charges = match writer {
                Writer::Customer => vec![
                    self.limiter.charge(
                        Limit::replies_per_ticket(self.config.ticket_reply_limit_per_hour),
                        &Subject::Ticket(slug, reference),
                    )?,
                    self.limiter.charge(
                        Limit::replies_by_mail_per_sender(self.config.reply_limit_per_hour),
                        &Subject::Email(sender),
                    )?,
                ],
                Writer::Agent { .. } => Vec::new(),
            };
            let customer = matches!(writer, Writer::Customer)
                .then(|| CustomerReply { charges: &charges, max_messages: MAX_CUSTOMER_MESSAGES });
            let idempotency = Some((key, fingerprint));
            let (written, ()) = tokio::join!(
                self.store.add_comment(
                    slug,
                    reference,
                    &comment,
                    CommentWrite { idempotency, customer, event: Some(event), ..CommentWrite::new(&change) },
                ),
                self.announce(event)
            );
            match written {
                Ok(()) => {
                    let reopened = next != ticket.status && next == Status::Open;
                    tracing::info!(workspace = %slug, reference = %reference, kind = event.kind.as_str(), reopened, message_id = id.as_str(), "comment added by email");
                    Ok(Attempt::Done(Received::CommentAdded(reference)))
                }
                Err(TicketWriteError::Stale) => Ok(Attempt::Stale),
                Err(TicketWriteError::IdempotencyKeyTaken) => Ok(Attempt::Done(Received::Duplicate(reference))),
                Err(TicketWriteError::Full | TicketWriteError::OverLimit(_)) => {
                    Ok(Attempt::Done(dropped(Dropped::RateLimited, id.as_str())))
                }
                Err(TicketWriteError::Aws(err)) => Err(err.into()),
            }
        })
        .await
    }
}

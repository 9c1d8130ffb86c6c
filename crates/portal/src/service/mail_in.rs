//! Received email: a new mail to `{slug}@{INBOUND_DOMAIN}` opens a ticket
//! exactly as the form does (contact, number, the "ticket created" event, so
//! the worker confirms, assigns and notifies), with channel Email.
//!
//! - At most [`crate::domain::limits::INBOUND_TICKETS_PER_SENDER_PER_HOUR`] new tickets per sender
//!   address in any 60 minutes (the shift-register limiter); past that the
//!   mail is dropped and nothing is sent back.
//! - Exactly once: SES (and Lambda's retries) may deliver a message more than
//!   once; its SES message id is the idempotency key of the ticket it opens.
//! - Loops: bounces, auto-replies, lists and our own mail open nothing and
//!   get no answer ([`inbound_mail::Origin`]); viruses and unauthenticated
//!   spam are dropped on SES's verdicts; messages over
//!   [`inbound_mail::MAX_MESSAGE_BYTES`] are dropped unread.
//! - Nothing is ever bounced, and no log line names an address.

use inbound_mail::{AutoReason, InboundMail, Origin, MAX_MESSAGE_BYTES};

use super::error::{unavailable_from_aws, Unavailable};
use super::submit::new_ticket_record;
use super::Portal;
use crate::aws::s3_get::Object;
use crate::aws::AwsError;
use crate::domain::limits::Limit;
use crate::domain::mail_in::{
    new_ticket_from_mail, own_addresses, reply_address, thread_root, workspace_address, FollowUp, InboundRecipient,
    SesMessageId, Verdicts,
};
use crate::domain::secrets::{new_reply_token, sha256_hex, token_hash};
use crate::domain::NewTicket;
use crate::domain::{Channel, EventKind, LinkToken, PortalEvent, ReplyRecipient, Ticket, TicketRef, WorkspaceSlug};
use crate::limiter::{Admission, Subject};
use crate::store::{ClaimedKey, CreateTicketError, KeyClaim, Remembered};

use super::submit::Twin;

/// One message as SES received it (the receipt event's fields the portal uses).
#[derive(Debug, Clone, Copy)]
pub struct ReceivedEmail<'a> {
    /// SES's message id (the S3 object under the prefix).
    pub message_id: &'a str,
    /// The envelope sender (`MAIL FROM`); empty for a bounce.
    pub envelope_sender: &'a str,
    /// The envelope recipients the receipt rule matched.
    pub recipients: &'a [String],
    pub verdicts: Verdicts<'a>,
}

/// What a received message came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// A new ticket.
    TicketOpened(TicketRef),
    /// An answer by email became a public comment on this ticket.
    CommentAdded(TicketRef),
    /// An earlier delivery of the same message opened this ticket (or commented on it).
    Duplicate(TicketRef),
    /// Nothing was done and nothing is sent back.
    Dropped(Dropped),
}

/// Why a message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// The event's message id is not an SES id.
    MalformedId,
    /// No recipient is one of our addresses.
    NotForUs,
    /// A virus, or spam with failed sender authentication.
    Verdicts,
    /// The stored message is gone.
    Missing,
    /// Over [`MAX_MESSAGE_BYTES`].
    TooLarge,
    /// Not a mail, or no usable From.
    Unreadable,
    /// A bounce, an auto-reply, a list, our own mail.
    Automatic(AutoReason),
    /// The sender has opened its hour's tickets.
    RateLimited,
    /// No such workspace.
    UnknownWorkspace,
    /// A reply address answered by someone else than its recipient, or an
    /// unknown or expired one.
    Stranger,
    /// An answer with nothing new in it (only quotes, or nothing).
    Empty,
    /// The ticket closed while the answer was being added.
    Closed,
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// This portal was built without the inbound configuration.
    #[error("missing configuration: set {0}")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Contended(#[from] super::Contended),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(InboundError);

impl Portal {
    /// Handles one received message. An error means "deliver it again"
    /// (Lambda retries the event; what was done is found done).
    ///
    /// Sequential round trips for a new ticket: (1) the message from S3 beside
    /// the idempotency lookup, (2) the sender's limit, (3) the ticket number,
    /// (4) the ticket transaction beside the event's send.
    pub async fn receive_email(&self, received: &ReceivedEmail<'_>) -> Result<Received, InboundError> {
        let domain = self.config.inbound_domain.as_deref().ok_or(InboundError::NotConfigured("INBOUND_DOMAIN"))?;
        let mailbox = self.mailbox.as_ref().ok_or(InboundError::NotConfigured("INBOUND_BUCKET"))?;
        let Some(id) = SesMessageId::parse(received.message_id) else {
            return Ok(dropped(Dropped::MalformedId, received.message_id));
        };
        if received.verdicts.refuse() {
            return Ok(dropped(Dropped::Verdicts, id.as_str()));
        }
        let Some(recipient) = received.recipients.iter().find_map(|r| InboundRecipient::parse(r, domain)) else {
            return Ok(dropped(Dropped::NotForUs, id.as_str()));
        };
        let key = id.ticket_key();
        let (fetched, earlier) = tokio::join!(mailbox.fetch(&id, MAX_MESSAGE_BYTES), async {
            match &recipient {
                InboundRecipient::Workspace(slug) => {
                    self.store.find_idempotent(slug, &key).await.map(|e| e.zip(Some(slug)))
                }
                InboundRecipient::Reply(_) => Ok(None),
            }
        });
        if let Some((earlier, slug)) = earlier? {
            let event = PortalEvent::new(EventKind::TicketCreated, slug.clone(), earlier.reference, &earlier.id);
            let pending = self.store.outbox_pending(&event).await;
            self.announce_if_undelivered(pending, &event).await;
            tracing::info!(message_id = id.as_str(), reference = %earlier.reference, "inbound mail delivered again");
            return Ok(Received::Duplicate(earlier.reference));
        }
        let raw = match fetched? {
            Object::Bytes(raw) => raw,
            Object::TooLarge { bytes } => {
                tracing::info!(message_id = id.as_str(), bytes, "inbound mail over the size limit");
                return Ok(dropped(Dropped::TooLarge, id.as_str()));
            }
            Object::Missing => return Ok(dropped(Dropped::Missing, id.as_str())),
        };
        let Ok(mail) = InboundMail::parse(&raw) else {
            return Ok(dropped(Dropped::Unreadable, id.as_str()));
        };
        let own = own_addresses(self.config.mail_from.as_deref(), domain);
        let quiet = match mail.origin(received.envelope_sender, &own) {
            Origin::Automatic(reason) => return Ok(dropped(Dropped::Automatic(reason), id.as_str())),
            Origin::PersonNoAutoReply => true,
            Origin::Person => false,
        };
        match &recipient {
            InboundRecipient::Workspace(slug) => {
                let authenticated = received.verdicts.sender_authenticated();
                match self.thread_by_mail(slug, &id, &mail, domain, authenticated, quiet).await? {
                    Some(answered) => Ok(answered),
                    None => self.open_ticket_by_mail(slug, &id, &mail, None, quiet).await,
                }
            }
            InboundRecipient::Reply(token) => self.answer_by_mail(&id, token, &mail, quiet).await,
        }
    }

    /// Opens a ticket from `mail`; `follows` names the ticket it is about and
    /// why it did not write there; `quiet`: its sender asks for no automatic
    /// answer (no confirmation).
    pub(super) async fn open_ticket_by_mail(
        &self,
        slug: &WorkspaceSlug,
        id: &SesMessageId,
        mail: &InboundMail,
        follows: Option<FollowUp>,
        quiet: bool,
    ) -> Result<Received, InboundError> {
        let Ok(new) = new_ticket_from_mail(mail, follows) else {
            return Ok(dropped(Dropped::Unreadable, id.as_str()));
        };
        let admission =
            self.limiter.admit(Limit::inbound_tickets_per_sender(), &Subject::Email(mail.from().as_str())).await?;
        if let Admission::Limited { .. } = admission {
            return Ok(dropped(Dropped::RateLimited, id.as_str()));
        }
        // The message's key is claimed before a number is spent, so twin
        // deliveries running at once spend one number between them.
        let key = id.ticket_key();
        let claim = match self.store.claim_idempotent(slug, &key, &sha256_hex(id.as_str().as_bytes())).await? {
            KeyClaim::Won(claim) => claim,
            KeyClaim::Held(Remembered::Done(earlier)) => return Ok(Received::Duplicate(earlier.reference)),
            KeyClaim::Held(Remembered::Claimed { .. }) => {
                return match self.twin(slug, &key).await? {
                    Twin::Made(earlier) => Ok(Received::Duplicate(earlier.reference)),
                    // Delivered again later, the message finds the twin's ticket or takes its stale key.
                    Twin::Failed | Twin::StillRunning => Err(super::Contended.into()),
                };
            }
        };
        let opened = self.open_claimed(slug, id, new, &claim, quiet).await;
        if !matches!(opened, Ok(Received::TicketOpened(_))) {
            if let Err(err) = self.store.release_idempotent(slug, &claim).await {
                tracing::warn!(message_id = id.as_str(), error = %err, "idempotency claim not given back; it goes stale");
            }
        }
        opened
    }

    /// Takes the number and writes the ticket the message opens under its claimed key.
    async fn open_claimed(
        &self,
        slug: &WorkspaceSlug,
        id: &SesMessageId,
        new: NewTicket,
        claim: &ClaimedKey,
        quiet: bool,
    ) -> Result<Received, InboundError> {
        let Some((workspace, reference)) = self.store.take_ticket_number(slug).await? else {
            return Ok(dropped(Dropped::UnknownWorkspace, id.as_str()));
        };
        let mut ticket = new_ticket_record(&workspace, reference, new, Channel::Email, self.clock.now_unix());
        ticket.no_auto_reply = quiet;
        let event = PortalEvent::new(EventKind::TicketCreated, slug.clone(), reference, &ticket.id);
        let (written, ()) = tokio::join!(self.store.create_ticket(&ticket, Some(claim), &event), self.announce(&event));
        match written {
            Ok(()) => {
                tracing::info!(workspace = %slug, reference = %reference, message_id = id.as_str(), "ticket opened by email");
                Ok(Received::TicketOpened(reference))
            }
            // Taken over as stale by a later delivery of the same message: that one answers.
            Err(CreateTicketError::IdempotencyKeyTaken) => Err(super::Contended.into()),
            Err(CreateTicketError::Aws(err)) => Err(err.into()),
        }
    }
}

impl Portal {
    /// The workspace's inbound address, when this portal receives email.
    pub fn inbound_address(&self, slug: &WorkspaceSlug) -> Option<String> {
        self.config.inbound_domain.as_deref().map(|domain| workspace_address(slug, domain))
    }

    /// A fresh reply address for an email about `ticket` to `recipient` (its
    /// token stored hashed), when this portal receives email.
    pub(super) async fn reply_address(
        &self,
        ticket: &Ticket,
        recipient: ReplyRecipient,
    ) -> Result<Option<String>, AwsError> {
        let Some(domain) = self.config.inbound_domain.as_deref() else { return Ok(None) };
        let token = new_reply_token();
        let stored =
            LinkToken::mail_reply(ticket.workspace.clone(), ticket.reference, &recipient, self.clock.now_unix());
        self.store.put_link_token(&token_hash(&token), &stored).await?;
        Ok(Some(reply_address(&token, domain)))
    }

    /// The thread id of every email about `ticket`.
    pub(super) fn thread_of(&self, ticket: &Ticket) -> Option<String> {
        let domain = self.config.inbound_domain.as_deref()?;
        Some(thread_root(&ticket.workspace, ticket.reference, &ticket.id, domain))
    }
}

/// Logs a dropped message by its SES id only, and says so.
pub(super) fn dropped(why: Dropped, message_id: &str) -> Received {
    let shown = if SesMessageId::parse(message_id).is_some() { message_id } else { "(malformed)" };
    tracing::info!(message_id = shown, reason = ?why, "inbound mail dropped");
    Received::Dropped(why)
}

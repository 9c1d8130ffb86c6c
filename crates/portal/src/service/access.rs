//! Private access: a customer asks for a link (or finds one in an email), the
//! link opens My tickets and starts a session, and under that session the
//! ticket pages and the reply form work without typing the email.
//!
//! Asking for a link answers the same, and does the same work, whatever the
//! address: the request is queued and the worker decides (see
//! [`super::access_mail`]). Opening a link never uses it up, because mail
//! scanners follow links before people do: every GET starts its own session.

use ulid::Ulid;

use super::conversation::{LookupError, ReplyError, ReplyReceipt, TypedCheck, TypedLookup, Verified};
use super::error::{unavailable_from_aws, Unavailable};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::limits::Limit;
use crate::domain::secrets::{constant_time_eq, is_well_formed_token, new_link_token, token_hash};
use crate::domain::{
    AccessRequest, AccessRequested, ClientAddress, CommentCursor, CustomerView, EmailAddress, IdempotencyKey,
    MessageBody, Session, TicketRef, TicketSummary, TrackingMode, Workspace, WorkspaceSlug,
};
use crate::limiter::{Admission, Subject};

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no such workspace")]
    UnknownWorkspace,
    /// Expired, forged, malformed or another workspace's: one answer for all.
    #[error("this link has expired")]
    Expired,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(AccessError);

/// What an access link opened.
#[derive(Debug, Clone)]
pub enum Opened {
    /// Every ticket of the address in the workspace, newest first.
    MyTickets(Vec<TicketSummary>),
    /// The ticket the link asked for (`?ticket=`), the address's own.
    Ticket(Box<CustomerView>),
}

/// An access link's GET: what it opened, and the session it started (the
/// cookie's value; only its hash is stored).
#[derive(Debug, Clone)]
pub struct Granted {
    pub workspace: Workspace,
    pub opened: Opened,
    pub session: String,
}

/// How a customer proves that a ticket is theirs.
pub(super) enum Proof<'a> {
    /// The email typed on the tracking page (counted against the miss limits).
    Email { email: &'a str, client: ClientAddress },
    /// A session cookie a link started.
    Session(&'a str),
}

impl Portal {
    /// "Email me a link": queues the request for the worker, which sends a
    /// link only if the address has tickets here. Two sequential round trips,
    /// the same for every address: the client's limit beside the workspace,
    /// then the request item beside its message. Over the client's limit the
    /// request is dropped silently (same answer).
    pub async fn request_access(
        &self,
        slug: &WorkspaceSlug,
        email: &EmailAddress,
        client: ClientAddress,
    ) -> Result<Workspace, AccessError> {
        let (workspace, admitted) = tokio::join!(self.store.get_workspace(slug), self.admit_access_request(client));
        let workspace = workspace?.ok_or(AccessError::UnknownWorkspace)?;
        if admitted? {
            self.queue_access(slug, email, None).await?;
        }
        Ok(workspace)
    }

    async fn admit_access_request(&self, client: ClientAddress) -> Result<bool, AwsError> {
        match self.limiter.admit(Limit::access_requests_per_client(), &Subject::Client(client)).await? {
            Admission::Admitted => Ok(true),
            Admission::Limited { .. } => {
                tracing::info!("access request over the client's limit; dropped without a word");
                Ok(false)
            }
        }
    }

    async fn queue_access(
        &self,
        slug: &WorkspaceSlug,
        email: &EmailAddress,
        reference: Option<TicketRef>,
    ) -> Result<(), AwsError> {
        let now = self.clock.now_unix();
        let request = AccessRequest::new(
            Ulid::new().to_string(),
            slug.clone(),
            email.as_str(),
            email.normalized(),
            reference,
            now,
        );
        let event = AccessRequested::new(slug.clone(), &request.id);
        let (written, sent) = tokio::join!(self.store.put_access_request(&request), self.queue.publish_access(&event));
        written?;
        sent?;
        tracing::info!(workspace = %slug, "access requested");
        Ok(())
    }

    /// The typed-email check of the lookup and reply paths, except in a
    /// workspace that tracks by link: there a typed email is counted as
    /// always, never shows a ticket, and queues a link for that ticket
    /// (sent only if the address is the ticket's). The check reads the
    /// workspace already, so neither mode costs an extra read.
    pub(super) async fn verify_typed(&self, lookup: TypedLookup<'_>) -> Result<Verified, LookupError> {
        let TypedLookup { slug, reference, email, client, .. } = lookup;
        let TypedCheck { tracking, outcome } = self.verify(lookup).await?;
        if tracking != Some(TrackingMode::Link) {
            return outcome;
        }
        match outcome {
            Ok(_) | Err(LookupError::NotFound) => {
                if let Ok(address) = EmailAddress::parse(email) {
                    if self.admit_access_request(client).await? {
                        self.queue_access(slug, &address, Some(reference)).await?;
                    }
                }
                Err(LookupError::LinkSent)
            }
            Err(other) => Err(other),
        }
    }

    /// The contact a session cookie opens in `slug`, if it opens any.
    async fn session_contact(&self, slug: &WorkspaceSlug, cookie: &str) -> Result<Option<String>, AwsError> {
        if !is_well_formed_token(cookie) {
            return Ok(None);
        }
        let session = self.store.session(&token_hash(cookie)).await?;
        Ok(session.and_then(|s| s.contact_in(slug, self.clock.now_unix()).map(str::to_owned)))
    }

    /// A ticket under a session: one round trip (the session, the workspace
    /// and the ticket's page in parallel). Another address's ticket, another
    /// workspace's session and an expired one are simply not found.
    async fn session_verified(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        cookie: &str,
        before: Option<&CommentCursor>,
    ) -> Result<Verified, LookupError> {
        let (contact, workspace, found) = tokio::join!(
            self.session_contact(slug, cookie),
            self.store.get_workspace(slug),
            self.store.ticket_page(slug, reference, before)
        );
        match (contact?, workspace?, found?) {
            (Some(contact), Some(workspace), Some((ticket, page)))
                if constant_time_eq(&ticket.contact_id, &contact) =>
            {
                Ok(Verified { workspace, ticket, page })
            }
            _ => Err(LookupError::NotFound),
        }
    }

    pub(super) async fn verify_proof(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        proof: &Proof<'_>,
        before: Option<&CommentCursor>,
    ) -> Result<Verified, LookupError> {
        match proof {
            Proof::Email { email, client } => {
                self.verify_typed(TypedLookup { slug, reference, email, client: *client, before }).await
            }
            Proof::Session(cookie) => self.session_verified(slug, reference, cookie, before).await,
        }
    }

    /// The ticket as its customer may see it, under the session `cookie`.
    pub async fn session_ticket(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        cookie: &str,
        before: Option<&CommentCursor>,
    ) -> Result<(Workspace, CustomerView), LookupError> {
        let verified = self.session_verified(slug, reference, cookie, before).await?;
        Ok((verified.workspace, CustomerView::paged(verified.ticket, verified.page)))
    }

    /// A reply under the session `cookie` (no email typed); otherwise as
    /// [`Portal::reply_as_customer`].
    pub async fn reply_in_session(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        cookie: &str,
        message: MessageBody,
        client: ClientAddress,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ReplyReceipt, ReplyError> {
        self.reply(slug, reference, &Proof::Session(cookie), message, client, idempotency_key).await
    }

    /// The contact an access or ticket link opens. One round trip: the token
    /// and the workspace in parallel.
    async fn link_contact(&self, slug: &WorkspaceSlug, token: &str) -> Result<(Workspace, String), AccessError> {
        if !is_well_formed_token(token) {
            return Err(AccessError::Expired);
        }
        let hash = token_hash(token);
        let (stored, workspace) = tokio::join!(self.store.link_token(&hash), self.store.get_workspace(slug));
        let (stored, workspace) = (stored?, workspace?);
        let now = self.clock.now_unix();
        match (workspace, stored.as_ref().and_then(|t| t.opens_tickets_of(slug, now))) {
            (Some(workspace), Some(contact)) => Ok((workspace, contact.to_owned())),
            _ => Err(AccessError::Expired),
        }
    }

    /// My tickets behind an access link, for the JSON API (which keeps no
    /// session). Two sequential round trips; the link is not used up.
    pub async fn access_link_tickets(
        &self,
        slug: &WorkspaceSlug,
        token: &str,
    ) -> Result<(Workspace, Vec<TicketSummary>), AccessError> {
        let (workspace, contact) = self.link_contact(slug, token).await?;
        let tickets = self.store.contact_tickets(slug, &contact).await?;
        Ok((workspace, tickets))
    }

    /// Opens an access link: a new session for its address, and My tickets,
    /// or `ticket` when it is the address's own. Two sequential round trips
    /// (the link, then the session beside what it opens); the link is not
    /// used up, so the customer's GET after a mail scanner's works too.
    pub async fn open_access_link(
        &self,
        slug: &WorkspaceSlug,
        token: &str,
        ticket: Option<TicketRef>,
    ) -> Result<Granted, AccessError> {
        let (workspace, contact) = self.link_contact(slug, token).await?;
        let cookie = new_link_token();
        let session = Session::new(slug.clone(), &contact, self.clock.now_unix());
        let hash = token_hash(&cookie);
        let (stored, opened) =
            tokio::join!(self.store.put_session(&hash, &session), self.opened(slug, &contact, ticket));
        stored?;
        tracing::info!(workspace = %slug, "access link opened; session started");
        Ok(Granted { workspace, opened: opened?, session: cookie })
    }

    /// The ticket asked for if it is the contact's, else My tickets.
    async fn opened(&self, slug: &WorkspaceSlug, contact: &str, ticket: Option<TicketRef>) -> Result<Opened, AwsError> {
        if let Some(reference) = ticket {
            if let Some((ticket, page)) = self.store.ticket_page(slug, reference, None).await? {
                if constant_time_eq(&ticket.contact_id, contact) {
                    return Ok(Opened::Ticket(Box::new(CustomerView::paged(ticket, page))));
                }
            }
        }
        Ok(Opened::MyTickets(self.store.contact_tickets(slug, contact).await?))
    }
}

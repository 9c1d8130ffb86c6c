//! Submitting a ticket: the form, the JSON API and the widget all come here.

use ulid::Ulid;

use super::Portal;
use crate::aws::AwsError;
use crate::domain::client::ClientAddress;
use crate::domain::origin::{Cors, RequestOrigin};
use crate::domain::secrets::constant_time_eq;
use crate::domain::{
    Channel, EventKind, IdempotencyKey, NewTicket, PortalEvent, Priority, Status, Ticket, TicketRef, Workspace,
    WorkspaceSlug,
};
use crate::ratelimit::{Admission, Limit, Subject};
use crate::store::{keys, CreateTicketError, IdempotencyRecord};

/// What a successful submission returns, first time or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub workspace: Workspace,
    pub reference: TicketRef,
    pub ticket_id: String,
    pub status: Status,
    /// True when an earlier request with the same idempotency key made the ticket.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("unknown workspace")]
    UnknownWorkspace,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("idempotency key reused for a different submission")]
    IdempotencyConflict,
    /// A cross-origin submission from a site the workspace does not allow.
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// The key was taken, yet its record cannot be read.
    #[error("the idempotency record of an earlier submission vanished")]
    IdempotencyRecordVanished,
    #[error(transparent)]
    Unavailable(#[from] AwsError),
}

impl Portal {
    /// Creates a ticket from a valid submission.
    ///
    /// Sequential round trips: (1) rate-limit admission together with the
    /// idempotency lookup, (2) the atomic ticket number, (3) the ticket
    /// transaction (which records the "ticket created" event in the outbox)
    /// together with the event's send. The message may reach the worker before
    /// the transaction commits, or without it if the transaction fails; the
    /// worker waits for the ticket and drops messages whose ticket never
    /// appeared (see `worker`). A failed send does not fail the request: the
    /// outbox sweeper sends the event (see `outbox`).
    pub async fn submit_ticket(
        &self,
        slug: &WorkspaceSlug,
        new: NewTicket,
        client: ClientAddress,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Receipt, SubmitError> {
        self.submit_ticket_from(slug, new, client, idempotency_key, &RequestOrigin::default()).await
    }

    /// [`Portal::submit_ticket`] for a request whose headers say where it comes
    /// from: from another site (the widget) it is refused unless the workspace
    /// allows that site.
    /// The workspace is read in the first round trip, beside the rate limiter
    /// and the idempotency lookup, so the check adds no sequential round trip;
    /// a refused request may still have counted against its client's limit.
    /// A replay (a known idempotency key) is admitted like any submission: it
    /// counts, and over the limit it is refused too.
    pub async fn submit_ticket_from(
        &self,
        slug: &WorkspaceSlug,
        new: NewTicket,
        client: ClientAddress,
        idempotency_key: Option<&IdempotencyKey>,
        origin: &RequestOrigin,
    ) -> Result<Receipt, SubmitError> {
        let fingerprint = new.fingerprint();
        let limit = Limit::submissions(self.config.submit_limit_per_hour);
        let subject = Subject::Client(client);
        let (admission, earlier, cors) = tokio::join!(
            self.limiter.admit(limit, &subject),
            async {
                match idempotency_key {
                    Some(k) => self.store.find_idempotent(slug, k.as_str()).await,
                    None => Ok(None),
                }
            },
            async {
                match origin.foreign() {
                    Some(_) => {
                        self.store.get_workspace(slug).await.map(|w| Some(w.map(|w| origin.cors(&w.widget_origins))))
                    }
                    None => Ok(None),
                }
            }
        );
        match cors? {
            Some(None) => return Err(SubmitError::UnknownWorkspace),
            Some(Some(Cors::Refused)) => return Err(SubmitError::OriginNotAllowed),
            Some(Some(Cors::Allowed(_) | Cors::NotNeeded)) | None => {}
        }
        if let Admission::Limited { retry_after_secs } = admission? {
            return Err(SubmitError::RateLimited { retry_after_secs });
        }
        if let Some(earlier) = earlier? {
            return self.replay(slug, &fingerprint, earlier).await;
        }
        let (workspace, reference) = self.store.take_ticket_number(slug).await?.ok_or(SubmitError::UnknownWorkspace)?;
        let ticket = new_ticket_record(&workspace, reference, new, Channel::Portal, self.clock.now_unix());
        let event = PortalEvent::new(EventKind::TicketCreated, slug.clone(), reference, &ticket.id);
        let idempotency = idempotency_key.map(|k| (k.as_str(), fingerprint.as_str()));
        let (written, ()) = tokio::join!(self.store.create_ticket(&ticket, idempotency, &event), self.announce(&event));
        match written {
            Ok(()) => {}
            Err(CreateTicketError::IdempotencyKeyTaken) => {
                // A concurrent twin of this request won; answer with its ticket.
                let key = idempotency_key.map(IdempotencyKey::as_str).unwrap_or_default();
                let earlier = self.store.find_idempotent(slug, key).await?;
                return match earlier {
                    Some(earlier) => self.replay(slug, &fingerprint, earlier).await,
                    None => Err(SubmitError::IdempotencyRecordVanished),
                };
            }
            Err(CreateTicketError::Aws(err)) => return Err(err.into()),
        }
        tracing::info!(workspace = %slug, reference = %reference, "ticket created");
        Ok(Receipt { workspace, reference, ticket_id: ticket.id, status: ticket.status, replayed: false })
    }

    async fn replay(
        &self,
        slug: &WorkspaceSlug,
        fingerprint: &str,
        earlier: IdempotencyRecord,
    ) -> Result<Receipt, SubmitError> {
        if !constant_time_eq(&earlier.fingerprint, fingerprint) {
            return Err(SubmitError::IdempotencyConflict);
        }
        // The first attempt's send may have failed: send the event again if
        // the worker has not acknowledged it (the sweeper would, later).
        let event = PortalEvent::new(EventKind::TicketCreated, slug.clone(), earlier.reference, &earlier.id);
        let (workspace, ticket, pending) = tokio::join!(
            self.store.get_workspace(slug),
            self.store.get_ticket(slug, earlier.reference),
            self.store.outbox_pending(&event)
        );
        self.announce_if_undelivered(pending, &event).await;
        let workspace = workspace?.ok_or(SubmitError::UnknownWorkspace)?;
        let status = ticket?.map(|t| t.status).unwrap_or(Status::Open);
        tracing::info!(workspace = %slug, reference = %earlier.reference, "submission replayed");
        Ok(Receipt { workspace, reference: earlier.reference, ticket_id: earlier.id, status, replayed: true })
    }
}

/// A new ticket as the spec defines it: Open, Medium, from `channel`.
pub(super) fn new_ticket_record(
    workspace: &Workspace,
    reference: TicketRef,
    new: NewTicket,
    channel: Channel,
    now: i64,
) -> Ticket {
    let email_normalized = new.email.normalized();
    Ticket {
        id: Ulid::new().to_string(),
        workspace: workspace.slug.clone(),
        reference,
        name: new.name.to_string(),
        email: new.email.to_string(),
        contact_id: keys::contact_id(&email_normalized),
        email_normalized,
        subject: new.subject.to_string(),
        description: new.description.map(|d| d.to_string()),
        ticket_type: new.ticket_type,
        status: Status::Open,
        priority: Priority::Medium,
        channel,
        assignee: None,
        assignee_name: None,
        created_at: now,
        updated_at: now,
        resolution: None,
        rating: None,
        no_auto_reply: false,
    }
}

//! Submitting a ticket: the form, the JSON API and the widget all come here.

use ulid::Ulid;

use super::error::{unavailable_from_aws, Unavailable};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::client::ClientAddress;
use crate::domain::limits::Limit;
use crate::domain::origin::{Cors, RequestOrigin};
use crate::domain::secrets::constant_time_eq;
use crate::domain::{
    Channel, ContactId, EventKind, IdempotencyKey, NewTicket, PortalEvent, Priority, Status, Ticket, TicketRef,
    Workspace, WorkspaceSlug,
};
use crate::limiter::{Admission, Subject};
use crate::store::{ClaimedKey, CreateTicketError, IdempotencyRecord, KeyClaim, Remembered};

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
    /// The key was taken, yet its record cannot be read (the copy that held it failed).
    #[error("the idempotency record of an earlier submission vanished")]
    IdempotencyRecordVanished,
    /// Another copy of this submission holds its key and has not finished yet.
    #[error("another copy of this submission is still being processed")]
    InProgress,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(SubmitError);

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
    ///
    /// The first round trip reads the workspace (cross-origin only), admits the
    /// client and claims the idempotency key, side by side; nothing is spent
    /// before all three agree. Copies of one submission (a double click, a
    /// retry, ten at once) meet on the key: one takes the ticket number, the
    /// others wait for its ticket and answer with it, so no number is lost to
    /// them and no event is announced for a ticket never written. A refused
    /// request gives its claim back. A replay counts against its client's
    /// limit like any submission, and over the limit it is refused too.
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
        let (admission, claim, cors) = tokio::join!(
            self.limiter.admit(limit, &subject),
            async {
                match idempotency_key {
                    Some(k) => self.store.claim_idempotent(slug, k.as_str(), &fingerprint).await.map(Some),
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
        let claim = claim?;
        let won = match &claim {
            Some(KeyClaim::Won(key)) => Some(key),
            _ => None,
        };
        let admitted = (|| {
            match cors? {
                Some(None) => return Err(SubmitError::UnknownWorkspace),
                Some(Some(Cors::Refused)) => return Err(SubmitError::OriginNotAllowed),
                Some(Some(Cors::Allowed(_) | Cors::NotNeeded)) | None => {}
            }
            match admission? {
                Admission::Limited { retry_after_secs } => Err(SubmitError::RateLimited { retry_after_secs }),
                Admission::Admitted => Ok(()),
            }
        })();
        if let Err(refused) = admitted {
            self.give_key_back(slug, won).await;
            return Err(refused);
        }
        let key = idempotency_key.map(IdempotencyKey::as_str).unwrap_or_default();
        match claim {
            Some(KeyClaim::Held(Remembered::Done(earlier))) => self.replay(slug, &fingerprint, earlier).await,
            Some(KeyClaim::Held(Remembered::Claimed { fingerprint: theirs })) => {
                if !constant_time_eq(&theirs, &fingerprint) {
                    return Err(SubmitError::IdempotencyConflict);
                }
                let earlier = self.twin_ticket(slug, key).await?;
                self.replay(slug, &fingerprint, earlier).await
            }
            Some(KeyClaim::Won(_)) | None => match self.create_submitted(slug, new, won).await {
                Ok(Created::Made(receipt)) => Ok(receipt),
                Ok(Created::TakenOver) => {
                    // Our claim went stale and another copy took it: its ticket is the answer.
                    let earlier = self.twin_ticket(slug, key).await?;
                    self.replay(slug, &fingerprint, earlier).await
                }
                Err(err) => {
                    self.give_key_back(slug, won).await;
                    Err(err)
                }
            },
        }
    }

    /// Takes the number and writes the ticket (with the claimed key's record
    /// and the outbox event), sending the event alongside.
    async fn create_submitted(
        &self,
        slug: &WorkspaceSlug,
        new: NewTicket,
        claimed: Option<&ClaimedKey>,
    ) -> Result<Created, SubmitError> {
        let (workspace, reference) = self.store.take_ticket_number(slug).await?.ok_or(SubmitError::UnknownWorkspace)?;
        let ticket = new_ticket_record(&workspace, reference, new, Channel::Portal, self.clock.now_unix());
        let event = PortalEvent::new(EventKind::TicketCreated, slug.clone(), reference, &ticket.id);
        let (written, ()) = tokio::join!(self.store.create_ticket(&ticket, claimed, &event), self.announce(&event));
        match written {
            Ok(()) => {}
            Err(CreateTicketError::IdempotencyKeyTaken) => return Ok(Created::TakenOver),
            Err(CreateTicketError::Aws(err)) => return Err(err.into()),
        }
        tracing::info!(workspace = %slug, reference = %reference, "ticket created");
        Ok(Created::Made(Receipt {
            workspace,
            reference,
            ticket_id: ticket.id,
            status: ticket.status,
            replayed: false,
        }))
    }

    /// The ticket a twin request holding `key` makes, waiting for it a few
    /// seconds (a double click's first copy is usually a few milliseconds
    /// ahead). A twin that failed gave the key back: this copy fails too,
    /// and its retry claims the key afresh.
    async fn twin_ticket(&self, slug: &WorkspaceSlug, key: &str) -> Result<IdempotencyRecord, SubmitError> {
        match self.twin(slug, key).await? {
            Twin::Made(record) => Ok(record),
            Twin::Failed => Err(SubmitError::IdempotencyRecordVanished),
            Twin::StillRunning => Err(SubmitError::InProgress),
        }
    }

    /// What the twin holding `key` came to, polled for a few seconds.
    pub(super) async fn twin(&self, slug: &WorkspaceSlug, key: &str) -> Result<Twin, AwsError> {
        for _ in 0..TWIN_POLLS {
            tokio::time::sleep(TWIN_POLL_INTERVAL).await;
            match self.store.remembered(slug, key).await? {
                Some(Remembered::Done(record)) => return Ok(Twin::Made(record)),
                Some(Remembered::Claimed { .. }) => {}
                None => return Ok(Twin::Failed),
            }
        }
        Ok(Twin::StillRunning)
    }

    /// Gives back a key this request claimed and spent nothing on (logged, not
    /// failed: an unreleased claim only delays a retry until it is stale).
    async fn give_key_back(&self, slug: &WorkspaceSlug, won: Option<&ClaimedKey>) {
        let Some(claim) = won else { return };
        if let Err(err) = self.store.release_idempotent(slug, claim).await {
            tracing::warn!(workspace = %slug, error = %err, "idempotency claim not given back; it goes stale");
        }
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

/// What became of a twin request that holds the same idempotency key.
pub(super) enum Twin {
    Made(IdempotencyRecord),
    /// It gave the key back: it made nothing.
    Failed,
    /// Still holding the key after the wait.
    StillRunning,
}

/// What writing a submitted ticket came to.
enum Created {
    Made(Receipt),
    /// The claimed key went stale before the write and another copy took it.
    TakenOver,
}

/// How long a copy of a submission waits for its twin's ticket: 20 polls
/// 150 ms apart, 3 s, well inside the HTTP functions' 10 s.
const TWIN_POLLS: usize = 20;
const TWIN_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(150);

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
        contact_id: ContactId::of(&email_normalized).into_string(),
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

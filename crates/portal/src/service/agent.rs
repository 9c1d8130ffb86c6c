//! What agents do to tickets (through `portalctl`): comment publicly or
//! internally, change status, resolve, assign. The same domain rules as the
//! portal, and the same worker messages.
//!
//! Each action queues its message *before* writing: if queueing fails nothing
//! was written and the agent can simply retry; if the write then fails, the
//! worker drops the message once it is clearly orphaned (see docs/EVENTS.md).

use ulid::Ulid;

use crate::aws::AwsError;
use crate::domain::{
    Agent, Author, Comment, EventKind, MessageBody, PortalEvent, Resolution, Status, Ticket, TicketRef, Visibility,
    WorkspaceSlug,
};
use crate::store::{StatusChange, TicketWriteError};
use crate::Portal;

#[derive(Debug, thiserror::Error)]
pub enum AgentActionError {
    #[error("no ticket {reference} in workspace {workspace}")]
    UnknownTicket { workspace: WorkspaceSlug, reference: TicketRef },
    #[error("no agent {0:?} in this workspace")]
    UnknownAgent(String),
    #[error("a {from} ticket cannot be moved to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("resolve the ticket with a resolution text instead (portalctl ticket resolve)")]
    ResolutionRequired,
    #[error("the ticket kept changing; try again")]
    Contended,
    #[error(transparent)]
    Unavailable(#[from] AwsError),
}

const STALE_RETRIES: usize = 4;

impl Portal {
    async fn ticket_for_agent(&self, slug: &WorkspaceSlug, reference: TicketRef) -> Result<Ticket, AgentActionError> {
        self.store
            .get_ticket(slug, reference)
            .await?
            .ok_or_else(|| AgentActionError::UnknownTicket { workspace: slug.clone(), reference })
    }

    /// Finds an agent of the workspace by id.
    pub async fn agent(&self, slug: &WorkspaceSlug, agent_id: &str) -> Result<Agent, AgentActionError> {
        self.store
            .list_agents(slug)
            .await?
            .into_iter()
            .find(|a| a.id == agent_id)
            .ok_or_else(|| AgentActionError::UnknownAgent(agent_id.to_owned()))
    }

    /// A public comment (emailed to the customer) or an internal note (never shown to them).
    pub async fn agent_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        agent: &Agent,
        body: MessageBody,
        visibility: Visibility,
    ) -> Result<Comment, AgentActionError> {
        let comment = Comment {
            id: Ulid::new().to_string(),
            author: Author::Agent { id: agent.id.clone(), name: agent.name.clone() },
            body: body.to_string(),
            visibility,
            created_at: self.clock.now_unix(),
        };
        if visibility == Visibility::Public {
            let event = PortalEvent::new(EventKind::AgentReplied, slug.clone(), reference, &comment.id);
            self.queue.publish(&event).await?;
        }
        for _ in 0..STALE_RETRIES {
            let ticket = self.ticket_for_agent(slug, reference).await?;
            let keep = StatusChange { expected: ticket.status, next: ticket.status, resolution: None };
            match self.store.add_comment(slug, reference, &comment, &keep, None).await {
                Ok(()) => return Ok(comment),
                Err(TicketWriteError::Stale) => continue,
                Err(TicketWriteError::IdempotencyKeyTaken) => return Err(AgentActionError::Contended),
                Err(TicketWriteError::Aws(err)) => return Err(err.into()),
            }
        }
        Err(AgentActionError::Contended)
    }

    /// Moves a ticket along the allowed transitions (not to Resolved: see [`Portal::resolve`]).
    pub async fn change_status(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        next: Status,
    ) -> Result<Status, AgentActionError> {
        if next == Status::Resolved {
            return Err(AgentActionError::ResolutionRequired);
        }
        for _ in 0..STALE_RETRIES {
            let ticket = self.ticket_for_agent(slug, reference).await?;
            if !ticket.status.agent_can_move_to(next) {
                return Err(AgentActionError::InvalidTransition { from: ticket.status, to: next });
            }
            let change = StatusChange { expected: ticket.status, next, resolution: None };
            match self.store.change_status(slug, reference, &change).await {
                Ok(()) => return Ok(ticket.status),
                Err(TicketWriteError::Stale) => continue,
                Err(TicketWriteError::IdempotencyKeyTaken) => return Err(AgentActionError::Contended),
                Err(TicketWriteError::Aws(err)) => return Err(err.into()),
            }
        }
        Err(AgentActionError::Contended)
    }

    /// Resolves the ticket with a resolution the customer will see, and sends
    /// them the Rate Your Experience email (through the worker).
    pub async fn resolve(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        agent: &Agent,
        text: MessageBody,
    ) -> Result<Resolution, AgentActionError> {
        let resolution = Resolution {
            id: Ulid::new().to_string(),
            text: text.to_string(),
            at: self.clock.now_unix(),
            by: agent.name.clone(),
        };
        let event = PortalEvent::new(EventKind::TicketResolved, slug.clone(), reference, &resolution.id);
        self.queue.publish(&event).await?;
        for _ in 0..STALE_RETRIES {
            let ticket = self.ticket_for_agent(slug, reference).await?;
            if !ticket.status.agent_can_move_to(Status::Resolved) {
                return Err(AgentActionError::InvalidTransition { from: ticket.status, to: Status::Resolved });
            }
            let change =
                StatusChange { expected: ticket.status, next: Status::Resolved, resolution: Some(resolution.clone()) };
            match self.store.change_status(slug, reference, &change).await {
                Ok(()) => return Ok(resolution),
                Err(TicketWriteError::Stale) => continue,
                Err(TicketWriteError::IdempotencyKeyTaken) => return Err(AgentActionError::Contended),
                Err(TicketWriteError::Aws(err)) => return Err(err.into()),
            }
        }
        Err(AgentActionError::Contended)
    }

    /// Assigns the ticket to an agent of its workspace.
    pub async fn assign_ticket(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        agent_id: &str,
    ) -> Result<Agent, AgentActionError> {
        let agent = self.agent(slug, agent_id).await?;
        if self.store.assign(slug, reference, &agent).await? {
            Ok(agent)
        } else {
            Err(AgentActionError::UnknownTicket { workspace: slug.clone(), reference })
        }
    }
}

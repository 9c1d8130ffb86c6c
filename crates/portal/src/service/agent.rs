//! What agents do (through `portalctl`): read tickets and their inbox,
//! comment publicly or internally, change status, resolve, assign. The same
//! domain rules as the portal, and the same worker messages.
//!
//! Each action that announces an event (a public comment, a resolution)
//! records it in the outbox in its own transaction, then sends it: a failed
//! send is left to the outbox sweeper, so the agent sees success and nobody
//! has to retry (see docs/EVENTS.md).

use ulid::Ulid;

use super::error::{unavailable_from_aws, Unavailable};
use super::retry::{until_fresh, Attempt, Contended};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::{
    Actor, Agent, Comment, EventKind, InboxItem, MessageBody, PortalEvent, Resolution, Status, Ticket, TicketRef,
    Visibility, Workspace, WorkspaceSlug,
};
use crate::store::{CommentWrite, StatusChange, TicketWriteError};

#[derive(Debug, thiserror::Error)]
pub enum AgentActionError {
    #[error("no workspace {0}")]
    UnknownWorkspace(WorkspaceSlug),
    #[error("no ticket {reference} in workspace {workspace}")]
    UnknownTicket { workspace: WorkspaceSlug, reference: TicketRef },
    #[error("no agent {0:?} in this workspace")]
    UnknownAgent(String),
    #[error("no notification {id} for {agent}")]
    UnknownNotification { agent: String, id: String },
    #[error("a {from} ticket cannot be moved to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("resolve the ticket with a resolution text instead (portalctl ticket resolve)")]
    ResolutionRequired,
    #[error(transparent)]
    Contended(#[from] Contended),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(AgentActionError);

/// The workspace's team as the actor.
fn team(workspace: &Workspace) -> Actor {
    Actor::Team { workspace_name: workspace.name.to_string() }
}

/// A ticket write of an agent action: stale means read again.
fn attempt(written: Result<(), TicketWriteError>) -> Result<Attempt<()>, AgentActionError> {
    match written {
        Ok(()) => Ok(Attempt::Done(())),
        Err(TicketWriteError::Stale) => Ok(Attempt::Stale),
        // Agent actions carry no idempotency key.
        Err(TicketWriteError::IdempotencyKeyTaken) => Err(Contended.into()),
        Err(TicketWriteError::Aws(err)) => Err(err.into()),
        // Only customers' replies carry charges and count towards the cap.
        Err(TicketWriteError::OverLimit(_) | TicketWriteError::Full) => {
            Err(AwsError::unusable_answer("TransactWriteItems agent comment", "refused by a customer's limit").into())
        }
    }
}

impl Portal {
    async fn current_ticket(&self, slug: &WorkspaceSlug, reference: TicketRef) -> Result<Ticket, AgentActionError> {
        self.store
            .get_ticket(slug, reference)
            .await?
            .ok_or_else(|| AgentActionError::UnknownTicket { workspace: slug.clone(), reference })
    }

    /// The ticket with its whole conversation, internal notes included (for
    /// agents only: nothing here may reach a customer). One round trip.
    pub async fn ticket_for_agent(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
    ) -> Result<(Ticket, Vec<Comment>), AgentActionError> {
        self.store
            .ticket_with_comments(slug, reference)
            .await?
            .ok_or_else(|| AgentActionError::UnknownTicket { workspace: slug.clone(), reference })
    }

    /// The workspace's tickets, newest first, optionally only those in `status`.
    pub async fn list_tickets(
        &self,
        slug: &WorkspaceSlug,
        status: Option<Status>,
    ) -> Result<Vec<Ticket>, AgentActionError> {
        let (workspace, tickets) = tokio::join!(self.store.get_workspace(slug), self.store.list_tickets(slug));
        if workspace?.is_none() {
            return Err(AgentActionError::UnknownWorkspace(slug.clone()));
        }
        Ok(tickets?.into_iter().filter(|t| status.is_none_or(|s| t.status == s)).collect())
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

    /// Who acts on a ticket: the agent named (who must exist), else the
    /// ticket's assignee, else the workspace's team (DESIGN.md section 4: an
    /// agent action never requires a name). One round trip.
    pub async fn acting(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        named: Option<&str>,
    ) -> Result<Actor, AgentActionError> {
        let (ticket, workspace, agents) = tokio::join!(
            self.store.get_ticket(slug, reference),
            self.store.get_workspace(slug),
            self.store.list_agents(slug)
        );
        let workspace = workspace?.ok_or_else(|| AgentActionError::UnknownWorkspace(slug.clone()))?;
        let ticket = ticket?.ok_or_else(|| AgentActionError::UnknownTicket { workspace: slug.clone(), reference })?;
        let agents = agents?;
        let find = |id: &str| agents.iter().find(|a| a.id == id).cloned();
        match (named, ticket.assignee.as_deref()) {
            (Some(id), _) => find(id).map(Actor::Agent).ok_or_else(|| AgentActionError::UnknownAgent(id.to_owned())),
            // An assignee removed since stays on the ticket: the team answers for it.
            (None, Some(id)) => Ok(find(id).map_or_else(|| team(&workspace), Actor::Agent)),
            (None, None) => Ok(team(&workspace)),
        }
    }

    /// An agent's notifications, newest first, after marking `mark_read` (one
    /// of them) and, with `mark_all`, every one read.
    pub async fn inbox(
        &self,
        slug: &WorkspaceSlug,
        agent_id: &str,
        mark_read: Option<&str>,
        mark_all: bool,
    ) -> Result<Vec<InboxItem>, AgentActionError> {
        self.agent(slug, agent_id).await?;
        if let Some(id) = mark_read {
            if !self.store.mark_read(slug, agent_id, id).await? {
                return Err(AgentActionError::UnknownNotification { agent: agent_id.to_owned(), id: id.to_owned() });
            }
        }
        if mark_all {
            for item in self.store.inbox(slug, agent_id).await?.iter().filter(|i| !i.read) {
                self.store.mark_read(slug, agent_id, &item.id).await?;
            }
        }
        Ok(self.store.inbox(slug, agent_id).await?)
    }

    /// A public comment (emailed to the customer) or an internal note (never shown to them).
    pub async fn agent_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        actor: &Actor,
        body: MessageBody,
        visibility: Visibility,
    ) -> Result<Comment, AgentActionError> {
        let comment = Comment {
            id: Ulid::new().to_string(),
            author: actor.author(),
            body: body.to_string(),
            visibility,
            created_at: self.clock.now_unix(),
        };
        // Internal notes announce nothing: no customer ever hears of them.
        let event = (visibility == Visibility::Public)
            .then(|| PortalEvent::new(EventKind::AgentReplied, slug.clone(), reference, &comment.id));
        let (comment_ref, event_ref) = (&comment, event.as_ref());
        until_fresh(move || async move {
            let ticket = self.current_ticket(slug, reference).await?;
            let keep = StatusChange { expected: ticket.status, next: ticket.status, resolution: None };
            attempt(
                self.store
                    .add_comment(
                        slug,
                        reference,
                        comment_ref,
                        CommentWrite { event: event_ref, ..CommentWrite::new(&keep) },
                    )
                    .await,
            )
        })
        .await?;
        if let Some(event) = &event {
            self.announce(event).await;
        }
        Ok(comment)
    }

    /// Moves a ticket along the allowed transitions (not to Resolved: see
    /// [`Portal::resolve`]), and answers the status it had.
    pub async fn change_status(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        next: Status,
    ) -> Result<Status, AgentActionError> {
        if next == Status::Resolved {
            return Err(AgentActionError::ResolutionRequired);
        }
        until_fresh(move || async move {
            let ticket = self.current_ticket(slug, reference).await?;
            if !ticket.status.agent_can_move_to(next) {
                return Err(AgentActionError::InvalidTransition { from: ticket.status, to: next });
            }
            let change = StatusChange { expected: ticket.status, next, resolution: None };
            let written = attempt(self.store.change_status(slug, reference, &change, None).await)?;
            Ok(match written {
                Attempt::Done(()) => Attempt::Done(ticket.status),
                Attempt::Stale => Attempt::Stale,
            })
        })
        .await
    }

    /// Resolves the ticket with a resolution the customer will see, and sends
    /// them the Rate Your Experience email (through the worker).
    pub async fn resolve(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        actor: &Actor,
        text: MessageBody,
    ) -> Result<Resolution, AgentActionError> {
        let resolution = Resolution {
            id: Ulid::new().to_string(),
            text: text.to_string(),
            at: self.clock.now_unix(),
            by: actor.name().to_owned(),
        };
        let event = PortalEvent::new(EventKind::TicketResolved, slug.clone(), reference, &resolution.id);
        let (resolution_ref, event_ref) = (&resolution, &event);
        until_fresh(move || async move {
            let ticket = self.current_ticket(slug, reference).await?;
            if !ticket.status.agent_can_move_to(Status::Resolved) {
                return Err(AgentActionError::InvalidTransition { from: ticket.status, to: Status::Resolved });
            }
            let change = StatusChange {
                expected: ticket.status,
                next: Status::Resolved,
                resolution: Some(resolution_ref.clone()),
            };
            attempt(self.store.change_status(slug, reference, &change, Some(event_ref)).await)
        })
        .await?;
        self.announce(&event).await;
        Ok(resolution)
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

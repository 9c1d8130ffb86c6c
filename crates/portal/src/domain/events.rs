//! Messages from the portal functions and the CLI to the assign-worker (SQS).
//!
//! Wire format, version 1 (documented in docs/EVENTS.md, samples in events/):
//! `{"v":1,"kind":"ticket_created","workspace":"demo","reference":"TKT-0001","id":"<ULID>"}`.
//! `id` names the thing that happened (the ticket, the comment, the resolution),
//! so a redelivered or re-sent message has the same id and its effects run once.

use serde::{Deserialize, Serialize};

use super::ticket::TicketRef;
use super::workspace::WorkspaceSlug;

pub const EVENT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Assign, notify the agent, confirm to the customer.
    TicketCreated,
    /// Notify the assigned agent's inbox.
    CustomerReplied,
    /// Email the customer the agent's public reply.
    AgentReplied,
    /// Send the Rate Your Experience email.
    TicketResolved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TicketCreated => "ticket_created",
            EventKind::CustomerReplied => "customer_replied",
            EventKind::AgentReplied => "agent_replied",
            EventKind::TicketResolved => "ticket_resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalEvent {
    pub v: u32,
    pub kind: EventKind,
    pub workspace: WorkspaceSlug,
    pub reference: TicketRef,
    /// Ticket id, comment id or resolution id, by kind.
    pub id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BadEvent {
    #[error("not a portal event: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("unsupported event version {0}")]
    Version(u32),
}

impl PortalEvent {
    pub fn new(kind: EventKind, workspace: WorkspaceSlug, reference: TicketRef, id: impl Into<String>) -> Self {
        Self { v: EVENT_VERSION, kind, workspace, reference, id: id.into() }
    }

    pub fn to_json(&self) -> String {
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse(body: &str) -> Result<Self, BadEvent> {
        let event: Self = serde_json::from_str(body)?;
        if event.v != EVENT_VERSION {
            return Err(BadEvent::Version(event.v));
        }
        Ok(event)
    }

    /// SQS FIFO-free dedup key for one effect of this event.
    pub fn effect_key(&self, effect: &str) -> String {
        format!("{}#{}#{}#{}#{}", self.workspace, self.reference, self.kind.as_str(), self.id, effect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_versions() {
        let event = PortalEvent::new(
            EventKind::TicketCreated,
            WorkspaceSlug::parse("demo").unwrap(),
            TicketRef::from_number(1).unwrap(),
            "01J",
        );
        let json = event.to_json();
        assert_eq!(json, r#"{"v":1,"kind":"ticket_created","workspace":"demo","reference":"TKT-0001","id":"01J"}"#);
        assert_eq!(PortalEvent::parse(&json).unwrap(), event);
        assert!(matches!(PortalEvent::parse(&json.replace("\"v\":1", "\"v\":2")), Err(BadEvent::Version(2))));
        assert!(PortalEvent::parse("{}").is_err());
        assert!(PortalEvent::parse(&json.replace("TKT-0001", "../x")).is_err());
    }
}

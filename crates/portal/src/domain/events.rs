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
    /// Email an access link if the address has tickets (its own message
    /// shape: [`AccessRequested`]).
    AccessRequested,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TicketCreated => "ticket_created",
            EventKind::CustomerReplied => "customer_replied",
            EventKind::AgentReplied => "agent_replied",
            EventKind::TicketResolved => "ticket_resolved",
            EventKind::AccessRequested => "access_requested",
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
    #[error("a {0} message does not have this shape")]
    Kind(&'static str),
}

/// A queue message as JSON. Serializing plain strings and numbers cannot fail.
pub(crate) fn message_json(message: &impl Serialize) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

/// Reads a queue message of one shape: its version `v` must be ours and its
/// `kind` one that shape carries.
pub(crate) fn parse_message<T: serde::de::DeserializeOwned>(
    body: &str,
    head: impl Fn(&T) -> (u32, EventKind),
    carries: impl Fn(EventKind) -> bool,
) -> Result<T, BadEvent> {
    let message: T = serde_json::from_str(body)?;
    match head(&message) {
        (v, _) if v != EVENT_VERSION => Err(BadEvent::Version(v)),
        (_, kind) if !carries(kind) => Err(BadEvent::Kind(kind.as_str())),
        _ => Ok(message),
    }
}

impl PortalEvent {
    pub fn new(kind: EventKind, workspace: WorkspaceSlug, reference: TicketRef, id: impl Into<String>) -> Self {
        Self { v: EVENT_VERSION, kind, workspace, reference, id: id.into() }
    }

    pub fn to_json(&self) -> String {
        message_json(self)
    }

    pub fn parse(body: &str) -> Result<Self, BadEvent> {
        parse_message(body, |e: &Self| (e.v, e.kind), |kind| kind != EventKind::AccessRequested)
    }

    /// SQS FIFO-free dedup key for one effect of this event.
    pub fn effect_key(&self, effect: &str) -> String {
        format!("{}#{}#{}#{}#{}", self.workspace, self.reference, self.kind.as_str(), self.id, effect)
    }
}

/// Any message on the events queue: a ticket's event, or an access request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerMessage {
    Ticket(PortalEvent),
    Access(AccessRequested),
}

/// Just enough of a message to tell its shape.
#[derive(Deserialize)]
struct Envelope {
    v: u32,
    kind: EventKind,
}

impl WorkerMessage {
    pub fn parse(body: &str) -> Result<Self, BadEvent> {
        let envelope: Envelope = serde_json::from_str(body)?;
        if envelope.v != EVENT_VERSION {
            return Err(BadEvent::Version(envelope.v));
        }
        Ok(match envelope.kind {
            EventKind::AccessRequested => WorkerMessage::Access(AccessRequested::parse(body)?),
            _ => WorkerMessage::Ticket(PortalEvent::parse(body)?),
        })
    }

    pub fn to_json(&self) -> String {
        match self {
            WorkerMessage::Ticket(event) => event.to_json(),
            WorkerMessage::Access(event) => event.to_json(),
        }
    }

    pub fn kind(&self) -> EventKind {
        match self {
            WorkerMessage::Ticket(event) => event.kind,
            WorkerMessage::Access(event) => event.kind,
        }
    }
}

impl From<PortalEvent> for WorkerMessage {
    fn from(event: PortalEvent) -> Self {
        WorkerMessage::Ticket(event)
    }
}

impl From<AccessRequested> for WorkerMessage {
    fn from(event: AccessRequested) -> Self {
        WorkerMessage::Access(event)
    }
}

/// The worker message of an access request:
/// `{"v":1,"kind":"access_requested","workspace":"demo","id":"<ULID>"}` (no
/// reference: the request item holds what the worker needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequested {
    pub v: u32,
    pub kind: EventKind,
    pub workspace: WorkspaceSlug,
    /// The access request's id.
    pub id: String,
}

impl AccessRequested {
    pub fn new(workspace: WorkspaceSlug, id: impl Into<String>) -> Self {
        Self { v: EVENT_VERSION, kind: EventKind::AccessRequested, workspace, id: id.into() }
    }

    pub fn to_json(&self) -> String {
        message_json(self)
    }

    pub fn parse(body: &str) -> Result<Self, BadEvent> {
        parse_message(body, |e: &Self| (e.v, e.kind), |kind| kind == EventKind::AccessRequested)
    }

    /// The ledger key of one effect of this message.
    pub fn effect_key(&self, effect: &str) -> String {
        format!("{}#{}#{}#{effect}", self.workspace, self.kind.as_str(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_carries_ticket_events_and_access_requests() {
        let access = r#"{"v":1,"kind":"access_requested","workspace":"demo","id":"01J"}"#;
        assert!(matches!(WorkerMessage::parse(access), Ok(WorkerMessage::Access(_))));
        assert_eq!(WorkerMessage::parse(access).unwrap().to_json(), access);
        let ticket = r#"{"v":1,"kind":"agent_replied","workspace":"demo","reference":"TKT-0001","id":"01J"}"#;
        assert!(matches!(WorkerMessage::parse(ticket), Ok(WorkerMessage::Ticket(_))));
        // An access request is no ticket event, even with a reference.
        let hybrid = r#"{"v":1,"kind":"access_requested","workspace":"demo","reference":"TKT-0001","id":"01J"}"#;
        assert!(PortalEvent::parse(hybrid).is_err());
        assert!(matches!(WorkerMessage::parse(&ticket.replace("\"v\":1", "\"v\":3")), Err(BadEvent::Version(3))));
        assert!(WorkerMessage::parse(r#"{"v":1,"kind":"unheard_of"}"#).is_err());
    }

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

    #[test]
    fn the_access_message_names_the_request_and_nothing_personal() {
        let event = AccessRequested::new(WorkspaceSlug::parse("demo").unwrap(), "01JACCESS");
        let json = event.to_json();
        assert_eq!(json, r#"{"v":1,"kind":"access_requested","workspace":"demo","id":"01JACCESS"}"#);
        assert_eq!(AccessRequested::parse(&json).unwrap(), event);
        assert!(AccessRequested::parse(&json.replace("access_requested", "ticket_created")).is_err());
        assert!(AccessRequested::parse(&json.replace("\"v\":1", "\"v\":2")).is_err());
        assert_eq!(event.effect_key("link_email"), "demo#access_requested#01JACCESS#link_email");
    }
}

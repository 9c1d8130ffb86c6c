//! Tickets: references, statuses and the rules that move a ticket between
//! them, and the ticket as stored.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::fields::TicketType;
use super::workspace::WorkspaceSlug;

/// A ticket's sequential number within its workspace, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketRef(u64);

impl TicketRef {
    /// Only positive numbers make a reference.
    pub fn from_number(n: u64) -> Option<Self> {
        (n >= 1).then_some(Self(n))
    }
    pub fn number(self) -> u64 {
        self.0
    }
    /// Parses the canonical form only (`TKT-0042`, `TKT-12345`), so that each
    /// ticket has exactly one reference string.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits = raw.strip_prefix("TKT-")?;
        if digits.len() < 4 || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        let candidate = Self::from_number(n)?;
        (candidate.to_string() == raw).then_some(candidate)
    }
}

impl fmt::Display for TicketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TKT-{:04}", self.0)
    }
}

impl FromStr for TicketRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("not a ticket reference: {s:?} (expected TKT-0042)"))
    }
}

impl TryFrom<String> for TicketRef {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<TicketRef> for String {
    fn from(value: TicketRef) -> Self {
        value.to_string()
    }
}

/// The five statuses of the spec, in their lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Open,
    #[serde(rename = "In Progress")]
    InProgress,
    Waiting,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Open, Status::InProgress, Status::Waiting, Status::Resolved, Status::Closed];

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::InProgress => "In Progress",
            Status::Waiting => "Waiting",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
        }
    }

    /// A CSS-friendly name for the status badge.
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in-progress",
            Status::Waiting => "waiting",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// Accepts `Open`, `in-progress`, `in_progress`, `In Progress`...
    pub fn parse(raw: &str) -> Option<Self> {
        let folded: String = raw.trim().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        Self::ALL.into_iter().find(|s| {
            let label: String = s.label().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            label.eq_ignore_ascii_case(&folded)
        })
    }

    /// Where an agent may move a ticket. Closed is final: a customer with a new
    /// problem opens a new ticket. Resolving goes through [`Status::Resolved`]
    /// with a resolution text, never through a bare status change.
    pub fn agent_can_move_to(self, next: Status) -> bool {
        self != next && self != Status::Closed
    }

    /// Whether the customer may still reply (Closed tickets take no replies).
    pub fn takes_replies(self) -> bool {
        self != Status::Closed
    }

    /// Whether a customer reply reopens the ticket (spec: on Resolved or Waiting).
    pub fn reopens_on_reply(self) -> bool {
        matches!(self, Status::Resolved | Status::Waiting)
    }

    /// What a customer reply does to the status.
    pub fn after_customer_reply(self) -> Result<Status, ReplyRefused> {
        if !self.takes_replies() {
            Err(ReplyRefused::Closed)
        } else if self.reopens_on_reply() {
            Ok(Status::Open)
        } else {
            Ok(self)
        }
    }

    /// Resolved or Closed: the resolution stands, so it is shown to the
    /// customer and its survey may go out.
    pub fn is_resolved(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The most customer messages one ticket takes: past it the conversation
/// would outgrow what a page (and a Lambda response) can carry.
pub const MAX_CUSTOMER_MESSAGES: u32 = 1000;

/// Why a customer cannot reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefused {
    #[error("This ticket is closed and can no longer take replies. Please submit a new ticket.")]
    Closed,
    #[error(
        "This ticket has reached its limit of {} customer messages and can take no more. Please submit a new ticket.",
        super::text::human_count(MAX_CUSTOMER_MESSAGES as usize)
    )]
    Full,
}

/// New tickets always start at Medium priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
    Urgent,
}

/// Where a ticket came from; the portal only ever creates `Portal` tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Channel {
    #[default]
    Portal,
    Email,
    Widget,
}

/// How a ticket was resolved: shown to the customer from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// Identifies this resolution (a ticket may be resolved, reopened and resolved
    /// again): the CSAT email of each is sent once.
    pub id: String,
    pub text: String,
    pub at: i64,
    pub by: String,
}

/// A customer's satisfaction rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    pub stars: u8,
    pub comment: Option<String>,
    pub at: i64,
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// ULID, time-ordered.
    pub id: String,
    pub workspace: WorkspaceSlug,
    pub reference: TicketRef,
    pub name: String,
    /// As the customer typed it; compare with [`Ticket::email_normalized`].
    pub email: String,
    pub email_normalized: String,
    pub contact_id: String,
    pub subject: String,
    pub description: Option<String>,
    pub ticket_type: TicketType,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolution: Option<Resolution>,
    pub rating: Option<Rating>,
    /// Opened by a mail whose sender asks for no automatic answers
    /// (`X-Auto-Response-Suppress`): the worker sends it no confirmation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_auto_reply: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_canonical() {
        assert_eq!(TicketRef::from_number(42).unwrap().to_string(), "TKT-0042");
        assert_eq!(TicketRef::from_number(12345).unwrap().to_string(), "TKT-12345");
        assert_eq!(TicketRef::parse("TKT-0042").unwrap().number(), 42);
        assert_eq!(TicketRef::parse("TKT-12345").unwrap().number(), 12345);
        for bad in ["TKT-42", "TKT-00042", "tkt-0042", "TKT-0000", "TKT-00a1", "TKT--001", "../etc", "TKT-0042/"] {
            assert_eq!(TicketRef::parse(bad), None, "{bad}");
        }
        assert!(TicketRef::from_number(0).is_none());
    }

    #[test]
    fn customer_reply_reopens_resolved_and_waiting_only() {
        assert_eq!(Status::Open.after_customer_reply(), Ok(Status::Open));
        assert_eq!(Status::InProgress.after_customer_reply(), Ok(Status::InProgress));
        assert_eq!(Status::Waiting.after_customer_reply(), Ok(Status::Open));
        assert_eq!(Status::Resolved.after_customer_reply(), Ok(Status::Open));
        assert_eq!(Status::Closed.after_customer_reply(), Err(ReplyRefused::Closed));
    }

    #[test]
    fn a_full_ticket_says_how_full() {
        assert!(ReplyRefused::Full.to_string().contains("limit of 1,000 customer messages"));
    }

    #[test]
    fn agents_cannot_move_closed_tickets_or_to_the_same_status() {
        assert!(Status::Open.agent_can_move_to(Status::InProgress));
        assert!(Status::Resolved.agent_can_move_to(Status::Open));
        assert!(!Status::Open.agent_can_move_to(Status::Open));
        assert!(!Status::Closed.agent_can_move_to(Status::Open));
    }

    #[test]
    fn statuses_parse_loosely_and_serialize_as_labels() {
        assert_eq!(Status::parse("in-progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("In Progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("RESOLVED"), Some(Status::Resolved));
        assert_eq!(Status::parse("done"), None);
        assert_eq!(serde_json::to_string(&Status::InProgress).unwrap(), "\"In Progress\"");
    }
}

//! Tickets: references, statuses and the rules that move a ticket between them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::fields::{CustomerName, EmailAddress, FieldErrors, MessageBody, Subject, TicketType};

/// A workspace slug: 1 to 63 of `a-z`, `0-9` and inner `-`. Anything else
/// (path traversal, upper case, percent escapes) is simply not a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspaceSlug(String);

impl WorkspaceSlug {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=63).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        ok.then(|| Self(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WorkspaceSlug {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("not a workspace slug: {value:?}"))
    }
}

impl From<WorkspaceSlug> for String {
    fn from(value: WorkspaceSlug) -> Self {
        value.0
    }
}

impl fmt::Display for WorkspaceSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

    /// What a customer reply does to the status (spec: a reply on Resolved or
    /// Waiting reopens the ticket; Closed tickets take no replies).
    pub fn after_customer_reply(self) -> Result<Status, ReplyRefused> {
        match self {
            Status::Closed => Err(ReplyRefused::Closed),
            Status::Resolved | Status::Waiting => Ok(Status::Open),
            other => Ok(other),
        }
    }

    /// Resolution details are shown from resolution on.
    pub fn shows_resolution(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a customer cannot reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefused {
    #[error("This ticket is closed and can no longer take replies. Please submit a new ticket.")]
    Closed,
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

/// A submission that passed every field rule: only [`NewTicket::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub name: CustomerName,
    pub email: EmailAddress,
    pub subject: Subject,
    pub description: Option<MessageBody>,
    pub ticket_type: TicketType,
}

/// The raw submission fields, exactly as typed, so a refused form can be shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubmissionInput {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub description: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
}

impl NewTicket {
    /// Applies every field rule at once so the customer sees all problems together.
    pub fn parse(input: &SubmissionInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", CustomerName::parse(&input.name));
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let subject = errors.check("subject", Subject::parse(&input.subject));
        let description = errors.check("description", MessageBody::parse_optional(&input.description, "description"));
        let ticket_type = errors.check("type", TicketType::parse(&input.ticket_type));
        match (name, email, subject, description, ticket_type) {
            (Some(name), Some(email), Some(subject), Some(description), Some(ticket_type)) if errors.is_empty() => {
                Ok(Self { name, email, subject, description, ticket_type })
            }
            _ => Err(errors),
        }
    }

    /// A digest of the submission's content: a replayed idempotency key must carry
    /// the same submission, or it is someone else's key.
    pub fn fingerprint(&self) -> String {
        let description = self.description.as_ref().map(MessageBody::as_str).unwrap_or("");
        super::secrets::sha256_hex(
            [self.name.as_str(), &self.email.normalized(), self.subject.as_str(), description, self.ticket_type.code()]
                .join("\u{1f}")
                .as_bytes(),
        )
    }
}

/// A client-chosen key that makes a retried submission return the first
/// one's ticket: 8 to 64 of `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let ok =
            (8..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }
    /// A fresh key for a form instance.
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_bounded_tokens() {
        assert!(IdempotencyKey::parse(IdempotencyKey::generate().as_str()).is_some());
        assert!(IdempotencyKey::parse("short").is_none());
        assert!(IdempotencyKey::parse("has space in it").is_none());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_none());
    }

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
    fn slugs_refuse_anything_path_like() {
        assert!(WorkspaceSlug::parse("demo").is_some());
        assert!(WorkspaceSlug::parse("acme-co-2").is_some());
        for bad in ["", "-demo", "demo-", "Demo", "..", "de/mo", "de%2fmo", &"a".repeat(64)] {
            assert!(WorkspaceSlug::parse(bad).is_none(), "{bad}");
        }
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

    #[test]
    fn new_ticket_collects_every_problem_at_once() {
        let errors =
            NewTicket::parse(&SubmissionInput { ticket_type: "nope".into(), ..Default::default() }).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["email", "name", "subject", "type"]);
    }

    #[test]
    fn fingerprint_ignores_email_case_but_not_content() {
        let input = SubmissionInput {
            name: "Ann".into(),
            email: "Ann@Example.com".into(),
            subject: "Help".into(),
            ..Default::default()
        };
        let a = NewTicket::parse(&input).unwrap();
        let b = NewTicket::parse(&SubmissionInput { email: "ann@example.com ".into(), ..input.clone() }).unwrap();
        let c = NewTicket::parse(&SubmissionInput { subject: "Other".into(), ..input }).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}

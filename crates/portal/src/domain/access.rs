//! Private access: links a customer asks for or finds in an email, the
//! session a link starts.
//!
//! A typed email is a guess anyone can make; a link proves that its holder
//! reads the address's mail. Every grant here is bound to one workspace and
//! one address (its contact), and lasts a fixed time.

use serde::{Deserialize, Serialize};

use super::ticket::{Status, TicketRef};
use super::time::link_expired;
use super::workspace::WorkspaceSlug;

/// How long an access link (asked for at `/portal/{slug}/access`) works.
pub const ACCESS_LINK_TTL_SECS: i64 = 30 * 60;
/// How long the private ticket link in a customer email works.
pub const TICKET_LINK_TTL_SECS: i64 = 14 * 24 * 3600;
/// How long a session started by a link lasts (the cookie's Max-Age).
pub const SESSION_TTL_SECS: i64 = 12 * 3600;
/// How long a queued access request waits for the worker before it is void.
pub const ACCESS_REQUEST_TTL_SECS: i64 = 3600;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "portal_session";

/// A customer's request for a link, as queued for the worker. The address
/// lives only here (briefly), never in the queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRequest {
    /// ULID; the worker message names it.
    pub id: String,
    pub workspace: WorkspaceSlug,
    /// As typed (trimmed): where the link goes.
    pub email: String,
    pub email_normalized: String,
    /// The ticket whose tracking page asked (link mode): the link opens it,
    /// and is sent only if it is the address's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<TicketRef>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl AccessRequest {
    pub fn new(
        id: String,
        workspace: WorkspaceSlug,
        email: &str,
        email_normalized: String,
        reference: Option<TicketRef>,
        now: i64,
    ) -> Self {
        Self {
            id,
            workspace,
            email: email.trim().to_owned(),
            email_normalized,
            reference,
            created_at: now,
            expires_at: now + ACCESS_REQUEST_TTL_SECS,
        }
    }

    /// A request the worker reaches after this long is void (no link is sent).
    pub fn is_void(&self, now: i64) -> bool {
        link_expired(self.expires_at, now)
    }
}

/// A signed-in customer (by link): one address of one workspace, for
/// [`SESSION_TTL_SECS`]. Stored under the hash of the cookie's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub workspace: WorkspaceSlug,
    pub contact_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Session {
    pub fn new(workspace: WorkspaceSlug, contact_id: &str, now: i64) -> Self {
        Self { workspace, contact_id: contact_id.to_owned(), created_at: now, expires_at: now + SESSION_TTL_SECS }
    }

    /// The contact this session opens in `workspace` at `now`: nothing in
    /// another workspace, nothing once expired.
    pub fn contact_in(&self, workspace: &WorkspaceSlug, now: i64) -> Option<&str> {
        (&self.workspace == workspace && !link_expired(self.expires_at, now)).then_some(self.contact_id.as_str())
    }
}

/// One line of My tickets: what the contact index projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummary {
    pub reference: TicketRef,
    pub subject: String,
    pub status: Status,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> WorkspaceSlug {
        WorkspaceSlug::parse("demo").unwrap()
    }

    #[test]
    fn sessions_open_their_own_workspace_for_twelve_hours() {
        let session = Session::new(demo(), "c1", 1_000);
        assert_eq!(session.contact_in(&demo(), 1_000 + SESSION_TTL_SECS - 1), Some("c1"));
        assert_eq!(session.contact_in(&demo(), 1_000 + SESSION_TTL_SECS), None);
        assert_eq!(session.contact_in(&WorkspaceSlug::parse("acme").unwrap(), 1_000), None);
    }

    #[test]
    fn requests_go_void_after_an_hour() {
        let request =
            AccessRequest::new("01J".into(), demo(), " Ann@Example.com ", "ann@example.com".into(), None, 1_000);
        assert_eq!(request.email, "Ann@Example.com");
        assert!(!request.is_void(1_000 + ACCESS_REQUEST_TTL_SECS - 1));
        assert!(request.is_void(1_000 + ACCESS_REQUEST_TTL_SECS));
    }
}

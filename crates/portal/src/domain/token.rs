//! One-time link tokens: what a link in an email opens, for how long. The
//! token itself travels only in the link; the store keeps its hash
//! ([`super::secrets::token_hash`]).

use serde::{Deserialize, Serialize};

use super::access::{ACCESS_LINK_TTL_SECS, TICKET_LINK_TTL_SECS};
use super::csat::{link_expired, CSAT_LINK_TTL_SECS};
use super::ticket::TicketRef;
use super::workspace::WorkspaceSlug;

/// What a link token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenPurpose {
    /// The Rate Your Experience survey of one resolution.
    Csat,
    /// My tickets: every ticket of one address in one workspace (the link a
    /// customer asks for; 30 minutes).
    Access,
    /// The same, opening one ticket first (the link in every customer email; 14 days).
    TicketLink,
}

/// A stored link token (its hash is the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkToken {
    pub purpose: TokenPurpose,
    pub workspace: WorkspaceSlug,
    /// The ticket: the survey's, the ticket link's; an access link may name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<TicketRef>,
    /// The resolution a survey is about (empty for other purposes).
    #[serde(default)]
    pub subject_id: String,
    /// The address (contact) an access or ticket link is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl LinkToken {
    /// The survey link of resolution `resolution_id`, issued at `now`.
    pub fn survey(workspace: WorkspaceSlug, reference: TicketRef, resolution_id: &str, now: i64) -> Self {
        Self {
            purpose: TokenPurpose::Csat,
            workspace,
            reference: Some(reference),
            subject_id: resolution_id.to_owned(),
            contact_id: None,
            expires_at: now + CSAT_LINK_TTL_SECS,
            used_at: None,
        }
    }

    /// The access link a customer asked for: every ticket of `contact_id`
    /// (opening `reference` first, if named), for 30 minutes from `now`.
    pub fn access(workspace: WorkspaceSlug, contact_id: &str, reference: Option<TicketRef>, now: i64) -> Self {
        Self {
            purpose: TokenPurpose::Access,
            workspace,
            reference,
            subject_id: String::new(),
            contact_id: Some(contact_id.to_owned()),
            expires_at: now + ACCESS_LINK_TTL_SECS,
            used_at: None,
        }
    }

    /// The private link of `reference` in a customer email, for 14 days from `now`.
    pub fn ticket_link(workspace: WorkspaceSlug, contact_id: &str, reference: TicketRef, now: i64) -> Self {
        Self {
            purpose: TokenPurpose::TicketLink,
            expires_at: now + TICKET_LINK_TTL_SECS,
            ..Self::access(workspace, contact_id, Some(reference), now)
        }
    }

    /// Whether this token opens a `purpose` link of `workspace` at `now`: a
    /// token of another kind or workspace opens nothing, like an expired one.
    pub fn opens(&self, purpose: TokenPurpose, workspace: &WorkspaceSlug, now: i64) -> bool {
        self.purpose == purpose && &self.workspace == workspace && !link_expired(self.expires_at, now)
    }

    /// The contact whose tickets this token opens in `workspace` at `now`:
    /// access and ticket links only, unexpired, of that workspace.
    pub fn opens_tickets_of(&self, workspace: &WorkspaceSlug, now: i64) -> Option<&str> {
        let grants_access = matches!(self.purpose, TokenPurpose::Access | TokenPurpose::TicketLink);
        let open = grants_access && &self.workspace == workspace && !link_expired(self.expires_at, now);
        self.contact_id.as_deref().filter(|_| open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> WorkspaceSlug {
        WorkspaceSlug::parse("demo").unwrap()
    }

    #[test]
    fn a_survey_token_opens_its_survey_for_seven_days_only() {
        let token = LinkToken::survey(demo(), TicketRef::from_number(1).unwrap(), "r1", 1_000);
        assert_eq!(token.expires_at, 1_000 + CSAT_LINK_TTL_SECS);
        assert!(token.opens(TokenPurpose::Csat, &demo(), 1_000 + CSAT_LINK_TTL_SECS - 1));
        assert!(!token.opens(TokenPurpose::Csat, &demo(), 1_000 + CSAT_LINK_TTL_SECS));
        assert!(!token.opens(TokenPurpose::Csat, &WorkspaceSlug::parse("acme").unwrap(), 1_000));
        assert_eq!(token.opens_tickets_of(&demo(), 1_000), None, "a survey link opens no tickets");
    }

    #[test]
    fn access_links_open_one_address_of_one_workspace_until_they_expire() {
        let access = LinkToken::access(demo(), "c1", None, 1_000);
        assert_eq!(access.opens_tickets_of(&demo(), 1_000 + ACCESS_LINK_TTL_SECS - 1), Some("c1"));
        assert_eq!(access.opens_tickets_of(&demo(), 1_000 + ACCESS_LINK_TTL_SECS), None);
        assert_eq!(access.opens_tickets_of(&WorkspaceSlug::parse("acme").unwrap(), 1_000), None);
        assert!(!access.opens(TokenPurpose::Csat, &demo(), 1_000), "an access link is no survey");
        let link = LinkToken::ticket_link(demo(), "c1", TicketRef::from_number(7).unwrap(), 1_000);
        assert_eq!(link.purpose, TokenPurpose::TicketLink);
        assert_eq!(link.expires_at, 1_000 + TICKET_LINK_TTL_SECS);
        assert_eq!(link.reference, TicketRef::from_number(7));
        assert_eq!(link.opens_tickets_of(&demo(), 1_000 + TICKET_LINK_TTL_SECS - 1), Some("c1"));
    }

    #[test]
    fn purposes_are_stored_as_camel_case() {
        assert_eq!(serde_json::to_string(&TokenPurpose::Csat).unwrap(), "\"csat\"");
        assert_eq!(serde_json::to_string(&TokenPurpose::TicketLink).unwrap(), "\"ticketLink\"");
    }
}

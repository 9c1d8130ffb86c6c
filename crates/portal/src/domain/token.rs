//! One-time link tokens: what a link in an email opens, for how long. The
//! token itself travels only in the link; the store keeps its hash
//! ([`super::secrets::token_hash`]).

use serde::{Deserialize, Serialize};

use super::access::{ACCESS_LINK_TTL_SECS, TICKET_LINK_TTL_SECS};
use super::csat::CSAT_LINK_TTL_SECS;
use super::ticket::TicketRef;
use super::time::link_expired;
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
    /// A reply address (`reply+{token}@`): one ticket and the one recipient
    /// the email went to, whose answer by email it accepts.
    MailReply,
}

/// How long a reply address takes answers (after it, a reply from the
/// ticket's customer still threads by its subject).
pub const REPLY_ADDRESS_TTL_SECS: i64 = 90 * 24 * 3600;

/// Who an email with a reply address went to: only their answer is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyRecipient {
    /// The ticket's customer.
    Customer,
    /// The agent with this id.
    Agent(String),
}

impl ReplyRecipient {
    const CUSTOMER: &'static str = "customer";
    const AGENT_PREFIX: &'static str = "agent:";

    fn encode(&self) -> String {
        match self {
            Self::Customer => Self::CUSTOMER.to_owned(),
            Self::Agent(id) => format!("{}{id}", Self::AGENT_PREFIX),
        }
    }

    fn decode(raw: &str) -> Option<Self> {
        match raw.strip_prefix(Self::AGENT_PREFIX) {
            Some(id) if !id.is_empty() => Some(Self::Agent(id.to_owned())),
            Some(_) => None,
            None => (raw == Self::CUSTOMER).then_some(Self::Customer),
        }
    }
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

    /// The reply address of an email about `reference` to `recipient`, issued at `now`.
    pub fn mail_reply(workspace: WorkspaceSlug, reference: TicketRef, recipient: &ReplyRecipient, now: i64) -> Self {
        Self {
            purpose: TokenPurpose::MailReply,
            workspace,
            reference: Some(reference),
            subject_id: recipient.encode(),
            contact_id: None,
            expires_at: now + REPLY_ADDRESS_TTL_SECS,
            used_at: None,
        }
    }

    /// The ticket and recipient of a reply address, while it takes answers at
    /// `now` (any number of them: a conversation has many replies).
    pub fn reply_target(&self, now: i64) -> Option<(&WorkspaceSlug, TicketRef, ReplyRecipient)> {
        if self.purpose != TokenPurpose::MailReply || link_expired(self.expires_at, now) {
            return None;
        }
        Some((&self.workspace, self.reference?, ReplyRecipient::decode(&self.subject_id)?))
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
    fn a_reply_address_names_its_ticket_and_recipient_until_it_expires() {
        let reference = TicketRef::from_number(3).unwrap();
        for recipient in [ReplyRecipient::Customer, ReplyRecipient::Agent("a1".into())] {
            let token = LinkToken::mail_reply(demo(), reference, &recipient, 1_000);
            let target = token.reply_target(1_000 + REPLY_ADDRESS_TTL_SECS - 1).unwrap();
            assert_eq!((target.0, target.1, target.2), (&demo(), reference, recipient));
            assert!(token.reply_target(1_000 + REPLY_ADDRESS_TTL_SECS).is_none());
            assert_eq!(token.opens_tickets_of(&demo(), 1_000), None, "a reply address opens no page");
        }
        let survey = LinkToken::survey(demo(), reference, "customer", 1_000);
        assert!(survey.reply_target(1_000).is_none(), "only reply tokens take replies");
        let mut odd = LinkToken::mail_reply(demo(), reference, &ReplyRecipient::Customer, 1_000);
        odd.subject_id = "agent:".into();
        assert!(odd.reply_target(1_000).is_none());
    }

    #[test]
    fn purposes_are_stored_as_camel_case() {
        assert_eq!(serde_json::to_string(&TokenPurpose::Csat).unwrap(), "\"csat\"");
        assert_eq!(serde_json::to_string(&TokenPurpose::TicketLink).unwrap(), "\"ticketLink\"");
    }
}

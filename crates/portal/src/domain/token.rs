//! One-time link tokens: what a link in an email opens, for how long. The
//! token itself travels only in the link; the store keeps its hash
//! ([`super::secrets::token_hash`]).

use serde::{Deserialize, Serialize};

use super::csat::{link_expired, CSAT_LINK_TTL_SECS};
use super::ticket::TicketRef;
use super::workspace::WorkspaceSlug;

/// What a link token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenPurpose {
    /// The Rate Your Experience survey of one resolution.
    Csat,
}

/// A stored link token (its hash is the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkToken {
    pub purpose: TokenPurpose,
    pub workspace: WorkspaceSlug,
    pub reference: TicketRef,
    /// The resolution the survey is about.
    pub subject_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl LinkToken {
    /// The survey link of resolution `resolution_id`, issued at `now`.
    pub fn survey(workspace: WorkspaceSlug, reference: TicketRef, resolution_id: &str, now: i64) -> Self {
        Self {
            purpose: TokenPurpose::Csat,
            workspace,
            reference,
            subject_id: resolution_id.to_owned(),
            expires_at: now + CSAT_LINK_TTL_SECS,
            used_at: None,
        }
    }

    /// Whether this token opens a `purpose` link of `workspace` at `now`: a
    /// token of another kind or workspace opens nothing, like an expired one.
    pub fn opens(&self, purpose: TokenPurpose, workspace: &WorkspaceSlug, now: i64) -> bool {
        self.purpose == purpose && &self.workspace == workspace && !link_expired(self.expires_at, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_token_opens_its_survey_for_seven_days_only() {
        let demo = WorkspaceSlug::parse("demo").unwrap();
        let token = LinkToken::survey(demo.clone(), TicketRef::from_number(1).unwrap(), "r1", 1_000);
        assert_eq!(token.expires_at, 1_000 + CSAT_LINK_TTL_SECS);
        assert!(token.opens(TokenPurpose::Csat, &demo, 1_000 + CSAT_LINK_TTL_SECS - 1));
        assert!(!token.opens(TokenPurpose::Csat, &demo, 1_000 + CSAT_LINK_TTL_SECS));
        assert!(!token.opens(TokenPurpose::Csat, &WorkspaceSlug::parse("acme").unwrap(), 1_000));
    }

    #[test]
    fn the_purpose_is_stored_as_before() {
        assert_eq!(serde_json::to_string(&TokenPurpose::Csat).unwrap(), "\"csat\"");
    }
}

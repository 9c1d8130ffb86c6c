//! The JSON API's bodies as types: what each answer carries, field by field
//! (docs/openapi.yaml documents the same shapes, and its test checks them).
//! Fields are declared in alphabetical order, the order the API has always
//! sent. They deserialize too, so clients and tests can read them back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::time::rfc3339;
use crate::domain::{
    Comment, CustomerView, Rating, Resolution, Status, TicketRef, TicketSummary, TicketType, WorkspaceSlug,
};
use crate::links::Links;

/// Every JSON error: `{"error", "message", "fields"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code (`not_found`, `rate_limited`, ...).
    pub error: String,
    /// Per-field problems (validation only; empty otherwise).
    pub fields: BTreeMap<String, String>,
    /// Words for a person.
    pub message: String,
}

/// `201` of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitReceipt {
    pub id: String,
    pub reference: TicketRef,
    pub status: Status,
    pub tracking_url: String,
}

/// `202` of a submission that was dropped (the honeypot was filled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// Always `received`.
    pub status: String,
}

impl Received {
    pub fn new() -> Self {
        Self { status: "received".into() }
    }
}

impl Default for Received {
    fn default() -> Self {
        Self::new()
    }
}

/// Who wrote a message, as the customer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    Customer,
    Agent,
}

/// One public message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMessage {
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub from: Sender,
    pub id: String,
}

impl From<&Comment> for ConversationMessage {
    fn from(c: &Comment) -> Self {
        Self {
            author: c.author.display_name().to_owned(),
            body: c.body.clone(),
            created_at: rfc3339(c.created_at),
            from: if c.author.is_customer() { Sender::Customer } else { Sender::Agent },
            id: c.id.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolutionView {
    pub by: String,
    pub resolved_at: String,
    pub text: String,
}

impl From<&Resolution> for ResolutionView {
    fn from(r: &Resolution) -> Self {
        Self { by: r.by.clone(), resolved_at: rfc3339(r.at), text: r.text.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingView {
    pub comment: Option<String>,
    pub rated_at: String,
    pub stars: u8,
}

impl From<&Rating> for RatingView {
    fn from(r: &Rating) -> Self {
        Self { comment: r.comment.clone(), rated_at: rfc3339(r.at), stars: r.stars }
    }
}

/// `200` of a lookup: the ticket as its customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    /// The assigned agent's name.
    pub assignee: Option<String>,
    /// Public messages only, oldest first.
    pub conversation: Vec<ConversationMessage>,
    pub created_at: String,
    pub description: Option<String>,
    /// Send it back as `before` for the 50 messages before this page; null
    /// when there are none.
    pub older_cursor: Option<String>,
    pub rating: Option<RatingView>,
    pub reference: TicketRef,
    /// Once Resolved or Closed.
    pub resolution: Option<ResolutionView>,
    pub status: Status,
    pub subject: String,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub updated_at: String,
}

impl From<&CustomerView> for TicketView {
    fn from(view: &CustomerView) -> Self {
        let t = &view.ticket;
        Self {
            assignee: t.assignee_name.clone(),
            conversation: view.conversation.iter().map(ConversationMessage::from).collect(),
            created_at: rfc3339(t.created_at),
            description: t.description.clone(),
            older_cursor: view.older.as_ref().map(|c| c.to_string()),
            rating: t.rating.as_ref().map(RatingView::from),
            reference: t.reference,
            resolution: t.resolution.as_ref().filter(|_| t.status.is_resolved()).map(ResolutionView::from),
            status: t.status,
            subject: t.subject.clone(),
            ticket_type: t.ticket_type,
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// `202` of a request for a link (whatever the address), and of a typed
/// email in a workspace that tracks by link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Always `sent`.
    pub status: String,
}

impl Sent {
    pub fn new() -> Self {
        Self { status: "sent".into() }
    }
}

impl Default for Sent {
    fn default() -> Self {
        Self::new()
    }
}

/// One ticket of an access link's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLine {
    pub reference: TicketRef,
    pub status: Status,
    pub subject: String,
    /// The ticket's page (it opens under the session a link starts, or with the email).
    pub tracking_url: String,
    pub updated_at: String,
}

/// `200` of an access link: every ticket of its address here, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTickets {
    pub tickets: Vec<TicketLine>,
}

impl AccessTickets {
    pub fn new(links: &Links, slug: &WorkspaceSlug, tickets: &[TicketSummary]) -> Self {
        let tickets = tickets
            .iter()
            .map(|t| TicketLine {
                reference: t.reference,
                status: t.status,
                subject: t.subject.clone(),
                tracking_url: links.tracking_url(slug, t.reference),
                updated_at: rfc3339(t.updated_at),
            })
            .collect();
        Self { tickets }
    }
}

/// `201` of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyAdded {
    pub comment_id: String,
    pub reference: TicketRef,
    /// The ticket's status after the reply (a reply reopens).
    pub status: Status,
}

/// `200` of reading a survey link that can still be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SurveyState {
    pub expires_at: String,
    pub reference: TicketRef,
    /// Always `open` (answered and expired links are errors).
    pub state: String,
}

impl SurveyState {
    pub fn open(reference: TicketRef, expires_at: i64) -> Self {
        Self { expires_at: rfc3339(expires_at), reference, state: "open".into() }
    }
}

/// `201` of a survey answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingRecorded {
    pub comment: Option<String>,
    pub rated_at: String,
    pub rating: u8,
    pub reference: TicketRef,
}

/// One choice of the ticket type field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketTypeChoice {
    pub label: String,
    pub value: String,
}

/// Longest value of each field, in characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxLengths {
    pub description: usize,
    pub email: usize,
    pub name: usize,
    pub subject: usize,
}

/// `200` of the widget's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSettings {
    /// `#rrggbb`.
    pub accent: String,
    pub logo_url: Option<String>,
    pub max_length: MaxLengths,
    pub name: String,
    pub portal_url: String,
    pub submit_url: String,
    pub types: Vec<TicketTypeChoice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_keep_their_wire_shape() {
        let error = ErrorBody { error: "not_found".into(), fields: BTreeMap::new(), message: "m".into() };
        assert_eq!(serde_json::to_string(&error).unwrap(), r#"{"error":"not_found","fields":{},"message":"m"}"#);
        let state = SurveyState::open(TicketRef::from_number(1).unwrap(), 0);
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"expiresAt":"1970-01-01T00:00:00Z","reference":"TKT-0001","state":"open"}"#
        );
        let view = TicketView::from(&CustomerView::new(crate::domain::test_support::ticket(), Vec::new()));
        let json = serde_json::to_string(&view).unwrap();
        assert!(json.starts_with(r#"{"assignee":null,"conversation":[],"createdAt":"#), "{json}");
        assert!(json.contains(r#""type":"#) && json.contains(r#""updatedAt":"#), "{json}");
        assert!(json.contains(r#""olderCursor":null"#), "{json}");
        assert_eq!(serde_json::to_string(&Sent::new()).unwrap(), r#"{"status":"sent"}"#);
        assert_eq!(serde_json::from_str::<TicketView>(&json).unwrap(), view);
    }
}

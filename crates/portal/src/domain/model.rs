//! Stored entities: workspaces, agents, tickets and their conversation. Plain data
//! with the rules that read them; persistence lives in `store`.

use serde::{Deserialize, Serialize};

use super::branding::{AccentColour, LogoRef, WidgetOrigin, DEFAULT_ACCENT};
use super::fields::TicketType;
use super::ticket::{Channel, Priority, Status, TicketRef, WorkspaceSlug};

/// One company using the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub slug: WorkspaceSlug,
    pub name: String,
    /// Round-robin new tickets over available agents.
    #[serde(default)]
    pub auto_assign: bool,
    /// Branding: buttons and links in this colour (checked for contrast).
    #[serde(default)]
    pub accent: Option<AccentColour>,
    /// Branding: the logo's reference; its bytes are a separate item.
    #[serde(default)]
    pub logo: Option<LogoRef>,
    /// Sites allowed to embed the widget (CORS on the JSON submit).
    #[serde(default)]
    pub widget_origins: Vec<WidgetOrigin>,
}

impl Workspace {
    /// A workspace with no branding and no widget origins yet.
    pub fn new(slug: WorkspaceSlug, name: impl Into<String>, auto_assign: bool) -> Self {
        Self { slug, name: name.into(), auto_assign, accent: None, logo: None, widget_origins: Vec::new() }
    }

    /// `#rrggbb`: the workspace's accent, or the portal's own.
    pub fn accent_hex(&self) -> &str {
        self.accent.as_ref().map(AccentColour::as_str).unwrap_or(DEFAULT_ACCENT)
    }

    /// Whether a request with this `Origin` header may use the widget API.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.widget_origins.iter().any(|allowed| allowed.matches(origin))
    }
}

/// A support agent of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Stable handle used by the CLI (`ann`, `bob`), unique in the workspace.
    pub id: String,
    pub name: String,
    pub email: String,
    pub available: bool,
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
}

/// Who wrote a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Author {
    Customer { name: String },
    Agent { id: String, name: String },
}

impl Author {
    pub fn display_name(&self) -> &str {
        match self {
            Author::Customer { name } | Author::Agent { name, .. } => name,
        }
    }
    pub fn is_customer(&self) -> bool {
        matches!(self, Author::Customer { .. })
    }
}

/// Whether a comment may leave the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Visibility {
    Public,
    /// An agents-only note: never in a customer page, JSON body or email.
    Internal,
}

/// One message in a ticket's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// ULID: comments sort by it.
    pub id: String,
    pub author: Author,
    pub body: String,
    pub visibility: Visibility,
    pub created_at: i64,
}

/// A ticket as its customer may see it: internal notes are removed here, and
/// only here, before anything renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerView {
    pub ticket: Ticket,
    pub conversation: Vec<Comment>,
}

impl CustomerView {
    pub fn new(ticket: Ticket, mut comments: Vec<Comment>) -> Self {
        comments.retain(|c| c.visibility == Visibility::Public);
        comments.sort_by(|a, b| a.id.cmp(&b.id));
        Self { ticket, conversation: comments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: &str, visibility: Visibility) -> Comment {
        Comment {
            id: id.into(),
            author: Author::Agent { id: "ann".into(), name: "Ann".into() },
            body: format!("body {id}"),
            visibility,
            created_at: 0,
        }
    }

    #[test]
    fn customer_view_drops_internal_notes_and_orders_by_id() {
        let ticket = crate::domain::test_support::ticket();
        let view = CustomerView::new(
            ticket,
            vec![
                comment("02", Visibility::Public),
                comment("01", Visibility::Internal),
                comment("00", Visibility::Public),
            ],
        );
        let ids: Vec<_> = view.conversation.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["00", "02"]);
    }
}

/// A CRM contact, auto-created from the first ticket of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub created_at: i64,
    #[serde(default)]
    pub ticket_count: u64,
}

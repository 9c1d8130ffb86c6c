//! A ticket's conversation, and the one place internal notes are dropped
//! before anything is shown to a customer.

use serde::{Deserialize, Serialize};

use super::ticket::Ticket;

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

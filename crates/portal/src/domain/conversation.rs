//! A ticket's conversation, and the one place internal notes are dropped
//! before anything is shown to a customer.

use serde::{Deserialize, Serialize};

use super::paging::{CommentCursor, CONVERSATION_PAGE_SIZE};
use super::ticket::Ticket;

/// Who wrote a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Author {
    Customer {
        name: String,
    },
    Agent {
        id: String,
        name: String,
    },
    /// The workspace's team, when no agent was named or assigned (`name` is
    /// the workspace's name, which signs the customer's email).
    Team {
        name: String,
    },
}

impl Author {
    pub fn display_name(&self) -> &str {
        match self {
            Author::Customer { name } | Author::Agent { name, .. } | Author::Team { name } => name,
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

/// One page of a conversation as read: comments newest first, and the
/// cursor of the next older page if there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationPage {
    pub comments: Vec<Comment>,
    pub older: Option<CommentCursor>,
}

/// A ticket as its customer may see it: internal notes are removed here, and
/// only here, before anything renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerView {
    pub ticket: Ticket,
    /// Public messages, oldest first: one page (the newest, unless `older` paging went back).
    pub conversation: Vec<Comment>,
    /// Where the next older page ends, when there are older messages.
    pub older: Option<CommentCursor>,
}

impl CustomerView {
    pub fn new(ticket: Ticket, mut comments: Vec<Comment>) -> Self {
        comments.retain(|c| c.visibility == Visibility::Public);
        comments.sort_by(|a, b| a.id.cmp(&b.id));
        Self { ticket, conversation: comments, older: None }
    }

    /// The view of one page of the conversation.
    pub fn paged(ticket: Ticket, page: ConversationPage) -> Self {
        Self { older: page.older, ..Self::new(ticket, page.comments) }
    }

    /// The newest page after `comment` was added: the oldest message of a
    /// full page makes room and becomes the cursor of the older ones.
    pub fn with_newest(mut self, comment: Comment) -> Self {
        if comment.visibility == Visibility::Public {
            self.conversation.push(comment);
        }
        if self.conversation.len() > CONVERSATION_PAGE_SIZE {
            let excess = self.conversation.len() - CONVERSATION_PAGE_SIZE;
            self.conversation.drain(..excess);
            self.older = CommentCursor::parse(&self.conversation[0].id);
        }
        self
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
        assert_eq!(view.older, None);
    }

    #[test]
    fn a_reply_on_a_full_page_pushes_the_oldest_behind_the_cursor() {
        let mut ids: Vec<String> = (0..=CONVERSATION_PAGE_SIZE).map(|_| ulid::Ulid::new().to_string()).collect();
        ids.sort();
        let page = ConversationPage {
            comments: ids[..CONVERSATION_PAGE_SIZE].iter().rev().map(|id| comment(id, Visibility::Public)).collect(),
            older: None,
        };
        let view = CustomerView::paged(crate::domain::test_support::ticket(), page);
        assert_eq!(view.conversation.first().map(|c| &c.id), Some(&ids[0]), "oldest first");
        let view = view.with_newest(comment(&ids[CONVERSATION_PAGE_SIZE], Visibility::Public));
        assert_eq!(view.conversation.len(), CONVERSATION_PAGE_SIZE);
        assert_eq!(view.conversation.last().map(|c| &c.id), Some(&ids[CONVERSATION_PAGE_SIZE]));
        assert_eq!(view.older.as_ref().map(|c| c.as_str()), Some(ids[1].as_str()), "the oldest shown");
        let noted = view.clone().with_newest(comment(&ulid::Ulid::new().to_string(), Visibility::Internal));
        assert_eq!(noted, view, "an internal note never joins the page");
    }
}

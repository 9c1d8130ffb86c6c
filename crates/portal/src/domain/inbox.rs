//! Agents' in-app notifications.

use serde::{Deserialize, Serialize};

use super::ticket::TicketRef;

/// An in-app notification for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// Unique per happening (ticket id, comment id): writing it twice is a no-op.
    pub id: String,
    pub agent: String,
    pub kind: String,
    pub reference: TicketRef,
    pub text: String,
    pub created_at: i64,
    pub read: bool,
}

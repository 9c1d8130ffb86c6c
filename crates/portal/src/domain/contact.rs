//! CRM contacts.

use serde::{Deserialize, Serialize};

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

//! CRM contacts.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::secrets::sha256_hex;

/// Who an address is in the portal's records: the hash of its normalised
/// form, so two concurrent first tickets from one person meet on the same
/// contact, and no key or link shows the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactId(String);

impl ContactId {
    /// The contact of `normalized_email`.
    pub fn of(normalized_email: &str) -> Self {
        Self(sha256_hex(normalized_email.as_bytes())[..32].to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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

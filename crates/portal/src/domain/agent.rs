//! Support agents.

use serde::{Deserialize, Serialize};

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

//! Support agents.

use serde::{Deserialize, Serialize};

use super::conversation::Author;
use super::fields::EmailAddress;

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

impl Agent {
    /// A new agent, available for auto-assignment, with the normalised address.
    pub fn new(id: String, name: &str, email: &EmailAddress) -> Self {
        Self { id, name: name.trim().into(), email: email.normalized(), available: true }
    }

    /// The id an agent gets when none is given: the address's local part,
    /// letters, digits and '-' only (`None` if nothing is left).
    pub fn default_id(email: &EmailAddress) -> Option<String> {
        let normalized = email.normalized();
        let local = normalized.split('@').next().unwrap_or("");
        let id: String = local.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        (!id.is_empty()).then_some(id)
    }

    /// Another id to offer this agent when its own is taken: the id with the
    /// first label of its address's domain (`kim` of kim@b.example: `kim-b`).
    pub fn alternative_id(&self) -> String {
        let domain = self.email.rsplit('@').next().unwrap_or("");
        let label: String =
            domain.split('.').next().unwrap_or("").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        if label.is_empty() {
            format!("{}-2", self.id)
        } else {
            format!("{}-{label}", self.id)
        }
    }
}

/// Who acts on a ticket through `portalctl`: the agent named (`--as`, else
/// `PORTALCTL_AGENT`), else the ticket's assignee, else the workspace's team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Agent(Agent),
    /// Nobody named or assigned: the team acts, under the workspace's name.
    Team {
        workspace_name: String,
    },
}

impl Actor {
    /// How a comment by this actor is signed.
    pub fn author(&self) -> Author {
        match self {
            Actor::Agent(agent) => Author::Agent { id: agent.id.clone(), name: agent.name.clone() },
            Actor::Team { workspace_name } => Author::Team { name: workspace_name.clone() },
        }
    }

    /// The name customers see.
    pub fn name(&self) -> &str {
        match self {
            Actor::Agent(agent) => &agent.name,
            Actor::Team { workspace_name } => workspace_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ids_come_from_the_local_part() {
        let id = |raw: &str| Agent::default_id(&EmailAddress::parse(raw).unwrap());
        assert_eq!(id("Kim.Lee@Example.com").as_deref(), Some("kimlee"));
        assert_eq!(id("sam-2@example.com").as_deref(), Some("sam-2"));
        assert_eq!(id("__@example.com"), None);
    }

    #[test]
    fn a_taken_id_suggests_one_from_the_new_domain() {
        let alternative =
            |id: &str, raw: &str| Agent::new(id.into(), "Kim", &EmailAddress::parse(raw).unwrap()).alternative_id();
        assert_eq!(alternative("kim", "kim@b.example"), "kim-b");
        assert_eq!(alternative("kim", "Kim@Acme.Example.com"), "kim-acme");
    }
}

//! How a command fails, and the exit code that tells scripts what kind of
//! failure it was.

use portal::service::{AdminError, AgentActionError, Unavailable};

/// A failure, with the exit code that tells scripts what kind it was.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// AWS or the network failed (exit 1).
    #[error("{0}")]
    Unavailable(String),
    /// A bad command line or configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// No such workspace, ticket, agent or notification (exit 3).
    #[error("{0}")]
    NotFound(String),
    /// Refused by a rule (exit 4).
    #[error("{0}")]
    Refused(String),
}

impl CtlError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CtlError::Unavailable(_) => 1,
            CtlError::Usage(_) => 2,
            CtlError::NotFound(_) => 3,
            CtlError::Refused(_) => 4,
        }
    }
}

impl From<Unavailable> for CtlError {
    fn from(err: Unavailable) -> Self {
        CtlError::Unavailable(err.to_string())
    }
}

impl From<std::io::Error> for CtlError {
    fn from(err: std::io::Error) -> Self {
        CtlError::Unavailable(format!("cannot write output: {err}"))
    }
}

impl From<AgentActionError> for CtlError {
    fn from(err: AgentActionError) -> Self {
        match err {
            AgentActionError::UnknownWorkspace(_)
            | AgentActionError::UnknownTicket { .. }
            | AgentActionError::UnknownAgent(_)
            | AgentActionError::UnknownNotification { .. } => CtlError::NotFound(err.to_string()),
            AgentActionError::InvalidTransition { .. } | AgentActionError::ResolutionRequired => {
                CtlError::Refused(err.to_string())
            }
            AgentActionError::Contended(_) => CtlError::Unavailable(err.to_string()),
            AgentActionError::Unavailable(err) => CtlError::Unavailable(err.to_string()),
        }
    }
}

impl From<AdminError> for CtlError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::UnknownWorkspace(_) | AdminError::UnknownAgent(_) => CtlError::NotFound(err.to_string()),
            AdminError::WorkspaceExists(_) => CtlError::Refused(err.to_string()),
            AdminError::AgentExists { ref suggestion, .. } => {
                CtlError::Refused(format!("{err}; choose another id with --id {suggestion}"))
            }
            AdminError::Unavailable(err) => CtlError::Unavailable(err.to_string()),
        }
    }
}

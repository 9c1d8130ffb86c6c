//! One module per command group; each command parses its arguments into
//! domain values, calls one use case of the portal and prints the answer.

pub mod agent;
pub mod csat;
pub mod inbox;
pub mod ticket;
pub mod workspace;

use portal::domain::{MessageBody, TicketRef, WorkspaceSlug};

use crate::CtlError;

pub(crate) fn slug(raw: &str) -> Result<WorkspaceSlug, CtlError> {
    WorkspaceSlug::parse(raw)
        .ok_or_else(|| CtlError::Usage(format!("{raw:?} is not a workspace slug (lower-case letters, digits and '-')")))
}

pub(crate) fn reference(raw: &str) -> Result<TicketRef, CtlError> {
    TicketRef::parse(raw.trim())
        .ok_or_else(|| CtlError::Usage(format!("{raw:?} is not a ticket reference like TKT-0042")))
}

pub(crate) fn text(raw: &str, label: &str) -> Result<MessageBody, CtlError> {
    MessageBody::parse_required(raw, label).map_err(CtlError::Refused)
}

//! The portal's business rules. Knows nothing of AWS or HTTP.

pub mod accent;
pub mod access;
pub mod agent;
pub mod client;
pub mod clock;
pub mod contact;
pub mod conversation;
pub mod csat;
pub mod events;
pub mod fields;
pub mod inbox;
pub mod limits;
pub mod logo;
pub mod mail_in;
pub mod origin;
pub mod paging;
pub mod secrets;
pub mod submission;
pub mod text;
pub mod ticket;
pub mod time;
pub mod token;
pub mod widget_origin;
pub mod workspace;

pub use accent::AccentColour;
pub use access::{AccessRequest, Session, TicketSummary};
pub use agent::{Actor, Agent};
pub use client::ClientAddress;
pub use contact::{Contact, ContactId};
pub use conversation::{Author, Comment, ConversationPage, CustomerView, Visibility};
pub use events::{AccessRequested, EventKind, PortalEvent, WorkerMessage};
pub use fields::{CustomerName, EmailAddress, FieldErrors, MessageBody, Subject, TicketType};
pub use inbox::InboxItem;
pub use logo::{Logo, LogoFormat, LogoRef, StoredLogo};
pub use paging::CommentCursor;
pub use submission::{IdempotencyKey, NewTicket, SubmissionInput};
pub use ticket::{
    Channel, Priority, Rating, ReplyRefused, Resolution, Status, Ticket, TicketRef, MAX_CUSTOMER_MESSAGES,
};
pub use token::{LinkToken, ReplyRecipient, TokenPurpose};
pub use widget_origin::WidgetOrigin;
pub use workspace::{TrackingMode, Workspace, WorkspaceName, WorkspaceSlug};

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn ticket() -> Ticket {
        Ticket {
            id: "01JTEST".into(),
            workspace: WorkspaceSlug::parse("demo").unwrap(),
            reference: TicketRef::from_number(1).unwrap(),
            name: "Ann".into(),
            email: "Ann@Example.com".into(),
            email_normalized: "ann@example.com".into(),
            contact_id: "c".into(),
            subject: "Help".into(),
            description: None,
            ticket_type: TicketType::SupportRequest,
            status: Status::Open,
            priority: Priority::Medium,
            channel: Channel::Portal,
            assignee: None,
            assignee_name: None,
            created_at: 0,
            updated_at: 0,
            resolution: None,
            rating: None,
            no_auto_reply: false,
        }
    }
}

//! The portal's business rules. Knows nothing of AWS or HTTP.

pub mod branding;
pub mod clock;
pub mod csat;
pub mod events;
pub mod fields;
pub mod inbox;
pub mod model;
pub mod secrets;
pub mod ticket;
pub mod time;
pub mod token;

pub use branding::{AccentColour, Logo, LogoFormat, LogoRef, WidgetOrigin};
pub use events::{EventKind, PortalEvent};
pub use fields::{CustomerName, EmailAddress, FieldErrors, MessageBody, Subject, TicketType};
pub use inbox::InboxItem;
pub use model::{Agent, Author, Comment, Contact, CustomerView, Rating, Resolution, Ticket, Visibility, Workspace};
pub use ticket::{
    Channel, IdempotencyKey, NewTicket, Priority, ReplyRefused, Status, SubmissionInput, TicketRef, WorkspaceSlug,
};
pub use token::{LinkToken, TokenPurpose};

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
        }
    }
}

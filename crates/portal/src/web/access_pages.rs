//! The pages of private access: My tickets, the "email me a link" form (also
//! what an expired link shows), and what a request for a link answers.

use askama::Template;

use super::pages::{message_page, render, FieldLimits, Framed, Layout, Page};
use crate::domain::access::{ACCESS_LINK_TTL_SECS, SESSION_TTL_SECS};
use crate::domain::text::human_duration;
use crate::domain::time::human;
use crate::domain::{TicketSummary, Workspace, WorkspaceSlug};
use crate::links::Links;

struct TicketLine {
    url: String,
    reference: String,
    subject: String,
    status_code: &'static str,
    status_label: &'static str,
    updated: String,
}

#[derive(Template)]
#[template(path = "my_tickets.html")]
struct MyTickets {
    layout: Layout,
    tickets: Vec<TicketLine>,
    session_lifetime: String,
    submit_url: String,
}

#[derive(Template)]
#[template(path = "access_form.html")]
struct AccessForm<'a> {
    layout: Layout,
    limits: FieldLimits,
    heading: &'a str,
    message: &'a str,
    action: String,
    link_lifetime: String,
    email: &'a str,
    error: Option<&'a str>,
}

impl Framed for MyTickets {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

impl Framed for AccessForm<'_> {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

/// Every ticket of the signed-in address, newest first, each linking to its page.
pub fn my_tickets(links: &Links, workspace: &Workspace, tickets: &[TicketSummary]) -> Page {
    let tickets = tickets
        .iter()
        .map(|t| TicketLine {
            url: links.ticket_path(&workspace.slug, t.reference),
            reference: t.reference.to_string(),
            subject: t.subject.clone(),
            status_code: t.status.code(),
            status_label: t.status.label(),
            updated: human(t.updated_at),
        })
        .collect();
    render(&MyTickets {
        layout: Layout::for_workspace(workspace, links).titled("My tickets"),
        tickets,
        session_lifetime: human_duration(SESSION_TTL_SECS.unsigned_abs()),
        submit_url: links.submit_path(&workspace.slug),
    })
}

/// The heading of the page an expired, forged or malformed link shows.
pub const LINK_EXPIRED: &str = "This link has expired";

/// The "email me a link" form: on an expired link's page, or again with the
/// problem of a malformed address.
pub fn access_form(
    layout: Layout,
    links: &Links,
    slug: &WorkspaceSlug,
    heading: &str,
    message: &str,
    email: &str,
    error: Option<&str>,
) -> Page {
    render(&AccessForm {
        layout: layout.titled(heading),
        limits: FieldLimits::new(),
        heading,
        message,
        action: links.access_request_path(slug),
        link_lifetime: human_duration(ACCESS_LINK_TTL_SECS.unsigned_abs()),
        email,
        error,
    })
}

/// What an expired link's page says above the form.
pub fn link_expired_message() -> String {
    format!(
        "Links to your tickets work for a while only ({} when you ask for one, {} in our emails). Ask for a new one: we email it to you if you have tickets here.",
        human_duration(ACCESS_LINK_TTL_SECS.unsigned_abs()),
        human_duration(crate::domain::access::TICKET_LINK_TTL_SECS.unsigned_abs())
    )
}

/// The answer to every request for a link, whatever the address.
pub fn access_sent(layout: Layout, links: &Links, slug: &WorkspaceSlug) -> Page {
    let message = format!(
        "If that address has tickets here, a link is on its way. It opens them without typing your email, for {}.",
        human_duration(ACCESS_LINK_TTL_SECS.unsigned_abs())
    );
    message_page(
        layout.titled("Check your email"),
        "Check your email",
        &message,
        Some((&links.submit_path(slug), "Submit a new ticket")),
    )
}

/// What a typed email answers in a workspace that tracks by link, match or not.
pub fn link_sent(layout: Layout, links: &Links, slug: &WorkspaceSlug) -> Page {
    let message = format!(
        "For your privacy, tickets here open from a link we email. If that is the address this ticket was submitted with, the link is on its way; it works for {}.",
        human_duration(ACCESS_LINK_TTL_SECS.unsigned_abs())
    );
    message_page(
        layout.titled("Check your email"),
        "We have emailed you a link",
        &message,
        Some((&links.submit_path(slug), "Submit a new ticket")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Author, Comment, CommentCursor, CustomerView, Status, TicketRef, Visibility};
    use crate::web::pages::{ticket_view, track_prompt, ReplyFormState};

    fn links() -> Links {
        Links::new("https://support.example.com")
    }

    fn workspace() -> Workspace {
        Workspace::new(WorkspaceSlug::parse("demo").unwrap(), "Demo", false)
    }

    fn view(older: bool) -> CustomerView {
        let mut ticket = crate::domain::test_support::ticket();
        ticket.description = Some("The first words".into());
        let comment = Comment {
            id: ulid::Ulid::new().to_string(),
            author: Author::Agent { id: "a".into(), name: "Alex".into() },
            body: "Hello".into(),
            visibility: Visibility::Public,
            created_at: 0,
        };
        let cursor = CommentCursor::parse(&comment.id).filter(|_| older);
        CustomerView { older: cursor, ..CustomerView::new(ticket, vec![comment]) }
    }

    #[test]
    fn older_messages_are_a_form_after_a_typed_email_and_a_link_under_a_session() {
        let typed =
            ticket_view(&links(), &workspace(), &view(true), ReplyFormState::typed("ann@example.com", "KEY12345"));
        assert!(typed.contains(r#"<input type="hidden" name="before" value=""#), "{typed}");
        assert!(typed.contains("Older messages"));
        assert_eq!(typed.matches(r#"name="email" value="ann@example.com""#).count(), 2, "paging and reply carry it");
        assert!(!typed.contains("The first words"), "the description opens the oldest page only");

        let signed_in = ticket_view(&links(), &workspace(), &view(true), ReplyFormState::signed_in("KEY12345"));
        assert!(signed_in.contains(r#"href="/portal/demo/tickets/TKT-0001?before="#), "{signed_in}");
        assert!(!signed_in.contains(r#"name="email""#), "nothing typed, nothing carried");

        let newest = ticket_view(&links(), &workspace(), &view(false), ReplyFormState::signed_in("KEY12345"));
        assert!(!newest.contains("Older messages") && newest.contains("The first words"));
        let back = ReplyFormState { paged_back: true, ..ReplyFormState::signed_in("KEY12345") };
        assert!(ticket_view(&links(), &workspace(), &view(false), back).contains("Newest messages"));
    }

    #[test]
    fn my_tickets_links_each_ticket_and_escapes_subjects() {
        let tickets = [TicketSummary {
            reference: TicketRef::from_number(2).unwrap(),
            subject: "<b>Printer</b>".into(),
            status: Status::Waiting,
            updated_at: 0,
        }];
        let page = my_tickets(&links(), &workspace(), &tickets);
        assert!(page.contains(r#"href="/portal/demo/tickets/TKT-0002""#), "{page}");
        assert!(page.contains("&#60;b&#62;Printer") && !page.contains("<b>Printer"));
        assert!(page.contains("badge waiting") && page.contains("12 hours"));
        assert!(my_tickets(&links(), &workspace(), &[]).contains("no tickets to show"));
    }

    #[test]
    fn the_tracking_prompt_offers_a_link_and_the_expired_page_a_new_one() {
        let slug = WorkspaceSlug::parse("demo").unwrap();
        let prompt = track_prompt(Layout::neutral(), &links(), &slug, TicketRef::from_number(1).unwrap(), "", None);
        assert!(prompt.contains(r#"action="/portal/demo/access""#) && prompt.contains("Email me a link to my tickets"));
        assert!(prompt.contains(r#"id="access-email" name="email""#));
        let expired = access_form(Layout::neutral(), &links(), &slug, LINK_EXPIRED, &link_expired_message(), "", None);
        assert!(
            expired.contains("<h1>This link has expired</h1>") && expired.contains(r#"action="/portal/demo/access""#)
        );
        assert!(link_expired_message().contains("30 minutes") && link_expired_message().contains("14 days"));
    }
}

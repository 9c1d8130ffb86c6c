//! HTML pages, rendered by askama templates that escape every value by default.

use askama::Template;

pub use super::layout::{Layout, Page};
use crate::domain::access::ACCESS_LINK_TTL_SECS;
use crate::domain::fields::{
    MAX_CSAT_COMMENT_CHARS, MAX_EMAIL_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS,
};
use crate::domain::text::{human_count, human_duration};
use crate::domain::time::human;
use crate::domain::{
    CommentCursor, CustomerView, FieldErrors, Resolution, SubmissionInput, Ticket, TicketRef, TicketType, Workspace,
    WorkspaceSlug,
};
use crate::links::Links;

/// The field rules forms show (`maxlength`, "up to 5,000 characters"),
/// taken from the domain so that no template repeats a number.
pub struct FieldLimits {
    pub name: usize,
    pub email: usize,
    pub subject: usize,
    pub message: usize,
    pub message_chars: String,
    pub comment: usize,
    pub comment_chars: String,
}

impl FieldLimits {
    pub(super) fn new() -> Self {
        Self {
            name: MAX_NAME_CHARS,
            email: MAX_EMAIL_CHARS,
            subject: MAX_SUBJECT_CHARS,
            message: MAX_MESSAGE_CHARS,
            message_chars: human_count(MAX_MESSAGE_CHARS),
            comment: MAX_CSAT_COMMENT_CHARS,
            comment_chars: human_count(MAX_CSAT_COMMENT_CHARS),
        }
    }
}

/// Templates that extend `base.html`, and so carry a [`Layout`].
pub(super) trait Framed: Template {
    fn layout(&self) -> &Layout;
}

macro_rules! framed {
    ($($page:ty),* $(,)?) => {
        $(impl Framed for $page {
            fn layout(&self) -> &Layout {
                &self.layout
            }
        })*
    };
}

framed!(MessagePage<'_>, SubmitForm<'_>, SubmitDone, TrackPrompt<'_>, TooManyAttempts, TicketView<'_>, CsatForm<'_>);

pub(super) fn render(template: &impl Framed) -> Page {
    match template.render() {
        Ok(html) => Page { html, brand_css: template.layout().brand_css.clone() },
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            let html = "<!doctype html><title>Error</title><p>Something went wrong. Please try again.</p>".into();
            Page { html, brand_css: None }
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
    link: Option<(&'a str, &'a str)>,
}

/// A page with a heading, a sentence and maybe one button.
pub fn message_page(layout: Layout, heading: &str, message: &str, link: Option<(&str, &str)>) -> Page {
    render(&MessagePage { layout, heading, message, link })
}

pub struct TypeOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "submit_form.html")]
struct SubmitForm<'a> {
    layout: Layout,
    limits: FieldLimits,
    action: String,
    values: &'a SubmissionInput,
    errors: &'a FieldErrors,
    general_error: Option<&'a str>,
    idempotency_key: &'a str,
    type_options: Vec<TypeOption>,
}

/// The submission form, empty or with the customer's values and problems.
pub fn submit_form(
    links: &Links,
    workspace: &Workspace,
    values: &SubmissionInput,
    errors: &FieldErrors,
    general_error: Option<&str>,
    idempotency_key: &str,
) -> Page {
    let chosen = TicketType::parse(&values.ticket_type).unwrap_or_default();
    let type_options = TicketType::ALL
        .into_iter()
        .map(|t| TypeOption { value: t.code(), label: t.label(), selected: t == chosen })
        .collect();
    let title = if errors.is_empty() { "Submit a support request" } else { "Please check the form" };
    render(&SubmitForm {
        limits: FieldLimits::new(),
        layout: Layout::for_workspace(workspace, links).titled(title),
        action: links.submit_path(&workspace.slug),
        values,
        errors,
        general_error,
        idempotency_key,
        type_options,
    })
}

#[derive(Template)]
#[template(path = "submit_done.html")]
struct SubmitDone {
    layout: Layout,
    reference: String,
    track_url: String,
    submit_url: String,
}

/// The confirmation page: reference, Track Ticket, Submit Another.
pub fn submit_done(links: &Links, workspace: &Workspace, reference: TicketRef) -> Page {
    render(&SubmitDone {
        layout: Layout::for_workspace(workspace, links).titled(&format!("Ticket {reference} received")),
        reference: reference.to_string(),
        track_url: links.ticket_path(&workspace.slug, reference),
        submit_url: links.submit_path(&workspace.slug),
    })
}

#[derive(Template)]
#[template(path = "track_prompt.html")]
struct TrackPrompt<'a> {
    layout: Layout,
    limits: FieldLimits,
    reference: TicketRef,
    action: String,
    submit_url: String,
    access_action: String,
    link_lifetime: String,
    email: &'a str,
    error: Option<&'a str>,
}

/// What a failed lookup says: the same words whatever was wrong.
pub const LOOKUP_FAILED: &str =
    "We could not find a ticket with that reference and email address. Check both and try again.";

/// The email prompt of the tracking page; with `error` after a failed lookup.
pub fn track_prompt(
    layout: Layout,
    links: &Links,
    slug: &WorkspaceSlug,
    reference: TicketRef,
    email: &str,
    error: Option<&str>,
) -> Page {
    let title = format!("Track ticket {reference}");
    render(&TrackPrompt {
        limits: FieldLimits::new(),
        layout: layout.titled(&title),
        reference,
        action: links.ticket_path(slug, reference),
        submit_url: links.submit_path(slug),
        access_action: links.access_request_path(slug),
        link_lifetime: human_duration(ACCESS_LINK_TTL_SECS.unsigned_abs()),
        email,
        error,
    })
}

#[derive(Template)]
#[template(path = "too_many_attempts.html")]
struct TooManyAttempts {
    layout: Layout,
    limits: FieldLimits,
    wait: String,
    action: String,
    submit_url: String,
}

/// A ticket whose typed-email misses are used up: the same page for every
/// address and every email typed (the frame is neutral, as for a miss), with
/// the form that asks for a private link instead.
pub fn too_many_attempts(links: &Links, slug: &WorkspaceSlug, retry_after_secs: u64) -> Page {
    render(&TooManyAttempts {
        layout: Layout::neutral().titled("Too many attempts"),
        limits: FieldLimits::new(),
        wait: human_duration(retry_after_secs),
        action: links.access_request_path(slug),
        submit_url: links.submit_path(slug),
    })
}

struct Entry {
    author: String,
    from_customer: bool,
    when: String,
    body: String,
}

#[derive(Template)]
#[template(path = "ticket_view.html")]
struct TicketView<'a> {
    layout: Layout,
    limits: FieldLimits,
    t: &'a Ticket,
    submitted: String,
    resolution: Option<&'a Resolution>,
    resolved_at: String,
    entries: Vec<Entry>,
    older: Option<&'a str>,
    older_url: String,
    ticket_action: String,
    session: bool,
    paged_back: bool,
    closed: bool,
    reopens: bool,
    reply_action: String,
    submit_url: String,
    email: &'a str,
    idempotency_key: &'a str,
    message: &'a str,
    message_error: Option<&'a str>,
    notice: Option<&'a str>,
}

/// What the ticket page shows besides the ticket: the reply form's state.
pub struct ReplyFormState<'a> {
    /// Under a session nothing is typed: the forms carry no email.
    pub session: bool,
    /// The conversation shown is an older page (offer the newest).
    pub paged_back: bool,
    pub email: &'a str,
    pub idempotency_key: &'a str,
    pub message: &'a str,
    pub message_error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

impl<'a> ReplyFormState<'a> {
    /// After a typed email: the forms carry it on.
    pub fn typed(email: &'a str, idempotency_key: &'a str) -> Self {
        Self {
            session: false,
            paged_back: false,
            email,
            idempotency_key,
            message: "",
            message_error: None,
            notice: None,
        }
    }

    /// Under a session: nothing typed, nothing carried.
    pub fn signed_in(idempotency_key: &'a str) -> Self {
        Self { session: true, ..Self::typed("", idempotency_key) }
    }
}

/// A verified customer's view of their ticket.
pub fn ticket_view(links: &Links, workspace: &Workspace, view: &CustomerView, form: ReplyFormState<'_>) -> Page {
    let t = &view.ticket;
    let resolution = t.resolution.as_ref().filter(|_| t.status.is_resolved());
    let entries = view
        .conversation
        .iter()
        .map(|c| Entry {
            author: c.author.display_name().to_owned(),
            from_customer: c.author.is_customer(),
            when: human(c.created_at),
            body: c.body.clone(),
        })
        .collect();
    render(&TicketView {
        limits: FieldLimits::new(),
        layout: Layout::for_workspace(workspace, links).titled(&format!("{} · {}", t.reference, t.status)),
        t,
        submitted: human(t.created_at),
        resolution,
        resolved_at: resolution.map(|r| human(r.at)).unwrap_or_default(),
        entries,
        older: view.older.as_ref().map(CommentCursor::as_str),
        older_url: view
            .older
            .as_ref()
            .map(|cursor| links.older_messages_path(&workspace.slug, t.reference, cursor.as_str()))
            .unwrap_or_default(),
        ticket_action: links.ticket_path(&workspace.slug, t.reference),
        session: form.session,
        paged_back: form.paged_back,
        closed: !t.status.takes_replies(),
        reopens: t.status.reopens_on_reply(),
        reply_action: links.reply_path(&workspace.slug, t.reference),
        submit_url: links.submit_path(&workspace.slug),
        email: form.email,
        idempotency_key: form.idempotency_key,
        message: form.message,
        message_error: form.message_error,
        notice: form.notice,
    })
}

#[derive(Template)]
#[template(path = "csat_form.html")]
struct CsatForm<'a> {
    layout: Layout,
    limits: FieldLimits,
    reference: TicketRef,
    action: String,
    options: [(&'static str, &'static str); 5],
    chosen: &'a str,
    comment: &'a str,
    errors: &'a FieldErrors,
}

/// The satisfaction survey: five labelled radio buttons and a comment.
pub fn csat_form(
    links: &Links,
    workspace: &Workspace,
    reference: TicketRef,
    token: &str,
    chosen: &str,
    comment: &str,
    errors: &FieldErrors,
) -> Page {
    render(&CsatForm {
        limits: FieldLimits::new(),
        layout: Layout::for_workspace(workspace, links).titled(&format!("Rate your experience with {reference}")),
        reference,
        action: links.survey_path(&workspace.slug, token),
        options: [
            ("1", "1 star: very poor"),
            ("2", "2 stars: poor"),
            ("3", "3 stars: okay"),
            ("4", "4 stars: good"),
            ("5", "5 stars: excellent"),
        ],
        chosen: chosen.trim(),
        comment,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links::new("https://support.example.com")
    }

    fn workspace() -> Workspace {
        Workspace::new(WorkspaceSlug::parse("demo").unwrap(), "Demo <Workspace>", false)
    }

    #[test]
    fn form_escapes_values_and_ties_errors_to_fields() {
        let values = SubmissionInput {
            name: "<script>alert(1)</script>".into(),
            email: "\"><img src=x onerror=alert(1)>".into(),
            ..Default::default()
        };
        let mut errors = FieldErrors::default();
        errors.add("email", "Please enter a valid email address.");
        let html = submit_form(&links(), &workspace(), &values, &errors, None, "KEY12345");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)"));
        assert!(html.contains("Demo &#60;Workspace&#62;"));
        assert!(html.contains(r#"aria-describedby="email-hint email-error""#));
        assert!(html.contains(r#"id="email-error""#));
        assert!(html.contains(r#"value="KEY12345""#));
    }

    #[test]
    fn too_many_attempts_offers_a_link_and_nothing_of_the_ticket() {
        let slug = WorkspaceSlug::parse("demo").unwrap();
        let page = too_many_attempts(&links(), &slug, 600);
        assert!(page.contains(r#"<form method="post" action="/portal/demo/access" novalidate>"#), "{page}");
        assert!(page.contains(r#"name="email" value="""#));
        assert!(page.contains("about 10 minutes"), "{page}");
        assert!(page.contains(">Email me a link<"));
        assert_eq!(page, too_many_attempts(&links(), &slug, 600), "the same bytes every time");
    }

    #[test]
    fn confirmation_links_to_tracking_and_the_form() {
        let html = submit_done(&links(), &workspace(), TicketRef::from_number(42).unwrap());
        assert!(html.contains("TKT-0042"));
        assert!(html.contains(r#"href="/portal/demo/tickets/TKT-0042""#));
        assert!(html.contains(">Track Ticket<"));
        assert!(html.contains(r#"href="/portal/demo/submit""#));
        assert!(html.contains("Submit Another"));
    }

    /// Limits and lifetimes come from the code: a copy in a template or an
    /// asset would drift from the rule it repeats.
    #[test]
    fn no_template_or_asset_repeats_a_rule() {
        use crate::domain::access::{SESSION_TTL_SECS, TICKET_LINK_TTL_SECS};
        use crate::domain::csat::CSAT_LINK_TTL_SECS;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut copies = Vec::new();
        for dir in ["templates", "assets"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let lifetimes = [CSAT_LINK_TTL_SECS, ACCESS_LINK_TTL_SECS, TICKET_LINK_TTL_SECS, SESSION_TTL_SECS];
                let mut forbidden: Vec<String> = lifetimes.iter().map(|s| human_duration(s.unsigned_abs())).collect();
                for n in [MAX_MESSAGE_CHARS, MAX_CSAT_COMMENT_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS, MAX_EMAIL_CHARS]
                {
                    forbidden.extend([format!("maxlength=\"{n}\""), format!("maxlength: {n}")]);
                    if n >= 1000 {
                        forbidden.extend([n.to_string(), human_count(n)]);
                    }
                }
                let numbers: Vec<&str> = text.split(|c: char| !c.is_ascii_digit() && c != ',').collect();
                for copy in &forbidden {
                    let is_number = copy.chars().all(|c| c.is_ascii_digit() || c == ',');
                    if (is_number && numbers.contains(&copy.as_str())) || (!is_number && text.contains(copy.as_str())) {
                        copies.push(format!("{}: {copy}", path.display()));
                    }
                }
                if text.contains("maxlength=\"")
                    && text.split("maxlength=\"").skip(1).any(|s| s.starts_with(|c: char| c.is_ascii_digit()))
                {
                    copies.push(format!("{}: a literal maxlength", path.display()));
                }
            }
        }
        assert!(copies.is_empty(), "{copies:#?}");
    }

    #[test]
    fn forms_take_their_limits_from_the_rules() {
        let html =
            submit_form(&links(), &workspace(), &SubmissionInput::default(), &FieldErrors::default(), None, "KEY12345");
        assert!(html.contains(&format!(r#"maxlength="{MAX_MESSAGE_CHARS}""#)));
        assert!(html.contains("Optional, up to 5,000 characters."), "{html}");
    }

    #[test]
    fn branding_reaches_the_header_and_the_stylesheet() {
        let plain =
            submit_form(&links(), &workspace(), &SubmissionInput::default(), &FieldErrors::default(), None, "KEY12345");
        assert!(plain.brand_css.is_none());
        assert!(!plain.contains("<img"));
        assert!(plain.contains("<header class=\"site\"><p>Demo &#60;Workspace&#62;</p></header>"), "{plain}");

        let mut branded = workspace();
        branded.accent = Some(crate::domain::AccentColour::parse("#0F5132").unwrap());
        branded.logo = Some(crate::domain::LogoRef {
            format: crate::domain::LogoFormat::Png,
            version: "0123456789abcdef".into(),
            size: 10,
        });
        let page = submit_done(&links(), &branded, TicketRef::from_number(1).unwrap());
        assert_eq!(page.brand_css.as_deref(), Some(":root{--accent:#0f5132}"));
        assert!(page.contains("<style>:root{--accent:#0f5132}</style>"), "{page}");
        assert!(page.contains(r#"<img class="logo" src="/portal/demo/logo?v=0123456789abcdef" alt="" height="40">Demo &#60;Workspace&#62;"#));
    }
}

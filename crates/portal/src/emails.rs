//! Emails: what each kind says (one place, both parts; the HTML part's layout
//! is `templates/email.html`, beside the pages' templates). Sending them is
//! [`crate::mail_out`]'s.
//!
//! User-supplied text only ever travels in the body, escaped in the HTML part;
//! subjects are built from references and validated single-line text and
//! stripped of control characters, so no field can inject a header.

use askama::Template;
use inbound_mail::FOOTER_MARKER;

use crate::domain::accent::DEFAULT_ACCENT;
use crate::domain::access::{ACCESS_LINK_TTL_SECS, TICKET_LINK_TTL_SECS};
use crate::domain::csat::CSAT_LINK_TTL_SECS;
use crate::domain::text::human_duration;
use crate::domain::{TicketRef, Workspace};
use crate::links::Links;

/// How a workspace's emails look: its name, accent colour and logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    pub name: String,
    /// `#rrggbb`, checked for contrast when it was set.
    pub accent: String,
    /// Absolute URL of the logo (mail clients need the full address).
    pub logo_url: Option<String>,
}

impl Brand {
    pub fn for_workspace(workspace: &Workspace, links: &Links) -> Self {
        Self {
            name: workspace.name.clone(),
            accent: workspace.accent_hex().to_owned(),
            logo_url: workspace.logo.as_ref().map(|logo| links.logo_url(&workspace.slug, &logo.version)),
        }
    }

    /// The portal's own colours and no logo.
    pub fn plain(name: &str) -> Self {
        Self { name: name.into(), accent: DEFAULT_ACCENT.into(), logo_url: None }
    }
}

/// One email, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    /// Quoted text from a person (an agent's reply, a resolution).
    pub quote: Option<String>,
    /// The call to action: (label, url).
    pub button: Option<(String, String)>,
    /// The ticket's private link: opens it without typing the email.
    pub ticket_link: Option<String>,
    pub footer: String,
    /// `Reply-To`: the reply address naming the ticket and this recipient.
    pub reply_to: Option<String>,
    /// The ticket's thread id, sent as `In-Reply-To` and `References`.
    pub thread_root: Option<String>,
    /// `Auto-Submitted` (RFC 3834) on emails no person wrote, so that
    /// vacation responders do not answer them: no mail loop starts here.
    pub auto_submitted: Option<&'static str>,
}

/// What automatic emails say in `Auto-Submitted`.
const AUTO_GENERATED: &str = "auto-generated";

/// Longest header value we send (SES allows 995; `References` may grow later).
const MAX_HEADER_VALUE: usize = 900;

/// Whether a value may go into a header as it is: printable ASCII without
/// spaces, so no break, no folding and no second address can ride on it.
fn header_safe(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_HEADER_VALUE && value.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

#[derive(Template)]
#[template(path = "email.html")]
struct EmailHtml<'a> {
    email: &'a Email,
    brand: &'a Brand,
    link_label: &'static str,
    link_note: String,
}

/// A subject line can never carry a line break.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// What the private link is, in both parts of every customer email.
const TICKET_LINK_LABEL: &str = "Open your ticket";

fn ticket_link_note() -> String {
    format!(
        "This private link opens your ticket without typing your email address, for {}. Do not forward this email: whoever has the link can read and answer your tickets here.",
        human_duration(TICKET_LINK_TTL_SECS.unsigned_abs())
    )
}

impl Email {
    /// Adds the ticket's private link (every email to a customer carries one).
    pub fn with_ticket_link(mut self, url: String) -> Self {
        self.ticket_link = Some(url);
        self
    }

    /// Adds the reply address (`Reply-To`) and the marker that cuts our text from the answer.
    pub fn with_reply_to(mut self, address: Option<String>) -> Self {
        if address.is_some() {
            // Now a reply by mail reaches the ticket too: say so.
            self.footer = self.footer.replace(REPLY_ON_THE_PAGE, REPLY_BY_MAIL);
        }
        self.reply_to = address;
        self
    }

    /// Threads the email into its ticket's conversation in mail clients.
    pub fn with_thread(mut self, root: Option<String>) -> Self {
        self.thread_root = root;
        self
    }

    /// The `Reply-To` address, if it is safe to send (ours always are).
    pub fn reply_to_header(&self) -> Option<&str> {
        self.reply_to.as_deref().filter(|a| header_safe(a))
    }

    /// The extra headers: `In-Reply-To` and `References` (safe values only),
    /// and `Auto-Submitted` on automatic emails.
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = match self.thread_root.as_deref().filter(|id| header_safe(id)) {
            Some(root) => vec![("In-Reply-To", root), ("References", root)],
            None => Vec::new(),
        };
        headers.extend(self.auto_submitted.map(|value| ("Auto-Submitted", value)));
        headers
    }

    pub fn subject_line(&self) -> String {
        one_line(&self.subject)
    }

    pub fn text(&self, workspace_name: &str) -> String {
        // An answer by email keeps only what was typed above the marker.
        let marker = if self.reply_to.is_some() { format!("{FOOTER_MARKER}\n\n") } else { String::new() };
        let mut out = format!("{marker}{workspace_name}\n\n{}\n\n", self.heading);
        for p in &self.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
        if let Some(quote) = &self.quote {
            for line in quote.lines() {
                out.push_str("> ");
                out.push_str(line);
                out.push('\n');
            }
            out.push('\n');
        }
        if let Some((label, url)) = &self.button {
            out.push_str(&format!("{label}: {url}\n\n"));
        }
        if let Some(url) = &self.ticket_link {
            out.push_str(&format!("{TICKET_LINK_LABEL}: {url}\n{}\n\n", ticket_link_note()));
        }
        out.push_str(&self.footer);
        out.push('\n');
        out
    }

    pub fn html(&self, brand: &Brand) -> String {
        let template = EmailHtml { email: self, brand, link_label: TICKET_LINK_LABEL, link_note: ticket_link_note() };
        template.render().unwrap_or_else(|_| self.text(&brand.name))
    }
}

/// How a customer answers, in the footers; [`Email::with_reply_to`] puts the
/// second in place of the first.
const REPLY_ON_THE_PAGE: &str = "reply from the tracking page";
const REPLY_BY_MAIL: &str = "reply to this email (or from the tracking page)";

/// The customer's confirmation. It says nothing the customer typed: anyone can
/// submit any address, and the portal must not relay their words to it.
pub fn confirmation(to: &str, reference: &str, tracking_url: &str) -> Email {
    Email {
        to: to.into(),
        subject: format!("We received your request [{reference}]"),
        heading: format!("Your ticket reference is {reference}"),
        paragraphs: vec![
            "Thank you for contacting us. Our team will reply by email.".into(),
            "To see your ticket, its status and our replies, open the tracking page and enter this email address."
                .into(),
        ],
        quote: None,
        button: Some(("Track Ticket".into(), tracking_url.into())),
        ticket_link: None,
        reply_to: None,
        thread_root: None,
        auto_submitted: Some(AUTO_GENERATED),
        footer: "If you did not submit this request, you can ignore this email.".into(),
    }
}

/// The assigned agent's notice of a new ticket.
pub fn agent_assigned(to: &str, reference: &str, subject: &str, ticket_url: &str) -> Email {
    Email {
        to: to.into(),
        subject: format!("[{reference}] New ticket assigned to you: {}", one_line(subject)),
        heading: format!("{reference} is yours"),
        paragraphs: vec![
            format!("A new portal ticket was assigned to you: {}", one_line(subject)),
            format!("See it with: portalctl ticket show <workspace> {reference}"),
        ],
        quote: None,
        button: Some(("Open ticket".into(), ticket_url.into())),
        ticket_link: None,
        reply_to: None,
        thread_root: None,
        auto_submitted: Some(AUTO_GENERATED),
        footer: "You receive this because auto-assignment picked you.".into(),
    }
}

/// An agent's public reply, sent to the customer.
pub fn agent_reply(to: &str, reference: &str, agent_name: &str, body: &str, tracking_url: &str) -> Email {
    Email {
        to: to.into(),
        subject: format!("New reply on your ticket [{reference}]"),
        heading: format!("{} replied to {reference}", one_line(agent_name)),
        paragraphs: vec![],
        quote: Some(body.into()),
        button: Some(("View and reply".into(), tracking_url.into())),
        ticket_link: None,
        reply_to: None,
        thread_root: None,
        auto_submitted: None,
        footer: format!("To answer, {REPLY_ON_THE_PAGE}: your message stays with the ticket."),
    }
}

/// The CSAT request after a resolution.
pub fn rate_your_experience(to: &str, reference: &str, resolution: &str, survey_url: &str) -> Email {
    Email {
        to: to.into(),
        subject: format!("Your ticket {reference} was resolved. How did we do?"),
        heading: format!("{reference} is resolved"),
        paragraphs: vec!["Here is how we resolved it:".into()],
        quote: Some(resolution.into()),
        button: Some(("Rate Your Experience".into(), survey_url.into())),
        ticket_link: None,
        reply_to: None,
        thread_root: None,
        auto_submitted: Some(AUTO_GENERATED),
        footer: format!(
            "The rating link works once and expires after {}. If something is still wrong, {REPLY_ON_THE_PAGE} and the ticket reopens.",
            human_duration(CSAT_LINK_TTL_SECS.unsigned_abs())
        ),
    }
}

/// The access link a customer asked for: My tickets, or (from a tracking
/// page in link mode) the ticket it names.
pub fn access_link(to: &str, url: &str, reference: Option<TicketRef>) -> Email {
    let lifetime = human_duration(ACCESS_LINK_TTL_SECS.unsigned_abs());
    let (subject, heading, label) = match reference {
        Some(reference) => {
            (format!("Your link to ticket {reference}"), format!("Open {reference}"), format!("Open {reference}"))
        }
        None => ("Your link to your tickets".to_owned(), "Your tickets".to_owned(), "See my tickets".to_owned()),
    };
    Email {
        to: to.into(),
        subject,
        heading,
        paragraphs: vec![format!(
            "Someone (we hope you) asked for a link to your support tickets. It works for {lifetime} and opens them without your email address."
        )],
        quote: None,
        button: Some((label, url.into())),
        ticket_link: None,
        reply_to: None,
        thread_root: None,
        auto_submitted: Some(AUTO_GENERATED),
        footer: "If you did not ask for it, you can ignore this email: nobody can use the link without reading your mail.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_a_reply_address_the_footer_says_a_reply_by_mail_reaches_the_ticket() {
        let plain = agent_reply("ann@example.com", "TKT-0001", "Alex", "Hi", "https://p.example/t");
        assert!(plain.footer.contains(REPLY_ON_THE_PAGE), "{}", plain.footer);
        let by_mail = plain.with_reply_to(Some("reply+abc@inbound.example.com".into()));
        assert!(by_mail.footer.contains(REPLY_BY_MAIL), "{}", by_mail.footer);
        let survey = rate_your_experience("ann@example.com", "TKT-0001", "Done", "https://p.example/s")
            .with_reply_to(Some("reply+abc@inbound.example.com".into()));
        assert!(survey.footer.contains(REPLY_BY_MAIL), "{}", survey.footer);
    }

    #[test]
    fn confirmation_echoes_nothing_the_customer_typed() {
        let email = confirmation("ann@example.com", "TKT-0042", "https://x/portal/demo/tickets/TKT-0042");
        let all = format!("{} {} {}", email.subject_line(), email.text("Demo"), email.html(&Brand::plain("Demo")));
        assert!(all.contains("TKT-0042"));
        assert!(email.text("Demo").contains("Track Ticket: https://x/portal/demo/tickets/TKT-0042"));
        assert!(email.html(&Brand::plain("Demo")).contains("href=\"https://x/portal/demo/tickets/TKT-0042\""));
    }

    #[test]
    fn subjects_cannot_carry_headers_and_bodies_are_escaped() {
        let email = agent_assigned("a@x.io", "TKT-0001", "Hi\r\nBcc: victim@example.com", "https://x");
        assert!(!email.subject_line().contains('\n') && !email.subject_line().contains('\r'));
        let reply = agent_reply("c@x.io", "TKT-0001", "Ann\nEvil", "<script>alert(1)</script>", "https://x");
        assert!(!reply.html(&Brand::plain("W<orks>")).contains("<script>"));
        assert!(reply.html(&Brand::plain("W<orks>")).contains("&#60;script&#62;"));
        assert!(!reply.html(&Brand::plain("W<orks>")).contains("W<orks>"));
        assert!(reply.text("W").contains("> <script>alert(1)</script>"), "text part is plain text");
    }

    #[test]
    fn reply_addresses_and_thread_ids_travel_only_when_header_safe() {
        let email = confirmation("c@x.io", "TKT-0001", "https://x")
            .with_reply_to(Some("reply+abc@inbound.example.com".into()))
            .with_thread(Some("<tkt-01J@inbound.example.com>".into()));
        assert_eq!(email.reply_to_header(), Some("reply+abc@inbound.example.com"));
        assert_eq!(
            email.headers(),
            [
                ("In-Reply-To", "<tkt-01J@inbound.example.com>"),
                ("References", "<tkt-01J@inbound.example.com>"),
                ("Auto-Submitted", "auto-generated")
            ]
        );
        assert!(email.text("W").starts_with(FOOTER_MARKER), "{}", email.text("W"));
        for evil in ["a@b\r\nBcc: victim@example.com", "a@b\nX: y", "a@b c@d", "", "é@b", &"a".repeat(1_000)] {
            let bad = confirmation("c@x.io", "TKT-0001", "https://x")
                .with_reply_to(Some(evil.to_owned()))
                .with_thread(Some(evil.to_owned()));
            assert_eq!(bad.reply_to_header(), None, "{evil:?}");
            assert_eq!(bad.headers(), [("Auto-Submitted", "auto-generated")], "{evil:?}");
        }
        let plain = confirmation("c@x.io", "TKT-0001", "https://x");
        assert!(plain.reply_to_header().is_none());
        let person = agent_reply("c@x.io", "TKT-0001", "Ann", "Hi", "https://x");
        assert!(person.headers().is_empty(), "an agent's own words are not automatic");
        assert!(!plain.text("W").contains(FOOTER_MARKER));
    }

    #[test]
    fn csat_email_has_the_rate_button_in_both_parts() {
        let email = rate_your_experience("c@x.io", "TKT-0007", "Replaced the cable.", "https://x/portal/demo/csat/abc");
        assert!(email.text("W").contains("Rate Your Experience: https://x/portal/demo/csat/abc"));
        assert!(email.html(&Brand::plain("W")).contains(">Rate Your Experience</a>"));
        assert!(email.text("W").contains("> Replaced the cable."));
        assert!(email.footer.contains("expires after 7 days"), "{}", email.footer);
    }

    #[test]
    fn customer_emails_carry_the_private_link_in_both_parts() {
        let link = "https://x/portal/demo/access/abc?ticket=TKT-0007".to_owned();
        let email = agent_reply("c@x.io", "TKT-0007", "Ann", "Hi", "https://x/t").with_ticket_link(link.clone());
        assert!(email.text("W").contains(&format!("Open your ticket: {link}")), "{}", email.text("W"));
        assert!(email.text("W").contains("for 14 days"), "{}", email.text("W"));
        let html = email.html(&Brand::plain("W"));
        assert!(html.contains("href=\"https://x/portal/demo/access/abc?ticket=TKT-0007\""), "{html}");
        assert!(!confirmation("c@x.io", "TKT-0001", "https://x").text("W").contains("Open your ticket"));
    }

    #[test]
    fn the_access_link_says_how_long_it_works() {
        let email = access_link("c@x.io", "https://x/portal/demo/access/abc", None);
        assert!(email.text("W").contains("See my tickets: https://x/portal/demo/access/abc"));
        assert!(email.paragraphs[0].contains("30 minutes"), "{:?}", email.paragraphs);
        let one = access_link("c@x.io", "https://x/a?ticket=TKT-0002", TicketRef::from_number(2));
        assert_eq!(one.subject_line(), "Your link to ticket TKT-0002");
    }

    #[test]
    fn branded_emails_use_the_accent_and_the_logo() {
        let mut workspace = Workspace::new(crate::domain::WorkspaceSlug::parse("acme").unwrap(), "Acme <Inc>", true);
        workspace.accent = Some(crate::domain::AccentColour::parse("#0f5132").unwrap());
        workspace.logo = Some(crate::domain::LogoRef {
            format: crate::domain::LogoFormat::Svg,
            version: "0123456789abcdef".into(),
            size: 10,
        });
        let brand = Brand::for_workspace(&workspace, &Links::new("https://support.acme.test"));
        let html = confirmation("c@x.io", "TKT-0001", "https://x").html(&brand);
        assert!(html.contains("background:#0f5132"), "{html}");
        assert!(!html.contains(DEFAULT_ACCENT), "{html}");
        assert!(html.contains(r#"src="https://support.acme.test/portal/acme/logo?v=0123456789abcdef""#), "{html}");
        assert!(html.contains("Acme &#60;Inc&#62;"));
        let plain = confirmation("c@x.io", "TKT-0001", "https://x").html(&Brand::plain("Acme"));
        assert!(plain.contains(&format!("background:{DEFAULT_ACCENT}")) && !plain.contains("<img"), "{plain}");
    }
}

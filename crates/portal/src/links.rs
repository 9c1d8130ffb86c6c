//! Every link the portal hands out, in pages, emails, JSON and the CLI: one
//! type, built from the portal's base URL, that follows the route table
//! (`web::routes`; a test there holds each path to it). Relative paths serve
//! the portal's own pages; absolute URLs go where there is no page around
//! them (emails, the widget on another site, the CLI).

use askama::Template;

use crate::assets::WIDGET_VERSION;
use crate::domain::widget_origin::normalize_origin;
use crate::domain::{TicketRef, WorkspaceSlug};

/// The portal's links, for one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    base_url: String,
    origin: Option<String>,
}

impl Links {
    /// Links under `base_url` (`PORTAL_BASE_URL`, with or without a trailing slash).
    pub fn new(base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        Self { origin: normalize_origin(&base_url), base_url }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The portal's own origin as a browser's `Origin` header names it, if
    /// the base URL has no path.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The submission form.
    pub fn submit_path(&self, slug: &WorkspaceSlug) -> String {
        format!("/portal/{slug}/submit")
    }

    /// The submission form as the link a workspace shares.
    pub fn submit_url(&self, slug: &WorkspaceSlug) -> String {
        self.absolute(&self.submit_path(slug))
    }

    /// A ticket's tracking page (asks for the email, then shows the ticket).
    pub fn ticket_path(&self, slug: &WorkspaceSlug, reference: TicketRef) -> String {
        format!("/portal/{slug}/tickets/{reference}")
    }

    /// The tracking page, for emails and JSON answers.
    pub fn tracking_url(&self, slug: &WorkspaceSlug, reference: TicketRef) -> String {
        self.absolute(&self.ticket_path(slug, reference))
    }

    /// Where the ticket page's reply form posts.
    pub fn reply_path(&self, slug: &WorkspaceSlug, reference: TicketRef) -> String {
        format!("{}/reply", self.ticket_path(slug, reference))
    }

    /// The Rate Your Experience survey of a link token.
    pub fn survey_path(&self, slug: &WorkspaceSlug, token: &str) -> String {
        format!("/portal/{slug}/csat/{token}")
    }

    /// The survey link in the resolution email.
    pub fn survey_url(&self, slug: &WorkspaceSlug, token: &str) -> String {
        self.absolute(&self.survey_path(slug, token))
    }

    /// The workspace's logo; `version` changes with the bytes, so the URL can be cached for good.
    pub fn logo_path(&self, slug: &WorkspaceSlug, version: &str) -> String {
        format!("/portal/{slug}/logo?v={version}")
    }

    /// The logo for emails and other sites (the widget).
    pub fn logo_url(&self, slug: &WorkspaceSlug, version: &str) -> String {
        self.absolute(&self.logo_path(slug, version))
    }

    /// The widget script, with the current version.
    pub fn widget_script_url(&self, slug: &WorkspaceSlug) -> String {
        self.absolute(&format!("/portal/{slug}/widget.js?v={}", *WIDGET_VERSION))
    }

    /// The one tag a site adds to show the widget.
    pub fn widget_script_tag(&self, slug: &WorkspaceSlug) -> String {
        let src = self.widget_script_url(slug);
        ScriptTag { src: &src }.render().unwrap_or_default()
    }

    /// Where the widget posts its tickets (the JSON submit).
    pub fn api_submit_url(&self, slug: &WorkspaceSlug) -> String {
        self.absolute(&format!("/api/portal/{slug}/tickets"))
    }

    /// Where the "email me a link" forms post.
    pub fn access_request_path(&self, slug: &WorkspaceSlug) -> String {
        format!("/portal/{slug}/access")
    }

    /// An access link: My tickets.
    pub fn access_path(&self, slug: &WorkspaceSlug, token: &str) -> String {
        format!("{}/{token}", self.access_request_path(slug))
    }

    /// The access link in the email a customer asked for; with `reference`,
    /// it opens that ticket.
    pub fn access_url(&self, slug: &WorkspaceSlug, token: &str, reference: Option<TicketRef>) -> String {
        let path = self.access_path(slug, token);
        match reference {
            Some(reference) => self.absolute(&format!("{path}?ticket={reference}")),
            None => self.absolute(&path),
        }
    }

    /// A ticket's private link, in every customer email about it.
    pub fn ticket_link_url(&self, slug: &WorkspaceSlug, token: &str, reference: TicketRef) -> String {
        self.access_url(slug, token, Some(reference))
    }

    /// The page of a ticket's conversation older than `cursor` (under a session).
    pub fn older_messages_path(&self, slug: &WorkspaceSlug, reference: TicketRef, cursor: &str) -> String {
        format!("{}?before={cursor}", self.ticket_path(slug, reference))
    }

    /// The session cookie's path: every page of the workspace, nothing else.
    pub fn session_cookie_path(&self, slug: &WorkspaceSlug) -> String {
        format!("/portal/{slug}")
    }

    /// Whether the portal is served over https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[derive(Template)]
#[template(source = r#"<script src="{{ src }}" async></script>"#, ext = "html")]
struct ScriptTag<'a> {
    src: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_links_sit_under_the_base_url() {
        let links = Links::new("https://support.example.com/");
        let demo = WorkspaceSlug::parse("demo").unwrap();
        assert_eq!(links.base_url(), "https://support.example.com");
        assert_eq!(links.origin(), Some("https://support.example.com"));
        assert_eq!(links.submit_url(&demo), "https://support.example.com/portal/demo/submit");
        let reference = TicketRef::from_number(42).unwrap();
        assert_eq!(links.tracking_url(&demo, reference), "https://support.example.com/portal/demo/tickets/TKT-0042");
        assert_eq!(links.reply_path(&demo, reference), "/portal/demo/tickets/TKT-0042/reply");
        assert_eq!(links.access_request_path(&demo), "/portal/demo/access");
        assert_eq!(
            links.widget_script_url(&demo),
            format!("https://support.example.com/portal/demo/widget.js?v={}", *WIDGET_VERSION)
        );
        assert_eq!(Links::new("http://127.0.0.1:3000/base").origin(), None, "a base with a path is no origin");
    }

    #[test]
    fn private_links_carry_the_token_and_the_ticket() {
        let links = Links::new("https://support.example.com");
        let demo = WorkspaceSlug::parse("demo").unwrap();
        let reference = TicketRef::from_number(7).unwrap();
        assert_eq!(links.access_url(&demo, "abc", None), "https://support.example.com/portal/demo/access/abc");
        assert_eq!(
            links.ticket_link_url(&demo, "abc", reference),
            "https://support.example.com/portal/demo/access/abc?ticket=TKT-0007"
        );
        assert_eq!(links.session_cookie_path(&demo), "/portal/demo");
        assert!(links.is_https());
        assert!(!Links::new("http://127.0.0.1:3000").is_https());
    }

    #[test]
    fn the_script_tag_is_versioned_and_async() {
        let slug = WorkspaceSlug::parse("demo").unwrap();
        let tag = Links::new("https://support.example.com").widget_script_tag(&slug);
        assert_eq!(
            tag,
            format!(
                r#"<script src="https://support.example.com/portal/demo/widget.js?v={}" async></script>"#,
                *WIDGET_VERSION
            )
        );
        assert_eq!(WIDGET_VERSION.len(), 16);
    }
}

//! Where a request comes from, and what that allows: the one cross-origin
//! rule of the portal. Browsers say where a request comes from in two headers:
//! `Origin` (the site whose page made it) and `Sec-Fetch-Site` (`same-origin`,
//! `same-site`, `cross-site` or `none`). Pure: header values in, decisions out.
//!
//! - The JSON API answers other sites by CORS, for the sites a workspace
//!   allows its widget on ([`RequestOrigin::cors`], [`RequestOrigin::preflight`]).
//! - HTML forms act only for the portal's own pages ([`RequestOrigin::form_post`]):
//!   any other page could otherwise make its visitors submit tickets.

use super::widget_origin::{normalize_origin, WidgetOrigin};

/// What a request's headers say about where it comes from, judged against
/// the portal's own origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The `Origin` header as sent.
    header: Option<String>,
    /// Whether `Origin` names the portal's own origin.
    own: bool,
    /// Whether `Sec-Fetch-Site` says `cross-site`.
    cross_site: bool,
}

/// The JSON API's answer to the request's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// No `Origin`, or the portal's own: CORS does not apply (curl, servers, the portal's pages).
    NotNeeded,
    /// Another site the workspace allows: it may read the answer.
    Allowed(String),
    /// Another site, not allowed.
    Refused,
}

/// The answer to a CORS preflight (which always names its origin: see
/// [`RequestOrigin::header`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    Allowed(String),
    Refused,
}

/// Whether an HTML form post may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormPost {
    Accepted,
    /// Sent from another site's page: do nothing.
    CrossSite,
}

impl RequestOrigin {
    /// `origin` and `sec_fetch_site` are the headers as sent (absent: `None`);
    /// `portal_origin` is the portal's own (`None` if it has none, when every
    /// `Origin` is another site's).
    pub fn new(origin: Option<&str>, sec_fetch_site: Option<&str>, portal_origin: Option<&str>) -> Self {
        let own = match (origin.and_then(normalize_origin), portal_origin) {
            (Some(theirs), Some(ours)) => theirs == ours,
            _ => false,
        };
        Self {
            header: origin.map(str::to_owned),
            own,
            cross_site: sec_fetch_site.is_some_and(|site| site.trim().eq_ignore_ascii_case("cross-site")),
        }
    }

    /// The `Origin` header as sent.
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// The `Origin` header when it names another site than the portal (one
    /// it cannot read, such as `null`, included): the workspace's list decides.
    pub fn foreign(&self) -> Option<&str> {
        self.header.as_deref().filter(|_| !self.own)
    }

    /// The JSON API's decision, given the sites the workspace allows.
    pub fn cors(&self, allowed: &[WidgetOrigin]) -> Cors {
        match self.foreign() {
            None => Cors::NotNeeded,
            Some(origin) if allowed.iter().any(|site| site.matches(origin)) => Cors::Allowed(origin.to_owned()),
            Some(_) => Cors::Refused,
        }
    }

    /// A preflight's decision: it must name an allowed site (the portal's
    /// own pages never send one, so they are not exempt).
    pub fn preflight(&self, allowed: &[WidgetOrigin]) -> Preflight {
        match self.header.as_deref() {
            Some(origin) if allowed.iter().any(|site| site.matches(origin)) => Preflight::Allowed(origin.to_owned()),
            _ => Preflight::Refused,
        }
    }

    /// An HTML form post's decision: refused when `Sec-Fetch-Site` says
    /// `cross-site`, or when `Origin` is present and not the portal's own
    /// (`null` included). With neither header (older browsers, curl) it is accepted.
    pub fn form_post(&self) -> FormPost {
        if self.cross_site || self.foreign().is_some() {
            FormPost::CrossSite
        } else {
            FormPost::Accepted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: Option<&str> = Some("https://support.example.com");

    fn allowed() -> Vec<WidgetOrigin> {
        vec![WidgetOrigin::parse("https://shop.example.com").unwrap()]
    }

    fn from(origin: Option<&str>, site: Option<&str>) -> RequestOrigin {
        RequestOrigin::new(origin, site, OURS)
    }

    #[test]
    fn the_json_api_lets_allowed_sites_read_and_ignores_its_own_pages() {
        assert_eq!(from(None, None).cors(&allowed()), Cors::NotNeeded);
        assert_eq!(from(Some("https://SUPPORT.example.com:443"), None).cors(&allowed()), Cors::NotNeeded);
        assert_eq!(
            from(Some("https://shop.example.com"), Some("cross-site")).cors(&allowed()),
            Cors::Allowed("https://shop.example.com".into())
        );
        assert_eq!(from(Some("https://evil.example"), None).cors(&allowed()), Cors::Refused);
        assert_eq!(from(Some("null"), None).cors(&allowed()), Cors::Refused);
        let no_own_origin = RequestOrigin::new(Some("https://support.example.com"), None, None);
        assert_eq!(no_own_origin.cors(&allowed()), Cors::Refused, "without an own origin every Origin is foreign");
    }

    #[test]
    fn a_preflight_names_an_allowed_site() {
        assert_eq!(from(None, None).header(), None);
        assert_eq!(from(None, None).preflight(&allowed()), Preflight::Refused);
        assert_eq!(
            from(Some("https://shop.example.com"), None).preflight(&allowed()),
            Preflight::Allowed("https://shop.example.com".into())
        );
        assert_eq!(from(Some("https://support.example.com"), None).preflight(&allowed()), Preflight::Refused);
    }

    #[test]
    fn forms_act_for_the_portals_own_pages_and_for_clients_that_say_nothing() {
        let matrix = [
            (None, None, FormPost::Accepted),
            (None, Some("none"), FormPost::Accepted),
            (Some("https://support.example.com"), Some("same-origin"), FormPost::Accepted),
            (Some("https://support.example.com"), None, FormPost::Accepted),
            (None, Some("cross-site"), FormPost::CrossSite),
            (None, Some("Cross-Site"), FormPost::CrossSite),
            (Some("https://support.example.com"), Some("cross-site"), FormPost::CrossSite),
            (Some("https://evil.example"), Some("cross-site"), FormPost::CrossSite),
            (Some("https://evil.example"), None, FormPost::CrossSite),
            (Some("https://app.example.com"), Some("same-site"), FormPost::CrossSite),
            (Some("https://shop.example.com"), None, FormPost::CrossSite),
            (Some("null"), None, FormPost::CrossSite),
        ];
        for (origin, site, expected) in matrix {
            assert_eq!(from(origin, site).form_post(), expected, "{origin:?} {site:?}");
        }
    }
}

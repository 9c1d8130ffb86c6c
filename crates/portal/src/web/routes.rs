//! The route table: the one list of paths the portal serves. API Gateway
//! (`template.yaml`), the local dev server and the handlers all follow it, and
//! a test fails if the template and this table drift apart.

use http::Method;

/// The Lambda function that serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Submit,
    Track,
    Reply,
    Csat,
}

impl Function {
    /// Directory under `functions/` and logical id prefix in `template.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Submit => "submit",
            Function::Track => "track",
            Function::Reply => "reply",
            Function::Csat => "csat",
        }
    }
}

/// What a route does, so one function can tell its routes apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SubmitForm,
    SubmitPost,
    SubmitJson,
    /// CORS preflight of the JSON submit (the widget on an allowed site).
    SubmitPreflight,
    WidgetScript,
    /// The widget's per-workspace settings: name, accent, logo, field rules.
    WidgetConfig,
    Logo,
    TrackForm,
    TrackPost,
    TrackJson,
    /// "Email me a link": the form post and its JSON twin.
    AccessPost,
    AccessJson,
    /// An access link: My tickets (or one ticket), and its JSON twin.
    AccessLink,
    AccessLinkJson,
    ReplyPost,
    ReplyJson,
    CsatForm,
    CsatPost,
    CsatJsonGet,
    CsatJson,
}

impl Action {
    /// An HTML form's POST: it acts only for the portal's own pages (see
    /// [`crate::domain::origin::RequestOrigin::form_post`]).
    pub fn is_form_post(self) -> bool {
        matches!(
            self,
            Action::SubmitPost | Action::TrackPost | Action::AccessPost | Action::ReplyPost | Action::CsatPost
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway path template: `{slug}`, `{ref}`, `{token}` are parameters.
    pub path: &'static str,
    pub function: Function,
    pub action: Action,
}

pub const ROUTES: &[Route] = &[
    Route { method: "GET", path: "/portal/{slug}/submit", function: Function::Submit, action: Action::SubmitForm },
    Route { method: "POST", path: "/portal/{slug}/submit", function: Function::Submit, action: Action::SubmitPost },
    Route {
        method: "POST",
        path: "/api/portal/{slug}/tickets",
        function: Function::Submit,
        action: Action::SubmitJson,
    },
    Route {
        method: "OPTIONS",
        path: "/api/portal/{slug}/tickets",
        function: Function::Submit,
        action: Action::SubmitPreflight,
    },
    Route { method: "GET", path: "/portal/{slug}/widget.js", function: Function::Submit, action: Action::WidgetScript },
    Route {
        method: "GET",
        path: "/api/portal/{slug}/widget",
        function: Function::Submit,
        action: Action::WidgetConfig,
    },
    Route { method: "GET", path: "/portal/{slug}/logo", function: Function::Submit, action: Action::Logo },
    Route { method: "GET", path: "/portal/{slug}/tickets/{ref}", function: Function::Track, action: Action::TrackForm },
    Route {
        method: "POST",
        path: "/portal/{slug}/tickets/{ref}",
        function: Function::Track,
        action: Action::TrackPost,
    },
    Route {
        method: "POST",
        path: "/api/portal/{slug}/tickets/{ref}/lookup",
        function: Function::Track,
        action: Action::TrackJson,
    },
    Route { method: "POST", path: "/portal/{slug}/access", function: Function::Track, action: Action::AccessPost },
    Route { method: "POST", path: "/api/portal/{slug}/access", function: Function::Track, action: Action::AccessJson },
    Route {
        method: "GET",
        path: "/portal/{slug}/access/{token}",
        function: Function::Track,
        action: Action::AccessLink,
    },
    Route {
        method: "GET",
        path: "/api/portal/{slug}/access/{token}",
        function: Function::Track,
        action: Action::AccessLinkJson,
    },
    Route {
        method: "POST",
        path: "/portal/{slug}/tickets/{ref}/reply",
        function: Function::Reply,
        action: Action::ReplyPost,
    },
    Route {
        method: "POST",
        path: "/api/portal/{slug}/tickets/{ref}/replies",
        function: Function::Reply,
        action: Action::ReplyJson,
    },
    Route { method: "GET", path: "/portal/{slug}/csat/{token}", function: Function::Csat, action: Action::CsatForm },
    Route { method: "POST", path: "/portal/{slug}/csat/{token}", function: Function::Csat, action: Action::CsatPost },
    Route {
        method: "GET",
        path: "/api/portal/{slug}/csat/{token}",
        function: Function::Csat,
        action: Action::CsatJsonGet,
    },
    Route {
        method: "POST",
        path: "/api/portal/{slug}/csat/{token}",
        function: Function::Csat,
        action: Action::CsatJson,
    },
];

/// Path parameters of a matched route, still raw (parse them with the domain types).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pub slug: String,
    pub reference: String,
    pub token: String,
}

/// The route for a request, if any. Matching is segment by segment; a
/// parameter matches one non-empty segment.
pub fn resolve(method: &Method, path: &str) -> Option<(&'static Route, Params)> {
    ROUTES
        .iter()
        .filter(|r| r.method == method.as_str())
        .find_map(|route| match_path(route.path, path).map(|p| (route, p)))
}

/// Whether any route has this path, whatever its method (for 405 vs 404).
pub fn path_exists(path: &str) -> bool {
    ROUTES.iter().any(|r| match_path(r.path, path).is_some())
}

fn match_path(template: &str, path: &str) -> Option<Params> {
    let mut params = Params::default();
    let mut want = template.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(h)) => match w {
                "{slug}" if !h.is_empty() => params.slug = h.to_owned(),
                "{ref}" if !h.is_empty() => params.reference = h.to_owned(),
                "{token}" if !h.is_empty() => params.token = h.to_owned(),
                literal if literal == h => {}
                _ => return None,
            },
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TicketRef, WorkspaceSlug};
    use crate::links::Links;

    #[test]
    fn every_link_the_portal_hands_out_is_a_route() {
        let base = "https://support.example.com";
        let links = Links::new(base);
        let slug = WorkspaceSlug::parse("demo").unwrap();
        let reference = TicketRef::from_number(7).unwrap();
        let token = "0".repeat(64);
        // The route a link's path reaches (absolute links lose the base, every link its query).
        let route = |method: Method, link: String| {
            let path = link.strip_prefix(base).unwrap_or(&link).split('?').next().unwrap_or("").to_owned();
            resolve(&method, &path).map(|(route, _)| route.action).ok_or(link)
        };
        assert!(links.ticket_link_url(&slug, &token, reference).starts_with(base));
        assert!(links.access_path(&slug, &token).starts_with(&links.session_cookie_path(&slug)));
        let cases = [
            (Method::GET, links.submit_path(&slug), Action::SubmitForm),
            (Method::POST, links.submit_path(&slug), Action::SubmitPost),
            (Method::GET, links.submit_url(&slug), Action::SubmitForm),
            (Method::GET, links.ticket_path(&slug, reference), Action::TrackForm),
            (Method::POST, links.ticket_path(&slug, reference), Action::TrackPost),
            (Method::GET, links.tracking_url(&slug, reference), Action::TrackForm),
            (Method::POST, links.reply_path(&slug, reference), Action::ReplyPost),
            (Method::GET, links.survey_path(&slug, &token), Action::CsatForm),
            (Method::POST, links.survey_path(&slug, &token), Action::CsatPost),
            (Method::GET, links.survey_url(&slug, &token), Action::CsatForm),
            (Method::GET, links.logo_path(&slug, "0123456789abcdef"), Action::Logo),
            (Method::GET, links.logo_url(&slug, "0123456789abcdef"), Action::Logo),
            (Method::GET, links.widget_script_url(&slug), Action::WidgetScript),
            (Method::POST, links.api_submit_url(&slug), Action::SubmitJson),
            (Method::POST, links.access_request_path(&slug), Action::AccessPost),
            (Method::GET, links.access_path(&slug, &token), Action::AccessLink),
            (Method::GET, links.access_url(&slug, &token, None), Action::AccessLink),
            (Method::GET, links.ticket_link_url(&slug, &token, reference), Action::AccessLink),
            (Method::GET, links.older_messages_path(&slug, reference, "01JDQ8W5M3ZC7N2V4X6B9K0T1R"), Action::TrackForm),
        ];
        for (method, link, action) in cases {
            assert_eq!(route(method.clone(), link), Ok(action), "{method}");
        }
    }

    #[test]
    fn resolves_parameters_and_methods() {
        let (route, params) = resolve(&Method::POST, "/api/portal/demo/tickets").unwrap();
        assert_eq!(route.action, Action::SubmitJson);
        assert_eq!(params.slug, "demo");
        assert!(resolve(&Method::GET, "/api/portal/demo/tickets").is_none());
        assert!(path_exists("/api/portal/demo/tickets"));
        assert!(resolve(&Method::GET, "/portal//submit").is_none());
        assert!(resolve(&Method::GET, "/portal/demo/submit/extra").is_none());
        let (preflight, _) = resolve(&Method::OPTIONS, "/api/portal/demo/tickets").unwrap();
        assert_eq!(preflight.action, Action::SubmitPreflight);
        assert_eq!(resolve(&Method::GET, "/portal/demo/widget.js").unwrap().0.action, Action::WidgetScript);
    }
}

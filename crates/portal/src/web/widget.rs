//! The embeddable widget: its script, its settings per workspace, the CORS
//! answers for the sites a workspace allows, and the workspace's logo.
//!
//! The script draws the widget in a shadow root on the host page and talks to
//! the JSON API across origins; why that and not an iframe is in
//! docs/ARCHITECTURE.md ("The widget").

use http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use super::api::{MaxLengths, TicketTypeChoice, WidgetSettings};
use super::origin::{allow_origin, request_origin, vary_origin};
use super::pages::Layout;
use super::request;
use super::{known_workspace, respond, unavailable, Failure};
pub use crate::assets::{WIDGET_JS, WIDGET_VERSION};
use crate::domain::fields::{MAX_EMAIL_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS};
use crate::domain::origin::{Cors, Preflight};
use crate::domain::{TicketType, WorkspaceSlug};
use crate::Portal;

/// The headers the widget sends, and so all a preflight may ask for.
const ALLOWED_HEADERS: [&str; 2] = ["content-type", "idempotency-key"];

/// How long a browser may reuse a preflight answer.
const PREFLIGHT_MAX_AGE_SECS: &str = "600";

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_owned).or_else(|| {
        let query = req.uri().query()?;
        form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
    })
}

fn cache_for(req: &Request, current_version: &str) -> &'static str {
    if query_param(req, "v").as_deref() == Some(current_version) {
        respond::CACHE_FOREVER
    } else {
        respond::CACHE_BRIEFLY
    }
}

/// `GET /portal/{slug}/widget.js`.
pub async fn script(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    match known_workspace(portal, slug).await {
        Ok(_) => respond::asset(
            "text/javascript; charset=utf-8",
            Body::Text(WIDGET_JS.to_owned()),
            cache_for(req, &WIDGET_VERSION),
        ),
        Err(failure) => failure.to_page(Layout::neutral()),
    }
}

/// `GET /api/portal/{slug}/widget`: what the widget shows, from the same
/// rules as the portal's own form. Allowed sites only (and same-origin or
/// origin-less clients, which CORS does not concern).
pub async fn config(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    let workspace = match known_workspace(portal, slug).await {
        Ok(workspace) => workspace,
        Err(failure) => return vary_origin(failure.to_json()),
    };
    let cors = request_origin(portal, req).cors(&workspace.widget_origins);
    if cors == Cors::Refused {
        return vary_origin(Failure::OriginNotAllowed.to_json());
    }
    let links = portal.links();
    let body = WidgetSettings {
        accent: workspace.accent_hex().to_owned(),
        logo_url: workspace.logo.as_ref().map(|logo| links.logo_url(slug, &logo.version)),
        max_length: MaxLengths {
            description: MAX_MESSAGE_CHARS,
            email: MAX_EMAIL_CHARS,
            name: MAX_NAME_CHARS,
            subject: MAX_SUBJECT_CHARS,
        },
        name: workspace.name.clone(),
        portal_url: links.submit_url(slug),
        submit_url: links.api_submit_url(slug),
        types: TicketType::ALL
            .iter()
            .map(|t| TicketTypeChoice { label: t.label().into(), value: t.code().into() })
            .collect(),
    };
    let mut response = respond::json(StatusCode::OK, &body);
    // Branding changes show up on host pages within five minutes.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(respond::CACHE_BRIEFLY));
    match cors {
        Cors::Allowed(origin) => allow_origin(response, &origin),
        Cors::NotNeeded | Cors::Refused => vary_origin(response),
    }
}

/// `OPTIONS /api/portal/{slug}/tickets`: the browser asks whether the site
/// it is on may send the widget's JSON submission. Only the workspace's
/// allowed origins, only POST, only the widget's headers.
pub async fn preflight(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    let origin = request_origin(portal, req);
    if origin.header().is_none() {
        return Failure::Malformed("a CORS preflight needs an Origin header".into()).to_json();
    }
    let workspace = match known_workspace(portal, slug).await {
        Ok(workspace) => workspace,
        Err(failure) => return vary_origin(failure.to_json()),
    };
    let Preflight::Allowed(origin) = origin.preflight(&workspace.widget_origins) else {
        return vary_origin(Failure::OriginNotAllowed.to_json());
    };
    if request::header(req, "access-control-request-method") != Some("POST") {
        return vary_origin(Failure::MethodNotAllowed.to_json());
    }
    let asked = request::header(req, "access-control-request-headers").unwrap_or("");
    let unknown: Vec<String> = asked
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !ALLOWED_HEADERS.contains(&h.as_str()))
        .collect();
    if !unknown.is_empty() {
        let detail = format!("the widget API accepts no {} header", unknown.join(", "));
        return vary_origin(Failure::Malformed(detail).to_json());
    }
    let mut response = allow_origin(respond::empty(StatusCode::NO_CONTENT), &origin);
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, idempotency-key"));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECS));
    response
}

/// `GET /portal/{slug}/logo`: the stored logo, under a CSP that keeps an SVG
/// opened on its own from running anything.
pub async fn logo(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    match portal.logo(slug).await {
        Ok(Some(logo)) => {
            let cache = cache_for(req, &logo.version);
            let mut response = respond::asset(logo.format.content_type(), Body::Binary(logo.bytes), cache);
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(respond::LOGO_CSP));
            response
        }
        Ok(None) => Failure::NotFound.to_page(Layout::neutral()),
        Err(err) => unavailable(&err).to_page(Layout::neutral()),
    }
}

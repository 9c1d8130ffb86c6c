//! The cross-origin rule ([`crate::domain::origin`]) at the HTTP edge: the
//! request's headers in, CORS headers on JSON answers out.

use http::{header, HeaderValue};
use lambda_http::{Body, Request, Response};

use super::pages::Layout;
use super::request;
use super::routes::Route;
use super::Failure;
use crate::domain::origin::{Cors, FormPost, RequestOrigin};
use crate::Portal;

/// Where `req` says it comes from, judged against the portal's own origin.
pub fn request_origin(portal: &Portal, req: &Request) -> RequestOrigin {
    RequestOrigin::new(request::header(req, "origin"), request::header(req, "sec-fetch-site"), portal.links().origin())
}

/// The refusal of an HTML form post sent from another site's page (403 and a
/// friendly page), decided before anything is read or written; `None` for
/// every other request.
pub fn refuse_cross_site_form(portal: &Portal, route: &Route, req: &Request) -> Option<Response<Body>> {
    if !route.action.is_form_post() || request_origin(portal, req).form_post() == FormPost::Accepted {
        return None;
    }
    tracing::info!(path = route.path, "cross-site form post refused");
    Some(Failure::CrossSite.to_page(Layout::neutral()))
}

/// Responses that depend on `Origin` must say so to every cache on the way.
pub fn vary_origin(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// Lets `origin`, allowed by the workspace, read the response. No
/// credentials: the widget sends no cookies.
pub fn allow_origin(response: Response<Body>, origin: &str) -> Response<Body> {
    let mut response = vary_origin(response);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    // So the widget can say how long to wait when rate limited.
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
    response
}

/// A JSON answer under the CORS decision: readable by an allowed site,
/// replaced by 403 for any other site, untouched where CORS does not apply.
pub fn under_cors(response: Response<Body>, cors: Cors) -> Response<Body> {
    match cors {
        Cors::NotNeeded => response,
        Cors::Allowed(origin) => allow_origin(response, &origin),
        Cors::Refused => vary_origin(Failure::OriginNotAllowed.to_json()),
    }
}

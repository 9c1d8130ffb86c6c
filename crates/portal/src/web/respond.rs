//! Building responses, with the security headers every response carries.

use std::sync::LazyLock;

use http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::secrets::sha256_base64;

/// The one stylesheet, inlined into every page (no CDN, works offline) and
/// allowed by its hash in the Content-Security-Policy.
pub const STYLESHEET: &str = include_str!("../../assets/portal.css");

static PAGE_CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        sha256_base64(STYLESHEET.as_bytes())
    )
});

fn base(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Pages may show a customer's ticket: never store them in a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn html(status: StatusCode, html: String) -> Response<Body> {
    let mut response = base(status, "text/html; charset=utf-8", Body::Text(html));
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&PAGE_CSP) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    base(status, "application/json", Body::Text(text))
}

//! Building responses, with the security headers every response carries.

use std::sync::LazyLock;

use http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

use super::pages::Page;
use crate::domain::secrets::sha256_base64;

/// The one stylesheet, inlined into every page (no CDN, works offline) and
/// allowed by its hash in the Content-Security-Policy.
pub const STYLESHEET: &str = include_str!("../../assets/portal.css");

static STYLESHEET_HASH: LazyLock<String> = LazyLock::new(|| sha256_base64(STYLESHEET.as_bytes()));

/// The page CSP: no script at all, our stylesheet (and the workspace's accent
/// stylesheet, if any) by hash, and no framing.
fn page_csp(brand_css: Option<&str>) -> String {
    let brand = brand_css.map(|css| format!(" 'sha256-{}'", sha256_base64(css.as_bytes()))).unwrap_or_default();
    format!(
        "default-src 'none'; style-src 'sha256-{}'{brand}; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        *STYLESHEET_HASH
    )
}

/// The referrer policy of every response (and of every page's `<meta>`).
pub const REFERRER_POLICY: &str = "same-origin";

/// What the logo route sends with every logo. An SVG opened on its own is a
/// document: this keeps it from running script or loading anything.
pub const LOGO_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// For versioned URLs (`?v=` changes whenever the bytes do).
pub const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// For the same resources without the current version: picked up again soon.
pub const CACHE_BRIEFLY: &str = "public, max-age=300";

fn base(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Links (with their tokens) never travel to other sites. Not `no-referrer`:
    // under it browsers send `Origin: null` on the portal's own form posts, which
    // the cross-site rule must refuse (`domain::origin`).
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(REFERRER_POLICY));
    // Pages may show a customer's ticket: never store them in a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn html(status: StatusCode, page: Page) -> Response<Body> {
    let csp = page_csp(page.brand_css.as_deref());
    let mut response = base(status, "text/html; charset=utf-8", Body::Text(page.html));
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    base(status, "application/json", Body::Text(text))
}

/// A static resource other sites load (the widget script, the logo).
pub fn asset(content_type: &'static str, body: Body, cache_control: &'static str) -> Response<Body> {
    let mut response = base(StatusCode::OK, content_type, body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    // Sites that isolate themselves (Cross-Origin-Embedder-Policy) may load it.
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    response
}

/// Adds `Retry-After` (seconds) to a 429 or 503 answer.
pub fn with_retry_after(mut response: Response<Body>, retry_after_secs: u64) -> Response<Body> {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A response with no body (CORS preflight).
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csp(response: &Response<Body>) -> &str {
        response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap()
    }

    #[test]
    fn pages_allow_exactly_their_stylesheets() {
        let plain = html(StatusCode::OK, Page { html: String::new(), brand_css: None });
        assert_eq!(csp(&plain).matches("'sha256-").count(), 1);
        assert!(csp(&plain).contains("frame-ancestors 'none'"));
        let css = ":root{--accent:#0f5132}";
        let branded = html(StatusCode::OK, Page { html: String::new(), brand_css: Some(css.into()) });
        assert!(csp(&branded).contains(&format!("'sha256-{}'", sha256_base64(css.as_bytes()))));
        assert!(csp(&branded).contains(&format!("'sha256-{}'", *STYLESHEET_HASH)));
        assert!(!csp(&branded).contains("unsafe-inline"));
    }
}

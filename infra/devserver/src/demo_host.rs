//! The demo host page of `make run`: a stand-in for a customer's own website
//! on a second origin (http://127.0.0.1:8080/), embedding the `demo`
//! workspace's widget with the one script tag. Local only: it binds to the
//! loopback address, like the rest of the dev server.
//!
//! The page is deliberately unfriendly to embedded widgets, as real sites can
//! be: loud inherited styles (fonts, colours, letter spacing, a global
//! `button` rule with `!important`) and a strict CSP that allows no inline
//! style or script and reaches the portal for scripts, requests and images
//! only. The widget must look and work the same regardless.

use askama::Template;
use http_body_util::Full;
use hyper::body::Bytes;
use portal::domain::secrets::sha256_base64;
use portal::domain::WorkspaceSlug;
use portal::links::Links;
use tokio::net::TcpListener;

/// The host page's own stylesheet, allowed by its hash.
const HOST_CSS: &str = "body{margin:0;font:20px/1.8 Georgia,serif;color:#3b0764;letter-spacing:.05em;\
background:#fdf4ff}main{max-width:40rem;margin:auto;padding:1rem}button{background:#86198f!important;\
color:#fff!important;font-size:26px!important;border-radius:0!important}a{color:#86198f}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;padding:1rem}";

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo host site</title><style>{{ css|safe }}</style></head><body><main>
<h1>Demo host site</h1>
<p>This page stands in for a customer's own website, on another origin than the portal. It embeds the <strong>demo</strong> workspace's support widget with this one tag:</p>
<pre><code>{{ tag }}</code></pre>
<p>Its own styles are deliberately loud and its Content-Security-Policy strict; the <strong>Support</strong> button at the bottom right must look and work as usual.</p>
<p><button type="button">A button of the host page</button></p>
<p><a href="{{ portal_url }}">The portal's own form</a></p>
</main>
<script src="{{ script_src }}" async></script>
</body></html>"#
)]
struct HostPage<'a> {
    css: &'a str,
    tag: &'a str,
    script_src: &'a str,
    portal_url: &'a str,
}

/// The page and its Content-Security-Policy, for a portal at `portal_base_url`.
pub fn page(portal_base_url: &str) -> (String, String) {
    let links = Links::new(portal_base_url);
    let (tag, script_src, portal_url) = match WorkspaceSlug::parse(crate::seed::DEMO_SLUG) {
        Some(slug) => (links.widget_script_tag(&slug), links.widget_script_url(&slug), links.submit_url(&slug)),
        None => (String::new(), String::new(), String::new()),
    };
    let html = HostPage { css: HOST_CSS, tag: &tag, script_src: &script_src, portal_url: &portal_url }
        .render()
        .unwrap_or_else(|e| format!("render failed: {e}"));
    let csp = format!(
        "default-src 'none'; script-src {portal_base_url}; connect-src {portal_base_url}; img-src {portal_base_url}; \
         style-src 'sha256-{}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        sha256_base64(HOST_CSS.as_bytes())
    );
    (html, csp)
}

/// Serves the page at `/` until `shutdown` completes.
pub async fn serve(listener: TcpListener, portal_base_url: String, shutdown: impl std::future::Future<Output = ()>) {
    crate::accept::serve(listener, shutdown, move |req, _| {
        let base = portal_base_url.clone();
        async move { answer(&base, req.uri().path()) }
    })
    .await
}

fn answer(portal_base_url: &str, path: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::new()));
    let headers = response.headers_mut();
    if path != "/" {
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        return response;
    }
    let (html, csp) = page(portal_base_url);
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(value) = http::HeaderValue::from_str(&csp) {
        headers.insert(http::header::CONTENT_SECURITY_POLICY, value);
    }
    *response.body_mut() = Full::new(Bytes::from(html));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_embeds_the_widget_under_a_strict_csp() {
        let (html, csp) = page("http://127.0.0.1:3000");
        let src = format!("http://127.0.0.1:3000/portal/demo/widget.js?v={}", *portal::assets::WIDGET_VERSION);
        assert!(html.contains(&format!(r#"<script src="{src}" async></script>"#)), "{html}");
        assert!(html.contains("&#60;script src="), "the snippet is shown as text");
        assert!(csp.contains("script-src http://127.0.0.1:3000;"));
        assert!(csp.contains(&format!("'sha256-{}'", sha256_base64(HOST_CSS.as_bytes()))));
        assert!(html.contains(&format!("<style>{HOST_CSS}</style>")));
        assert!(!csp.contains("unsafe-inline"));
    }
}

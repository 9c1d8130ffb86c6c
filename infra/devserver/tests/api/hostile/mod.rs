//! Hostile input through real HTTP to the dev server: markup, line breaks and
//! control characters, oversized and malformed bodies, wrong content types,
//! path traversal and header tricks. Each input either gets a clear 4xx with its
//! documented error code, or is stored as typed and comes out inert in pages,
//! JSON and emails. Nothing earns a 5xx.
//!
//! This file holds the hostile inputs and what a safe answer looks like; the
//! tests are split by what they send: markup and control characters, bodies,
//! and paths and headers.

use std::net::{IpAddr, SocketAddr};

use crate::support::*;
use devserver::httpc::{self, HttpResponse};
use devserver::proxy::SentEmail;
use portal::domain::{MessageBody, Visibility};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Markup a browser would run or render if it were echoed raw.
const MARKUP: &[&str] = &[
    "<script>alert(1)</script>",
    "<svg onload=alert(2)>",
    "<img src=x onerror=alert(3)>",
    "\"><script>alert(4)</script>",
    "'><svg/onload=alert(5)>",
    "javascript:alert(6)",
    "<a href=\"javascript:alert(7)\">click</a>",
    "<iframe src=//evil.example></iframe>",
    "</textarea><script>alert(8)</script>",
    "</title><style>*{display:none}</style>",
    "{{7*7}} ${7*7} <%= 7*7 %> {% raw %}",
    "&lt;script&gt; &#60;b&#62; &amp;",
];

/// Ways to smuggle a second header line or a hidden character into a single-line field.
const LINE_BREAKS_AND_CONTROLS: &[&str] = &[
    "Ann\r\nBcc: x@evil.example",
    "Ann\nBcc: x@evil.example",
    "Ann\rBcc: x@evil.example",
    "Ann\u{85}Bcc: x@evil.example",
    "Ann\u{2028}Bcc: x@evil.example",
    "Ann\u{2029}Bcc: x@evil.example",
    "Ann\u{0}Lee",
    "Ann\u{7}Lee",
    "Ann\u{1b}[31mLee",
    "Ann\u{7f}Lee",
    "Ann\tLee",
    "Ann \u{202E}eeL",
    "Ann \u{2066}Lee\u{2069}",
];

// ---------------------------------------------------------------------------
// Requests: every answer passes through `no_5xx`.

fn no_5xx(response: HttpResponse, what: &str) -> HttpResponse {
    assert!(response.status < 500, "{what}: got {} {}", response.status, response.text());
    response
}

async fn send_from(
    stack: &Stack,
    source: IpAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let response = httpc::send(stack.addr, Some(source), method, path, headers, body).await.unwrap();
    no_5xx(response, &format!("{method} {path}"))
}

async fn send(stack: &Stack, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    send_from(stack, client_ip(0), method, path, headers, body).await
}

async fn json_from(stack: &Stack, source: IpAddr, path: &str, body: &Value, headers: &[(&str, &str)]) -> HttpResponse {
    no_5xx(stack.post_json_from(source, path, body, headers).await, path)
}

async fn json_bytes(stack: &Stack, source: IpAddr, path: &str, body: &[u8]) -> HttpResponse {
    send_from(stack, source, "POST", path, &[("Content-Type", "application/json")], body).await
}

async fn form_from(stack: &Stack, source: IpAddr, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
    no_5xx(stack.post_form_from(source, path, fields).await, path)
}

async fn form_bytes(stack: &Stack, source: IpAddr, path: &str, body: &[u8]) -> HttpResponse {
    send_from(stack, source, "POST", path, &[("Content-Type", "application/x-www-form-urlencoded")], body).await
}

/// Sends a request written byte by byte (raw invalid UTF-8 in the request line,
/// a Host header of our choosing) and returns the status and the body, or None
/// if the server closed without answering.
async fn raw_request(addr: SocketAddr, request: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = std::str::from_utf8(&raw[..split]).ok()?.split(' ').nth(1)?.parse().ok()?;
    assert!(status < 500, "{}", String::from_utf8_lossy(&raw));
    Some((status, raw[split + 4..].to_vec()))
}

// ---------------------------------------------------------------------------
// What a safe answer looks like.

/// A JSON refusal with the documented status and code.
#[track_caller]
fn assert_refused(response: &HttpResponse, status: u16, code: &str, what: &str) -> Value {
    assert_eq!(response.status, status, "{what}: {}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"), "{what}");
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    assert_eq!(body["error"], code, "{what}: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
    assert!(body["fields"].is_object(), "{what}: {body}");
    body
}

/// A friendly page with the given status, and nothing active in it.
#[track_caller]
fn assert_page(response: &HttpResponse, status: u16, what: &str) -> String {
    assert_eq!(response.status, status, "{what}: {}", response.text());
    assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"), "{what}");
    let html = response.text();
    assert_inert_html(&html, what);
    html
}

/// Fails on live markup in `html`: see [`live_markup`].
#[track_caller]
fn assert_inert_html(html: &str, what: &str) {
    if let Some(problem) = live_markup(html) {
        panic!("{what}: {problem}");
    }
}

/// Walks every tag of `html` (quotes respected) and names the first
/// script-capable element, event-handler attribute or `javascript:`/`data:` URL.
/// Escaped text such as `&#60;script&#62;` is text, not a tag, and passes.
fn live_markup(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(offset) = lower[i..].find('<') {
        let start = i + offset + 1;
        let mut end = start;
        let mut quote = None;
        while end < bytes.len() {
            match (quote, bytes[end]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), c) if c == q => quote = None,
                _ => {}
            }
            end += 1;
        }
        let tag = &lower[start..end];
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if ["script", "svg", "img", "iframe", "object", "embed", "math", "base"].contains(&name.as_str()) {
            return Some(format!("a <{name}> element: <{tag}>"));
        }
        // Attributes: names outside quotes, each with its value (quoted or not).
        let mut rest = tag[name.len()..].trim_start();
        while !rest.is_empty() {
            let name_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(rest.len());
            let attribute = &rest[..name_end];
            rest = rest[name_end..].trim_start();
            let mut value = "";
            if let Some(after) = rest.strip_prefix('=') {
                let after = after.trim_start();
                let (v, remaining) = match after.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let close = after[1..].find(q).map_or(after.len(), |i| i + 1);
                        (&after[1..close], after.get(close + 1..).unwrap_or(""))
                    }
                    _ => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
                };
                value = v;
                rest = remaining;
            } else if attribute.is_empty() {
                rest = &rest[1..];
            }
            rest = rest.trim_start();
            if attribute.starts_with("on") && attribute.len() > 2 {
                return Some(format!("an event handler attribute: <{tag}>"));
            }
            let url = value.trim_start();
            let is_url = ["href", "src", "action", "formaction", "xlink:href"].contains(&attribute);
            if is_url && (url.starts_with("javascript:") || url.starts_with("data:")) {
                return Some(format!("a script URL: <{tag}>"));
            }
        }
        i = end;
        if i >= bytes.len() {
            break;
        }
    }
    None
}

/// `raw` shows up escaped in `html` (so it was rendered, not dropped).
#[track_caller]
fn assert_shown_escaped(html: &str, raw: &str, what: &str) {
    let escaped = raw
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    assert!(html.contains(&escaped), "{what}: {raw:?} is not on the page as {escaped:?}");
}

/// No email of the stack carries markup, a multi-line subject, or a recipient it should not.
#[track_caller]
fn assert_inert_emails(emails: &[SentEmail]) {
    for mail in emails {
        let what = format!("email {:?} to {:?}", mail.subject, mail.to);
        assert!(!mail.subject.contains('\r') && !mail.subject.contains('\n'), "{what}: subject with a line break");
        assert!(!mail.subject.chars().any(char::is_control), "{what}: subject with a control character");
        assert!(mail.to.iter().all(|t| !t.contains("evil.example") && !t.contains(',')), "{what}: recipients");
        assert_inert_html(&mail.html, &what);
    }
}

/// The reference of a 201 from the JSON submit.
fn reference_of(response: &HttpResponse) -> String {
    assert_eq!(response.status, 201, "{}", response.text());
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    body["reference"].as_str().unwrap().to_owned()
}

const SUBMIT: &str = "/api/portal/demo/tickets";
const FORM_SUBMIT: &str = "/portal/demo/submit";
const A_TOKEN: &str = "5f1c9d2e8a7b4c3d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";

/// Every JSON route that takes a body, with a body it would otherwise accept.
fn json_routes() -> Vec<(String, Value)> {
    vec![
        (SUBMIT.into(), json!({"name": "Ann", "email": "ann@example.com", "subject": "Help"})),
        ("/api/portal/demo/tickets/TKT-0001/lookup".into(), json!({"email": "ann@example.com"})),
        ("/api/portal/demo/tickets/TKT-0001/replies".into(), json!({"email": "ann@example.com", "message": "Hi"})),
        (format!("/api/portal/demo/csat/{A_TOKEN}"), json!({"rating": 5, "comment": "Good"})),
    ]
}

/// Every form route, with fields it would otherwise accept.
fn form_routes() -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    vec![
        (FORM_SUBMIT.into(), vec![("name", "Ann"), ("email", "ann@example.com"), ("subject", "Help")]),
        ("/portal/demo/tickets/TKT-0001".into(), vec![("email", "ann@example.com")]),
        ("/portal/demo/tickets/TKT-0001/reply".into(), vec![("email", "ann@example.com"), ("message", "Hi")]),
        (format!("/portal/demo/csat/{A_TOKEN}"), vec![("rating", "5"), ("comment", "Good")]),
    ]
}

mod bodies;
mod markup;
mod paths;

/// The checks above would be worthless if they passed live markup: they do not.
#[test]
fn the_inertness_check_catches_live_markup_and_passes_escaped_text() {
    let live = [
        "<p>hi</p><script>alert(1)</script>",
        "<SVG onload=alert(1)>",
        "<p><img src=x onerror=alert(1)></p>",
        "<input value=\"x\" onfocus=alert(1) autofocus>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=' javascript:alert(1)'>x</a>",
        "<iframe src=//evil.example>",
    ];
    for html in live {
        assert!(live_markup(html).is_some(), "{html} passed");
    }
    let inert = "<p title=\"&#34; onerror=alert(1)\">&#60;script&#62;alert(1)&#60;/script&#62; onload=alert(2)</p>\
                 <input value=\"x&#39; onfocus=&#39;alert(1)\"><a href=\"/portal/demo/submit\">ok</a>";
    assert_eq!(live_markup(inert), None);
}

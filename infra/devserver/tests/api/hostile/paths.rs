//! Traversal, malformed slugs, references and tokens, and header tricks.

use super::*;

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

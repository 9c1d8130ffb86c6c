//! Oversized, malformed and wrongly typed bodies.

use super::*;

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

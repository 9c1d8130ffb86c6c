//! Markup, line breaks and control characters in every field.

use super::*;

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
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
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
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
    let text = MessageBody::parse_required("Done.\r\nBcc: x@evil.example", "resolution").unwrap();
    stack.portal.resolve(&demo(), tkt(1), &agent, text).await.unwrap();
    stack.drain().await;
    let emails = stack.proxy.sent_emails();
    assert!(emails.len() >= 3, "confirmation, agent notice and survey: {emails:?}");
    assert_inert_emails(&emails);
}

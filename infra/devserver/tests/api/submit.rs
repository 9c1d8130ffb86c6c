//! The submit flow over HTTP against the emulator: form, confirmation, JSON API,
//! idempotency, contacts, numbering under concurrency and the per-IP limit.

use std::collections::BTreeSet;

use crate::support::*;
use portal::domain::{Channel, EventKind, PortalEvent, Priority, Status, TicketType};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_form_shows_every_field_under_the_workspace_name() {
    let stack = Stack::start().await;
    let page = stack.get("/portal/demo/submit").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("<header class=\"site\"><p>Demo Workspace</p></header>"));
    for field in ["name=\"name\"", "name=\"email\"", "name=\"subject\"", "name=\"description\"", "name=\"type\""] {
        assert!(html.contains(field), "missing {field}");
    }
    for label in ["Support Request", "General Inquiry", "Bug Report", "Feature Request"] {
        assert!(html.contains(label), "missing type {label}");
    }
    assert!(html.contains("maxlength=\"5000\""));
    assert!(page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));

    let unknown = stack.get("/portal/nope/submit").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("Not found"));
    assert_eq!(stack.get("/portal/..%2F..%2Fetc/submit").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_submit_shows_tkt_0001_then_tkt_0002_and_queues_the_event() {
    let stack = Stack::start().await;
    let key = form_key(&stack.get("/portal/demo/submit").await.text());
    let mut fields = ticket_fields("Ann Lee", "Ann@Example.com", "Printer on fire");
    fields.push(("idempotency_key", &key));
    fields[3] = ("description", "It is really on fire.\nPlease help.");
    fields[4] = ("type", "bug_report");
    let done = stack.post_form("/portal/demo/submit", &fields).await;
    assert_eq!(done.status, 200);
    let html = done.text();
    assert!(html.contains("TKT-0001"));
    assert!(html.contains("href=\"/portal/demo/tickets/TKT-0001\""), "Track Ticket link");
    assert!(html.contains(">Track Ticket<") && html.contains(">Submit Another<"));

    let ticket = stack.ticket(1).await.expect("ticket stored");
    assert_eq!(ticket.status, Status::Open);
    assert_eq!(ticket.priority, Priority::Medium);
    assert_eq!(ticket.channel, Channel::Portal);
    assert_eq!(ticket.ticket_type, TicketType::BugReport);
    assert_eq!(ticket.description.as_deref(), Some("It is really on fire.\nPlease help."));
    assert_eq!(ticket.email_normalized, "ann@example.com");
    assert_eq!(ticket.id.len(), 26, "ULID id");

    let second = stack.post_form("/portal/demo/submit", &ticket_fields("Bo", "bo@example.com", "Another")).await;
    assert!(second.text().contains("TKT-0002"));

    let events: Vec<PortalEvent> =
        stack.queued_messages().await.iter().map(|b| PortalEvent::parse(b).unwrap()).collect();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.kind == EventKind::TicketCreated));
    let first = events.iter().find(|e| e.reference == tkt(1)).expect("event for TKT-0001");
    assert_eq!(first.id, ticket.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_form_with_errors_comes_back_with_every_value_and_spends_no_number() {
    let stack = Stack::start().await;
    let long = "é".repeat(5001);
    let fields = [
        ("name", "  Ann <b>Lee</b> "),
        ("email", "not-an-email"),
        ("subject", ""),
        ("description", long.as_str()),
        ("type", "feature_request"),
        ("idempotency_key", "FORMKEY-12345"),
    ];
    let page = stack.post_form("/portal/demo/submit", &fields).await;
    assert_eq!(page.status, 422);
    let html = page.text();
    assert!(html.contains("value=\"not-an-email\""), "email kept");
    assert!(html.contains("Ann &#60;b&#62;Lee&#60;/b&#62;"), "name kept, escaped");
    assert!(html.contains(&long), "description kept");
    assert!(html.contains("<option value=\"feature_request\" selected>"), "type kept");
    assert!(html.contains("value=\"FORMKEY-12345\""), "same form instance");
    assert!(html.contains("id=\"email-error\""));
    assert!(html.contains("id=\"subject-error\""));
    assert!(html.contains("at most 5000 characters (it has 5001)"));
    assert!(html.contains("aria-describedby=\"email-hint email-error\""));
    assert_eq!(stack.ticket_count().await, 0, "no number spent on an invalid submission");

    // A bot filling the honeypot sees thanks, and nothing is created.
    let mut bot = ticket_fields("Bot", "bot@example.com", "Buy now");
    bot.push(("website", "http://spam.example"));
    let thanks = stack.post_form("/portal/demo/submit", &bot).await;
    assert_eq!(thanks.status, 200);
    assert!(!thanks.text().contains("TKT-"));
    assert_eq!(stack.ticket_count().await, 0, "no number spent on a bot");

    let ok = stack.post_form("/portal/demo/submit", &ticket_fields("Ann", "ann@example.com", "Hi")).await;
    assert!(ok.text().contains("TKT-0001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_json_api_creates_tickets_and_explains_every_refusal() {
    let stack = Stack::start().await;
    let path = "/api/portal/demo/tickets";
    let created = stack
        .post_json(
            path,
            &json!({"name": "Ann", "email": "ann@example.com", "subject": "Help", "type": "General Inquiry"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body: Value = serde_json::from_slice(&created.body).unwrap();
    assert_eq!(body["reference"], "TKT-0001");
    assert_eq!(body["status"], "Open");
    assert_eq!(body["trackingUrl"], format!("http://{}/portal/demo/tickets/TKT-0001", stack.addr));
    assert_eq!(body["id"].as_str().unwrap().len(), 26);
    assert_eq!(stack.ticket(1).await.unwrap().ticket_type, TicketType::GeneralInquiry);

    let invalid = stack.post_json(path, &json!({"name": "", "email": "x", "subject": "s", "type": "Complaint"})).await;
    assert_eq!(invalid.status, 422);
    let body: Value = serde_json::from_slice(&invalid.body).unwrap();
    assert_eq!(body["error"], "validation_failed");
    assert!(
        body["fields"]["name"].is_string() && body["fields"]["email"].is_string() && body["fields"]["type"].is_string()
    );
    assert!(body["fields"].get("subject").is_none());

    let wrong_type = stack.raw("POST", path, &[("Content-Type", "text/plain")], b"name=Ann").await;
    assert_eq!(wrong_type.status, 415);
    let missing_type = stack.raw("POST", path, &[], b"{}").await;
    assert_eq!(missing_type.status, 415);
    let malformed = stack.raw("POST", path, &[("Content-Type", "application/json")], b"{\"name\": ").await;
    assert_eq!(malformed.status, 400);
    assert_eq!(serde_json::from_slice::<Value>(&malformed.body).unwrap()["error"], "malformed_request");
    let not_utf8 = stack.raw("POST", path, &[("Content-Type", "application/json")], b"{\"name\": \"\xff\"}").await;
    assert_eq!(not_utf8.status, 400);
    let huge = vec![b'a'; 1024 * 1024];
    let too_large = stack.raw("POST", path, &[("Content-Type", "application/json")], &huge).await;
    assert_eq!(too_large.status, 413);
    assert_eq!(serde_json::from_slice::<Value>(&too_large.body).unwrap()["error"], "body_too_large");

    let unknown = stack
        .post_json("/api/portal/nope/tickets", &json!({"name": "Ann", "email": "ann@example.com", "subject": "Help"}))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(serde_json::from_slice::<Value>(&unknown.body).unwrap()["error"], "not_found");
    assert_eq!(stack.ticket_count().await, 1, "refusals spend no numbers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_submission_with_the_same_key_creates_one_ticket() {
    let stack = Stack::start().await;
    let body = json!({"name": "Ann", "email": "ann@example.com", "subject": "Double click"});
    let headers = [("Idempotency-Key", "retry-key-0001")];
    let localhost = client_ip(0);
    let first = stack.post_json_from(localhost, "/api/portal/demo/tickets", &body, &headers).await;
    let again = stack.post_json_from(localhost, "/api/portal/demo/tickets", &body, &headers).await;
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    let a: Value = serde_json::from_slice(&first.body).unwrap();
    let b: Value = serde_json::from_slice(&again.body).unwrap();
    assert_eq!(a, b);
    assert_eq!(stack.ticket_count().await, 1);

    // Concurrent double submit of a form: one ticket.
    let key = form_key(&stack.get("/portal/demo/submit").await.text());
    let mut fields = ticket_fields("Cy", "cy@example.com", "Twice");
    fields.push(("idempotency_key", &key));
    let (x, y) =
        tokio::join!(stack.post_form("/portal/demo/submit", &fields), stack.post_form("/portal/demo/submit", &fields));
    assert!(x.text().contains("TKT-") && y.text().contains("TKT-"));
    let reference = |html: &str| html.split("class=\"reference\">").nth(1).unwrap()[..8].to_owned();
    assert_eq!(reference(&x.text()), reference(&y.text()));
    let tickets = stack.store.list_tickets(&demo()).await.unwrap();
    assert_eq!(tickets.len(), 2, "one ticket per submission");

    // The same key with different content is someone else's key.
    let other = stack
        .post_json_from(
            localhost,
            "/api/portal/demo/tickets",
            &json!({"name": "Eve", "email": "eve@example.com", "subject": "Mine"}),
            &headers,
        )
        .await;
    assert_eq!(other.status, 409);
    let bad_key = stack.post_json_from(localhost, "/api/portal/demo/tickets", &body, &[("Idempotency-Key", "x")]).await;
    assert_eq!(bad_key.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_contact_per_normalised_email() {
    let stack = Stack::start().await;
    let (first, second) =
        (ticket_fields("Ann", "Ann@Example.com ", "First"), ticket_fields("Ann L", "ann@example.com", "Second"));
    let (a, b) = tokio::join!(
        stack.post_form_from(client_ip(1), "/portal/demo/submit", &first),
        stack.post_form_from(client_ip(2), "/portal/demo/submit", &second),
    );
    assert_eq!((a.status, b.status), (200, 200));
    let contact = stack.store.get_contact(&demo(), "ann@example.com").await.unwrap().expect("contact auto-created");
    assert_eq!(contact.ticket_count, 2);
    assert_eq!(contact.email, "ann@example.com");
    let (t1, t2) = (stack.ticket(1).await.unwrap(), stack.ticket(2).await.unwrap());
    assert_eq!(t1.contact_id, t2.contact_id);
    assert_eq!(t1.contact_id, contact.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_submissions_get_two_hundred_contiguous_numbers() {
    let stack = Stack::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200u32 {
        let addr = stack.addr;
        tasks.spawn(async move {
            let email = format!("user{i}@example.com");
            let body = json!({"name": format!("User {i}"), "email": email, "subject": "Load"});
            let response = post_json_to(addr, client_ip(i), "/api/portal/demo/tickets", &body, &[]).await;
            assert_eq!(response.status, 201, "{}", response.text());
            let body: Value = serde_json::from_slice(&response.body).unwrap();
            body["reference"].as_str().unwrap().to_owned()
        });
    }
    let mut references = BTreeSet::new();
    while let Some(reference) = tasks.join_next().await {
        assert!(references.insert(reference.unwrap()), "duplicate number");
    }
    let expected: BTreeSet<String> = (1..=200).map(|n| tkt(n).to_string()).collect();
    assert_eq!(references, expected);
    assert_eq!(stack.store.list_tickets(&demo()).await.unwrap().len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_submissions_from_one_address_admit_exactly_ten() {
    let stack = Stack::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30u32 {
        let addr = stack.addr;
        tasks.spawn(async move {
            let body = json!({"name": "Flood", "email": format!("f{i}@example.com"), "subject": "Burst"});
            // A spoofed forwarding header must change nothing.
            let spoof = format!("10.0.0.{i}");
            post_json_to(addr, client_ip(7), "/api/portal/demo/tickets", &body, &[("X-Forwarded-For", &spoof)]).await
        });
    }
    let mut admitted = 0;
    let mut limited = 0;
    while let Some(response) = tasks.join_next().await {
        let response = response.unwrap();
        match response.status {
            201 => admitted += 1,
            429 => {
                limited += 1;
                let retry: u64 = response.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=3600).contains(&retry));
                assert_eq!(serde_json::from_slice::<Value>(&response.body).unwrap()["error"], "rate_limited");
            }
            other => panic!("unexpected {other}: {}", response.text()),
        }
    }
    assert_eq!((admitted, limited), (10, 20));
    assert_eq!(stack.ticket_count().await, 10, "exactly ten numbers spent");

    // The page flavour is friendly, and other addresses are unaffected.
    let page =
        stack.post_form_from(client_ip(7), "/portal/demo/submit", &ticket_fields("Ann", "ann@example.com", "Hi")).await;
    assert_eq!(page.status, 429);
    assert!(page.header("retry-after").is_some());
    assert!(page.text().contains("Please try again later"));
    let other =
        stack.post_form_from(client_ip(8), "/portal/demo/submit", &ticket_fields("Ann", "ann@example.com", "Hi")).await;
    assert_eq!(other.status, 200);
}

/// A double click as an attacker (or an impatient mouse) makes it: ten copies
/// of one form instance at once, and ten JSON submits with one key. Each set
/// makes one ticket, every copy answers with it, and no number is spent on
/// the copies: the next submission takes the next number.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_copies_of_one_submission_make_one_ticket_and_spend_one_number() {
    let stack = Stack::start().await;
    let key = form_key(&stack.get("/portal/demo/submit").await.text());
    let mut fields = ticket_fields("Cy", "cy@example.com", "Ten clicks");
    fields.push(("idempotency_key", &key));
    let copies = (0..10).map(|_| stack.post_form("/portal/demo/submit", &fields));
    let pages = futures_util::future::join_all(copies).await;
    let reference = |html: &str| html.split("class=\"reference\">").nth(1).map(|r| r[..8].to_owned());
    for page in &pages {
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(reference(&page.text()).as_deref(), Some("TKT-0001"));
    }

    let body = json!({"name": "Di", "email": "di@example.com", "subject": "Ten retries"});
    let headers = [("Idempotency-Key", "ten-at-once-0001")];
    let copies = (0..10).map(|i| stack.post_json_from(client_ip(i), "/api/portal/demo/tickets", &body, &headers));
    let answers = futures_util::future::join_all(copies).await;
    for answer in &answers {
        assert_eq!(answer.status, 201, "{}", answer.text());
        assert_eq!(serde_json::from_slice::<Value>(&answer.body).unwrap()["reference"], "TKT-0002");
    }

    let next = json!({"name": "Ed", "email": "ed@example.com", "subject": "Next"});
    let next = stack.post_json_from(client_ip(20), "/api/portal/demo/tickets", &next, &[]).await;
    assert_eq!(serde_json::from_slice::<Value>(&next.body).unwrap()["reference"], "TKT-0003", "no gap");
    assert_eq!(stack.ticket_count().await, 3, "three numbers taken, three tickets");
    assert_eq!(stack.store.list_tickets(&demo()).await.unwrap().len(), 3);
    // Replays may send their ticket's event again (until the worker acknowledges
    // it), but every event names a ticket that was written.
    let written: BTreeSet<String> =
        stack.store.list_tickets(&demo()).await.unwrap().into_iter().map(|t| t.id).collect();
    let announced: BTreeSet<String> = stack
        .queued_messages()
        .await
        .iter()
        .map(|m| serde_json::from_str::<Value>(m).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(announced, written, "no event announced for a ticket never written");
}

/// A copy whose twin died holding the key (a crashed function) waits, then
/// says "try again"; once the claim is stale a retry takes it over and makes
/// the ticket. A copy refused by the limit gives its claim back at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_held_by_a_dead_twin_goes_stale_and_a_refused_copy_gives_its_key_back() {
    let stack = Stack::start_with_manual_clock().await;
    let body = json!({"name": "Ann", "email": "ann@example.com", "subject": "Orphaned"});
    let fingerprint = portal::domain::NewTicket::parse(&portal::domain::SubmissionInput {
        name: "Ann".into(),
        email: "ann@example.com".into(),
        subject: "Orphaned".into(),
        description: String::new(),
        ticket_type: String::new(),
    })
    .unwrap()
    .fingerprint();
    let portal_time = stack.store.clone().with_clock(stack.clock.as_ref().unwrap().clock());
    let held = portal_time.claim_idempotent(&demo(), "dead-twin-0001", &fingerprint).await.unwrap();
    assert!(matches!(held, portal::store::KeyClaim::Won(_)), "the dead twin's claim");
    let headers = [("Idempotency-Key", "dead-twin-0001")];
    let waiting = stack.post_json_from(client_ip(1), "/api/portal/demo/tickets", &body, &headers).await;
    assert_eq!(waiting.status, 503, "{}", waiting.text());
    assert_eq!(stack.ticket_count().await, 0, "nothing spent while the twin holds the key");

    stack.advance(portal::store::STALE_KEY_CLAIM_SECS + 1);
    let retried = stack.post_json_from(client_ip(1), "/api/portal/demo/tickets", &body, &headers).await;
    assert_eq!(retried.status, 201, "{}", retried.text());
    assert_eq!(serde_json::from_slice::<Value>(&retried.body).unwrap()["reference"], "TKT-0001");

    // Ten submissions use up client 2's hour; an eleventh with a fresh key is
    // refused and leaves the key free for another client.
    for i in 0..10 {
        let other = json!({"name": "Bo", "email": "bo@example.com", "subject": format!("Fill {i}")});
        assert_eq!(stack.post_json_from(client_ip(2), "/api/portal/demo/tickets", &other, &[]).await.status, 201);
    }
    let limited = [("Idempotency-Key", "refused-key-0001")];
    assert_eq!(stack.post_json_from(client_ip(2), "/api/portal/demo/tickets", &body, &limited).await.status, 429);
    assert!(stack.store.remembered(&demo(), "refused-key-0001").await.unwrap().is_none(), "given back");
    assert_eq!(stack.post_json_from(client_ip(3), "/api/portal/demo/tickets", &body, &limited).await.status, 201);
    assert_eq!(stack.ticket_count().await, 12);
}

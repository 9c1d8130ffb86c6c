//! Tracking and replying against the emulator: verification by email, identical
//! answers for every kind of miss, the public conversation, reopen rules,
//! closed tickets, idempotent replies and failed-attempt limits.

use crate::support::*;
use portal::domain::{MessageBody, Status, Visibility};
use serde_json::{json, Value};

/// Submits TKT-000n for ann@example.com through the JSON API.
async fn submit(stack: &Stack, subject: &str) -> String {
    let created = stack
        .post_json(
            "/api/portal/demo/tickets",
            &json!({"name": "Ann Lee", "email": "ann@example.com", "subject": subject, "description": "First words"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    serde_json::from_slice::<Value>(&created.body).unwrap()["reference"].as_str().unwrap().to_owned()
}

async fn agent_says(stack: &Stack, reference: u64, text: &str, visibility: Visibility) {
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
    stack
        .portal
        .agent_comment(
            &demo(),
            tkt(reference),
            &agent,
            MessageBody::parse_required(text, "comment").unwrap(),
            visibility,
        )
        .await
        .unwrap();
}

async fn set_status(stack: &Stack, reference: u64, status: Status) {
    if status == Status::Resolved {
        let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
        let text = MessageBody::parse_required("Fixed the printer.", "resolution").unwrap();
        stack.portal.resolve(&demo(), tkt(reference), &agent, text).await.unwrap();
    } else if stack.ticket(reference).await.unwrap().status != status {
        stack.portal.change_status(&demo(), tkt(reference), status).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_right_email_shows_the_public_conversation_in_order() {
    let stack = Stack::start().await;
    submit(&stack, "Printer <b>on fire</b>").await;
    agent_says(&stack, 1, "Have you tried water?", Visibility::Public).await;
    agent_says(&stack, 1, "INTERNAL: customer seems upset", Visibility::Internal).await;
    let reply = stack
        .post_json(
            "/api/portal/demo/tickets/TKT-0001/replies",
            &json!({"email": " ANN@example.com ", "message": "<script>alert(1)</script> water made it worse"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());

    let prompt = stack.get("/portal/demo/tickets/TKT-0001").await;
    assert_eq!(prompt.status, 200);
    assert!(prompt.text().contains("name=\"email\""));
    assert!(!prompt.text().contains("on fire"), "the prompt shows nothing of the ticket");

    let page = stack.post_form("/portal/demo/tickets/TKT-0001", &[("email", "Ann@Example.com")]).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let html = page.text();
    assert!(html.contains("Printer &#60;b&#62;on fire&#60;/b&#62;"), "subject escaped");
    assert!(html.contains("badge open"));
    assert!(html.contains("Support Request"));
    assert!(html.contains("First words"));
    let water = html.find("Have you tried water?").expect("agent's public comment");
    let worse = html.find("water made it worse").expect("customer's reply");
    assert!(water < worse, "conversation in order");
    assert!(html.contains("Alex Agent"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "reply escaped");
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("INTERNAL"), "internal notes never reach the customer");

    let json = stack.post_json("/api/portal/demo/tickets/TKT-0001/lookup", &json!({"email": "ann@example.com"})).await;
    assert_eq!(json.status, 200);
    assert!(!json.text().contains("INTERNAL"));
    let body: Value = serde_json::from_slice(&json.body).unwrap();
    assert_eq!(body["status"], "Open");
    let from: Vec<&str> =
        body["conversation"].as_array().unwrap().iter().map(|c| c["from"].as_str().unwrap()).collect();
    assert_eq!(from, ["agent", "customer"]);
    assert!(body.get("email").is_none(), "no email in the view");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_ticket_unknown_workspace_and_wrong_email_get_identical_answers() {
    let stack = Stack::start().await;
    submit(&stack, "Secret").await;
    let email = [("email", "someone@example.com")];
    let wrong_email = stack.post_form_from(client_ip(1), "/portal/demo/tickets/TKT-0001", &email).await;
    let unknown_ticket = stack.post_form_from(client_ip(2), "/portal/demo/tickets/TKT-0099", &email).await;
    let unknown_workspace = stack.post_form_from(client_ip(3), "/portal/nope/tickets/TKT-0001", &email).await;
    assert_eq!(wrong_email.status, 404);
    assert!(!wrong_email.text().contains("Secret"));
    let normalise = |html: String| html.replace("TKT-0099", "TKT-0001").replace("/portal/nope/", "/portal/demo/");
    assert_eq!(normalise(unknown_ticket.text()), wrong_email.text());
    assert_eq!(normalise(unknown_workspace.text()), wrong_email.text());
    assert_eq!(unknown_ticket.status, 404);
    assert_eq!(unknown_workspace.status, 404);

    let api = |slug: &str, reference: &str| format!("/api/portal/{slug}/tickets/{reference}/lookup");
    let body = json!({"email": "someone@example.com"});
    let a = stack.post_json_from(client_ip(4), &api("demo", "TKT-0001"), &body, &[]).await;
    let b = stack.post_json_from(client_ip(5), &api("demo", "TKT-0099"), &body, &[]).await;
    let c = stack.post_json_from(client_ip(6), &api("nope", "TKT-0001"), &body, &[]).await;
    let d = stack.post_json_from(client_ip(7), &api("demo", "not-a-ref"), &body, &[]).await;
    for other in [&b, &c, &d] {
        assert_eq!((other.status, other.body.clone()), (a.status, a.body.clone()));
    }
    assert_eq!(a.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replies_reopen_resolved_and_waiting_tickets_and_closed_ones_refuse() {
    let stack = Stack::start().await;
    let cases = [
        (Status::Open, Some(Status::Open)),
        (Status::InProgress, Some(Status::InProgress)),
        (Status::Waiting, Some(Status::Open)),
        (Status::Resolved, Some(Status::Open)),
        (Status::Closed, None),
    ];
    for (n, (before, after)) in cases.iter().enumerate() {
        let number = n as u64 + 1;
        submit(&stack, &format!("case {before}")).await;
        set_status(&stack, number, *before).await;
        let path = format!("/api/portal/demo/tickets/{}/replies", tkt(number));
        let response = stack.post_json(&path, &json!({"email": "ann@example.com", "message": "More info"})).await;
        match after {
            Some(expected) => {
                assert_eq!(response.status, 201, "{before}: {}", response.text());
                assert_eq!(stack.ticket(number).await.unwrap().status, *expected, "reply on {before}");
            }
            None => {
                assert_eq!(response.status, 409, "{before}");
                let body: Value = serde_json::from_slice(&response.body).unwrap();
                assert_eq!(body["error"], "ticket_closed");
                assert_eq!(stack.ticket(number).await.unwrap().status, Status::Closed);
                let page = stack
                    .post_form(
                        &format!("/portal/demo/tickets/{}/reply", tkt(number)),
                        &[("email", "ann@example.com"), ("message", "Hello?")],
                    )
                    .await;
                assert_eq!(page.status, 409);
                assert!(page.text().contains("href=\"/portal/demo/submit\""), "link to a new ticket");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resolution_details_show_once_resolved() {
    let stack = Stack::start().await;
    submit(&stack, "Broken").await;
    set_status(&stack, 1, Status::Resolved).await;
    let html = stack.post_form("/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com")]).await.text();
    assert!(html.contains("badge resolved"));
    assert!(html.contains("Fixed the printer."));
    assert!(html.contains("Replying reopens this ticket."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_reply_adds_one_comment_and_a_form_reply_keeps_errors() {
    let stack = Stack::start().await;
    submit(&stack, "Retry").await;
    let path = "/api/portal/demo/tickets/TKT-0001/replies";
    let body = json!({"email": "ann@example.com", "message": "Only once please"});
    let key = [("Idempotency-Key", "reply-key-000001")];
    let (a, b) = tokio::join!(
        stack.post_json_from(client_ip(1), path, &body, &key),
        stack.post_json_from(client_ip(1), path, &body, &key)
    );
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.text(), b.text());
    let c = stack.post_json_from(client_ip(1), path, &body, &key).await;
    assert_eq!(c.status, 201);
    let (_, comments) = stack.store.ticket_with_comments(&demo(), tkt(1)).await.unwrap().unwrap();
    assert_eq!(comments.len(), 1, "one comment for three deliveries");
    let ids: Vec<Value> =
        [&a, &b, &c].iter().map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["commentId"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));

    let empty = stack
        .post_form("/portal/demo/tickets/TKT-0001/reply", &[("email", "ann@example.com"), ("message", "   ")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text().contains("id=\"message-error\""));
    let long = "ß".repeat(5001);
    let too_long = stack
        .post_form("/portal/demo/tickets/TKT-0001/reply", &[("email", "ann@example.com"), ("message", &long)])
        .await;
    assert_eq!(too_long.status, 422);
    assert!(too_long.text().contains(&long), "message kept");
    let json_empty = stack.post_json(path, &json!({"email": "ann@example.com", "message": ""})).await;
    assert_eq!(json_empty.status, 422);
    let wrong = stack.post_json(path, &json!({"email": "eve@example.com", "message": "let me in"})).await;
    assert_eq!(wrong.status, 404);
    let (_, comments) = stack.store.ticket_with_comments(&demo(), tkt(1)).await.unwrap().unwrap();
    assert_eq!(comments.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_lookups_are_limited_per_client_and_per_ticket() {
    let stack = Stack::start_with(|config| config.lookup_limit = 3).await;
    submit(&stack, "Guess me").await;
    let path = "/portal/demo/tickets/TKT-0001";
    for _ in 0..3 {
        assert_eq!(stack.post_form_from(client_ip(9), path, &[("email", "guess@example.com")]).await.status, 404);
    }
    let limited = stack.post_form_from(client_ip(9), path, &[("email", "ann@example.com")]).await;
    assert_eq!(limited.status, 429, "even the right email waits once the client is limited");
    assert!(limited.header("retry-after").is_some());
    // The ticket itself is now limited too: a different client is refused.
    let other = stack.post_form_from(client_ip(10), path, &[("email", "ann@example.com")]).await;
    assert_eq!(other.status, 429);
    // Another ticket from another client is unaffected.
    submit(&stack, "Second").await;
    let fine =
        stack.post_form_from(client_ip(11), "/portal/demo/tickets/TKT-0002", &[("email", "ann@example.com")]).await;
    assert_eq!(fine.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replies_and_a_resolve_keep_every_comment_and_a_consistent_status() {
    let stack = Stack::start().await;
    submit(&stack, "Busy").await;
    set_status(&stack, 1, Status::Waiting).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8u32 {
        let addr = stack.addr;
        tasks.spawn(async move {
            let body = json!({"email": "ann@example.com", "message": format!("reply {i}")});
            post_json_to(addr, client_ip(100 + i), "/api/portal/demo/tickets/TKT-0001/replies", &body, &[]).await.status
        });
    }
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "sam").await.unwrap());
    let resolved =
        stack.portal.resolve(&demo(), tkt(1), &agent, MessageBody::parse_required("Done", "resolution").unwrap()).await;
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 201);
    }
    let (ticket, comments) = stack.store.ticket_with_comments(&demo(), tkt(1)).await.unwrap().unwrap();
    assert_eq!(comments.len(), 8, "every reply kept");
    // Whatever the interleaving, the status is one a sequential order could give.
    assert!(matches!(ticket.status, Status::Open | Status::Resolved), "{:?}", ticket.status);
    if resolved.is_ok() && ticket.status == Status::Resolved {
        assert!(ticket.resolution.is_some());
    }
}

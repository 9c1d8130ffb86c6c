//! Conversations are paged: the JSON lookup and the ticket page show the
//! newest 50 public messages and a cursor to the ones before; internal notes
//! never appear and never fill a page; the worker reads only the comment an
//! event names; agents still see everything.

use std::collections::BTreeSet;

use crate::support::*;
use portal::domain::secrets::{new_link_token, token_hash};
use portal::domain::time::now_unix;
use portal::domain::ContactId;
use portal::domain::{Author, Comment, LinkToken, MessageBody, Status, Visibility};
use portal::store::{CommentWrite, StatusChange};
use serde_json::{json, Value};

const PUBLIC: usize = 120;

/// TKT-0001 for ann@example.com with `PUBLIC` agent messages, `public 000`
/// upwards, and an internal note after every third (written straight to the
/// table, as agents' comments are, to keep the test quick).
async fn long_ticket(stack: &Stack) {
    let created = stack
        .post_json(
            "/api/portal/demo/tickets",
            &json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Long one", "description": "First words"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let author = Author::Agent { id: "alex".into(), name: "Alex Agent".into() };
    let keep = StatusChange { expected: Status::Open, next: Status::Open, resolution: None };
    let mut ids = ulid::Generator::new();
    for i in 0..PUBLIC {
        let mut texts = vec![(format!("public {i:03}"), Visibility::Public)];
        if i % 3 == 0 {
            texts.push((format!("INTERNAL note {i}"), Visibility::Internal));
        }
        for (body, visibility) in texts {
            let id = ids.generate().unwrap().to_string();
            let comment = Comment { id, author: author.clone(), body, visibility, created_at: now_unix() };
            stack.store.add_comment(&demo(), tkt(1), &comment, CommentWrite::new(&keep)).await.unwrap();
        }
    }
}

fn bodies(page: &Value) -> Vec<String> {
    page["conversation"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap().to_owned()).collect()
}

fn expected(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("public {i:03}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_json_lookup_pages_back_by_cursor_and_refuses_forged_ones() {
    let stack = Stack::start().await;
    long_ticket(&stack).await;
    let api = "/api/portal/demo/tickets/TKT-0001/lookup";
    let stack = &stack;
    let lookup = |ip: u32, body: Value| async move { stack.post_json_from(client_ip(ip), api, &body, &[]).await };

    let newest = lookup(1, json!({"email": "ann@example.com"})).await;
    assert_eq!(newest.status, 200, "{}", newest.text());
    let newest: Value = serde_json::from_slice(&newest.body).unwrap();
    assert_eq!(bodies(&newest), expected(70..120), "the newest fifty, oldest first");
    let cursor = newest["olderCursor"].as_str().unwrap().to_owned();
    assert_eq!(newest["conversation"][0]["id"], cursor.as_str(), "the cursor is the oldest message shown");

    let middle: Value =
        serde_json::from_slice(&lookup(1, json!({"email": "ann@example.com", "before": cursor})).await.body).unwrap();
    assert_eq!(bodies(&middle), expected(20..70));
    let cursor = middle["olderCursor"].as_str().unwrap().to_owned();
    let oldest: Value =
        serde_json::from_slice(&lookup(1, json!({"email": "ann@example.com", "before": cursor})).await.body).unwrap();
    assert_eq!(bodies(&oldest), expected(0..20));
    assert!(oldest["olderCursor"].is_null(), "no more");
    let ids: BTreeSet<String> = [&newest, &middle, &oldest]
        .iter()
        .flat_map(|page| page["conversation"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(ids.len(), PUBLIC, "every public message once");
    for page in [&newest, &middle, &oldest] {
        assert!(!page.to_string().contains("INTERNAL"), "internal notes never leave the server");
    }

    // A cursor is a ULID and nothing else; a wrong email answers the same with or without one.
    let malformed = lookup(2, json!({"email": "ann@example.com", "before": "C#01J OR 1=1"})).await;
    assert_eq!(malformed.status, 422);
    assert!(serde_json::from_slice::<Value>(&malformed.body).unwrap()["fields"]["before"].is_string());
    assert_eq!(lookup(2, json!({"email": "ann@example.com", "before": 42})).await.status, 400);
    let wrong = lookup(3, json!({"email": "eve@example.com"})).await;
    let wrong_with_cursor = lookup(4, json!({"email": "eve@example.com", "before": cursor})).await;
    assert_eq!((wrong.status, &wrong.body), (404, &wrong_with_cursor.body));
    // A made-up cursor pages this ticket only: from its time backwards, so from far
    // in the future it is the newest page.
    let future = lookup(5, json!({"email": "ann@example.com", "before": "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"})).await;
    assert_eq!(bodies(&serde_json::from_slice(&future.body).unwrap()), expected(70..120));

    // Agents see everything, in order.
    let (code, out) = stack.portalctl(&["--json", "ticket", "show", "demo", "TKT-0001"]).await;
    assert_eq!(code, 0, "{out}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    let conversation = shown["conversation"].as_array().unwrap();
    assert_eq!(conversation.len(), PUBLIC + PUBLIC.div_ceil(3));
    assert!(conversation.iter().any(|c| c["body"].as_str().unwrap().starts_with("INTERNAL")));
    let created: Vec<&str> = conversation.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(created, sorted, "oldest first, notes among the messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ticket_page_pages_back_with_a_form_or_under_a_session_with_a_link() {
    let stack = Stack::start().await;
    long_ticket(&stack).await;
    let page = stack.post_form("/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com")]).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert_eq!(html.matches("<li class=\"agent\">").count(), 50);
    assert!(html.contains("public 119") && !html.contains("public 069"));
    assert!(!html.contains("First words"), "the description opens the oldest page");
    assert!(!html.contains("INTERNAL"));
    let marker = r#"name="before" value=""#;
    let at = html.find(marker).expect("an Older messages form") + marker.len();
    let cursor = html[at..].split('"').next().unwrap().to_owned();

    let older =
        stack.post_form("/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com"), ("before", &cursor)]).await;
    let older = older.text();
    assert!(older.contains("public 020") && older.contains("public 069") && !older.contains("public 070"));
    assert!(older.contains("Newest messages"));

    // Under a session the button is a link.
    let token = new_link_token();
    let stored = LinkToken::access(demo(), ContactId::of("ann@example.com").as_str(), None, now_unix());
    stack.store.put_link_token(&token_hash(&token), &stored).await.unwrap();
    let opened = stack.get(&format!("/portal/demo/access/{token}?ticket=TKT-0001")).await;
    assert_eq!(opened.status, 200);
    let session = opened.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let link = format!("/portal/demo/tickets/TKT-0001?before={cursor}");
    assert!(opened.text().contains(&format!("href=\"{link}\"")), "{}", opened.text());
    let back = stack.raw("GET", &link, &[("Cookie", &session)], b"").await;
    assert_eq!(back.status, 200);
    assert!(back.text().contains("public 020") && !back.text().contains("public 070"));
    let oldest_cursor = {
        let html = back.text();
        let marker = "?before=";
        let at = html.find(marker).expect("a link further back") + marker.len();
        html[at..].split('"').next().unwrap().to_owned()
    };
    let oldest = stack
        .raw("GET", &format!("/portal/demo/tickets/TKT-0001?before={oldest_cursor}"), &[("Cookie", &session)], b"")
        .await;
    assert!(oldest.text().contains("First words") && oldest.text().contains("public 000"));
    assert!(!oldest.text().contains("Older messages"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_worker_reads_only_the_comment_an_event_names() {
    let stack = Stack::start().await;
    long_ticket(&stack).await;
    stack.drain().await;
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
    let body = MessageBody::parse_required("One more", "comment").unwrap();
    stack.portal.agent_comment(&demo(), tkt(1), &agent, body, Visibility::Public).await.unwrap();
    let start = stack.proxy.calls().len();
    stack.drain().await;
    let calls = &stack.proxy.calls()[start..];
    assert!(calls.iter().any(|c| c.is_send_email()), "the customer was emailed");
    // Queries of the ticket's partition: a conversation read. (Others may run:
    // on a loaded machine the first drain can leave the creation's record to
    // be redelivered, and its assignment lists the agents.)
    let partition = portal::store::keys::ticket_pk(&demo(), tkt(1));
    let conversation_reads: Vec<String> = calls
        .iter()
        .filter(|c| c.target.ends_with(".Query") && String::from_utf8_lossy(&c.body).contains(&partition))
        .map(|c| String::from_utf8_lossy(&c.body).into_owned())
        .collect();
    assert!(calls.iter().any(|c| c.target.ends_with(".GetItem")), "the comment was read by key");
    assert!(conversation_reads.is_empty(), "no conversation read: {conversation_reads:?}");
    let emailed = stack.emails_to("ann@example.com");
    assert!(emailed.last().unwrap().text.contains("One more"));
}

//! Typed-email verification under attack, over HTTP against the emulator:
//! every attempt is counted before any compare, so bursts (also with the
//! limiter's write slowed down) get at most the limit's answers, the owner's
//! own lookups cost nothing, and strangers who fill a ticket's misses pause
//! typed lookups for everyone alike, with the "email me a link" page.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use devserver::httpc::HttpResponse;
use portal::domain::clock::ManualClock;
use rand::Rng;
use serde_json::{json, Value};

const OWNER: &str = "ann@example.com";
const LOOKUP: &str = "/api/portal/demo/tickets/TKT-0001/lookup";
const PAGE: &str = "/portal/demo/tickets/TKT-0001";

async fn ann_ticket(stack: &Stack, subject: &str) {
    let body = json!({"name": "Ann Lee", "email": OWNER, "subject": subject});
    let created = stack.post_json_from(client_ip(240), "/api/portal/demo/tickets", &body, &[]).await;
    assert_eq!(created.status, 201, "{}", created.text());
}

/// 41 simultaneous JSON lookups from one address: 40 wrong guesses and the
/// owner's email in the middle. Returns the wrong guesses' statuses and the
/// owner's answer.
async fn burst_of_41(stack: &Arc<Stack>) -> (BTreeMap<u16, usize>, HttpResponse) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..41u32 {
        let stack = stack.clone();
        tasks.spawn(async move {
            let email = if i == 20 { OWNER.to_owned() } else { format!("guess{i}@example.com") };
            (i, stack.post_json_from(client_ip(7), LOOKUP, &json!({"email": email}), &[]).await)
        });
    }
    let mut wrong = Vec::new();
    let mut owner = None;
    for (i, response) in tasks.join_all().await {
        if response.status == 429 {
            assert!(response.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() > 0));
            assert!(!response.text().contains("Secret plans"), "a refused attempt learns nothing");
        }
        if i == 20 {
            owner = Some(response);
        } else {
            assert_ne!(response.status, 200, "a wrong guess never sees the ticket");
            wrong.push(response.status);
        }
    }
    (tally(wrong), owner.unwrap())
}

fn assert_at_most_the_limit(wrong: &BTreeMap<u16, usize>, owner: &HttpResponse) {
    assert_eq!(wrong, &BTreeMap::from([(404, 10), (429, 30)]), "exactly the limit's answers, then 429");
    match owner.status {
        200 => assert!(owner.text().contains("Secret plans"), "{}", owner.text()),
        429 => assert!(!owner.text().contains("Secret plans")),
        other => panic!("the owner got {other}: {}", owner.text()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_one_simultaneous_lookups_from_one_address_get_at_most_the_limit() {
    let stack = Arc::new(Stack::start().await);
    ann_ticket(&stack, "Secret plans").await;
    let (wrong, owner) = burst_of_41(&stack).await;
    println!("41 lookups from one address: wrong {wrong:?}, owner {}", owner.status);
    assert_at_most_the_limit(&wrong, &owner);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_burst_holds_when_the_limiter_s_write_is_slow() {
    let stack = Arc::new(Stack::start().await);
    ann_ticket(&stack, "Secret plans").await;
    // Every transaction (the limiter's write) waits 0 to 300 ms, so the 41
    // overtake one another on the way to the database; the reads are not held.
    stack.proxy.delay_when(|call| {
        call.target
            .ends_with(".TransactWriteItems")
            .then(|| Duration::from_millis(rand::thread_rng().gen_range(0..300)))
    });
    let (wrong, owner) = burst_of_41(&stack).await;
    println!("41 lookups from one address, limiter delayed: wrong {wrong:?}, owner {}", owner.status);
    assert_at_most_the_limit(&wrong, &owner);
    let delayed = stack.proxy.calls().iter().filter(|c| c.target.ends_with(".TransactWriteItems")).count();
    assert!(delayed >= 41, "every attempt went through the slowed write ({delayed})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_s_own_lookups_and_replies_use_no_budget() {
    let stack = Arc::new(Stack::start().await);
    ann_ticket(&stack, "Secret plans").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6u32 {
        let stack = stack.clone();
        tasks.spawn(async move {
            match i % 3 {
                0 => stack.post_form_from(client_ip(7), PAGE, &[("email", " Ann@Example.COM ")]).await.status,
                1 => stack.post_json_from(client_ip(7), LOOKUP, &json!({"email": OWNER}), &[]).await.status,
                _ => {
                    let body = json!({"email": OWNER, "message": format!("still here {i}")});
                    let path = "/api/portal/demo/tickets/TKT-0001/replies";
                    stack.post_json_from(client_ip(7), path, &body, &[]).await.status
                }
            }
        });
    }
    assert_eq!(tally(tasks.join_all().await), BTreeMap::from([(200, 4), (201, 2)]), "all of them pass");

    // None of it was counted: a burst of guesses still gets exactly the limit.
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20u32 {
        let stack = stack.clone();
        guesses.spawn(async move {
            let email = format!("guess{i}@example.com");
            stack.post_json_from(client_ip(7), LOOKUP, &json!({"email": email}), &[]).await.status
        });
    }
    assert_eq!(tally(guesses.join_all().await), BTreeMap::from([(404, 10), (429, 10)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn strangers_filling_a_ticket_s_misses_pause_typed_lookups_for_everyone_alike() {
    let clock = ManualClock::starting_at(1_767_261_000);
    let stack = Arc::new(Stack::start_with_clock(&clock, |_| {}).await);
    ann_ticket(&stack, "Secret plans").await;
    ann_ticket(&stack, "Other ticket").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12u32 {
        let stack = stack.clone();
        tasks.spawn(async move {
            let email = format!("stranger{i}@example.com");
            stack.post_form_from(client_ip(100 + i), PAGE, &[("email", &email)]).await.status
        });
    }
    assert_eq!(tally(tasks.join_all().await), BTreeMap::from([(404, 10), (429, 2)]), "12 misses from 12 addresses");

    // Now every typed email on this ticket gets one page, whoever types it and
    // whatever they type: the owner's own address, a fresh one, a stranger.
    let owner_at_home = stack.post_form_from(client_ip(240), PAGE, &[("email", OWNER)]).await;
    assert_eq!(owner_at_home.status, 429);
    assert_eq!(owner_at_home.header("retry-after"), Some("900"));
    let page = owner_at_home.text();
    assert!(page.contains("Too many attempts"), "{page}");
    assert!(page.contains(r#"<form method="post" action="/portal/demo/access" novalidate>"#), "{page}");
    assert!(page.contains(">Email me a link<"));
    assert!(!page.contains("Secret plans"));
    let answers = [
        stack.post_form_from(client_ip(200), PAGE, &[("email", OWNER)]).await,
        stack.post_form_from(client_ip(201), PAGE, &[("email", "stranger99@example.com")]).await,
        stack
            .post_form_from(
                client_ip(202),
                "/portal/demo/tickets/TKT-0001/reply",
                &[("email", OWNER), ("message", "let me in")],
            )
            .await,
    ];
    for answer in &answers {
        assert_eq!((answer.status, answer.text()), (429, page.clone()), "the same page for every address");
    }
    let json = stack.post_json_from(client_ip(203), LOOKUP, &json!({"email": OWNER}), &[]).await;
    assert_eq!(json.status, 429);
    assert_eq!(json.header("retry-after"), Some("900"));
    assert_eq!(serde_json::from_slice::<Value>(&json.body).unwrap()["error"], "rate_limited");
    let reply = stack
        .post_json_from(
            client_ip(203),
            "/api/portal/demo/tickets/TKT-0001/replies",
            &json!({"email": OWNER, "message": "let me in"}),
            &[],
        )
        .await;
    assert_eq!(reply.status, 429);
    let (_, comments) = stack.store.ticket_with_comments(&demo(), tkt(1)).await.unwrap().unwrap();
    assert!(comments.is_empty(), "nothing was added");

    // A ticket that does not exist answers the same once its misses are used up.
    for i in 0..11u32 {
        let email = format!("stranger{i}@example.com");
        stack.post_form_from(client_ip(120 + i), "/portal/demo/tickets/TKT-0099", &[("email", &email)]).await;
    }
    let unknown = stack.post_form_from(client_ip(204), "/portal/demo/tickets/TKT-0099", &[("email", OWNER)]).await;
    assert_eq!((unknown.status, unknown.text()), (429, page.clone()));

    // The strangers' addresses and the owner's other ticket are not held up...
    let other = stack.post_form_from(client_ip(100), "/portal/demo/tickets/TKT-0002", &[("email", OWNER)]).await;
    assert_eq!(other.status, 200);
    // ...and 15 minutes after the misses, typed lookups work again.
    clock.advance(899);
    assert_eq!(stack.post_form_from(client_ip(240), PAGE, &[("email", OWNER)]).await.status, 429);
    clock.advance(1);
    let back = stack.post_form_from(client_ip(240), PAGE, &[("email", OWNER)]).await;
    assert_eq!(back.status, 200);
    assert!(back.text().contains("Secret plans"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn empty_and_odd_emails_are_misses_like_any_other() {
    let stack = Stack::start_with(|config| config.lookup_limit = 3).await;
    ann_ticket(&stack, "Secret plans").await;
    for email in ["", "   ", "ANN@EXAMPLE.COM\u{0}"] {
        let response = stack.post_json_from(client_ip(8), LOOKUP, &json!({"email": email}), &[]).await;
        assert_eq!(response.status, 404, "{email:?}: {}", response.text());
    }
    let limited = stack.post_json_from(client_ip(8), LOOKUP, &json!({"email": ""}), &[]).await;
    assert_eq!(limited.status, 429, "each was counted");
}

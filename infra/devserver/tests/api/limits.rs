//! The submission and reply limits under attack, over HTTP against the
//! emulator: bursts from one address, one IPv6 /64 and many addresses,
//! replays, a clock stepped across the hour, and the cap on a ticket's
//! customer messages.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};

use crate::support::*;
use aws_sdk_dynamodb::types::AttributeValue;
use portal::domain::clock::ManualClock;
use portal::store::keys::{ticket_pk, PK, SK, TICKET_SK};
use serde_json::{json, Value};

const SUBMIT: &str = "/api/portal/demo/tickets";

fn submission(i: u32) -> Value {
    json!({"name": "Flood", "email": format!("f{i}@example.com"), "subject": "Burst"})
}

fn retry_after(response: &devserver::httpc::HttpResponse) -> u64 {
    response.header("retry-after").expect("Retry-After").parse().unwrap()
}

/// Unix time of 10:59:58 on some day: two seconds before an hour starts.
const BEFORE_THE_HOUR: i64 = 1_767_261_598;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submissions_hold_over_any_sixty_minutes_not_per_clock_hour() {
    assert_eq!(BEFORE_THE_HOUR % 3600, 3598);
    let clock = ManualClock::starting_at(BEFORE_THE_HOUR);
    let stack = Stack::start_with_clock(&clock, |_| {}).await;
    let from = client_ip(3);
    for i in 0..10 {
        let response = stack.post_json_from(from, SUBMIT, &submission(i), &[]).await;
        assert_eq!(response.status, 201, "{i} at :59:58: {}", response.text());
    }
    // A new clock hour gives nothing back: the ten are still within 60 minutes.
    clock.advance(3);
    let refused = stack.post_json_from(from, SUBMIT, &submission(10), &[]).await;
    assert_eq!(refused.status, 429, "at :00:01");
    assert_eq!(retry_after(&refused), 3600 - 3, "the first leaves the window an hour after it came");
    clock.set(BEFORE_THE_HOUR + 3599);
    let still = stack.post_json_from(from, SUBMIT, &submission(11), &[]).await;
    assert_eq!((still.status, retry_after(&still)), (429, 1), "one second short of an hour");
    clock.set(BEFORE_THE_HOUR + 3600);
    let eleventh = stack.post_json_from(from, SUBMIT, &submission(12), &[]).await;
    assert_eq!(eleventh.status, 201, "the 11th, 60 minutes after the first: {}", eleventh.text());
    assert_eq!(stack.ticket_count().await, 11);

    // The window slides: 5 now and 5 half an hour later leave room for
    // exactly 5 when the first five are an hour old.
    let other = client_ip(4);
    let start = clock.now_unix();
    for i in 0..5 {
        assert_eq!(stack.post_json_from(other, SUBMIT, &submission(100 + i), &[]).await.status, 201);
    }
    clock.advance(1800);
    for i in 0..5 {
        assert_eq!(stack.post_json_from(other, SUBMIT, &submission(200 + i), &[]).await.status, 201);
    }
    assert_eq!(stack.post_json_from(other, SUBMIT, &submission(300), &[]).await.status, 429);
    clock.set(start + 3600);
    let statuses: Vec<u16> = {
        let mut out = Vec::new();
        for i in 0..6 {
            out.push(stack.post_json_from(other, SUBMIT, &submission(400 + i), &[]).await.status);
        }
        out
    };
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429]);
    let last = stack.post_json_from(other, SUBMIT, &submission(500), &[]).await;
    assert_eq!(retry_after(&last), 1800, "the next slot frees when the second five are an hour old");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotent_replay_counts_like_any_submission() {
    let stack = Stack::start_with(|config| config.submit_limit_per_hour = 4).await;
    let from = client_ip(5);
    let key = [("Idempotency-Key", "replayed-key-0001")];
    let first = stack.post_json_from(from, SUBMIT, &submission(0), &key).await;
    assert_eq!(first.status, 201);
    // Two replays answer like the first and each takes a slot.
    for _ in 0..2 {
        let again = stack.post_json_from(from, SUBMIT, &submission(0), &key).await;
        assert_eq!((again.status, again.body.clone()), (201, first.body.clone()));
    }
    assert_eq!(stack.post_json_from(from, SUBMIT, &submission(1), &[]).await.status, 201, "the 4th slot");
    // Over the limit a replay is refused too, and a fresh submission also.
    let replay = stack.post_json_from(from, SUBMIT, &submission(0), &key).await;
    assert_eq!(replay.status, 429, "{}", replay.text());
    assert!(retry_after(&replay) > 0);
    assert_eq!(serde_json::from_slice::<Value>(&replay.body).unwrap()["error"], "rate_limited");
    assert_eq!(stack.post_json_from(from, SUBMIT, &submission(2), &[]).await.status, 429);
    assert_eq!(stack.ticket_count().await, 2);
}

/// Any 30 addresses of one /64, as API Gateway would report them. Loopback
/// sockets cannot have such sources (IPv6 loopback is `::1` alone), so these
/// requests take the dev server's own path from the API Gateway event on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_submissions_from_one_ipv6_64_admit_exactly_ten() {
    let stack = std::sync::Arc::new(Stack::start().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30u32 {
        let stack = stack.clone();
        tasks.spawn(async move {
            let source =
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0x77, 0x1, i as u16, 0xbeef, i as u16 * 7, i as u16 + 1));
            let body = submission(i).to_string();
            let headers = [("content-type", "application/json")];
            stack.invoke_from(source, "POST", SUBMIT, &headers, body.as_bytes()).await.status
        });
    }
    let statuses = tasks.join_all().await;
    assert_eq!(tally(statuses), BTreeMap::from([(201, 10), (429, 20)]));
    assert_eq!(stack.ticket_count().await, 10);
    // The neighbouring /64 is another client; the IPv4-mapped form of an
    // IPv4 address is that IPv4 client.
    let body = submission(99).to_string();
    let headers = [("content-type", "application/json")];
    let next_64: IpAddr = "2001:db8:77:2::1".parse().unwrap();
    assert_eq!(stack.invoke_from(next_64, "POST", SUBMIT, &headers, body.as_bytes()).await.status, 201);
    let same_64: IpAddr = "2001:db8:77:1:ffff:ffff:ffff:ffff".parse().unwrap();
    assert_eq!(stack.invoke_from(same_64, "POST", SUBMIT, &headers, body.as_bytes()).await.status, 429);
    let v4: IpAddr = "192.0.2.7".parse().unwrap();
    let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
    for _ in 0..5 {
        assert_eq!(stack.invoke_from(v4, "POST", SUBMIT, &headers, body.as_bytes()).await.status, 201);
        assert_eq!(stack.invoke_from(mapped, "POST", SUBMIT, &headers, body.as_bytes()).await.status, 201);
    }
    assert_eq!(stack.invoke_from(mapped, "POST", SUBMIT, &headers, body.as_bytes()).await.status, 429);
}

/// The one IPv6 source a loopback socket can have, through the dev server's
/// real IPv6 listener: `::1` is its /64's client like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_over_ipv6_from_one_64_admits_exactly_ten() {
    let stack = Stack::start().await;
    let Some(addr6) = stack.addr6 else {
        eprintln!("no IPv6 loopback on this host: nothing to test over an IPv6 socket");
        return;
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20u32 {
        tasks.spawn(async move {
            post_json_to(addr6, IpAddr::V6(Ipv6Addr::LOCALHOST), SUBMIT, &submission(i), &[]).await.status
        });
    }
    assert_eq!(tally(tasks.join_all().await), BTreeMap::from([(201, 10), (429, 10)]));
    // An IPv4 client is unaffected by the IPv6 one.
    assert_eq!(stack.post_json_from(client_ip(1), SUBMIT, &submission(50), &[]).await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_from_many_addresses_admits_ten_for_each() {
    let stack = Stack::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..75u32 {
        let addr = stack.addr;
        tasks.spawn(async move {
            let client = i % 5;
            (client, post_json_to(addr, client_ip(20 + client), SUBMIT, &submission(i), &[]).await.status)
        });
    }
    let mut per_client: BTreeMap<u32, Vec<u16>> = BTreeMap::new();
    for (client, status) in tasks.join_all().await {
        per_client.entry(client).or_default().push(status);
    }
    for (client, statuses) in per_client {
        assert_eq!(tally(statuses), BTreeMap::from([(201, 10), (429, 5)]), "client {client}");
    }
    assert_eq!(stack.ticket_count().await, 50);
}

/// Submits TKT-000n for ann@example.com from an address of its own.
async fn ann_ticket(stack: &Stack) -> String {
    let body = json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Printer"});
    let created = stack.post_json_from(client_ip(240), SUBMIT, &body, &[]).await;
    assert_eq!(created.status, 201, "{}", created.text());
    serde_json::from_slice::<Value>(&created.body).unwrap()["reference"].as_str().unwrap().to_owned()
}

async fn reply_from(addr: std::net::SocketAddr, from: IpAddr, reference: &str, i: u32) -> u16 {
    let path = format!("/api/portal/demo/tickets/{reference}/replies");
    let body = json!({"email": "ann@example.com", "message": format!("reply {i}")});
    let response = post_json_to(addr, from, &path, &body, &[]).await;
    if response.status == 429 {
        assert!(response.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() > 0));
        assert_eq!(serde_json::from_slice::<Value>(&response.body).unwrap()["error"], "rate_limited");
    }
    response.status
}

async fn comment_count(stack: &Stack, n: u64) -> usize {
    stack.store.ticket_with_comments(&demo(), tkt(n)).await.unwrap().unwrap().1.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_replies_in_a_burst_from_one_address_admit_exactly_twenty() {
    let stack = Stack::start().await;
    let reference = ann_ticket(&stack).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40u32 {
        let (addr, reference) = (stack.addr, reference.clone());
        tasks.spawn(async move { reply_from(addr, client_ip(9), &reference, i).await });
    }
    let statuses = tally(tasks.join_all().await);
    println!("40 replies from one address: {statuses:?}");
    assert_eq!(statuses, BTreeMap::from([(201, 20), (429, 20)]));
    assert_eq!(comment_count(&stack, 1).await, 20, "a refused reply writes nothing");

    // The form flavour: 429, a friendly page, the message kept in the form.
    let page = stack
        .post_form_from(
            client_ip(9),
            &format!("/portal/demo/tickets/{reference}/reply"),
            &[
                ("email", "ann@example.com"),
                ("message", "Still waiting <b>here</b>"),
                ("idempotency_key", "FORMKEY-0001"),
            ],
        )
        .await;
    assert_eq!(page.status, 429);
    assert!(page.header("retry-after").is_some());
    let html = page.text();
    assert!(html.contains(">Still waiting &#60;b&#62;here&#60;/b&#62;</textarea>"), "{html}");
    assert!(html.contains("You have sent a lot of replies"), "{html}");
    assert!(html.contains(r#"value="FORMKEY-0001""#), "the same form instance: nothing was added");
    // Another address may still reply to the ticket.
    assert_eq!(reply_from(stack.addr, client_ip(10), &reference, 99).await, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replies_from_many_addresses_stop_at_the_ticket_s_hundred() {
    let stack = Stack::start().await;
    let reference = ann_ticket(&stack).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..130u32 {
        let (addr, reference) = (stack.addr, reference.clone());
        tasks.spawn(async move { reply_from(addr, client_ip(i), &reference, i).await });
    }
    let statuses = tally(tasks.join_all().await);
    println!("130 replies from 130 addresses to one ticket: {statuses:?}");
    assert_eq!(statuses, BTreeMap::from([(201, 100), (429, 30)]));
    assert_eq!(comment_count(&stack, 1).await, 100);
    // Another ticket takes replies from the same addresses.
    let second = ann_ticket(&stack).await;
    assert_eq!(reply_from(stack.addr, client_ip(0), &second, 0).await, 201);
}

/// Sets the ticket's customer-message count, as 998 earlier replies would have.
async fn seed_customer_messages(stack: &Stack, n: u64, count: u32) {
    stack
        .store
        .client()
        .update_item()
        .table_name(stack.store.table())
        .key(PK, AttributeValue::S(ticket_pk(&demo(), tkt(n))))
        .key(SK, AttributeValue::S(TICKET_SK.into()))
        .update_expression("SET customerMessages = :count")
        .expression_attribute_values(":count", AttributeValue::N(count.to_string()))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ticket_takes_at_most_a_thousand_customer_messages() {
    let stack = Stack::start().await;
    let reference = ann_ticket(&stack).await;
    seed_customer_messages(&stack, 1, portal::domain::MAX_CUSTOMER_MESSAGES - 2).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6u32 {
        let (addr, reference) = (stack.addr, reference.clone());
        tasks.spawn(async move { reply_from(addr, client_ip(30 + i), &reference, i).await });
    }
    assert_eq!(tally(tasks.join_all().await), BTreeMap::from([(201, 2), (409, 4)]));
    assert_eq!(comment_count(&stack, 1).await, 2);

    let path = format!("/api/portal/demo/tickets/{reference}/replies");
    let full = stack.post_json(&path, &json!({"email": "ann@example.com", "message": "one more"})).await;
    assert_eq!(full.status, 409);
    let body: Value = serde_json::from_slice(&full.body).unwrap();
    assert_eq!(body["error"], "ticket_full");
    assert!(body["message"].as_str().unwrap().contains("1,000"), "{body}");
    let page = stack
        .post_form(
            &format!("/portal/demo/tickets/{reference}/reply"),
            &[("email", "ann@example.com"), ("message", "one more")],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(page.text().contains("This ticket is full"));
    assert!(page.text().contains(r#"href="/portal/demo/submit""#), "a link to submit a new ticket");
    assert_eq!(comment_count(&stack, 1).await, 2);
    // The customer can still read it.
    let lookup = stack
        .post_json(&format!("/api/portal/demo/tickets/{reference}/lookup"), &json!({"email": "ann@example.com"}))
        .await;
    assert_eq!(lookup.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn round_trips_stay_within_the_bars() {
    // Read from overlapping calls, which a busy machine can serialize: the
    // least of three requests is the code's own count.
    const TRIES: u32 = 3;
    let stack = Stack::start().await;
    let reference = ann_ticket(&stack).await;
    let lookup_path = format!("/api/portal/demo/tickets/{reference}/lookup");
    let measure = |from: usize| devserver::proxy::sequential_round_trips(&stack.proxy.calls()[from..]);
    let (mut submit, mut track, mut track_miss, mut reply) = (usize::MAX, usize::MAX, usize::MAX, usize::MAX);
    for i in 0..TRIES {
        let before = stack.proxy.calls().len();
        assert_eq!(stack.post_json_from(client_ip(10 + i), SUBMIT, &submission(10 + i), &[]).await.status, 201);
        submit = submit.min(measure(before));

        let before = stack.proxy.calls().len();
        assert_eq!(stack.post_json(&lookup_path, &json!({"email": "ann@example.com"})).await.status, 200);
        track = track.min(measure(before));
        let before = stack.proxy.calls().len();
        assert_eq!(stack.post_json(&lookup_path, &json!({"email": "eve@example.com"})).await.status, 404);
        track_miss = track_miss.min(measure(before));

        let before = stack.proxy.calls().len();
        assert_eq!(reply_from(stack.addr, client_ip(2), &reference, i).await, 201);
        reply = reply.min(measure(before));
    }
    println!("sequential round trips: submit {submit}, track {track} (miss {track_miss}), reply {reply}");
    assert!(submit <= 3, "submit {submit}");
    assert_eq!((track, track_miss), (1, 1));
    assert!(reply <= 2, "reply {reply}");
}

//! Bursts, retries and failing dependencies: nothing lost, nothing twice.
//! Loopback only, bounded in count and time.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::support::*;
use devserver::proxy::Fault;
use serde_json::{json, Value};

fn confirmations(stack: &Stack) -> Vec<String> {
    stack
        .proxy
        .sent_emails()
        .into_iter()
        .filter(|m| m.subject.starts_with("We received your request"))
        .flat_map(|m| m.to)
        .collect()
}

async fn submit_from(stack: &Stack, i: u32, key: Option<&str>) -> devserver::httpc::HttpResponse {
    let body = json!({"name": format!("User {i}"), "email": format!("user{i}@example.com"), "subject": "Burst"});
    let mut headers = vec![];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    stack.post_json_from(client_ip(i), "/api/portal/demo/tickets", &body, &headers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_submissions_make_a_thousand_tickets_and_emails() {
    // Seen on a loaded machine: seven records cut off at the worker's deadline
    // five times within seconds, so dead-lettered. Failures here are load, not faults.
    let stack = Stack::start_with_visibility(20).await;
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000u32 {
        let addr = stack.addr;
        tasks.spawn(async move {
            let body =
                json!({"name": format!("User {i}"), "email": format!("user{i}@example.com"), "subject": "Burst"});
            let response = post_json_to(addr, client_ip(i), "/api/portal/demo/tickets", &body, &[]).await;
            assert_eq!(response.status, 201, "{}", response.text());
            serde_json::from_slice::<Value>(&response.body).unwrap()["reference"].as_str().unwrap().to_owned()
        });
    }
    let mut references = BTreeSet::new();
    while let Some(reference) = tasks.join_next().await {
        assert!(references.insert(reference.unwrap()), "duplicate number");
    }
    let expected: BTreeSet<String> = (1..=1000).map(|n| tkt(n).to_string()).collect();
    assert_eq!(references, expected, "contiguous TKT-0001..TKT-1000");
    let submitted = started.elapsed();

    // A bound, not a timing: on a loaded two-core machine the emulator alone takes minutes.
    stack.drain_until(4, Duration::from_secs(1500), |s| confirmations(s).len() >= 1000).await;
    // A last pass: nothing further may be sent.
    stack.drain().await;
    let sent = confirmations(&stack);
    assert_eq!(sent.len(), 1000, "every confirmation exactly once");
    assert_eq!(sent.iter().collect::<BTreeSet<_>>().len(), 1000);
    println!(
        "1000 tickets in {submitted:?}, {} confirmation emails {:?} later, {} AWS calls",
        sent.len(),
        started.elapsed() - submitted,
        stack.proxy.calls().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_submissions_from_one_address_admit_exactly_ten() {
    let stack = Stack::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50u32 {
        let addr = stack.addr;
        tasks.spawn(async move {
            let body = json!({"name": "Flood", "email": format!("f{i}@example.com"), "subject": "Burst"});
            post_json_to(addr, client_ip(999), "/api/portal/demo/tickets", &body, &[]).await.status
        });
    }
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    while let Some(status) = tasks.join_next().await {
        *statuses.entry(status.unwrap()).or_default() += 1;
    }
    assert_eq!(statuses, HashMap::from([(201, 10), (429, 40)]));
    assert_eq!(stack.ticket_count().await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ses_down_for_a_while_delays_emails_but_loses_and_repeats_none() {
    let stack = Stack::start().await;
    for i in 0..5 {
        assert_eq!(submit_from(&stack, i, None).await.status, 201);
    }
    stack.proxy.fail_when(|call| call.is_send_email().then_some(Fault { status: 500, error_type: "InternalFailure" }));
    // Two deliveries while SES is down: every record fails and comes back
    // (more than maxReceiveCount would dead-letter them, by design).
    for _ in 0..2 {
        stack.deliver_when_visible().await;
    }
    assert!(stack.proxy.sent_emails().is_empty());
    stack.proxy.heal();
    stack.drain_until(2, Duration::from_secs(300), |s| confirmations(s).len() >= 5).await;
    stack.drain().await;
    assert_eq!(confirmations(&stack).len(), 5);
    let agent_emails = stack.proxy.sent_emails().iter().filter(|m| m.subject.contains("assigned")).count();
    assert_eq!(agent_emails, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_throttling_is_retried_and_duplicates_nothing() {
    let stack = Stack::start().await;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = counter.clone();
    stack.proxy.fail_when(move |call| {
        let dynamo = call.target.starts_with("DynamoDB_");
        // Every third DynamoDB call is throttled.
        (dynamo && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst).is_multiple_of(3))
            .then_some(Fault { status: 400, error_type: "ProvisionedThroughputExceededException" })
    });
    let mut created = BTreeSet::new();
    for i in 0..8u32 {
        let key = format!("throttle-key-{i:04}");
        // A client retrying on 503 with the same key, as the error message asks.
        let mut answer = submit_from(&stack, i, Some(&key)).await;
        for _ in 0..5 {
            if answer.status != 503 {
                break;
            }
            answer = submit_from(&stack, i, Some(&key)).await;
        }
        assert_eq!(answer.status, 201, "{}", answer.text());
        created
            .insert(serde_json::from_slice::<Value>(&answer.body).unwrap()["reference"].as_str().unwrap().to_owned());
    }
    stack.drain_until(2, Duration::from_secs(300), |s| confirmations(s).len() >= 8).await;
    stack.proxy.heal();
    stack.drain().await;
    assert!(counter.load(std::sync::atomic::Ordering::SeqCst) > 20, "the fault really fired");
    assert_eq!(created.len(), 8);
    let tickets = stack.store.list_tickets(&demo()).await.unwrap();
    assert_eq!(tickets.len(), 8, "one ticket per submission");
    assert_eq!(confirmations(&stack).len(), 8, "one confirmation each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_queue_send_still_succeeds_and_a_retry_resends_only_until_delivered() {
    // The outbox holds the event, so the request succeeds (the sweeper would
    // deliver it: outbox.rs). A client retry with the same key sends it at once
    // while the worker has not acknowledged it, and never after.
    let stack = Stack::start().await;
    stack.proxy.fail_when(|call| {
        (call.target == "AmazonSQS.SendMessage")
            .then_some(Fault { status: 400, error_type: "AWS.SimpleQueueService.NonExistentQueue" })
    });
    let sent = |stack: &Stack| {
        stack.proxy.calls().iter().filter(|c| c.target == "AmazonSQS.SendMessage" && c.status == 200).count()
    };
    let first = submit_from(&stack, 1, Some("sqs-down-key-1")).await;
    assert_eq!(first.status, 201, "the write committed with its event: {}", first.text());
    assert_eq!(stack.ticket_count().await, 1);
    stack.drain().await;
    assert!(confirmations(&stack).is_empty(), "no event reached the worker");

    stack.proxy.heal();
    let retry = submit_from(&stack, 1, Some("sqs-down-key-1")).await;
    assert_eq!(retry.status, 201);
    assert_eq!(serde_json::from_slice::<Value>(&retry.body).unwrap()["reference"], "TKT-0001");
    assert_eq!(sent(&stack), 1, "undelivered: the retry re-sent it");
    stack.drain_until(1, Duration::from_secs(300), |s| !confirmations(s).is_empty()).await;
    // Sent is not yet acknowledged: under load another effect of the event can
    // fail and leave it for redelivery. Acknowledged is an empty outbox.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while !stack.outbox().await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the worker never acknowledged the event");
        stack.deliver_when_visible().await;
    }
    let again = submit_from(&stack, 1, Some("sqs-down-key-1")).await;
    assert_eq!(again.status, 201);
    assert_eq!(sent(&stack), 1, "delivered and acknowledged: a second retry sends nothing");
    stack.drain().await;
    assert_eq!(stack.ticket_count().await, 1);
    assert_eq!(confirmations(&stack), ["user1@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_that_dies_mid_batch_finishes_on_redelivery_without_repeats() {
    let stack = Stack::start().await;
    for i in 0..6 {
        submit_from(&stack, i, None).await;
    }
    let received = stack.receive_batch().await;
    assert_eq!(received.len(), 6);
    // The worker gets through half the batch, then its process dies: no batch
    // answer, nothing deleted.
    let worker = stack.worker();
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_value(devserver::sqs_trigger::sqs_event(&received, "arn:aws:sqs:local:test")).unwrap();
    for record in event.records.iter().take(3) {
        worker.process(record).await.unwrap();
    }
    drop(worker);
    assert_eq!(confirmations(&stack).len(), 3);
    // drain_until waits for the unfinished records to come back.
    stack.drain_until(2, Duration::from_secs(300), |s| confirmations(s).len() >= 6).await;
    stack.drain().await;
    let sent = confirmations(&stack);
    assert_eq!(sent.len(), 6, "{sent:?}");
    assert_eq!(sent.iter().collect::<BTreeSet<_>>().len(), 6, "each customer confirmed once");
}

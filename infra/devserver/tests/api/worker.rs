//! The assign-worker against the emulator: assignment, notifications, emails,
//! exactly once under redelivery, partial batch failures, poison messages.

use std::collections::HashMap;
use std::time::Duration;

use crate::support::*;
use aws_lambda_events::event::sqs::SqsEvent;
use devserver::proxy::Fault;
use devserver::sqs_trigger::sqs_event;
use portal::domain::client::ClientAddress;
use portal::domain::{Agent, MessageBody, Status, Visibility, Workspace};
use portal::entry::worker::{Outcome, WorkError};
use serde_json::json;

async fn submit(stack: &Stack, ip: u32, email: &str, subject: &str) -> u16 {
    let body = json!({"name": "Ann Lee", "email": email, "subject": subject, "description": "SECRET-DESCRIPTION"});
    stack.post_json_from(client_ip(ip), "/api/portal/demo/tickets", &body, &[]).await.status
}

fn as_event(messages: &[aws_sdk_sqs::types::Message]) -> SqsEvent {
    serde_json::from_value(sqs_event(messages, "arn:aws:sqs:local:test")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_ticket_is_assigned_and_everyone_is_told_once() {
    let stack = Stack::start().await;
    assert_eq!(submit(&stack, 1, "ann@example.com", "Printer <img src=x onerror=alert(1)>").await, 201);
    stack.drain().await;

    let ticket = stack.ticket(1).await.unwrap();
    assert_eq!(ticket.assignee.as_deref(), Some("alex"), "first available agent by id");

    let confirmation = stack.emails_to("ann@example.com");
    assert_eq!(confirmation.len(), 1);
    let mail = &confirmation[0];
    assert!(mail.subject.contains("TKT-0001"));
    let tracking = format!("http://{}/portal/demo/tickets/TKT-0001", stack.addr);
    assert!(mail.text.contains(&tracking) && mail.html.contains(&tracking));
    for part in [&mail.subject, &mail.text, &mail.html] {
        assert!(
            !part.contains("Printer") && !part.contains("SECRET-DESCRIPTION"),
            "no echo of what the customer typed"
        );
    }

    let agent_mail = stack.emails_to("alex@agents.demo.example");
    assert_eq!(agent_mail.len(), 1);
    assert!(agent_mail[0].subject.contains("TKT-0001"));
    assert!(agent_mail[0].text.contains(&tracking));
    assert!(!agent_mail[0].html.contains("<img src=x"), "escaped in HTML");
    assert!(!agent_mail[0].subject.contains('\n'));

    let inbox = stack.store.inbox(&demo(), "alex").await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].reference, tkt(1));
    assert!(!inbox[0].read);
    assert!(stack.store.mark_read(&demo(), "alex", &inbox[0].id).await.unwrap());
    assert!(stack.store.inbox(&demo(), "alex").await.unwrap()[0].read);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn round_robin_is_fair_under_concurrency_and_skips_unavailable_agents() {
    let stack = Stack::start().await;
    let store = &stack.store;
    for (id, available) in [("alex", true), ("sam", true), ("kim", true), ("lee", true), ("zed", false)] {
        let agent = Agent { id: id.into(), name: id.into(), email: format!("{id}@agents.example"), available };
        store.save_agent(&demo(), &agent).await.unwrap();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100u32 {
        let portal = stack.portal.clone();
        tasks.spawn(async move {
            let input = portal::domain::SubmissionInput {
                name: "Load".into(),
                email: format!("load{i}@example.com"),
                subject: "Load".into(),
                ..Default::default()
            };
            let ticket = portal::domain::NewTicket::parse(&input).unwrap();
            portal
                .submit_ticket(&demo(), ticket, ClientAddress::from_source_ip(&format!("10.1.0.{i}")), None)
                .await
                .unwrap();
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // Four pollers, like Lambda scaling out. Invocations with time to spare:
    // one cut off inside an assignment may cost a turn of the rotation (see
    // a_batch_cut_off_at_the_deadline_...), and a loaded machine is slow.
    let mut pollers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let worker = stack.worker().with_timeout(Duration::from_secs(120));
        let (sqs, queue) = (stack.clients.sqs.clone(), stack.provisioned.clone());
        pollers.spawn(async move {
            while devserver::sqs_trigger::deliver_once(&worker, &sqs, &queue, 0).await.unwrap() > 0 {}
        });
    }
    while let Some(done) = pollers.join_next().await {
        done.unwrap();
    }
    stack.drain().await;
    let mut per_agent: HashMap<String, usize> = HashMap::new();
    for ticket in store.list_tickets(&demo()).await.unwrap() {
        *per_agent.entry(ticket.assignee.unwrap_or_else(|| "nobody".into())).or_default() += 1;
    }
    let expected: HashMap<String, usize> = ["alex", "kim", "lee", "sam"].iter().map(|a| (a.to_string(), 25)).collect();
    assert_eq!(per_agent, expected);
    assert_eq!(stack.proxy.sent_emails().len(), 200, "100 confirmations and 100 agent emails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_nobody_available_the_ticket_stays_unassigned_and_the_customer_is_still_confirmed() {
    let stack = Stack::start().await;
    for id in ["alex", "sam"] {
        let mut agent = stack.portal.agent(&demo(), id).await.unwrap();
        agent.available = false;
        stack.store.save_agent(&demo(), &agent).await.unwrap();
    }
    submit(&stack, 1, "ann@example.com", "Anyone?").await;
    stack.drain().await;
    assert_eq!(stack.ticket(1).await.unwrap().assignee, None);
    assert_eq!(stack.emails_to("ann@example.com").len(), 1);
    assert_eq!(stack.proxy.sent_emails().len(), 1, "no agent email");

    // And with auto-assignment off, nobody is picked even when available.
    let mut workspace: Workspace = stack.store.get_workspace(&demo()).await.unwrap().unwrap();
    workspace.auto_assign = false;
    stack.store.save_workspace(&workspace).await.unwrap();
    let mut alex = stack.portal.agent(&demo(), "alex").await.unwrap();
    alex.available = true;
    stack.store.save_agent(&demo(), &alex).await.unwrap();
    submit(&stack, 2, "bo@example.com", "Manual").await;
    stack.drain().await;
    assert_eq!(stack.ticket(2).await.unwrap().assignee, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redelivered_batch_sends_no_duplicate_email() {
    let stack = Stack::start().await;
    for i in 0..3 {
        submit(&stack, i, &format!("c{i}@example.com"), "Dup?").await;
    }
    let messages = stack.receive_batch().await;
    assert_eq!(messages.len(), 3);
    let worker = stack.worker();
    for _ in 0..3 {
        let response = worker.handle(as_event(&messages)).await;
        assert!(response.batch_item_failures.is_empty());
    }
    let sent = stack.proxy.sent_emails();
    assert_eq!(sent.len(), 6, "3 confirmations + 3 agent emails, whatever the deliveries");
    let inbox: usize =
        [stack.store.inbox(&demo(), "alex").await.unwrap(), stack.store.inbox(&demo(), "sam").await.unwrap()]
            .iter()
            .map(Vec::len)
            .sum();
    assert_eq!(inbox, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twin_deliveries_at_once_take_one_turn_of_the_rotation_per_ticket() {
    // SQS delivers at least once: the same batch may run in two invocations at the same time.
    let stack = Stack::start().await;
    for i in 0..4 {
        submit(&stack, i, &format!("twin{i}@example.com"), "Twins").await;
    }
    let messages = stack.receive_batch().await;
    assert_eq!(messages.len(), 4);
    let (first, second) = (stack.worker(), stack.worker());
    let _ = tokio::join!(first.handle(as_event(&messages)), second.handle(as_event(&messages)));
    // A later delivery finishes what one twin left to the other (it answered Busy).
    let late = first.handle(as_event(&messages)).await;
    assert!(late.batch_item_failures.is_empty(), "{:?}", late.batch_item_failures);
    let turns = stack.store.next_assignment_slot(&demo()).await.unwrap();
    assert_eq!(turns, 4, "four tickets took four turns");
    let mut per_agent: HashMap<String, usize> = HashMap::new();
    for ticket in stack.store.list_tickets(&demo()).await.unwrap() {
        *per_agent.entry(ticket.assignee.unwrap_or_else(|| "nobody".into())).or_default() += 1;
    }
    assert_eq!(per_agent, HashMap::from([("alex".to_string(), 2), ("sam".to_string(), 2)]));
    assert_eq!(stack.proxy.sent_emails().len(), 8, "4 confirmations and 4 agent emails, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_ses_call_retries_only_the_failed_message() {
    let stack = Stack::start().await;
    submit(&stack, 1, "good@example.com", "One").await;
    submit(&stack, 2, "bad@example.com", "Two").await;
    stack.proxy.fail_when(|call| {
        (call.is_send_email() && String::from_utf8_lossy(&call.body).contains("bad@example.com"))
            .then_some(Fault { status: 400, error_type: "MessageRejected" })
    });
    let messages = stack.receive_batch().await;
    assert_eq!(messages.len(), 2);
    let response = stack.worker().handle(as_event(&messages)).await;
    let failed: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    let bad_id = messages
        .iter()
        .find(|m| m.body().unwrap().contains("TKT-0002"))
        .and_then(|m| m.message_id())
        .unwrap()
        .to_owned();
    assert_eq!(failed, vec![bad_id]);
    assert_eq!(stack.emails_to("good@example.com").len(), 1);
    assert_eq!(stack.emails_to("bad@example.com").len(), 0);

    // SES recovers; only the failed record comes back (the good one was deleted).
    stack.proxy.heal();
    let ok: Vec<_> = messages.iter().filter(|m| m.body().unwrap().contains("TKT-0001")).cloned().collect();
    stack
        .clients
        .sqs
        .delete_message()
        .queue_url(&stack.provisioned.queue_url)
        .receipt_handle(ok[0].receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    stack.deliver_when_visible().await;
    stack.drain().await;
    assert_eq!(stack.emails_to("bad@example.com").len(), 1);
    assert_eq!(stack.emails_to("good@example.com").len(), 1, "no duplicate for the message that had succeeded");
    let agent_emails = stack.proxy.sent_emails().iter().filter(|m| m.subject.contains("assigned")).count();
    assert_eq!(agent_emails, 2, "the agent email of the failed message was not sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_message_reaches_the_dead_letter_queue() {
    let stack = Stack::start().await;
    let sqs = &stack.clients.sqs;
    for body in
        ["not json at all", r#"{"v":2,"kind":"ticket_created","workspace":"demo","reference":"TKT-0001","id":"x"}"#]
    {
        sqs.send_message().queue_url(&stack.provisioned.queue_url).message_body(body).send().await.unwrap();
    }
    let worker = stack.worker();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let mut dead = Vec::new();
    while dead.len() < 2 && tokio::time::Instant::now() < deadline {
        devserver::sqs_trigger::deliver_once(&worker, sqs, &stack.provisioned, 1).await.unwrap();
        let out = sqs
            .receive_message()
            .queue_url(&stack.provisioned.dead_letter_queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        dead.extend(out.messages.unwrap_or_default().into_iter().filter_map(|m| m.body));
    }
    dead.sort();
    assert_eq!(dead.len(), 2, "both poison messages dead-lettered: {dead:?}");
    assert!(stack.proxy.sent_emails().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_about_writes_that_never_happened_wait_then_drop() {
    let stack = Stack::start().await;
    let worker = stack.worker();
    let record = |sent_ms: i64| -> aws_lambda_events::event::sqs::SqsMessage {
        serde_json::from_value(json!({
            "messageId": "m1",
            "body": r#"{"v":1,"kind":"ticket_created","workspace":"demo","reference":"TKT-0042","id":"01JNOTHERE"}"#,
            "attributes": {"SentTimestamp": sent_ms.to_string(), "ApproximateReceiveCount": "1"},
            "messageAttributes": {},
        }))
        .unwrap()
    };
    let now_ms = portal::domain::time::now_unix() * 1000;
    assert!(matches!(worker.process(&record(now_ms)).await, Err(WorkError::NotYet)), "young: retry later");
    assert_eq!(worker.process(&record(now_ms - 120_000)).await.unwrap(), Outcome::Dropped, "old: the write failed");
    assert!(stack.proxy.sent_emails().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replies_notify_the_agent_and_agent_replies_and_resolutions_email_the_customer() {
    let stack = Stack::start().await;
    submit(&stack, 1, "ann@example.com", "Help").await;
    stack.drain().await;
    let reply = json!({"email": "ann@example.com", "message": "Any news?"});
    assert_eq!(stack.post_json("/api/portal/demo/tickets/TKT-0001/replies", &reply).await.status, 201);
    stack.drain().await;
    let inbox = stack.store.inbox(&demo(), "alex").await.unwrap();
    assert_eq!(inbox.iter().filter(|i| i.kind == "customer_replied").count(), 1);

    let alex = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
    let body = |t: &str| MessageBody::parse_required(t, "comment").unwrap();
    stack.portal.agent_comment(&demo(), tkt(1), &alex, body("<b>Working on it</b>"), Visibility::Public).await.unwrap();
    stack.portal.agent_comment(&demo(), tkt(1), &alex, body("INTERNAL-NOTE-TEXT"), Visibility::Internal).await.unwrap();
    stack.drain().await;
    let to_ann = stack.emails_to("ann@example.com");
    assert_eq!(to_ann.len(), 2, "confirmation + the public reply");
    assert!(to_ann[1].text.contains("<b>Working on it</b>"));
    assert!(to_ann[1].html.contains("&#60;b&#62;Working on it"));
    assert!(stack
        .proxy
        .sent_emails()
        .iter()
        .all(|m| !m.text.contains("INTERNAL-NOTE") && !m.html.contains("INTERNAL-NOTE")));

    stack.portal.resolve(&demo(), tkt(1), &alex, body("Replaced the toner.")).await.unwrap();
    stack.drain().await;
    let to_ann = stack.emails_to("ann@example.com");
    assert_eq!(to_ann.len(), 3);
    let survey = &to_ann[2];
    assert!(survey.text.contains("Replaced the toner."));
    let prefix = format!("http://{}/portal/demo/csat/", stack.addr);
    let token: String =
        survey.text.split(&prefix).nth(1).expect("survey link").chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    assert_eq!(token.len(), 64, "256-bit token");
    assert!(survey.html.contains(">Rate Your Experience</a>"));
    let stored =
        stack.store.link_token(&portal::domain::secrets::token_hash(&token)).await.unwrap().expect("stored by hash");
    assert_eq!(stored.reference, Some(tkt(1)));
    assert!(stack.store.link_token(&token).await.unwrap().is_none(), "the raw token is not a key");
    assert_eq!(stack.ticket(1).await.unwrap().status, Status::Resolved);
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_short_of_time_leaves_unstarted_records_to_sqs_and_repeats_nothing() {
    let stack = Stack::start().await;
    for i in 0..6 {
        assert_eq!(submit(&stack, i, &format!("late{i}@example.com"), "Late").await, 201);
    }
    let messages = stack.receive_batch().await;
    assert_eq!(messages.len(), 6);
    // Every email takes 0.8 s; two records at a time; a 10 s invocation that
    // starts nothing in its last 9.5 s: the first two run (with time to finish
    // on a loaded machine), the rest wait.
    stack.proxy.delay_when(|call| call.is_send_email().then_some(Duration::from_millis(800)));
    let worker = stack.worker().with_concurrency(2).with_deadline_margin(Duration::from_millis(9500));
    let started = std::time::Instant::now();
    let response = worker.handle_until(as_event(&messages), started + Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "answered before the deadline");
    let mut unstarted: Vec<String> = messages[2..].iter().map(|m| m.message_id().unwrap().to_owned()).collect();
    unstarted.sort();
    assert_eq!(failed_ids(&response), unstarted, "the records it had no time to start");
    assert_eq!(stack.proxy.sent_emails().len(), 4, "the two started records finished: confirmation + agent email each");

    // SQS redelivers (here: the whole batch again, the done records too).
    stack.proxy.heal();
    let again = stack.worker().handle(as_event(&messages)).await;
    assert!(again.batch_item_failures.is_empty());
    let sent = stack.proxy.sent_emails();
    assert_eq!(sent.len(), 12, "six confirmations and six agent emails, none twice");
    for i in 0..6 {
        assert_eq!(stack.emails_to(&format!("late{i}@example.com")).len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_record_still_running_at_the_deadline_is_reported_in_time() {
    let stack = Stack::start().await;
    assert_eq!(submit(&stack, 1, "slow@example.com", "Slow").await, 201);
    let messages = stack.receive_batch().await;
    stack.proxy.delay_when(|call| call.is_send_email().then_some(Duration::from_secs(3)));
    let worker = stack.worker().with_deadline_margin(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let response = worker.handle_until(as_event(&messages), started + Duration::from_secs(1)).await;
    assert!(started.elapsed() < Duration::from_secs(1), "answered before Lambda would cut it off");
    assert_eq!(failed_ids(&response), [messages[0].message_id().unwrap().to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_cut_off_at_the_deadline_fails_every_record_left_and_gives_back_their_claims() {
    // A first wave cut off inside the auto-assignment (its turn of the
    // rotation is slow) and a record never started. Every one must come back:
    // none answered as done, and no ledger claim turning the next delivery
    // away as busy until it goes stale (a quickly retrying queue would
    // dead-letter the record first).
    let stack = Stack::start().await;
    let records = portal::entry::worker::CONCURRENCY + 1;
    for i in 0..records {
        assert_eq!(submit(&stack, i as u32, &format!("cut{i}@example.com"), "Cut").await, 201);
    }
    let messages = stack.receive_batch().await;
    assert_eq!(messages.len(), records);
    // The deadline leaves the confirmations time to be sent on a loaded
    // machine (an email being sent is another case: the next test); the
    // turns of the rotation are held past it.
    let turn = |call: &devserver::proxy::Call| String::from_utf8_lossy(&call.body).contains("assignSeq");
    stack.proxy.delay_when(move |call| turn(call).then_some(Duration::from_secs(30)));
    let worker = stack.worker().with_deadline_margin(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let cut = worker.handle_until(as_event(&messages), started + Duration::from_secs(8)).await;
    let mut all: Vec<String> = messages.iter().map(|m| m.message_id().unwrap().to_owned()).collect();
    all.sort();
    assert_eq!(failed_ids(&cut), all, "every record cut off or never started is retried");
    stack.proxy.heal();
    let again = stack.worker().handle(as_event(&messages)).await;
    assert!(again.batch_item_failures.is_empty(), "the redelivery ran at once: {:?}", again.batch_item_failures);
    let sent = stack.proxy.sent_emails();
    let confirmations = sent.iter().filter(|m| m.subject.starts_with("We received your request")).count();
    let agent_emails = sent.iter().filter(|m| m.subject.contains("assigned")).count();
    assert_eq!((confirmations, agent_emails), (records, records), "each email once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_being_sent_at_the_deadline_is_sent_once() {
    // SES has the emails and its answers are held when the record is cut off:
    // the mail left, so a redelivery must not send it again. The claim is not
    // given back; the send goes on, and marks the email done when SES answers.
    let stack = Stack::start().await;
    assert_eq!(submit(&stack, 1, "inflight@example.com", "In flight").await, 201);
    let messages = stack.receive_batch().await;
    let answers = stack.proxy.hold_answers_when(devserver::proxy::Call::is_send_email);
    let worker = stack.worker().with_deadline_margin(Duration::from_millis(100));
    let started = std::time::Instant::now();
    // Time for both emails to reach SES on a loaded machine; their answers never come in it.
    let cut = worker.handle_until(as_event(&messages), started + Duration::from_secs(8)).await;
    assert_eq!(failed_ids(&cut).len(), 1, "cut off at the deadline");
    assert_eq!(stack.proxy.sent_emails().len(), 2, "SES had both emails when the record was cut off");
    stack.proxy.heal();
    let early = stack.worker().handle(as_event(&messages)).await;
    assert_eq!(failed_ids(&early).len(), 1, "redelivered while the sends wait: the emails are busy, not given back");
    assert_eq!(stack.proxy.sent_emails().len(), 2, "nothing sent again");
    answers.open();
    let mut deliveries = 0;
    while !stack.worker().handle(as_event(&messages)).await.batch_item_failures.is_empty() {
        deliveries += 1;
        assert!(deliveries < 100, "the sends never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stack.emails_to("inflight@example.com").len(), 1, "the confirmation once");
    assert_eq!(stack.proxy.sent_emails().len(), 2, "confirmation and agent email, neither twice");
}

/// Handles `messages` as one batch, `concurrency` records at a time: how long it took.
async fn time_batch(stack: &Stack, messages: &[aws_sdk_sqs::types::Message], concurrency: usize) -> Duration {
    let worker = stack.worker().with_concurrency(concurrency);
    let started = std::time::Instant::now();
    // A measurement, not an invocation: on a busy machine ten records one at a
    // time outlast the function's timeout, which the deadline tests hold.
    let unhurried = started + Duration::from_secs(300);
    assert!(worker.handle_until(as_event(messages), unhurried).await.batch_item_failures.is_empty());
    started.elapsed()
}

/// The numbers docs/EVENTS.md reasons from ("Sizing the worker"): the calls
/// one new-ticket record makes and their sequential depth, held here; the
/// wall times against the emulator are printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_one_record_costs() {
    // Sequential depth is read from overlapping calls, which a busy machine can
    // serialize (two branches' calls then look like one chain): the least of
    // several records is the code's own depth.
    const DEPTH_RECORDS: usize = 5;
    const RECORDS: usize = DEPTH_RECORDS + 10 + 9;
    let stack = Stack::start().await;
    let mut submissions = tokio::task::JoinSet::new();
    for i in 0..RECORDS as u32 {
        let body = json!({"name": "Ann Lee", "email": format!("cost{i}@example.com"), "subject": "Cost"});
        let addr = stack.addr;
        submissions
            .spawn(async move { post_json_to(addr, client_ip(i), "/api/portal/demo/tickets", &body, &[]).await });
    }
    while let Some(response) = submissions.join_next().await {
        assert_eq!(response.unwrap().status, 201);
    }
    let mut messages = Vec::new();
    while messages.len() < RECORDS {
        let batch = stack.receive_batch().await;
        assert!(!batch.is_empty(), "the {RECORDS} messages are on the queue");
        messages.extend(batch);
    }
    let mut depths = Vec::new();
    let (mut dynamo, mut ses, mut alone) = (0, 0, std::time::Duration::ZERO);
    for record in 0..DEPTH_RECORDS {
        let before = stack.proxy.calls().len();
        alone = time_batch(&stack, &messages[record..record + 1], 1).await;
        let calls = stack.proxy.calls().split_off(before);
        dynamo = calls.iter().filter(|c| c.target.starts_with("DynamoDB_")).count();
        ses = calls.iter().filter(|c| c.is_send_email()).count();
        depths.push(devserver::proxy::sequential_round_trips(&calls));
    }
    let depth = depths.iter().copied().min().unwrap_or_default();
    println!("one ticket_created record: {dynamo} DynamoDB calls, {ses} SES calls, {depth} sequential ({depths:?}), {alone:?}");
    assert_eq!((dynamo, ses), (16, 2), "update docs/EVENTS.md when this changes");
    assert!(depth <= 13, "{depth} sequential calls; docs/EVENTS.md counts 13");
    let one_at_a_time = time_batch(&stack, &messages[DEPTH_RECORDS..DEPTH_RECORDS + 10], 1).await;
    let side_by_side = time_batch(&stack, &messages[DEPTH_RECORDS + 10..], CONCURRENCY_UNDER_TEST).await;
    println!(
        "10 records one at a time: {one_at_a_time:?}; 9 records {CONCURRENCY_UNDER_TEST} at a time: {side_by_side:?}"
    );
    assert_eq!(stack.proxy.sent_emails().len(), 2 * RECORDS, "every record sent its two emails, once");
}

const CONCURRENCY_UNDER_TEST: usize = portal::entry::worker::CONCURRENCY;

/// A new user's first session in a workspace without auto-assignment: nobody
/// is assigned and nobody says `--as`, yet comment, status and resolve work;
/// the team acts, and the customer's email is signed with the workspace name.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_an_assignee_or_a_name_the_workspace_s_team_acts() {
    let stack = Stack::start().await;
    let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--auto-assign", "off"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(submit(&stack, 1, "ann@example.com", "Unassigned").await, 201);
    stack.drain().await;
    assert_eq!(stack.ticket(1).await.unwrap().assignee, None);

    let (code, out) = stack.portalctl(&["ticket", "comment", "demo", "TKT-0001", "--body", "We are on it."]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = stack.portalctl(&["ticket", "status", "demo", "TKT-0001", "waiting"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "done"]).await;
    assert_eq!(code, 0, "{out}");
    stack.drain().await;
    let reply = stack.emails_to("ann@example.com").into_iter().find(|m| m.text.contains("We are on it.")).unwrap();
    assert!(
        reply.text.contains("Demo Workspace replied to TKT-0001"),
        "signed with the workspace name: {}",
        reply.text
    );
    let ticket = stack.ticket(1).await.unwrap();
    assert_eq!(ticket.resolution.map(|r| r.by).as_deref(), Some("Demo Workspace"));
    let (_, shown) = stack.portalctl(&["ticket", "show", "demo", "TKT-0001"]).await;
    assert!(shown.contains("Demo Workspace team"), "{shown}");

    // A name that is no agent is still refused.
    let (code, out) =
        stack.portalctl(&["ticket", "comment", "demo", "TKT-0001", "--body", "x", "--as", "nobody"]).await;
    assert_eq!(code, 3, "{out}");
}

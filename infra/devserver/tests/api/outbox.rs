//! The outbox: a write whose queue send fails still succeeds, and its event
//! reaches the worker through the sweeper with nobody retrying; the worker's
//! acknowledgement stops further sends; replays re-send only what was never
//! delivered. The clock is moved, never waited for.

use crate::support::*;
use devserver::proxy::Fault;
use portal::domain::EventKind;
use portal::store::RESEND_AFTER_SECS;
use serde_json::{json, Value};

const SEND: &str = "AmazonSQS.SendMessage";

/// SQS refuses every single send (the sweeper's batches still go through).
fn lose_every_send(stack: &Stack) {
    stack.proxy.fail_when(|call| {
        (call.target == SEND).then_some(Fault { status: 400, error_type: "AWS.SimpleQueueService.NonExistentQueue" })
    });
}

fn sends_accepted(stack: &Stack) -> usize {
    stack.proxy.calls().iter().filter(|c| c.target.starts_with(SEND) && c.status == 200).count()
}

fn emails_with_subject(stack: &Stack, to: &str, subject: &str) -> usize {
    stack.emails_to(to).iter().filter(|m| m.subject.contains(subject)).count()
}

async fn inbox_of_kind(stack: &Stack, agent: &str, kind: &str) -> usize {
    stack.store.inbox(&demo(), agent).await.unwrap().iter().filter(|i| i.kind == kind).count()
}

async fn submit(stack: &Stack, headers: &[(&str, &str)]) -> devserver::httpc::HttpResponse {
    let body = json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Printer"});
    stack.post_json_from(client_ip(1), "/api/portal/demo/tickets", &body, headers).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ticket_whose_send_failed_is_confirmed_once_after_one_sweep() {
    let stack = Stack::start_with_manual_clock().await;
    lose_every_send(&stack);
    let created = submit(&stack, &[]).await;
    assert_eq!(created.status, 201, "the customer sees success: {}", created.text());
    stack.drain().await;
    assert!(stack.proxy.sent_emails().is_empty(), "nothing reached the worker");
    let waiting = stack.outbox().await;
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].kind, waiting[0].reference), (EventKind::TicketCreated, tkt(1)));
    stack.proxy.heal();

    assert_eq!(stack.sweep().await.sent, 0, "a young event is left to its own send");
    stack.advance(RESEND_AFTER_SECS);
    let sweep = stack.sweep().await;
    assert_eq!((sweep.due, sweep.sent), (1, 1));
    stack.drain().await;
    assert_eq!(emails_with_subject(&stack, "ann@example.com", "We received your request"), 1);
    assert_eq!(emails_with_subject(&stack, "alex@agents.demo.example", "assigned"), 1);
    assert_eq!(inbox_of_kind(&stack, "alex", "ticket_assigned").await, 1);
    assert!(stack.outbox().await.is_empty(), "the worker acknowledged the event");

    stack.advance(RESEND_AFTER_SECS);
    assert_eq!(stack.sweep().await.due, 0, "an acknowledged event is never sent again");
    stack.drain().await;
    assert_eq!(stack.proxy.sent_emails().len(), 2, "one confirmation, one agent notice, nothing more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_and_agent_actions_whose_sends_failed_are_delivered_once_by_one_sweep() {
    let stack = Stack::start_with_manual_clock().await;
    assert_eq!(submit(&stack, &[]).await.status, 201);
    stack.drain().await;
    let before = stack.proxy.sent_emails().len();

    lose_every_send(&stack);
    let reply = json!({"email": "ann@example.com", "message": "Any news?"});
    let replied = stack.post_json_from(client_ip(1), "/api/portal/demo/tickets/TKT-0001/replies", &reply, &[]).await;
    assert_eq!(replied.status, 201, "{}", replied.text());
    let (code, out) = stack.portalctl(&["ticket", "comment", "demo", "TKT-0001", "--body", "On it"]).await;
    assert_eq!(code, 0, "the agent sees success: {out}");
    let (code, out) = stack.portalctl(&["ticket", "comment", "demo", "TKT-0001", "--body", "note", "--internal"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "New toner"]).await;
    assert_eq!(code, 0, "{out}");
    stack.drain().await;
    assert_eq!(stack.proxy.sent_emails().len(), before, "nothing reached the worker yet");
    let mut kinds: Vec<EventKind> = stack.outbox().await.iter().map(|e| e.kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(
        kinds,
        [EventKind::AgentReplied, EventKind::CustomerReplied, EventKind::TicketResolved],
        "the internal note announced nothing"
    );
    stack.proxy.heal();

    stack.advance(RESEND_AFTER_SECS);
    assert_eq!(stack.sweep().await.sent, 3);
    stack.drain().await;
    assert_eq!(inbox_of_kind(&stack, "alex", "customer_replied").await, 1);
    assert_eq!(
        emails_with_subject(&stack, "ann@example.com", "New reply on your ticket"),
        1,
        "the agent's public reply"
    );
    assert_eq!(emails_with_subject(&stack, "ann@example.com", "How did we do?"), 1, "the survey");
    assert!(stack.outbox().await.is_empty());
    stack.advance(RESEND_AFTER_SECS);
    assert_eq!(stack.sweep().await.due, 0);
    assert_eq!(stack.proxy.sent_emails().len(), before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replayed_reply_resends_its_event_only_while_it_is_undelivered() {
    let stack = Stack::start().await;
    assert_eq!(submit(&stack, &[]).await.status, 201);
    stack.drain().await;
    let path = "/api/portal/demo/tickets/TKT-0001/replies";
    let body = json!({"email": "ann@example.com", "message": "Once"});
    let key = [("Idempotency-Key", "outbox-reply-0001")];

    lose_every_send(&stack);
    assert_eq!(stack.post_json_from(client_ip(1), path, &body, &key).await.status, 201);
    stack.proxy.heal();
    let sent = sends_accepted(&stack);
    let replayed = stack.post_json_from(client_ip(1), path, &body, &key).await;
    assert_eq!(replayed.status, 201);
    assert_eq!(sends_accepted(&stack), sent + 1, "undelivered: the replay sends it");
    stack.drain().await;
    assert_eq!(inbox_of_kind(&stack, "alex", "customer_replied").await, 1);
    assert!(stack.outbox().await.is_empty());

    let again = stack.post_json_from(client_ip(1), path, &body, &key).await;
    assert_eq!(again.status, 201);
    let first: Value = serde_json::from_slice(&replayed.body).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&again.body).unwrap()["commentId"], first["commentId"]);
    assert_eq!(sends_accepted(&stack), sent + 1, "delivered: a replay sends nothing");
}

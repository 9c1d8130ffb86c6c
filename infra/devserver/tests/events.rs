//! Every sample in `events/` runs through the real handler, so the samples
//! documented for `sam local invoke -e` and `cargo lambda invoke` never rot.

mod support;

use std::path::PathBuf;

use portal::domain::PortalEvent;
use portal::web::routes;
use serde_json::Value;
use support::*;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(events_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What each HTTP sample must answer against a freshly seeded `demo` workspace,
/// in the order they run (the submit samples make TKT-0001 for ann@example.com).
fn expected_statuses() -> Vec<(&'static str, u16)> {
    vec![
        ("submit-form-get.json", 200),
        ("submit-form-post.json", 200),
        ("submit-api-post.json", 201),
        ("track-form-get.json", 200),
        ("track-form-post.json", 200),
        ("track-api-lookup.json", 200),
        ("reply-form-post.json", 200),
        ("reply-api-post.json", 201),
        ("csat-form-get.json", 200),
        ("csat-api-get.json", 200),
        ("csat-form-post.json", 200),
        ("csat-api-post.json", 409),
    ]
}

const SAMPLE_SURVEY_TOKEN: &str = "5f1c9d2e8a7b4c3d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";

const WORKER_SAMPLES: &[&str] = &[
    "worker-agent-replied.json",
    "worker-customer-replied.json",
    "worker-ticket-created.json",
    "worker-ticket-resolved.json",
];

#[test]
fn every_sample_is_covered_by_a_test() {
    let mut covered: Vec<&str> =
        expected_statuses().iter().map(|(name, _)| *name).chain(WORKER_SAMPLES.iter().copied()).collect();
    covered.sort();
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files, covered, "add new samples in events/ to this test");
}

#[test]
fn every_route_has_a_sample() {
    for route in routes::ROUTES {
        let key = format!("{} {}", route.method, route.path);
        let found = expected_statuses().iter().any(|(name, _)| load(name)["routeKey"] == key.as_str());
        assert!(found, "no sample event in events/ for {key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_samples_run_through_their_function() {
    let stack = Stack::start().await;
    // The csat samples carry this token: store it as the worker would have.
    let token = SAMPLE_SURVEY_TOKEN;
    let stored = portal::store::worker::LinkToken {
        purpose: "csat".into(),
        workspace: demo(),
        reference: tkt(1),
        subject_id: "01JSAMPLERESOLUTION000000".into(),
        expires_at: portal::domain::time::now_unix() + 3600,
        used_at: None,
    };
    stack.portal.store.put_link_token(&portal::domain::secrets::token_hash(token), &stored).await.unwrap();
    for (name, status) in expected_statuses() {
        let event = load(name);
        let request = lambda_http::request::from_str(&event.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let method =
            http::Method::from_bytes(event["requestContext"]["http"]["method"].as_str().unwrap().as_bytes()).unwrap();
        let (route, _) =
            routes::resolve(&method, event["rawPath"].as_str().unwrap()).unwrap_or_else(|| panic!("{name}: no route"));
        assert_eq!(event["routeKey"], format!("{} {}", route.method, route.path), "{name}: routeKey");
        let response = devserver::server::invoke(&stack.portal, route.function, request).await;
        assert_eq!(response.status().as_u16(), status, "{name}: {:?}", response.body());
    }
    // The form sample made TKT-0001 and the API sample TKT-0002.
    assert_eq!(stack.ticket_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_samples_run_through_the_worker() {
    let stack = Stack::start().await;
    let worker = stack.worker();
    for name in WORKER_SAMPLES {
        let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(load(name)).unwrap();
        // The samples name no stored ticket and are old: the worker drops them
        // (see docs/EVENTS.md) rather than failing or sending anything.
        let response = worker.handle(event).await;
        assert!(response.batch_item_failures.is_empty(), "{name}");
    }
    assert!(stack.proxy.sent_emails().is_empty());
}

#[test]
fn worker_samples_carry_valid_portal_events() {
    for name in WORKER_SAMPLES {
        let event = load(name);
        let records = event["Records"].as_array().unwrap();
        assert!(!records.is_empty());
        for record in records {
            PortalEvent::parse(record["body"].as_str().unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(record["eventSource"], "aws:sqs");
        }
    }
}

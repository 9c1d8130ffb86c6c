//! HTML form posts act only for the portal's own pages: a post another site's
//! page makes (its visitors' browsers say so in `Sec-Fetch-Site` and `Origin`)
//! is refused with 403 before anything is read or written, while the portal's
//! own pages and clients that send neither header (older browsers, curl) pass.
//! The JSON API keeps its per-workspace CORS rules.

use crate::support::*;
use devserver::httpc::HttpResponse;
use portal::domain::secrets::{new_link_token, token_hash};
use portal::domain::time::now_unix;
use portal::domain::{LinkToken, Resolution, Status};
use portal::store::StatusChange;
use serde_json::json;

const EVIL: &str = "https://evil.example";

/// A way a form post can arrive: its name, its headers, and whether it may act.
type Case = (&'static str, Vec<(&'static str, String)>, bool);

/// The header combinations a form post can arrive with.
fn matrix(own: &str) -> Vec<Case> {
    vec![
        ("cross-site", vec![("Origin", EVIL.into()), ("Sec-Fetch-Site", "cross-site".into())], false),
        ("cross-site without Origin", vec![("Sec-Fetch-Site", "cross-site".into())], false),
        ("another Origin without Sec-Fetch-Site", vec![("Origin", EVIL.into())], false),
        ("Origin: null", vec![("Origin", "null".into())], false),
        (
            "a sibling site",
            vec![("Origin", "http://localhost:1".into()), ("Sec-Fetch-Site", "same-site".into())],
            false,
        ),
        ("same-origin", vec![("Origin", own.into()), ("Sec-Fetch-Site", "same-origin".into())], true),
        ("our Origin without Sec-Fetch-Site", vec![("Origin", own.into())], true),
        ("neither header", vec![], true),
    ]
}

async fn post_form_with(
    stack: &Stack,
    path: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, String)],
) -> HttpResponse {
    let mut all: Vec<(&str, &str)> = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend(headers.iter().map(|(name, value)| (*name, value.as_str())));
    stack.raw("POST", path, &all, form_encode(fields).as_bytes()).await
}

fn assert_refused(response: &HttpResponse, case: &str) {
    assert_eq!(response.status, 403, "{case}: {}", response.text());
    assert!(response.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{case}: a page");
    let page = response.text();
    assert!(
        page.contains("This form was sent from another site") && page.contains("Nothing was sent or saved"),
        "{case}: {page}"
    );
}

fn own_origin(stack: &Stack) -> String {
    format!("http://{}", stack.addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_form_posted_from_another_site_spends_no_number_and_sends_nothing() {
    let stack = Stack::start().await;
    let fields = ticket_fields("Ann Lee", "ann@example.com", "Printer");
    let mut accepted = 0;
    for (case, headers, acts) in matrix(&own_origin(&stack)) {
        let response = post_form_with(&stack, "/portal/demo/submit", &fields, &headers).await;
        if acts {
            accepted += 1;
            assert_eq!(response.status, 200, "{case}: {}", response.text());
            assert!(response.text().contains(&format!("TKT-{accepted:04}")), "{case}: numbers stay contiguous");
        } else {
            assert_refused(&response, case);
        }
        assert_eq!(stack.ticket_count().await, accepted, "{case}: no number spent on a refusal");
    }
    stack.drain().await;
    assert_eq!(stack.emails_to("ann@example.com").len(), accepted as usize, "one confirmation per accepted post");
}

/// A survey link works only while its resolution stands, and an accepted
/// reply reopens the ticket: resolve it again by the link's resolution.
async fn resolved_by_the_survey_s_resolution(stack: &Stack) {
    let ticket = stack.ticket(1).await.unwrap();
    if ticket.status == Status::Resolved {
        return;
    }
    let resolution = Resolution { id: "resolution".into(), text: "Done".into(), at: now_unix(), by: "Alex".into() };
    let change = StatusChange { expected: ticket.status, next: Status::Resolved, resolution: Some(resolution) };
    stack.store.change_status(&demo(), tkt(1), &change, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_replying_and_rating_forms_refuse_other_sites_before_reading_anything() {
    let stack = Stack::start().await;
    let created = stack
        .post_json(
            "/api/portal/demo/tickets",
            &json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Help"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let token = new_link_token();
    let survey = LinkToken::survey(demo(), tkt(1), "resolution", now_unix());
    stack.store.put_link_token(&token_hash(&token), &survey).await.unwrap();
    let survey_path = format!("/portal/demo/csat/{token}");

    for (case, headers, acts) in matrix(&own_origin(&stack)) {
        let track =
            post_form_with(&stack, "/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com")], &headers).await;
        let reply = post_form_with(
            &stack,
            "/portal/demo/tickets/TKT-0001/reply",
            &[("email", "ann@example.com"), ("message", case)],
            &headers,
        )
        .await;
        // Every case but the last that acts sends an invalid rating, so the link stays usable.
        let rating = if case == "neither header" { "5" } else { "0" };
        resolved_by_the_survey_s_resolution(&stack).await;
        let rate = post_form_with(&stack, &survey_path, &[("rating", rating)], &headers).await;
        if acts {
            assert_eq!(track.status, 200, "{case}: {}", track.text());
            assert!(track.text().contains("Help"), "{case}: the ticket is shown");
            assert_eq!(reply.status, 200, "{case}: {}", reply.text());
            assert_eq!(rate.status, if rating == "5" { 200 } else { 422 }, "{case}: {}", rate.text());
        } else {
            for (form, response) in [("track", &track), ("reply", &reply), ("csat", &rate)] {
                assert_refused(response, &format!("{case} ({form})"));
                assert!(!response.text().contains("Help"), "{case} ({form}): nothing of the ticket");
            }
        }
    }
    let (_, comments) = stack.store.ticket_with_comments(&demo(), tkt(1)).await.unwrap().unwrap();
    let mut bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    bodies.sort();
    assert_eq!(
        bodies,
        ["neither header", "our Origin without Sec-Fetch-Site", "same-origin"],
        "only accepted replies landed"
    );
    assert_eq!(stack.ticket(1).await.unwrap().rating.map(|r| r.stars), Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_api_keeps_its_cors_rules_and_pages_still_open_from_links() {
    let stack = Stack::start().await;
    let allowed = "http://127.0.0.1:8080";
    let body = json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "From the widget"});
    let cross_site = [("Origin", allowed), ("Sec-Fetch-Site", "cross-site")];
    let widget = stack.post_json_from(client_ip(1), "/api/portal/demo/tickets", &body, &cross_site).await;
    assert_eq!(widget.status, 201, "an allowed site's widget still submits: {}", widget.text());
    assert_eq!(widget.header("access-control-allow-origin"), Some(allowed));
    let evil = stack.post_json_from(client_ip(2), "/api/portal/demo/tickets", &body, &[("Origin", EVIL)]).await;
    assert_eq!(evil.status, 403, "{}", evil.text());
    // A GET from a link in another site's page (or an email) is not a form post.
    let form = stack.raw("GET", "/portal/demo/submit", &[("Sec-Fetch-Site", "cross-site")], b"").await;
    assert_eq!(form.status, 200);
}

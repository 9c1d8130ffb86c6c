//! The loop closed: an agent resolves with portalctl, the customer gets the
//! Rate Your Experience email, rates once, and the rating is on the ticket.

use crate::support::*;
use portal::domain::secrets::{new_link_token, token_hash};
use portal::domain::time::now_unix;
use portal::domain::{LinkToken, TokenPurpose};
use serde_json::{json, Value};

async fn resolved_ticket_with_survey_link(stack: &Stack) -> String {
    let body = json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Printer"});
    assert_eq!(stack.post_json("/api/portal/demo/tickets", &body).await.status, 201);
    stack.drain().await;
    let (code, out) =
        stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "Replaced the toner."]).await;
    assert_eq!(code, 0, "{out}");
    stack.drain().await;
    let survey = stack
        .emails_to("ann@example.com")
        .into_iter()
        .find(|m| m.text.contains("Rate Your Experience"))
        .expect("survey email");
    let prefix = format!("http://{}", stack.addr);
    let link = survey.text.split(&prefix).nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert!(link.starts_with("/portal/demo/csat/"));
    link
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resolve_rate_once_and_see_the_rating() {
    let stack = Stack::start().await;
    let link = resolved_ticket_with_survey_link(&stack).await;

    for _ in 0..2 {
        let page = stack.get(&link).await;
        assert_eq!(page.status, 200, "opening the link (twice: mail scanners) does not use it");
        let html = page.text();
        assert!(html.contains("TKT-0001"));
        assert_eq!(html.matches("type=\"radio\" name=\"rating\"").count(), 5);
        assert!(html.contains("<fieldset") && html.contains("<legend>"));
        assert!(html.contains("maxlength=\"2000\""));
    }

    let invalid = stack.post_form(&link, &[("rating", "6"), ("comment", "Great <b>service</b>")]).await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.text().contains("id=\"rating-error\""));
    assert!(invalid.text().contains("Great &#60;b&#62;service&#60;/b&#62;"), "comment kept, escaped");
    let long = "x".repeat(2001);
    let too_long = stack.post_form(&link, &[("rating", "4"), ("comment", &long)]).await;
    assert_eq!(too_long.status, 422);
    assert!(too_long.text().contains("id=\"comment-error\""));
    assert!(too_long.text().contains("value=\"4\" checked"), "choice kept");

    let thanks = stack.post_form(&link, &[("rating", "4"), ("comment", "Quick and friendly")]).await;
    assert_eq!(thanks.status, 200);
    assert!(thanks.text().contains("Thank you"));
    let again = stack.post_form(&link, &[("rating", "1"), ("comment", "changed my mind")]).await;
    assert_eq!(again.status, 409);
    assert!(again.text().contains("rated already"));
    assert_eq!(stack.get(&link).await.status, 409);

    let (code, out) = stack.portalctl(&["--json", "ticket", "show", "demo", "TKT-0001"]).await;
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["rating"]["stars"], 4);
    assert_eq!(shown["rating"]["comment"], "Quick and friendly");
    assert_eq!(shown["status"], "Resolved");
    let (_, human) = stack.portalctl(&["ticket", "show", "demo", "TKT-0001"]).await;
    assert!(human.contains("Rating:   4/5 \"Quick and friendly\""), "{human}");

    let (code, report) = stack.portalctl(&["--json", "csat", "report", "demo"]).await;
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["count"], 1);
    assert_eq!(report["average"], 4.0);
    assert_eq!(report["distribution"]["4"], 1);
    assert_eq!(report["recentComments"][0]["comment"], "Quick and friendly");
}

/// The survey links emailed so far, oldest first.
fn survey_links(stack: &Stack) -> Vec<String> {
    let prefix = format!("http://{}", stack.addr);
    stack
        .emails_to("ann@example.com")
        .into_iter()
        .filter(|m| m.text.contains("Rate Your Experience"))
        .map(|m| m.text.split(&prefix).nth(1).unwrap().split_whitespace().next().unwrap().to_owned())
        .collect()
}

/// GET and POST, page and JSON: every way of using `link` answers 410.
async fn assert_expired(stack: &Stack, link: &str, why: &str) {
    let api = link.replacen("/portal/", "/api/portal/", 1);
    let page = stack.get(link).await;
    assert_eq!(page.status, 410, "{why}: GET page");
    assert!(page.text().contains("This link has expired"), "{why}");
    assert_eq!(stack.post_form(link, &[("rating", "5")]).await.status, 410, "{why}: POST form");
    for answer in [stack.get(&api).await, stack.post_json(&api, &json!({"rating": 5})).await] {
        assert_eq!(answer.status, 410, "{why}: JSON");
        assert_eq!(serde_json::from_slice::<Value>(&answer.body).unwrap()["error"], "link_expired", "{why}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_survey_link_works_only_while_its_resolution_stands() {
    let stack = Stack::start().await;
    let first = resolved_ticket_with_survey_link(&stack).await;
    let reply = json!({"email": "ann@example.com", "message": "Still broken"});
    assert_eq!(stack.post_json("/api/portal/demo/tickets/TKT-0001/replies", &reply).await.status, 201);
    assert_expired(&stack, &first, "reopened, not resolved again").await;

    let (code, out) = stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "New drum"]).await;
    assert_eq!(code, 0, "{out}");
    stack.drain().await;
    let links = survey_links(&stack);
    assert_eq!(links.len(), 2, "one survey per resolution");
    assert_eq!(links[0], first);
    assert_expired(&stack, &first, "superseded by the second resolution").await;

    let second = links[1].replacen("/portal/", "/api/portal/", 1);
    assert_eq!(stack.get(&links[1]).await.status, 200);
    let rated = stack.post_json(&second, &json!({"rating": 4})).await;
    assert_eq!(rated.status, 201, "{}", rated.text());
    assert_eq!(stack.ticket(1).await.unwrap().rating.unwrap().stars, 4);
    assert_expired(&stack, &first, "still, after the second was used").await;

    // Rated, then reopened: the used link expires too, rather than saying "rated".
    assert_eq!(stack.post_json("/api/portal/demo/tickets/TKT-0001/replies", &reply).await.status, 201);
    assert_expired(&stack, &links[1], "used, then reopened").await;
    assert_eq!(stack.ticket(1).await.unwrap().rating.unwrap().stars, 4, "the rating stays as it was");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_answers_record_one_rating() {
    let stack = Stack::start().await;
    let link = resolved_ticket_with_survey_link(&stack).await;
    let api = link.replacen("/portal/", "/api/portal/", 1);
    let (first, second) = (json!({"rating": 5, "comment": "first"}), json!({"rating": 1, "comment": "second"}));
    let (a, b) = tokio::join!(
        stack.post_json_from(client_ip(1), &api, &first, &[]),
        stack.post_json_from(client_ip(2), &api, &second, &[])
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    let winner = if a.status == 201 { &a } else { &b };
    let won: Value = serde_json::from_slice(&winner.body).unwrap();
    let rating = stack.ticket(1).await.unwrap().rating.unwrap();
    assert_eq!(u64::from(rating.stars), won["rating"].as_u64().unwrap());
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(serde_json::from_slice::<Value>(&loser.body).unwrap()["error"], "already_rated");
    assert_eq!(stack.get(&api).await.status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_forged_and_malformed_links_are_refused_alike() {
    let stack = Stack::start().await;
    let body = json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Old"});
    assert_eq!(stack.post_json("/api/portal/demo/tickets", &body).await.status, 201);
    let expired = new_link_token();
    let stored = LinkToken {
        purpose: TokenPurpose::Csat,
        workspace: demo(),
        reference: Some(tkt(1)),
        subject_id: "r".into(),
        contact_id: None,
        expires_at: now_unix() - 1,
        used_at: None,
    };
    stack.store.put_link_token(&token_hash(&expired), &stored).await.unwrap();
    let forged = new_link_token();
    let pages: Vec<_> = [expired.as_str(), forged.as_str(), "not-a-token", "../../etc/passwd"]
        .iter()
        .map(|t| format!("/portal/demo/csat/{t}"))
        .collect();
    let mut bodies = Vec::new();
    for page in &pages {
        let get = stack.get(page).await;
        let post = stack.post_form(page, &[("rating", "5")]).await;
        if page.contains("etc") {
            continue; // not a route: API Gateway's own 404
        }
        assert_eq!((get.status, post.status), (410, 410), "{page}");
        assert!(get.text().contains("This link has expired"));
        bodies.push(get.text());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "one answer for expired, forged and malformed");
    let api = stack.get(&format!("/api/portal/demo/csat/{expired}")).await;
    assert_eq!(api.status, 410);
    assert_eq!(serde_json::from_slice::<Value>(&api.body).unwrap()["error"], "link_expired");
    // The token's workspace must match the link's.
    let elsewhere = stack.get(&format!("/portal/other/csat/{forged}")).await;
    assert_eq!(elsewhere.status, 410);
    assert!(stack.ticket(1).await.unwrap().rating.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_json_survey_explains_its_state_and_its_refusals() {
    let stack = Stack::start().await;
    let link = resolved_ticket_with_survey_link(&stack).await;
    let api = link.replacen("/portal/", "/api/portal/", 1);
    let state: Value = serde_json::from_slice(&stack.get(&api).await.body).unwrap();
    assert_eq!(state["state"], "open");
    assert_eq!(state["reference"], "TKT-0001");
    let bad = stack.post_json(&api, &json!({"rating": 0, "comment": "y".repeat(2001)})).await;
    assert_eq!(bad.status, 422);
    let fields = &serde_json::from_slice::<Value>(&bad.body).unwrap()["fields"];
    assert!(fields["rating"].is_string() && fields["comment"].is_string());
    let missing = stack.post_json(&api, &json!({})).await;
    assert_eq!(missing.status, 422);
    let ok = stack.post_json(&api, &json!({"rating": "3"})).await;
    assert_eq!(ok.status, 201);
    assert_eq!(serde_json::from_slice::<Value>(&ok.body).unwrap()["rating"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn portalctl_follows_the_domain_rules_and_says_why_not() {
    let stack = Stack::start().await;
    let body = json!({"name": "Ann Lee", "email": "ann@example.com", "subject": "Rules"});
    assert_eq!(stack.post_json("/api/portal/demo/tickets", &body).await.status, 201);
    stack.drain().await;
    assert_eq!(stack.portalctl(&["ticket", "show", "demo", "TKT-0404"]).await.0, 3);
    assert_eq!(stack.portalctl(&["ticket", "list", "nope"]).await.0, 3);
    assert_eq!(stack.portalctl(&["ticket", "show", "demo", "TKT-1"]).await.0, 2);
    let (code, out) = stack.portalctl(&["ticket", "status", "demo", "TKT-0001", "resolved"]).await;
    assert_eq!(code, 4, "{out}");
    assert_eq!(stack.portalctl(&["ticket", "status", "demo", "TKT-0001", "waiting"]).await.0, 0);
    assert_eq!(stack.portalctl(&["ticket", "status", "demo", "TKT-0001", "closed"]).await.0, 0);
    let (code, out) = stack.portalctl(&["ticket", "status", "demo", "TKT-0001", "open"]).await;
    assert_eq!(code, 4);
    assert!(out.contains("Closed"), "{out}");
    assert_eq!(stack.portalctl(&["ticket", "assign", "demo", "TKT-0001", "ghost"]).await.0, 3);

    // Agent comments: the public one reaches the customer, the note never does.
    let (code, _) =
        stack.portalctl(&["workspace", "create", "acme", "--name", "Acme Inc", "--auto-assign", "off"]).await;
    assert_eq!(code, 0);
    let (code, out) = stack.portalctl(&["--json", "workspace", "show", "acme"]).await;
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["portalUrl"], format!("http://{}/portal/acme/submit", stack.addr));
    assert_eq!(shown["autoAssign"], false);
    assert_eq!(stack.portalctl(&["workspace", "create", "acme", "--name", "Again"]).await.0, 4);
    let (code, _) =
        stack.portalctl(&["agent", "add", "acme", "--name", "Kim Lee", "--email", "Kim@Acme.example"]).await;
    assert_eq!(code, 0);
    let (_, agents) = stack.portalctl(&["--json", "agent", "list", "acme"]).await;
    assert_eq!(serde_json::from_str::<Value>(&agents).unwrap()[0]["id"], "kim");
    assert_eq!(stack.portalctl(&["agent", "availability", "acme", "kim", "off"]).await.0, 0);

    let (_, inbox) = stack.portalctl(&["--json", "inbox", "demo", "alex"]).await;
    let inbox: Value = serde_json::from_str(&inbox).unwrap();
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(inbox[0]["read"], false);
    let (_, after) = stack.portalctl(&["--json", "inbox", "demo", "alex", "--mark-read", &id]).await;
    assert_eq!(serde_json::from_str::<Value>(&after).unwrap()[0]["read"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adding_an_agent_never_overwrites_one() {
    let stack = Stack::start().await;
    let add = |email: &'static str, id: Option<&'static str>| {
        let mut args = vec!["agent", "add", "demo", "--name", "Kim Lee", "--email", email];
        if let Some(id) = id {
            args.extend(["--id", id]);
        }
        args
    };
    let (code, out) = stack.portalctl(&add("kim@a.example", None)).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = stack.portalctl(&add("kim@b.example", None)).await;
    assert_eq!(code, 4, "refused: {out}");
    assert!(out.contains("agent kim exists (kim@a.example); choose another id with --id kim-b"), "{out}");
    let kims = |agents: &Value| -> Vec<(String, String)> {
        agents
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["email"].as_str().unwrap().starts_with("kim@"))
            .map(|a| (a["id"].as_str().unwrap().to_owned(), a["email"].as_str().unwrap().to_owned()))
            .collect()
    };
    let (_, listed) = stack.portalctl(&["--json", "agent", "list", "demo"]).await;
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(kims(&listed), [("kim".to_owned(), "kim@a.example".to_owned())], "the first kept its address");

    let (code, out) = stack.portalctl(&add("kim@b.example", Some("kim2"))).await;
    assert_eq!(code, 0, "{out}");
    let (_, listed) = stack.portalctl(&["--json", "agent", "list", "demo"]).await;
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        kims(&listed),
        [("kim".to_owned(), "kim@a.example".to_owned()), ("kim2".to_owned(), "kim@b.example".to_owned())]
    );
    assert_eq!(stack.portalctl(&add("kim@c.example", Some("alex"))).await.0, 4, "a seeded agent is safe too");
}

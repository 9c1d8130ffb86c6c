//! Private access against the emulator, through HTTP: "email me a link"
//! answers and works the same for every address, links open My tickets and
//! start a session without being used up, sessions open only their own
//! address's tickets in their own workspace, links and sessions expire, every
//! customer email carries its ticket's link, link mode never shows a ticket
//! on a typed email, and bursts of requests send at most three links.

use crate::support::*;
use devserver::httpc::HttpResponse;
use devserver::proxy::Call;
use portal::domain::access::{ACCESS_LINK_TTL_SECS, SESSION_TTL_SECS, TICKET_LINK_TTL_SECS};
use portal::domain::clock::ManualClock;
use portal::domain::secrets::{new_link_token, token_hash};
use portal::domain::time::now_unix;
use portal::domain::ContactId;
use portal::domain::{LinkToken, MessageBody, Visibility, WorkspaceName, WorkspaceSlug};
use serde_json::{json, Value};

/// Submits a ticket through the JSON API; answers its reference.
async fn submit(stack: &Stack, slug: &str, name: &str, email: &str, subject: &str) -> String {
    let body = json!({"name": name, "email": email, "subject": subject, "description": "First words"});
    let created = stack.post_json(&format!("/api/portal/{slug}/tickets"), &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    serde_json::from_slice::<Value>(&created.body).unwrap()["reference"].as_str().unwrap().to_owned()
}

/// Every private link (path and query) in `text`, in order.
fn links_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("/portal/") {
        let candidate = &rest[at..];
        let end = candidate.find(|c: char| c.is_whitespace() || c == '"' || c == '<').unwrap_or(candidate.len());
        let link = &candidate[..end];
        let token = link.split("/access/").nth(1).map(|t| t.split('?').next().unwrap_or(""));
        if token.is_some_and(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            && !found.contains(&link.to_owned())
        {
            found.push(link.to_owned());
        }
        rest = &candidate[end.max(1)..];
    }
    found
}

/// The private links emailed to `address`, oldest first.
fn links_to(stack: &Stack, address: &str) -> Vec<String> {
    stack.emails_to(address).iter().flat_map(|m| links_in(&m.text)).collect()
}

/// The access links `address` (in any case) asked for (the "Your link..." emails), oldest first.
fn access_links_to(stack: &Stack, address: &str) -> Vec<String> {
    let to_address = |m: &&devserver::proxy::SentEmail| m.to.iter().any(|t| t.eq_ignore_ascii_case(address));
    let sent = stack.proxy.sent_emails();
    sent.iter()
        .filter(to_address)
        .filter(|m| m.subject.starts_with("Your link"))
        .flat_map(|m| links_in(&m.text))
        .collect()
}

/// The session cookie a response starts, with its attributes.
fn set_cookie(response: &HttpResponse) -> String {
    response.header("set-cookie").unwrap_or_else(|| panic!("no cookie set: {}", response.status)).to_owned()
}

fn session_value(response: &HttpResponse) -> String {
    let cookie = set_cookie(response);
    cookie.strip_prefix("portal_session=").and_then(|c| c.split(';').next()).unwrap().to_owned()
}

async fn get_as(stack: &Stack, path: &str, session: &str) -> HttpResponse {
    stack.raw("GET", path, &[("Cookie", &format!("portal_session={session}"))], b"").await
}

async fn post_form_as(stack: &Stack, path: &str, fields: &[(&str, &str)], session: &str) -> HttpResponse {
    let cookie = format!("other=1; portal_session={session}");
    let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie.as_str())];
    stack.raw("POST", path, &headers, form_encode(fields).as_bytes()).await
}

/// Asks for a link for `address` from client `ip`, then runs the worker.
async fn ask_for_link(stack: &Stack, ip: u32, address: &str) -> HttpResponse {
    let asked = stack.post_form_from(client_ip(ip), "/portal/demo/access", &[("email", address)]).await;
    stack.drain().await;
    asked
}

/// What a run of AWS calls did, ids and values left out: each call's target
/// and the shape of its body (object keys, recursively), sorted.
fn shapes(calls: &[Call]) -> Vec<String> {
    fn shape(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
            Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
            _ => Value::Null,
        }
    }
    let mut shapes: Vec<String> =
        calls.iter().map(|c| format!("{} {} {}", c.target, c.path, shape(&c.json()))).collect();
    shapes.sort();
    shapes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_for_a_link_answers_and_works_the_same_for_every_address() {
    let stack = Stack::start().await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Printer").await;
    stack.drain().await;

    let start = stack.proxy.calls().len();
    let known = stack.post_form_from(client_ip(1), "/portal/demo/access", &[("email", "Ann@Example.com")]).await;
    let middle = stack.proxy.calls().len();
    let unknown = stack.post_form_from(client_ip(2), "/portal/demo/access", &[("email", "nobody@example.com")]).await;
    let calls = stack.proxy.calls();
    assert_eq!(known.status, 200, "{}", known.text());
    assert_eq!((unknown.status, unknown.text()), (known.status, known.text()), "byte for byte");
    assert!(known.text().contains("If that address has tickets here, a link is on its way"));
    assert_eq!(shapes(&calls[start..middle]), shapes(&calls[middle..]), "the same work");
    assert!(calls[middle..].iter().any(|c| c.target.ends_with("SendMessage")), "the request is queued either way");

    let api = "/api/portal/demo/access";
    let start = stack.proxy.calls().len();
    let known_json = stack.post_json_from(client_ip(3), api, &json!({"email": "ann@example.com"}), &[]).await;
    let middle = stack.proxy.calls().len();
    let unknown_json = stack.post_json_from(client_ip(4), api, &json!({"email": "nobody@example.com"}), &[]).await;
    let calls = stack.proxy.calls();
    assert_eq!((known_json.status, known_json.text()), (202, r#"{"status":"sent"}"#.to_owned()));
    assert_eq!((unknown_json.status, unknown_json.body.clone()), (known_json.status, known_json.body.clone()));
    assert_eq!(shapes(&calls[start..middle]), shapes(&calls[middle..]));

    // A malformed address is a field problem, kept in the form; an unknown workspace is not found.
    let bad = stack.post_form_from(client_ip(5), "/portal/demo/access", &[("email", "ann-at-example")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains(r#"value="ann-at-example""#) && bad.text().contains(r#"id="email-error""#));
    let bad_json = stack.post_json_from(client_ip(5), api, &json!({"email": "ann-at-example"}), &[]).await;
    assert_eq!(bad_json.status, 422);
    assert!(serde_json::from_slice::<Value>(&bad_json.body).unwrap()["fields"]["email"].is_string());
    let nowhere = stack.post_json_from(client_ip(5), "/api/portal/nope/access", &json!({"email": "a@b.co"}), &[]).await;
    assert_eq!(nowhere.status, 404);

    stack.drain().await;
    assert_eq!(access_links_to(&stack, "ann@example.com").len(), 2, "one link per request of hers");
    assert!(stack.emails_to("nobody@example.com").is_empty(), "nothing for an address without tickets");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_opens_my_tickets_and_its_session_opens_only_that_addresss_tickets() {
    let stack = Stack::start().await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "First of Ann's").await;
    submit(&stack, "demo", "Bob Roe", "bob@example.com", "Bob's secret").await;
    submit(&stack, "demo", "Ann Lee", "ANN@example.com", "Second of Ann's").await;
    ask_for_link(&stack, 1, "ann@example.com").await;
    let link = access_links_to(&stack, "ann@example.com").pop().expect("an access link");
    assert!(!link.contains("?ticket="), "{link}");

    // A mail scanner's GET, then the customer's: both work, each its own session.
    let scanner = stack.get(&link).await;
    let customer = stack.get(&link).await;
    for page in [&scanner, &customer] {
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        assert!(html.contains("<h1>My tickets</h1>"));
        let (second, first) = (html.find("TKT-0003").unwrap(), html.find("TKT-0001").unwrap());
        assert!(second < first, "newest first");
        assert!(html.contains("Second of Ann") && html.contains("First of Ann"));
        assert!(!html.contains("TKT-0002") && !html.contains("Bob"), "another address's ticket is not listed");
    }
    let cookie = set_cookie(&customer);
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/portal/demo", "Max-Age=43200"] {
        assert!(cookie.split("; ").any(|part| part == flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "the local stack is served over http: {cookie}");
    let (session, scanned) = (session_value(&customer), session_value(&scanner));
    assert_ne!(session, scanned);
    assert!(session.len() == 64 && session.bytes().all(|b| b.is_ascii_hexdigit()), "256 random bits");
    let stored = stack.store.session(&token_hash(&session)).await.unwrap().expect("stored by its hash");
    assert_eq!(stored.contact_id, ContactId::of("ann@example.com").as_str());
    assert!(stack.store.session(&session).await.unwrap().is_none(), "the raw value is not a key");

    // Her ticket opens under the session, and she replies with nothing typed.
    let page = get_as(&stack, "/portal/demo/tickets/TKT-0001", &session).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("First of Ann") && !page.text().contains(r#"name="email""#), "nothing typed");
    let key = form_key(&page.text());
    let fields = [("message", "Typed nothing at all"), ("idempotency_key", key.as_str())];
    let replied = post_form_as(&stack, "/portal/demo/tickets/TKT-0001/reply", &fields, &session).await;
    assert_eq!(replied.status, 200, "{}", replied.text());
    assert!(replied.text().contains("Your reply was added") && replied.text().contains("Typed nothing at all"));
    let (_, comments) = stack.portal.ticket_for_agent(&demo(), tkt(1)).await.unwrap();
    assert_eq!(comments.iter().filter(|c| c.author.is_customer()).count(), 1);
    // The scanner's session works too: the link was never used up.
    assert_eq!(get_as(&stack, "/portal/demo/tickets/TKT-0003", &scanned).await.status, 200);

    // Bob's ticket under Ann's session: the prompt anyone gets, nothing more.
    let bobs = get_as(&stack, "/portal/demo/tickets/TKT-0002", &session).await;
    let anyone = stack.get("/portal/demo/tickets/TKT-0002").await;
    assert_eq!((bobs.status, bobs.text()), (anyone.status, anyone.text()));
    assert!(!bobs.text().contains("Bob&#39;s secret") && !bobs.text().contains("secret"));
    let fields = [("message", "Not mine"), ("idempotency_key", key.as_str())];
    let refused = post_form_as(&stack, "/portal/demo/tickets/TKT-0002/reply", &fields, &session).await;
    assert_eq!(refused.status, 404);
    assert!(stack.portal.ticket_for_agent(&demo(), tkt(2)).await.unwrap().1.is_empty());
    // A forged session is no session.
    assert_eq!(
        get_as(&stack, "/portal/demo/tickets/TKT-0001", &new_link_token()).await.text(),
        stack.get("/portal/demo/tickets/TKT-0001").await.text()
    );

    // The JSON twin lists the same tickets and starts no session.
    let json = stack.get(&format!("/api{link}")).await;
    assert_eq!(json.status, 200, "{}", json.text());
    assert!(json.header("set-cookie").is_none());
    let body: Value = serde_json::from_slice(&json.body).unwrap();
    let tickets = body["tickets"].as_array().unwrap();
    let refs: Vec<&str> = tickets.iter().map(|t| t["reference"].as_str().unwrap()).collect();
    assert_eq!(refs, ["TKT-0003", "TKT-0001"]);
    let mut keys: Vec<&str> = tickets[0].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["reference", "status", "subject", "trackingUrl", "updatedAt"]);
    assert!(tickets[0]["trackingUrl"].as_str().unwrap().ends_with("/portal/demo/tickets/TKT-0003"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_of_one_workspace_opens_nothing_in_another() {
    let stack = Stack::start().await;
    let acme = WorkspaceSlug::parse("acme").unwrap();
    stack.portal.create_workspace(&acme, WorkspaceName::parse("Acme").unwrap(), false).await.unwrap();
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Demo ticket").await;
    submit(&stack, "acme", "Ann Lee", "ann@example.com", "Acme secret").await;
    ask_for_link(&stack, 1, "ann@example.com").await;
    let link = access_links_to(&stack, "ann@example.com").pop().expect("a demo link");
    let session = session_value(&stack.get(&link).await);

    let across = get_as(&stack, "/portal/acme/tickets/TKT-0001", &session).await;
    let anyone = stack.get("/portal/acme/tickets/TKT-0001").await;
    assert_eq!((across.status, across.text()), (anyone.status, anyone.text()));
    assert!(!across.text().contains("Acme secret"));
    let fields = [("message", "Across workspaces"), ("idempotency_key", "KEY12345678")];
    assert_eq!(post_form_as(&stack, "/portal/acme/tickets/TKT-0001/reply", &fields, &session).await.status, 404);
    assert!(stack.portal.ticket_for_agent(&acme, tkt(1)).await.unwrap().1.is_empty());
    // The demo link itself opens nothing in acme either.
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(stack.get(&format!("/portal/acme/access/{token}")).await.status, 410);
    assert_eq!(stack.get(&format!("/api/portal/acme/access/{token}")).await.status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_and_sessions_expire_and_forged_or_malformed_links_look_alike() {
    let clock = ManualClock::starting_at(now_unix());
    let stack = Stack::start_at(&clock).await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Printer").await;
    stack.drain().await;
    let ticket_link = links_to(&stack, "ann@example.com").pop().expect("the confirmation's ticket link");
    assert!(ticket_link.ends_with("?ticket=TKT-0001"), "{ticket_link}");
    ask_for_link(&stack, 1, "ann@example.com").await;
    let access_link = access_links_to(&stack, "ann@example.com").pop().expect("an access link");
    let session = session_value(&stack.get(&access_link).await);

    clock.advance(ACCESS_LINK_TTL_SECS - 1);
    assert_eq!(stack.get(&access_link).await.status, 200, "still open in its last second");
    clock.advance(1);
    let expired = stack.get(&access_link).await;
    assert_eq!(expired.status, 410);
    assert!(
        expired.text().contains("This link has expired") && expired.text().contains(r#"action="/portal/demo/access""#)
    );
    assert!(expired.header("set-cookie").is_none());
    let forged = format!("/portal/demo/access/{}", new_link_token());
    let token = access_link.rsplit('/').next().unwrap();
    let malformed = ["/portal/demo/access/abc".to_owned(), format!("/portal/demo/access/{}", token.to_uppercase())];
    for other in std::iter::once(forged.clone()).chain(malformed) {
        let page = stack.get(&other).await;
        assert_eq!((page.status, page.text()), (410, expired.text()), "{other}");
    }
    let api_expired = stack.get(&format!("/api{access_link}")).await;
    let api_forged = stack.get(&format!("/api{forged}")).await;
    assert_eq!(api_expired.status, 410);
    assert_eq!(serde_json::from_slice::<Value>(&api_expired.body).unwrap()["error"], "link_expired");
    assert_eq!(api_forged.body, api_expired.body);

    // The session started before lasts its twelve hours; the ticket link its fourteen days.
    assert_eq!(get_as(&stack, "/portal/demo/tickets/TKT-0001", &session).await.status, 200);
    assert_eq!(stack.get(&ticket_link).await.status, 200);
    clock.advance(SESSION_TTL_SECS - ACCESS_LINK_TTL_SECS);
    let prompt = get_as(&stack, "/portal/demo/tickets/TKT-0001", &session).await;
    assert_eq!(prompt.text(), stack.get("/portal/demo/tickets/TKT-0001").await.text(), "an old session opens nothing");
    clock.set(clock.now_unix() - SESSION_TTL_SECS + TICKET_LINK_TTL_SECS - 1);
    assert_eq!(stack.get(&ticket_link).await.status, 200, "a ticket link works for fourteen days");
    clock.advance(1);
    assert_eq!(stack.get(&ticket_link).await.status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cookie_is_secure_when_the_portal_is_served_over_https() {
    let stack = Stack::start_with(|config| config.base_url = "https://support.example.test".into()).await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Printer").await;
    let token = new_link_token();
    let stored = LinkToken::access(demo(), ContactId::of("ann@example.com").as_str(), None, now_unix());
    stack.store.put_link_token(&token_hash(&token), &stored).await.unwrap();
    let opened = stack.get(&format!("/portal/demo/access/{token}")).await;
    assert_eq!(opened.status, 200);
    let cookie = set_cookie(&opened);
    assert!(cookie.split("; ").any(|part| part == "Secure"), "{cookie}");
    assert!(cookie.split("; ").any(|part| part == "HttpOnly"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_customer_email_carries_a_link_that_opens_its_ticket() {
    let stack = Stack::start().await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Printer on fire").await;
    submit(&stack, "demo", "Bob Roe", "bob@example.com", "Bob's own").await;
    stack.drain().await;
    let confirmation = stack.emails_to("ann@example.com").pop().expect("a confirmation");
    assert!(confirmation.text.contains(&format!("Track Ticket: http://{}/portal/demo/tickets/TKT-0001", stack.addr)));
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
    let body = MessageBody::parse_required("Try turning it off.", "comment").unwrap();
    stack.portal.agent_comment(&demo(), tkt(1), &agent, body, Visibility::Public).await.unwrap();
    let text = MessageBody::parse_required("Replaced the fuser.", "resolution").unwrap();
    stack.portal.resolve(&demo(), tkt(1), &agent, text).await.unwrap();
    stack.drain().await;

    let emails = stack.emails_to("ann@example.com");
    assert_eq!(emails.len(), 3, "confirmation, agent reply, survey");
    let mut seen = Vec::new();
    for email in &emails {
        let links = links_in(&email.text);
        assert_eq!(links.len(), 1, "{}: {}", email.subject, email.text);
        let link = links[0].clone();
        assert!(link.ends_with("?ticket=TKT-0001"), "{link}");
        assert!(email.html.contains(&link), "both parts: {}", email.subject);
        let opened = stack.get(&link).await;
        assert_eq!(opened.status, 200, "{}", email.subject);
        assert!(
            opened.text().contains("Printer on fire")
                && opened.text().contains(r#"action="/portal/demo/tickets/TKT-0001/reply""#)
        );
        assert!(opened.header("set-cookie").is_some());
        seen.push(link);
    }
    let distinct: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 3, "each email its own link");
    let to_agents: Vec<_> = stack
        .proxy
        .sent_emails()
        .into_iter()
        .filter(|m| !m.to.contains(&"ann@example.com".to_owned()) && !m.to.contains(&"bob@example.com".to_owned()))
        .collect();
    assert!(
        !to_agents.is_empty() && to_agents.iter().all(|m| links_in(&m.text).is_empty()),
        "agents get no customer link"
    );

    // The link opens its own address's tickets only: another ticket named is My tickets.
    let token = seen[0].split('?').next().unwrap();
    let bobs = stack.get(&format!("{token}?ticket=TKT-0002")).await;
    assert_eq!(bobs.status, 200);
    assert!(bobs.text().contains("<h1>My tickets</h1>") && !bobs.text().contains("Bob"));
    let garbage = stack.get(&format!("{token}?ticket=../../etc")).await;
    assert!(garbage.text().contains("<h1>My tickets</h1>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_link_mode_a_typed_email_only_ever_sends_a_link() {
    let stack = Stack::start().await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Private matter").await;
    stack.drain().await;
    let (code, out) = stack.portalctl(&["--json", "workspace", "update", "demo", "--tracking", "link"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["tracking"], "link");

    let right =
        stack.post_form_from(client_ip(1), "/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com")]).await;
    let wrong =
        stack.post_form_from(client_ip(2), "/portal/demo/tickets/TKT-0001", &[("email", "eve@example.com")]).await;
    assert_eq!(right.status, 200);
    assert_eq!((wrong.status, wrong.text()), (right.status, right.text()), "match or not, one answer");
    assert!(right.text().contains("We have emailed you a link") && !right.text().contains("Private matter"));

    let api = "/api/portal/demo/tickets/TKT-0001/lookup";
    let right_json = stack.post_json_from(client_ip(3), api, &json!({"email": "ann@example.com"}), &[]).await;
    let wrong_json = stack.post_json_from(client_ip(4), api, &json!({"email": "eve@example.com"}), &[]).await;
    assert_eq!((right_json.status, right_json.text()), (202, r#"{"status":"sent"}"#.to_owned()));
    assert_eq!(wrong_json.body, right_json.body);
    let replies = "/api/portal/demo/tickets/TKT-0001/replies";
    let reply =
        stack.post_json_from(client_ip(5), replies, &json!({"email": "ann@example.com", "message": "Hi"}), &[]).await;
    assert_eq!((reply.status, reply.text()), (202, r#"{"status":"sent"}"#.to_owned()));
    assert!(stack.portal.ticket_for_agent(&demo(), tkt(1)).await.unwrap().1.is_empty(), "a typed email adds nothing");

    stack.drain().await;
    assert!(stack.emails_to("eve@example.com").is_empty());
    let links = access_links_to(&stack, "ann@example.com");
    assert_eq!(links.len(), 3, "one per request, three an hour at most: {links:?}");
    assert!(links.iter().all(|l| l.ends_with("?ticket=TKT-0001")));
    let opened = stack.get(&links[0]).await;
    assert_eq!(opened.status, 200);
    assert!(opened.text().contains("Private matter"), "the link opens the ticket");

    // The typed path still counts misses: a run of guesses is cut off, and
    // then even the right address is refused on that path.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let email = format!("guess{i}@example.com");
        statuses.push(
            stack.post_form_from(client_ip(9), "/portal/demo/tickets/TKT-0001", &[("email", &email)]).await.status,
        );
    }
    let first_refusal = statuses.iter().position(|s| *s == 429).expect("the miss limit holds in link mode");
    assert!(first_refusal <= 10 && statuses[first_refusal..].iter().all(|s| *s == 429), "{statuses:?}");
    let over =
        stack.post_form_from(client_ip(9), "/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com")]).await;
    assert_eq!(over.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bursts_of_link_requests_get_the_same_answer_and_at_most_three_links() {
    let stack = Stack::start().await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Printer").await;
    stack.drain().await;
    let api = "/api/portal/demo/access";
    let sends = |calls: &[Call]| calls.iter().filter(|c| c.target.ends_with("SendMessage")).count();

    // Fifteen at once from one client: ten are queued, every answer is the same.
    let start = stack.proxy.calls().len();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..15 {
        let addr = stack.addr;
        burst.spawn(
            async move { post_json_to(addr, client_ip(1), api, &json!({"email": "ann@example.com"}), &[]).await },
        );
    }
    while let Some(answer) = burst.join_next().await {
        let answer = answer.unwrap();
        assert_eq!((answer.status, answer.text()), (202, r#"{"status":"sent"}"#.to_owned()));
    }
    assert_eq!(sends(&stack.proxy.calls()[start..]), 10, "ten requests per client per hour");

    // Fifteen more from fifteen clients: all queued, still three links at most.
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..15 {
        let addr = stack.addr;
        burst.spawn(async move {
            post_json_to(addr, client_ip(100 + i), api, &json!({"email": "ann@example.com"}), &[]).await
        });
    }
    while let Some(answer) = burst.join_next().await {
        assert_eq!(answer.unwrap().status, 202);
    }
    stack.drain().await;
    assert_eq!(access_links_to(&stack, "ann@example.com").len(), 3, "three links per address per hour");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_gets_in_by_link_after_strangers_use_up_the_tickets_misses() {
    let stack = Stack::start().await;
    submit(&stack, "demo", "Ann Lee", "ann@example.com", "Printer").await;
    stack.drain().await;
    for i in 0..12 {
        let email = format!("stranger{i}@example.com");
        stack.post_form_from(client_ip(10 + i), "/portal/demo/tickets/TKT-0001", &[("email", &email)]).await;
    }
    let typed =
        stack.post_form_from(client_ip(50), "/portal/demo/tickets/TKT-0001", &[("email", "ann@example.com")]).await;
    assert_eq!(typed.status, 429, "the ticket's misses are used up for typed emails");

    let asked = ask_for_link(&stack, 50, "ann@example.com").await;
    assert_eq!(asked.status, 200);
    let link = access_links_to(&stack, "ann@example.com").pop().expect("the owner's link");
    let mine = stack.get(&link).await;
    assert!(mine.text().contains("TKT-0001"));
    let session = session_value(&mine);
    let page = get_as(&stack, "/portal/demo/tickets/TKT-0001", &session).await;
    assert_eq!(page.status, 200);
    let key = form_key(&page.text());
    let fields = [("message", "Still me"), ("idempotency_key", key.as_str())];
    assert_eq!(post_form_as(&stack, "/portal/demo/tickets/TKT-0001/reply", &fields, &session).await.status, 200);
}

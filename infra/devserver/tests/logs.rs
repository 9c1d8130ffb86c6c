//! Every flow, with the production log configuration capturing what it writes:
//! no email address, client IP or token may appear.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use portal::domain::MessageBody;
use serde_json::json;
use support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logs_never_carry_emails_addresses_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    portal::telemetry::init_with(move || writer.clone(), true);

    let stack = Stack::start().await;
    let ip = client_ip(77);
    let email = "secret.person@example.com";
    let body = json!({"name": "Secret Person", "email": email, "subject": "Private matter"});
    assert_eq!(stack.post_json_from(ip, "/api/portal/demo/tickets", &body, &[]).await.status, 201);
    let form = [("name", "Secret Person"), ("email", email), ("subject", "Again"), ("website", "")];
    assert_eq!(stack.post_form_from(ip, "/portal/demo/submit", &form).await.status, 200);
    let wrong = stack.post_form_from(ip, "/portal/demo/tickets/TKT-0001", &[("email", "guess.who@example.org")]).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(stack.post_form_from(ip, "/portal/demo/tickets/TKT-0001", &[("email", email)]).await.status, 200);
    let reply = json!({"email": email, "message": "More details"});
    assert_eq!(stack.post_json_from(ip, "/api/portal/demo/tickets/TKT-0001/replies", &reply, &[]).await.status, 201);
    stack.drain().await;
    let agent = stack.portal.agent(&demo(), "alex").await.unwrap();
    let text = MessageBody::parse_required("Done", "resolution").unwrap();
    stack.portal.resolve(&demo(), tkt(1), &agent, text).await.unwrap();
    stack.drain().await;
    let survey = stack.emails_to(email).into_iter().find(|m| m.text.contains("/csat/")).expect("survey email");
    let token: String =
        survey.text.split("/csat/").nth(1).unwrap().chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    let link = format!("/portal/demo/csat/{token}");
    assert_eq!(stack.post_form_from(ip, &link, &[("rating", "5")]).await.status, 200);
    // A failing dependency logs its error chain: still nothing personal.
    stack.proxy.fail_when(|_| Some(devserver::proxy::Fault { status: 400, error_type: "ValidationException" }));
    let failed = stack.post_form_from(ip, "/portal/demo/tickets/TKT-0001", &[("email", email)]).await;
    assert_eq!(failed.status, 503);
    stack.proxy.heal();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("ticket created") && logs.contains("ticket rated") && logs.contains("dependency failed"),
        "{logs}"
    );
    assert!(!logs.contains('@'), "an email address was logged:\n{logs}");
    assert!(!logs.contains(&ip.to_string()), "the client IP was logged:\n{logs}");
    assert!(!logs.contains(&token), "the survey token was logged");
    assert!(!logs.contains(&portal::domain::secrets::token_hash(&token)), "the token hash was logged");
    assert!(!logs.contains("Secret Person"), "a customer name was logged");
}

//! Every flow, with the production log configuration capturing what it writes:
//! no email address, client IP or token may appear.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use crate::support::*;
use portal::domain::MessageBody;
use serde_json::json;

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

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Set in the child process that runs one test of this module.
const CHILD: &str = "PORTAL_LOGS_TEST_CHILD";

/// The log subscriber is process-wide and every test of this binary logs, so
/// each test here runs alone in a child process of the binary (the capture then
/// holds its own flow only): true in the parent, once the child passed.
async fn ran_in_a_child_process(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return false;
    }
    let name = format!("logs::{test}");
    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&child.stderr));
    assert!(stdout.contains("1 passed"), "the child process did not run {name}:\n{stdout}");
    true
}

/// The process's logs, as production writes them.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        portal::entry::telemetry::init_with(move || writer.clone(), true);
        captured
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logs_never_carry_emails_addresses_or_tokens() {
    if ran_in_a_child_process("logs_never_carry_emails_addresses_or_tokens").await {
        return;
    }
    let captured = captured();

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
    let agent = portal::domain::Actor::Agent(stack.portal.agent(&demo(), "alex").await.unwrap());
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

    let logs = captured.text();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ses_errors_are_logged_by_their_code_without_the_recipient() {
    if ran_in_a_child_process("ses_errors_are_logged_by_their_code_without_the_recipient").await {
        return;
    }
    let captured = captured();
    let stack = Stack::start().await;
    let email = "ses.refused@example.com";
    let body = json!({"name": "Refused Person", "email": email, "subject": "Will bounce"});
    assert_eq!(stack.post_json("/api/portal/demo/tickets", &body).await.status, 201);
    // SES names the recipient in its message, as it does for unverified addresses.
    stack.proxy.fault_message(&format!(
        "Email address is not verified. The following identities failed the check in region US-EAST-1: {email}"
    ));
    stack.proxy.fail_when(|call| {
        call.is_send_email().then_some(devserver::proxy::Fault { status: 400, error_type: "MessageRejected" })
    });
    let messages = stack.receive_batch().await;
    let event = serde_json::from_value(devserver::sqs_trigger::sqs_event(&messages, "arn:aws:sqs:local:test")).unwrap();
    let response = stack.worker().handle(event).await;
    assert_eq!(response.batch_item_failures.len(), 1, "the record failed and is left to SQS");
    stack.proxy.heal();

    let logs = captured.text();
    assert!(logs.contains("SendEmail failed: service error MessageRejected"), "the code is logged:\n{logs}");
    assert!(!logs.contains("ses.refused"), "the recipient was logged:\n{logs}");
    assert!(!logs.contains("not verified"), "SES's message was logged:\n{logs}");
    assert!(!logs.contains('@'), "an email address was logged:\n{logs}");
}

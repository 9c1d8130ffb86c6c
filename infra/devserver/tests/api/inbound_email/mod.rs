//! The email channel end to end on the emulator: real SMTP sessions to the dev
//! receiver, the raw message in the emulator's S3 bucket, the inbound handler
//! called with SES's receipt event, the ticket in DynamoDB and the worker's
//! emails through the recording proxy. Attacker cases: bursts from one sender,
//! double invocation, auto-replies and bounces, oversized mail.
//!
//! This file holds the SMTP client and the stack; the tests are split into
//! mail that opens tickets and mail that answers them.

use std::net::SocketAddr;

use crate::support::*;
use devserver::inbound::{LocalReceiving, LOCAL_FUNCTION_ARN};
use devserver::ses_event::{as_stored, receipt_event, Receipt};
use devserver::smtp::Envelope;
use portal::domain::mail_in::SesMessageId;
use portal::domain::secrets::token_hash;
use portal::domain::{Channel, Priority, Status, TokenPurpose};
use portal::entry::mail_in::SesReceiptEvent;
use portal::service::{Dropped, Received};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A stack with the dev SMTP receiver in front of it, on a free port.
struct MailStack {
    stack: Stack,
    smtp: SocketAddr,
}

impl MailStack {
    async fn start() -> Self {
        let stack = Stack::start().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let smtp = listener.local_addr().unwrap();
        let receiving = LocalReceiving::new(stack.portal.clone(), s3(&stack)).unwrap();
        tokio::spawn(receiving.serve_smtp(listener));
        Self { stack, smtp }
    }

    /// One SMTP session delivering `data`; the reply code to the end of DATA
    /// (or the first refusal before it).
    async fn send(&self, mail_from: &str, rcpt: &str, data: &str) -> u16 {
        send_to(self.smtp, mail_from, rcpt, data.as_bytes()).await
    }

    /// The SES receipt event for `raw`, stored under a fresh message id.
    async fn stored_event(&self, sender: &str, rcpt: &str, raw: &[u8]) -> SesReceiptEvent {
        let envelope = Envelope { sender: sender.into(), recipients: vec![rcpt.into()] };
        let id = devserver::ses_event::new_message_id();
        let stored = as_stored(&envelope, raw);
        store(&self.stack, &SesMessageId::parse(&id).unwrap(), stored.clone()).await;
        let receipt = Receipt {
            message_id: &id,
            envelope: &envelope,
            raw: &stored,
            received_at_ms: 0,
            function_arn: LOCAL_FUNCTION_ARN,
        };
        serde_json::from_value(receipt_event(&receipt)).unwrap()
    }

    /// [`Self::stored_event`] with SES vouching for the sender: SPF, DKIM and
    /// DMARC all PASS (the local receiver reports GRAY, as SES does for a
    /// sender it cannot check).
    async fn authenticated_event(&self, sender: &str, rcpt: &str, raw: &str) -> SesReceiptEvent {
        let mut event = self.stored_event(sender, rcpt, raw.as_bytes()).await;
        let receipt = &mut event.records[0].ses.receipt;
        for verdict in [&mut receipt.spf_verdict, &mut receipt.dkim_verdict, &mut receipt.dmarc_verdict] {
            verdict.status = "PASS".into();
        }
        event
    }

    async fn invoke(&self, event: &SesReceiptEvent) -> Vec<Received> {
        portal::entry::mail_in::handle(&self.stack.portal, event).await.unwrap()
    }
}

fn s3(stack: &Stack) -> aws_sdk_s3::Client {
    stack.clients.s3.clone().expect("the test clients include S3")
}

/// Stores a message where SES's S3 action would.
async fn store(stack: &Stack, id: &SesMessageId, raw: Vec<u8>) {
    portal::mail_in::store(&s3(stack), &stack.names.inbound_bucket, id, raw).await.unwrap();
}

/// A tiny SMTP client: EHLO, MAIL, RCPT, DATA (dot-stuffed), QUIT.
async fn send_to(addr: SocketAddr, mail_from: &str, rcpt: &str, data: &[u8]) -> u16 {
    let (read, mut write) = TcpStream::connect(addr).await.unwrap().into_split();
    let mut reader = BufReader::new(read);
    assert_eq!(reply(&mut reader).await, 220);
    let steps = [
        "EHLO test.example\r\n".to_owned(),
        format!("MAIL FROM:<{mail_from}>\r\n"),
        format!("RCPT TO:<{rcpt}>\r\n"),
        "DATA\r\n".to_owned(),
    ];
    for step in steps {
        write.write_all(step.as_bytes()).await.unwrap();
        let code = reply(&mut reader).await;
        if code >= 400 {
            return code;
        }
    }
    let mut body = Vec::with_capacity(data.len() + 16);
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            body.push(b'.');
        }
        body.extend_from_slice(line);
    }
    if !body.ends_with(b"\r\n") {
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b".\r\n");
    write.write_all(&body).await.unwrap();
    let code = reply(&mut reader).await;
    write.write_all(b"QUIT\r\n").await.unwrap();
    code
}

/// The code of the next (possibly multi-line) reply.
async fn reply(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> u16 {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap() == 0 {
            return 0;
        }
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        }
    }
}

fn mail(from: &str, subject: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: demo@inbound.localhost\r\nSubject: {subject}\r\nMessage-ID: <{}@mail.example.com>\r\n{extra_headers}\r\n{body}\r\n",
        ulid::Ulid::new()
    )
}

const DEMO: &str = "demo@inbound.localhost";

/// The token of an email's one `Reply-To: reply+{token}@inbound.localhost`.
fn reply_token(sent: &devserver::proxy::SentEmail) -> String {
    assert_eq!(sent.reply_to.len(), 1, "{sent:?}");
    let local = sent.reply_to[0].strip_suffix("@inbound.localhost").expect("our inbound domain");
    let token = local.strip_prefix("reply+").expect("a reply address");
    assert!(token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    token.to_owned()
}

/// Opens TKT-0001 by mail from Ann and runs the worker: (Ann's confirmation, the agent's notice).
async fn ticket_by_mail(mail_stack: &MailStack) -> (devserver::proxy::SentEmail, devserver::proxy::SentEmail) {
    let raw = mail("Ann <ann@example.com>", "Printer broken", "", "It does not print.");
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &raw).await, 250);
    let stack = &mail_stack.stack;
    stack.drain().await;
    let confirmation = stack.emails_to("ann@example.com").pop().expect("confirmation");
    let notice = stack.proxy.sent_emails().into_iter().find(|m| m.subject.contains("assigned to you")).expect("notice");
    (confirmation, notice)
}

/// The thread id every email about a ticket names in `References`.
fn thread_root_of(sent: &devserver::proxy::SentEmail) -> String {
    sent.headers.iter().find(|(n, _)| n == "References").map(|(_, v)| v.clone()).expect("References")
}

/// The public conversation as the tracking page's JSON shows it: (author kind, body).
async fn conversation(stack: &Stack, n: u64) -> Vec<String> {
    let path = format!("/api/portal/demo/tickets/TKT-{n:04}/lookup");
    let view = stack.post_json(&path, &serde_json::json!({ "email": "ann@example.com" })).await;
    assert_eq!(view.status, 200, "{}", view.text());
    let body: serde_json::Value = serde_json::from_slice(&view.body).unwrap();
    body["conversation"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap_or("").to_owned()).collect()
}

/// The ticket's comments as stored (a link-mode workspace answers no typed lookup).
async fn conversation_by_link(stack: &Stack, n: u64) -> Vec<String> {
    let (_, comments) = stack.store.ticket_with_comments(&demo(), tkt(n)).await.unwrap().unwrap();
    comments.into_iter().map(|c| c.body).collect()
}

mod new_tickets;
mod replies;

/// template.yaml's email channel, held to the code (as tests/template.rs does for the rest).
mod template {
    use serde_yaml::Value;

    fn template() -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn actions(statement: &Value) -> Vec<&str> {
        statement["Action"].as_sequence().map_or_else(
            || statement["Action"].as_str().into_iter().collect(),
            |a| a.iter().filter_map(Value::as_str).collect(),
        )
    }

    #[test]
    fn the_bucket_is_encrypted_private_expiring_and_writable_by_ses_only() {
        let template = template();
        let bucket = &template["Resources"]["InboundMailBucket"]["Properties"];
        let sse = &bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
        assert_eq!(sse["SSEAlgorithm"], "AES256", "SSE-S3: SES's KMS option is client-side encryption");
        assert_eq!(bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
        let rule = &bucket["LifecycleConfiguration"]["Rules"][0];
        assert_eq!((rule["ExpirationInDays"].as_u64(), rule["Status"].as_str()), (Some(30), Some("Enabled")));
        assert_eq!(rule["Prefix"], portal::mail_in::INBOUND_PREFIX);
        let statements = template["Resources"]["InboundMailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap()
            .clone();
        assert_eq!(statements.len(), 1);
        let allow = &statements[0];
        assert_eq!(allow["Principal"]["Service"], "ses.amazonaws.com");
        assert_eq!(actions(allow), ["s3:PutObject"]);
        let arn = allow["Condition"]["StringEquals"]["aws:SourceArn"]["Fn::Sub"].as_str().unwrap();
        assert!(arn.ends_with(":receipt-rule-set/${AWS::StackName}-inbound:receipt-rule/portal-store-and-process"));
        assert!(allow["Condition"]["StringEquals"]["aws:SourceAccount"]["Ref"] == "AWS::AccountId");
    }

    #[test]
    fn the_rule_stores_then_invokes_and_waits_for_its_permissions() {
        let template = template();
        let rule = &template["Resources"]["InboundRule"];
        let depends: Vec<_> = rule["DependsOn"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(depends, ["InboundMailBucketPolicy", "InboundEmailSesPermission"]);
        let body = &rule["Properties"]["Rule"];
        assert_eq!((body["ScanEnabled"].as_bool(), body["Enabled"].as_bool()), (Some(true), Some(true)));
        assert_eq!(body["Recipients"][0]["Ref"], "InboundDomain");
        let name = body["Name"].as_str().unwrap();
        assert!(name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)));
        let steps = body["Actions"].as_sequence().unwrap();
        assert_eq!(steps[0]["S3Action"]["ObjectKeyPrefix"], portal::mail_in::INBOUND_PREFIX);
        assert!(steps[0]["S3Action"]["KmsKeyArn"].is_null());
        assert_eq!(steps[1]["LambdaAction"]["InvocationType"], "Event");
        assert_eq!(steps[1]["LambdaAction"]["FunctionArn"]["Fn::GetAtt"][0], "InboundEmailFunction");
        let permission = &template["Resources"]["InboundEmailSesPermission"]["Properties"];
        assert_eq!(permission["Principal"], "ses.amazonaws.com");
        assert_eq!(
            permission["SourceArn"],
            template["Resources"]["InboundMailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
                ["Condition"]["StringEquals"]["aws:SourceArn"]
        );
    }

    #[test]
    fn the_function_has_its_own_dead_letter_queue_and_least_privilege() {
        let template = template();
        let function = &template["Resources"]["InboundEmailFunction"];
        assert_eq!(function["Metadata"]["BuildProperties"]["Binary"], "inbound-email");
        let properties = &function["Properties"];
        assert_eq!(properties["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0], "InboundEmailDeadLetterQueue");
        assert_eq!(properties["Environment"]["Variables"]["INBOUND_BUCKET"]["Ref"], "InboundMailBucket");
        assert_eq!(
            template["Globals"]["Function"]["Environment"]["Variables"]["INBOUND_DOMAIN"]["Ref"],
            "InboundDomain"
        );
        let statements = properties["Policies"][0]["Statement"].as_sequence().unwrap();
        let all: Vec<&str> = statements.iter().flat_map(actions).collect();
        for action in &all {
            assert!(!action.contains('*'), "{action}");
        }
        assert!(all.contains(&"s3:GetObject") && !all.iter().any(|a| *a == "s3:PutObject" || *a == "s3:DeleteObject"));
        assert!(!all.iter().any(|a| a.starts_with("ses:")), "the worker sends every email");
        // Each table only under the keys the use cases write (the limiter's scopes from the code).
        let leading = |s: &Value| -> Vec<String> {
            s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                .as_sequence()
                .map(|k| k.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        for statement in statements.iter().filter(|s| actions(s).iter().any(|a| a.starts_with("dynamodb:"))) {
            assert!(!leading(statement).is_empty(), "{statement:?}");
        }
        let limits = statements.iter().find(|s| s["Resource"]["Fn::GetAtt"][0] == "RateLimitTable").unwrap();
        for limit in [
            portal::domain::limits::Limit::inbound_tickets_per_sender(),
            portal::domain::limits::Limit::replies_by_mail_per_sender(1),
            portal::domain::limits::Limit::replies_per_ticket(1),
        ] {
            assert!(leading(limits).contains(&format!("{}#*", limit.scope)), "{}", limit.scope);
        }
        let read = statements.iter().find(|s| actions(s) == ["s3:GetObject"]).unwrap();
        assert_eq!(read["Resource"]["Fn::Sub"], "${InboundMailBucket.Arn}/inbound/*");
        let alarm = &template["Resources"]["InboundDeadLetterAlarm"]["Properties"];
        assert_eq!(alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0], "InboundEmailDeadLetterQueue");
        for name in ["InboundMailBucket", "InboundRule", "InboundEmailFunction", "InboundRuleSet"] {
            assert_eq!(template["Resources"][name]["Condition"], "ReceivesMail", "{name}");
        }
    }
}

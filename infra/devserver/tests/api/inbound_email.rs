//! The email channel end to end on the emulator: real SMTP sessions to the dev
//! receiver, the raw message in the emulator's S3 bucket, the inbound handler
//! called with SES's receipt event, the ticket in DynamoDB and the worker's
//! emails through the recording proxy. Attacker cases: bursts from one sender,
//! double invocation, auto-replies and bounces, oversized mail.

use std::net::SocketAddr;

use crate::support::*;
use devserver::inbound::{LocalReceiving, LOCAL_FUNCTION_ARN};
use devserver::ses_event::{as_stored, receipt_event, Receipt};
use devserver::smtp::Envelope;
use portal::domain::inbound::SesMessageId;
use portal::domain::secrets::token_hash;
use portal::domain::{Channel, Priority, Status, TokenPurpose};
use portal::inbound::SesReceiptEvent;
use portal::mailbox::Mailbox;
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
        mailbox(&self.stack).store(&SesMessageId::parse(&id).unwrap(), stored.clone()).await.unwrap();
        let receipt = Receipt {
            message_id: &id,
            envelope: &envelope,
            raw: &stored,
            received_at_ms: 0,
            function_arn: LOCAL_FUNCTION_ARN,
        };
        serde_json::from_value(receipt_event(&receipt)).unwrap()
    }

    async fn invoke(&self, event: &SesReceiptEvent) -> Vec<Received> {
        portal::inbound::handle(&self.stack.portal, event).await.unwrap()
    }
}

fn s3(stack: &Stack) -> aws_sdk_s3::Client {
    stack.clients.s3.clone().expect("the test clients include S3")
}

fn mailbox(stack: &Stack) -> Mailbox {
    Mailbox::new(s3(stack), stack.names.inbound_bucket.clone())
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

/// The public conversation as the tracking page's JSON shows it: (author kind, body).
async fn conversation(stack: &Stack, n: u64) -> Vec<String> {
    let path = format!("/api/portal/demo/tickets/TKT-{n:04}/lookup");
    let view = stack.post_json(&path, &serde_json::json!({ "email": "ann@example.com" })).await;
    assert_eq!(view.status, 200, "{}", view.text());
    let body: serde_json::Value = serde_json::from_slice(&view.body).unwrap();
    body["conversation"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mail_to_the_workspace_opens_a_ticket_and_the_worker_confirms_it() {
    let mail_stack = MailStack::start().await;
    let raw = mail(
        "=?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <Renee@Example.com>",
        "Printer does not print",
        "",
        "It does not print.\r\nPlease help.",
    );
    assert_eq!(mail_stack.send("renee@example.com", DEMO, &raw).await, 250);
    let stack = &mail_stack.stack;
    let ticket = stack.ticket(1).await.expect("the mail opened TKT-0001");
    assert_eq!(ticket.channel, Channel::Email);
    assert_eq!((ticket.status, ticket.priority), (Status::Open, Priority::Medium));
    assert_eq!(ticket.name, "Renée Müller");
    assert_eq!(ticket.email_normalized, "renee@example.com");
    assert_eq!(ticket.subject, "Printer does not print");
    assert_eq!(ticket.description.as_deref(), Some("It does not print.\nPlease help."));

    stack.drain().await;
    let confirmations = stack.emails_to("Renee@example.com");
    assert_eq!(confirmations.len(), 1, "{:?}", stack.proxy.sent_emails());
    assert!(confirmations[0].subject.contains("[TKT-0001]"), "{}", confirmations[0].subject);
    let agents: Vec<_> =
        stack.proxy.sent_emails().into_iter().filter(|m| m.subject.contains("assigned to you")).collect();
    assert_eq!(agents.len(), 1, "the auto-assigned agent is told");
    assert!(stack.ticket(1).await.unwrap().assignee.is_some());

    // Every email carries its own reply address (stored hashed) and the ticket's thread id.
    let root = format!("<tkt.demo.TKT-0001.{}@inbound.localhost>", ticket.id);
    for sent in [&confirmations[0], &agents[0]] {
        let token = reply_token(sent);
        let stored = stack.store.link_token(&token_hash(&token)).await.unwrap().expect("token stored by its hash");
        assert_eq!(stored.purpose, TokenPurpose::MailReply);
        assert!(stack.store.link_token(&token).await.unwrap().is_none(), "never the token itself");
        assert!(sent.headers.contains(&("References".to_owned(), root.clone())), "{:?}", sent.headers);
        assert!(sent.headers.contains(&("In-Reply-To".to_owned(), root.clone())), "{:?}", sent.headers);
    }
    assert_ne!(reply_token(&confirmations[0]), reply_token(&agents[0]), "one address per recipient");
    assert!(confirmations[0].text.starts_with(inbound_mail::FOOTER_MARKER));
    let auto = ("Auto-Submitted".to_owned(), "auto-generated".to_owned());
    assert!(confirmations[0].headers.contains(&auto), "vacation responders stay quiet");

    // portalctl shows where to write.
    let (code, out) = stack.portalctl(&["workspace", "show", "demo", "--json"]).await;
    assert_eq!(code, 0, "{out}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["inboundAddress"], DEMO);
    assert!(stack.portalctl(&["workspace", "show", "demo"]).await.1.contains(DEMO));

    // The raw message stays in the bucket, under the S3 action's prefix.
    let objects = s3(stack).list_objects_v2().bucket(&stack.names.inbound_bucket).send().await.unwrap();
    let keys: Vec<_> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with(portal::mailbox::INBOUND_PREFIX), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn html_only_quoted_printable_and_base64_mail_becomes_plain_text() {
    let mail_stack = MailStack::start().await;
    let html_only = mail(
        "Ann <ann@example.com>",
        "HTML",
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
        "PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPjxzY3JpcHQ+YWxlcnQoMSk8L3NjcmlwdD4=",
    );
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &html_only).await, 250);
    let latin1 = mail(
        "=?ISO-8859-1?Q?Jos=E9?= <jose@example.com>",
        "=?ISO-8859-1?Q?Caf=E9?=",
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n",
        "--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLe caf=E9 est froid.=\r\n Soft break.\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>ignored</p>\r\n--b1--",
    );
    assert_eq!(mail_stack.send("jose@example.com", DEMO, &latin1).await, 250);
    let stack = &mail_stack.stack;
    let first = stack.ticket(1).await.unwrap();
    assert_eq!(first.description.as_deref(), Some("Hello world"), "no markup, no script");
    let second = stack.ticket(2).await.unwrap();
    assert_eq!((second.name.as_str(), second.subject.as_str()), ("José", "Café"));
    assert_eq!(second.description.as_deref(), Some("Le café est froid. Soft break."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_replies_bounces_lists_and_our_own_mail_open_nothing_and_get_no_answer() {
    let mail_stack = MailStack::start().await;
    let person = "Ann <ann@example.com>";
    let cases = [
        ("ann@example.com", mail(person, "Out of office", "Auto-Submitted: auto-replied\r\n", "Away.")),
        ("ann@example.com", mail(person, "News", "Precedence: bulk\r\n", "Buy.")),
        ("ann@example.com", mail(person, "List", "List-Id: <printers.lists.example.com>\r\n", "Hi all.")),
        ("ann@example.com", mail(person, "Away", "X-Autoreply: yes\r\n", "Away.")),
        ("", mail("MAILER-DAEMON@mx.example.com", "Undelivered Mail Returned to Sender", "", "Bounce.")),
        ("mailer-daemon@mx.example.com", mail(person, "Failure", "", "Bounce.")),
        (
            "support@portal.example",
            mail("Demo <support@portal.example>", "We received your request [TKT-0001]", "", "Loop."),
        ),
        ("x@inbound.localhost", mail("reply+x@inbound.localhost", "Loop", "", "Loop.")),
    ];
    for (sender, raw) in &cases {
        assert_eq!(mail_stack.send(sender, DEMO, raw).await, 250, "accepted like SES would, then dropped: {raw}");
    }
    let stack = &mail_stack.stack;
    assert_eq!(stack.ticket_count().await, 0);
    stack.drain().await;
    assert!(stack.proxy.sent_emails().is_empty(), "nothing is ever answered");

    // Not our domain: refused in the session. Unknown workspace: dropped.
    assert_eq!(mail_stack.send("ann@example.com", "demo@example.com", &mail(person, "x", "", "x")).await, 550);
    assert_eq!(mail_stack.send("ann@example.com", "nope@inbound.localhost", &mail(person, "x", "", "x")).await, 250);
    assert!(stack
        .store
        .get_ticket(&portal::domain::WorkspaceSlug::parse("nope").unwrap(), tkt(1))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sender_asking_for_no_auto_replies_gets_a_ticket_but_no_confirmation() {
    let mail_stack = MailStack::start().await;
    let raw = mail("Ann <ann@example.com>", "Quiet please", "X-Auto-Response-Suppress: All\r\n", "Help.");
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &raw).await, 250);
    let stack = &mail_stack.stack;
    assert!(stack.ticket(1).await.unwrap().no_auto_reply);
    stack.drain().await;
    assert!(stack.emails_to("ann@example.com").is_empty(), "no automatic answer");
    assert_eq!(stack.proxy.sent_emails().len(), 1, "the agent is still told");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_concurrent_burst_from_one_sender_opens_at_most_ten_tickets() {
    let mail_stack = std::sync::Arc::new(MailStack::start().await);
    let mut sessions = tokio::task::JoinSet::new();
    for i in 0..16 {
        let mail_stack = mail_stack.clone();
        sessions.spawn(async move {
            let raw = mail("Spammy <spam@example.com>", &format!("Burst {i}"), "", "again");
            mail_stack.send("spam@example.com", DEMO, &raw).await
        });
    }
    let mut codes = Vec::new();
    while let Some(code) = sessions.join_next().await {
        codes.push(code.unwrap());
    }
    assert_eq!(tally(codes), [(250, 16)].into(), "the sender learns nothing");
    let stack = &mail_stack.stack;
    assert_eq!(stack.ticket_count().await, 10, "exactly the limit, no number spent on the refused");
    // Another sender is not held back by the first one's limit.
    let other = mail("Bo <bo@example.com>", "Mine", "", "Hello");
    assert_eq!(mail_stack.send("bo@example.com", DEMO, &other).await, 250);
    assert_eq!(stack.ticket(11).await.map(|t| t.email_normalized), Some("bo@example.com".into()));
    stack.drain().await;
    assert_eq!(stack.emails_to("spam@example.com").len(), 10, "one confirmation per admitted mail only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ses_invoking_twice_makes_one_ticket_and_one_confirmation() {
    let mail_stack = MailStack::start().await;
    let raw = mail("Ann <ann@example.com>", "Twice", "", "Once, please.");
    let event = mail_stack.stored_event("ann@example.com", DEMO, raw.as_bytes()).await;
    let first = mail_stack.invoke(&event).await;
    assert_eq!(first, [Received::TicketOpened(tkt(1))]);
    let (again, concurrent) = tokio::join!(mail_stack.invoke(&event), mail_stack.invoke(&event));
    assert_eq!(again, [Received::Duplicate(tkt(1))]);
    assert_eq!(concurrent, [Received::Duplicate(tkt(1))]);
    let stack = &mail_stack.stack;
    assert_eq!(stack.ticket_count().await, 1);
    stack.drain().await;
    assert_eq!(stack.emails_to("ann@example.com").len(), 1);

    // Two concurrent first deliveries: one ticket between them.
    let twin =
        mail_stack.stored_event("bo@example.com", DEMO, mail("Bo <bo@example.com>", "Twins", "", "x").as_bytes()).await;
    let (a, b) = tokio::join!(mail_stack.invoke(&twin), mail_stack.invoke(&twin));
    let opened = [&a[0], &b[0]].iter().filter(|r| matches!(r, Received::TicketOpened(_))).count();
    assert_eq!(opened, 1, "{a:?} {b:?}");
    let stored: Vec<_> = [stack.ticket(2).await, stack.ticket(3).await].into_iter().flatten().collect();
    assert_eq!(stored.len(), 1, "one ticket stored");
    stack.drain().await;
    assert_eq!(stack.emails_to("bo@example.com").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn viruses_oversized_and_missing_messages_are_dropped_without_an_answer() {
    let mail_stack = MailStack::start().await;
    let raw = mail("Ann <ann@example.com>", "Virus", "", "x");
    let mut event = mail_stack.stored_event("ann@example.com", DEMO, raw.as_bytes()).await;
    event.records[0].ses.receipt.virus_verdict.status = "FAIL".into();
    assert_eq!(mail_stack.invoke(&event).await, [Received::Dropped(Dropped::Verdicts)]);

    let mut big = mail("Ann <ann@example.com>", "Huge", "", "").into_bytes();
    big.resize(inbound_mail::MAX_MESSAGE_BYTES + 1, b'a');
    let event = mail_stack.stored_event("ann@example.com", DEMO, &big).await;
    assert_eq!(mail_stack.invoke(&event).await, [Received::Dropped(Dropped::TooLarge)]);

    let mut gone = mail_stack.stored_event("ann@example.com", DEMO, raw.as_bytes()).await;
    gone.records[0].ses.mail.message_id = "neverstored0000000000000000000000000000".into();
    assert_eq!(mail_stack.invoke(&gone).await, [Received::Dropped(Dropped::Missing)]);
    gone.records[0].ses.mail.message_id = "../../etc/passwd".into();
    assert_eq!(mail_stack.invoke(&gone).await, [Received::Dropped(Dropped::MalformedId)]);

    // Locally, the SMTP receiver refuses it in the session, as its SIZE says.
    let over =
        format!("{}{}", mail("Ann <ann@example.com>", "Huge", "", ""), "a".repeat(inbound_mail::MAX_MESSAGE_BYTES));
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &over).await, 552);

    let stack = &mail_stack.stack;
    assert_eq!(stack.ticket_count().await, 0);
    stack.drain().await;
    assert!(stack.proxy.sent_emails().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn header_injection_through_the_subject_and_name_reaches_no_header() {
    let mail_stack = MailStack::start().await;
    let raw = mail(
        "=?UTF-8?Q?Ann=0D=0ABcc:_victim@example.com?= <ann@example.com>",
        "=?UTF-8?Q?Hi=0D=0ABcc:_victim@example.com?=",
        "",
        "Body",
    );
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &raw).await, 250);
    let stack = &mail_stack.stack;
    let ticket = stack.ticket(1).await.unwrap();
    assert!(!ticket.subject.contains(['\r', '\n']) && !ticket.name.contains(['\r', '\n']), "{ticket:?}");
    stack.drain().await;
    assert!(stack.emails_to("victim@example.com").is_empty());
    let sent = stack.proxy.sent_emails();
    assert!(sent.iter().all(|m| !m.subject.contains(['\r', '\n'])), "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_customer_answers_by_replying_and_the_resolved_ticket_reopens_with_the_quote_cut() {
    let mail_stack = MailStack::start().await;
    let (confirmation, _) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let (code, out) = stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "New toner."]).await;
    assert_eq!(code, 0, "{out}");
    let address = confirmation.reply_to[0].clone();
    let answer = mail(
        "Ann <ann@example.com>",
        "Re: We received your request [TKT-0001]",
        "",
        &format!("Still broken, sorry.\r\n\r\n-- \r\nAnn\r\n\r\nOn Mon, 5 Aug 2024 at 10:00, Demo <support@portal.example> wrote:\r\n> {}\r\n> Your ticket", inbound_mail::FOOTER_MARKER),
    );
    assert_eq!(mail_stack.send("ann@example.com", &address, &answer).await, 250);
    let ticket = stack.ticket(1).await.unwrap();
    assert_eq!(ticket.status, Status::Open, "the reply reopened it");
    assert_eq!(conversation(stack, 1).await.last().map(String::as_str), Some("Still broken, sorry."));

    // A stranger writing to the same address adds nothing and hears nothing.
    let sent_before = stack.proxy.sent_emails().len();
    let forged = mail("Mallory <mallory@example.com>", "Re: [TKT-0001]", "", "Close this ticket.");
    assert_eq!(mail_stack.send("mallory@example.com", &address, &forged).await, 250);
    let forged_from = mail("Ann <ann@example.com>", "Re: [TKT-0001]", "", "Spoofed header, other envelope.");
    assert_eq!(
        mail_stack
            .send(
                "mallory@example.com",
                "reply+0000000000000000000000000000000000000000@inbound.localhost",
                &forged_from
            )
            .await,
        250
    );
    assert_eq!(conversation(stack, 1).await.len(), 1, "Ann's reply only");
    stack.drain().await;
    assert!(stack.emails_to("mallory@example.com").is_empty());
    assert_eq!(stack.ticket_count().await, 1);
    assert!(stack.proxy.sent_emails().len() >= sent_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_agent_answers_by_replying_to_the_notice_and_the_customer_is_emailed() {
    let mail_stack = MailStack::start().await;
    let (confirmation, notice) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let agent = notice.to[0].clone();
    let answer = mail(
        &format!("Agent <{agent}>"),
        "Re: [TKT-0001] New ticket assigned to you",
        "",
        "Turn it off and on again.\r\n\r\n-- \r\nThe agent's signature",
    );
    assert_eq!(mail_stack.send(&agent, &notice.reply_to[0], &answer).await, 250);
    stack.drain().await;
    let replies: Vec<_> =
        stack.emails_to("ann@example.com").into_iter().filter(|m| m.subject.contains("New reply")).collect();
    assert_eq!(replies.len(), 1, "{:?}", stack.proxy.sent_emails());
    assert!(replies[0].text.contains("> Turn it off and on again."), "{}", replies[0].text);
    assert!(!replies[0].text.contains("signature"));
    assert!(!replies[0].headers.iter().any(|(n, _)| n == "Auto-Submitted"), "a person wrote it");
    assert!(conversation(stack, 1).await.iter().any(|c| c == "Turn it off and on again."));

    // The customer cannot use the agent's address, nor the agent the customer's.
    let before = conversation(stack, 1).await.len();
    let swapped = mail("Ann <ann@example.com>", "Re: x", "", "As the agent?");
    assert_eq!(mail_stack.send("ann@example.com", &notice.reply_to[0], &swapped).await, 250);
    let swapped = mail(&format!("Agent <{agent}>"), "Re: x", "", "As the customer?");
    assert_eq!(mail_stack.send(&agent, &confirmation.reply_to[0], &swapped).await, 250);
    assert_eq!(conversation(stack, 1).await.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_to_a_closed_ticket_opens_a_new_one_naming_it_once() {
    let mail_stack = MailStack::start().await;
    let (confirmation, _) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let (code, out) = stack.portalctl(&["ticket", "status", "demo", "TKT-0001", "closed"]).await;
    assert_eq!(code, 0, "{out}");
    let raw = mail(
        "Ann <ann@example.com>",
        "Re: [TKT-0001]",
        "",
        "It broke again.\r\n\r\nOn Mon, 5 Aug 2024 at 10:00, Demo <support@portal.example> wrote:\r\n> old",
    );
    let event = mail_stack.stored_event("ann@example.com", &confirmation.reply_to[0], raw.as_bytes()).await;
    assert_eq!(mail_stack.invoke(&event).await, [Received::TicketOpened(tkt(2))]);
    assert_eq!(mail_stack.invoke(&event).await, [Received::Duplicate(tkt(2))], "SES's second invocation");
    let follow = stack.ticket(2).await.unwrap();
    assert_eq!(follow.channel, Channel::Email);
    assert_eq!(follow.description.as_deref(), Some("Follow-up to TKT-0001, which is closed.\n\nIt broke again."));
    assert_eq!(stack.ticket(1).await.unwrap().status, Status::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_reply_address_the_customer_s_mail_threads_by_references_or_subject() {
    let mail_stack = MailStack::start().await;
    let (confirmation, _) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let root = confirmation.headers.iter().find(|(n, _)| n == "References").map(|(_, v)| v.clone()).unwrap();
    // A client that dropped Reply-To but kept References, to the workspace address.
    let kept = mail(
        "Ann <ann@example.com>",
        "Re: printer",
        &format!("In-Reply-To: <x@amazonses.com>\r\nReferences: {root} <x@amazonses.com>\r\n"),
        "By references.",
    );
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &kept).await, 250);
    // One that kept only the subject.
    let subject = mail("Ann <ann@example.com>", "Re: We received your request [TKT-0001]", "", "By subject.");
    assert_eq!(mail_stack.send("ann@example.com", DEMO, &subject).await, 250);
    assert_eq!(conversation(stack, 1).await, ["By references.", "By subject."]);
    assert_eq!(stack.ticket_count().await, 1);

    // Someone else naming the ticket, or its thread, opens a ticket of their own.
    let other = mail("Bo <bo@example.com>", "Re: [TKT-0001]", &format!("References: {root}\r\n"), "Me too.");
    assert_eq!(mail_stack.send("bo@example.com", DEMO, &other).await, 250);
    assert_eq!(stack.ticket(2).await.map(|t| t.email_normalized), Some("bo@example.com".into()));
    assert_eq!(conversation(stack, 1).await.len(), 2);
}

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
        assert_eq!(rule["Prefix"], portal::mailbox::INBOUND_PREFIX);
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
        assert_eq!(steps[0]["S3Action"]["ObjectKeyPrefix"], portal::mailbox::INBOUND_PREFIX);
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
            portal::ratelimit::Limit::inbound_tickets_per_sender(),
            portal::ratelimit::Limit::replies_by_mail_per_sender(1),
            portal::ratelimit::Limit::replies_per_ticket(1),
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

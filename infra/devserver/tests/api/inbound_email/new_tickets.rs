//! Mail that opens a ticket, and mail that must not: filters, bursts, double invocation.

use super::*;

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
    assert!(keys[0].starts_with(portal::mail_in::INBOUND_PREFIX), "{keys:?}");
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

/// The S3 read is made without S3's SDK (`portal::aws::s3_get`): its retries are ours.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_s3_reads_are_retried_and_a_lasting_failure_leaves_the_mail_for_the_next_delivery() {
    use devserver::proxy::Fault;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let mail_stack = MailStack::start().await;
    let stack = &mail_stack.stack;
    let is_read = |call: &devserver::proxy::Call| call.method == "GET" && call.path.contains("/inbound/");

    // Throttled twice, then answered: one delivery, one ticket, three reads.
    let raw = mail("Ann <ann@example.com>", "Slow bucket", "", "Hello.");
    let event = mail_stack.stored_event("ann@example.com", DEMO, raw.as_bytes()).await;
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = reads.clone();
    stack.proxy.fail_when(move |call| {
        let nth = if is_read(call) { counted.fetch_add(1, Ordering::SeqCst) } else { usize::MAX };
        (nth < 2).then_some(Fault { status: 503, error_type: "SlowDown" })
    });
    let first = mail_stack.invoke(&event).await;
    assert!(matches!(first[..], [Received::TicketOpened(_)]), "{first:?}");
    assert_eq!(reads.load(Ordering::SeqCst), 3);

    // S3 failing for good: the delivery fails (Lambda invokes again) and nothing is stored.
    let raw = mail("Bo <bo@example.com>", "Bucket down", "", "Hello.");
    let event = mail_stack.stored_event("bo@example.com", DEMO, raw.as_bytes()).await;
    stack.proxy.fail_when(move |call| is_read(call).then_some(Fault { status: 500, error_type: "InternalError" }));
    assert!(portal::entry::mail_in::handle(&stack.portal, &event).await.is_err());
    assert_eq!(stack.ticket_count().await, 1);

    // Healed: the next delivery opens the ticket, a further one only finds it.
    stack.proxy.heal();
    let second = mail_stack.invoke(&event).await;
    let [Received::TicketOpened(opened)] = second[..] else { panic!("{second:?}") };
    assert_eq!(mail_stack.invoke(&event).await, [Received::Duplicate(opened)]);
    assert_eq!(stack.ticket_count().await, 2);
}

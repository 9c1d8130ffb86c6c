//! Replies by mail: customers and agents answering, closed tickets, threading.

use super::*;

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
async fn an_authenticated_customer_s_mail_threads_by_references_or_subject_without_a_reply_address() {
    let mail_stack = MailStack::start().await;
    let (confirmation, _) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let root = thread_root_of(&confirmation);
    // A client that dropped Reply-To but kept References, to the workspace address.
    let kept = mail(
        "Ann <ann@example.com>",
        "Re: printer",
        &format!("In-Reply-To: <x@amazonses.com>\r\nReferences: {root} <x@amazonses.com>\r\n"),
        "By references.",
    );
    assert_eq!(
        mail_stack.invoke(&mail_stack.authenticated_event("ann@example.com", DEMO, &kept).await).await,
        [Received::CommentAdded(tkt(1))]
    );
    // One that kept only the subject.
    let subject = mail("Ann <ann@example.com>", "Re: We received your request [TKT-0001]", "", "By subject.");
    let event = mail_stack.authenticated_event("ann@example.com", DEMO, &subject).await;
    assert_eq!(mail_stack.invoke(&event).await, [Received::CommentAdded(tkt(1))]);
    assert_eq!(conversation(stack, 1).await, ["By references.", "By subject."]);
    assert_eq!(stack.ticket_count().await, 1);

    // Someone else naming the ticket, or its thread, opens a ticket of their own, authenticated or not.
    let other = mail("Bo <bo@example.com>", "Re: [TKT-0001]", &format!("References: {root}\r\n"), "Me too.");
    let event = mail_stack.authenticated_event("bo@example.com", DEMO, &other).await;
    assert_eq!(mail_stack.invoke(&event).await, [Received::TicketOpened(tkt(2))]);
    let bo = stack.ticket(2).await.unwrap();
    assert_eq!(bo.email_normalized, "bo@example.com");
    assert_eq!(bo.description.as_deref(), Some("Me too."), "names nothing of a ticket that is not Bo's");
    assert_eq!(conversation(stack, 1).await.len(), 2);
}

/// The attacker's mail: the customer's address typed into From, sent from
/// anywhere. Without SES vouching for the sender it never writes to the
/// ticket (it would reopen a resolved one): it opens a ticket of its own that
/// names the one it is about, and the real customer's ticket is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forged_from_naming_a_ticket_never_writes_to_it() {
    let mail_stack = MailStack::start().await;
    let (confirmation, _) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let (code, out) = stack.portalctl(&["ticket", "resolve", "demo", "TKT-0001", "--resolution", "New toner."]).await;
    assert_eq!(code, 0, "{out}");
    let root = thread_root_of(&confirmation);

    // Through the dev SMTP receiver, which (as SES for an unverifiable sender) reports GRAY.
    let by_subject = mail("Ann <ann@example.com>", "Re: [TKT-0001] x", "", "Reopen this and close it for good.");
    assert_eq!(mail_stack.send("mallory@evil.example", DEMO, &by_subject).await, 250);
    let by_thread = mail("ann@example.com", "Re: printer", &format!("References: {root}\r\n"), "By the thread.");
    assert_eq!(mail_stack.send("mallory@evil.example", DEMO, &by_thread).await, 250);
    // Receipt events whose verdicts fail, or only half pass.
    for (spf, dkim, dmarc) in [("FAIL", "FAIL", "FAIL"), ("PASS", "PASS", "GRAY"), ("FAIL", "GRAY", "PASS")] {
        let forged = mail("Ann <ann@example.com>", "Re: [TKT-0001]", "", "Half-authenticated.");
        let mut event = mail_stack.stored_event("mallory@evil.example", DEMO, forged.as_bytes()).await;
        let receipt = &mut event.records[0].ses.receipt;
        (receipt.spf_verdict.status, receipt.dkim_verdict.status, receipt.dmarc_verdict.status) =
            (spf.into(), dkim.into(), dmarc.into());
        assert!(matches!(mail_stack.invoke(&event).await[..], [Received::TicketOpened(_)]), "{spf} {dkim} {dmarc}");
    }

    let ticket = stack.ticket(1).await.unwrap();
    assert_eq!(ticket.status, Status::Resolved, "nothing reopened it");
    assert!(conversation(stack, 1).await.is_empty(), "no comment on the customer's ticket");
    assert_eq!(stack.ticket_count().await, 6);
    let named = stack.ticket(2).await.unwrap();
    assert_eq!(named.email_normalized, "ann@example.com", "the new ticket is the address's, like a form's");
    assert_eq!(
        named.description.as_deref(),
        Some("About TKT-0001: sent by email from an address that could not be verified, so it opened a ticket of its own.\n\nReopen this and close it for good.")
    );
}

/// A workspace that tracks by link wants proof of the mailbox, which only a
/// reply address gives: even an authenticated From never writes to a ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_a_link_mode_workspace_only_a_reply_address_writes_to_a_ticket() {
    let mail_stack = MailStack::start().await;
    let (confirmation, _) = ticket_by_mail(&mail_stack).await;
    let stack = &mail_stack.stack;
    let (code, out) = stack.portalctl(&["workspace", "update", "demo", "--tracking", "link"]).await;
    assert_eq!(code, 0, "{out}");
    let by_subject = mail("Ann <ann@example.com>", "Re: [TKT-0001]", "", "Authenticated, by subject.");
    let event = mail_stack.authenticated_event("ann@example.com", DEMO, &by_subject).await;
    assert_eq!(mail_stack.invoke(&event).await, [Received::TicketOpened(tkt(2))]);
    assert!(conversation_by_link(stack, 1).await.is_empty());

    let answer = mail("Ann <ann@example.com>", "Re: [TKT-0001]", "", "By the reply address.");
    assert_eq!(mail_stack.send("ann@example.com", &confirmation.reply_to[0], &answer).await, 250);
    assert_eq!(conversation_by_link(stack, 1).await, ["By the reply address."]);
}

/// A From whose display name holds markup files under the address in angle
/// brackets, and sub-address tags of one mailbox count as one sender.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn markup_in_a_name_and_sub_address_tags_do_not_make_new_senders() {
    let mail_stack = MailStack::start().await;
    let stack = &mail_stack.stack;
    let marked = mail("<b>Bold</b> Name <unq@example.com>", "Hello", "", "Markup in my name.");
    assert_eq!(mail_stack.send("unq@example.com", DEMO, &marked).await, 250);
    assert_eq!(stack.ticket(1).await.unwrap().email_normalized, "unq@example.com");

    for i in 0..15 {
        let tagged = mail(&format!("Ann <ann+{i}@example.com>"), &format!("Tagged {i}"), "", "One mailbox.");
        assert_eq!(mail_stack.send(&format!("ann+{i}@example.com"), DEMO, &tagged).await, 250);
    }
    assert_eq!(stack.ticket_count().await, 1 + 10, "ten an hour for the mailbox, whatever the tags");
    assert_eq!(stack.ticket(2).await.unwrap().email, "ann+0@example.com", "kept as written, for replies");
}

//! Received email, as business rules: which of our addresses a mail was sent
//! to, whether SES's verdicts let it in, and the ticket a new mail opens
//! (the same [`NewTicket`] the form makes). The parsing of the message itself
//! is the `inbound-mail` crate's; nothing here knows of SES or S3.

use inbound_mail::{shorten, InboundMail, OwnAddresses};

use super::fields::{CustomerName, EmailAddress, MessageBody, Subject, TicketType, MAX_MESSAGE_CHARS};
use super::fields::{MAX_NAME_CHARS, MAX_SUBJECT_CHARS};
use super::secrets::is_well_formed_reply_token;
use super::submission::NewTicket;
use super::ticket::TicketRef;
use super::workspace::WorkspaceSlug;

/// The local part of a reply address: `reply+{token}@{INBOUND_DOMAIN}`.
pub const REPLY_LOCAL_PREFIX: &str = "reply+";

/// The subject of a ticket opened by a mail without one.
const NO_SUBJECT: &str = "(no subject)";

/// SES's id of a received message: the S3 object's name under the prefix and
/// the idempotency key of what the message does. Letters, digits and `-` only,
/// so it can never name another object or key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SesMessageId(String);

impl SesMessageId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=100).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The idempotency key of the ticket this message opens.
    pub fn ticket_key(&self) -> String {
        format!("mail#{}", self.0)
    }
}

/// Which of our addresses an envelope recipient is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundRecipient {
    /// `{slug}@{INBOUND_DOMAIN}`: new mail opens a ticket in that workspace.
    Workspace(WorkspaceSlug),
    /// `reply+{token}@{INBOUND_DOMAIN}`: an answer to one of our emails.
    Reply(String),
}

impl InboundRecipient {
    /// `address` as one of ours at `domain`, if it is one (any case).
    pub fn parse(address: &str, domain: &str) -> Option<Self> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, at) = address.rsplit_once('@')?;
        if !at.eq_ignore_ascii_case(domain) {
            return None;
        }
        let local = local.to_ascii_lowercase();
        match local.strip_prefix(REPLY_LOCAL_PREFIX) {
            Some(token) => is_well_formed_reply_token(token).then(|| Self::Reply(token.to_owned())),
            None => WorkspaceSlug::parse(&local).map(Self::Workspace),
        }
    }
}

/// A mail domain we put into addresses and headers: lower-case letters,
/// digits, `-` and dots between labels, nothing else (so no configured value
/// can carry a header break).
pub fn parse_mail_domain(raw: &str) -> Option<String> {
    let domain = raw.trim().to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (domain.len() <= 253 && domain.contains('.') && domain.split('.').all(label_ok)).then_some(domain)
}

/// The reply address of a token.
pub fn reply_address(token: &str, domain: &str) -> String {
    format!("{REPLY_LOCAL_PREFIX}{token}@{domain}")
}

/// The id every email about a ticket names in `In-Reply-To` and `References`,
/// so mail clients thread them (SES replaces our `Message-ID`, never these),
/// and so an answer whose client dropped `Reply-To` still finds its ticket.
pub fn thread_root(slug: &WorkspaceSlug, reference: TicketRef, ticket_id: &str, domain: &str) -> String {
    format!("<tkt.{slug}.{reference}.{ticket_id}@{domain}>")
}

/// The workspace, ticket and ticket id a [`thread_root`] at `domain` names.
pub fn parse_thread_root(id: &str, domain: &str) -> Option<(WorkspaceSlug, TicketRef, String)> {
    let inner = id.strip_prefix("<tkt.")?.strip_suffix('>')?;
    let (local, at) = inner.rsplit_once('@')?;
    if !at.eq_ignore_ascii_case(domain) {
        return None;
    }
    let mut parts = local.split('.');
    let (slug, reference, ticket_id) = (parts.next()?, parts.next()?, parts.next()?);
    let id_ok = !ticket_id.is_empty() && ticket_id.bytes().all(|b| b.is_ascii_alphanumeric());
    if parts.next().is_some() || !id_ok {
        return None;
    }
    Some((WorkspaceSlug::parse(slug)?, TicketRef::parse(reference)?, ticket_id.to_owned()))
}

/// The workspace's inbound address (`portalctl workspace show`).
pub fn workspace_address(slug: &WorkspaceSlug, domain: &str) -> String {
    format!("{slug}@{domain}")
}

/// The addresses whose mail is our own: the sender and anything at the inbound
/// domain. Mail from them is never answered (a loop with ourselves).
pub fn own_addresses(mail_from: Option<&str>, inbound_domain: &str) -> OwnAddresses {
    let own = OwnAddresses::new().with_domain(inbound_domain);
    match mail_from {
        Some(from) => own.with_address(from),
        None => own,
    }
}

/// SES's verdicts on a received message (`PASS`, `FAIL`, `GRAY`,
/// `PROCESSING_FAILED`, `DISABLED`; empty when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdicts<'a> {
    pub spam: &'a str,
    pub virus: &'a str,
    pub spf: &'a str,
    pub dkim: &'a str,
    pub dmarc: &'a str,
}

impl Verdicts<'_> {
    /// Whether the message is dropped unread: a virus, or spam that also failed
    /// sender authentication (SPF, DKIM or DMARC). Spam alone still comes in:
    /// customers' mail is often misjudged, and an agent can close it.
    pub fn refuse(&self) -> bool {
        let failed = |status: &str| status.eq_ignore_ascii_case("FAIL");
        failed(self.virus) || (failed(self.spam) && (failed(self.spf) || failed(self.dkim) || failed(self.dmarc)))
    }

    /// Whether SES vouches that the From domain sent the message: DMARC passed
    /// (which needs an SPF or DKIM pass aligned with the From domain) and so did
    /// SPF or DKIM. Anything less (a missing, gray or failed verdict, scanning
    /// off) leaves From a claim anyone can type.
    pub fn sender_authenticated(&self) -> bool {
        let passed = |status: &str| status.eq_ignore_ascii_case("PASS");
        passed(self.dmarc) && (passed(self.spf) || passed(self.dkim))
    }
}

/// Why a mail that names an existing ticket opened a new one instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// It answers a Closed ticket, which takes no more messages.
    Closed(TicketRef),
    /// It came from the ticket's address, but nothing proves that address sent
    /// it (no reply address, no authenticated sender, or a workspace that
    /// tracks by link): a claim in a From header never writes to a ticket.
    Unverified(TicketRef),
}

impl FollowUp {
    /// The line that opens the new ticket's description.
    fn lead(self) -> String {
        match self {
            Self::Closed(closed) => format!("Follow-up to {closed}, which is closed."),
            Self::Unverified(named) => {
                format!("About {named}: sent by email from an address that could not be verified, so it opened a ticket of its own.")
            }
        }
    }
}

/// Why a mail from a person still opens no ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unticketable {
    /// The From address is not one the form would accept.
    SenderAddress,
}

/// The ticket a new mail opens: the From name (or the address's local part)
/// and address, the subject, and the text, shortened to the description
/// limit with a note (the whole message stays in S3), and a note of how many
/// attachments came (they are not shown yet).
pub fn new_ticket_from_mail(mail: &InboundMail, follows: Option<FollowUp>) -> Result<NewTicket, Unticketable> {
    let email = EmailAddress::parse(mail.from().as_str()).map_err(|_| Unticketable::SenderAddress)?;
    let name = [mail.display_name(), mail.from().local_part()]
        .into_iter()
        .find_map(|candidate| CustomerName::parse(shorten(candidate, MAX_NAME_CHARS).text).ok())
        .or_else(|| CustomerName::parse("Customer").ok())
        .ok_or(Unticketable::SenderAddress)?;
    let subject = Subject::parse(shorten(mail.subject().as_str(), MAX_SUBJECT_CHARS).text)
        .or_else(|_| Subject::parse(NO_SUBJECT))
        .map_err(|_| Unticketable::SenderAddress)?;
    // A mail answering a ticket it may not write to says which, and keeps only its new text.
    let (lead, text) = match follows {
        Some(follow_up) => (follow_up.lead(), mail.text().new_text().unwrap_or("")),
        None => (String::new(), mail.text().full()),
    };
    let description =
        MessageBody::parse_optional(&mail_body(&lead, text, mail.attachment_count()), "description").ok().flatten();
    Ok(NewTicket { name, email, subject, description, ticket_type: TicketType::default() })
}

/// A mail's text as a ticket description or comment, after `lead` (may be
/// empty): at most [`MAX_MESSAGE_CHARS`], notes included.
pub fn mail_body(lead: &str, text: &str, attachments: usize) -> String {
    let lead = if lead.is_empty() { String::new() } else { format!("{lead}\n\n") };
    let mut notes = String::new();
    if attachments > 0 {
        let plural = if attachments == 1 { "" } else { "s" };
        notes
            .push_str(&format!("\n\n[{attachments} attachment{plural} received with this email; not shown here yet.]"));
    }
    let cut_note = "\n\n[The email was longer than this; it was shortened here.]";
    let room = MAX_MESSAGE_CHARS.saturating_sub(notes.chars().count() + lead.chars().count());
    let cut = shorten(text, room);
    let mut body = if cut.was_shortened {
        let shorter = shorten(text, room.saturating_sub(cut_note.chars().count())).text;
        format!("{}{cut_note}", shorter.trim_end())
    } else {
        cut.text.to_owned()
    };
    body.push_str(&notes);
    format!("{lead}{}", body.trim()).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> InboundMail {
        InboundMail::parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn recipients_are_workspaces_or_reply_tokens_of_our_domain_only() {
        let token = "a".repeat(40);
        let demo = WorkspaceSlug::parse("demo").unwrap();
        assert_eq!(
            InboundRecipient::parse("Demo@Inbound.Localhost", "inbound.localhost"),
            Some(InboundRecipient::Workspace(demo))
        );
        assert_eq!(
            InboundRecipient::parse(&format!("reply+{token}@inbound.localhost"), "inbound.localhost"),
            Some(InboundRecipient::Reply(token.clone()))
        );
        for other in [
            "demo@example.com",
            "demo@sub.inbound.localhost",
            "reply+short@inbound.localhost",
            "../x@inbound.localhost",
            "demo",
            "",
        ] {
            assert_eq!(InboundRecipient::parse(other, "inbound.localhost"), None, "{other:?}");
        }
        assert_eq!(workspace_address(&WorkspaceSlug::parse("demo").unwrap(), "in.example"), "demo@in.example");
    }

    #[test]
    fn thread_roots_name_their_ticket_and_nothing_else_parses_as_one() {
        let demo = WorkspaceSlug::parse("demo").unwrap();
        let reference = TicketRef::from_number(42).unwrap();
        let root = thread_root(&demo, reference, "01J8ZQ", "in.example");
        assert_eq!(root, "<tkt.demo.TKT-0042.01J8ZQ@in.example>");
        assert!(inbound_mail::MessageId::parse(&root).is_some(), "a valid Message-ID");
        assert_eq!(parse_thread_root(&root, "in.example"), Some((demo, reference, "01J8ZQ".to_owned())));
        for other in [
            "<tkt.demo.TKT-0042.01J8ZQ@other.example>",
            "<tkt.demo.TKT-42.01J8ZQ@in.example>",
            "<tkt.demo.TKT-0042.01J8ZQ.x@in.example>",
            "<tkt.Demo!.TKT-0042.01J8ZQ@in.example>",
            "<tkt.demo.TKT-0042.@in.example>",
            "<x@in.example>",
        ] {
            assert_eq!(parse_thread_root(other, "in.example"), None, "{other}");
        }
    }

    #[test]
    fn mail_domains_are_plain_dns_names() {
        assert_eq!(parse_mail_domain(" Inbound.Example.COM ").as_deref(), Some("inbound.example.com"));
        for bad in ["", "localhost", "in bound.example", "x.example\r\nBcc: y", "a..b", "-a.b", "a.b/c", "é.example"] {
            assert_eq!(parse_mail_domain(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ses_message_ids_cannot_name_other_objects() {
        assert!(SesMessageId::parse("o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1").is_some());
        for bad in ["", "../x", "a/b", "a b", "a\r\nb", &"a".repeat(101)] {
            assert!(SesMessageId::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(SesMessageId::parse("m1").unwrap().ticket_key(), "mail#m1");
    }

    #[test]
    fn viruses_and_unauthenticated_spam_are_refused() {
        let pass = Verdicts { spam: "PASS", virus: "PASS", spf: "PASS", dkim: "PASS", dmarc: "PASS" };
        assert!(!pass.refuse());
        assert!(!Verdicts::default().refuse(), "no verdicts (scanning off) let mail in");
        assert!(Verdicts { virus: "FAIL", ..pass }.refuse());
        assert!(!Verdicts { spam: "FAIL", ..pass }.refuse(), "spam alone comes in");
        assert!(Verdicts { spam: "FAIL", spf: "FAIL", ..pass }.refuse());
        assert!(Verdicts { spam: "fail", dmarc: "FAIL", ..pass }.refuse());
        assert!(!Verdicts { spf: "FAIL", dkim: "FAIL", ..pass }.refuse(), "failed auth alone comes in");
    }

    #[test]
    fn only_dmarc_with_spf_or_dkim_authenticates_a_sender() {
        let pass = Verdicts { spam: "PASS", virus: "PASS", spf: "PASS", dkim: "PASS", dmarc: "PASS" };
        assert!(pass.sender_authenticated());
        assert!(Verdicts { spf: "FAIL", ..pass }.sender_authenticated(), "DKIM aligned is enough");
        assert!(Verdicts { dkim: "GRAY", ..pass }.sender_authenticated(), "SPF aligned is enough");
        assert!(Verdicts { dmarc: "pass", ..pass }.sender_authenticated());
        for unproven in [
            Verdicts { dmarc: "GRAY", ..pass },
            Verdicts { dmarc: "FAIL", ..pass },
            Verdicts { dmarc: "PROCESSING_FAILED", ..pass },
            Verdicts { spf: "GRAY", dkim: "FAIL", ..pass },
            Verdicts::default(),
        ] {
            assert!(!unproven.sender_authenticated(), "{unproven:?}");
        }
    }

    #[test]
    fn a_mail_becomes_the_ticket_the_form_would_make() {
        let mail = parse(
            "From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <Renee@Example.com>\r\nSubject: Printer broken\r\n\r\nIt does not print.\r\n",
        );
        let ticket = new_ticket_from_mail(&mail, None).unwrap();
        assert_eq!(ticket.name.as_str(), "Renée Müller");
        assert_eq!(ticket.email.as_str(), "Renee@example.com");
        assert_eq!(ticket.subject.as_str(), "Printer broken");
        assert_eq!(ticket.description.as_ref().map(MessageBody::as_str), Some("It does not print."));
        assert_eq!(ticket.ticket_type, TicketType::SupportRequest);

        let bare = parse("From: ann@example.com\r\n\r\n");
        let ticket = new_ticket_from_mail(&bare, None).unwrap();
        assert_eq!((ticket.name.as_str(), ticket.subject.as_str()), ("ann", NO_SUBJECT));
        assert!(ticket.description.is_none());
        let answer = parse(
            "From: ann@example.com\r\nSubject: Re: x\r\n\r\nStill broken.\r\n\r\nOn Mon, 5 Aug 2024 at 10:00, Ann <ann@example.com> wrote:\r\n> old\r\n",
        );
        let follow = new_ticket_from_mail(&answer, TicketRef::from_number(7).map(FollowUp::Closed)).unwrap();
        assert_eq!(
            follow.description.as_ref().map(MessageBody::as_str),
            Some("Follow-up to TKT-0007, which is closed.\n\nStill broken.")
        );

        let long = parse(&format!("From: A <a@example.com>\r\nSubject: {}\r\n\r\nx\r\n", "s".repeat(900)));
        assert_eq!(new_ticket_from_mail(&long, None).unwrap().subject.as_str().chars().count(), MAX_SUBJECT_CHARS);
    }

    #[test]
    fn long_texts_and_attachments_get_a_note_within_the_limit() {
        let body = mail_body("Follow-up to TKT-0001, which is closed.", &"é".repeat(9_000), 2);
        assert!(body.starts_with("Follow-up to TKT-0001, which is closed.\n\néé"));
        assert_eq!(body.chars().count(), MAX_MESSAGE_CHARS);
        assert!(
            body.contains("it was shortened here")
                && body.ends_with("2 attachments received with this email; not shown here yet.]")
        );
        assert_eq!(mail_body("", "Hi", 0), "Hi");
        assert_eq!(mail_body("", "", 1), "[1 attachment received with this email; not shown here yet.]");
        assert!(MessageBody::parse_optional(&body, "d").is_ok());
    }

    #[test]
    fn our_own_addresses_are_the_sender_and_the_inbound_domain() {
        let own = own_addresses(Some("support@portal.example"), "inbound.localhost");
        let of = |a: &str| own.contains(&inbound_mail::SenderAddress::parse(a).unwrap());
        assert!(of("Support@Portal.example") && of("reply+x@inbound.localhost") && of("demo@inbound.localhost"));
        assert!(!of("ann@example.com"));
    }
}

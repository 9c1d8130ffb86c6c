//! Automatic mail: bounces, auto-replies, lists and our own mail are never
//! answered and open nothing (RFC 3834), so that two robots cannot loop. The
//! header signals are read once at parse time; [`decide`] is the one decision.

use mail_parser::{Message, MimeHeaders};

use crate::address::{OwnAddresses, SenderAddress};
use crate::headers::{first_raw, first_token, has_header, raw_values};

/// Why a mail counts as automatic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoReason {
    /// `From` is one of the portal's own addresses or domains.
    OwnAddress,
    /// The envelope sender or `Return-Path` is empty (`<>`), `MAILER-DAEMON` or `postmaster`.
    NullSender,
    /// A `multipart/report` (a delivery status or read notification).
    DeliveryReport,
    /// `Auto-Submitted` with any value but `no`.
    AutoSubmitted,
    /// `X-Autoreply` or `X-Autorespond` present (with any value but `no`/`false`).
    AutoReplyHeader,
    /// `Precedence: bulk`, `junk` or `list`.
    Precedence,
    /// A `List-Id` header: mailing-list traffic.
    MailingList,
}

/// Who wrote a mail, as far as the loop rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A person: it may open a ticket or add a comment, and may be answered.
    Person,
    /// A person whose mail system asks for no automatic answers
    /// (`X-Auto-Response-Suppress: All`, `OOF` or `AutoReply`, as Exchange sets it):
    /// it may open a ticket or add a comment, but gets no automatic confirmation.
    PersonNoAutoReply,
    /// Automatic mail: never answered, opens nothing.
    Automatic(AutoReason),
}

/// The header signals of one message, read at parse time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AutoSignals {
    null_return_path: bool,
    report: bool,
    auto_submitted: bool,
    auto_reply_header: bool,
    precedence: bool,
    list: bool,
    suppress_auto_reply: bool,
}

impl AutoSignals {
    pub(crate) fn read(message: &Message<'_>) -> Self {
        let report = message.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
        });
        let auto_submitted = raw_values(message, "Auto-Submitted").any(|v| first_token(v) != "no");
        let auto_reply_header = ["X-Autoreply", "X-Autorespond"]
            .iter()
            .any(|name| raw_values(message, name).any(|v| !matches!(first_token(v).as_str(), "no" | "false")));
        let precedence =
            raw_values(message, "Precedence").any(|v| matches!(first_token(v).as_str(), "bulk" | "junk" | "list"));
        let suppress_auto_reply = raw_values(message, "X-Auto-Response-Suppress").any(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .any(|t| matches!(t.trim().to_ascii_lowercase().as_str(), "all" | "oof" | "autoreply"))
        });
        Self {
            // The topmost Return-Path is the one the last server wrote (SES writes one).
            null_return_path: first_raw(message, "Return-Path")
                .is_some_and(|v| is_null_sender(&String::from_utf8_lossy(v))),
            report,
            auto_submitted,
            auto_reply_header,
            precedence,
            list: has_header(message, "List-Id"),
            suppress_auto_reply,
        }
    }
}

/// Whether an envelope sender (SES `mail.source`, SMTP `MAIL FROM`) or a
/// `Return-Path` value marks a bounce: empty, `<>`, or a `MAILER-DAEMON` or
/// `postmaster` mailbox (any case, any domain).
pub fn is_null_sender(raw: &str) -> bool {
    let path = raw.trim();
    let path = path.strip_prefix('<').and_then(|p| p.strip_suffix('>')).unwrap_or(path).trim();
    let local = path.rsplit_once('@').map_or(path, |(local, _)| local);
    path.is_empty() || local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
}

/// The one decision: is this mail automatic, and if not, may it be answered?
pub(crate) fn decide(signals: &AutoSignals, from: &SenderAddress, envelope_sender: &str, own: &OwnAddresses) -> Origin {
    let reasons = [
        (own.contains(from), AutoReason::OwnAddress),
        (is_null_sender(envelope_sender) || signals.null_return_path, AutoReason::NullSender),
        (signals.report, AutoReason::DeliveryReport),
        (signals.auto_submitted, AutoReason::AutoSubmitted),
        (signals.auto_reply_header, AutoReason::AutoReplyHeader),
        (signals.precedence, AutoReason::Precedence),
        (signals.list, AutoReason::MailingList),
    ];
    match reasons.iter().find(|(applies, _)| *applies) {
        Some((_, reason)) => Origin::Automatic(*reason),
        None if signals.suppress_auto_reply => Origin::PersonNoAutoReply,
        None => Origin::Person,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    const ENVELOPE: &str = "ann@example.com";

    fn origin_of(headers: &str) -> Origin {
        origin_with(headers, ENVELOPE, &OwnAddresses::new())
    }

    fn origin_with(headers: &str, envelope: &str, own: &OwnAddresses) -> Origin {
        let raw = format!("From: Ann <ann@example.com>\r\nSubject: Hi\r\n{headers}\r\nBody\r\n");
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        decide(&AutoSignals::read(&message), &SenderAddress::parse("ann@example.com").unwrap(), envelope, own)
    }

    #[test]
    fn plain_mail_from_a_person_is_a_person() {
        assert_eq!(origin_of(""), Origin::Person);
        assert_eq!(
            origin_of("Auto-Submitted: no\r\nPrecedence: first-class\r\nReturn-Path: <ann@example.com>\r\n"),
            Origin::Person
        );
        assert_eq!(origin_of("Auto-Submitted: No (a person wrote this)\r\n"), Origin::Person);
    }

    #[test]
    fn auto_submitted_other_than_no_is_automatic() {
        for value in ["auto-replied", "auto-generated", "Auto-Notified; owner-email=\"a@b.c\"", "", "yes"] {
            assert_eq!(
                origin_of(&format!("Auto-Submitted: {value}\r\n")),
                Origin::Automatic(AutoReason::AutoSubmitted),
                "{value}"
            );
        }
    }

    #[test]
    fn precedence_bulk_junk_and_list_are_automatic() {
        for value in ["bulk", "junk", "list", "BULK", " list (digest)"] {
            assert_eq!(
                origin_of(&format!("Precedence: {value}\r\n")),
                Origin::Automatic(AutoReason::Precedence),
                "{value}"
            );
        }
    }

    #[test]
    fn any_list_id_is_automatic() {
        assert_eq!(
            origin_of("List-Id: Printers <printers.lists.example.com>\r\n"),
            Origin::Automatic(AutoReason::MailingList)
        );
        assert_eq!(origin_of("list-id: x\r\n"), Origin::Automatic(AutoReason::MailingList));
    }

    #[test]
    fn autoreply_headers_are_automatic() {
        assert_eq!(origin_of("X-Autoreply: yes\r\n"), Origin::Automatic(AutoReason::AutoReplyHeader));
        assert_eq!(origin_of("X-Autorespond: vacation\r\n"), Origin::Automatic(AutoReason::AutoReplyHeader));
        assert_eq!(origin_of("X-Autoreply: no\r\n"), Origin::Person);
    }

    #[test]
    fn auto_response_suppress_lets_the_mail_in_but_asks_for_no_answer() {
        assert_eq!(origin_of("X-Auto-Response-Suppress: All\r\n"), Origin::PersonNoAutoReply);
        assert_eq!(origin_of("X-Auto-Response-Suppress: DR, OOF, AutoReply\r\n"), Origin::PersonNoAutoReply);
        assert_eq!(origin_of("X-Auto-Response-Suppress: DR, RN, NRN\r\n"), Origin::Person);
    }

    #[test]
    fn null_envelopes_and_return_paths_are_bounces() {
        for envelope in ["", "<>", " <> ", "MAILER-DAEMON@mx.example.com", "<postmaster@example.com>", "mailer-daemon"]
        {
            assert_eq!(
                origin_with("", envelope, &OwnAddresses::new()),
                Origin::Automatic(AutoReason::NullSender),
                "{envelope:?}"
            );
        }
        assert_eq!(origin_of("Return-Path: <>\r\n"), Origin::Automatic(AutoReason::NullSender));
        assert_eq!(
            origin_of("Return-Path: <MAILER-DAEMON@example.com>\r\n"),
            Origin::Automatic(AutoReason::NullSender)
        );
        assert!(!is_null_sender("daemon@example.com"));
        assert!(!is_null_sender("postmaster-team@example.com"));
    }

    #[test]
    fn delivery_reports_are_automatic() {
        let headers = "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n";
        assert_eq!(origin_of(headers), Origin::Automatic(AutoReason::DeliveryReport));
    }

    #[test]
    fn our_own_from_is_automatic_and_wins_over_everything() {
        let own = OwnAddresses::new().with_address("ANN@example.com");
        assert_eq!(origin_with("Precedence: bulk\r\n", ENVELOPE, &own), Origin::Automatic(AutoReason::OwnAddress));
        let own_domain = OwnAddresses::new().with_domain("example.com");
        assert_eq!(origin_with("", ENVELOPE, &own_domain), Origin::Automatic(AutoReason::OwnAddress));
        let other = OwnAddresses::new().with_address("noreply@portal.example");
        assert_eq!(origin_with("", ENVELOPE, &other), Origin::Person);
    }
}

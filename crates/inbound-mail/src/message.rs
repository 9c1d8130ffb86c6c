//! [`InboundMail`]: a raw RFC 5322 message reduced to what the portal uses.

use std::fmt;

use mail_parser::{Message, MessageParser};

use crate::address::{bracketed_address, display_name, OwnAddresses, SenderAddress};
use crate::auto::{decide, AutoSignals, Origin};
use crate::body::{message_text, TextSource};
use crate::headers::{first_raw, legacy_8bit_header};
use crate::ids::{ids_in, single_id, MessageId, MAX_IN_REPLY_TO, MAX_REFERENCES};
use crate::quotes::strip_quotes;
use crate::subject::{Subject, TicketMention};

/// Why a raw message gives no [`InboundMail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// No header could be read: not a mail.
    NotAMessage,
    /// No `From`, or its first address is not a valid [`SenderAddress`]:
    /// nobody to open a ticket for or to check a reply against.
    NoSender,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAMessage => "not an email message",
            Self::NoSender => "the message has no valid From address",
        })
    }
}

impl std::error::Error for ParseError {}

/// A message's text: whole, and with quoted history cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    full: String,
    new: String,
    source: TextSource,
}

impl MailText {
    /// The whole text (normalised: LF line ends, no control characters but tab
    /// and newline, trimmed), quotes included.
    pub fn full(&self) -> &str {
        &self.full
    }

    /// What the sender wrote this time ([`crate::strip_quotes`] of the whole text;
    /// the whole text for a forward, whose history is the point). `None` when
    /// nothing is left: the caller decides (an empty reply, a mail of only quotes).
    pub fn new_text(&self) -> Option<&str> {
        (!self.new.is_empty()).then_some(self.new.as_str())
    }

    /// Whether stripping removed anything.
    pub fn quote_was_cut(&self) -> bool {
        self.new != self.full
    }

    /// Whether the text came from a text/plain part or from converted HTML.
    pub fn source(&self) -> TextSource {
        self.source
    }
}

/// What the portal needs from one inbound message, each part already in the
/// only form the portal accepts (see each type's rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    from: SenderAddress,
    display_name: String,
    subject: Subject,
    message_id: Option<MessageId>,
    in_reply_to: Vec<MessageId>,
    references: Vec<MessageId>,
    text: MailText,
    attachments: usize,
    signals: AutoSignals,
}

impl InboundMail {
    /// Parses a raw message (the bytes SES stores in S3). Never panics on any input.
    pub fn parse(raw: &[u8]) -> Result<Self, ParseError> {
        let message = MessageParser::default().parse(raw).ok_or(ParseError::NotAMessage)?;
        // From and Subject in raw Latin-1 are read again from their windows-1252 text.
        let (legacy_from, legacy_subject) =
            (legacy_8bit_header(&message, "From"), legacy_8bit_header(&message, "Subject"));
        let (from_message, subject_message) = (reparse(legacy_from.as_deref()), reparse(legacy_subject.as_deref()));
        let sender = from_message.as_ref().unwrap_or(&message).from().and_then(|from| from.first());
        // The raw header's bracketed address first: a lenient parse glues markup
        // in a display name (`<b>Name</b> <a@b.c>`) into the address.
        let raw_from = legacy_from.as_deref().map(str::as_bytes).or_else(|| first_raw(&message, "From"));
        let from = raw_from
            .and_then(bracketed_address)
            .or_else(|| sender.and_then(|s| s.address()).and_then(SenderAddress::parse))
            .ok_or(ParseError::NoSender)?;
        let subject = Subject::from_decoded(subject_message.as_ref().unwrap_or(&message).subject().unwrap_or(""));
        let (text, source) = message_text(&message);
        let full = text.trim().to_owned();
        let new = if subject.is_forward() { full.clone() } else { strip_quotes(&full) };
        Ok(Self {
            display_name: display_name(sender.and_then(|s| s.name())),
            from,
            message_id: first_raw(&message, "Message-ID").and_then(single_id),
            in_reply_to: first_raw(&message, "In-Reply-To").map_or_else(Vec::new, |v| ids_in(v, MAX_IN_REPLY_TO)),
            references: first_raw(&message, "References").map_or_else(Vec::new, |v| ids_in(v, MAX_REFERENCES)),
            subject,
            text: MailText { full, new, source },
            attachments: message.attachment_count(),
            signals: AutoSignals::read(&message),
        })
    }

    /// The first address of `From`.
    pub fn from(&self) -> &SenderAddress {
        &self.from
    }

    /// The `From` display name (decoded, one line, no control characters, at most
    /// [`crate::MAX_DISPLAY_NAME_CHARS`]); empty when absent or when it is only an address.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The subject (possibly empty).
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The first `[TKT-nnnn]` of the subject.
    pub fn ticket_mention(&self) -> Option<TicketMention> {
        self.subject.ticket_mention()
    }

    /// The sender's `Message-ID`, when it is exactly one valid id.
    pub fn message_id(&self) -> Option<&MessageId> {
        self.message_id.as_ref()
    }

    /// The valid ids of `In-Reply-To` (at most [`crate::MAX_IN_REPLY_TO`]).
    pub fn in_reply_to(&self) -> &[MessageId] {
        &self.in_reply_to
    }

    /// The valid ids of `References`, oldest first (at most [`crate::MAX_REFERENCES`]:
    /// the first and the latest).
    pub fn references(&self) -> &[MessageId] {
        &self.references
    }

    /// Every id this mail answers, nearest first: `In-Reply-To`, then `References`
    /// from the newest. For finding the ticket when a reply token is missing.
    pub fn thread_ids(&self) -> impl Iterator<Item = &MessageId> {
        self.in_reply_to.iter().chain(self.references.iter().rev())
    }

    /// The text, whole and new.
    pub fn text(&self) -> &MailText {
        &self.text
    }

    /// How many attachments came with it (the portal does not show them yet).
    pub fn attachment_count(&self) -> usize {
        self.attachments
    }

    /// The one decision on automatic mail (see [`Origin`]): header signals,
    /// the envelope sender (SES `mail.source`, SMTP `MAIL FROM`; empty for `<>`)
    /// and whether `From` is one of `own`.
    pub fn origin(&self, envelope_sender: &str, own: &OwnAddresses) -> Origin {
        decide(&self.signals, &self.from, envelope_sender, own)
    }
}

fn reparse(header: Option<&str>) -> Option<Message<'_>> {
    MessageParser::default().parse(header?.as_bytes())
}

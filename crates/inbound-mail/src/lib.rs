//! Inbound email for the portal, as pure functions: no AWS, no HTTP, no async.
//!
//! [`InboundMail::parse`] turns the raw bytes of a message (RFC 5322, MIME, any
//! charset) into the few values the portal uses, each in a type that cannot hold
//! an invalid value: the sender ([`SenderAddress`], display name), the
//! [`Subject`] and its [`TicketMention`], the threading ids ([`MessageId`]), the
//! text whole and with quoted history cut ([`MailText`], [`strip_quotes`]), the
//! number of attachments, and the header signals that [`InboundMail::origin`]
//! turns into one decision on automatic mail ([`Origin`]).
//!
//! ```
//! use inbound_mail::{InboundMail, Origin, OwnAddresses};
//!
//! let raw = b"From: Ann Lee <ann@Example.com>\r\nSubject: Re: Printer [TKT-0042]\r\n\
//!             Message-ID: <x1@mail.example.com>\r\n\r\nWorks now!\r\n\r\n\
//!             On Mon, 5 Aug 2024 at 10:00, Demo <noreply@portal.example> wrote:\r\n> Try again\r\n";
//! let mail = InboundMail::parse(raw).unwrap();
//! assert_eq!(mail.from().as_str(), "ann@example.com");
//! assert_eq!(mail.ticket_mention().map(|t| t.number()), Some(42));
//! assert_eq!(mail.text().new_text(), Some("Works now!"));
//! let own = OwnAddresses::new().with_address("noreply@portal.example");
//! assert_eq!(mail.origin("ann@example.com", &own), Origin::Person);
//! ```

mod address;
mod auto;
mod body;
mod headers;
mod ids;
mod message;
mod quotes;
mod subject;
mod text;

pub use address::{OwnAddresses, SenderAddress, MAX_ADDRESS_CHARS, MAX_DISPLAY_NAME_CHARS};
pub use auto::{is_null_sender, AutoReason, Origin};
pub use body::{TextSource, MAX_HTML_BYTES, MAX_HTML_DEPTH, MAX_TEXT_BYTES};
pub use ids::{MessageId, MAX_ID_INNER_CHARS, MAX_IN_REPLY_TO, MAX_REFERENCES};
pub use message::{InboundMail, MailText, ParseError};
pub use quotes::{strip_quotes, FOOTER_MARKER};
pub use subject::{Subject, TicketMention, MAX_SUBJECT_CHARS};
pub use text::{shorten, Shortened};

/// Largest raw message the portal accepts (issue 16: "over 10 MB are refused").
/// The inbound function drops bigger objects before parsing; the dev SMTP
/// receiver advertises it as `SIZE` and answers 552 past it.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

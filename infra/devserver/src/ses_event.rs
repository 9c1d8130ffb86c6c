//! The SES receipt event for a message the dev SMTP receiver stored, in the shape
//! AWS delivers to a Lambda action (SES Developer Guide, "Lambda action" event:
//! `Records[0].ses.{mail, receipt}`; the body is not in it, it is in S3 under
//! the rule's prefix + `mail.messageId`). Spam and virus verdicts are PASS;
//! SPF, DKIM and DMARC are GRAY, as SES reports a sender it cannot check:
//! nothing authenticates a sender on a laptop, so a local From header is only
//! a claim (tests that need an authenticated sender set the verdicts). The
//! function reads it as [`SesReceiptEvent`].

use mail_parser::{Address, MessageParser};
use serde_json::{json, Value};

use crate::smtp::Envelope;

/// SES stops listing headers in the event past this many bytes (`headersTruncated`).
const MAX_EVENT_HEADER_BYTES: usize = 10 * 1024;
/// SES message ids are 40 characters of lower-case letters and digits.
const MESSAGE_ID_LEN: usize = 40;

/// A fresh SES-like message id (`o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1`), unique per message.
pub fn new_message_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..MESSAGE_ID_LEN).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// Where SES stores a message: the S3 action's prefix and the message id, with
/// no separator (so the prefix ends in `/`: `inbound/`).
pub fn object_key(prefix: &str, message_id: &str) -> String {
    format!("{prefix}{message_id}")
}

/// The message as SES stores it: a `Return-Path` with the envelope sender on top.
pub fn as_stored(envelope: &Envelope, raw: &[u8]) -> Vec<u8> {
    // The SMTP receiver refuses paths with spaces or control characters, so this is one header line.
    let mut stored = format!("Return-Path: <{}>\r\n", envelope.sender).into_bytes();
    stored.extend_from_slice(raw);
    stored
}

/// One received message, for [`receipt_event`].
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    /// The message id: the S3 object's name under the prefix.
    pub message_id: &'a str,
    /// `MAIL FROM` (empty for `<>`) and the accepted `RCPT TO`s.
    pub envelope: &'a Envelope,
    /// The message as stored ([`as_stored`]).
    pub raw: &'a [u8],
    /// When it arrived, Unix milliseconds.
    pub received_at_ms: i64,
    /// The function the receipt rule invokes.
    pub function_arn: &'a str,
}

/// The event SES would send the inbound function for `receipt`.
pub fn receipt_event(receipt: &Receipt<'_>) -> Value {
    let timestamp = rfc3339_millis(receipt.received_at_ms);
    let (scanned, unchecked) = (json!({ "status": "PASS" }), json!({ "status": "GRAY" }));
    let parsed = MessageParser::default().parse(receipt.raw);
    let (mut headers, mut truncated, mut header_bytes) = (Vec::new(), false, 0);
    let mut common = serde_json::Map::new();
    let mut destination = Vec::new();
    if let Some(message) = &parsed {
        for header in message.headers() {
            let raw =
                message.raw_message().get(header.offset_start as usize..header.offset_end as usize).unwrap_or(b"");
            let value = unfold(&String::from_utf8_lossy(raw));
            header_bytes += header.name.as_str().len() + value.len();
            if header_bytes > MAX_EVENT_HEADER_BYTES {
                truncated = true;
                break;
            }
            headers.push(json!({ "name": header.name.as_str(), "value": value }));
        }
        common.insert("returnPath".into(), json!(receipt.envelope.sender));
        for (field, list) in [("from", message.from()), ("to", message.to()), ("cc", message.cc())] {
            if let Some(list) = list {
                common.insert(field.into(), json!(mailboxes(list)));
            }
        }
        if let Some(date) = message.header_raw("Date") {
            common.insert("date".into(), json!(unfold(date)));
        }
        if let Some(id) = message.message_id() {
            common.insert("messageId".into(), json!(format!("<{id}>")));
        }
        if let Some(subject) = message.subject() {
            common.insert("subject".into(), json!(subject));
        }
        let addresses = |list: Option<&Address<'_>>| {
            list.into_iter().flat_map(|l| l.iter()).filter_map(|a| a.address().map(str::to_owned)).collect::<Vec<_>>()
        };
        destination = [addresses(message.to()), addresses(message.cc())].concat();
    }
    json!({ "Records": [{
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": timestamp,
                "source": receipt.envelope.sender,
                "messageId": receipt.message_id,
                "destination": destination,
                "headersTruncated": truncated,
                "headers": headers,
                "commonHeaders": common,
            },
            "receipt": {
                "timestamp": timestamp,
                "processingTimeMillis": 0,
                "recipients": receipt.envelope.recipients,
                "spamVerdict": scanned, "virusVerdict": scanned, "spfVerdict": unchecked,
                "dkimVerdict": unchecked, "dmarcVerdict": unchecked,
                "action": { "type": "Lambda", "functionArn": receipt.function_arn, "invocationType": "Event" },
            },
        },
    }]})
}

/// `Name <address>` per mailbox, as SES writes `commonHeaders.from`.
fn mailboxes(list: &Address<'_>) -> Vec<String> {
    list.iter()
        .filter_map(|a| {
            let address = a.address()?;
            Some(a.name().map_or_else(|| address.to_owned(), |name| format!("{name} <{address}>")))
        })
        .collect()
}

/// A header value on one line, as SES lists it.
fn unfold(raw: &str) -> String {
    raw.split(['\r', '\n']).map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `2026-08-05T21:30:02.028Z`.
fn rfc3339_millis(unix_ms: i64) -> String {
    let seconds = portal::domain::time::rfc3339(unix_ms.div_euclid(1000));
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), unix_ms.rem_euclid(1000))
}

/// The event as the inbound function reads it (kept beside the builder for its tests).
pub use portal::entry::mail_in::{
    SesAction, SesMail, SesNotification, SesReceipt, SesReceiptEvent, SesRecord, SesVerdict,
};

#[cfg(test)]
#[path = "ses_event_tests.rs"]
mod tests;

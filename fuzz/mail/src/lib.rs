//! Properties the `mail` target checks on every input, each stated from the
//! outside (what the portal may rely on when it reuses a value), written here
//! again rather than calling the crate's own checks.

use inbound_mail::{
    shorten, strip_quotes, InboundMail, MessageId, OwnAddresses, MAX_ADDRESS_CHARS, MAX_DISPLAY_NAME_CHARS,
    MAX_IN_REPLY_TO, MAX_REFERENCES, MAX_SUBJECT_CHARS,
};

/// The portal's description limit, as the caller will pass it.
const PORTAL_TEXT_LIMIT: usize = 5_000;

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line: no control character, no line or paragraph separator, no bidi control.
fn assert_single_line(value: &str, max_chars: usize, what: &str) {
    assert!(
        !value.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}' || is_bidi_control(c)),
        "{what} is not one clean line: {value:?}"
    );
    assert_eq!(value.trim(), value, "{what} is not trimmed: {value:?}");
    assert!(value.chars().count() <= max_chars, "{what} is too long: {value:?}");
}

/// Multi-line text: LF line ends, no control character but newline and tab, no bidi control.
fn assert_clean_text(value: &str, what: &str) {
    assert!(
        !value.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)),
        "{what} has control characters: {value:?}"
    );
    assert_eq!(value.trim(), value, "{what} is not trimmed: {value:?}");
}

/// `<local@domain>`: 1 to 250 printable ASCII characters inside, no angle
/// brackets there, exactly one `@` with something on both sides.
fn assert_strict_id(id: &MessageId) {
    let raw = id.as_str();
    let inner = raw.strip_prefix('<').and_then(|r| r.strip_suffix('>'));
    let ok = inner.is_some_and(|inner| {
        let at = inner.bytes().filter(|&b| b == b'@').count();
        (1..=250).contains(&inner.len())
            && inner.bytes().all(|b| (b'!'..=b'~').contains(&b) && b != b'<' && b != b'>')
            && at == 1
            && !inner.starts_with('@')
            && !inner.ends_with('@')
    });
    assert!(ok, "id of the wrong shape: {raw:?}");
    assert_eq!(MessageId::parse(raw).as_ref(), Some(id), "an id does not parse back: {raw:?}");
}

/// A raw message through the parser: every value it hands out keeps its rules.
pub fn check_mail(data: &[u8]) {
    let Ok(mail) = InboundMail::parse(data) else { return };

    let from = mail.from().as_str();
    assert!(from.chars().count() <= MAX_ADDRESS_CHARS, "address too long: {from:?}");
    assert_eq!(from.matches('@').count(), 1, "not one @: {from:?}");
    assert!(!from.chars().any(|c| c.is_whitespace() || c.is_control()), "address with spaces: {from:?}");
    assert_eq!(mail.from().domain(), mail.from().domain().to_lowercase(), "domain not lower-cased: {from:?}");

    assert_single_line(mail.display_name(), MAX_DISPLAY_NAME_CHARS, "display name");
    assert_single_line(mail.subject().as_str(), MAX_SUBJECT_CHARS, "subject");
    if let Some(mention) = mail.ticket_mention() {
        let written = format!("[TKT-{:04}]", mention.number());
        assert!(mail.subject().as_str().contains(&written), "mention {written} not in the subject");
    }

    mail.message_id().into_iter().chain(mail.in_reply_to()).chain(mail.references()).for_each(assert_strict_id);
    assert!(mail.in_reply_to().len() <= MAX_IN_REPLY_TO && mail.references().len() <= MAX_REFERENCES);

    let text = mail.text();
    assert_clean_text(text.full(), "full text");
    if let Some(new) = text.new_text() {
        assert_clean_text(new, "new text");
        assert!(!new.is_empty());
        if mail.subject().is_forward() {
            // A forward keeps its history: there is nothing to strip.
            assert_eq!(new, text.full(), "a forward lost text");
        } else {
            assert_eq!(strip_quotes(new), new, "stripping the new text again changed it");
        }
        let cut = shorten(new, PORTAL_TEXT_LIMIT);
        assert!(new.starts_with(cut.text) && cut.text.chars().count() <= PORTAL_TEXT_LIMIT);
        assert_eq!(cut.was_shortened, new.chars().count() > PORTAL_TEXT_LIMIT);
    }

    let own = OwnAddresses::new().with_address("noreply@portal.example").with_domain("inbound.localhost");
    let _ = mail.origin("", &own);
    let _ = mail.origin(from, &own);
}

/// The bytes as the body of an HTML-only mail: the converter never leaks a
/// control character and its output survives stripping.
pub fn check_html_body(data: &[u8]) {
    let mut raw = b"From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n".to_vec();
    raw.extend_from_slice(data);
    check_mail(&raw);
}

/// Any text through the stripper: trimmed, LF only, and a fixed point.
pub fn check_strip(text: &str) {
    let once = strip_quotes(text);
    assert_eq!(once.trim(), once, "not trimmed: {once:?}");
    assert!(!once.contains('\r'), "CR left in {once:?}");
    assert_eq!(strip_quotes(&once), once, "not idempotent on {text:?}");
}

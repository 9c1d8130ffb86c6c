//! Raw header access: the bytes a sender wrote, for the rules that must not
//! depend on how leniently the parser reads a header (ids, loop signals).

use mail_parser::Message;

/// The raw values (after the colon, folding included) of every top-level header
/// called `name` (any case), in order.
pub(crate) fn raw_values<'a>(message: &'a Message<'_>, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
    let raw = message.raw_message();
    message
        .headers()
        .iter()
        .filter(move |h| h.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(move |h| raw.get(h.offset_start as usize..h.offset_end as usize))
}

/// The first raw value of `name`.
pub(crate) fn first_raw<'a>(message: &'a Message<'_>, name: &'a str) -> Option<&'a [u8]> {
    raw_values(message, name).next()
}

/// Whether the message has a header `name` at all.
pub(crate) fn has_header(message: &Message<'_>, name: &str) -> bool {
    message.headers().iter().any(|h| h.name.as_str().eq_ignore_ascii_case(name))
}

/// A header written as raw 8-bit bytes that are not UTF-8 (an old client's
/// Latin-1), rebuilt as `Name: value` with the bytes read as windows-1252 (a
/// superset of Latin-1, as browsers read unlabelled text), for parsing again:
/// so `Renée` stays `Renée` instead of `Ren\u{fffd}e`. `None` when the header
/// is absent or UTF-8 (the parser's own reading stands).
pub(crate) fn legacy_8bit_header(message: &Message<'_>, name: &str) -> Option<String> {
    let raw = first_raw(message, name)?;
    if std::str::from_utf8(raw).is_ok() {
        return None;
    }
    let windows_1252 = mail_parser::decoders::charsets::map::charset_decoder(b"windows-1252")?;
    Some(format!("{name}:{}\r\n\r\n", windows_1252(raw).trim_end()))
}

/// The first word of a structured value, lower-cased: `auto-replied` from
/// ` Auto-Replied; owner-email=…`, `bulk` from `bulk (comment)`. Empty if none.
pub(crate) fn first_token(raw: &[u8]) -> String {
    let value = String::from_utf8_lossy(raw);
    value
        .trim_start()
        .split(|c: char| c == ';' || c == '(' || c == ',' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn raw_values_are_found_case_insensitively_in_order() {
        let raw = b"From: a@b.c\r\nX-Test: one\r\nx-test:  two\r\n (folded)\r\nSubject: s\r\n\r\nbody";
        let message = MessageParser::default().parse(&raw[..]).unwrap();
        let values: Vec<String> =
            raw_values(&message, "X-TEST").map(|v| String::from_utf8_lossy(v).into_owned()).collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].trim(), "one");
        assert!(values[1].contains("two") && values[1].contains("(folded)"));
        assert!(has_header(&message, "subject"));
        assert!(!has_header(&message, "List-Id"));
        assert_eq!(
            first_raw(&message, "x-test").map(|v| String::from_utf8_lossy(v).trim().to_owned()).as_deref(),
            Some("one")
        );
    }

    #[test]
    fn only_non_utf8_headers_are_rebuilt() {
        let raw = b"From: Ren\xe9e <r@example.fr>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nbody";
        let message = MessageParser::default().parse(&raw[..]).unwrap();
        assert_eq!(legacy_8bit_header(&message, "From").as_deref(), Some("From: Renée <r@example.fr>\r\n\r\n"));
        assert_eq!(legacy_8bit_header(&message, "Subject"), None);
        assert_eq!(legacy_8bit_header(&message, "To"), None);
    }

    #[test]
    fn first_tokens_stop_at_parameters_and_comments() {
        assert_eq!(first_token(b" Auto-Replied; owner-email=x"), "auto-replied");
        assert_eq!(first_token(b"bulk (digest)"), "bulk");
        assert_eq!(first_token(b"no(comment)"), "no");
        assert_eq!(first_token(b"  \r\n"), "");
        assert_eq!(first_token(b"\xffNO"), "\u{fffd}no");
    }
}

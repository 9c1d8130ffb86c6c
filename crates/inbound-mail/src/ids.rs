//! Message ids (`Message-ID`, `In-Reply-To`, `References`). They come from the
//! sender, and the portal reuses them in its own headers, so only one strict
//! shape is accepted and everything else is dropped, never repaired.

use std::collections::VecDeque;
use std::fmt;

/// Most characters between the angle brackets of an id.
pub const MAX_ID_INNER_CHARS: usize = 250;
/// Most ids kept from `References`: the first (the thread's root) and the last
/// ones (the nearest parents), as RFC 5322 §3.6.4 suggests when trimming.
pub const MAX_REFERENCES: usize = 20;
/// Most ids kept from `In-Reply-To` (normally one).
pub const MAX_IN_REPLY_TO: usize = 4;

/// A message id in the form `<local@domain>`: between the brackets 1 to 250
/// printable ASCII characters (`!` to `~`), no `<` or `>`, exactly one `@` with
/// something on both sides. So no spaces, no line breaks, no control characters:
/// safe to write into an outgoing header as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    /// The id, when `raw` (trimmed) is exactly one id of the strict shape.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let inner = raw.strip_prefix('<')?.strip_suffix('>')?;
        let printable = inner.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'<' && b != b'>');
        let one_at = match inner.split_once('@') {
            Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
            None => false,
        };
        (printable && one_at && inner.len() <= MAX_ID_INNER_CHARS).then(|| Self(raw.to_owned()))
    }

    /// `<local@domain>`, brackets included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `local@domain`, as some APIs want it.
    pub fn without_brackets(&self) -> &str {
        &self.0[1..self.0.len() - 1]
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every `<…>` token of a raw header value that is a valid id, in order; text
/// outside the brackets (comments, old-style phrases, folding) is ignored, and a
/// malformed token (a space, a nested `<`, no `@`) is dropped. When there are
/// more than `keep`, the first one and the last `keep - 1` are kept.
pub(crate) fn ids_in(raw: &[u8], keep: usize) -> Vec<MessageId> {
    let mut first: Option<MessageId> = None;
    let mut last: VecDeque<MessageId> = VecDeque::new();
    let mut rest = raw;
    while let Some(open) = rest.iter().position(|&b| b == b'<') {
        let after_open = &rest[open..];
        let Some(close) = after_open.iter().position(|&b| b == b'>') else { break };
        let token = &after_open[..=close];
        rest = &after_open[close + 1..];
        let Some(id) = std::str::from_utf8(token).ok().and_then(MessageId::parse) else { continue };
        if keep == 0 {
            break;
        }
        if first.is_none() {
            first = Some(id);
            continue;
        }
        last.push_back(id);
        if last.len() > keep - 1 {
            last.pop_front();
        }
    }
    first.into_iter().chain(last).collect()
}

/// The header's single id, when the whole value is exactly one valid id.
pub(crate) fn single_id(raw: &[u8]) -> Option<MessageId> {
    std::str::from_utf8(raw).ok().and_then(MessageId::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(ids: &[MessageId]) -> Vec<&str> {
        ids.iter().map(MessageId::as_str).collect()
    }

    #[test]
    fn real_clients_ids_are_accepted() {
        for good in [
            "<CAF=abc123+x_y@mail.gmail.com>",
            "<DB7PR01MB1234ABCD5678EF@DB7PR01MB1234.eurprd01.prod.exchangelabs.com>",
            "<0100018f-1b2c-4d5e-8f90-123456789abc-000000@email.amazonses.com>",
            "<tkt-01J8ZQ2Y3M4N5P6Q7R8S9T0V1W@inbound.example.com>",
            " <a@b>\r\n",
        ] {
            let id = MessageId::parse(good).unwrap_or_else(|| panic!("{good:?}"));
            assert_eq!(id.as_str(), good.trim());
        }
        assert_eq!(MessageId::parse("<a@b>").unwrap().without_brackets(), "a@b");
    }

    #[test]
    fn anything_but_the_strict_shape_is_dropped() {
        let long = format!("<{}@b>", "a".repeat(MAX_ID_INNER_CHARS - 1));
        assert!(MessageId::parse(&long).is_none());
        assert!(MessageId::parse(&format!("<{}@b>", "a".repeat(MAX_ID_INNER_CHARS - 2))).is_some());
        for bad in [
            "a@b",
            "<a@b",
            "a@b>",
            "<>",
            "<@b>",
            "<a@>",
            "<ab>",
            "<a@b@c>",
            "<a b@c>",
            "<a@b\r\nBcc: x@y>",
            "<a@b>\r\nBcc: x@y",
            "<a\t@b>",
            "<a<x@b>",
            "<<a@b>>",
            "<a@b> <c@d>",
            "<é@b>",
            "<a@b\u{0}>",
        ] {
            assert!(MessageId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn header_values_yield_their_valid_ids_in_order() {
        let raw = b" <one@a>\r\n\t<two@b> (comment <not an id>) <bad id@c> <three@c>";
        assert_eq!(strings(&ids_in(raw, 10)), ["<one@a>", "<two@b>", "<three@c>"]);
        // Old-style In-Reply-To with a phrase around the id.
        assert_eq!(strings(&ids_in(b"Ann's message of Monday <x@y>", 4)), ["<x@y>"]);
        assert_eq!(strings(&ids_in(b"<<a@b> <c@d", 4)), Vec::<&str>::new());
        assert!(ids_in(b"no ids at all", 4).is_empty());
        assert!(ids_in(b"<a@b>", 0).is_empty());
        assert!(ids_in(b"\xff<a@b>\xfe <c\xff@d>", 4).len() == 1);
    }

    #[test]
    fn long_reference_lists_keep_the_root_and_the_nearest_parents() {
        let raw: String = (1..=100).map(|i| format!("<m{i}@x> ")).collect();
        let kept = ids_in(raw.as_bytes(), MAX_REFERENCES);
        assert_eq!(kept.len(), MAX_REFERENCES);
        assert_eq!(kept[0].as_str(), "<m1@x>");
        assert_eq!(kept[1].as_str(), "<m82@x>");
        assert_eq!(kept[MAX_REFERENCES - 1].as_str(), "<m100@x>");
        assert_eq!(strings(&ids_in(b"<a@x> <b@x>", 1)), ["<a@x>"]);
    }

    #[test]
    fn single_ids_must_be_the_whole_value() {
        assert_eq!(single_id(b" <a@b>\r\n").unwrap().as_str(), "<a@b>");
        assert!(single_id(b"<a@b> (comment)").is_none());
        assert!(single_id(b"a@b").is_none());
        assert!(single_id(b"\xff").is_none());
    }
}

//! The subject line and the ticket reference it may carry.

use crate::text::single_line;

/// Longest subject kept (RFC 5322's line limit); the portal shortens further to
/// its own subject limit with [`crate::shorten`].
pub const MAX_SUBJECT_CHARS: usize = 998;

/// A subject: RFC 2047 decoded by the parser, one line (folding and line breaks
/// become spaces), no control characters, trimmed, at most [`MAX_SUBJECT_CHARS`]
/// characters. Empty when the mail has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    /// Cleans a decoded subject.
    pub fn from_decoded(decoded: &str) -> Self {
        Self(single_line(decoded, MAX_SUBJECT_CHARS))
    }

    /// A forwarded message (`Fwd:`, `FW:`, `WG:`, `TR:`, `RV:`) is kept whole:
    /// its "quote" is what the sender wants us to read.
    pub fn is_forward(&self) -> bool {
        let lower = self.0.to_lowercase();
        ["fwd:", "fw:", "wg:", "tr:", "rv:"].iter().any(|prefix| lower.starts_with(prefix))
    }

    /// The cleaned subject.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the mail had no subject, or only whitespace and controls.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first `[TKT-nnnn]` in the subject, if any.
    pub fn ticket_mention(&self) -> Option<TicketMention> {
        TicketMention::find(&self.0)
    }
}

/// A ticket reference written as `[TKT-0042]` in a subject (the form the
/// portal's emails use). The digits follow the portal's canonical references:
/// 4 to 12 digits, zero-padded to 4 and no further (`TKT-00042` is not one),
/// a number from 1. The prefix is upper case, as the portal writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketMention(u64);

const MIN_DIGITS: usize = 4;
const MAX_DIGITS: usize = 12;

impl TicketMention {
    /// The first well-formed `[TKT-nnnn]` in `subject`; malformed ones are skipped.
    pub fn find(subject: &str) -> Option<Self> {
        subject.match_indices("[TKT-").find_map(|(start, _)| {
            let rest = &subject[start + "[TKT-".len()..];
            let (digits, _) = rest.split_once(']')?;
            Self::from_digits(digits)
        })
    }

    fn from_digits(digits: &str) -> Option<Self> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u64 = digits.parse().ok()?;
        let canonical = format!("{number:0MIN_DIGITS$}");
        (number >= 1 && canonical == digits).then_some(Self(number))
    }

    /// The ticket number (42 for `[TKT-0042]`).
    pub fn number(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(subject: &str) -> Option<u64> {
        Subject::from_decoded(subject).ticket_mention().map(TicketMention::number)
    }

    #[test]
    fn subjects_are_single_trimmed_bounded_lines() {
        assert_eq!(Subject::from_decoded("  Re: Printer\r\n broken\t\u{7} ").as_str(), "Re: Printer broken");
        assert!(Subject::from_decoded(" \r\n\u{0} ").is_empty());
        assert!(Subject::default().is_empty());
        assert_eq!(Subject::from_decoded(&"s".repeat(5_000)).as_str().chars().count(), MAX_SUBJECT_CHARS);
    }

    #[test]
    fn the_first_canonical_reference_is_found() {
        assert_eq!(mention("Re: Printer broken [TKT-0042]"), Some(42));
        assert_eq!(mention("[TKT-12345] Re: [TKT-0001]"), Some(12345));
        assert_eq!(mention("AW: WG: [TKT-0007] nochmal"), Some(7));
        assert_eq!(mention("[TKT-42] then [TKT-0043]"), Some(43));
        assert_eq!(mention("[TKT-999999999999]"), Some(999_999_999_999));
    }

    #[test]
    fn non_canonical_references_are_not_mentions() {
        for subject in [
            "no reference",
            "TKT-0042 without brackets",
            "[TKT-42]",
            "[TKT-00042]",
            "[TKT-0000]",
            "[tkt-0042]",
            "[TKT-00a1]",
            "[TKT- 0042]",
            "[TKT-0042",
            "[TKT-1234567890123]",
            "[TKT-０１２３]",
        ] {
            assert_eq!(mention(subject), None, "{subject:?}");
        }
    }
}

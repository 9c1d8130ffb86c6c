//! Cleaning rules for text taken from a mail: what may stand on one line (names,
//! subjects), what may stand in multi-line text (the new text), and the one
//! rule for shortening to a character limit.

/// Bidirectional overrides and isolates let text display differently from what
/// it is ("Trojan Source"); the portal refuses them in every field, so a mail's
/// text loses them here instead of being refused there.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line: every run of whitespace (tabs, line breaks, folding, U+2028/9
/// included) becomes one space, other control characters and bidi controls are
/// removed, the result is trimmed and cut to `max_chars` characters.
pub(crate) fn single_line(raw: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(max_chars * 4));
    let mut chars = 0;
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_bidi_control(c) {
            continue;
        }
        if pending_space {
            if chars + 1 >= max_chars {
                break;
            }
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        if chars >= max_chars {
            break;
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// Multi-line text: CRLF and lone CR become LF, U+2028/U+2029 become LF, tabs
/// stay, every other control character and bidi control is removed. Not trimmed.
pub(crate) fn multi_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push('\t'),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// The longest prefix of `raw` that fits in `max_bytes` without splitting a character.
pub(crate) fn prefix_within(raw: &str, max_bytes: usize) -> &str {
    if raw.len() <= max_bytes {
        return raw;
    }
    let mut end = max_bytes;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    &raw[..end]
}

/// A text cut to a limit, and whether anything was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortened<'a> {
    /// At most the limit's number of characters.
    pub text: &'a str,
    /// True when `text` is shorter than the input (the caller adds its note).
    pub was_shortened: bool,
}

/// Cuts `text` to at most `max_chars` characters (Unicode scalar values, never
/// in the middle of one). The caller owns the limit: the portal passes its
/// description limit (5,000), so that constant stays in one place.
pub fn shorten(text: &str, max_chars: usize) -> Shortened<'_> {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => Shortened { text: &text[..cut], was_shortened: true },
        None => Shortened { text, was_shortened: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_folds_whitespace_and_drops_controls() {
        assert_eq!(single_line("  Printer\r\n\tbroken \u{2028} again  ", 100), "Printer broken again");
        assert_eq!(single_line("a\u{0}b\u{7}c\u{202E}d\u{2066}e", 100), "abcde");
        assert_eq!(single_line("\u{1b}[31m red", 100), "[31m red");
        assert_eq!(single_line("   ", 100), "");
    }

    #[test]
    fn single_line_is_bounded_without_a_trailing_space() {
        assert_eq!(single_line("abc def", 4), "abc");
        assert_eq!(single_line("abc def", 5), "abc d");
        assert_eq!(single_line("ééééé", 3), "ééé");
        assert_eq!(single_line(&"x ".repeat(10_000), 200).chars().count(), 199);
    }

    #[test]
    fn multi_line_normalises_line_ends_and_drops_controls() {
        assert_eq!(multi_line("a\r\nb\rc\nd\u{2029}e"), "a\nb\nc\nd\ne");
        assert_eq!(multi_line("tab\there\u{0}\u{c}\u{7f}\u{202D}!"), "tab\there!");
        assert_eq!(multi_line("\r\r\n"), "\n\n");
    }

    #[test]
    fn shorten_counts_characters_not_bytes() {
        assert_eq!(shorten("héllo", 5), Shortened { text: "héllo", was_shortened: false });
        assert_eq!(shorten("héllo", 2), Shortened { text: "hé", was_shortened: true });
        assert_eq!(shorten("日本語テキスト", 3), Shortened { text: "日本語", was_shortened: true });
        assert_eq!(shorten("", 0), Shortened { text: "", was_shortened: false });
        assert_eq!(shorten("a", 0), Shortened { text: "", was_shortened: true });
        let long = "é".repeat(5_001);
        let cut = shorten(&long, 5_000);
        assert!(cut.was_shortened);
        assert_eq!(cut.text.chars().count(), 5_000);
    }

    #[test]
    fn prefix_within_respects_character_boundaries() {
        assert_eq!(prefix_within("aé", 2), "a");
        assert_eq!(prefix_within("aé", 3), "aé");
        assert_eq!(prefix_within("日本", 4), "日");
    }
}

//! The text of a message: its first text/plain part, or its HTML turned into
//! plain text when it has none. Never any markup.

use mail_parser::Message;

use crate::text::{multi_line, prefix_within};

/// Most bytes of HTML converted. html2text takes about a second per 2 MB in a
/// release build (far more on a small Lambda), and the portal keeps 5,000
/// characters of text anyway; a cut inside a tag is harmless to the converter.
pub const MAX_HTML_BYTES: usize = 256 * 1024;
/// Most bytes of plain text kept from the text part before quote stripping (the
/// raw message stays whole in S3). New text beyond this point is lost.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// Deepest element nesting converted. html2text's time grows with the square of
/// the depth (measured, release build: 5,000 nested lists 3 s, 20,000 45 s), so
/// HTML is cut where it first nests deeper; real mail stays far below (a Gmail
/// reply adds about three levels to what it quotes).
pub const MAX_HTML_DEPTH: usize = 256;
/// Elements that never nest: void ones, and those whose end tag is optional
/// (the HTML parser closes an open `<li>` at the next one; sloppy mail relies on it).
const NON_NESTING: [&str; 34] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "colgroup",
    "caption", "rb", "rt", "rp", "head", "body",
];
/// Render width for HTML: wide enough that the converter never re-wraps lines
/// (wrapping would split attribution lines and our footer marker).
const HTML_RENDER_WIDTH: usize = 10_000;

/// Where a message's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    /// A text/plain part.
    Plain,
    /// An HTML part, converted (the message had no text/plain part).
    Html,
    /// No text or HTML part at all.
    None,
}

/// The message's text with line ends normalised and control characters removed
/// (tabs and newlines stay), not yet trimmed or stripped of quotes.
pub(crate) fn message_text(message: &Message<'_>) -> (String, TextSource) {
    // mail-parser lists an HTML part as the text body when there is no text/plain
    // one, so "the first text body is HTML" means "HTML only".
    let part = message.text_part(0).or_else(|| message.html_part(0));
    match part {
        Some(part) if part.is_text_html() => {
            let html = part.text_contents().unwrap_or("");
            (multi_line(&html_to_text(html)), TextSource::Html)
        }
        Some(part) if part.is_text() => {
            let text = part.text_contents().unwrap_or("");
            (multi_line(prefix_within(text, MAX_TEXT_BYTES)), TextSource::Plain)
        }
        _ => (String::new(), TextSource::None),
    }
}

/// Plain text from HTML: blockquotes become `> ` lines (so quote stripping sees
/// them), links keep their text (`[text]`), scripts and styles vanish, tables lose borders.
fn html_to_text(html: &str) -> String {
    let html = shallow_prefix(prefix_within(html, MAX_HTML_BYTES), MAX_HTML_DEPTH);
    html2text::config::plain_no_decorate()
        .allow_width_overflow()
        .no_table_borders()
        .string_from_read(html.as_bytes(), HTML_RENDER_WIDTH)
        // The converter refuses some inputs (it never should, but it is not ours):
        // the parser's own tag stripper still gives text without markup.
        .unwrap_or_else(|_| mail_parser::decoders::html::html_to_text(html))
}

/// `html` up to the tag that would open more than `max_depth` elements (counted
/// from the tags, which may overcount but never undercounts what nests).
fn shallow_prefix(html: &str, max_depth: usize) -> &str {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|&b| b == b'<') {
        let start = from + offset;
        from = start + 1;
        let rest = &bytes[from..];
        let closing = rest.first() == Some(&b'/');
        let name = &rest[usize::from(closing)..];
        let name = &name[..name.iter().take_while(|b| b.is_ascii_alphanumeric()).count()];
        if name.is_empty() || NON_NESTING.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name)) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if depth == max_depth {
            // `start` is the byte of an ASCII `<`, so a character boundary.
            return &html[..start];
        } else {
            depth += 1;
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn text_of(raw: &str) -> (String, TextSource) {
        message_text(&MessageParser::default().parse(raw.as_bytes()).unwrap())
    }

    #[test]
    fn the_plain_part_wins_over_html() {
        let raw = "From: a@b.c\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nplain\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--x--\r\n";
        assert_eq!(text_of(raw), ("plain".into(), TextSource::Plain));
    }

    #[test]
    fn html_only_mail_becomes_text_without_markup() {
        let raw = "From: a@b.c\r\nContent-Type: text/html\r\n\r\n<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Hello <b>there</b> &amp; <a href=\"https://x.example\">link</a></p><blockquote>old</blockquote><table><tr><td>a</td><td>b</td></tr></table></body></html>";
        let (text, source) = text_of(raw);
        assert_eq!(source, TextSource::Html);
        // Links keep their text, in brackets; the address is not shown.
        assert!(text.contains("Hello there & [link]"), "{text}");
        assert!(text.contains("> old"), "{text}");
        for markup in ["<", "alert", "color", "https://x.example", "|"] {
            assert!(!text.contains(markup), "{markup} in {text}");
        }
    }

    #[test]
    fn huge_html_is_cut_before_converting() {
        let raw = format!(
            "From: a@b.c\r\nContent-Type: text/html\r\n\r\n<p>{}</p><p>END</p>",
            "word ".repeat(MAX_HTML_BYTES / 5)
        );
        let (text, _) = text_of(&raw);
        assert!(!text.contains("END"));
        assert!(text.len() < MAX_HTML_BYTES);
    }

    #[test]
    fn html_is_cut_where_it_nests_too_deep() {
        assert_eq!(shallow_prefix("<div><div>a</div></div><div>b", 2), "<div><div>a</div></div><div>b");
        assert_eq!(shallow_prefix("<div><div><div>a", 2), "<div><div>");
        assert_eq!(
            shallow_prefix("<ul><li>a<li>b<br><hr><img src=x><p>c<p>d</ul>", 1),
            "<ul><li>a<li>b<br><hr><img src=x><p>c<p>d</ul>"
        );
        assert_eq!(
            shallow_prefix("<!-- c --><!DOCTYPE html>< a <3 </x></y><b>", 1),
            "<!-- c --><!DOCTYPE html>< a <3 </x></y><b>"
        );
        assert_eq!(shallow_prefix("<B><I>x", 1), "<B>");
    }

    #[test]
    fn deeply_nested_html_converts_quickly() {
        // Uncut, this takes minutes in a debug build (quadratic in the depth).
        let raw = format!("From: a@b.c\r\nContent-Type: text/html\r\n\r\n<p>top</p>{}deep", "<ul><li>".repeat(30_000));
        let started = std::time::Instant::now();
        let (text, _) = text_of(&raw);
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
        assert!(text.starts_with("top") && !text.contains("deep"), "{text}");
    }

    #[test]
    fn control_characters_and_crlf_are_normalised() {
        let (text, _) = text_of("From: a@b.c\r\n\r\nline\u{7} one\r\nline\ttwo\u{1b}\r\n");
        assert_eq!(text, "line one\nline\ttwo\n");
    }

    #[test]
    fn a_message_without_text_has_none() {
        let raw = "From: a@b.c\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n";
        assert_eq!(text_of(raw), (String::new(), TextSource::None));
    }
}

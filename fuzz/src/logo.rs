//! The logo check from the outside. Whatever `Logo::parse` accepts is judged
//! again here by rules written from the threat, not from the portal's cleaner:
//! a PNG is kept byte for byte; an accepted SVG is plain XML (elements,
//! attributes and text only), with no script element, no event handler, no
//! script URL in any decoded value or text, no reference outside the file (an
//! `href` not to `#...`, a CSS `url()` not to `#...`, `@import`, a function
//! that loads images), and accepting it a second time changes nothing.

use portal::domain::logo::MAX_LOGO_BYTES;
use portal::domain::{Logo, LogoFormat};
use xmlparser::{ElementEnd, Token, Tokenizer};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

pub fn check_logo(bytes: &[u8]) {
    let logo = match Logo::parse(bytes.to_vec()) {
        Ok(logo) => logo,
        Err(problem) => {
            assert!(!problem.is_empty(), "a refusal must say why");
            return;
        }
    };
    assert!(logo.bytes.len() <= MAX_LOGO_BYTES, "{} bytes stored", logo.bytes.len());
    match logo.format {
        LogoFormat::Png => {
            assert!(bytes.starts_with(PNG_SIGNATURE));
            assert_eq!(logo.bytes, bytes, "a PNG is stored as uploaded");
        }
        LogoFormat::Svg => check_clean_svg(&logo.bytes),
    }
    let again = Logo::parse(logo.bytes.clone()).unwrap_or_else(|e| panic!("refused its own output ({e}): {logo:?}"));
    assert_eq!(again, logo, "cleaning a cleaned logo changed it");
}

/// The escapes a written file may use: any other reference could decode to
/// something the checks below never saw.
const ESCAPES: &[&str] = &["&amp;", "&lt;", "&gt;", "&quot;", "&#9;", "&#10;", "&#13;"];

/// Kept attributes whose value is a name or a fragment, not CSS.
const NOT_CSS: &[&str] = &["id", "class", "lang", "href", "xlink:href", "xml:lang", "xml:space"];

fn check_clean_svg(bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).expect("a cleaned SVG is UTF-8");
    assert!(text.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#), "{text}");
    for (at, _) in text.match_indices('&') {
        assert!(ESCAPES.iter().any(|e| text[at..].starts_with(e)), "unexpected reference at {at}: {text}");
    }
    let mut open: Vec<String> = Vec::new();
    for token in Tokenizer::from(text) {
        let token = token.unwrap_or_else(|e| panic!("a cleaned SVG is well-formed ({e}): {text}"));
        match token {
            Token::ElementStart { prefix, local, .. } => {
                let name = local.as_str();
                assert!(prefix.is_empty(), "prefixed element {prefix}:{name}");
                let lower = name.to_ascii_lowercase();
                assert!(
                    !["script", "foreignobject", "iframe", "embed", "object", "image", "feimage"]
                        .contains(&lower.as_str()),
                    "<{name}> in {text}"
                );
                open.push(name.to_owned());
            }
            Token::Attribute { prefix, local, value, .. } => {
                let name = if prefix.is_empty() { local.to_string() } else { format!("{prefix}:{local}") };
                assert!(["", "xmlns", "xlink", "xml"].contains(&prefix.as_str()), "attribute {name}");
                assert!(!local.as_str().to_ascii_lowercase().starts_with("on"), "handler {name} in {text}");
                assert_ne!(name, "xml:base");
                let value = unescape(value.as_str());
                assert!(!has_script_url(&value) && !has_script_url(&css_text(&value)), "{name}={value:?}");
                if local.as_str() == "href" {
                    assert!(value.trim_start_matches(|c: char| c <= ' ').starts_with('#'), "{name}={value:?}");
                } else if prefix.as_str() != "xmlns" && name != "xmlns" && !NOT_CSS.contains(&name.as_str()) {
                    assert_no_external_css(&value);
                }
                if local.as_str() == "attributeName" {
                    let target = value.trim().to_ascii_lowercase();
                    assert!(!target.ends_with("href") && !target.starts_with("on"), "animates {target}");
                }
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => {}
                ElementEnd::Empty | ElementEnd::Close(..) => {
                    open.pop();
                }
            },
            Token::Text { text: raw } => {
                let value = unescape(raw.as_str());
                assert!(!has_script_url(&value), "script URL in text {value:?}");
                if open.last().map(String::as_str) == Some("style") {
                    assert_no_external_css(&value);
                }
            }
            other => panic!("a cleaned SVG holds elements, attributes and text only, not {other:?}"),
        }
    }
}

fn unescape(raw: &str) -> String {
    raw.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#9;", "\t")
        .replace("&#10;", "\n")
        .replace("&#13;", "\r")
        .replace("&amp;", "&")
}

fn has_script_url(text: &str) -> bool {
    let compact: String =
        text.chars().filter(|c| !c.is_whitespace() && !c.is_control()).map(|c| c.to_ascii_lowercase()).collect();
    compact.contains("javascript:") || compact.contains("vbscript:")
}

/// CSS with escapes and comments resolved, then lower case, with comments and
/// white space as one separator: every way of spelling `url(` or `@import`
/// becomes that text, and what a browser reads as two tokens (`@impor t`,
/// `url (`, `url/**/(`) stays apart.
fn css_text(css: &str) -> String {
    let mut out = String::new();
    let mut chars = css.chars().peekable();
    // The quote of the string being read: inside one, `/*` is text, and a
    // string ends at its own unescaped quote or at a line break.
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                quote = match quote {
                    None => Some(c),
                    Some(open) if open == c => None,
                    other => other,
                };
                out.push(c);
            }
            '\n' | '\r' | '\u{c}' => {
                quote = None;
                out.push(c);
            }
            '\\' => {
                let mut hex = String::new();
                while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    hex.extend(chars.next());
                }
                if hex.is_empty() {
                    // `\` + line break is a continuation; `\` + anything else is that character.
                    match chars.next() {
                        Some('\n' | '\r' | '\u{c}') | None => {}
                        Some(other) => out.push(other),
                    }
                } else {
                    let code = u32::from_str_radix(&hex, 16).unwrap_or(0);
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                        chars.next();
                    }
                }
            }
            '/' if quote.is_none() && chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
                // A comment separates tokens (CSS Syntax 3): `url/**/(` is an
                // ident and a bracket, never a url() a browser would load.
                out.push(SEPARATOR);
            }
            _ => out.push(c),
        }
    }
    out.chars().map(|c| if c.is_ascii_whitespace() { SEPARATOR } else { c.to_ascii_lowercase() }).collect()
}

/// Stands for a comment or white space between tokens in [`css_text`].
const SEPARATOR: char = '\u{1}';

fn assert_no_external_css(css: &str) {
    let text = css_text(css);
    assert!(!text.contains("@import"), "@import in {css:?}");
    for loader in ["image-set(", "image(", "cross-fade(", "element(", "src(", "expression("] {
        assert!(!text.contains(loader), "{loader} in {css:?}");
    }
    for (at, _) in text.match_indices("url(") {
        let target = text[at + 4..].trim_start_matches(['\'', '"', SEPARATOR]);
        assert!(target.starts_with('#'), "url() to {target:?} in {css:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by CI's fuzzing: a `/*` after a string runs to the end of the
    /// sheet, so the `image(` behind it is a comment to a browser and to the
    /// cleaner; the oracle read the `/*` inside the string as a comment too.
    const COMMENT_AFTER_A_STRING: &str =
        r"@\34ee>@\69m!or$|rtu'*/*,,link\\\m!or$|rtu'*/*,,link\\,,e>@\3Rimage(RR tur|'**,,/(x.css);";

    #[test]
    fn a_comment_after_a_string_hides_what_follows() {
        let svg = format!(r#"<svg xmlns="http://www.w3.org/2000/svg"><style>{COMMENT_AFTER_A_STRING}</style></svg>"#);
        assert!(Logo::parse(svg.clone().into_bytes()).is_ok(), "the cleaner keeps it");
        check_logo(svg.as_bytes());
    }

    #[test]
    fn a_comment_opener_inside_a_string_hides_nothing() {
        for css in ["content:'/*';fill:image(x)", "content:\"/*\";fill:image(x)", "content:'/*\n';fill:image(x)"] {
            let caught = std::panic::catch_unwind(|| assert_no_external_css(css));
            assert!(caught.is_err(), "the oracle must see image( in {css:?}");
        }
        assert_no_external_css("fill:red /* image( */");
    }
}

//! The CSS in a logo (a `<style>` sheet, a `style` attribute, a presentation
//! attribute), judged as a browser's CSS tokenizer reads it: escapes such as
//! `\75 rl(` or `\6a avascript:` decoded and comments such as `url/**/(`
//! removed first, so that no spelling hides a function or a URL.

use super::allowed::CSS_FUNCTIONS;
use super::xml::{has_script_url, shorten};

/// Why this CSS may not be in a logo, or `None`. Refused: `@import`, `url()`
/// to anything but `#fragment`, any function not in [`CSS_FUNCTIONS`], and
/// script URLs.
pub(super) fn css_problem(css: &str) -> Option<String> {
    let text = decoded(css);
    if text.contains("@import") {
        return Some("its styles import another file (@import)".into());
    }
    if has_script_url(&text) {
        return Some("its styles contain a script URL (javascript:)".into());
    }
    let chars: Vec<char> = text.chars().collect();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '(') {
        let name = function_name(&chars[..at]);
        if name == "url" {
            // A window is enough: whatever does not start with `#` in it is refused.
            let target: String = chars[at + 1..].iter().take(80).collect();
            // CSS and URL parsers skip ASCII white space and controls only: a
            // no-break space before `#` makes a relative URL, which is refused.
            let skip = |c: char| c <= ' ';
            let inside = target.trim_start_matches(skip).trim_start_matches(['\'', '"']).trim_start_matches(skip);
            if !inside.starts_with('#') {
                return Some(format!("its styles refer to something outside the file (url({})", shorten(&target)));
            }
        } else if !name.is_empty() && !CSS_FUNCTIONS.contains(&name.as_str()) {
            return Some(format!(
                "its styles use {name}(), which a logo may not use (colours, gradients, transforms, filters and \
                 url(#id) are fine)"
            ));
        }
    }
    None
}

/// The function a `(` opens: the identifier right before it. `url` with
/// spaces before the bracket counts too: it is no function to CSS, but
/// refusing it costs nothing and needs no trust in that detail.
fn function_name(before: &[char]) -> String {
    let is_name = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || !c.is_ascii();
    let name_at = |end: usize| {
        let start = before[..end].iter().rposition(|c| !is_name(c)).map_or(0, |i| i + 1);
        before[start..end].iter().collect::<String>()
    };
    let name = name_at(before.len());
    if !name.is_empty() {
        return name;
    }
    let end = before.iter().rposition(|c| !c.is_whitespace()).map_or(0, |i| i + 1);
    match name_at(end) {
        spaced if end < before.len() && spaced == "url" => spaced,
        _ => String::new(),
    }
}

/// CSS with escapes decoded, comments removed and ASCII letters in lower case
/// (CSS names are ASCII case-insensitive). Inside strings a `/*` is text, as
/// in CSS; a backslash before a line break is dropped with it.
pub(super) fn decoded(css: &str) -> String {
    let chars: Vec<char> = css.chars().collect();
    let mut out = String::with_capacity(css.len());
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => i = escape(&chars, i, &mut out),
            '/' if quote.is_none() && chars.get(i) == Some(&'*') => {
                let close = (i + 1..chars.len()).find(|&j| chars[j] == '*' && chars.get(j + 1) == Some(&'/'));
                i = close.map_or(chars.len(), |j| j + 2);
            }
            '"' | '\'' => {
                match quote {
                    None => quote = Some(c),
                    Some(open) if open == c => quote = None,
                    Some(_) => {}
                }
                out.push(c);
            }
            // A string ends at a line break even without its closing quote.
            '\n' | '\r' | '\u{c}' => {
                quote = None;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.make_ascii_lowercase();
    out
}

/// Decodes the escape after a backslash at `chars[i - 1]`; returns where the
/// text goes on. Up to six hex digits and one following white space are a code
/// point (zero, surrogates and values past U+10FFFF read as U+FFFD).
fn escape(chars: &[char], mut i: usize, out: &mut String) -> usize {
    let Some(&next) = chars.get(i) else { return i };
    if matches!(next, '\n' | '\r' | '\u{c}') {
        return i + if next == '\r' && chars.get(i + 1) == Some(&'\n') { 2 } else { 1 };
    }
    if !next.is_ascii_hexdigit() {
        out.push(next);
        return i + 1;
    }
    let start = i;
    while i < chars.len() && i - start < 6 && chars[i].is_ascii_hexdigit() {
        i += 1;
    }
    let code = chars[start..i].iter().fold(0u32, |n, c| n * 16 + c.to_digit(16).unwrap_or(0));
    out.push(char::from_u32(code).filter(|c| *c != '\0').unwrap_or('\u{fffd}'));
    match chars.get(i) {
        Some('\r') if chars.get(i + 1) == Some(&'\n') => i + 2,
        Some(' ' | '\t' | '\n' | '\r' | '\u{c}') => i + 1,
        _ => i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_follows_the_css_tokenizer() {
        assert_eq!(decoded(r"\75 rl(x)"), "url(x)");
        assert_eq!(decoded(r"\000075rl(x)"), "url(x)");
        assert_eq!(decoded(r"\0000751(x)"), "u1(x)", "six hex digits at most");
        assert_eq!(decoded(r"u\rl(x)"), "url(x)");
        assert_eq!(decoded("u\\\nrl(x)"), "url(x)");
        assert_eq!(decoded(r"url/**/(x)"), "url(x)");
        assert_eq!(decoded(r"URL(X) /* open"), "url(x) ");
        assert_eq!(decoded(r"\0 \D800 \110000 "), "\u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(decoded(r#"content:"/*"; fill:red"#), r#"content:"/*"; fill:red"#);
        assert_eq!(decoded("a\\"), "a");
    }

    #[test]
    fn functions_are_allowed_by_name() {
        for fine in [
            "fill:rgb(1,2,3);transform:rotate(45deg) translate(1px,2px)",
            "fill:url(#g)",
            "fill: url( '#g' )",
            "filter:drop-shadow(0 0 1px red) url(#f)",
            "@media (min-width: 10px) { a:not(.b) { fill: red } }",
            "a:nth-child(2n+1){fill:var(--x, red)}",
            "clip-path: path('M0 0')",
        ] {
            assert_eq!(css_problem(fine), None, "{fine}");
        }
        for (bad, expected) in [
            ("background:url(https://x.io/a.png)", "url(https://x.io"),
            ("background:url(//x.io)", "outside"),
            ("background:url (https://x.io)", "outside"),
            ("background:image-set('https://x.io/a.png' 1x)", "image-set()"),
            ("background:-webkit-image-set('https://x.io/a.png' 1x)", "-webkit-image-set()"),
            ("background:cross-fade(url(#a), 'x.png')", "cross-fade()"),
            ("width:expression(alert(1))", "expression()"),
            ("src:src('https://x.io/a')", "src()"),
            ("@import 'x.css';", "@import"),
            (r"@\69mport 'x.css';", "@import"),
            (r"background:\75 rl(https://x.io)", "outside"),
            (r"background:\000075rl(https://x.io)", "outside"),
            (r"background:u\rl(https://x.io)", "outside"),
            ("background:url/**/(https://x.io)", "outside"),
            (r"background:url(\6a avascript:alert(1))", "script URL"),
            (r"behavior:url(x.htc)", "outside"),
        ] {
            let problem = css_problem(bad).unwrap_or_default();
            assert!(problem.contains(expected), "{bad}: {problem:?}");
        }
    }
}

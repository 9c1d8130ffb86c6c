//! XML text as a browser's parser hands it on (references decoded, line ends
//! and attribute white space normalised), and written back so that it reads
//! the same again.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    Text,
    Attribute,
}

/// Text or an attribute value as an XML parser hands it on: references
/// replaced, `\r\n` and `\r` read as `\n`, and in attributes every literal
/// tab and line break read as a space (a `&#10;` stays a line break).
pub(super) fn decode(raw: &str, context: Context) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find(['&', '\r', '\n', '\t']) {
        out.push_str(&rest[..at]);
        let special = rest.as_bytes()[at];
        rest = &rest[at + 1..];
        let white = |c: char| if context == Context::Attribute { ' ' } else { c };
        match special {
            b'&' => {
                let end = rest.find(';').ok_or("it is not well-formed XML (an & starts no reference: write &amp;)")?;
                out.push(reference(&rest[..end])?);
                rest = &rest[end + 1..];
            }
            b'\r' => {
                rest = rest.strip_prefix('\n').unwrap_or(rest);
                out.push(white('\n'));
            }
            other => out.push(white(char::from(other))),
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The character a reference (`lt`, `#106`, `#x6A`) stands for.
fn reference(name: &str) -> Result<char, String> {
    let code = if let Some(hex) = name.strip_prefix("#x") {
        digits(hex, 16)
    } else if let Some(decimal) = name.strip_prefix('#') {
        digits(decimal, 10)
    } else {
        return match name {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "quot" => Ok('"'),
            "apos" => Ok('\''),
            _ => Err(format!(
                "it uses the entity &{}; which XML does not know: write the character itself, or a numeric \
                 reference such as &#169;",
                shorten(name)
            )),
        };
    };
    code.and_then(char::from_u32)
        .filter(|c| is_xml_char(*c))
        .ok_or_else(|| format!("it is not well-formed XML (&{}; is not a character XML allows)", shorten(name)))
}

fn digits(text: &str, radix: u32) -> Option<u32> {
    let valid = !text.is_empty() && text.chars().all(|c| c.is_digit(radix));
    valid.then(|| u32::from_str_radix(text, radix).ok()).flatten()
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

pub(super) fn normalize_line_ends(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Escapes what would otherwise be read differently: markup characters, and
/// white space an XML parser would normalise away.
pub(super) fn escape(text: &str, context: Context, out: &mut String) {
    for c in text.chars() {
        match (c, context) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', _) => out.push_str("&gt;"),
            ('\r', _) => out.push_str("&#13;"),
            ('"', Context::Attribute) => out.push_str("&quot;"),
            ('\t', Context::Attribute) => out.push_str("&#9;"),
            ('\n', Context::Attribute) => out.push_str("&#10;"),
            _ => out.push(c),
        }
    }
}

/// Whether text holds a script URL once white space and control characters,
/// which URL parsers skip, are taken out.
pub(super) fn has_script_url(text: &str) -> bool {
    let compact: String =
        text.chars().filter(|c| !c.is_whitespace() && !c.is_control()).map(|c| c.to_ascii_lowercase()).collect();
    compact.contains("javascript:") || compact.contains("vbscript:")
}

pub(super) fn shorten(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}...")
    } else {
        short
    }
}

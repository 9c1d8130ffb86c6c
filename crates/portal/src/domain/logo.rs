//! A workspace's logo: a PNG, or an SVG with nothing in it that could run code
//! or fetch anything.

use serde::{Deserialize, Serialize};

use super::secrets::sha256_hex;

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 100 * 1024;

/// The two logo formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogoFormat {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/svg+xml")]
    Svg,
}

impl LogoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Svg => "image/svg+xml",
        }
    }
}

/// A checked logo: a PNG, or an SVG with nothing in it that could run code or
/// fetch anything. Stored by the portal itself, so no other host is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub format: LogoFormat,
    pub bytes: Vec<u8>,
}

/// What a workspace item records of its logo: enough to build a cache-busting URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoRef {
    pub format: LogoFormat,
    /// Hash prefix of the bytes: the `?v=` of the logo's URL.
    pub version: String,
    pub size: u64,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

impl Logo {
    /// Accepts a PNG or SVG of at most [`MAX_LOGO_BYTES`]; refuses anything
    /// else with the reason.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err("the logo file is empty".into());
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(format!(
                "the logo is {} KB; the limit is {} KB. Export it smaller (an SVG, or a PNG about 400 px wide, is plenty).",
                bytes.len().div_ceil(1024),
                MAX_LOGO_BYTES / 1024
            ));
        }
        if bytes.starts_with(PNG_SIGNATURE) {
            // The first chunk of every PNG is IHDR, right after the signature.
            if bytes.get(12..16) != Some(b"IHDR".as_slice()) {
                return Err("the logo looks like a PNG but is damaged (no IHDR chunk)".into());
            }
            return Ok(Self { format: LogoFormat::Png, bytes });
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| "the logo must be a PNG or an SVG file (this is neither)".to_owned())?;
        if !text.contains("<svg") {
            return Err("the logo must be a PNG or an SVG file (this is neither)".into());
        }
        if let Some(problem) = svg_problem(text.trim_start_matches('\u{feff}')) {
            return Err(format!("the SVG logo was refused: {problem}"));
        }
        Ok(Self { format: LogoFormat::Svg, bytes })
    }

    pub fn reference(&self) -> LogoRef {
        LogoRef { format: self.format, version: logo_version(&self.bytes), size: self.bytes.len() as u64 }
    }
}

/// The version a logo's URL carries: changes whenever the bytes do.
pub fn logo_version(bytes: &[u8]) -> String {
    sha256_hex(bytes)[..16].to_owned()
}

/// Elements that run code, embed other documents or media, or change how the
/// rest of the file is read.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "foreignobject",
    "iframe",
    "frame",
    "embed",
    "object",
    "applet",
    "audio",
    "video",
    "handler",
    "listener",
    "base",
    "link",
    "meta",
];

/// Why an SVG may not be a logo, or `None` if it may. Refused: scripts and
/// other active or embedding elements, event-handler attributes, links and
/// references to anything outside the file (`href`, `url()`, `@import`),
/// `javascript:` anywhere in an attribute, DOCTYPEs and entities (which can
/// pull in files or expand without bound), and processing instructions such
/// as `xml-stylesheet`. The logo is also served with a CSP that blocks all of
/// this; refusing it up front gives the operator a clear answer instead.
pub fn svg_problem(text: &str) -> Option<String> {
    use xmlparser::{ElementEnd, Token, Tokenizer};

    let mut root: Option<String> = None;
    // The tokenizer does not match tags; a logo browsers cannot parse is refused too.
    let mut open: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    for token in Tokenizer::from(text) {
        let token = match token {
            Ok(token) => token,
            Err(err) => return Some(format!("it is not well-formed XML ({err})")),
        };
        match token {
            Token::Declaration { .. } | Token::Comment { .. } => {}
            Token::ProcessingInstruction { target, .. } => {
                return Some(format!("it contains a processing instruction (<?{target} ...?>)"));
            }
            Token::DtdStart { .. }
            | Token::EmptyDtd { .. }
            | Token::EntityDeclaration { .. }
            | Token::DtdEnd { .. } => {
                return Some("it contains a DOCTYPE or entity declaration".into());
            }
            Token::ElementStart { prefix, local, .. } => {
                let name = local.as_str().to_ascii_lowercase();
                if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
                    return Some(format!("it contains a <{}> element", local.as_str()));
                }
                root.get_or_insert(name);
                pending = Some(format!("{}:{}", prefix.as_str(), local.as_str()));
            }
            Token::Attribute { prefix, local, value, .. } => {
                if let Some(problem) = attribute_problem(prefix.as_str(), local.as_str(), value.as_str()) {
                    return Some(problem);
                }
            }
            Token::Text { text } | Token::Cdata { text, .. } => {
                if let Some(problem) = css_problem(text.as_str()) {
                    return Some(problem);
                }
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => open.extend(pending.take()),
                ElementEnd::Empty => pending = None,
                ElementEnd::Close(prefix, local) => {
                    let name = format!("{}:{}", prefix.as_str(), local.as_str());
                    if open.pop().as_deref() != Some(name.as_str()) {
                        return Some(format!("it is not well-formed XML (</{}> closes nothing)", local.as_str()));
                    }
                }
            },
        }
    }
    if let Some(unclosed) = open.last() {
        let local = unclosed.rsplit(':').next().unwrap_or(unclosed);
        return Some(format!("it is not well-formed XML (<{local}> is never closed)"));
    }
    match root.as_deref() {
        Some("svg") => None,
        _ => Some("its root element is not <svg>".into()),
    }
}

fn attribute_problem(prefix: &str, local: &str, value: &str) -> Option<String> {
    let name = if prefix.is_empty() { local.to_owned() } else { format!("{prefix}:{local}") };
    let lower = local.to_ascii_lowercase();
    if lower.starts_with("on") {
        return Some(format!("it has an event handler attribute ({name})"));
    }
    let compact: String = value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    let compact = compact.to_ascii_lowercase();
    if compact.contains("javascript:") || compact.contains("vbscript:") {
        return Some(format!("the attribute {name} contains a script URL"));
    }
    if lower == "href" && !(compact.starts_with('#') || is_inline_raster(&compact)) {
        return Some(format!("it refers to something outside the file ({name}=\"{}\")", shorten(value)));
    }
    // An animation could set an href or a handler after the checks above.
    if lower == "attributename" && (compact.ends_with("href") || compact.starts_with("on")) {
        return Some(format!("it animates the attribute {value}"));
    }
    css_problem(value)
}

/// Embedded PNG/JPEG/GIF/WebP pictures are self-contained; an embedded SVG
/// would need checking in turn, so it is refused.
fn is_inline_raster(href: &str) -> bool {
    ["data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp"].iter().any(|p| href.starts_with(p))
}

/// `url(...)` other than to `#fragment`, and `@import`, in a style attribute or
/// a `<style>` element.
fn css_problem(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if compact.contains("@import") {
        return Some("its styles import another file (@import)".into());
    }
    let mut rest = compact.as_str();
    while let Some(at) = rest.find("url(") {
        rest = &rest[at + 4..];
        let target = rest.trim_start_matches(['\'', '"']);
        if !target.starts_with('#') {
            return Some(format!("its styles refer to something outside the file (url({})", shorten(rest)));
        }
    }
    None
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}...")
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 13]);
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&[0; 17]);
        bytes
    }

    const SVG: &str = r##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
<!-- made by hand -->
<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/></linearGradient></defs>
<style>.a{fill:url(#g)}</style>
<rect class="a" width="10" height="10" style="fill:url('#g')"/><use xlink:href="#g"/>
</svg>"##;

    #[test]
    fn accepts_pngs_and_clean_svgs() {
        let logo = Logo::parse(png()).unwrap();
        assert_eq!(logo.format, LogoFormat::Png);
        let logo = Logo::parse(SVG.as_bytes().to_vec()).unwrap();
        assert_eq!(logo.format, LogoFormat::Svg);
        assert_eq!(logo.reference().version.len(), 16);
        assert_eq!(logo.reference().size, SVG.len() as u64);
    }

    #[test]
    fn refuses_oversized_empty_and_other_files() {
        let mut big = png();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        let err = Logo::parse(big).unwrap_err();
        assert!(err.contains("101 KB") && err.contains("100 KB"), "{err}");
        let mut exact = png();
        exact.resize(MAX_LOGO_BYTES, 0);
        assert!(Logo::parse(exact).is_ok());
        assert!(Logo::parse(Vec::new()).unwrap_err().contains("empty"));
        assert!(Logo::parse(b"GIF89a....".to_vec()).unwrap_err().contains("PNG or an SVG"));
        assert!(Logo::parse(b"\x89PNG\r\n\x1a\nbroken".to_vec()).unwrap_err().contains("damaged"));
    }

    #[test]
    fn refuses_svgs_that_could_run_code_or_reach_out() {
        let cases = [
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#, "<script>"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><SCRIPT>alert(1)</SCRIPT></svg>"#, "<SCRIPT>"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#, "event handler"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><rect ONCLICK="x()"/></svg>"#, "event handler"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>"#, "foreignObject"),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>"#,
                "script URL",
            ),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="java&#x0A;script:x"><rect/></a></svg>"#, "outside"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>"#, "outside"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><use xlink:href="other.svg#a"/></svg>"#, "xlink:href"),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/svg+xml;base64,AAAA"/></svg>"#,
                "outside",
            ),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(x.css);</style></svg>"#, "@import"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://x.io/a)"/></svg>"#, "url("),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><style><![CDATA[a{background:url(//x.io)}]]></style></svg>"#,
                "url(",
            ),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="x"/></svg>"#, "animates"),
            (r#"<?xml-stylesheet href="x.css"?><svg xmlns="http://www.w3.org/2000/svg"/>"#, "processing instruction"),
            (r#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>"#, "DOCTYPE"),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>"#, "well-formed"),
            (r#"<html><svg/></html>"#, "root element"),
        ];
        for (svg, expected) in cases {
            let err = Logo::parse(svg.as_bytes().to_vec()).unwrap_err();
            assert!(err.starts_with("the SVG logo was refused: "), "{svg}: {err}");
            assert!(err.contains(expected), "{svg}: {err}");
        }
    }
}

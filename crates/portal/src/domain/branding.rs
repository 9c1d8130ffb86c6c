//! Workspace branding and the widget's allowed origins: the rules that decide
//! what a workspace may show (an accent colour people can read, a logo that
//! cannot run code) and which sites may embed its widget.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::secrets::sha256_hex;

/// The accent of a workspace without one (the stylesheet's `--accent`).
pub const DEFAULT_ACCENT: &str = "#1d4ed8";

/// What text on the accent (and the accent as text on a white card) must
/// reach: WCAG 2.x AA for normal-size text.
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

    /// `#rrggbb` (either case); nothing else.
    pub fn from_hex(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb(channel(0)?, channel(2)?, channel(4)?))
    }

    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }
}

/// WCAG contrast ratio between two colours, from 1 to 21.
pub fn contrast_ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

/// A workspace's accent colour, `#rrggbb` in lower case. White text sits on it
/// (buttons) and it is the colour of links on white cards, so it must give
/// white at least [`MIN_TEXT_CONTRAST`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccentColour(String);

impl AccentColour {
    /// Checks the format and the contrast, with a message that says what to do.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let colour = Rgb::from_hex(raw)
            .ok_or_else(|| format!("{raw:?} is not a colour: write it as #RRGGBB, for example #1D4ED8."))?;
        let ratio = contrast_ratio(colour, Rgb::WHITE);
        if ratio < MIN_TEXT_CONTRAST {
            return Err(format!(
                "{raw} is too light: white text on it has a contrast of {:.2}:1, and WCAG AA needs at least \
                 {MIN_TEXT_CONTRAST}:1. Choose a darker shade (for example {DEFAULT_ACCENT}).",
                (ratio * 100.0).floor() / 100.0
            ));
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccentColour {
    type Error = String;
    /// Stored values were checked when written; reading checks the format only,
    /// so a future change of the contrast rule cannot make a workspace unreadable.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match Rgb::from_hex(&value) {
            Some(_) => Ok(Self(value.to_ascii_lowercase())),
            None => Err(format!("not an accent colour: {value:?}")),
        }
    }
}

impl From<AccentColour> for String {
    fn from(value: AccentColour) -> Self {
        value.0
    }
}

impl fmt::Display for AccentColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many sites one workspace may embed its widget on.
pub const MAX_WIDGET_ORIGINS: usize = 20;

/// A site allowed to embed a workspace's widget: `scheme://host[:port]`,
/// normalised the way browsers send the `Origin` header (lower case, no
/// default port, no path), so that allowing is an exact string comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WidgetOrigin(String);

impl WidgetOrigin {
    /// An origin an operator allows. `https://` only, except loopback hosts
    /// (local development), since a page served over plain HTTP can be
    /// rewritten by anyone on the path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let origin = normalize_origin(raw).ok_or_else(|| {
            format!("{raw:?} is not an origin: write the scheme and host only, like https://www.example.com")
        })?;
        if origin.starts_with("http://") && !is_loopback(&origin) {
            return Err(format!(
                "{raw:?} uses http://: use https:// (plain http is accepted only for localhost and 127.0.0.1)"
            ));
        }
        Ok(Self(origin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a request's `Origin` header names this site.
    pub fn matches(&self, header: &str) -> bool {
        normalize_origin(header).is_some_and(|o| o == self.0)
    }
}

fn is_loopback(origin: &str) -> bool {
    let host = origin.trim_start_matches("http://").trim_start_matches("https://");
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// `scheme://host[:port]` in the browser's serialisation, or `None` for
/// anything that is not exactly an http(s) origin (paths, queries, user
/// info, wildcards, `null`).
pub fn normalize_origin(raw: &str) -> Option<String> {
    let (scheme, rest) = raw.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    // One trailing slash is what people paste; any other path is not an origin.
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', '*', ' ']) {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return None;
        }
        (format!("[{}]", inside.to_ascii_lowercase()), after.strip_prefix(':').map(str::to_owned))
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.to_owned())),
            None => (authority, None),
        };
        let host = host.to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if host.len() > 253 || !host.split('.').all(label_ok) {
            return None;
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(p) => {
            let number: u16 = p.parse().ok().filter(|n| *n > 0)?;
            if p != number.to_string() {
                return None;
            }
            (p != default_port).then_some(p)
        }
    };
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

impl TryFrom<String> for WidgetOrigin {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        normalize_origin(&value).map(Self).ok_or_else(|| format!("not an origin: {value:?}"))
    }
}

impl From<WidgetOrigin> for String {
    fn from(value: WidgetOrigin) -> Self {
        value.0
    }
}

impl fmt::Display for WidgetOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The widget origins an operator gives, checked and without duplicates.
pub fn parse_widget_origins(raw: &[String]) -> Result<Vec<WidgetOrigin>, String> {
    let mut origins: Vec<WidgetOrigin> = Vec::new();
    for value in raw {
        let origin = WidgetOrigin::parse(value)?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.len() > MAX_WIDGET_ORIGINS {
        return Err(format!("at most {MAX_WIDGET_ORIGINS} widget origins per workspace"));
    }
    Ok(origins)
}

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

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast_ratio(Rgb(0, 0, 0), Rgb::WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio(Rgb::WHITE, Rgb::WHITE) - 1.0).abs() < 1e-9);
        // #767676 is the classic lightest grey that passes AA on white (4.54:1).
        let grey = contrast_ratio(Rgb::from_hex("#767676").unwrap(), Rgb::WHITE);
        assert!((grey - 4.54).abs() < 0.01, "{grey}");
        // The order of the two colours does not matter.
        let (a, b) = (Rgb::from_hex("#1d4ed8").unwrap(), Rgb::from_hex("#f5f7fa").unwrap());
        assert_eq!(contrast_ratio(a, b), contrast_ratio(b, a));
    }

    #[test]
    fn accent_must_carry_white_text_at_aa() {
        assert_eq!(AccentColour::parse(" #1D4ED8 ").unwrap().as_str(), "#1d4ed8");
        assert!(AccentColour::parse("#767676").is_ok());
        assert!(AccentColour::parse("#000000").is_ok());
        let light = AccentColour::parse("#777777").unwrap_err();
        assert!(light.contains("4.47:1") && light.contains("4.5:1") && light.contains("darker"), "{light}");
        let yellow = AccentColour::parse("#ffd700").unwrap_err();
        assert!(yellow.contains("too light"), "{yellow}");
        for bad in ["1d4ed8", "#1d4ed", "#1d4ed8ff", "blue", "#gggggg", "", "#1d4ed8;}body{"] {
            let err = AccentColour::parse(bad).unwrap_err();
            assert!(err.contains("#RRGGBB"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_default_accent_passes_its_own_rule() {
        assert!(AccentColour::parse(DEFAULT_ACCENT).is_ok());
    }

    #[test]
    fn origins_are_normalised_like_the_origin_header() {
        let ok = |raw: &str| WidgetOrigin::parse(raw).map(|o| o.as_str().to_owned());
        assert_eq!(ok("https://Shop.Example.com/").unwrap(), "https://shop.example.com");
        assert_eq!(ok("https://shop.example.com:443").unwrap(), "https://shop.example.com");
        assert_eq!(ok("https://shop.example.com:8443").unwrap(), "https://shop.example.com:8443");
        assert_eq!(ok("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(ok("http://localhost:3001").unwrap(), "http://localhost:3001");
        assert_eq!(ok("http://[::1]:8080").unwrap(), "http://[::1]:8080");
        assert!(ok("http://shop.example.com").unwrap_err().contains("https://"));
        for bad in [
            "*",
            "null",
            "shop.example.com",
            "https://shop.example.com/path",
            "https://shop.example.com?x=1",
            "https://user@shop.example.com",
            "https://*.example.com",
            "ftp://shop.example.com",
            "https://",
            "https://shop.example.com:0",
            "https://shop.example.com:99999",
            "https://shop.example.com:08080",
            "https://-bad-.example.com",
        ] {
            assert!(WidgetOrigin::parse(bad).is_err(), "{bad}");
        }
        let origin = WidgetOrigin::parse("https://shop.example.com").unwrap();
        assert!(origin.matches("https://shop.example.com"));
        assert!(origin.matches("https://SHOP.example.com:443"));
        assert!(!origin.matches("https://shop.example.com.evil.io"));
        assert!(!origin.matches("http://shop.example.com"));
        assert!(!origin.matches("null"));
        assert!(!origin.matches(""));
    }

    #[test]
    fn origin_lists_drop_duplicates_and_are_bounded() {
        let list = parse_widget_origins(&["https://a.io".into(), "https://A.io/".into()]).unwrap();
        assert_eq!(list.len(), 1);
        let many: Vec<String> = (0..=MAX_WIDGET_ORIGINS).map(|i| format!("https://s{i}.example.com")).collect();
        assert!(parse_widget_origins(&many).is_err());
    }

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

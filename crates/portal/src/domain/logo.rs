//! A workspace's logo: a PNG, or an SVG with nothing in it that could run code
//! or fetch anything.

use serde::{Deserialize, Serialize};

use super::secrets::sha256_hex;

mod allowed;
mod css;
mod svg;
mod xml;

pub use svg::clean_svg;

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
    /// What is stored and served: a PNG as uploaded; an SVG as [`clean_svg`]
    /// wrote it again (not the uploaded bytes), so only what was checked is kept.
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
    /// else with the reason. An SVG is cleaned ([`clean_svg`]): its bytes are
    /// the cleaned file.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err("the logo file is empty".into());
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(too_big("the logo", bytes.len()));
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
        let cleaned = clean_svg(text.trim_start_matches('\u{feff}'))
            .map_err(|problem| format!("the SVG logo was refused: {problem}"))?;
        // Escaping can make a file longer than its upload.
        if cleaned.len() > MAX_LOGO_BYTES {
            return Err(too_big("the cleaned SVG logo", cleaned.len()));
        }
        Ok(Self { format: LogoFormat::Svg, bytes: cleaned.into_bytes() })
    }

    pub fn reference(&self) -> LogoRef {
        LogoRef { format: self.format, version: logo_version(&self.bytes), size: self.bytes.len() as u64 }
    }
}

fn too_big(what: &str, size: usize) -> String {
    format!(
        "{what} is {} KB; the limit is {} KB. Export it smaller (an SVG, or a PNG about 400 px wide, is plenty).",
        size.div_ceil(1024),
        MAX_LOGO_BYTES / 1024
    )
}

/// The version a logo's URL carries: changes whenever the bytes do.
pub fn logo_version(bytes: &[u8]) -> String {
    sha256_hex(bytes)[..16].to_owned()
}

/// Why an SVG may not be a logo, or `None` if it may (see [`clean_svg`]).
pub fn svg_problem(text: &str) -> Option<String> {
    clean_svg(text).err()
}

/// A logo as the logo route serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogo {
    pub format: LogoFormat,
    /// What the logo's URL carries as `?v=` (see [`LogoRef`]).
    pub version: String,
    pub bytes: Vec<u8>,
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
    fn accepts_pngs_as_they_are_and_svgs_cleaned() {
        let logo = Logo::parse(png()).unwrap();
        assert_eq!((logo.format, logo.bytes), (LogoFormat::Png, png()));
        let logo = Logo::parse(SVG.as_bytes().to_vec()).unwrap();
        assert_eq!(logo.format, LogoFormat::Svg);
        let cleaned = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">

<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/></linearGradient></defs>
<style>.a{fill:url(#g)}</style>
<rect class="a" width="10" height="10" style="fill:url('#g')"/><use xlink:href="#g"/>
</svg>"##;
        assert_eq!(String::from_utf8(logo.bytes.clone()).unwrap(), cleaned);
        // The reference describes what is stored, and storing it again changes nothing.
        assert_eq!(logo.reference().size, cleaned.len() as u64);
        assert_eq!(logo.reference().version, logo_version(cleaned.as_bytes()));
        assert_eq!(Logo::parse(logo.bytes.clone()).unwrap(), logo);
        // A byte order mark is not part of the drawing.
        let with_bom = format!("\u{feff}{SVG}");
        assert_eq!(Logo::parse(with_bom.into_bytes()).unwrap(), logo);
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
        assert!(Logo::parse(b"plain text".to_vec()).unwrap_err().contains("PNG or an SVG"));
        assert!(Logo::parse(b"\x89PNG\r\n\x1a\nbroken".to_vec()).unwrap_err().contains("damaged"));
    }

    #[test]
    fn an_svg_that_grows_past_the_limit_when_cleaned_is_refused() {
        // Each `"` (one byte in the upload) is written as `&quot;` (six).
        let quotes = "\"".repeat(MAX_LOGO_BYTES / 2);
        let svg = format!("<svg xmlns='http://www.w3.org/2000/svg'><title id='{quotes}'/></svg>");
        assert!(svg.len() <= MAX_LOGO_BYTES);
        let err = Logo::parse(svg.into_bytes()).unwrap_err();
        assert!(err.starts_with("the cleaned SVG logo is ") && err.contains("the limit is 100 KB"), "{err}");
    }

    #[test]
    fn svg_refusals_say_they_are_about_the_svg() {
        for svg in [
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>"#,
            r#"<html><svg/></html>"#,
        ] {
            let err = Logo::parse(svg.as_bytes().to_vec()).unwrap_err();
            assert!(err.starts_with("the SVG logo was refused: it"), "{svg}: {err}");
            assert_eq!(svg_problem(svg).map(|p| format!("the SVG logo was refused: {p}")), Some(err));
        }
        assert_eq!(svg_problem(SVG), None);
    }
}

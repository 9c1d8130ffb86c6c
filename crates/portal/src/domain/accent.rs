//! A workspace's accent colour and the WCAG contrast rule it must meet, so that
//! text on it (and it as text on a white card) stays readable.

use std::fmt;

use serde::{Deserialize, Serialize};

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
}

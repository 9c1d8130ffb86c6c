//! The sites allowed to embed a workspace's widget: origins normalised the way
//! browsers send the `Origin` header, so that allowing one is an exact comparison.

use std::fmt;

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

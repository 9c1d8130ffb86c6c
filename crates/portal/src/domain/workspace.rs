//! Workspaces: the companies using the portal, addressed by their slug.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::accent::{AccentColour, DEFAULT_ACCENT};
use super::logo::LogoRef;
use super::widget_origin::WidgetOrigin;

/// A workspace slug: 1 to 63 of `a-z`, `0-9` and inner `-`. Anything else
/// (path traversal, upper case, percent escapes) is simply not a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspaceSlug(String);

impl WorkspaceSlug {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=63).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        ok.then(|| Self(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WorkspaceSlug {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("not a workspace slug: {value:?}"))
    }
}

impl From<WorkspaceSlug> for String {
    fn from(value: WorkspaceSlug) -> Self {
        value.0
    }
}

impl fmt::Display for WorkspaceSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest workspace name, in characters.
pub const MAX_WORKSPACE_NAME_CHARS: usize = 100;

/// A workspace's display name: 1 to 100 characters on one line, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > MAX_WORKSPACE_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(format!("the name must be 1 to {MAX_WORKSPACE_NAME_CHARS} characters on one line"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<WorkspaceName> for String {
    fn from(value: WorkspaceName) -> Self {
        value.0
    }
}

/// One company using the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub slug: WorkspaceSlug,
    pub name: String,
    /// Round-robin new tickets over available agents.
    #[serde(default)]
    pub auto_assign: bool,
    /// Branding: buttons and links in this colour (checked for contrast).
    #[serde(default)]
    pub accent: Option<AccentColour>,
    /// Branding: the logo's reference; its bytes are a separate item.
    #[serde(default)]
    pub logo: Option<LogoRef>,
    /// Sites allowed to embed the widget (CORS on the JSON submit).
    #[serde(default)]
    pub widget_origins: Vec<WidgetOrigin>,
    /// Whether a typed email shows a ticket or only sends a link.
    #[serde(default)]
    pub tracking: TrackingMode,
}

impl Workspace {
    /// A workspace with no branding and no widget origins yet.
    pub fn new(slug: WorkspaceSlug, name: impl Into<String>, auto_assign: bool) -> Self {
        Self {
            slug,
            name: name.into(),
            auto_assign,
            accent: None,
            logo: None,
            widget_origins: Vec::new(),
            tracking: TrackingMode::default(),
        }
    }

    /// `#rrggbb`: the workspace's accent, or the portal's own.
    pub fn accent_hex(&self) -> &str {
        self.accent.as_ref().map(AccentColour::as_str).unwrap_or(DEFAULT_ACCENT)
    }
}

/// How a workspace's customers reach their tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TrackingMode {
    /// The spec's flow: the reference and the email typed on the tracking page.
    #[default]
    Email,
    /// A typed email never shows a ticket: it only ever sends a link.
    Link,
}

impl TrackingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingMode::Email => "email",
            TrackingMode::Link => "link",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "email" => Some(TrackingMode::Email),
            "link" => Some(TrackingMode::Link),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_and_bounded() {
        assert_eq!(WorkspaceName::parse("  Acme Inc ").unwrap().as_str(), "Acme Inc");
        for bad in ["", "   ", "Acme\nInc", &"n".repeat(MAX_WORKSPACE_NAME_CHARS + 1)] {
            assert_eq!(
                WorkspaceName::parse(bad).unwrap_err(),
                "the name must be 1 to 100 characters on one line",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn slugs_refuse_anything_path_like() {
        assert!(WorkspaceSlug::parse("demo").is_some());
        assert!(WorkspaceSlug::parse("acme-co-2").is_some());
        for bad in ["", "-demo", "demo-", "Demo", "..", "de/mo", "de%2fmo", &"a".repeat(64)] {
            assert!(WorkspaceSlug::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn tracking_modes_parse_and_default_to_email() {
        assert_eq!(TrackingMode::default(), TrackingMode::Email);
        assert_eq!(TrackingMode::parse("LINK"), Some(TrackingMode::Link));
        assert_eq!(TrackingMode::parse("email"), Some(TrackingMode::Email));
        assert_eq!(TrackingMode::parse("magic"), None);
        assert_eq!(serde_json::to_string(&TrackingMode::Link).unwrap(), "\"link\"");
    }
}

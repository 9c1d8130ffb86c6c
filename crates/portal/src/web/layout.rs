//! The frame every page shares: its title, the workspace's name and
//! branding, and the rendered page with the stylesheets its CSP allows.

use super::respond::{REFERRER_POLICY, STYLESHEET};
use crate::domain::Workspace;
use crate::links::Links;

/// What every page shares: its title and the workspace it belongs to, with
/// the workspace's branding.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub workspace_name: String,
    pub css: &'static str,
    /// The referrer policy, repeated in the page for copies opened without headers.
    pub referrer_policy: &'static str,
    /// The workspace's accent as a second, tiny stylesheet (the CSP allows it by hash).
    pub brand_css: Option<String>,
    pub logo_url: Option<String>,
}

impl Layout {
    pub fn for_workspace(workspace: &Workspace, links: &Links) -> Self {
        Self {
            title: String::new(),
            workspace_name: workspace.name.clone(),
            css: STYLESHEET,
            referrer_policy: REFERRER_POLICY,
            brand_css: workspace.accent.as_ref().map(|accent| brand_css(accent.as_str())),
            logo_url: workspace.logo.as_ref().map(|logo| links.logo_path(&workspace.slug, &logo.version)),
        }
    }
    /// For pages outside any known workspace (unknown slug).
    pub fn neutral() -> Self {
        Self {
            title: String::new(),
            workspace_name: "Support".into(),
            css: STYLESHEET,
            referrer_policy: REFERRER_POLICY,
            brand_css: None,
            logo_url: None,
        }
    }
    pub fn titled(mut self, title: &str) -> Self {
        self.title = title.to_owned();
        self
    }
}

/// The stylesheet that gives a page the workspace's accent. The accent is a
/// checked `#rrggbb`, so nothing else can reach the CSS.
fn brand_css(accent: &str) -> String {
    format!(":root{{--accent:{accent}}}")
}

/// A rendered page, with the extra stylesheet its CSP must allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub html: String,
    pub brand_css: Option<String>,
}

impl std::ops::Deref for Page {
    type Target = str;
    fn deref(&self) -> &str {
        &self.html
    }
}

impl std::fmt::Display for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.html)
    }
}

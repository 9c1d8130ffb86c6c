//! Static files served as they are (`crates/portal/assets/`), with the
//! versions their URLs carry.

use std::sync::LazyLock;

use crate::domain::secrets::sha256_hex;

/// The widget: one dependency-free script, the same for every workspace (it
/// finds its workspace in its own URL).
pub const WIDGET_JS: &str = include_str!("../assets/widget.js");

/// Changes whenever the script does: the `?v=` of its URL, which lets
/// browsers and CDNs keep it for a year.
pub static WIDGET_VERSION: LazyLock<String> = LazyLock::new(|| sha256_hex(WIDGET_JS.as_bytes())[..16].to_owned());

//! Where the branding rules used to live, kept so that `domain::branding::...`
//! paths still resolve: the accent colour is in [`super::accent`], the widget's
//! origins in [`super::widget_origin`] and the logo in [`super::logo`].

pub use super::accent::{contrast_ratio, AccentColour, Rgb, DEFAULT_ACCENT, MIN_TEXT_CONTRAST};
pub use super::logo::{logo_version, svg_problem, Logo, LogoFormat, LogoRef, MAX_LOGO_BYTES};
pub use super::widget_origin::{normalize_origin, parse_widget_origins, WidgetOrigin, MAX_WIDGET_ORIGINS};

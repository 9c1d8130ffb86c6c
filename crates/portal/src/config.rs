//! Configuration from environment variables, read once at start. A function
//! with missing configuration refuses to start and names what is missing.

use std::env;

/// Submissions per client address per hour when `SUBMIT_LIMIT_PER_HOUR` is
/// not set (template.yaml's `SubmitLimitPerHour` defaults to the same: a test holds them together).
pub const DEFAULT_SUBMIT_LIMIT_PER_HOUR: u32 = 10;
/// Failed tracking attempts per client and per ticket per 15 minutes when
/// `LOOKUP_LIMIT_PER_15_MIN` is not set.
pub const DEFAULT_LOOKUP_LIMIT_PER_15_MIN: u32 = 10;

/// Everything a portal function needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORTAL_TABLE`: workspaces, agents, contacts, tickets, comments, tokens.
    pub table: String,
    /// `RATE_LIMIT_TABLE`: per-client counters (hashed addresses only).
    pub rate_limit_table: String,
    /// `EVENTS_QUEUE_URL`: the assign-worker's queue.
    pub queue_url: String,
    /// `PORTAL_BASE_URL`: public origin for links in pages and emails, no trailing slash.
    pub base_url: String,
    /// `MAIL_FROM`: verified SES sender; only the worker needs it.
    pub mail_from: Option<String>,
    /// `SUBMIT_LIMIT_PER_HOUR` ([`DEFAULT_SUBMIT_LIMIT_PER_HOUR`]).
    pub submit_limit_per_hour: u32,
    /// `LOOKUP_LIMIT_PER_15_MIN` ([`DEFAULT_LOOKUP_LIMIT_PER_15_MIN`]): failed tracking attempts per client and per ticket.
    pub lookup_limit: u32,
    /// `RATE_LIMIT_SALT`: mixed into hashed client addresses.
    pub rate_limit_salt: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: set {0}")]
    Missing(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads through `get` so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = ["PORTAL_TABLE", "RATE_LIMIT_TABLE", "EVENTS_QUEUE_URL", "PORTAL_BASE_URL"];
        let missing: Vec<&str> = required.iter().copied().filter(|name| get(name).is_none()).collect();
        if !missing.is_empty() {
            return Err(ConfigError::Missing(missing.join(", ")));
        }
        let value = |name: &str| get(name).unwrap_or_default();
        let number = |name: &str, default: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(raw) => raw.trim().parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ConfigError::Invalid(format!("{name} must be a positive whole number, not {raw:?}"))
                }),
            }
        };
        let base_url = value("PORTAL_BASE_URL").trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ConfigError::Invalid(format!(
                "PORTAL_BASE_URL must start with http:// or https://, not {base_url:?}"
            )));
        }
        Ok(Self {
            table: value("PORTAL_TABLE"),
            rate_limit_table: value("RATE_LIMIT_TABLE"),
            queue_url: value("EVENTS_QUEUE_URL"),
            base_url,
            mail_from: get("MAIL_FROM"),
            submit_limit_per_hour: number("SUBMIT_LIMIT_PER_HOUR", DEFAULT_SUBMIT_LIMIT_PER_HOUR)?,
            lookup_limit: number("LOOKUP_LIMIT_PER_15_MIN", DEFAULT_LOOKUP_LIMIT_PER_15_MIN)?,
            rate_limit_salt: get("RATE_LIMIT_SALT").unwrap_or_else(|| "customer-portal".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn names_every_missing_variable() {
        let err = Config::from_lookup(lookup(&[("PORTAL_TABLE", "t")])).unwrap_err().to_string();
        assert_eq!(err, "missing configuration: set RATE_LIMIT_TABLE, EVENTS_QUEUE_URL, PORTAL_BASE_URL");
    }

    #[test]
    fn the_template_defaults_to_the_same_submit_limit() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let default = &template["Parameters"]["SubmitLimitPerHour"]["Default"];
        assert_eq!(default.as_u64(), Some(u64::from(DEFAULT_SUBMIT_LIMIT_PER_HOUR)), "{default:?}");
    }

    #[test]
    fn defaults_and_overrides() {
        let base = [
            ("PORTAL_TABLE", "t"),
            ("RATE_LIMIT_TABLE", "r"),
            ("EVENTS_QUEUE_URL", "q"),
            ("PORTAL_BASE_URL", "http://127.0.0.1:3000/"),
        ];
        let config = Config::from_lookup(lookup(&base)).unwrap();
        assert_eq!(config.submit_limit_per_hour, DEFAULT_SUBMIT_LIMIT_PER_HOUR);
        assert_eq!(config.base_url, "http://127.0.0.1:3000");
        let mut with_limit = base.to_vec();
        with_limit.push(("SUBMIT_LIMIT_PER_HOUR", "0"));
        assert!(Config::from_lookup(lookup(&with_limit)).is_err());
    }
}

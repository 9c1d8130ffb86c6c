//! Configuration from environment variables, read once at start. A function
//! with missing configuration refuses to start and names what is missing.

use std::env;

use crate::domain::limits::{
    DEFAULT_LOOKUP_LIMIT_PER_15_MIN, DEFAULT_REPLY_LIMIT_PER_HOUR, DEFAULT_SUBMIT_LIMIT_PER_HOUR,
    DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR, MAX_LIMIT,
};
use crate::domain::secrets::RateLimitSalt;

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
    /// `REPLY_LIMIT_PER_HOUR` ([`DEFAULT_REPLY_LIMIT_PER_HOUR`]): customer replies per client address.
    pub reply_limit_per_hour: u32,
    /// `TICKET_REPLY_LIMIT_PER_HOUR` ([`DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR`]): customer replies per ticket.
    pub ticket_reply_limit_per_hour: u32,
    /// `RATE_LIMIT_SALT`: the secret mixed into every hashed rate-limit subject.
    /// Every function requires it; only `portalctl`, which enforces no limit,
    /// runs without it (and a limit asked for without it fails).
    pub rate_limit_salt: Option<RateLimitSalt>,
    /// `INBOUND_DOMAIN`: where the portal receives email (`{slug}@` opens
    /// tickets, `reply+{token}@` answers them); without it no email is received.
    pub inbound_domain: Option<String>,
    /// `INBOUND_BUCKET`: the S3 bucket SES stores received messages in (the
    /// inbound function reads them there).
    pub inbound_bucket: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: set {0}")]
    Missing(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Variables every process needs.
const REQUIRED: [&str; 4] = ["PORTAL_TABLE", "RATE_LIMIT_TABLE", "EVENTS_QUEUE_URL", "PORTAL_BASE_URL"];
/// The salt's variable: required by every function, optional for `portalctl`.
const SALT: &str = "RATE_LIMIT_SALT";

fn from_process_env(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// A function's configuration: [`REQUIRED`] and `RATE_LIMIT_SALT`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_process_env)
    }

    /// `portalctl`'s configuration: like [`Config::from_env`], but it starts
    /// without `RATE_LIMIT_SALT`, since operators' commands limit nothing.
    pub fn for_operator_from_env() -> Result<Self, ConfigError> {
        Self::read(from_process_env, false)
    }

    /// Reads through `get` so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(get, true)
    }

    fn read(get: impl Fn(&str) -> Option<String>, salt_required: bool) -> Result<Self, ConfigError> {
        let salt_needed = salt_required.then_some(SALT);
        let missing: Vec<&str> =
            REQUIRED.iter().copied().chain(salt_needed).filter(|name| get(name).is_none()).collect();
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
        // Each limit is a shift register of that many slots: at most MAX_LIMIT.
        let limit = |name: &str, default: u32| -> Result<u32, ConfigError> {
            let n = number(name, default)?;
            if n > MAX_LIMIT {
                return Err(ConfigError::Invalid(format!("{name} must be at most {MAX_LIMIT}, not {n}")));
            }
            Ok(n)
        };
        let rate_limit_salt = match get(SALT) {
            None => None,
            Some(raw) => Some(RateLimitSalt::parse(&raw).map_err(|why| ConfigError::Invalid(format!("{SALT} {why}")))?),
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
            submit_limit_per_hour: limit("SUBMIT_LIMIT_PER_HOUR", DEFAULT_SUBMIT_LIMIT_PER_HOUR)?,
            lookup_limit: limit("LOOKUP_LIMIT_PER_15_MIN", DEFAULT_LOOKUP_LIMIT_PER_15_MIN)?,
            reply_limit_per_hour: limit("REPLY_LIMIT_PER_HOUR", DEFAULT_REPLY_LIMIT_PER_HOUR)?,
            ticket_reply_limit_per_hour: limit("TICKET_REPLY_LIMIT_PER_HOUR", DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR)?,
            rate_limit_salt,
            inbound_domain: match get("INBOUND_DOMAIN") {
                None => None,
                Some(raw) => Some(crate::domain::mail_in::parse_mail_domain(&raw).ok_or_else(|| {
                    ConfigError::Invalid(format!("INBOUND_DOMAIN must be a domain name, not {raw:?}"))
                })?),
            },
            inbound_bucket: get("INBOUND_BUCKET"),
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
        assert_eq!(
            err,
            "missing configuration: set RATE_LIMIT_TABLE, EVENTS_QUEUE_URL, PORTAL_BASE_URL, RATE_LIMIT_SALT"
        );
    }

    const SALT_VALUE: &str = "0123456789abcdef0123456789abcdef";

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("PORTAL_TABLE", "t"),
            ("RATE_LIMIT_TABLE", "r"),
            ("EVENTS_QUEUE_URL", "q"),
            ("PORTAL_BASE_URL", "http://127.0.0.1:3000/"),
            ("RATE_LIMIT_SALT", SALT_VALUE),
        ]
    }

    #[test]
    fn a_function_needs_a_long_salt_and_an_operator_none() {
        let without: Vec<_> = base().into_iter().filter(|(k, _)| *k != "RATE_LIMIT_SALT").collect();
        let err = Config::from_lookup(lookup(&without)).unwrap_err().to_string();
        assert_eq!(err, "missing configuration: set RATE_LIMIT_SALT");
        let operator = Config::read(lookup(&without), false).unwrap();
        assert!(operator.rate_limit_salt.is_none());

        let mut short = without.clone();
        short.push(("RATE_LIMIT_SALT", "customer-portal"));
        let err = Config::from_lookup(lookup(&short)).unwrap_err().to_string();
        assert_eq!(err, "invalid configuration: RATE_LIMIT_SALT must be at least 32 characters (it has 15)");
        assert!(!err.contains("customer-portal"), "the salt is never shown");

        let config = Config::from_lookup(lookup(&base())).unwrap();
        assert_eq!(config.rate_limit_salt.as_ref().map(|s| s.expose()), Some(SALT_VALUE));
        assert!(!format!("{config:?}").contains(SALT_VALUE), "Debug hides the salt");
    }

    fn template_default(parameter: &str) -> Option<u64> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        template["Parameters"][parameter]["Default"].as_u64()
    }

    #[test]
    fn the_template_defaults_to_the_same_limits() {
        assert_eq!(template_default("SubmitLimitPerHour"), Some(u64::from(DEFAULT_SUBMIT_LIMIT_PER_HOUR)));
        assert_eq!(template_default("ReplyLimitPerHour"), Some(u64::from(DEFAULT_REPLY_LIMIT_PER_HOUR)));
    }

    #[test]
    fn defaults_and_overrides() {
        let config = Config::from_lookup(lookup(&base())).unwrap();
        assert_eq!(config.submit_limit_per_hour, DEFAULT_SUBMIT_LIMIT_PER_HOUR);
        assert_eq!(config.reply_limit_per_hour, DEFAULT_REPLY_LIMIT_PER_HOUR);
        assert_eq!(config.ticket_reply_limit_per_hour, DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR);
        assert_eq!(config.base_url, "http://127.0.0.1:3000");
        for (name, value, accepted) in [
            ("SUBMIT_LIMIT_PER_HOUR", "0", false),
            ("REPLY_LIMIT_PER_HOUR", "5", true),
            ("REPLY_LIMIT_PER_HOUR", "100", true),
            ("REPLY_LIMIT_PER_HOUR", "101", false),
            ("LOOKUP_LIMIT_PER_15_MIN", "1000", false),
        ] {
            let mut with_limit = base();
            with_limit.push((name, value));
            assert_eq!(Config::from_lookup(lookup(&with_limit)).is_ok(), accepted, "{name}={value}");
        }
    }
}

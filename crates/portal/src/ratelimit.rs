//! Per-client rate limits, enforced by one conditional write per attempt in the
//! rate-limit table, so a concurrent burst can never get past the limit.
//!
//! Counting is per fixed window (an hour starting on the hour for submissions):
//! each window is one item `{scope}#{sha256(salt, client)}#{window}` whose `hits`
//! is added to only while `hits < max`. Client addresses are stored hashed.

use aws_sdk_dynamodb::Client;

use crate::aws::AwsError;
use crate::domain::access::{ACCESS_LINKS_PER_ADDRESS_PER_HOUR, ACCESS_REQUESTS_PER_CLIENT_PER_HOUR};
use crate::domain::secrets::client_key;
use crate::domain::time::Clock;
use crate::store::dynamo::{conditional, n, number, s};
use crate::store::keys::{EXPIRES_AT, PK};

/// What is being limited, and how much of it a window allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub scope: &'static str,
    pub max: u32,
    pub window_secs: i64,
}

impl Limit {
    /// Ticket submissions per client address per hour.
    pub fn submissions(max: u32) -> Self {
        Self { scope: "submit", max, window_secs: 3600 }
    }
    /// Failed tracking attempts per client address per 15 minutes.
    pub fn failed_lookups_per_client(max: u32) -> Self {
        Self { scope: "lookup-client", max, window_secs: 900 }
    }
    /// Failed tracking attempts per ticket per 15 minutes.
    pub fn failed_lookups_per_ticket(max: u32) -> Self {
        Self { scope: "lookup-ticket", max, window_secs: 900 }
    }
    /// Access-link requests per client address per hour (over it: silently dropped).
    pub fn access_requests_per_client() -> Self {
        Self { scope: "access-client", max: ACCESS_REQUESTS_PER_CLIENT_PER_HOUR, window_secs: 3600 }
    }
    /// Access links emailed per address per hour (over it: silently not sent).
    pub fn access_links_per_address() -> Self {
        Self { scope: "access-address", max: ACCESS_LINKS_PER_ADDRESS_PER_HOUR, window_secs: 3600 }
    }

    fn window(&self, now: i64) -> (i64, i64) {
        let index = now.div_euclid(self.window_secs);
        (index, (index + 1) * self.window_secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Over the limit; the window reopens in `retry_after_secs`.
    Limited {
        retry_after_secs: u64,
    },
}

#[derive(Clone, Debug)]
pub struct RateLimiter {
    client: Client,
    table: String,
    salt: String,
    clock: Clock,
}

impl RateLimiter {
    pub fn new(client: Client, table: impl Into<String>, salt: impl Into<String>) -> Self {
        Self { client, table: table.into(), salt: salt.into(), clock: Clock::system() }
    }

    /// The same limiter, reading the time from `clock` (which window is open).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn item_key(&self, limit: &Limit, subject: &str, window: i64) -> String {
        format!("{}#{}#{window}", limit.scope, client_key(&self.salt, subject))
    }

    /// Counts one attempt by `subject` (a client address, a ticket) if the
    /// window still has room.
    pub async fn admit(&self, limit: Limit, subject: &str) -> Result<Admission, AwsError> {
        let now = self.clock.now_unix();
        let (window, ends) = limit.window(now);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(self.item_key(&limit, subject, window)))
            .update_expression("ADD hits :one SET #exp = :exp")
            .condition_expression("attribute_not_exists(hits) OR hits < :max")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(limit.max))
            .expression_attribute_values(":exp", n(ends + 60))
            .send()
            .await;
        Ok(match conditional("UpdateItem rate limit", result)? {
            Some(_) => Admission::Admitted,
            None => Admission::Limited { retry_after_secs: (ends - now).max(1) as u64 },
        })
    }

    /// Whether `subject` has used up the window, without counting an attempt.
    pub async fn check(&self, limit: Limit, subject: &str) -> Result<Admission, AwsError> {
        let now = self.clock.now_unix();
        let (window, ends) = limit.window(now);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(self.item_key(&limit, subject, window)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::new("GetItem rate limit", e))?;
        let hits = out.item.as_ref().and_then(|i| number(i, "hits")).unwrap_or(0);
        Ok(if hits >= u64::from(limit.max) {
            Admission::Limited { retry_after_secs: (ends - now).max(1) as u64 }
        } else {
            Admission::Admitted
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_on_the_hour() {
        let limit = Limit::submissions(10);
        assert_eq!(limit.window(7200), (2, 10_800));
        assert_eq!(limit.window(10_799), (2, 10_800));
        assert_eq!(limit.window(10_800), (3, 14_400));
    }
}

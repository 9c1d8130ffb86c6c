//! Every rate limit of the portal, in one place: what each counts, how many a
//! window admits, the window, the defaults a deployment may change and the
//! largest count any limit may have. The limiter ([`crate::limiter`]) enforces
//! them; the pages, the widget and the template's parameters read them here.

/// The most admissions one limit may allow per window: one register slot each.
/// 100 slots make expressions of about 3 KB, under DynamoDB's 4 KB limit
/// (a unit test of the limiter holds the longest one to it; the emulator
/// checks no length).
pub const MAX_LIMIT: u32 = 100;

/// The window of every hourly limit; each holds over any 60 minutes, not per clock hour.
pub const HOUR_SECS: i64 = 3600;
/// The window of the typed-email misses.
pub const QUARTER_HOUR_SECS: i64 = 900;

/// Submissions per client address per hour when `SUBMIT_LIMIT_PER_HOUR` is
/// not set: the spec's 10.
pub const DEFAULT_SUBMIT_LIMIT_PER_HOUR: u32 = 10;
/// Failed typed-email lookups per client address and per ticket per 15 minutes
/// when `LOOKUP_LIMIT_PER_15_MIN` is not set.
pub const DEFAULT_LOOKUP_LIMIT_PER_15_MIN: u32 = 10;
/// Customer replies per client address per hour when `REPLY_LIMIT_PER_HOUR` is
/// not set.
pub const DEFAULT_REPLY_LIMIT_PER_HOUR: u32 = 20;
/// Customer replies per ticket per hour, from any address, when
/// `TICKET_REPLY_LIMIT_PER_HOUR` is not set.
pub const DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR: u32 = 100;
/// Access requests admitted per client address per hour (more are silently dropped).
pub const ACCESS_REQUESTS_PER_CLIENT_PER_HOUR: u32 = 10;
/// Access links emailed per address per hour (more are silently not sent).
pub const ACCESS_LINKS_PER_ADDRESS_PER_HOUR: u32 = 3;
/// New tickets by email per sender address per hour.
pub const INBOUND_TICKETS_PER_SENDER_PER_HOUR: u32 = 10;

/// What is being limited, and how much of it a window allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub scope: &'static str,
    /// Admissions per window, 1 to [`MAX_LIMIT`].
    pub max: u32,
    pub window_secs: i64,
}

impl Limit {
    /// A limit of `max` per `window_secs`, held to 1..=[`MAX_LIMIT`].
    pub const fn new(scope: &'static str, max: u32, window_secs: i64) -> Self {
        let max = if max == 0 {
            1
        } else if max > MAX_LIMIT {
            MAX_LIMIT
        } else {
            max
        };
        Self { scope, max, window_secs }
    }
    /// Ticket submissions per client address per 60 minutes.
    pub const fn submissions(max: u32) -> Self {
        Self::new("submit", max, HOUR_SECS)
    }
    /// Typed-email misses (tracking, replying) per client address per 15 minutes.
    pub const fn failed_lookups_per_client(max: u32) -> Self {
        Self::new("lookup-client", max, QUARTER_HOUR_SECS)
    }
    /// Typed-email misses per ticket per 15 minutes, from any address.
    pub const fn failed_lookups_per_ticket(max: u32) -> Self {
        Self::new("lookup-ticket", max, QUARTER_HOUR_SECS)
    }
    /// Customer replies per client address per 60 minutes.
    pub const fn replies_per_client(max: u32) -> Self {
        Self::new("reply-client", max, HOUR_SECS)
    }
    /// Customer replies per ticket per 60 minutes, from any address.
    pub const fn replies_per_ticket(max: u32) -> Self {
        Self::new("reply-ticket", max, HOUR_SECS)
    }
    /// Access-link requests per client address per hour (over it: silently dropped).
    pub const fn access_requests_per_client() -> Self {
        Self::new("access-client", ACCESS_REQUESTS_PER_CLIENT_PER_HOUR, HOUR_SECS)
    }
    /// Access links emailed per address per hour (over it: silently not sent).
    pub const fn access_links_per_address() -> Self {
        Self::new("access-address", ACCESS_LINKS_PER_ADDRESS_PER_HOUR, HOUR_SECS)
    }
    /// New tickets by email per sender address per 60 minutes.
    pub const fn inbound_tickets_per_sender() -> Self {
        Self::new("inbound-sender", INBOUND_TICKETS_PER_SENDER_PER_HOUR, HOUR_SECS)
    }
    /// Answers by email per sender address per 60 minutes (the portal's
    /// per-client reply limit, counted per address: mail has no client IP).
    pub const fn replies_by_mail_per_sender(max: u32) -> Self {
        Self::new("inbound-reply-sender", max, HOUR_SECS)
    }

    /// Seconds until the admission at `oldest` leaves the window, seen at
    /// `now` (at least 1; the whole window when the oldest is unknown).
    pub fn retry_after_secs(self, now: i64, oldest: Option<u64>) -> u64 {
        match oldest {
            Some(oldest) => {
                (i64::try_from(oldest).unwrap_or(i64::MAX).saturating_add(self.window_secs) - now).max(1) as u64
            }
            None => self.window_secs.max(1) as u64,
        }
    }
}

/// A limit that refused, and when it will take one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    pub limit: Limit,
    pub retry_after_secs: u64,
}

impl OverLimit {
    /// The refusal that waits longest (what `Retry-After` should say).
    pub fn longest(refusals: &[OverLimit]) -> Option<OverLimit> {
        refusals.iter().copied().max_by_key(|r| r.retry_after_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_stay_within_the_register() {
        assert_eq!(Limit::replies_per_client(0).max, 1);
        assert_eq!(Limit::replies_per_ticket(100).max, 100);
        assert_eq!(Limit::submissions(1000).max, MAX_LIMIT);
    }

    #[test]
    fn retry_after_is_when_the_oldest_slot_leaves_the_window() {
        let limit = Limit::submissions(10);
        assert_eq!(limit.retry_after_secs(1_500, Some(1_000)), 3_100);
        assert_eq!(limit.retry_after_secs(4_599, Some(1_000)), 1);
        assert_eq!(limit.retry_after_secs(9_999, Some(1_000)), 1, "never zero");
        assert_eq!(limit.retry_after_secs(1_500, None), 3_600, "unknown: the whole window");
    }

    #[test]
    fn the_longest_refusal_decides_retry_after() {
        let a = OverLimit { limit: Limit::replies_per_client(20), retry_after_secs: 10 };
        let b = OverLimit { limit: Limit::replies_per_ticket(100), retry_after_secs: 99 };
        assert_eq!(OverLimit::longest(&[a, b]), Some(b));
        assert_eq!(OverLimit::longest(&[]), None);
    }
}

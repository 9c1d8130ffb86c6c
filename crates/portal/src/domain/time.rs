//! Timestamps as Unix seconds, rendered in UTC by the `time` crate.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::{datetime, format_description};
use time::OffsetDateTime;

/// Seconds since the Unix epoch, UTC.
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `2026-11-25T16:22:50Z`.
pub fn rfc3339(unix: i64) -> String {
    // In range by construction (see `utc`), so formatting cannot fail.
    utc(unix).format(&Rfc3339).unwrap_or_default()
}

/// `25 Nov 2026, 16:22 UTC`, for pages and emails.
pub fn human(unix: i64) -> String {
    const HUMAN: &[BorrowedFormatItem<'_>] =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    utc(unix).format(HUMAN).unwrap_or_default()
}

/// The instant in UTC, clamped to the years RFC 3339 can write (0000 to 9999):
/// every stored time is far inside them.
fn utc(unix: i64) -> OffsetDateTime {
    let clamped = unix.clamp(FIRST_WRITABLE.unix_timestamp(), LAST_WRITABLE.unix_timestamp());
    OffsetDateTime::from_unix_timestamp(clamped).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

const FIRST_WRITABLE: OffsetDateTime = datetime!(0000-01-01 00:00:00 UTC);
const LAST_WRITABLE: OffsetDateTime = datetime!(9999-12-31 23:59:59 UTC);

/// A link token stored with `expires_at` no longer works from that second on.
pub fn link_expired(expires_at: i64, now: i64) -> bool {
    now >= expires_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_623_770), "2026-11-25T16:22:50Z");
        assert_eq!(human(1_795_623_770), "25 Nov 2026, 16:22 UTC");
        assert_eq!(human(951_782_400), "29 Feb 2000, 00:00 UTC");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn instants_outside_the_writable_years_are_clamped() {
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
        assert_eq!(human(i64::MAX), "31 Dec 9999, 23:59 UTC");
    }
}

//! The satisfaction survey's rules: the 1 to 5 rating and the 7-day, one-time link.

/// How long a Rate Your Experience link works.
pub const CSAT_LINK_TTL_SECS: i64 = 7 * 24 * 3600;

/// A link token stored with `expires_at` no longer works from that second on.
pub fn link_expired(expires_at: i64, now: i64) -> bool {
    now >= expires_at
}

/// A star rating, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stars(u8);

impl Stars {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().parse::<u8>() {
            Ok(n @ 1..=5) => Ok(Self(n)),
            _ => Err("Please choose a rating from 1 to 5 stars.".into()),
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        assert_eq!(Stars::parse("4").unwrap().get(), 4);
        assert_eq!(Stars::parse(" 1 ").unwrap().get(), 1);
        for bad in ["0", "6", "", "4.5", "-1", "five", "255", "256"] {
            assert!(Stars::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_expire_after_seven_days() {
        let issued = 1_000_000;
        let expires = issued + CSAT_LINK_TTL_SECS;
        assert!(!link_expired(expires, issued + 7 * 24 * 3600 - 1));
        assert!(link_expired(expires, issued + 7 * 24 * 3600));
    }
}

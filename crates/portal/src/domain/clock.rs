//! Where "now" comes from. Production reads the system clock; tests hold a
//! [`ManualClock`] and move it (across a rate-limit window, past a link's
//! expiry) instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::time::now_unix;

/// The portal's source of the current time, in Unix seconds. Cheap to clone:
/// every adapter holds the same one.
#[derive(Debug, Clone, Default)]
pub struct Clock(Source);

#[derive(Debug, Clone, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The system clock (UTC).
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// Seconds since the Unix epoch, UTC.
    pub fn now_unix(&self) -> i64 {
        match &self.0 {
            Source::System => now_unix(),
            Source::Manual(now) => now.load(Ordering::SeqCst),
        }
    }
}

/// A clock that stands still until a test moves it. Hand [`ManualClock::clock`]
/// to the portal and keep this handle to move time on.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock reading `unix` until moved.
    pub fn starting_at(unix: i64) -> Self {
        Self(Arc::new(AtomicI64::new(unix)))
    }

    /// A [`Clock`] that reads this one.
    pub fn clock(&self) -> Clock {
        Clock(Source::Manual(self.0.clone()))
    }

    /// Moves time on by `secs` (back, if negative).
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the time to `unix`.
    pub fn set(&self, unix: i64) {
        self.0.store(unix, Ordering::SeqCst);
    }

    pub fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_every_copy_sees_it() {
        let manual = ManualClock::starting_at(1_000);
        let (a, b) = (manual.clock(), manual.clock().clone());
        assert_eq!((a.now_unix(), b.now_unix()), (1_000, 1_000));
        manual.advance(3_600);
        assert_eq!((a.now_unix(), b.now_unix()), (4_600, 4_600));
        manual.set(10);
        assert_eq!(a.now_unix(), 10);
    }

    #[test]
    fn the_system_clock_reads_the_time() {
        let before = now_unix();
        let read = Clock::system().now_unix();
        assert!(read >= before && read <= now_unix());
    }
}

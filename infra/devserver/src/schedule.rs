//! The local stand-in for the EventBridge schedule of the outbox sweeper: the
//! same sweep Lambda runs, every few seconds instead of every minute. The
//! sweep only takes events whose last send is a minute old, so the shorter
//! period changes nothing but how soon after that minute a lost send goes out.

use std::sync::Arc;
use std::time::Duration;

use portal::Portal;

/// How often `make run` sweeps the outbox.
pub const LOCAL_SWEEP_PERIOD: Duration = Duration::from_secs(5);

/// Sweeps the outbox every `period`, forever.
pub async fn sweep_outbox_every(portal: Arc<Portal>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(err) = portal.sweep_outbox().await {
            tracing::warn!(error = %err, "sweeping the outbox failed; the next sweep tries again");
        }
    }
}

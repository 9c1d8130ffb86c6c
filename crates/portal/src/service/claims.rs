//! The ledger claims a record's processing holds right now, so that the worker
//! can give back those of a record it cuts off at its deadline. Otherwise such
//! a claim would turn every redelivery away as busy until it went stale, and a
//! queue that retries quickly would dead-letter the record first.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::Portal;

tokio::task_local! {
    static HELD: HeldClaims;
}

/// Claims taken and not yet settled (completed or released): effect key and holder.
#[derive(Debug, Clone, Default)]
pub struct HeldClaims(Arc<Mutex<Vec<(String, String)>>>);

impl HeldClaims {
    /// Runs `work`, noting here the claims it takes and settles.
    pub async fn track<F: Future>(&self, work: F) -> F::Output {
        HELD.scope(self.clone(), work).await
    }

    fn edit<T>(&self, change: impl FnOnce(&mut Vec<(String, String)>) -> T) -> T {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Notes a claim just taken by the work being tracked, if any.
pub(super) fn taken(key: &str, holder: &str) {
    let _ = HELD.try_with(|held| held.edit(|claims| claims.push((key.to_owned(), holder.to_owned()))));
}

/// Notes that a claim was completed or released.
pub(super) fn settled(key: &str, holder: &str) {
    let _ = HELD
        .try_with(|held| held.edit(|claims| claims.retain(|(k, h)| (k, h) != (&key.to_owned(), &holder.to_owned()))));
}

impl Portal {
    /// Gives back the claims of work that was cut off, within `budget`; a
    /// claim not given back in time goes stale as after a crash.
    pub async fn release_claims(&self, held: &HeldClaims, budget: Duration) {
        let claims = held.edit(std::mem::take);
        if claims.is_empty() {
            return;
        }
        let releases = claims.iter().map(|(key, holder)| self.store.release_effect(key, holder));
        match tokio::time::timeout(budget, futures_util::future::join_all(releases)).await {
            Ok(results) => {
                for err in results.into_iter().filter_map(Result::err) {
                    tracing::warn!(error = %err, "could not give back a cut-off claim; it goes stale");
                }
            }
            Err(_) => tracing::warn!(claims = claims.len(), "no time to give back cut-off claims; they go stale"),
        }
    }
}

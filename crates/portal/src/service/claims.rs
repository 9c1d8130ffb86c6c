//! The ledger claims a record's processing holds right now, so that the worker
//! can give back those of a record it cuts off at its deadline. Otherwise such
//! a claim would turn every redelivery away as busy until it went stale, and a
//! queue that retries quickly would dead-letter the record first.
//!
//! An email being sent is not given back (it may have left: a redelivery would
//! send it twice); its send and done mark run as a task of their own, which
//! cutting the record off does not stop, and the worker waits for them.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Portal;

tokio::task_local! {
    static HELD: HeldClaims;
}

/// What one record's processing holds: claims taken and not yet settled
/// (completed or released), and sends past their point of no return.
#[derive(Debug, Clone, Default)]
pub struct HeldClaims(Arc<Mutex<Held>>);

#[derive(Debug, Default)]
struct Held {
    /// Effect key and holder.
    claims: Vec<(String, String)>,
    sending: Vec<JoinHandle<()>>,
}

impl HeldClaims {
    /// Runs `work`, noting here the claims it takes and settles.
    pub async fn track<F: Future>(&self, work: F) -> F::Output {
        HELD.scope(self.clone(), work).await
    }

    fn edit<T>(&self, change: impl FnOnce(&mut Held) -> T) -> T {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Notes a claim just taken by the work being tracked, if any.
pub(super) fn taken(key: &str, holder: &str) {
    let _ = HELD.try_with(|held| held.edit(|h| h.claims.push((key.to_owned(), holder.to_owned()))));
}

/// Notes that a claim was completed or released.
pub(super) fn settled(key: &str, holder: &str) {
    let _ = HELD.try_with(|held| held.edit(|h| h.claims.retain(|(k, c)| k != key || c != holder)));
}

/// Notes that a claim's effect is past its point of no return, running as `task`:
/// it is waited for, never given back.
pub(super) fn sending(key: &str, holder: &str, task: JoinHandle<()>) {
    let _ = HELD.try_with(|held| {
        held.edit(|h| {
            h.claims.retain(|(k, c)| k != key || c != holder);
            h.sending.push(task);
        })
    });
}

impl Portal {
    /// Gives back the claims of work that was cut off and waits for its sends
    /// to finish, within `budget`. A claim not given back in time goes stale
    /// as after a crash; a send not finished in time goes on meanwhile (in
    /// Lambda: when the process next thaws).
    pub async fn release_claims(&self, held: &HeldClaims, budget: Duration) {
        let Held { claims, sending } = held.edit(std::mem::take);
        if claims.is_empty() && sending.is_empty() {
            return;
        }
        let releases =
            futures_util::future::join_all(claims.iter().map(|(key, holder)| self.store.release_effect(key, holder)));
        let sends = futures_util::future::join_all(sending);
        match tokio::time::timeout(budget, futures_util::future::join(releases, sends)).await {
            Ok((results, _)) => {
                for err in results.into_iter().filter_map(Result::err) {
                    tracing::warn!(error = %err, "could not give back a cut-off claim; it goes stale");
                }
            }
            Err(_) => tracing::warn!(
                claims = claims.len(),
                "no time to give back cut-off claims or finish their sends; claims go stale, sends go on"
            ),
        }
    }
}

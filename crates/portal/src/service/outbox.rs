//! Getting events to the worker without anyone's retry. Each write that
//! announces an event records it in the outbox in the same transaction (see
//! `store::outbox`); the request then sends it at once (the fast path). A send
//! that fails is only logged: the sweeper sends every event the worker has not
//! acknowledged a minute later, and the worker's effect ledger keeps each email
//! and notification to one, however many copies arrive.

use super::Portal;
use super::Unavailable;
use crate::aws::AwsError;
use crate::domain::PortalEvent;
use crate::queue::MAX_BATCH;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Unacknowledged events whose last send was a minute ago or more.
    pub due: usize,
    /// Of those, the ones sent again (the others were acknowledged or taken
    /// by another sweep meanwhile, or SQS refused them: they stay due).
    pub sent: usize,
}

impl Portal {
    /// The fast path: sends an event whose write has committed (or is being
    /// committed alongside). A failure is not the request's: the event is in
    /// the outbox and the sweeper sends it.
    pub(super) async fn announce(&self, event: &PortalEvent) {
        if let Err(err) = self.queue.publish(event).await {
            tracing::warn!(kind = event.kind.as_str(), workspace = %event.workspace, reference = %event.reference, error = %err, "event not queued; the outbox sweeper will send it");
        }
    }

    /// For a replayed request: sends its event again only if the worker has
    /// not acknowledged it (the first attempt's send may have failed).
    pub(super) async fn announce_if_undelivered(&self, pending: Result<bool, AwsError>, event: &PortalEvent) {
        match pending {
            Ok(true) => self.announce(event).await,
            Ok(false) => {}
            // Unknown: sending is the safe side, a duplicate acts once.
            Err(err) => {
                tracing::warn!(error = %err, "cannot tell whether a replayed event was delivered; sending it");
                self.announce(event).await
            }
        }
    }

    /// Sends again every event the worker has not acknowledged a minute after
    /// its last send, in batches. The sweeper function runs this every minute
    /// (the local stack every few seconds; the minute is the events' own age).
    pub async fn sweep_outbox(&self) -> Result<Sweep, Unavailable> {
        let now = self.clock.now_unix();
        let due = self.store.due_events(now).await?;
        let mut sweep = Sweep { due: due.len(), sent: 0 };
        let mut taken = Vec::with_capacity(due.len());
        for event in due {
            if self.store.take_for_resend(&event, now).await? {
                taken.push(event);
            }
        }
        for batch in taken.chunks(MAX_BATCH) {
            match self.queue.publish_batch(batch).await {
                Ok(sent) => sweep.sent += sent,
                Err(err) => tracing::warn!(error = %err, "outbox batch not sent; the next sweep tries again"),
            }
        }
        if sweep.due > 0 {
            tracing::info!(due = sweep.due, sent = sweep.sent, "outbox swept");
        }
        Ok(sweep)
    }
}

//! A write refused because the ticket changed since it was read (an agent
//! and a customer at once) is read again and retried, a few times, here.

use std::future::Future;

/// How many times a use case re-reads a ticket that changed under it.
const STALE_RETRIES: usize = 4;

/// What one read-then-write attempt came to.
pub(crate) enum Attempt<T> {
    Done(T),
    /// The ticket changed between the read and the write: read again.
    Stale,
}

/// The ticket kept changing under every attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the ticket kept changing; try again")]
pub struct Contended;

/// Runs `attempt` until it is not stale, at most [`STALE_RETRIES`] times.
/// (A closure returning a future rather than an async closure: futures of
/// async closures are not provably `Send` to the Lambda runtime yet.)
pub(crate) async fn until_fresh<T, E, Fut>(mut attempt: impl FnMut() -> Fut) -> Result<T, E>
where
    Fut: Future<Output = Result<Attempt<T>, E>>,
    E: From<Contended>,
{
    for _ in 0..STALE_RETRIES {
        if let Attempt::Done(done) = attempt().await? {
            return Ok(done);
        }
    }
    Err(Contended.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Failed {
        Contended,
    }

    impl From<Contended> for Failed {
        fn from(_: Contended) -> Self {
            Failed::Contended
        }
    }

    #[tokio::test]
    async fn retries_stale_attempts_a_few_times_then_gives_up() {
        let mut tries = 0;
        let done = until_fresh(|| {
            tries += 1;
            let outcome = if tries < 3 { Attempt::Stale } else { Attempt::Done(tries) };
            async move { Ok::<_, Failed>(outcome) }
        })
        .await;
        assert_eq!(done, Ok(3));
        let mut tries = 0;
        let never = until_fresh(|| {
            tries += 1;
            async { Ok::<Attempt<()>, Failed>(Attempt::Stale) }
        })
        .await;
        assert_eq!((never, tries), (Err(Failed::Contended), STALE_RETRIES));
    }
}

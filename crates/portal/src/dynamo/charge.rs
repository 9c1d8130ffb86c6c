//! One admission of a limit, written inside a transaction: the limiter builds
//! it, a store operation adds it as a part, so that the charge and the write
//! it pays for happen together or not at all.

use aws_sdk_dynamodb::types::Update;

use super::{number, Item};
use crate::domain::limits::{Limit, OverLimit};

/// Opaque to the service, which only hands it on; the store adds
/// [`Charge::update`] as a part and maps a refusal back with [`Charge::refused`].
#[derive(Debug, Clone)]
pub struct Charge {
    limit: Limit,
    now: i64,
    update: Update,
    /// The attribute holding the oldest admission in the window.
    oldest: &'static str,
}

impl Charge {
    /// `update` admits one more under `limit` at `now`; a refused register
    /// keeps its oldest admission in the attribute `oldest`.
    pub(crate) fn new(limit: Limit, now: i64, update: Update, oldest: &'static str) -> Self {
        Self { limit, now, update, oldest }
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// The register's update (with its condition) for a transaction.
    pub(crate) fn update(&self) -> Update {
        self.update.clone()
    }

    /// What a refusal of this charge means, from the register as it was.
    pub(crate) fn refused(&self, old: Option<&Item>) -> OverLimit {
        let oldest = old.and_then(|item| number(item, self.oldest));
        OverLimit { limit: self.limit, retry_after_secs: self.limit.retry_after_secs(self.now, oldest) }
    }
}

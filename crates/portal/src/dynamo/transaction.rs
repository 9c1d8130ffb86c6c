//! All-or-nothing writes (TransactWriteItems) built from labelled parts, so a
//! cancelled transaction says which parts' conditions did not hold. Every
//! multi-item write of both tables goes through here: a ticket with its
//! contact, a comment with its status change, a rating with its token, and the
//! limits and outbox items charged alongside them.
//!
//! DynamoDB lists one cancellation reason per item, in order, `None` for
//! items that were fine. Only a cancellation whose reasons are all `None` or
//! `ConditionalCheckFailed` is a refusal; one cancelled for a conflict with
//! another transaction on the same item (or for throttling) wrote nothing and
//! is sent again, because the SDK does not retry either.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use rand::Rng;

use super::{Charge, Item};
use crate::aws::AwsError;
use crate::domain::limits::OverLimit;

/// DynamoDB's cap on the items of one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
/// How often a transaction cancelled by a conflict is sent again.
const CONFLICT_RETRIES: usize = 4;

const NO_REASON: &str = "None";
const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// Reasons that mean "nothing was written, try again".
const RETRYABLE: [&str; 3] = ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"];

/// One transaction under construction; `P` labels its parts (each caller has
/// its own small enum).
#[derive(Debug, Clone)]
pub struct Transaction<P> {
    operation: &'static str,
    parts: Vec<P>,
    items: Vec<TransactWriteItem>,
}

/// The parts whose conditions did not hold, each with the item as it was when
/// the part asked for it (`ReturnValuesOnConditionCheckFailure`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused<P> {
    parts: Vec<(P, Option<Item>)>,
}

impl<P: Copy + PartialEq> Refused<P> {
    /// Whether `part`'s condition failed.
    pub fn contains(&self, part: P) -> bool {
        self.parts.iter().any(|(p, _)| *p == part)
    }

    /// The stored item of a refused part, when it asked for it and it existed.
    pub fn item(&self, part: P) -> Option<&Item> {
        self.parts.iter().find(|(p, _)| *p == part).and_then(|(_, item)| item.as_ref())
    }

    /// The charges (added as `part(i)` for `charges[i]`) that were refused,
    /// each with its limit and when it takes one more.
    pub fn over_limits(&self, charges: &[Charge], part: impl Fn(usize) -> P) -> Vec<OverLimit> {
        (0..charges.len()).filter(|i| self.contains(part(*i))).map(|i| charges[i].refused(self.item(part(i)))).collect()
    }
}

/// How a transaction ended.
pub type Outcome<P> = Result<(), Refused<P>>;

impl<P: Copy + PartialEq> Transaction<P> {
    /// An empty transaction; `operation` names it in errors.
    pub fn new(operation: &'static str) -> Self {
        Self { operation, parts: Vec::new(), items: Vec::new() }
    }

    /// Adds a ready item under `part`.
    pub fn push(&mut self, part: P, item: TransactWriteItem) -> &mut Self {
        self.parts.push(part);
        self.items.push(item);
        self
    }

    pub fn put(&mut self, part: P, put: Put) -> &mut Self {
        self.push(part, TransactWriteItem::builder().put(put).build())
    }

    pub fn update(&mut self, part: P, update: Update) -> &mut Self {
        self.push(part, TransactWriteItem::builder().update(update).build())
    }

    pub fn check(&mut self, part: P, check: ConditionCheck) -> &mut Self {
        self.push(part, TransactWriteItem::builder().condition_check(check).build())
    }

    /// Adds `charge`'s register update under `part`: the limit is counted only
    /// if the whole transaction is written.
    pub fn charge(&mut self, part: P, charge: &Charge) -> &mut Self {
        self.update(part, charge.update())
    }

    /// Writes every part or none. `Ok(Err(refused))` when conditions did not
    /// hold; `Err` for anything else, including a conflict that outlasted
    /// its retries.
    pub async fn send(self, client: &Client) -> Result<Outcome<P>, AwsError> {
        if self.items.len() > MAX_TRANSACTION_ITEMS {
            return Err(AwsError::unusable_answer(self.operation, "more items than one transaction may hold"));
        }
        let mut attempt = 0;
        loop {
            let result = client.transact_write_items().set_transact_items(Some(self.items.clone())).send().await;
            match judge(&self.parts, result) {
                Judged::Written => return Ok(Ok(())),
                Judged::Refused(refused) => return Ok(Err(refused)),
                Judged::Retry(_) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(operation = self.operation, attempt, "transaction cancelled by a conflict; again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Judged::Retry(err) | Judged::Failed(err) => return Err(AwsError::new(self.operation, err)),
            }
        }
    }
}

type SendResult<R> = Result<
    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput,
    SdkError<TransactWriteItemsError, R>,
>;

enum Judged<P, E> {
    Written,
    Refused(Refused<P>),
    Retry(E),
    Failed(E),
}

fn judge<P: Copy, R>(parts: &[P], result: SendResult<R>) -> Judged<P, SdkError<TransactWriteItemsError, R>>
where
    R: std::fmt::Debug,
{
    let err = match result {
        Ok(_) => return Judged::Written,
        Err(err) => err,
    };
    let reasons: Vec<CancellationReason> = match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e.cancellation_reasons().to_vec(),
        _ => return Judged::Failed(err),
    };
    match classify(&reasons) {
        Reasons::Conditions(failed) => Judged::Refused(Refused {
            parts: failed.into_iter().filter_map(|i| Some((*parts.get(i)?, reasons[i].item().cloned()))).collect(),
        }),
        Reasons::Retryable => Judged::Retry(err),
        Reasons::Other => Judged::Failed(err),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Reasons {
    /// Only conditions failed: the indexes of the items whose did.
    Conditions(Vec<usize>),
    Retryable,
    Other,
}

fn classify(reasons: &[CancellationReason]) -> Reasons {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or(NO_REASON)).collect();
    if codes.iter().any(|c| RETRYABLE.contains(c)) {
        return Reasons::Retryable;
    }
    if !codes.iter().all(|c| *c == NO_REASON || *c == CONDITION_FAILED) {
        return Reasons::Other;
    }
    let failed: Vec<usize> =
        codes.iter().enumerate().filter(|(_, c)| **c == CONDITION_FAILED).map(|(i, _)| i).collect();
    if failed.is_empty() {
        Reasons::Other
    } else {
        Reasons::Conditions(failed)
    }
}

/// 10 to 40 ms, growing, with jitter so that colliding requests spread out.
fn backoff(attempt: usize) -> Duration {
    let base = 10 * attempt as u64;
    Duration::from_millis(base + rand::thread_rng().gen_range(0..=base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(code: &str) -> CancellationReason {
        CancellationReason::builder().code(code).build()
    }

    #[test]
    fn only_conditions_make_a_refusal() {
        let r = [reason("None"), reason(CONDITION_FAILED), reason("None"), reason(CONDITION_FAILED)];
        assert_eq!(classify(&r), Reasons::Conditions(vec![1, 3]));
        assert_eq!(classify(&[reason("None"), reason("TransactionConflict")]), Reasons::Retryable);
        assert_eq!(classify(&[reason(CONDITION_FAILED), reason("ThrottlingError")]), Reasons::Retryable);
        assert_eq!(classify(&[reason("None"), reason("ValidationError")]), Reasons::Other);
        assert_eq!(classify(&[reason("None")]), Reasons::Other, "cancelled with no reason is not a refusal");
    }

    #[test]
    fn refusals_name_their_parts() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Part {
            Ticket,
            Limit,
        }
        let refused = Refused { parts: vec![(Part::Limit, None)] };
        assert!(refused.contains(Part::Limit));
        assert!(!refused.contains(Part::Ticket));
        assert_eq!(refused.item(Part::Limit), None);
    }

    #[test]
    fn backoff_stays_short() {
        for attempt in 1..=CONFLICT_RETRIES {
            assert!(backoff(attempt) <= Duration::from_millis(20 * attempt as u64));
        }
    }
}

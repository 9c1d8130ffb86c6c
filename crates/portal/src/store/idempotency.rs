//! Idempotency records: a retried request (same key) gets what the first one
//! made, a ticket for a submission or a comment for a reply.
//!
//! A new ticket's key is *claimed* before anything is spent on it (the
//! ticket number, the event): concurrent copies of one submission meet on
//! the claim, one wins and the rest wait for its ticket, so a double click
//! costs no number. The winner's ticket transaction turns its claim into the
//! record; a claim whose holder died is taken over once it is stale.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure};

use super::keys::{idempotency_sk, workspace_pk, PK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{TicketRef, WorkspaceSlug};
use crate::dynamo::{condition_outcome, conditional, from_item, key, n, s, to_item, Item};

/// How long a submission's idempotency key is remembered.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;

/// How long a claimed key waits for its holder before another request may
/// take it over: longer than any function that claims runs (the HTTP
/// functions stop after 10 s, inbound-email after 30 s).
pub const STALE_KEY_CLAIM_SECS: i64 = 60;

const HOLDER: &str = "holder";
const CLAIMED_AT: &str = "claimedAt";
const REFERENCE: &str = "reference";
const FINGERPRINT: &str = "fingerprint";
const EXPIRES_AT: &str = "expiresAt";

/// A key as stored: claimed by a request still making its ticket, or done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remembered {
    /// A request with this fingerprint holds the key and has not finished.
    Claimed {
        fingerprint: String,
    },
    Done(IdempotencyRecord),
}

/// What asking for a key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// This request holds the key: hand it to the ticket's transaction.
    Won(ClaimedKey),
    /// Another request holds it, or made its ticket already.
    Held(Remembered),
}

/// A key this request holds, until its ticket transaction records what it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedKey {
    pub(super) key: String,
    pub(super) fingerprint: String,
    pub(super) holder: String,
}

/// Every state of the item (a claim has no reference yet).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredKey {
    reference: Option<TicketRef>,
    id: Option<String>,
    fingerprint: String,
    expires_at: i64,
}

impl StoredKey {
    fn remembered(self, now: i64) -> Option<Remembered> {
        if self.expires_at <= now {
            // The emulator (and DynamoDB, for up to days) keeps expired items.
            return None;
        }
        Some(match (self.reference, self.id) {
            (Some(reference), Some(id)) => Remembered::Done(IdempotencyRecord {
                reference,
                id,
                fingerprint: self.fingerprint,
                expires_at: self.expires_at,
            }),
            _ => Remembered::Claimed { fingerprint: self.fingerprint },
        })
    }
}

/// A remembered request: the same key returns what the first request made
/// (a ticket for a submission, a comment for a reply).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    pub reference: TicketRef,
    /// The ticket id (submission) or comment id (reply).
    pub id: String,
    pub fingerprint: String,
    pub expires_at: i64,
}

impl IdempotencyRecord {
    /// The record of a request made at `now`.
    pub(super) fn new(reference: TicketRef, id: &str, fingerprint: &str, now: i64) -> Self {
        Self {
            reference,
            id: id.to_owned(),
            fingerprint: fingerprint.to_owned(),
            expires_at: now + IDEMPOTENCY_TTL_SECS,
        }
    }

    /// The transaction item that turns `claim` into this record: only while
    /// the claim is still this request's (not taken over as stale).
    pub(super) fn put_claimed(&self, table: &str, slug: &WorkspaceSlug, claim: &ClaimedKey) -> Result<Put, AwsError> {
        Put::builder()
            .table_name(table)
            .set_item(Some(to_item(self, workspace_pk(slug), idempotency_sk(&claim.key))?))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":holder", s(&claim.holder))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems idempotency", e))
    }

    /// The transaction item that records it, unless the key is taken (and not yet expired).
    pub(super) fn put(&self, table: &str, slug: &WorkspaceSlug, scoped_key: &str, now: i64) -> Result<Put, AwsError> {
        Put::builder()
            .table_name(table)
            .set_item(Some(to_item(self, workspace_pk(slug), idempotency_sk(scoped_key))?))
            .condition_expression("attribute_not_exists(#pk) OR expiresAt < :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems idempotency", e))
    }
}

/// Keys of replies are scoped to their ticket, so one client key cannot collide across tickets.
pub fn reply_idempotency_scope(reference: TicketRef, key: &str) -> String {
    format!("reply#{reference}#{key}")
}

impl Store {
    /// What the key made, once its request finished (a key still claimed is `None`).
    pub async fn find_idempotent(
        &self,
        slug: &WorkspaceSlug,
        idempotency_key: &str,
    ) -> Result<Option<IdempotencyRecord>, AwsError> {
        Ok(match self.remembered(slug, idempotency_key).await? {
            Some(Remembered::Done(record)) => Some(record),
            Some(Remembered::Claimed { .. }) | None => None,
        })
    }

    /// The key as stored: claimed, done, or unknown (or expired).
    pub async fn remembered(
        &self,
        slug: &WorkspaceSlug,
        idempotency_key: &str,
    ) -> Result<Option<Remembered>, AwsError> {
        let found = self.get("GetItem idempotency", key(workspace_pk(slug), idempotency_sk(idempotency_key))).await?;
        let now = self.clock.now_unix();
        Ok(found.map(from_item::<StoredKey>).transpose()?.and_then(|k| k.remembered(now)))
    }

    /// Claims `idempotency_key` for a new ticket, in one conditional write that
    /// answers with the key as stored when another request has it: free,
    /// expired, or claimed by a holder silent for [`STALE_KEY_CLAIM_SECS`]
    /// (it died: its ticket, if it was made, turned the claim into a record).
    pub async fn claim_idempotent(
        &self,
        slug: &WorkspaceSlug,
        idempotency_key: &str,
        fingerprint: &str,
    ) -> Result<KeyClaim, AwsError> {
        const OPERATION: &str = "PutItem idempotency claim";
        let now = self.clock.now_unix();
        let holder = ulid::Ulid::new().to_string();
        let mut item: Item = key(workspace_pk(slug), idempotency_sk(idempotency_key));
        item.insert(FINGERPRINT.into(), s(fingerprint));
        item.insert(HOLDER.into(), s(&holder));
        item.insert(CLAIMED_AT.into(), n(now));
        item.insert(EXPIRES_AT.into(), n(now + IDEMPOTENCY_TTL_SECS));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#pk) OR #expires < :now OR (attribute_not_exists(#ref) AND #claimed < :stale)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#ref", REFERENCE)
            .expression_attribute_names("#claimed", CLAIMED_AT)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":stale", n(now - STALE_KEY_CLAIM_SECS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match condition_outcome(OPERATION, result)? {
            Ok(_) => Ok(KeyClaim::Won(ClaimedKey {
                key: idempotency_key.to_owned(),
                fingerprint: fingerprint.to_owned(),
                holder,
            })),
            Err(PutItemError::ConditionalCheckFailedException(held)) => {
                let stored = held.item.map(from_item::<StoredKey>).transpose()?.and_then(|k| k.remembered(now));
                // Cannot be free: the condition held for a missing or expired item.
                let stored = stored.ok_or_else(|| AwsError::unusable_answer(OPERATION, "a refused claim of no key"))?;
                Ok(KeyClaim::Held(stored))
            }
            Err(other) => Err(AwsError::new(OPERATION, other)),
        }
    }

    /// Gives a claim back when its request made nothing (refused, failed), so
    /// that a retry need not wait for it to go stale. A claim that became a
    /// record, or was taken over, stays.
    pub async fn release_idempotent(&self, slug: &WorkspaceSlug, claim: &ClaimedKey) -> Result<(), AwsError> {
        const OPERATION: &str = "DeleteItem idempotency claim";
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(slug), idempotency_sk(&claim.key))))
            .condition_expression("#holder = :holder AND attribute_not_exists(#ref)")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#ref", REFERENCE)
            .expression_attribute_values(":holder", s(&claim.holder))
            .send()
            .await;
        conditional(OPERATION, result).map(|_| ())
    }
}

impl ClaimedKey {
    /// The fingerprint of the request that holds the key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

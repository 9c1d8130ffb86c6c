//! Idempotency records: a retried request (same key) gets what the first one
//! made, a ticket for a submission or a comment for a reply.

use aws_sdk_dynamodb::types::Put;

use super::dynamo::{from_item, key, n, to_item};
use super::keys::{idempotency_sk, workspace_pk, PK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{TicketRef, WorkspaceSlug};

/// How long a submission's idempotency key is remembered.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;

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
    pub async fn find_idempotent(
        &self,
        slug: &WorkspaceSlug,
        idempotency_key: &str,
    ) -> Result<Option<IdempotencyRecord>, AwsError> {
        let found: Option<IdempotencyRecord> = self
            .get("GetItem idempotency", key(workspace_pk(slug), idempotency_sk(idempotency_key)))
            .await?
            .map(from_item)
            .transpose()?;
        // The emulator (and DynamoDB, for up to days) keeps expired items.
        Ok(found.filter(|f| f.expires_at > self.clock.now_unix()))
    }
}

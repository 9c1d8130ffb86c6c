//! DynamoDB adapter: reads and writes the portal table, one module per
//! aggregate. Knows nothing of HTTP. Key design and access patterns: see
//! [`keys`]; items, conditions and transactions: the base both tables stand
//! on, [`crate::dynamo`].

mod agent;
mod contact;
mod conversation;
mod idempotency;
mod inbox;
pub mod keys;
mod ledger;
mod logo;
mod outbox;
pub mod schema;
mod session;
mod ticket;
mod token;
mod workspace;

use aws_sdk_dynamodb::Client;

use crate::aws::AwsError;
use crate::domain::clock::Clock;
use crate::dynamo::s;
pub use crate::dynamo::Item;
pub use conversation::{CommentWrite, CustomerReply};
pub use idempotency::{
    reply_idempotency_scope, ClaimedKey, IdempotencyRecord, KeyClaim, Remembered, IDEMPOTENCY_TTL_SECS,
    STALE_KEY_CLAIM_SECS,
};
use keys::{PK, SK};
pub use ledger::{Claim, STALE_CLAIM_SECS};
pub use outbox::{MAX_RESENDS, RESEND_AFTER_SECS};
pub use ticket::{CreateTicketError, StatusChange, TicketWriteError, TypedEmail};
pub use token::RatingWrite;

/// The portal table.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    clock: Clock,
}

impl Store {
    /// The table `table`, on the system clock.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), clock: Clock::system() }
    }

    /// The same table, reading the time from `clock` (expiries, timestamps).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One item by key, read consistently.
    async fn get(&self, operation: &'static str, key: Item) -> Result<Option<Item>, AwsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::new(operation, e))?;
        Ok(out.item)
    }

    /// All items of one partition whose sort key starts with `prefix` (all pages).
    async fn query_prefix(&self, pk: String, prefix: Option<&str>) -> Result<Vec<Item>, AwsError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_exclusive_start_key(start.take());
            request = match prefix {
                Some(prefix) => request
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", SK)
                    .expression_attribute_values(":prefix", s(prefix)),
                None => request.key_condition_expression("#pk = :pk"),
            };
            let out = request.send().await.map_err(|e| AwsError::new("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(items),
            }
        }
    }
}

//! Link token items, keyed by the token's hash, and the survey answer that
//! uses one.

use aws_sdk_dynamodb::types::Update;

use super::keys::{ticket_pk, token_pk, EXPIRES_AT, PK, TICKET_SK, TOKEN_SK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{LinkToken, Rating, Status};
use crate::dynamo::transaction::Transaction;
use crate::dynamo::{attribute, from_item, key, n, s, to_item};

/// The parts of a rating's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RatingPart {
    Token,
    Ticket,
}

impl Store {
    /// Stores a link token under its hash.
    pub async fn put_link_token(&self, token_hash: &str, token: &LinkToken) -> Result<(), AwsError> {
        let mut item = to_item(token, token_pk(token_hash), TOKEN_SK.into())?;
        item.insert(EXPIRES_AT.into(), n(token.expires_at));
        self.put_new("PutItem token", item).await
    }

    /// The token stored under `token_hash`, expired or not (callers check).
    pub async fn link_token(&self, token_hash: &str) -> Result<Option<LinkToken>, AwsError> {
        self.get("GetItem token", key(token_pk(token_hash), TOKEN_SK)).await?.map(from_item).transpose()
    }

    /// Uses a survey token and stores the rating on its ticket, together, only
    /// if the token is unused and unexpired (the first answer wins) and the
    /// ticket still stands resolved by the token's resolution.
    pub async fn record_rating(
        &self,
        token_hash: &str,
        token: &LinkToken,
        rating: &Rating,
    ) -> Result<RatingWrite, AwsError> {
        let now = self.clock.now_unix();
        let reference = token.reference.ok_or_else(|| {
            AwsError::unusable_answer("TransactWriteItems record rating", "a survey token names no ticket")
        })?;
        let use_token = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(token_hash), TOKEN_SK)))
            .update_expression("SET usedAt = :now")
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(usedAt) OR attribute_type(usedAt, :null)) AND expiresAt > :now",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":null", s("NULL"))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems token", e))?;
        // The same rule as `domain::csat::survey_stands`, as a condition.
        let mut standing = Vec::new();
        let mut rate = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(&token.workspace, reference), TICKET_SK)))
            .update_expression("SET rating = :rating")
            .expression_attribute_names("#resolution", "resolution")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":resolution", s(&token.subject_id))
            .expression_attribute_values(":rating", attribute(rating, "serialize rating")?);
        for (i, status) in Status::ALL.into_iter().filter(|s| s.is_resolved()).enumerate() {
            standing.push(format!(":standing{i}"));
            rate = rate.expression_attribute_values(format!(":standing{i}"), attribute(&status, "serialize status")?);
        }
        let rate = rate
            .condition_expression(format!("#resolution.#id = :resolution AND #status IN ({})", standing.join(", ")))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems rating", e))?;
        let mut transaction = Transaction::new("TransactWriteItems record rating");
        transaction.update(RatingPart::Token, use_token).update(RatingPart::Ticket, rate);
        match transaction.send(&self.client).await? {
            Ok(()) => Ok(RatingWrite::Recorded),
            Err(refused) if refused.contains(RatingPart::Ticket) => Ok(RatingWrite::Superseded),
            Err(_) => Ok(RatingWrite::TokenSpent),
        }
    }
}

/// How an answer to a survey went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingWrite {
    Recorded,
    /// The ticket was reopened or resolved again since the link went out (or is gone).
    Superseded,
    /// The token was used already, or has expired.
    TokenSpent,
}

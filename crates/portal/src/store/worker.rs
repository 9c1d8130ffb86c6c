//! What the assign-worker keeps in the portal table: the ledger that makes each
//! effect run once, agents' inbox items, the round-robin counter, and one-time
//! link tokens.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{from_item, key, n, s, to_item, Store};
use crate::aws::AwsError;
use crate::domain::time::now_unix;
use crate::domain::{TicketRef, WorkspaceSlug};

/// A claimed effect older than this is taken to have crashed mid-way and may run again.
pub const STALE_CLAIM_SECS: i64 = 120;
/// Ledger entries outlive any redelivery (SQS keeps messages at most 14 days).
const LEDGER_TTL_SECS: i64 = 15 * 24 * 3600;

/// The answer to "may I run this effect?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Yours: run it, then [`Store::complete_effect`] (or [`Store::release_effect`] if it failed).
    Run,
    /// It ran already.
    Done,
    /// Someone else is running it right now: try again later.
    Busy,
}

/// An in-app notification for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// Unique per happening (ticket id, comment id): writing it twice is a no-op.
    pub id: String,
    pub agent: String,
    pub kind: String,
    pub reference: TicketRef,
    pub text: String,
    pub created_at: i64,
    pub read: bool,
}

/// A one-time link token, stored only as the hash of the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkToken {
    pub purpose: String,
    pub workspace: WorkspaceSlug,
    pub reference: TicketRef,
    /// The resolution the survey is about.
    pub subject_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    /// Claims an effect before running it.
    pub async fn claim_effect(&self, effect_key: &str) -> Result<Claim, AwsError> {
        let now = now_unix();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key(effect_pk(effect_key), "EFFECT")))
            .item("state", s("claimed"))
            .item("claimedAt", n(now))
            .item(EXPIRES_AT, n(now + LEDGER_TTL_SECS))
            .condition_expression("attribute_not_exists(#pk) OR (#state = :claimed AND claimedAt < :stale)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":stale", n(now - STALE_CLAIM_SECS))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Run),
            Err(err) => match err.as_service_error() {
                Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e)) => {
                    let done = e.item().and_then(|i| i.get("state")) == Some(&s("done"));
                    if done || e.item().is_none() && self.effect_done(effect_key).await? {
                        Ok(Claim::Done)
                    } else {
                        Ok(Claim::Busy)
                    }
                }
                _ => Err(AwsError::new("PutItem effect claim", err)),
            },
        }
    }

    async fn effect_done(&self, effect_key: &str) -> Result<bool, AwsError> {
        let item = self.get("GetItem effect", key(effect_pk(effect_key), "EFFECT")).await?;
        Ok(item.and_then(|i| i.get("state").cloned()) == Some(s("done")))
    }

    /// Marks a claimed effect as done for good.
    pub async fn complete_effect(&self, effect_key: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect_key), "EFFECT")))
            .update_expression("SET #state = :done, doneAt = :now")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":now", n(now_unix()))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateItem effect done", e))?;
        Ok(())
    }

    /// Gives a claimed effect back after it failed, so a redelivery can run it.
    pub async fn release_effect(&self, effect_key: &str) -> Result<(), AwsError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect_key), "EFFECT")))
            .condition_expression("#state = :claimed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", s("claimed"))
            .send()
            .await
            .map(|_| ())
            .or_else(|err| {
                if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) {
                    Ok(())
                } else {
                    Err(AwsError::new("DeleteItem effect", err))
                }
            })
    }

    /// Takes the next round-robin position of the workspace.
    pub async fn next_assignment_slot(&self, slug: &WorkspaceSlug) -> Result<u64, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(slug), WORKSPACE_SK)))
            .update_expression("ADD assignSeq :one")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateItem assignSeq", e))?;
        match out.attributes.as_ref().and_then(|a| a.get("assignSeq")) {
            Some(AttributeValue::N(raw)) => {
                raw.parse::<u64>().map(|v| v - 1).map_err(|e| AwsError::new("assignSeq", e))
            }
            _ => Err(AwsError { operation: "UpdateItem assignSeq", detail: "counter missing from reply".into() }),
        }
    }

    /// Sets the assignee only if the ticket has none (a redelivered message does not reassign).
    pub async fn assign_if_unassigned(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        agent: &crate::domain::Agent,
    ) -> Result<bool, AwsError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(slug, reference), TICKET_SK)))
            .update_expression("SET assignee = :id, assigneeName = :name, updatedAt = :now")
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(assignee) OR attribute_type(assignee, :null))",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":id", s(&agent.id))
            .expression_attribute_values(":name", s(&agent.name))
            .expression_attribute_values(":now", n(now_unix()))
            .expression_attribute_values(":null", s("NULL"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(AwsError::new("UpdateItem assign", err)),
        }
    }

    /// Adds an inbox item unless it is there already.
    pub async fn add_inbox_item(&self, slug: &WorkspaceSlug, item: &InboxItem) -> Result<(), AwsError> {
        let sk = format!("{}{}", inbox_prefix(&item.agent), item.id);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(item, workspace_pk(slug), sk)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(err) => Err(AwsError::new("PutItem inbox", err)),
        }
    }

    /// An agent's inbox, newest first.
    pub async fn inbox(&self, slug: &WorkspaceSlug, agent: &str) -> Result<Vec<InboxItem>, AwsError> {
        let items = self.query_prefix(workspace_pk(slug), Some(&inbox_prefix(agent))).await?;
        let mut inbox: Vec<InboxItem> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        inbox.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(inbox)
    }

    /// Marks one inbox item read; false if there is no such item.
    pub async fn mark_read(&self, slug: &WorkspaceSlug, agent: &str, id: &str) -> Result<bool, AwsError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(slug), format!("{}{id}", inbox_prefix(agent)))))
            .update_expression("SET #read = :true")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#read", "read")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(AwsError::new("UpdateItem inbox read", err)),
        }
    }

    /// Stores a link token under its hash.
    pub async fn put_link_token(&self, token_hash: &str, token: &LinkToken) -> Result<(), AwsError> {
        let mut item = to_item(token, token_pk(token_hash), "TOKEN".into())?;
        item.insert(EXPIRES_AT.into(), n(token.expires_at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(|e| AwsError::new("PutItem token", e))?;
        Ok(())
    }

    /// The token stored under `token_hash`, expired or not (callers check).
    pub async fn link_token(&self, token_hash: &str) -> Result<Option<LinkToken>, AwsError> {
        self.get("GetItem token", key(token_pk(token_hash), "TOKEN")).await?.map(from_item).transpose()
    }

    /// Uses a survey token and stores the rating on its ticket, together, only
    /// if the token is unused and unexpired: the first answer wins.
    pub async fn record_rating(
        &self,
        token_hash: &str,
        token: &LinkToken,
        rating: &crate::domain::Rating,
    ) -> Result<bool, AwsError> {
        use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
        let now = now_unix();
        let use_token = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(token_hash), "TOKEN")))
            .update_expression("SET usedAt = :now")
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(usedAt) OR attribute_type(usedAt, :null)) AND expiresAt > :now",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":null", s("NULL"))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems token", e))?;
        let value = serde_dynamo::to_attribute_value(rating).map_err(|e| AwsError::new("serialize rating", e))?;
        let rate = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(&token.workspace, token.reference), TICKET_SK)))
            .update_expression("SET rating = :rating")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":rating", value)
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems rating", e))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(use_token).build())
            .transact_items(TransactWriteItem::builder().update(rate).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if super::transaction_condition_failed(&err, 0) => Ok(false),
            Err(err) => Err(AwsError::new("TransactWriteItems record rating", err)),
        }
    }
}

//! The worker's effect ledger: each email and notification is claimed before
//! it runs and marked done after, so a redelivered message runs nothing twice.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

use super::keys::{effect_pk, EFFECT_SK, EXPIRES_AT, PK};
use super::Store;
use crate::aws::AwsError;
use crate::dynamo::{condition_outcome, conditional, key, n, s};

/// A claimed effect older than this is taken to have crashed mid-way and may run again.
pub const STALE_CLAIM_SECS: i64 = 120;
/// Ledger entries outlive any redelivery (SQS keeps messages at most 14 days).
const LEDGER_TTL_SECS: i64 = 15 * 24 * 3600;
/// Who holds a claim.
const CLAIMED_BY: &str = "claimedBy";

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

impl Store {
    /// Claims an effect before running it; `holder` names this claim (a fresh
    /// id per attempt), so that only it can give the claim back.
    pub async fn claim_effect(&self, effect_key: &str, holder: &str) -> Result<Claim, AwsError> {
        let now = self.clock.now_unix();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key(effect_pk(effect_key), EFFECT_SK)))
            .item("state", s("claimed"))
            .item(CLAIMED_BY, s(holder))
            .item("claimedAt", n(now))
            .item(EXPIRES_AT, n(now + LEDGER_TTL_SECS))
            .condition_expression("attribute_not_exists(#pk) OR (#state = :claimed AND claimedAt < :stale)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":stale", n(now - STALE_CLAIM_SECS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match condition_outcome("PutItem effect claim", result)? {
            Ok(_) => Ok(Claim::Run),
            Err(PutItemError::ConditionalCheckFailedException(e)) => {
                let done = e.item().and_then(|i| i.get("state")) == Some(&s("done"));
                if done || e.item().is_none() && self.effect_done(effect_key).await? {
                    Ok(Claim::Done)
                } else {
                    Ok(Claim::Busy)
                }
            }
            Err(other) => Err(AwsError::new("PutItem effect claim", other)),
        }
    }

    async fn effect_done(&self, effect_key: &str) -> Result<bool, AwsError> {
        let item = self.get("GetItem effect", key(effect_pk(effect_key), EFFECT_SK)).await?;
        Ok(item.and_then(|i| i.get("state").cloned()) == Some(s("done")))
    }

    /// Marks a claimed effect as done for good.
    pub async fn complete_effect(&self, effect_key: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect_key), EFFECT_SK)))
            .update_expression("SET #state = :done, doneAt = :now")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":now", n(self.clock.now_unix()))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateItem effect done", e))?;
        Ok(())
    }

    /// Gives `holder`'s claim back after its effect failed or was cut off, so a
    /// redelivery can run it (a claim someone else holds is left alone).
    pub async fn release_effect(&self, effect_key: &str, holder: &str) -> Result<(), AwsError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(effect_pk(effect_key), EFFECT_SK)))
            .condition_expression("#state = :claimed AND #holder = :holder")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#holder", CLAIMED_BY)
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        // Not claimed (any more): nothing to give back.
        conditional("DeleteItem effect", result).map(|_| ())
    }
}

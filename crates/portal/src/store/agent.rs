//! Agent items of a workspace.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

use super::keys::{agent_sk, workspace_pk, AGENT_PREFIX, PK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{Agent, WorkspaceSlug};
use crate::dynamo::{condition_outcome, from_item, to_item};

impl Store {
    /// Adds or updates an agent.
    pub async fn save_agent(&self, slug: &WorkspaceSlug, agent: &Agent) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(agent, workspace_pk(slug), agent_sk(&agent.id))?))
            .send()
            .await
            .map_err(|e| AwsError::new("PutItem agent", e))?;
        Ok(())
    }

    /// Adds an agent unless its id is taken: then nothing is written and the
    /// agent holding the id is answered.
    pub async fn create_agent(&self, slug: &WorkspaceSlug, agent: &Agent) -> Result<Result<(), Agent>, AwsError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(agent, workspace_pk(slug), agent_sk(&agent.id))?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match condition_outcome("PutItem new agent", result)? {
            Ok(_) => Ok(Ok(())),
            Err(PutItemError::ConditionalCheckFailedException(taken)) => match taken.item {
                Some(item) => Ok(Err(from_item(item)?)),
                None => Err(AwsError::unusable_answer("PutItem new agent", "the id is taken, by no agent")),
            },
            Err(other) => Err(AwsError::new("PutItem new agent", other)),
        }
    }

    /// The workspace's agents, ordered by id (the round-robin order).
    pub async fn list_agents(&self, slug: &WorkspaceSlug) -> Result<Vec<Agent>, AwsError> {
        let items = self.query_prefix(workspace_pk(slug), Some(AGENT_PREFIX)).await?;
        let mut agents: Vec<Agent> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        agents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(agents)
    }
}

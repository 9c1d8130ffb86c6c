//! Agent items of a workspace.

use super::dynamo::{from_item, to_item};
use super::keys::{agent_sk, workspace_pk, AGENT_PREFIX};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{Agent, WorkspaceSlug};

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

    /// The workspace's agents, ordered by id (the round-robin order).
    pub async fn list_agents(&self, slug: &WorkspaceSlug) -> Result<Vec<Agent>, AwsError> {
        let items = self.query_prefix(workspace_pk(slug), Some(AGENT_PREFIX)).await?;
        let mut agents: Vec<Agent> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        agents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(agents)
    }
}

//! Agents' inbox items, keyed by what happened so a second write is a no-op.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::{inbox_prefix, inbox_sk, workspace_pk, PK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{InboxItem, WorkspaceSlug};
use crate::dynamo::{conditional, from_item, key, to_item};

impl Store {
    /// Adds an inbox item unless it is there already.
    pub async fn add_inbox_item(&self, slug: &WorkspaceSlug, item: &InboxItem) -> Result<(), AwsError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(item, workspace_pk(slug), inbox_sk(&item.agent, &item.id))?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        conditional("PutItem inbox", result).map(|_| ())
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
            .set_key(Some(key(workspace_pk(slug), inbox_sk(agent, id))))
            .update_expression("SET #read = :true")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#read", "read")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        Ok(conditional("UpdateItem inbox read", result)?.is_some())
    }
}

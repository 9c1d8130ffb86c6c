//! Workspace items: settings and branding, and the two counters they carry
//! (`ticketSeq` numbers tickets, `assignSeq` turns the round-robin).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::keys::{workspace_pk, WORKSPACE_SK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{TicketRef, Workspace, WorkspaceSlug};
use crate::dynamo::{from_item, key, number, Counter, Item};

const TICKET_SEQ: &str = "ticketSeq";
const ASSIGN_SEQ: &str = "assignSeq";

/// The update that writes every attribute of `workspace` as its serde form
/// names it (so reads and writes cannot disagree on a name), removes those it
/// leaves empty, and leaves the counters alone.
fn save_expression(workspace: &Workspace) -> Result<(String, HashMap<String, String>, Item), AwsError> {
    let item: Item = serde_dynamo::to_item(workspace).map_err(|e| AwsError::new("serialize workspace", e))?;
    let mut attributes: Vec<(String, AttributeValue)> = item.into_iter().collect();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    let (mut names, mut values) = (HashMap::new(), HashMap::new());
    for (i, (name, value)) in attributes.into_iter().enumerate() {
        names.insert(format!("#a{i}"), name);
        if matches!(value, AttributeValue::Null(_)) {
            remove.push(format!("#a{i}"));
        } else {
            set.push(format!("#a{i} = :a{i}"));
            values.insert(format!(":a{i}"), value);
        }
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    Ok((expression, names, values))
}

impl Store {
    pub async fn get_workspace(&self, slug: &WorkspaceSlug) -> Result<Option<Workspace>, AwsError> {
        self.get("GetItem workspace", key(workspace_pk(slug), WORKSPACE_SK)).await?.map(from_item).transpose()
    }

    /// Creates or updates a workspace's name, settings and branding, keeping
    /// its counters. The logo's bytes are written first with [`Store::put_logo`].
    pub async fn save_workspace(&self, workspace: &Workspace) -> Result<(), AwsError> {
        let (expression, names, values) = save_expression(workspace)?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(&workspace.slug), WORKSPACE_SK)))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateItem workspace", e))?;
        Ok(())
    }

    /// Takes the workspace's next ticket number with one atomic `ADD`, and
    /// returns the workspace with it. `None` for an unknown workspace (no
    /// number is created for it).
    pub async fn take_ticket_number(&self, slug: &WorkspaceSlug) -> Result<Option<(Workspace, TicketRef)>, AwsError> {
        let counter = self.workspace_counter("UpdateItem ticketSeq", slug, TICKET_SEQ);
        let Some((taken, item)) = counter.add_one(&self.client, ReturnValue::AllNew, true).await? else {
            return Ok(None);
        };
        let reference = TicketRef::from_number(taken)
            .ok_or_else(|| AwsError::unusable_answer("UpdateItem ticketSeq", "counter missing from reply"))?;
        Ok(Some((from_item(item)?, reference)))
    }

    /// The highest ticket number taken so far.
    pub async fn ticket_count(&self, slug: &WorkspaceSlug) -> Result<Option<u64>, AwsError> {
        let item = self.get("GetItem workspace", key(workspace_pk(slug), WORKSPACE_SK)).await?;
        Ok(item.and_then(|i| number(&i, TICKET_SEQ)))
    }

    /// Takes the next round-robin position of the workspace.
    pub async fn next_assignment_slot(&self, slug: &WorkspaceSlug) -> Result<u64, AwsError> {
        let counter = self.workspace_counter("UpdateItem assignSeq", slug, ASSIGN_SEQ);
        counter
            .add_one(&self.client, ReturnValue::UpdatedNew, false)
            .await?
            .and_then(|(taken, _)| taken.checked_sub(1))
            .ok_or_else(|| AwsError::unusable_answer("UpdateItem assignSeq", "counter missing from reply"))
    }

    /// One of the workspace item's counters.
    fn workspace_counter(&self, operation: &'static str, slug: &WorkspaceSlug, attribute: &'static str) -> Counter<'_> {
        Counter { operation, table: &self.table, key: key(workspace_pk(slug), WORKSPACE_SK), attribute }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccentColour, WidgetOrigin};

    #[test]
    fn a_save_sets_what_is_there_removes_what_is_not_and_never_the_counters() {
        let mut workspace = Workspace::new(WorkspaceSlug::parse("acme").unwrap(), "Acme", true);
        workspace.accent = Some(AccentColour::parse("#0f5132").unwrap());
        workspace.widget_origins = vec![WidgetOrigin::parse("https://shop.example").unwrap()];
        let (expression, names, values) = save_expression(&workspace).unwrap();
        let mut named: Vec<&str> = names.values().map(String::as_str).collect();
        named.sort();
        assert_eq!(named, ["accent", "autoAssign", "logo", "name", "slug", "tracking", "widgetOrigins"]);
        assert!(expression.starts_with("SET ") && expression.contains(" REMOVE "), "{expression}");
        let removed = expression.split(" REMOVE ").nth(1).unwrap();
        assert_eq!(names[removed], "logo", "no logo: removed, not stored as null");
        assert_eq!(values.len(), 6);
        assert!(!expression.contains(TICKET_SEQ) && !expression.contains(ASSIGN_SEQ));
        assert!(values.values().any(|v| v.as_s().is_ok_and(|s| s == "#0f5132")));
    }
}

//! Contact items: one per normalised email address in a workspace, created
//! with the first ticket of that address.

use aws_sdk_dynamodb::types::Update;

use super::keys::{contact_sk, workspace_pk};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{Contact, ContactId, Ticket, WorkspaceSlug};
use crate::dynamo::{from_item, key, n, s};

impl Store {
    pub async fn get_contact(&self, slug: &WorkspaceSlug, normalized_email: &str) -> Result<Option<Contact>, AwsError> {
        self.get("GetItem contact", key(workspace_pk(slug), contact_sk(ContactId::of(normalized_email).as_str())))
            .await?
            .map(from_item)
            .transpose()
    }

    /// The upsert of `ticket`'s contact, for the ticket's transaction: the
    /// first ticket creates it (two concurrent first tickets meet on the same
    /// key), every ticket counts.
    pub(super) fn contact_upsert(&self, ticket: &Ticket, now: i64) -> Result<Update, AwsError> {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(&ticket.workspace), contact_sk(&ticket.contact_id))))
            .update_expression(
                "SET id = if_not_exists(id, :id), #name = if_not_exists(#name, :name), \
                 email = if_not_exists(email, :email), createdAt = if_not_exists(createdAt, :now) \
                 ADD ticketCount :one",
            )
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":id", s(&ticket.contact_id))
            .expression_attribute_values(":name", s(&ticket.name))
            .expression_attribute_values(":email", s(&ticket.email_normalized))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems contact", e))
    }
}

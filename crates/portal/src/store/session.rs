//! Private access: sessions (keyed by the cookie's hash), queued access
//! requests, and one address's tickets through the `ByContact` index.

use super::keys::{access_pk, contact_key, session_pk, ACCESS_SK, BY_CONTACT_INDEX, CONTACT_KEY, PK, SESSION_SK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{AccessRequest, Session, TicketSummary, WorkspaceSlug};
use crate::dynamo::{from_item, key, s, to_item, Item};

impl Store {
    /// Stores a new session under the hash of its cookie value.
    pub async fn put_session(&self, session_hash: &str, session: &Session) -> Result<(), AwsError> {
        self.put_new("PutItem session", to_item(session, session_pk(session_hash), SESSION_SK.into())?).await
    }

    /// The session stored under `session_hash`, expired or not (callers check).
    pub async fn session(&self, session_hash: &str) -> Result<Option<Session>, AwsError> {
        self.get("GetItem session", key(session_pk(session_hash), SESSION_SK)).await?.map(from_item).transpose()
    }

    /// Queues an access request for the worker (the address waits here, not in the queue).
    pub async fn put_access_request(&self, request: &AccessRequest) -> Result<(), AwsError> {
        self.put_new("PutItem access request", to_item(request, access_pk(&request.id), ACCESS_SK.into())?).await
    }

    pub async fn access_request(&self, request_id: &str) -> Result<Option<AccessRequest>, AwsError> {
        self.get("GetItem access request", key(access_pk(request_id), ACCESS_SK)).await?.map(from_item).transpose()
    }

    /// Every ticket of one address in one workspace, newest first, from the
    /// contact index (eventually consistent: a ticket written a moment ago may
    /// be missing for a moment).
    pub async fn contact_tickets(
        &self,
        slug: &WorkspaceSlug,
        contact_id: &str,
    ) -> Result<Vec<TicketSummary>, AwsError> {
        let mut tickets = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .contact_query(slug, contact_id)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| AwsError::new("Query ByContact", e))?;
            for item in out.items.unwrap_or_default() {
                tickets.push(from_item::<TicketSummary>(item)?);
            }
            match out.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => return Ok(tickets),
            }
        }
    }

    /// Whether the address has any ticket in the workspace (one index item read).
    pub async fn contact_has_tickets(&self, slug: &WorkspaceSlug, contact_id: &str) -> Result<bool, AwsError> {
        let out = self
            .contact_query(slug, contact_id)
            .limit(1)
            .send()
            .await
            .map_err(|e| AwsError::new("Query ByContact", e))?;
        Ok(out.count > 0)
    }

    fn contact_query(
        &self,
        slug: &WorkspaceSlug,
        contact_id: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(BY_CONTACT_INDEX)
            .key_condition_expression("#contact = :contact")
            .expression_attribute_names("#contact", CONTACT_KEY)
            .expression_attribute_values(":contact", s(contact_key(slug, contact_id)))
            .scan_index_forward(false)
    }

    /// Puts an item whose key must be new (keys here are random or ULIDs).
    pub(super) async fn put_new(&self, operation: &'static str, item: Item) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(|e| AwsError::new(operation, e))?;
        Ok(())
    }
}

//! DynamoDB adapter: reads and writes the portal table. Knows nothing of HTTP.
//! Key design and access patterns: see [`keys`].

pub mod keys;
pub mod schema;
pub mod worker;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::aws::AwsError;
use crate::domain::time::now_unix;
use crate::domain::{Agent, Comment, Contact, Logo, LogoFormat, Ticket, TicketRef, Workspace, WorkspaceSlug};
use keys::*;

pub type Item = HashMap<String, AttributeValue>;

/// How long a submission's idempotency key is remembered.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// Serializes `value` and adds its key.
pub(crate) fn to_item(value: &impl Serialize, pk: String, sk: String) -> Result<Item, AwsError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(|e| AwsError::new("serialize item", e))?;
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(sk));
    Ok(item)
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, AwsError> {
    serde_dynamo::from_item(item).map_err(|e| AwsError::new("deserialize item", e))
}

/// Whether a TransactWriteItems failure was the condition of item `index`.
pub(crate) fn transaction_condition_failed(err: &SdkError<TransactWriteItemsError>, index: usize) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            e.cancellation_reasons().get(index).is_some_and(|reason| reason.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}

/// A remembered request: the same key returns what the first request made
/// (a ticket for a submission, a comment for a reply).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    pub reference: TicketRef,
    /// The ticket id (submission) or comment id (reply).
    pub id: String,
    pub fingerprint: String,
    pub expires_at: i64,
}

impl IdempotencyRecord {
    fn put(&self, table: &str, slug: &WorkspaceSlug, scoped_key: &str, now: i64) -> Result<Put, AwsError> {
        Put::builder()
            .table_name(table)
            .set_item(Some(to_item(self, workspace_pk(slug), idempotency_sk(scoped_key))?))
            .condition_expression("attribute_not_exists(#pk) OR expiresAt < :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems idempotency", e))
    }
}

/// Keys of replies are scoped to their ticket, so one client key cannot collide across tickets.
pub fn reply_idempotency_scope(reference: TicketRef, key: &str) -> String {
    format!("reply#{reference}#{key}")
}

/// How a ticket's status changes along with a new comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The status the caller read: the write only happens if it is still so.
    pub expected: crate::domain::Status,
    pub next: crate::domain::Status,
    pub resolution: Option<crate::domain::Resolution>,
}

#[derive(Debug, thiserror::Error)]
pub enum TicketWriteError {
    /// The ticket changed since it was read (or does not exist): read again and retry.
    #[error("the ticket changed meanwhile")]
    Stale,
    /// The idempotency key was used already.
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,
    #[error(transparent)]
    Aws(#[from] AwsError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateTicketError {
    /// Another request with the same idempotency key won the race.
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A logo as the logo route serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogo {
    pub format: LogoFormat,
    /// What the logo's URL carries as `?v=` (see [`crate::domain::LogoRef`]).
    pub version: String,
    pub bytes: Vec<u8>,
}

/// The portal table.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub(crate) async fn get(&self, operation: &'static str, key: Item) -> Result<Option<Item>, AwsError> {
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
    pub(crate) async fn query_prefix(&self, pk: String, prefix: Option<&str>) -> Result<Vec<Item>, AwsError> {
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

    pub async fn get_workspace(&self, slug: &WorkspaceSlug) -> Result<Option<Workspace>, AwsError> {
        self.get("GetItem workspace", key(workspace_pk(slug), WORKSPACE_SK)).await?.map(from_item).transpose()
    }

    /// Creates or updates a workspace's name, settings and branding, keeping
    /// its counters. The logo's bytes are written first with [`Store::put_logo`].
    pub async fn save_workspace(&self, workspace: &Workspace) -> Result<(), AwsError> {
        let origins = workspace.widget_origins.iter().map(|o| s(o.as_str())).collect();
        let mut set = vec!["slug = :slug", "#name = :name", "autoAssign = :auto", "widgetOrigins = :origins"];
        let mut remove = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(&workspace.slug), WORKSPACE_SK)))
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":slug", s(workspace.slug.as_str()))
            .expression_attribute_values(":name", s(&workspace.name))
            .expression_attribute_values(":auto", AttributeValue::Bool(workspace.auto_assign))
            .expression_attribute_values(":origins", AttributeValue::L(origins));
        match &workspace.accent {
            Some(accent) => {
                set.push("accent = :accent");
                request = request.expression_attribute_values(":accent", s(accent.as_str()));
            }
            None => remove.push("accent"),
        }
        match &workspace.logo {
            Some(logo) => {
                set.push("logo = :logo");
                let value = serde_dynamo::to_attribute_value(logo).map_err(|e| AwsError::new("serialize logo", e))?;
                request = request.expression_attribute_values(":logo", value);
            }
            None => remove.push("logo"),
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        request.update_expression(expression).send().await.map_err(|e| AwsError::new("UpdateItem workspace", e))?;
        Ok(())
    }

    /// Stores a workspace's logo bytes (replacing any earlier logo).
    pub async fn put_logo(&self, slug: &WorkspaceSlug, logo: &Logo) -> Result<(), AwsError> {
        let reference = logo.reference();
        let mut item = key(workspace_pk(slug), LOGO_SK);
        item.insert("format".into(), s(logo.format.content_type()));
        item.insert("version".into(), s(reference.version));
        item.insert("data".into(), AttributeValue::B(logo.bytes.clone().into()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| AwsError::new("PutItem logo", e))?;
        Ok(())
    }

    /// Removes a workspace's logo bytes.
    pub async fn delete_logo(&self, slug: &WorkspaceSlug) -> Result<(), AwsError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(slug), LOGO_SK)))
            .send()
            .await
            .map_err(|e| AwsError::new("DeleteItem logo", e))?;
        Ok(())
    }

    /// A workspace's logo, as stored.
    pub async fn get_logo(&self, slug: &WorkspaceSlug) -> Result<Option<StoredLogo>, AwsError> {
        let Some(item) = self.get("GetItem logo", key(workspace_pk(slug), LOGO_SK)).await? else {
            return Ok(None);
        };
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        let format = match text("format").as_deref() {
            Some("image/png") => LogoFormat::Png,
            Some("image/svg+xml") => LogoFormat::Svg,
            _ => return Err(AwsError { operation: "GetItem logo", detail: "stored logo has no format".into() }),
        };
        let bytes = match item.get("data") {
            Some(AttributeValue::B(blob)) => blob.clone().into_inner(),
            _ => return Err(AwsError { operation: "GetItem logo", detail: "stored logo has no data".into() }),
        };
        Ok(Some(StoredLogo { format, version: text("version").unwrap_or_default(), bytes }))
    }

    /// Takes the workspace's next ticket number with one atomic `ADD`, and
    /// returns the workspace with it. `None` for an unknown workspace (no
    /// number is created for it).
    pub async fn take_ticket_number(&self, slug: &WorkspaceSlug) -> Result<Option<(Workspace, TicketRef)>, AwsError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(workspace_pk(slug), WORKSPACE_SK)))
            .update_expression("ADD ticketSeq :one")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                return Ok(None)
            }
            Err(err) => return Err(AwsError::new("UpdateItem ticketSeq", err)),
        };
        let item = out.attributes.unwrap_or_default();
        let number = match item.get("ticketSeq") {
            Some(AttributeValue::N(raw)) => raw.parse::<u64>().ok(),
            _ => None,
        };
        let reference = number.and_then(TicketRef::from_number).ok_or_else(|| AwsError {
            operation: "UpdateItem ticketSeq",
            detail: "counter missing from reply".into(),
        })?;
        Ok(Some((from_item(item)?, reference)))
    }

    pub async fn find_idempotent(
        &self,
        slug: &WorkspaceSlug,
        idempotency_key: &str,
    ) -> Result<Option<IdempotencyRecord>, AwsError> {
        let found: Option<IdempotencyRecord> = self
            .get("GetItem idempotency", key(workspace_pk(slug), idempotency_sk(idempotency_key)))
            .await?
            .map(from_item)
            .transpose()?;
        // The emulator (and DynamoDB, for up to days) keeps expired items.
        Ok(found.filter(|f| f.expires_at > now_unix()))
    }

    /// Writes a new ticket, upserts its contact and records the idempotency key,
    /// all or nothing.
    pub async fn create_ticket(
        &self,
        ticket: &Ticket,
        idempotency: Option<(&str, &str)>,
    ) -> Result<(), CreateTicketError> {
        let now = now_unix();
        let ticket_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(ticket, ticket_pk(&ticket.workspace, ticket.reference), TICKET_SK.into())?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems ticket", e))?;
        let contact_update = Update::builder()
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
            .map_err(|e| AwsError::new("TransactWriteItems contact", e))?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(ticket_put).build())
            .transact_items(TransactWriteItem::builder().update(contact_update).build());
        if let Some((idempotency_key, fingerprint)) = idempotency {
            let record = IdempotencyRecord {
                reference: ticket.reference,
                id: ticket.id.clone(),
                fingerprint: fingerprint.to_owned(),
                expires_at: now + IDEMPOTENCY_TTL_SECS,
            };
            let put = record.put(&self.table, &ticket.workspace, idempotency_key, now)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) if idempotency.is_some() && transaction_condition_failed(&err, 2) => {
                Err(CreateTicketError::IdempotencyKeyTaken)
            }
            Err(err) => Err(AwsError::new("TransactWriteItems create ticket", err).into()),
        }
    }

    /// The ticket and its whole conversation in one Query (internal notes
    /// included: callers showing customers go through `CustomerView`).
    pub async fn ticket_with_comments(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
    ) -> Result<Option<(Ticket, Vec<Comment>)>, AwsError> {
        let mut ticket = None;
        let mut comments = Vec::new();
        for item in self.query_prefix(ticket_pk(slug, reference), None).await? {
            match item.get(SK) {
                Some(AttributeValue::S(sk)) if sk == TICKET_SK => ticket = Some(from_item::<Ticket>(item)?),
                Some(AttributeValue::S(sk)) if sk.starts_with(COMMENT_PREFIX) => {
                    comments.push(from_item::<Comment>(item)?)
                }
                _ => {}
            }
        }
        Ok(ticket.map(|t| (t, comments)))
    }

    pub async fn get_ticket(&self, slug: &WorkspaceSlug, reference: TicketRef) -> Result<Option<Ticket>, AwsError> {
        self.get("GetItem ticket", key(ticket_pk(slug, reference), TICKET_SK)).await?.map(from_item).transpose()
    }

    pub async fn get_contact(&self, slug: &WorkspaceSlug, normalized_email: &str) -> Result<Option<Contact>, AwsError> {
        self.get("GetItem contact", key(workspace_pk(slug), contact_sk(&contact_id(normalized_email))))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Every ticket of a workspace, newest first. Tickets are numbered from an
    /// atomic counter, so they are read by number in batches.
    pub async fn list_tickets(&self, slug: &WorkspaceSlug) -> Result<Vec<Ticket>, AwsError> {
        let Some(last) = self.ticket_count(slug).await? else { return Ok(Vec::new()) };
        let mut tickets = Vec::new();
        let numbers: Vec<u64> = (1..=last).rev().collect();
        for chunk in numbers.chunks(100) {
            let mut keys: Vec<Item> = chunk
                .iter()
                .filter_map(|n| TicketRef::from_number(*n))
                .map(|r| key(ticket_pk(slug, r), TICKET_SK))
                .collect();
            // BatchGetItem may return some keys as unprocessed under load: retry those.
            while !keys.is_empty() {
                let batch = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| AwsError::new("BatchGetItem", e))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, batch)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("BatchGetItem", e))?;
                for item in out.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                    tickets.push(from_item::<Ticket>(item)?);
                }
                keys = out.unprocessed_keys.unwrap_or_default().remove(&self.table).map(|k| k.keys).unwrap_or_default();
            }
        }
        tickets.sort_by_key(|t| std::cmp::Reverse(t.reference));
        Ok(tickets)
    }

    /// The highest ticket number taken so far.
    pub async fn ticket_count(&self, slug: &WorkspaceSlug) -> Result<Option<u64>, AwsError> {
        let item = self.get("GetItem workspace", key(workspace_pk(slug), WORKSPACE_SK)).await?;
        Ok(item.and_then(|i| match i.get("ticketSeq") {
            Some(AttributeValue::N(raw)) => raw.parse().ok(),
            _ => None,
        }))
    }

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

    /// Adds a comment and, in the same transaction, moves the ticket's status
    /// (only if it is still `change.expected`) and records the idempotency key.
    /// With no status change the ticket must still be in the status read, so a
    /// comment never lands on a ticket that was closed meanwhile.
    pub async fn add_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        comment: &Comment,
        change: &StatusChange,
        idempotency: Option<(&str, &str)>,
    ) -> Result<(), TicketWriteError> {
        let now = now_unix();
        let pk = ticket_pk(slug, reference);
        let put_comment = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(comment, pk.clone(), comment_sk(&comment.id))?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems comment", e))?;
        let update = self.status_update(&pk, change, now)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().put(put_comment).build());
        if let Some((key, fingerprint)) = idempotency {
            let record = IdempotencyRecord {
                reference,
                id: comment.id.clone(),
                fingerprint: fingerprint.to_owned(),
                expires_at: now + IDEMPOTENCY_TTL_SECS,
            };
            let put = record.put(&self.table, slug, key, now)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) if transaction_condition_failed(&err, 0) => Err(TicketWriteError::Stale),
            Err(err) if idempotency.is_some() && transaction_condition_failed(&err, 2) => {
                Err(TicketWriteError::IdempotencyKeyTaken)
            }
            Err(err) => Err(AwsError::new("TransactWriteItems add comment", err).into()),
        }
    }

    /// Changes a ticket's status (and resolution) if it is still `change.expected`.
    pub async fn change_status(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        change: &StatusChange,
    ) -> Result<(), TicketWriteError> {
        let update = self.status_update(&ticket_pk(slug, reference), change, now_unix())?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .condition_expression(update.condition_expression.unwrap_or_default())
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(TicketWriteError::Stale)
            }
            Err(err) => Err(AwsError::new("UpdateItem status", err).into()),
        }
    }

    fn status_update(&self, pk: &str, change: &StatusChange, now: i64) -> Result<Update, AwsError> {
        let status = |s: crate::domain::Status| {
            serde_dynamo::to_attribute_value(s).map_err(|e| AwsError::new("serialize status", e))
        };
        let mut expression = String::from("SET #status = :next, updatedAt = :now");
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, TICKET_SK)))
            .condition_expression("#status = :expected")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", status(change.expected)?)
            .expression_attribute_values(":next", status(change.next)?)
            .expression_attribute_values(":now", n(now));
        if let Some(resolution) = &change.resolution {
            expression.push_str(", resolution = :resolution");
            let value =
                serde_dynamo::to_attribute_value(resolution).map_err(|e| AwsError::new("serialize resolution", e))?;
            builder = builder.expression_attribute_values(":resolution", value);
        }
        builder.update_expression(expression).build().map_err(|e| AwsError::new("build status update", e))
    }

    /// Sets (or clears) the ticket's assignee.
    pub async fn assign(&self, slug: &WorkspaceSlug, reference: TicketRef, agent: &Agent) -> Result<bool, AwsError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(slug, reference), TICKET_SK)))
            .update_expression("SET assignee = :id, assigneeName = :name, updatedAt = :now")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":id", s(&agent.id))
            .expression_attribute_values(":name", s(&agent.name))
            .expression_attribute_values(":now", n(now_unix()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(AwsError::new("UpdateItem assignee", err)),
        }
    }
}

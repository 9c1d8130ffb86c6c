//! Ticket items: creating one (with its contact and idempotency record),
//! reading, listing, status changes and assignment.

use aws_sdk_dynamodb::types::{ConditionCheck, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, Update};

use super::idempotency::{ClaimedKey, IdempotencyRecord};
use super::keys::{contact_key, ticket_pk, CONTACT_KEY, PK, TICKET_SK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::limits::OverLimit;
use crate::domain::{Agent, PortalEvent, Resolution, Status, Ticket, TicketRef, WorkspaceSlug};
use crate::dynamo::transaction::Transaction;
use crate::dynamo::Charge;
use crate::dynamo::{attribute, conditional, from_item, key, n, s, to_item, Item};

/// The ticket attribute holding the normalised email (`Ticket::email_normalized`).
const EMAIL_NORMALIZED: &str = "emailNormalized";
/// How many customer messages the ticket holds; counted by each reply, and
/// kept on the item only (the domain reads the cap, not the count).
pub(super) const CUSTOMER_MESSAGES: &str = "customerMessages";

/// How a ticket's status changes (alone, or along with a new comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The status the caller read: the write only happens if it is still so.
    pub expected: Status,
    pub next: Status,
    pub resolution: Option<Resolution>,
}

#[derive(Debug, thiserror::Error)]
pub enum TicketWriteError {
    /// The ticket changed since it was read (or does not exist): read again and retry.
    #[error("the ticket changed meanwhile")]
    Stale,
    /// The idempotency key was used already.
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,
    /// A limit charged with the write refused it (the longest wait).
    #[error("over the limit")]
    OverLimit(OverLimit),
    /// The ticket holds as many customer messages as it may.
    #[error("the ticket takes no more messages")]
    Full,
    #[error(transparent)]
    Aws(#[from] AwsError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateTicketError {
    /// The claimed idempotency key is no longer this request's: it was taken
    /// over as stale, by a request that may have made the ticket.
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// What a typed email came to, decided by the database before any compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedEmail {
    /// Not the ticket's email, or no such ticket: counted as a miss.
    Miss,
    /// The ticket's email: nothing was counted.
    Matches,
    /// A miss register is full: nothing was counted or compared.
    OverLimit(Vec<OverLimit>),
}

/// The parts of the typed-email transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypedEmailPart {
    Miss(usize),
    Ticket,
}

/// The parts of a new ticket's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewTicketPart {
    Ticket,
    Contact,
    Idempotency,
    Outbox,
}

/// The parts of a status change's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusPart {
    Ticket,
    Outbox,
}

impl Store {
    /// Writes a new ticket, upserts its contact, turns the claimed idempotency
    /// key into its record and puts `event` in the outbox, all or nothing.
    pub async fn create_ticket(
        &self,
        ticket: &Ticket,
        idempotency: Option<&ClaimedKey>,
        event: &PortalEvent,
    ) -> Result<(), CreateTicketError> {
        let now = self.clock.now_unix();
        let mut item = to_item(ticket, ticket_pk(&ticket.workspace, ticket.reference), TICKET_SK.into())?;
        // Every new ticket joins its contact's index entry (My tickets).
        item.insert(CONTACT_KEY.into(), s(contact_key(&ticket.workspace, &ticket.contact_id)));
        let ticket_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems ticket", e))?;
        let mut transaction = Transaction::new("TransactWriteItems create ticket");
        transaction
            .put(NewTicketPart::Ticket, ticket_put)
            .update(NewTicketPart::Contact, self.contact_upsert(ticket, now)?)
            .put(NewTicketPart::Outbox, self.outbox_put(event, now)?);
        if let Some(claim) = idempotency {
            let record = IdempotencyRecord::new(ticket.reference, &ticket.id, claim.fingerprint(), now);
            transaction.put(NewTicketPart::Idempotency, record.put_claimed(&self.table, &ticket.workspace, claim)?);
        }
        match transaction.send(&self.client).await? {
            Ok(()) => Ok(()),
            Err(refused) if refused.contains(NewTicketPart::Idempotency) => Err(CreateTicketError::IdempotencyKeyTaken),
            Err(_) => Err(AwsError::unusable_answer(
                "TransactWriteItems create ticket",
                "the ticket number was taken already",
            )
            .into()),
        }
    }

    /// Counts a typed email as a miss, in one transaction, unless it is the
    /// ticket's: every register in `misses` takes one more admission, and a
    /// ConditionCheck on the ticket holds only if the ticket is missing or its
    /// email differs. A match cancels the transaction, so it counts nothing;
    /// a full register cancels it too, so a refused attempt learns nothing.
    /// The registers come first: they are judged even if the database stopped
    /// at the first failing condition.
    pub async fn check_typed_email(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        typed_normalized: &str,
        misses: &[Charge],
    ) -> Result<TypedEmail, AwsError> {
        const OPERATION: &str = "TransactWriteItems typed email";
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(slug, reference), TICKET_SK)))
            .condition_expression("attribute_not_exists(#pk) OR #email <> :typed")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#email", EMAIL_NORMALIZED)
            .expression_attribute_values(":typed", s(typed_normalized))
            .build()
            .map_err(|e| AwsError::new(OPERATION, e))?;
        let mut transaction = Transaction::new(OPERATION);
        for (i, charge) in misses.iter().enumerate() {
            transaction.charge(TypedEmailPart::Miss(i), charge);
        }
        transaction.check(TypedEmailPart::Ticket, check);
        match transaction.send(&self.client).await? {
            Ok(()) => Ok(TypedEmail::Miss),
            Err(refused) => {
                let over = refused.over_limits(misses, TypedEmailPart::Miss);
                if !over.is_empty() {
                    Ok(TypedEmail::OverLimit(over))
                } else if refused.contains(TypedEmailPart::Ticket) {
                    Ok(TypedEmail::Matches)
                } else {
                    Err(AwsError::unusable_answer(OPERATION, "cancelled without naming a part"))
                }
            }
        }
    }

    pub async fn get_ticket(&self, slug: &WorkspaceSlug, reference: TicketRef) -> Result<Option<Ticket>, AwsError> {
        self.get("GetItem ticket", key(ticket_pk(slug, reference), TICKET_SK)).await?.map(from_item).transpose()
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
                let batch = KeysAndAttributes::builder()
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

    /// Changes a ticket's status (and resolution) if it is still
    /// `change.expected`, and puts the `event` it announces in the outbox.
    pub async fn change_status(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        change: &StatusChange,
        event: Option<&PortalEvent>,
    ) -> Result<(), TicketWriteError> {
        let now = self.clock.now_unix();
        let mut transaction = Transaction::new("TransactWriteItems status");
        transaction.update(StatusPart::Ticket, self.status_update(&ticket_pk(slug, reference), change, now, None)?);
        if let Some(event) = event {
            transaction.put(StatusPart::Outbox, self.outbox_put(event, now)?);
        }
        match transaction.send(&self.client).await? {
            Ok(()) => Ok(()),
            Err(refused) if refused.contains(StatusPart::Ticket) => Err(TicketWriteError::Stale),
            Err(_) => Err(AwsError::unusable_answer("TransactWriteItems status", "the outbox item was refused").into()),
        }
    }

    /// The update of a ticket's status, conditional on it being unchanged since read.
    /// With `count_customer_message` = `Some(max)` it also counts one more
    /// customer message, only while the ticket holds fewer than `max`, and a
    /// refusal carries the old item (so it tells a full ticket from a changed one).
    pub(super) fn status_update(
        &self,
        pk: &str,
        change: &StatusChange,
        now: i64,
        count_customer_message: Option<u32>,
    ) -> Result<Update, AwsError> {
        let mut expression = String::from("SET #status = :next, updatedAt = :now");
        let mut condition = String::from("#status = :expected");
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, TICKET_SK)))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", attribute(&change.expected, "serialize status")?)
            .expression_attribute_values(":next", attribute(&change.next, "serialize status")?)
            .expression_attribute_values(":now", n(now));
        if let Some(resolution) = &change.resolution {
            expression.push_str(", resolution = :resolution");
            builder =
                builder.expression_attribute_values(":resolution", attribute(resolution, "serialize resolution")?);
        }
        if let Some(max) = count_customer_message {
            expression.push_str(" ADD #messages :one");
            condition.push_str(" AND (attribute_not_exists(#messages) OR #messages < :max_messages)");
            builder = builder
                .expression_attribute_names("#messages", CUSTOMER_MESSAGES)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":max_messages", n(max))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        }
        builder
            .update_expression(expression)
            .condition_expression(condition)
            .build()
            .map_err(|e| AwsError::new("build status update", e))
    }

    /// Sets the ticket's assignee; false if there is no such ticket.
    pub async fn assign(&self, slug: &WorkspaceSlug, reference: TicketRef, agent: &Agent) -> Result<bool, AwsError> {
        self.set_assignee(slug, reference, agent, false).await
    }

    /// Sets the assignee only if the ticket has none (a redelivered message does not reassign).
    pub async fn assign_if_unassigned(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        agent: &Agent,
    ) -> Result<bool, AwsError> {
        self.set_assignee(slug, reference, agent, true).await
    }

    async fn set_assignee(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        agent: &Agent,
        only_if_unassigned: bool,
    ) -> Result<bool, AwsError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(slug, reference), TICKET_SK)))
            .update_expression("SET assignee = :id, assigneeName = :name, updatedAt = :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":id", s(&agent.id))
            .expression_attribute_values(":name", s(&agent.name))
            .expression_attribute_values(":now", n(self.clock.now_unix()));
        let (operation, request) = if only_if_unassigned {
            let unassigned =
                "attribute_exists(#pk) AND (attribute_not_exists(assignee) OR attribute_type(assignee, :null))";
            (
                "UpdateItem assign",
                request.condition_expression(unassigned).expression_attribute_values(":null", s("NULL")),
            )
        } else {
            ("UpdateItem assignee", request.condition_expression("attribute_exists(#pk)"))
        };
        Ok(conditional(operation, request.send().await)?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_email_check_names_the_stored_attribute() {
        let item: Item = serde_dynamo::to_item(crate::domain::test_support::ticket()).unwrap();
        assert_eq!(item.get(EMAIL_NORMALIZED), Some(&s("ann@example.com")));
        assert!(!item.contains_key(CUSTOMER_MESSAGES), "the count lives on the item only");
    }
}

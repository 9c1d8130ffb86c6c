//! A ticket's conversation: comment items in the ticket's partition, so one
//! Query reads the ticket and its comments together.

use aws_sdk_dynamodb::types::{AttributeValue, Put};

use super::dynamo::{from_item, number, to_item, Item};
use super::idempotency::IdempotencyRecord;
use super::keys::{comment_sk, ticket_pk, COMMENT_PREFIX, PK, SK, TICKET_SK};
use super::ticket::{StatusChange, TicketWriteError, CUSTOMER_MESSAGES};
use super::transaction::Transaction;
use super::Store;
use crate::aws::AwsError;
use crate::domain::{Comment, Ticket, TicketRef, WorkspaceSlug};
use crate::ratelimit::{Charge, OverLimit};

/// What a customer's reply pays besides its comment: the limits' charges, and
/// one of the ticket's customer messages (at most `max_messages`).
#[derive(Debug, Clone, Copy)]
pub struct CustomerReply<'a> {
    pub charges: &'a [Charge],
    pub max_messages: u32,
}

/// The parts of a new comment's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentPart {
    Ticket,
    Comment,
    Idempotency,
    Charge(usize),
}

impl Store {
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

    /// Adds a comment and, in the same transaction, moves the ticket's status
    /// (only if it is still `change.expected`) and records the idempotency key
    /// (`(key, fingerprint)`). With no status change the ticket must still be
    /// in the status read, so a comment never lands on a ticket that was
    /// closed meanwhile. A `customer` reply also pays its charges and counts
    /// as one of the ticket's customer messages, in the same transaction: a
    /// refused reply writes nothing.
    pub async fn add_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        comment: &Comment,
        change: &StatusChange,
        idempotency: Option<(&str, &str)>,
        customer: Option<CustomerReply<'_>>,
    ) -> Result<(), TicketWriteError> {
        let now = self.clock.now_unix();
        let pk = ticket_pk(slug, reference);
        let put_comment = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(comment, pk.clone(), comment_sk(&comment.id))?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| AwsError::new("TransactWriteItems comment", e))?;
        let update = self.status_update(&pk, change, now, customer.map(|c| c.max_messages))?;
        let mut transaction = Transaction::new("TransactWriteItems add comment");
        transaction.update(CommentPart::Ticket, update).put(CommentPart::Comment, put_comment);
        if let Some((key, fingerprint)) = idempotency {
            let record = IdempotencyRecord::new(reference, &comment.id, fingerprint, now);
            transaction.put(CommentPart::Idempotency, record.put(&self.table, slug, key, now)?);
        }
        let charges = customer.map(|c| c.charges).unwrap_or_default();
        for (i, charge) in charges.iter().enumerate() {
            transaction.charge(CommentPart::Charge(i), charge);
        }
        let refused = match transaction.send(&self.client).await? {
            Ok(()) => return Ok(()),
            Err(refused) => refused,
        };
        // A replay first (it answers like the first reply), then what no retry changes.
        let full = |old: Option<&Item>, max: u32| {
            old.and_then(|item| number(item, CUSTOMER_MESSAGES)).is_some_and(|count| count >= u64::from(max))
        };
        if refused.contains(CommentPart::Idempotency) {
            return Err(TicketWriteError::IdempotencyKeyTaken);
        }
        if let Some(max) = customer.map(|c| c.max_messages) {
            if refused.contains(CommentPart::Ticket) && full(refused.item(CommentPart::Ticket), max) {
                return Err(TicketWriteError::Full);
            }
        }
        if let Some(over) = OverLimit::longest(&refused.over_limits(charges, CommentPart::Charge)) {
            return Err(TicketWriteError::OverLimit(over));
        }
        if refused.contains(CommentPart::Ticket) {
            return Err(TicketWriteError::Stale);
        }
        Err(AwsError::unusable_answer("TransactWriteItems add comment", "the comment id was taken already").into())
    }
}

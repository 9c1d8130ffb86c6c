//! A ticket's conversation: comment items in the ticket's partition, so one
//! Query reads the ticket and its comments together.

use aws_sdk_dynamodb::types::{AttributeValue, Put};

use super::dynamo::{from_item, to_item};
use super::idempotency::IdempotencyRecord;
use super::keys::{comment_sk, ticket_pk, COMMENT_PREFIX, PK, SK, TICKET_SK};
use super::ticket::{StatusChange, TicketWriteError};
use super::transaction::Transaction;
use super::Store;
use crate::aws::AwsError;
use crate::domain::{Comment, PortalEvent, Ticket, TicketRef, WorkspaceSlug};

/// The parts of a new comment's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentPart {
    Ticket,
    Comment,
    Idempotency,
    Outbox,
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
    /// (`(key, fingerprint)`) and puts the `event` it announces in the outbox
    /// (an internal note announces none). With no status change the ticket
    /// must still be in the status read, so a comment never lands on a ticket
    /// that was closed meanwhile.
    pub async fn add_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        comment: &Comment,
        change: &StatusChange,
        idempotency: Option<(&str, &str)>,
        event: Option<&PortalEvent>,
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
        let update = self.status_update(&pk, change, now)?;
        let mut transaction = Transaction::new("TransactWriteItems add comment");
        transaction.update(CommentPart::Ticket, update).put(CommentPart::Comment, put_comment);
        if let Some((key, fingerprint)) = idempotency {
            let record = IdempotencyRecord::new(reference, &comment.id, fingerprint, now);
            transaction.put(CommentPart::Idempotency, record.put(&self.table, slug, key, now)?);
        }
        if let Some(event) = event {
            transaction.put(CommentPart::Outbox, self.outbox_put(event, now)?);
        }
        match transaction.send(&self.client).await? {
            Ok(()) => Ok(()),
            Err(refused) if refused.contains(CommentPart::Ticket) => Err(TicketWriteError::Stale),
            Err(refused) if refused.contains(CommentPart::Idempotency) => Err(TicketWriteError::IdempotencyKeyTaken),
            Err(_) => {
                Err(AwsError::unusable_answer("TransactWriteItems add comment", "the comment id was taken already")
                    .into())
            }
        }
    }
}

//! A ticket's conversation: comment items in the ticket's partition, so one
//! Query reads the ticket and its newest comments together. Public comments
//! (`C#`) sort between internal notes (`B#`) and the ticket (`TICKET`): a
//! descending Query from the ticket reaches the newest public comments first
//! and stops before any note.

use aws_sdk_dynamodb::types::{AttributeValue, Put};

use super::idempotency::IdempotencyRecord;
use super::keys::{comment_sk, note_sk, ticket_pk, COMMENT_PREFIX, NOTE_PREFIX, PK, SK, TICKET_SK};
use super::ticket::{StatusChange, TicketWriteError, CUSTOMER_MESSAGES};
use super::Store;
use crate::aws::AwsError;
use crate::domain::limits::OverLimit;
use crate::domain::paging::CONVERSATION_PAGE_SIZE;
use crate::domain::{
    Comment, CommentCursor, ConversationPage, PortalEvent, Ticket, TicketRef, Visibility, WorkspaceSlug,
};
use crate::dynamo::transaction::Transaction;
use crate::dynamo::Charge;
use crate::dynamo::{from_item, key, number, s, to_item, Item};

/// What a customer's reply pays besides its comment: the limits' charges, and
/// one of the ticket's customer messages (at most `max_messages`).
#[derive(Debug, Clone, Copy)]
pub struct CustomerReply<'a> {
    pub charges: &'a [Charge],
    pub max_messages: u32,
}

/// What a new comment's transaction writes besides the comment: the ticket's
/// status move, and what the caller adds to it.
#[derive(Debug, Clone, Copy)]
pub struct CommentWrite<'a> {
    pub change: &'a StatusChange,
    /// `(key, fingerprint)` of the request's idempotency key.
    pub idempotency: Option<(&'a str, &'a str)>,
    /// Set for a customer's reply.
    pub customer: Option<CustomerReply<'a>>,
    /// The event the comment announces (an internal note announces none).
    pub event: Option<&'a PortalEvent>,
}

impl<'a> CommentWrite<'a> {
    /// A comment that only keeps or moves the status.
    pub fn new(change: &'a StatusChange) -> Self {
        Self { change, idempotency: None, customer: None, event: None }
    }
}

/// The parts of a new comment's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentPart {
    Ticket,
    Comment,
    Idempotency,
    Outbox,
    Charge(usize),
}

/// Where a comment is stored: public ones where customers read, notes below.
fn comment_key(comment: &Comment) -> String {
    match comment.visibility {
        Visibility::Public => comment_sk(&comment.id),
        Visibility::Internal => note_sk(&comment.id),
    }
}

fn sort_key(item: &Item) -> &str {
    match item.get(SK) {
        Some(AttributeValue::S(sk)) => sk,
        _ => "",
    }
}

/// Comments read newest first, as one page: the first `CONVERSATION_PAGE_SIZE`,
/// and a cursor when more were found behind them.
fn page_of(items: Vec<Item>) -> Result<ConversationPage, AwsError> {
    let more = items.len() > CONVERSATION_PAGE_SIZE;
    let comments: Vec<Comment> =
        items.into_iter().take(CONVERSATION_PAGE_SIZE).map(from_item).collect::<Result<_, _>>()?;
    let older = if more { comments.last().and_then(|c| CommentCursor::parse(&c.id)) } else { None };
    Ok(ConversationPage { comments, older })
}

impl Store {
    /// The ticket and its whole conversation, internal notes included, oldest
    /// first (for agents only: callers showing customers use [`Store::ticket_page`]).
    pub async fn ticket_with_comments(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
    ) -> Result<Option<(Ticket, Vec<Comment>)>, AwsError> {
        let mut ticket = None;
        let mut comments = Vec::new();
        for item in self.query_prefix(ticket_pk(slug, reference), None).await? {
            let sk = sort_key(&item);
            if sk == TICKET_SK {
                ticket = Some(from_item::<Ticket>(item)?);
            } else if sk.starts_with(COMMENT_PREFIX) || sk.starts_with(NOTE_PREFIX) {
                comments.push(from_item::<Comment>(item)?);
            }
        }
        comments.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(ticket.map(|t| (t, comments)))
    }

    /// The ticket and one page of its public conversation: the newest page in
    /// one descending Query (ticket and comments share the partition), or
    /// with `before` the page older than that comment (the ticket read beside
    /// it). Never reads an internal note, nor more than a page.
    pub async fn ticket_page(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        before: Option<&CommentCursor>,
    ) -> Result<Option<(Ticket, ConversationPage)>, AwsError> {
        let pk = ticket_pk(slug, reference);
        // One more comment than a page, to know whether older ones exist.
        let wanted = CONVERSATION_PAGE_SIZE + 1;
        match before {
            None => {
                let mut items = self.query_newest(&pk, TICKET_SK, wanted + 1).await?;
                let Some(first) = items.first().filter(|item| sort_key(item) == TICKET_SK) else {
                    return Ok(None);
                };
                let ticket = from_item::<Ticket>(first.clone())?;
                items.remove(0);
                Ok(Some((ticket, page_of(items)?)))
            }
            Some(cursor) => {
                let end = comment_sk(cursor.as_str());
                let (ticket, items) =
                    tokio::join!(self.get_ticket(slug, reference), self.query_newest(&pk, &end, wanted + 1));
                let Some(ticket) = ticket? else { return Ok(None) };
                let older: Vec<Item> = items?.into_iter().filter(|item| sort_key(item) != end).collect();
                Ok(Some((ticket, page_of(older)?)))
            }
        }
    }

    /// One public comment by id (what a worker message names).
    pub async fn public_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        comment_id: &str,
    ) -> Result<Option<Comment>, AwsError> {
        self.get("GetItem comment", key(ticket_pk(slug, reference), comment_sk(comment_id)))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Up to `limit` items of the partition from `up_to` (inclusive) down to
    /// the first public comment, newest first. Pages on when DynamoDB stops
    /// early (a response holds at most 1 MB).
    async fn query_newest(&self, pk: &str, up_to: &str, limit: usize) -> Result<Vec<Item>, AwsError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        while items.len() < limit {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":from", s(COMMENT_PREFIX))
                .expression_attribute_values(":to", s(up_to))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| AwsError::new("Query conversation page", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Adds a comment and, in the same transaction, moves the ticket's status
    /// (only if it is still `change.expected`) and records the idempotency key
    /// (`(key, fingerprint)`) and puts the `event` it announces in the outbox
    /// (an internal note announces none). With no status change the ticket
    /// must still be in the status read, so a comment never lands on a ticket
    /// that was closed meanwhile. A `customer` reply also pays its charges and
    /// counts as one of the ticket's customer messages, in the same
    /// transaction: a refused reply writes nothing.
    pub async fn add_comment(
        &self,
        slug: &WorkspaceSlug,
        reference: TicketRef,
        comment: &Comment,
        write: CommentWrite<'_>,
    ) -> Result<(), TicketWriteError> {
        let CommentWrite { change, idempotency, customer, event } = write;
        let now = self.clock.now_unix();
        let pk = ticket_pk(slug, reference);
        let put_comment = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(comment, pk.clone(), comment_key(comment))?))
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
        if let Some(event) = event {
            transaction.put(CommentPart::Outbox, self.outbox_put(event, now)?);
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

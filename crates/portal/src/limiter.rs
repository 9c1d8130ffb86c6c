//! Rate limits that hold over any window: "at most N in any hour", exactly,
//! under any burst.
//!
//! Each (limit, subject) owns one item in the rate-limit table, a **shift
//! register**: attributes `t0..t{N-1}` hold the times of the last N
//! admissions, oldest in `t0`. One admission is one conditional UpdateItem:
//!
//! ```text
//! SET t0 = if_not_exists(t1, :z), ..., t{N-2} = if_not_exists(t{N-1}, :z), t{N-1} = :now
//! CONDITION attribute_not_exists(t0) OR t0 <= :now - window
//! ```
//!
//! Every action reads the item as it was before the update, so the register
//! shifts left by one and the newest time enters on the right. The condition
//! holds only while the N-th last admission has left the window, so no burst
//! and no window boundary ever gets an N+1-th admission in. When it is
//! refused, the old item (`ReturnValuesOnConditionCheckFailure = ALL_OLD`)
//! says when `t0` leaves the window: that is `Retry-After`.
//!
//! A limit ([`crate::domain::limits`]) is used in one of two ways:
//! [`RateLimiter::admit`] (one write of its own), or a [`Charge`] that a store
//! operation adds to its transaction, so that the charge and the write it pays
//! for happen together or not at all.
//! Subjects are hashed with the stack's secret salt; no address is stored.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};
use aws_sdk_dynamodb::Client;

use crate::aws::AwsError;
use crate::domain::client::ClientAddress;
use crate::domain::clock::Clock;
use crate::domain::fields::mailbox_of;
use crate::domain::limits::Limit;
use crate::domain::secrets::{client_key, RateLimitSalt};
use crate::domain::{TicketRef, WorkspaceSlug};
use crate::dynamo::{condition_outcome, n, number, s, Charge, EXPIRES_AT, PK};

const CONDITION: &str = "attribute_not_exists(t0) OR t0 <= :cutoff";
/// The register's slot that holds the oldest admission in the window.
const OLDEST: &str = "t0";

/// Who a limit counts. Client addresses come as [`ClientAddress`], so every
/// per-client limit counts an IPv6 client per /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    Client(ClientAddress),
    Ticket(&'a WorkspaceSlug, TicketRef),
    /// An email address (a sender, a recipient), counted as the mailbox it
    /// reaches ([`mailbox_of`]: sub-address tags do not make new subjects).
    Email(&'a str),
}

impl Subject<'_> {
    /// The text that is hashed; each kind has its own prefix, so no two kinds meet.
    fn text(&self) -> String {
        match self {
            Subject::Client(address) => format!("client {}", address.subject()),
            Subject::Ticket(slug, reference) => format!("ticket {slug}/{reference}"),
            Subject::Email(address) => format!("email {}", mailbox_of(address)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Over the limit; the oldest admission leaves the window in `retry_after_secs`.
    Limited {
        retry_after_secs: u64,
    },
}

/// `SET t0 = if_not_exists(t1, :z), ..., t{N-1} = :now, #exp = :exp`.
fn shift_expression(max: u32) -> String {
    let mut expression = String::from("SET ");
    for slot in 0..max.saturating_sub(1) {
        expression.push_str(&format!("t{slot} = if_not_exists(t{}, :z), ", slot + 1));
    }
    expression.push_str(&format!("t{} = :now, #exp = :exp", max.saturating_sub(1)));
    expression
}

/// The limits' DynamoDB table and the salt that hides subjects.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    client: Client,
    table: String,
    /// Only `portalctl` runs without one, and it limits nothing.
    salt: Option<RateLimitSalt>,
    clock: Clock,
}

/// A limit was asked for in a process started without `RATE_LIMIT_SALT`.
#[derive(Debug, thiserror::Error)]
#[error("RATE_LIMIT_SALT is not configured, so no limit can be counted")]
struct NoSalt;

impl RateLimiter {
    pub fn new(client: Client, table: impl Into<String>, salt: Option<RateLimitSalt>) -> Self {
        Self { client, table: table.into(), salt, clock: Clock::system() }
    }

    /// The same limiter, reading "now" from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The update that admits one more `subject` under `limit`, now.
    fn register_update(&self, limit: Limit, subject: &Subject<'_>, now: i64) -> Result<Update, AwsError> {
        let salt = self.salt.as_ref().ok_or_else(|| AwsError::new("rate limit", NoSalt))?;
        // The maximum is part of the key: a register is only meaningful for its own length.
        let key = format!("{}#{}#{}", limit.scope, limit.max, client_key(salt, &subject.text()));
        Update::builder()
            .table_name(&self.table)
            .key(PK, s(key))
            .update_expression(shift_expression(limit.max))
            .condition_expression(CONDITION)
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":z", n(0))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":cutoff", n(now - limit.window_secs))
            // The item lives as long as its newest slot counts.
            .expression_attribute_values(":exp", n(now + limit.window_secs))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| AwsError::new("build rate limit update", e))
    }

    /// A charge of one admission of `subject` under `limit`, for a transaction.
    pub fn charge(&self, limit: Limit, subject: &Subject<'_>) -> Result<Charge, AwsError> {
        let now = self.clock.now_unix();
        Ok(Charge::new(limit, now, self.register_update(limit, subject, now)?, OLDEST))
    }

    /// Admits one more `subject` under `limit` if its window has room: one
    /// conditional UpdateItem, no read.
    pub async fn admit(&self, limit: Limit, subject: &Subject<'_>) -> Result<Admission, AwsError> {
        let now = self.clock.now_unix();
        let update = self.register_update(limit, subject, now)?;
        let result = self
            .client
            .update_item()
            .table_name(update.table_name)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .set_return_values_on_condition_check_failure(update.return_values_on_condition_check_failure)
            .send()
            .await;
        Ok(match condition_outcome("UpdateItem rate limit", result)? {
            Ok(_) => Admission::Admitted,
            Err(refused) => {
                let old = match &refused {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item.as_ref(),
                    _ => None,
                };
                Admission::Limited {
                    retry_after_secs: limit.retry_after_secs(now, old.and_then(|o| number(o, OLDEST))),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::limits::MAX_LIMIT;

    fn limiter() -> RateLimiter {
        let config = aws_sdk_dynamodb::Config::builder().behavior_version_latest().build();
        RateLimiter::new(Client::from_conf(config), "limits", Some(RateLimitSalt::generate()))
    }

    fn key_of(update: &Update) -> String {
        match update.key.get(PK) {
            Some(aws_sdk_dynamodb::types::AttributeValue::S(key)) => key.clone(),
            other => panic!("no key: {other:?}"),
        }
    }

    #[test]
    fn the_register_shifts_left_and_the_newest_enters_on_the_right() {
        assert_eq!(shift_expression(1), "SET t0 = :now, #exp = :exp");
        assert_eq!(
            shift_expression(3),
            "SET t0 = if_not_exists(t1, :z), t1 = if_not_exists(t2, :z), t2 = :now, #exp = :exp"
        );
    }

    /// DynamoDB refuses expressions over 4 KB (the emulator does not), and
    /// at most 300 functions each: the largest register must fit both.
    #[test]
    fn the_longest_expression_fits_dynamodb() {
        let update = limiter()
            .register_update(Limit::new("lookup-ticket", u32::MAX, 900), &Subject::Email("a@example.com"), 1)
            .unwrap();
        let expression = update.update_expression;
        assert_eq!(expression.matches("if_not_exists").count(), MAX_LIMIT as usize - 1);
        assert!(expression.len() <= 4096, "{} bytes", expression.len());
        assert!(CONDITION.len() <= 4096);
        for placeholder in update.expression_attribute_values.unwrap().keys() {
            assert!(placeholder.len() <= 255);
        }
    }

    #[test]
    fn one_64_is_one_register_and_each_kind_of_subject_its_own() {
        let limiter = limiter();
        let limit = Limit::submissions(10);
        let key = |raw: &str| {
            key_of(&limiter.register_update(limit, &Subject::Client(ClientAddress::from_source_ip(raw)), 0).unwrap())
        };
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:203.0.113.9"), key("203.0.113.9"));
        assert!(!key("203.0.113.9").contains("203.0"), "addresses are hashed");
        assert!(key("203.0.113.9").starts_with("submit#10#"));

        let demo = WorkspaceSlug::parse("demo").unwrap();
        let reference = TicketRef::from_number(1).unwrap();
        let ticket = key_of(&limiter.register_update(limit, &Subject::Ticket(&demo, reference), 0).unwrap());
        let email = key_of(&limiter.register_update(limit, &Subject::Email(" Ann@Example.com"), 0).unwrap());
        let same_email = key_of(&limiter.register_update(limit, &Subject::Email("ann@example.com"), 0).unwrap());
        assert_eq!(email, same_email);
        let tagged = key_of(&limiter.register_update(limit, &Subject::Email("Ann+2@example.com"), 0).unwrap());
        assert_eq!(email, tagged, "a sub-address tag is the same mailbox");
        assert_ne!(ticket, email);
        let other_salt = RateLimiter { salt: Some(RateLimitSalt::generate()), ..limiter.clone() };
        assert_ne!(key_of(&other_salt.register_update(limit, &Subject::Ticket(&demo, reference), 0).unwrap()), ticket);
    }

    #[test]
    fn the_window_and_the_lifetime_follow_now() {
        let update = limiter()
            .register_update(Limit::submissions(10), &Subject::Client(ClientAddress::Unknown), 10_000)
            .unwrap();
        let values = update.expression_attribute_values.unwrap();
        assert_eq!(values[":cutoff"], n(10_000 - 3600));
        assert_eq!(values[":exp"], n(10_000 + 3600));
        assert_eq!(values[":now"], n(10_000));
        assert_eq!(update.condition_expression.as_deref(), Some(CONDITION));
    }

    #[test]
    fn without_a_salt_nothing_is_counted() {
        let limiter = RateLimiter { salt: None, ..limiter() };
        let err = limiter.charge(Limit::submissions(10), &Subject::Client(ClientAddress::Unknown)).unwrap_err();
        assert!(err.to_string().contains("RATE_LIMIT_SALT"), "{err}");
    }
}

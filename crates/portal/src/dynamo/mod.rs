//! The DynamoDB base both tables stand on (the store's portal table and the
//! limiter's rate-limit table): attribute values, keys, items to and from
//! serde types, telling a condition that did not hold from a failure,
//! all-or-nothing writes ([`transaction`]), a limit's admission inside one
//! ([`Charge`]) and the atomic counter ([`Counter`]). It imports neither the
//! store nor the limiter.

mod charge;
mod counter;
pub mod transaction;

pub use charge::Charge;
pub use counter::Counter;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::aws::AwsError;

/// The partition key of both tables.
pub const PK: &str = "pk";
/// The sort key of the portal table (the rate-limit table has none).
pub const SK: &str = "sk";
/// TTL attribute on both tables (epoch seconds). The emulator never expires
/// items, so code checks expiry itself.
pub const EXPIRES_AT: &str = "expiresAt";

pub type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A number attribute of `item`, if it holds one.
pub(crate) fn number(item: &Item, name: &str) -> Option<u64> {
    match item.get(name) {
        Some(AttributeValue::N(raw)) => raw.parse().ok(),
        _ => None,
    }
}

/// The primary key of the portal table.
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

pub(crate) fn attribute(value: &impl Serialize, what: &'static str) -> Result<AttributeValue, AwsError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| AwsError::new(what, e))
}

/// A single conditional write (PutItem, UpdateItem, DeleteItem): `Ok(Ok(out))`
/// when written, `Ok(Err(e))` when its condition did not hold (with the
/// service's answer, which may carry the item as it was), `Err` otherwise.
pub(crate) fn condition_outcome<T, E, R>(
    operation: &'static str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Result<T, E>, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(out) => Ok(Ok(out)),
        Err(SdkError::ServiceError(service)) if service.err().code() == Some("ConditionalCheckFailedException") => {
            Ok(Err(service.into_err()))
        }
        Err(err) => Err(AwsError::new(operation, err)),
    }
}

/// [`condition_outcome`] when only "written or not" matters: `Ok(None)` when
/// the condition did not hold.
pub(crate) fn conditional<T, E, R>(
    operation: &'static str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    condition_outcome(operation, result).map(Result::ok)
}

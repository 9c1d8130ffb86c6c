//! The atomic counter: one `UpdateItem ... ADD #n :one`, so every caller gets
//! a number no one else gets (ticket numbers, the round-robin's turns).

use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;

use super::{conditional, n, number, Item, PK};
use crate::aws::AwsError;

/// A number attribute of one item, counted up one at a time.
#[derive(Debug, Clone)]
pub struct Counter<'a> {
    /// Names the call in errors ("UpdateItem ticketSeq").
    pub operation: &'static str,
    pub table: &'a str,
    pub key: Item,
    pub attribute: &'a str,
}

impl Counter<'_> {
    /// Adds one and answers the new value with the attributes DynamoDB
    /// returned (`returns`: the whole item, or only the counter). With
    /// `existing_only`, an absent item stays absent and the answer is `None`;
    /// otherwise the first call creates the item at 1.
    pub async fn add_one(
        self,
        client: &Client,
        returns: ReturnValue,
        existing_only: bool,
    ) -> Result<Option<(u64, Item)>, AwsError> {
        let mut request = client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key))
            .update_expression(format!("ADD {} :one", self.attribute))
            .expression_attribute_values(":one", n(1))
            .return_values(returns);
        if existing_only {
            request = request.condition_expression("attribute_exists(#pk)").expression_attribute_names("#pk", PK);
        }
        let Some(out) = conditional(self.operation, request.send().await)? else {
            return Ok(None);
        };
        let item = out.attributes.unwrap_or_default();
        let value = number(&item, self.attribute)
            .ok_or_else(|| AwsError::unusable_answer(self.operation, "counter missing from reply"))?;
        Ok(Some((value, item)))
    }
}

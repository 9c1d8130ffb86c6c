//! Table shapes. The local stack and the tests create tables from these, and a
//! test holds `template.yaml` to the same definitions.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::keys::{EXPIRES_AT, PK, SK};
use crate::aws::AwsError;

/// One DynamoDB table's key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Logical id in `template.yaml`.
    pub logical_id: &'static str,
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
    pub ttl_attribute: &'static str,
}

pub const PORTAL_TABLE: TableSpec =
    TableSpec { logical_id: "PortalTable", partition_key: PK, sort_key: Some(SK), ttl_attribute: EXPIRES_AT };

pub const RATE_LIMIT_TABLE: TableSpec =
    TableSpec { logical_id: "RateLimitTable", partition_key: PK, sort_key: None, ttl_attribute: EXPIRES_AT };

impl TableSpec {
    /// Creates the table (on-demand, with TTL) unless it exists.
    pub async fn ensure(&self, client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), AwsError> {
        let string_key = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| AwsError::new("CreateTable", e))
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(|e| AwsError::new("CreateTable", e))
        };
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_key(self.partition_key)?)
            .key_schema(key(self.partition_key, KeyType::Hash)?);
        if let Some(sort) = self.sort_key {
            request = request.attribute_definitions(string_key(sort)?).key_schema(key(sort, KeyType::Range)?);
        }
        match request.send().await {
            Ok(_) => {}
            Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(()),
            Err(err) => return Err(AwsError::new("CreateTable", err)),
        }
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(self.ttl_attribute)
            .enabled(true)
            .build()
            .map_err(|e| AwsError::new("UpdateTimeToLive", e))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateTimeToLive", e))?;
        Ok(())
    }
}

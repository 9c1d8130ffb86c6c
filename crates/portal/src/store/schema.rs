//! Table shapes. The local stack and the tests create tables from these, and a
//! test holds `template.yaml` to the same definitions.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

use super::keys::{BY_CONTACT_INDEX, BY_CONTACT_PROJECTION, CONTACT_KEY, CONTACT_SORT, EXPIRES_AT, PK, SK};
use crate::aws::AwsError;

/// One DynamoDB table's key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Logical id in `template.yaml`.
    pub logical_id: &'static str,
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
    pub ttl_attribute: &'static str,
    pub indexes: &'static [IndexSpec],
}

/// A global secondary index (string keys, `INCLUDE` projection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    /// Non-key attributes the index carries.
    pub projected: &'static [&'static str],
}

/// One address's tickets (see `keys.rs`).
pub const BY_CONTACT: IndexSpec = IndexSpec {
    name: BY_CONTACT_INDEX,
    partition_key: CONTACT_KEY,
    sort_key: CONTACT_SORT,
    projected: &BY_CONTACT_PROJECTION,
};

pub const PORTAL_TABLE: TableSpec = TableSpec {
    logical_id: "PortalTable",
    partition_key: PK,
    sort_key: Some(SK),
    ttl_attribute: EXPIRES_AT,
    indexes: &[BY_CONTACT],
};

pub const RATE_LIMIT_TABLE: TableSpec = TableSpec {
    logical_id: "RateLimitTable",
    partition_key: PK,
    sort_key: None,
    ttl_attribute: EXPIRES_AT,
    indexes: &[],
};

impl TableSpec {
    /// Every key attribute of the table and its indexes, once each, in order.
    pub fn key_attributes(&self) -> Vec<&'static str> {
        let indexed = self.indexes.iter().flat_map(|index| [index.partition_key, index.sort_key]);
        let mut names = Vec::new();
        for name in std::iter::once(self.partition_key).chain(self.sort_key).chain(indexed) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

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
            .key_schema(key(self.partition_key, KeyType::Hash)?);
        for attribute in self.key_attributes() {
            request = request.attribute_definitions(string_key(attribute)?);
        }
        if let Some(sort) = self.sort_key {
            request = request.key_schema(key(sort, KeyType::Range)?);
        }
        for index in self.indexes {
            let projection = Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(index.projected.iter().map(|a| a.to_string()).collect()))
                .build();
            let gsi = GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.partition_key, KeyType::Hash)?)
                .key_schema(key(index.sort_key, KeyType::Range)?)
                .projection(projection)
                .build()
                .map_err(|e| AwsError::new("CreateTable", e))?;
            request = request.global_secondary_indexes(gsi);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_attributes_are_declared_once() {
        assert_eq!(PORTAL_TABLE.key_attributes(), [PK, SK, CONTACT_KEY, CONTACT_SORT]);
        assert_eq!(RATE_LIMIT_TABLE.key_attributes(), [PK]);
    }
}

//! A workspace's logo bytes, in their own item: the workspace item, which
//! every request reads, stays small.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::{workspace_pk, LOGO_SK};
use super::Store;
use crate::aws::AwsError;
use crate::domain::{Logo, LogoFormat, StoredLogo, WorkspaceSlug};
use crate::dynamo::{key, s};

impl Store {
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
            _ => return Err(AwsError::unusable_answer("GetItem logo", "stored logo has no format")),
        };
        let bytes = match item.get("data") {
            Some(AttributeValue::B(blob)) => blob.clone().into_inner(),
            _ => return Err(AwsError::unusable_answer("GetItem logo", "stored logo has no data")),
        };
        Ok(Some(StoredLogo { format, version: text("version").unwrap_or_default(), bytes }))
    }
}

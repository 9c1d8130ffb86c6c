//! The S3 adapter of received email: SES's S3 action stores each raw message
//! under [`INBOUND_PREFIX`] + its SES message id, and the inbound function
//! reads it back here. Locally the dev SMTP receiver stores it the same way.

use aws_sdk_s3::primitives::ByteStream;

use crate::aws::s3_get::{Object, ObjectReader};
use crate::aws::AwsError;
use crate::domain::mail_in::SesMessageId;

/// The S3 action's `ObjectKeyPrefix` (template.yaml): SES appends the message
/// id with no separator, so it ends in `/`.
pub const INBOUND_PREFIX: &str = "inbound/";

/// Where SES's S3 action stores message `id`.
pub fn object_key(id: &SesMessageId) -> String {
    format!("{INBOUND_PREFIX}{}", id.as_str())
}

/// The received-mail bucket, as the inbound function reads it.
#[derive(Clone, Debug)]
pub struct Mailbox {
    objects: ObjectReader,
    bucket: String,
}

impl Mailbox {
    pub fn new(objects: ObjectReader, bucket: impl Into<String>) -> Self {
        Self { objects, bucket: bucket.into() }
    }

    /// Reads the message `id`, unless it is larger than `max_bytes` (SES
    /// accepts up to 40 MB; we take 10): the size comes with the response
    /// headers, so a large body is never downloaded. `Missing`: deleted by the
    /// lifecycle, or never stored.
    pub async fn fetch(&self, id: &SesMessageId, max_bytes: usize) -> Result<Object, AwsError> {
        self.objects
            .get(&self.bucket, &object_key(id), max_bytes)
            .await
            .map_err(|e| AwsError::new("GetObject inbound mail", e))
    }
}

/// Stores a message as SES's S3 action does (the dev SMTP receiver's half,
/// and tests), with S3's SDK client.
pub async fn store(client: &aws_sdk_s3::Client, bucket: &str, id: &SesMessageId, raw: Vec<u8>) -> Result<(), AwsError> {
    client
        .put_object()
        .bucket(bucket)
        .key(object_key(id))
        .body(ByteStream::from(raw))
        .send()
        .await
        .map_err(|e| AwsError::new("PutObject inbound mail", e))?;
    Ok(())
}

/// Creates the bucket unless it exists (the local stack and the tests; on AWS
/// template.yaml makes it, encrypted, with its lifecycle and policy).
pub async fn ensure_bucket(client: &aws_sdk_s3::Client, bucket: &str) -> Result<(), AwsError> {
    match client.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()) =>
        {
            Ok(())
        }
        Err(err) => Err(AwsError::new("CreateBucket inbound mail", err)),
    }
}

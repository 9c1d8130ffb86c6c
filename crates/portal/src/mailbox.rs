//! The S3 adapter of received email: SES's S3 action stores each raw message
//! under [`INBOUND_PREFIX`] + its SES message id, and the inbound function
//! reads it back here. Locally the dev SMTP receiver stores it the same way.

use aws_sdk_s3::primitives::ByteStream;

use crate::aws::AwsError;
use crate::domain::inbound::SesMessageId;

/// The S3 action's `ObjectKeyPrefix` (template.yaml): SES appends the message
/// id with no separator, so it ends in `/`.
pub const INBOUND_PREFIX: &str = "inbound/";

/// What reading a received message gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The raw message, at most the limit's bytes.
    Message(Vec<u8>),
    /// Larger than the limit: not read (SES accepts up to 40 MB; we take 10).
    TooLarge { bytes: i64 },
    /// No such object (deleted by the lifecycle, or never stored).
    Missing,
}

/// The received-mail bucket.
#[derive(Clone, Debug)]
pub struct Mailbox {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl Mailbox {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    fn key(id: &SesMessageId) -> String {
        format!("{INBOUND_PREFIX}{}", id.as_str())
    }

    /// Reads the message `id`, unless it is larger than `max_bytes`: the size
    /// comes with the response headers, so a large body is never downloaded.
    pub async fn fetch(&self, id: &SesMessageId, max_bytes: usize) -> Result<Fetched, AwsError> {
        let response = self.client.get_object().bucket(&self.bucket).key(Self::key(id)).send().await;
        let object = match response {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(Fetched::Missing),
            Err(err) => return Err(AwsError::new("GetObject inbound mail", err)),
        };
        let bytes = object.content_length().unwrap_or(0);
        if usize::try_from(bytes).map_or(true, |b| b > max_bytes) {
            return Ok(Fetched::TooLarge { bytes });
        }
        let body = object.body.collect().await.map_err(|e| AwsError::new("GetObject inbound mail body", e))?;
        let raw = body.into_bytes().to_vec();
        // A missing Content-Length is caught here instead.
        if raw.len() > max_bytes {
            return Ok(Fetched::TooLarge { bytes: raw.len() as i64 });
        }
        Ok(Fetched::Message(raw))
    }

    /// Stores a message as SES's S3 action does (the dev SMTP receiver's half).
    pub async fn store(&self, id: &SesMessageId, raw: Vec<u8>) -> Result<(), AwsError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(Self::key(id))
            .body(ByteStream::from(raw))
            .send()
            .await
            .map_err(|e| AwsError::new("PutObject inbound mail", e))?;
        Ok(())
    }
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

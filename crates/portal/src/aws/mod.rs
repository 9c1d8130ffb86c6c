//! AWS SDK clients, built once per process from the standard environment
//! (region, credentials and `AWS_ENDPOINT_URL`, which points them at the local
//! emulator in development).

use std::fmt;

use aws_config::{BehaviorVersion, ConfigLoader};

pub mod http;
pub mod s3_get;
pub mod tls;

use http::LambdaHttpClient;
use s3_get::ObjectReader;
use tls::TlsError;

/// The HTTP client every AWS call goes through (TLS from compiled-in roots).
pub fn http_client() -> Result<LambdaHttpClient, TlsError> {
    Ok(LambdaHttpClient::new(tls::client_config()?))
}

/// The SDK's standard loader (profiles, `AWS_ENDPOINT_URL`, retries) on
/// `http`, the client the functions use: one TLS stack for every client and
/// tool, and the SDK's default client (a second TLS library) not compiled in.
pub fn sdk_loader_on(http: &LambdaHttpClient) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http.clone())
}

/// The SDK clients the portal uses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Only the worker sends email; the HTTP functions' Lambda init builds
    /// none (see `entry::lambda`).
    pub ses: Option<aws_sdk_sesv2::Client>,
    /// S3's SDK client, for the tools that write objects (provisioning, the
    /// dev SMTP receiver); no function builds it.
    pub s3: Option<aws_sdk_s3::Client>,
    /// Reads objects (the received messages): only the inbound-email
    /// function has one in Lambda.
    pub objects: Option<ObjectReader>,
}

impl AwsClients {
    pub async fn from_env() -> Result<Self, TlsError> {
        let http = http_client()?;
        let sdk = sdk_loader_on(&http).load().await;
        Ok(Self::all(&sdk, &http))
    }

    /// Every client, on one SDK configuration.
    fn all(sdk: &aws_config::SdkConfig, http: &LambdaHttpClient) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            ses: Some(aws_sdk_sesv2::Client::new(sdk)),
            s3: Some(s3_client(sdk)),
            objects: Some(ObjectReader::new(sdk, http)),
        }
    }
}

impl AwsClients {
    /// Clients for an explicit endpoint (tests put a proxy in front of the
    /// emulator this way; the functions use the environment only).
    pub async fn with_endpoint(endpoint: &str) -> Result<Self, TlsError> {
        let http = http_client()?;
        let sdk = sdk_loader_on(&http).endpoint_url(endpoint).load().await;
        Ok(Self::all(&sdk, &http))
    }
}

/// The S3 client: path-style addressing when an endpoint is set (the emulator
/// serves no bucket subdomains), and checksums only where S3 requires them,
/// so uploads are plain bodies that the emulator and the test proxy pass on.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A failed call to an AWS service: which operation, and the SDK's error as
/// the source. Its text shows the whole error chain ("service error" alone
/// would say nothing).
#[derive(Debug)]
pub struct AwsError {
    pub operation: &'static str,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.operation, self.source)?;
        let mut cause = self.source.source();
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// An answer from AWS the portal cannot use (an item without its data, a
/// counter missing from a reply).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UnusableAnswer(&'static str);

impl AwsError {
    pub fn new(operation: &'static str, err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self { operation, source: Box::new(err) }
    }

    /// The call worked but its answer lacks what the portal needs.
    pub fn unusable_answer(operation: &'static str, what: &'static str) -> Self {
        Self::new(operation, UnusableAnswer(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_its_source_and_says_what_failed() {
        let err = AwsError::unusable_answer("UpdateItem ticketSeq", "counter missing from reply");
        assert_eq!(err.to_string(), "UpdateItem ticketSeq failed: counter missing from reply");
        let source = std::error::Error::source(&err).expect("the source is kept");
        assert_eq!(source.to_string(), "counter missing from reply");
    }
}

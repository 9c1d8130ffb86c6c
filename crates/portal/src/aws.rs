//! AWS SDK clients, built once per process from the standard environment
//! (region, credentials and `AWS_ENDPOINT_URL`, which points them at the local
//! emulator in development).

use aws_config::BehaviorVersion;

/// The SDK clients the portal uses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub ses: aws_sdk_sesv2::Client,
}

impl AwsClients {
    pub async fn from_env() -> Self {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            ses: aws_sdk_sesv2::Client::new(&sdk),
        }
    }
}

impl AwsClients {
    /// Clients for an explicit endpoint (tests put a proxy in front of the
    /// emulator this way; the functions use the environment only).
    pub async fn with_endpoint(endpoint: &str) -> Self {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).endpoint_url(endpoint).load().await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            ses: aws_sdk_sesv2::Client::new(&sdk),
        }
    }
}

/// A failed call to an AWS service, with the SDK's full error chain as text.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {detail}")]
pub struct AwsError {
    pub operation: &'static str,
    pub detail: String,
}

impl AwsError {
    pub fn new(operation: &'static str, err: impl std::error::Error) -> Self {
        Self { operation, detail: aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string() }
    }
}

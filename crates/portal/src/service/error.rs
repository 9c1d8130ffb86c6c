//! The service's own failure of what it stands on: a use case's error carries
//! it as its `Unavailable` case, and the AWS error stays inside as its source,
//! so no caller (the web, the CLI, the entries) ever names an AWS type.

use crate::aws::AwsError;

/// DynamoDB, SQS, SES or S3 failed, or answered what the portal cannot use.
/// Its text is the AWS error's, whose whole chain it shows.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(#[from] AwsError);

/// `?` on an adapter's error inside a use case: it becomes the use case
/// error's `Unavailable` case.
macro_rules! unavailable_from_aws {
    ($($error:ident),* $(,)?) => {
        $(
            impl From<crate::aws::AwsError> for $error {
                fn from(err: crate::aws::AwsError) -> Self {
                    $error::Unavailable(err.into())
                }
            }
        )*
    };
}
pub(super) use unavailable_from_aws;

//! Creates the stack's resources on an emulator (or an empty account), from the
//! same definitions `template.yaml` is checked against: used by the local run
//! command and by every integration test (each with its own name prefix).

use aws_sdk_sqs::types::QueueAttributeName;

use crate::aws::{AwsClients, AwsError};
use crate::config::Config;
use crate::domain::limits::{
    DEFAULT_LOOKUP_LIMIT_PER_15_MIN, DEFAULT_REPLY_LIMIT_PER_HOUR, DEFAULT_SUBMIT_LIMIT_PER_HOUR,
    DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR,
};
use crate::domain::secrets::RateLimitSalt;
use crate::store::schema::{PORTAL_TABLE, RATE_LIMIT_TABLE};

/// Names of one copy of the stack's resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackNames {
    pub table: String,
    pub rate_limit_table: String,
    pub queue: String,
    pub dead_letter_queue: String,
    /// The bucket received email is stored in (SES's S3 action; locally the SMTP receiver).
    pub inbound_bucket: String,
}

/// The local stack's inbound email domain (`INBOUND_DOMAIN` overrides it in `make run`).
pub const LOCAL_INBOUND_DOMAIN: &str = "inbound.localhost";

/// Receives before a failing message moves to the dead-letter queue (as in `template.yaml`).
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// Seconds a received message stays hidden (as in `template.yaml`).
pub const VISIBILITY_TIMEOUT_SECS: u32 = 60;

impl StackNames {
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            table: format!("{prefix}portal"),
            rate_limit_table: format!("{prefix}ratelimit"),
            queue: format!("{prefix}events"),
            dead_letter_queue: format!("{prefix}events-dlq"),
            inbound_bucket: format!("{prefix}inbound-mail"),
        }
    }
}

/// Where the provisioned queues are.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub queue_url: String,
    pub dead_letter_queue_url: String,
    /// How long a received message stays hidden: a failed record's wait before it comes back.
    pub visibility_timeout_secs: u32,
}

/// Creates (or finds) both tables, the queue with its dead-letter queue and
/// redrive policy, and the verified sender identity.
pub async fn provision(
    clients: &AwsClients,
    names: &StackNames,
    sender: &str,
    visibility_timeout_secs: u32,
) -> Result<Provisioned, AwsError> {
    PORTAL_TABLE.ensure(&clients.dynamodb, &names.table).await?;
    RATE_LIMIT_TABLE.ensure(&clients.dynamodb, &names.rate_limit_table).await?;

    let dlq = clients
        .sqs
        .create_queue()
        .queue_name(&names.dead_letter_queue)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| AwsError::new("CreateQueue dlq", e))?;
    let dead_letter_queue_url = dlq.queue_url.unwrap_or_default();
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&dead_letter_queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| AwsError::new("GetQueueAttributes", e))?;
    let dlq_arn = attributes.attributes.and_then(|mut a| a.remove(&QueueAttributeName::QueueArn)).unwrap_or_default();
    let redrive =
        serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT.to_string() });
    let queue = clients
        .sqs
        .create_queue()
        .queue_name(&names.queue)
        .attributes(QueueAttributeName::VisibilityTimeout, visibility_timeout_secs.to_string())
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .map_err(|e| AwsError::new("CreateQueue", e))?;

    if let Some(s3) = &clients.s3 {
        crate::mail_in::ensure_bucket(s3, &names.inbound_bucket).await?;
    }
    if let Some(ses) = &clients.ses {
        let identity = ses.create_email_identity().email_identity(sender).send().await;
        if let Err(err) = identity {
            if !err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) {
                return Err(AwsError::new("CreateEmailIdentity", err));
            }
        }
    }
    Ok(Provisioned { queue_url: queue.queue_url.unwrap_or_default(), dead_letter_queue_url, visibility_timeout_secs })
}

impl Config {
    /// Configuration for a provisioned copy of the stack, with a fresh random
    /// salt of its own (the local stack replaces it with the one it keeps).
    pub fn for_stack(names: &StackNames, provisioned: &Provisioned, base_url: &str, sender: &str) -> Self {
        Self {
            table: names.table.clone(),
            rate_limit_table: names.rate_limit_table.clone(),
            queue_url: provisioned.queue_url.clone(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            mail_from: Some(sender.to_owned()),
            submit_limit_per_hour: DEFAULT_SUBMIT_LIMIT_PER_HOUR,
            lookup_limit: DEFAULT_LOOKUP_LIMIT_PER_15_MIN,
            reply_limit_per_hour: DEFAULT_REPLY_LIMIT_PER_HOUR,
            ticket_reply_limit_per_hour: DEFAULT_TICKET_REPLY_LIMIT_PER_HOUR,
            rate_limit_salt: Some(RateLimitSalt::generate()),
            inbound_domain: Some(LOCAL_INBOUND_DOMAIN.to_owned()),
            inbound_bucket: Some(names.inbound_bucket.clone()),
        }
    }
}

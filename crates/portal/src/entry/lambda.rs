//! What a Lambda function does in init, before its first poll. Lambda runs
//! init at full speed but the invocation at the memory size's CPU share (7 %
//! at 128 MB), so whatever a first request would build lazily is built here:
//!
//! - the TLS configuration, once, from compiled-in roots (`webpki-roots`) and
//!   the PEM bundle `AWS_CA_BUNDLE` names, instead of scanning the system
//!   store ([`tls`]);
//! - credentials from Lambda's environment variables and the region from
//!   `AWS_REGION`: no profile files, no instance metadata;
//! - only the clients the function uses ([`Needs`]);
//! - as many connections to each service as the function's first round trip
//!   uses in parallel, started before the first poll (name lookup, TCP, TLS
//!   handshake); init does not wait for them by default ([`PRECONNECT_WAIT`]):
//!   they finish while the Runtime API hands over the first event, and a
//!   request that comes first waits for one of them rather than opening its
//!   own ([`http`]). Waiting for them in init cost 2-3 ms of first poll and
//!   bought nothing in the first response (docs/PERFORMANCE.md).
//!
//! `AWS_ENDPOINT_URL` (the local emulator) and `AWS_MAX_ATTEMPTS` are honoured
//! as the SDK's own loader does.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::aws::s3_get::ObjectReader;
use crate::aws::{http, tls, AwsClients};
use crate::config::{Config, ConfigError};
use crate::Portal;

/// mimalloc instead of glibc's allocator, which was a fifth of a warm
/// request's instructions (docs/PERFORMANCE.md, "The allocator").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long init waits for its connections by default: not at all (a request
/// waits for the handshakes under way). `PORTAL_INIT_CONNECT_WAIT_MS` sets a
/// longer wait, for an endpoint far enough away that handshaking at full speed
/// before the first poll pays; a slow endpoint then delays the first poll by at
/// most that.
pub const PRECONNECT_WAIT: Duration = Duration::ZERO;

/// How long init waits for its connections: `PORTAL_INIT_CONNECT_WAIT_MS`, or [`PRECONNECT_WAIT`].
fn preconnect_wait(get: impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    const NAME: &str = "PORTAL_INIT_CONNECT_WAIT_MS";
    // Longer would be a mistake, not a setting (Lambda's whole init has 10 s).
    const MAX_MS: u64 = 5_000;
    match get(NAME) {
        None => Ok(PRECONNECT_WAIT),
        Some(ms) => match ms.trim().parse::<u64>() {
            Ok(ms) if ms <= MAX_MS => Ok(Duration::from_millis(ms)),
            _ => Err(ConfigError::Invalid(NAME.into())),
        },
    }
}

/// The clients a function uses, and how many connections to each its first
/// round trip opens in parallel (0 opens none ahead).
///
/// The SES client and the S3 reader come with the function that builds them:
/// a function whose `Needs` names none never refers to them, so the linker
/// leaves out their code (SES's configuration and endpoint rules). S3 is read
/// without its SDK ([`crate::aws::s3_get`]).
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub dynamodb: usize,
    pub sqs: usize,
    pub ses: Option<Need<aws_sdk_sesv2::Client>>,
    pub s3: Option<Need<ObjectReader>>,
}

/// One optional client: its connections opened in init, and how it is built.
#[derive(Debug)]
pub struct Need<C> {
    pub connections: usize,
    pub build: fn(&SdkConfig, &http::LambdaHttpClient) -> C,
}

// Copied whatever `C` is (a derive would ask `C: Copy`): it holds a count and a fn pointer.
impl<C> Clone for Need<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Need<C> {}

fn ses_client(sdk: &SdkConfig, _: &http::LambdaHttpClient) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(sdk)
}

impl Needs {
    /// `Portal::submit_ticket`: the rate limiter, the idempotency lookup and
    /// the workspace in parallel, then the transaction beside the SQS send.
    pub const SUBMIT: Self = Self { dynamodb: 3, sqs: 1, ses: None, s3: None };
    /// `Portal::lookup_ticket`: the workspace, the ticket's page and the
    /// typed-email transaction (both miss registers in it) in parallel.
    pub const TRACK: Self = Self { dynamodb: 3, sqs: 0, ses: None, s3: None };
    /// `Portal::reply_as_customer`: the verified read (as track) beside the
    /// idempotency lookup, then the transaction beside the SQS send.
    pub const REPLY: Self = Self { dynamodb: 4, sqs: 1, ses: None, s3: None };
    /// `Portal::survey`: the token and the workspace in parallel.
    pub const CSAT: Self = Self { dynamodb: 2, sqs: 0, ses: None, s3: None };
    /// The worker: one record at a time, reads and writes, then SES.
    pub const WORKER: Self =
        Self { dynamodb: 1, sqs: 0, ses: Some(Need { connections: 1, build: ses_client }), s3: None };
    /// The outbox sweeper: a Query per shard, then a send per due event.
    pub const SWEEPER: Self = Self { dynamodb: 1, sqs: 1, ses: None, s3: None };
    /// The inbound-email function: the message from S3 (beside the
    /// idempotency lookup and the limiter), then the ticket transaction
    /// beside the SQS send.
    pub const INBOUND: Self =
        Self { dynamodb: 2, sqs: 1, ses: None, s3: Some(Need { connections: 1, build: ObjectReader::new }) };
}

/// How many connections `need` opens ahead.
fn connections_of<C>(need: &Option<Need<C>>) -> usize {
    need.as_ref().map_or(0, |n| n.connections)
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The SDK configuration of a Lambda function, from its environment only
/// (read through `get`, so tests need not touch the process environment).
fn sdk_config(
    get: impl Fn(&str) -> Option<String>,
    http_client: &http::LambdaHttpClient,
) -> Result<SdkConfig, ConfigError> {
    let region = get("AWS_REGION").ok_or_else(|| ConfigError::Missing("AWS_REGION".into()))?;
    let credentials = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(http_client.clone());
    if let Some(endpoint) = get("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    if let Some(attempts) = get("AWS_MAX_ATTEMPTS") {
        let attempts = attempts.parse().map_err(|_| ConfigError::Invalid("AWS_MAX_ATTEMPTS".into()))?;
        builder = builder.retry_config(RetryConfig::standard().with_max_attempts(attempts));
    }
    Ok(builder.build())
}

/// Where each service's requests go: `AWS_ENDPOINT_URL`, or its regional endpoint.
fn endpoint(sdk: &SdkConfig, service: &str) -> String {
    match sdk.endpoint_url() {
        Some(url) => url.to_owned(),
        None => {
            let region = sdk.region().map(|r| r.as_ref()).unwrap_or("us-east-1");
            format!("https://{service}.{region}.amazonaws.com")
        }
    }
}

/// The clients `needs` names, with their connections opening (S3's to
/// `bucket`'s origin, where its reads go).
pub async fn lambda_clients(needs: Needs, bucket: Option<&str>) -> Result<AwsClients, InitError> {
    let http_client = crate::aws::http_client()?;
    let sdk = sdk_config(env, &http_client)?;
    let wait = preconnect_wait(env)?;
    let objects = needs.s3.map(|need| (need.build)(&sdk, &http_client));
    let mut connections = Vec::new();
    let services = [("dynamodb", needs.dynamodb), ("sqs", needs.sqs), ("email", connections_of(&needs.ses))];
    for (service, count) in services {
        if count > 0 {
            connections.push((endpoint(&sdk, service), count));
        }
    }
    if let (Some(bucket), Some(objects), count @ 1..) = (bucket, &objects, connections_of(&needs.s3)) {
        connections.push((objects.bucket_url(bucket), count));
    }
    let opening = http_client.preconnect(&connections);
    let clients = AwsClients {
        dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
        sqs: aws_sdk_sqs::Client::new(&sdk),
        ses: needs.ses.map(|need| (need.build)(&sdk, &http_client)),
        s3: None,
        objects,
    };
    let ready = opening.wait(wait).await;
    tracing::debug!(ready, "connections opened in init");
    Ok(clients)
}

/// The portal of a Lambda function: configuration and the clients it needs.
pub async fn lambda_portal(needs: Needs) -> Result<Portal, InitError> {
    let config = Config::from_env()?;
    let clients = lambda_clients(needs, config.inbound_bucket.as_deref()).await?;
    Ok(Portal::new(config, clients))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    fn client() -> http::LambdaHttpClient {
        http::LambdaHttpClient::new(tls::client_config_with(None).unwrap())
    }

    #[test]
    fn region_and_overrides_come_from_the_environment() {
        let vars =
            [("AWS_REGION", "eu-west-1"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"), ("AWS_MAX_ATTEMPTS", "10")];
        let sdk = sdk_config(lookup(&vars), &client()).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.retry_config().map(|r| r.max_attempts()), Some(10));
        assert_eq!(endpoint(&sdk, "dynamodb"), "http://127.0.0.1:5000");
    }

    #[test]
    fn without_an_override_each_service_has_its_regional_endpoint() {
        let sdk = sdk_config(lookup(&[("AWS_REGION", "eu-west-1")]), &client()).unwrap();
        assert_eq!(endpoint(&sdk, "dynamodb"), "https://dynamodb.eu-west-1.amazonaws.com");
        assert_eq!(endpoint(&sdk, "email"), "https://email.eu-west-1.amazonaws.com");
        assert!(sdk.retry_config().is_none(), "the SDK's default retries apply");
    }

    #[test]
    fn init_waits_for_its_connections_as_configured() {
        assert_eq!(preconnect_wait(lookup(&[])).unwrap(), PRECONNECT_WAIT);
        assert_eq!(preconnect_wait(lookup(&[("PORTAL_INIT_CONNECT_WAIT_MS", "0")])).unwrap(), Duration::ZERO);
        assert_eq!(preconnect_wait(lookup(&[("PORTAL_INIT_CONNECT_WAIT_MS", "2")])).unwrap(), Duration::from_millis(2));
        for bad in ["soon", "-1", "18446744073709551615"] {
            let vars = [("PORTAL_INIT_CONNECT_WAIT_MS", bad)];
            assert!(matches!(preconnect_wait(lookup(&vars)), Err(ConfigError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn a_missing_region_or_a_bad_attempt_count_stops_init() {
        assert!(matches!(sdk_config(lookup(&[]), &client()), Err(ConfigError::Missing(_))));
        let vars = [("AWS_REGION", "eu-west-1"), ("AWS_MAX_ATTEMPTS", "many")];
        assert!(matches!(sdk_config(lookup(&vars), &client()), Err(ConfigError::Invalid(_))));
    }
}

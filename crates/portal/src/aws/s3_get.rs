//! One S3 operation, GetObject, without the S3 SDK: a GET signed with SigV4
//! (the SDK's own signer, `aws-sigv4`) on the functions' HTTP client. The
//! inbound-email function reads each received message this way; S3's SDK
//! client (its endpoint rules, checksum and express-session machinery) made
//! that function's zip 0.4 MB larger than the 3 MB bar for one call. Writers
//! (the dev SMTP receiver, provisioning) keep the SDK client (`aws::s3_client`).

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_types::body::SdkBody;
use http_body_util::{BodyExt, Limited};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::aws::http::LambdaHttpClient;

/// Attempts per read, as the SDK's standard retry mode makes them.
const ATTEMPTS: u32 = 3;
/// The first retry's wait; each later one doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// How long one attempt may take, answer and body included: three attempts
/// and their backoff end well inside the function's 30 s timeout, so a stalled
/// read is an error the function reports, not a Lambda timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a read gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// The object's bytes, at most the limit.
    Bytes(Vec<u8>),
    /// Larger than the limit (by `Content-Length` or by what arrived): not kept.
    TooLarge { bytes: u64 },
    /// No such key (404 NoSuchKey).
    Missing,
}

#[derive(Debug, thiserror::Error)]
pub enum S3GetError {
    #[error("S3 GetObject answered {status} {code}")]
    Status { status: u16, code: String },
    #[error("S3 GetObject could not be signed: {0}")]
    Signing(String),
    #[error("S3 GetObject failed: {0}")]
    Transport(String),
    #[error("S3 GetObject took longer than {0:?}")]
    TimedOut(Duration),
}

impl S3GetError {
    /// Worth another attempt: throttling, S3's 5xx, a dropped connection, a timeout.
    fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Transport(_) | Self::TimedOut(_) => true,
            Self::Signing(_) => false,
        }
    }
}

/// Reads objects from S3 with the process's credentials and region.
#[derive(Clone)]
pub struct ObjectReader {
    http: LambdaHttpClient,
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    /// `AWS_ENDPOINT_URL` (the emulator): path-style URLs under it.
    endpoint: Option<String>,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader").field("region", &self.region).field("endpoint", &self.endpoint).finish()
    }
}

impl ObjectReader {
    pub fn new(sdk: &SdkConfig, http: &LambdaHttpClient) -> Self {
        Self {
            http: http.clone(),
            credentials: sdk.credentials_provider(),
            region: sdk.region().map(|r| r.as_ref().to_owned()).unwrap_or_else(|| "us-east-1".into()),
            endpoint: sdk.endpoint_url().map(|e| e.trim_end_matches('/').to_owned()),
        }
    }

    /// Where `bucket`'s objects are: virtual-hosted on AWS; path-style under
    /// an endpoint override (the emulator serves no bucket subdomains) and for
    /// a bucket name with dots (no certificate covers `a.b.s3…`), as the SDK
    /// does. Init opens its connection to this origin too.
    pub fn bucket_url(&self, bucket: &str) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/{bucket}"),
            None if bucket.contains('.') => format!("https://s3.{}.amazonaws.com/{bucket}", self.region),
            None => format!("https://{bucket}.s3.{}.amazonaws.com", self.region),
        }
    }

    fn url(&self, bucket: &str, key: &str) -> String {
        let key: String = key.split('/').map(encode_segment).collect::<Vec<_>>().join("/");
        format!("{}/{key}", self.bucket_url(bucket))
    }

    /// Reads `bucket`/`key` unless it is larger than `max_bytes`: the size
    /// comes with the answer's headers, so a large body is never downloaded.
    pub async fn get(&self, bucket: &str, key: &str, max_bytes: usize) -> Result<Object, S3GetError> {
        let url = self.url(bucket, key);
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let result = match tokio::time::timeout(ATTEMPT_TIMEOUT, self.attempt(&url, max_bytes)).await {
                Ok(result) => result,
                Err(_) => Err(S3GetError::TimedOut(ATTEMPT_TIMEOUT)),
            };
            match result {
                Err(err) if err.is_transient() && attempt < ATTEMPTS => {
                    tracing::debug!(error = %err, attempt, "S3 GetObject failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn attempt(&self, url: &str, max_bytes: usize) -> Result<Object, S3GetError> {
        let request = self.signed_get(url).await?;
        let response = self.http.send(request).await.map_err(|e| S3GetError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if status == 200 {
            if let Some(bytes) = declared.filter(|&b| b > max_bytes as u64) {
                return Ok(Object::TooLarge { bytes });
            }
            return match Limited::new(response.into_body(), max_bytes).collect().await {
                Ok(body) => Ok(Object::Bytes(body.to_bytes().to_vec())),
                // A missing Content-Length is caught here instead.
                Err(err) if err.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                    Ok(Object::TooLarge { bytes: max_bytes as u64 + 1 })
                }
                Err(err) => Err(S3GetError::Transport(err.to_string())),
            };
        }
        // S3's error document is small; its Code names the failure.
        let body = Limited::new(response.into_body(), 64 * 1024).collect().await.map(|b| b.to_bytes());
        let code = body.ok().map(|b| error_code(&b)).unwrap_or_default();
        // Only S3's own answer: a 404 from anything else (or a cut error body) is an error.
        if status == 404 && code == "NoSuchKey" {
            return Ok(Object::Missing);
        }
        Err(S3GetError::Status { status, code })
    }

    async fn signed_get(&self, url: &str) -> Result<http::Request<SdkBody>, S3GetError> {
        let provider = self.credentials.as_ref().ok_or_else(|| S3GetError::Signing("no credentials".into()))?;
        let credentials = provider.provide_credentials().await.map_err(|e| S3GetError::Signing(e.to_string()))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        // As S3 expects: the payload's hash in x-amz-content-sha256, the path as given.
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| S3GetError::Signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
            .map_err(|e| S3GetError::Signing(e.to_string()))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| S3GetError::Signing(e.to_string()))?.into_parts();
        let mut request =
            http::Request::get(url).body(SdkBody::empty()).map_err(|e| S3GetError::Signing(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}

/// One path segment of a key, percent-encoded as S3 signs it (RFC 3986 unreserved kept).
fn encode_segment(segment: &str) -> String {
    const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    utf8_percent_encode(segment, ESCAPED).to_string()
}

/// `<Code>…</Code>` of an S3 error document, or "".
fn error_code(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(endpoint: Option<&str>) -> ObjectReader {
        let http = LambdaHttpClient::new(crate::aws::tls::client_config_with(None).unwrap());
        let mut sdk = SdkConfig::builder().region(aws_config::Region::new("eu-west-1"));
        if let Some(endpoint) = endpoint {
            sdk = sdk.endpoint_url(endpoint);
        }
        ObjectReader::new(&sdk.build(), &http)
    }

    #[test]
    fn urls_are_virtual_hosted_on_aws_and_path_style_on_an_emulator() {
        assert_eq!(
            reader(None).url("mail-bucket", "inbound/abc123"),
            "https://mail-bucket.s3.eu-west-1.amazonaws.com/inbound/abc123"
        );
        assert_eq!(
            reader(Some("http://127.0.0.1:5000/")).url("mail-bucket", "inbound/abc123"),
            "http://127.0.0.1:5000/mail-bucket/inbound/abc123"
        );
    }

    #[test]
    fn dotted_bucket_names_are_addressed_path_style() {
        assert_eq!(reader(None).url("mail.example", "k"), "https://s3.eu-west-1.amazonaws.com/mail.example/k");
    }

    #[test]
    fn key_segments_are_percent_encoded_and_slashes_kept() {
        assert_eq!(
            reader(None).url("b", "a b/c+d/é~_.-"),
            "https://b.s3.eu-west-1.amazonaws.com/a%20b/c%2Bd/%C3%A9~_.-"
        );
    }

    #[test]
    fn error_codes_come_from_the_error_document() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";
        assert_eq!(error_code(body), "NoSuchKey");
        assert_eq!(error_code(b"not xml"), "");
    }

    #[test]
    fn throttling_server_errors_and_timeouts_are_retried_and_refusals_are_not() {
        let status = |status: u16| S3GetError::Status { status, code: String::new() };
        assert!(status(503).is_transient());
        assert!(status(500).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(403).is_transient());
        assert!(!status(400).is_transient());
        assert!(S3GetError::TimedOut(ATTEMPT_TIMEOUT).is_transient());
        assert!(!S3GetError::Signing("x".into()).is_transient());
    }

    /// A reader with credentials, for `endpoint`.
    fn signing_reader(endpoint: &str) -> ObjectReader {
        let http = LambdaHttpClient::new(crate::aws::tls::client_config_with(None).unwrap());
        let credentials = aws_credential_types::Credentials::new("AKIDTEST", "secret", None, None, "test");
        let sdk = SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .endpoint_url(endpoint)
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        ObjectReader::new(&sdk, &http)
    }

    /// A server answering every request with `answer`, once per connection.
    async fn answering(answer: &'static [u8]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(answer).await;
            }
        });
        endpoint
    }

    #[tokio::test]
    async fn a_body_without_a_length_is_cut_at_the_limit() {
        // Chunked, so no Content-Length warns ahead: 16 bytes against a limit of 10.
        let endpoint =
            answering(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n")
                .await;
        let object = signing_reader(&endpoint).get("bucket", "inbound/m1", 10).await.unwrap();
        assert_eq!(object, Object::TooLarge { bytes: 11 });
        let object = signing_reader(&endpoint).get("bucket", "inbound/m1", 16).await.unwrap();
        assert_eq!(object, Object::Bytes(b"0123456789abcdef".to_vec()));
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
        // The body never comes: only the header can have decided.
        let endpoint = answering(b"HTTP/1.1 200 OK\r\ncontent-length: 20971520\r\n\r\n").await;
        let object = signing_reader(&endpoint).get("bucket", "inbound/m1", 10).await.unwrap();
        assert_eq!(object, Object::TooLarge { bytes: 20_971_520 });
    }

    #[tokio::test]
    async fn only_s3_s_own_no_such_key_is_missing() {
        let missing =
            answering(b"HTTP/1.1 404 Not Found\r\ncontent-length: 38\r\n\r\n<Error><Code>NoSuchKey</Code></Error>\n")
                .await;
        assert_eq!(signing_reader(&missing).get("b", "k", 10).await.unwrap(), Object::Missing);
        let other = answering(b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot here\n").await;
        let err = signing_reader(&other).get("b", "k", 10).await.unwrap_err();
        assert!(matches!(err, S3GetError::Status { status: 404, .. }), "{err}");
    }

    #[tokio::test]
    async fn without_credentials_nothing_is_sent() {
        let err = reader(Some("http://127.0.0.1:9")).get("b", "k", 10).await.unwrap_err();
        assert!(matches!(err, S3GetError::Signing(_)), "{err}");
    }
}

//! Mail out: the SES v2 adapter that sends an [`Email`] (both parts and its
//! headers), and nothing else. What each email says is [`crate::emails`]'s.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};

use crate::aws::AwsError;
use crate::emails::{Brand, Email};

/// SES v2 adapter.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
    }

    /// Sends both parts. Errors are the caller's to retry; they carry SES's
    /// error code and kind only (see [`SesFailure`]).
    pub async fn send(&self, email: &Email, brand: &Brand) -> Result<(), AwsError> {
        let content = |text: String| Content::builder().data(text).charset("UTF-8").build();
        let subject = content(email.subject_line()).map_err(|e| AwsError::new("SendEmail subject", e))?;
        let text = content(email.text(&brand.name)).map_err(|e| AwsError::new("SendEmail text", e))?;
        let html = content(email.html(brand)).map_err(|e| AwsError::new("SendEmail html", e))?;
        let mut message = Message::builder().subject(subject).body(Body::builder().text(text).html(html).build());
        for (name, value) in email.headers() {
            let header = MessageHeader::builder().name(name).value(value).build();
            message = message.headers(header.map_err(|e| AwsError::new("SendEmail header", e))?);
        }
        let message = message.build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .set_reply_to_addresses(email.reply_to_header().map(|a| vec![a.to_owned()]))
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| AwsError::new("SendEmail", SesFailure::of(&e)))?;
        Ok(())
    }
}

/// A failed SendEmail as it may be logged: the error code and the kind of
/// failure, never SES's message, which can name the recipient ("Email address
/// is not verified ... ann@example.com"). The SDK error is dropped here on
/// purpose, so no log line or error chain can carry it further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
pub struct SesFailure {
    /// `service error`, `timeout`, `dispatch failure`, ...
    pub kind: &'static str,
    /// The service's error code (`MessageRejected`, `TooManyRequestsException`), if it sent one.
    pub code: Option<String>,
}

impl SesFailure {
    fn of<E, R>(err: &aws_sdk_sesv2::error::SdkError<E, R>) -> Self
    where
        E: aws_sdk_sesv2::error::ProvideErrorMetadata,
    {
        use aws_sdk_sesv2::error::SdkError;
        let kind = match err {
            SdkError::ServiceError(_) => "service error",
            SdkError::TimeoutError(_) => "timeout",
            SdkError::DispatchFailure(_) => "dispatch failure",
            SdkError::ResponseError(_) => "unreadable response",
            SdkError::ConstructionFailure(_) => "request not built",
            _ => "failure",
        };
        // Codes are identifiers; anything else in that place is not logged.
        let code = err
            .as_service_error()
            .and_then(|e| e.code())
            .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
            .map(str::to_owned);
        Self { kind, code }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ses_failures_read_as_their_kind_and_code() {
        let failure = SesFailure { kind: "service error", code: Some("MessageRejected".into()) };
        assert_eq!(failure.to_string(), "service error MessageRejected");
        assert_eq!(SesFailure { kind: "timeout", code: None }.to_string(), "timeout");
    }
}

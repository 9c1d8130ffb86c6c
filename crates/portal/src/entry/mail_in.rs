//! The inbound-email function's entry: SES's receipt rule stores a message in
//! S3 and invokes us with a receipt event ([`SesReceiptEvent`]); each record
//! goes to [`Portal::receive_email`]. An error fails the invocation, so Lambda
//! retries the event (and then sends it to the function's dead-letter queue);
//! what a first attempt did is found done by the message's idempotency key.

use serde::{Deserialize, Serialize};

use crate::domain::mail_in::Verdicts;
use crate::service::{InboundError, Received, ReceivedEmail};
use crate::Portal;

/// The SES receipt event as the inbound function reads it: only the fields it
/// uses, each defaulted when missing, so that a mail without `From` (whose
/// `commonHeaders.from` SES leaves out) or a new SES field can never make the
/// event unreadable and send it to the DLQ (`aws_lambda_events`' types require
/// those fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SesReceiptEvent {
    /// One record per message (SES sends one).
    #[serde(rename = "Records")]
    pub records: Vec<SesRecord>,
}

/// One record of a [`SesReceiptEvent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SesRecord {
    /// The message and what SES did with it.
    pub ses: SesNotification,
}

/// `mail` and `receipt` of a record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SesNotification {
    /// The message.
    pub mail: SesMail,
    /// How SES received it.
    pub receipt: SesReceipt,
}

/// `ses.mail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SesMail {
    /// SES's id: the S3 key under the prefix, and the idempotency key.
    pub message_id: String,
    /// The envelope sender (`MAIL FROM`).
    pub source: String,
    /// When SES received it (RFC 3339).
    pub timestamp: String,
}

/// `ses.receipt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SesReceipt {
    /// The envelope `RCPT TO`s the rule matched (not the To header).
    pub recipients: Vec<String>,
    pub spam_verdict: SesVerdict,
    pub virus_verdict: SesVerdict,
    pub spf_verdict: SesVerdict,
    pub dkim_verdict: SesVerdict,
    pub dmarc_verdict: SesVerdict,
    /// The action that invoked us.
    pub action: SesAction,
}

/// A verdict: `PASS`, `FAIL`, `GRAY`, `PROCESSING_FAILED` (or `DISABLED`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SesVerdict {
    /// Empty when SES sent none.
    pub status: String,
}

/// `receipt.action`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SesAction {
    /// `Lambda` for us.
    #[serde(rename = "type")]
    pub kind: String,
    pub function_arn: String,
    /// `Event` (asynchronous) or `RequestResponse`.
    pub invocation_type: String,
}

impl SesRecord {
    /// The record as the use case takes it.
    pub fn received(&self) -> ReceivedEmail<'_> {
        let (mail, receipt) = (&self.ses.mail, &self.ses.receipt);
        ReceivedEmail {
            message_id: &mail.message_id,
            envelope_sender: &mail.source,
            recipients: &receipt.recipients,
            verdicts: Verdicts {
                spam: &receipt.spam_verdict.status,
                virus: &receipt.virus_verdict.status,
                spf: &receipt.spf_verdict.status,
                dkim: &receipt.dkim_verdict.status,
                dmarc: &receipt.dmarc_verdict.status,
            },
        }
    }
}

/// Handles one invocation: every record, in order; the first error fails it.
pub async fn handle(portal: &Portal, event: &SesReceiptEvent) -> Result<Vec<Received>, InboundError> {
    let mut outcomes = Vec::with_capacity(event.records.len());
    for record in &event.records {
        outcomes.push(portal.receive_email(&record.received()).await?);
    }
    Ok(outcomes)
}

/// The Lambda main of the inbound-email function.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::entry::telemetry::init();
    let portal = crate::entry::lambda::lambda_portal(crate::entry::lambda::Needs::INBOUND).await?;
    let portal = &portal;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<SesReceiptEvent>| async move {
            let outcomes = handle(portal, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "records": outcomes.len() }))
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_event_reads_and_a_mail_without_from_does_too() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/ses/inbound-email-receipt.json");
        let event: SesReceiptEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let received = event.records[0].received();
        assert_eq!(received.message_id, "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1");
        assert_eq!(received.recipients, ["demo@inbound.example.com"]);
        assert_eq!(received.verdicts.virus, "PASS");
        let bare: SesReceiptEvent =
            serde_json::from_str(r#"{"Records":[{"ses":{"mail":{"messageId":"m1","commonHeaders":{}}}}]}"#).unwrap();
        assert_eq!(bare.records[0].received().envelope_sender, "");
    }
}

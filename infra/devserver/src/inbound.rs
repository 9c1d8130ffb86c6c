//! The local stand-in for SES receiving: the dev SMTP receiver's messages are
//! stored in the emulator's bucket under the S3 action's prefix, and the
//! inbound function's handler gets the receipt event SES would send (no
//! virus, no spam, and a sender nothing could authenticate: see
//! [`crate::ses_event`]). The SMTP answer waits for the handler, so a test sees the
//! outcome as soon as its session ends.

use std::sync::Arc;

use portal::domain::mail_in::SesMessageId;
use portal::entry::mail_in::SesReceiptEvent;
use portal::service::Received;
use portal::Portal;
use tokio::net::TcpListener;

use crate::ses_event::{as_stored, new_message_id, receipt_event, Receipt};
use crate::smtp::{Envelope, SmtpConfig};

/// The function the local receipt rule "invokes" (named in the event only).
pub const LOCAL_FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:inbound-email";

/// Where received mail goes: the portal, and the bucket it reads from.
#[derive(Clone, Debug)]
pub struct LocalReceiving {
    portal: Arc<Portal>,
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl LocalReceiving {
    /// Receiving for `portal`, storing into its `INBOUND_BUCKET` with `s3`.
    pub fn new(portal: Arc<Portal>, s3: aws_sdk_s3::Client) -> Result<Self, String> {
        let bucket = portal.config().inbound_bucket.clone().ok_or("INBOUND_BUCKET is not configured")?;
        Ok(Self { s3, bucket, portal })
    }

    /// Stores one message and hands its receipt event to the handler, as SES does.
    pub async fn deliver(&self, envelope: &Envelope, raw: &[u8]) -> Result<Vec<Received>, String> {
        let message_id = new_message_id();
        let id = SesMessageId::parse(&message_id).ok_or("the dev message id is no SES id")?;
        let stored = as_stored(envelope, raw);
        portal::mail_in::store(&self.s3, &self.bucket, &id, stored.clone()).await.map_err(|e| e.to_string())?;
        let receipt = Receipt {
            message_id: &message_id,
            envelope,
            raw: &stored,
            received_at_ms: portal::domain::time::now_unix() * 1000,
            function_arn: LOCAL_FUNCTION_ARN,
        };
        let event: SesReceiptEvent = serde_json::from_value(receipt_event(&receipt)).map_err(|e| e.to_string())?;
        portal::entry::mail_in::handle(&self.portal, &event).await.map_err(|e| e.to_string())
    }

    /// Accepts SMTP on `listener` for the portal's `INBOUND_DOMAIN` for ever.
    pub async fn serve_smtp(self, listener: TcpListener) -> Result<(), String> {
        let domain = self.portal.config().inbound_domain.clone().ok_or("INBOUND_DOMAIN is not configured")?;
        let receiving = Arc::new(self);
        crate::smtp::serve(listener, SmtpConfig::new(&domain), move |envelope: Envelope, raw: Vec<u8>| {
            let receiving = receiving.clone();
            async move { receiving.deliver(&envelope, &raw).await.map(|_| ()) }
        })
        .await;
        Ok(())
    }
}

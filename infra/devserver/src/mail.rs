//! The developer mailbox: the emails the emulator "sent", newest first, as a
//! page with clickable links and as JSON.

use std::net::SocketAddr;

use askama::Template;
use http_body_util::Full;
use hyper::body::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::httpc;

/// One sent email, as `/_dev/mail.json` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: String,
    /// `Reply-To` as sent (from the recorded request: the emulator drops it).
    pub reply_to: Vec<String>,
    /// The `Message-ID` SES gives the email: `<{MessageId}@email.amazonses.com>`.
    pub message_id: Option<String>,
    /// `In-Reply-To` as sent (recorded, like `reply_to`).
    pub in_reply_to: Option<String>,
}

/// The sends recorded on their way to the emulator (`make run` routes the SDK through it).
static RECORDER: std::sync::OnceLock<crate::proxy::FaultProxy> = std::sync::OnceLock::new();

/// Makes the mailbox read `Reply-To` and headers from `proxy`'s recorded SendEmail requests.
pub fn record_sends_through(proxy: crate::proxy::FaultProxy) {
    let _ = RECORDER.set(proxy);
}

/// Fills what the emulator drops from the requests that sent each email.
pub fn with_requests(mut mail: Vec<SentMail>, sent: &[crate::proxy::SentEmail]) -> Vec<SentMail> {
    for m in &mut mail {
        let Some(id) = m.message_id.as_deref() else { continue };
        let request = sent.iter().find(|s| s.message_id.as_deref().is_some_and(|sid| ses_message_id(sid) == id));
        if let Some(request) = request {
            m.reply_to = request.reply_to.clone();
            m.in_reply_to = request.headers.iter().find(|(n, _)| n == "In-Reply-To").map(|(_, v)| v.clone());
            if m.text.is_empty() {
                m.text = request.text.clone();
            }
        }
    }
    mail
}

/// The Message-ID SES (us-east-1) writes for a send's `MessageId`.
fn ses_message_id(id: &str) -> String {
    format!("<{id}@email.amazonses.com>")
}

/// Reads the emulator's record of sent email, newest first.
pub async fn sent_mail(emulator: SocketAddr) -> Result<Vec<SentMail>, String> {
    let response = httpc::send(emulator, None, "GET", "/moto-api/data.json", &[], b"")
        .await
        .map_err(|e| format!("emulator unreachable: {e}"))?;
    let data: Value = serde_json::from_slice(&response.body).map_err(|e| format!("emulator data unreadable: {e}"))?;
    let mail = parse_sent_mail(&data);
    Ok(match RECORDER.get() {
        Some(proxy) => with_requests(mail, &proxy.sent_emails()),
        None => mail,
    })
}

/// Extracts messages from moto's `data.json` (`ses.Message[]`).
pub fn parse_sent_mail(data: &Value) -> Vec<SentMail> {
    let messages = data.pointer("/ses/Message").and_then(Value::as_array).cloned().unwrap_or_default();
    let text_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut mail: Vec<SentMail> = messages
        .iter()
        .map(|m| {
            let body = text_of(m, "body");
            let is_html = body.trim_start().starts_with('<');
            let to = addresses_in(m.get("destinations").unwrap_or(&Value::Null));
            SentMail {
                to,
                from: text_of(m, "source"),
                subject: text_of(m, "subject"),
                text: if is_html { String::new() } else { body.clone() },
                html: if is_html { body } else { String::new() },
                sent_at: text_of(m, "sent_at"),
                reply_to: Vec::new(),
                message_id: m.get("id").and_then(Value::as_str).map(ses_message_id),
                in_reply_to: None,
            }
        })
        .collect();
    mail.reverse();
    mail
}

/// Addresses in moto's `destinations`, which it reports as JSON or as the
/// text of a Python dict (`{'ToAddresses': ['ann@example.com']}`).
fn addresses_in(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => text
            .split(['\'', '"'])
            .filter(|part| part.contains('@') && !part.contains(' '))
            .map(str::to_owned)
            .collect(),
        Value::Array(list) => list.iter().flat_map(addresses_in).collect(),
        Value::Object(map) => map.values().flat_map(addresses_in).collect(),
        _ => Vec::new(),
    }
}

fn response(status: u16, content_type: &'static str, body: String) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

pub async fn json(emulator: SocketAddr) -> hyper::Response<Full<Bytes>> {
    match sent_mail(emulator).await {
        Ok(mail) => response(200, "application/json", serde_json::to_string(&mail).unwrap_or_default()),
        Err(err) => response(502, "application/json", serde_json::json!({ "error": err }).to_string()),
    }
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev mailbox</title></head><body style="font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem">
<h1>Dev mailbox</h1><p>{{ mail.len() }} email(s) sent through the emulator, newest first. <a href="/_dev/mail.json">JSON</a></p>
{% if let Some(e) = error %}<p role="alert">{{ e }}</p>{% endif %}
{% for m in mail %}<article style="border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0">
<h2 style="margin:0 0 .5rem">{{ m.subject }}</h2>
<p><strong>To:</strong> {{ m.to.join(", ") }} · <strong>From:</strong> {{ m.from }}{% if !m.sent_at.is_empty() %} · {{ m.sent_at }}{% endif %}</p>
{% if !m.html.is_empty() %}<iframe title="Email: {{ m.subject }}" sandbox="allow-top-navigation-by-user-activation allow-popups" style="width:100%;min-height:20rem;border:1px solid #eee" srcdoc="<base target=&quot;_top&quot;>{{ m.html }}"></iframe>{% endif %}
{% if !m.text.is_empty() %}<pre style="white-space:pre-wrap">{{ m.text }}</pre>{% endif %}
</article>{% endfor %}</body></html>"#
)]
struct Mailbox {
    mail: Vec<SentMail>,
    error: Option<String>,
}

pub async fn page(emulator: SocketAddr) -> hyper::Response<Full<Bytes>> {
    let (mail, error) = match sent_mail(emulator).await {
        Ok(mail) => (mail, None),
        Err(err) => (Vec::new(), Some(err)),
    };
    let html = Mailbox { mail, error }.render().unwrap_or_else(|e| format!("render failed: {e}"));
    response(200, "text/html; charset=utf-8", html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_moto_sent_messages_newest_first() {
        let data = serde_json::json!({"ses": {"Message": [
            {"source": "s@x.io", "destinations": "{'ToAddresses': ['a@example.com'], 'CcAddresses': []}", "subject": "first", "body": "plain"},
            {"source": "s@x.io", "destinations": {"ToAddresses": ["b@example.com"]}, "subject": "second", "body": "<!doctype html><p>hi</p>"}
        ]}});
        let mail = parse_sent_mail(&data);
        assert_eq!(mail.len(), 2);
        assert_eq!(mail[0].subject, "second");
        assert_eq!(mail[0].to, ["b@example.com"]);
        assert!(mail[0].html.contains("<p>hi</p>") && mail[0].text.is_empty());
        assert_eq!(mail[1].to, ["a@example.com"]);
        assert_eq!(mail[1].text, "plain");
        assert_eq!(mail[0].message_id, None, "no id, no Message-ID");
    }

    #[test]
    fn recorded_requests_fill_what_the_emulator_drops() {
        let data = serde_json::json!({"ses": {"Message": [
            {"id": "abc-1", "source": "s@x.io", "destinations": {"ToAddresses": ["b@example.com"]}, "subject": "s", "body": "<p>hi</p>"}
        ]}});
        let request = crate::proxy::SentEmail {
            to: vec!["b@example.com".into()],
            subject: "s".into(),
            text: "hi".into(),
            html: "<p>hi</p>".into(),
            reply_to: vec!["reply+t@inbound.localhost".into()],
            headers: vec![("In-Reply-To".into(), "<tkt-1@inbound.localhost>".into())],
            message_id: Some("abc-1".into()),
        };
        let mail = with_requests(parse_sent_mail(&data), &[request]);
        assert_eq!(mail[0].message_id.as_deref(), Some("<abc-1@email.amazonses.com>"));
        assert_eq!(mail[0].reply_to, ["reply+t@inbound.localhost"]);
        assert_eq!(mail[0].in_reply_to.as_deref(), Some("<tkt-1@inbound.localhost>"));
        assert_eq!(mail[0].text, "hi", "the text part the emulator drops");
        let json = serde_json::to_value(&mail[0]).unwrap();
        assert!(json.get("replyTo").is_some() && json.get("messageId").is_some() && json.get("inReplyTo").is_some());
    }
}

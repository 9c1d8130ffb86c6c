//! A recording, fault-injecting HTTP proxy between the AWS SDK and the
//! emulator: tests route clients through it to see exactly what reached the
//! emulator (every SES email, both parts) and to make chosen calls fail,
//! without mocking the SDK.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::Value;

use crate::{accept, httpc};

/// One call as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// `X-Amz-Target` for JSON-protocol services (DynamoDB, SQS), else empty.
    pub target: String,
    pub body: Vec<u8>,
    /// What the caller got back.
    pub status: u16,
    /// The answer's body, kept for SendEmail only (its `MessageId`).
    pub response: Vec<u8>,
    /// When the call reached the proxy, and when its answer left.
    pub started: std::time::Instant,
    pub ended: std::time::Instant,
}

impl Call {
    pub fn is_send_email(&self) -> bool {
        self.method == "POST" && self.path.starts_with("/v2/email/outbound-emails")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// An email SES accepted, both parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `ReplyToAddresses` (the emulator keeps none of these).
    pub reply_to: Vec<String>,
    /// `Content.Simple.Headers`, as (name, value).
    pub headers: Vec<(String, String)>,
    /// SES's `MessageId` of the send.
    pub message_id: Option<String>,
}

/// How to fail a call instead of forwarding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub status: u16,
    /// The service error code (e.g. `MessageRejected`, `ThrottlingException`).
    pub error_type: &'static str,
}

type Rule = Arc<dyn Fn(&Call) -> Option<Fault> + Send + Sync>;
type DelayRule = Arc<dyn Fn(&Call) -> Option<std::time::Duration> + Send + Sync>;
type HoldRule = Arc<dyn Fn(&Call) -> bool + Send + Sync>;
/// Which answers to hold, and the gate they wait for.
type HeldAnswers = (HoldRule, tokio::sync::watch::Receiver<bool>);

/// Holds the answers [`FaultProxy::hold_answers_when`] picked until [`AnswerGate::open`]
/// (or until it is dropped: nothing stays held past the test).
pub struct AnswerGate(tokio::sync::watch::Sender<bool>);

impl AnswerGate {
    pub fn open(&self) {
        let _ = self.0.send(true);
    }
}

impl Drop for AnswerGate {
    fn drop(&mut self) {
        self.open();
    }
}

/// What an injected fault says unless a test chooses its message.
const DEFAULT_FAULT_MESSAGE: &str = "fault injected by the test proxy";

#[derive(Clone)]
pub struct FaultProxy {
    pub addr: SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
    rule: Arc<Mutex<Option<Rule>>>,
    delay: Arc<Mutex<Option<DelayRule>>>,
    held_answers: Arc<Mutex<Option<HeldAnswers>>>,
    message: Arc<Mutex<Option<String>>>,
    /// Keep only SendEmail calls (the long-running local stack's recorder).
    mail_only: bool,
    upstream: httpc::Pool,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl FaultProxy {
    /// Listens on a random loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        Self::start_recording(0, upstream, false).await
    }

    /// Listens on loopback `port` (chosen by a script that points another
    /// server at it) and forwards to `upstream`.
    pub async fn start_on(port: u16, upstream: SocketAddr) -> std::io::Result<Self> {
        Self::start_recording(port, upstream, false).await
    }

    /// A proxy that records only SendEmail calls (request and answer), so that
    /// `make run` can show what the emulator drops (Reply-To, headers) for as
    /// long as it runs without keeping every other call.
    pub async fn start_mail_recorder(upstream: SocketAddr) -> std::io::Result<Self> {
        Self::start_recording(0, upstream, true).await
    }

    async fn start_recording(port: u16, upstream: SocketAddr, mail_only: bool) -> std::io::Result<Self> {
        let listener = crate::server::listen(port)?;
        let proxy = Self {
            addr: listener.local_addr()?,
            calls: Arc::default(),
            rule: Arc::default(),
            delay: Arc::default(),
            held_answers: Arc::default(),
            message: Arc::default(),
            mail_only,
            upstream: httpc::Pool::new(upstream),
        };
        let serving = proxy.clone();
        tokio::spawn(accept::serve(listener, std::future::pending(), move |req, _| {
            let proxy = serving.clone();
            async move { proxy.handle(req).await }
        }));
        Ok(proxy)
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Fails every call for which `rule` returns a fault, until cleared.
    pub fn fail_when(&self, rule: impl Fn(&Call) -> Option<Fault> + Send + Sync + 'static) {
        *locked(&self.rule) = Some(Arc::new(rule));
    }

    /// Gives injected faults this message (as SES does, it may name a recipient).
    pub fn fault_message(&self, message: &str) {
        *locked(&self.message) = Some(message.to_owned());
    }

    /// Holds every call for which `rule` returns a delay that long before
    /// answering it (forwarded or faulted), until healed.
    pub fn delay_when(&self, rule: impl Fn(&Call) -> Option<std::time::Duration> + Send + Sync + 'static) {
        *locked(&self.delay) = Some(Arc::new(rule));
    }

    /// Sends every call that `rule` picks upstream at once and holds its
    /// answer until the returned gate opens: the work is done, the answer is
    /// late (as when SES has accepted an email and the network stalls).
    pub fn hold_answers_when(&self, rule: impl Fn(&Call) -> bool + Send + Sync + 'static) -> AnswerGate {
        let (open, opened) = tokio::sync::watch::channel(false);
        *locked(&self.held_answers) = Some((Arc::new(rule), opened));
        AnswerGate(open)
    }

    /// Clears every fault, delay and fault message.
    pub fn heal(&self) {
        *locked(&self.rule) = None;
        *locked(&self.delay) = None;
        // Answers already held wait for their gate.
        *locked(&self.held_answers) = None;
        *locked(&self.message) = None;
    }

    pub fn calls(&self) -> Vec<Call> {
        locked(&self.calls).clone()
    }

    /// Every email the emulator accepted through this proxy, oldest first.
    /// How long, between `from` and `to`, at least one recorded call was
    /// waiting on the upstream (read under the lock: no copy of the calls).
    pub fn busy_between(&self, from: std::time::Instant, to: std::time::Instant) -> std::time::Duration {
        busy_between(&locked(&self.calls), from, to)
    }

    pub fn sent_emails(&self) -> Vec<SentEmail> {
        self.calls()
            .iter()
            .filter(|c| c.is_send_email() && c.status == 200)
            .map(|c| {
                let body = c.json();
                let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str).unwrap_or("").to_owned();
                SentEmail {
                    to: body
                        .pointer("/Destination/ToAddresses")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default(),
                    subject: text("/Content/Simple/Subject/Data"),
                    text: text("/Content/Simple/Body/Text/Data"),
                    html: text("/Content/Simple/Body/Html/Data"),
                    reply_to: body
                        .pointer("/ReplyToAddresses")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default(),
                    headers: body
                        .pointer("/Content/Simple/Headers")
                        .and_then(Value::as_array)
                        .map(|a| {
                            let field = |h: &Value, k: &str| h.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                            a.iter().map(|h| (field(h, "Name"), field(h, "Value"))).collect()
                        })
                        .unwrap_or_default(),
                    message_id: serde_json::from_slice::<Value>(&c.response)
                        .ok()
                        .and_then(|r| r.get("MessageId").and_then(Value::as_str).map(str::to_owned)),
                }
            })
            .collect()
    }

    async fn handle(&self, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let method = req.method().as_str().to_owned();
        let path = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .filter(|(n, _)| !matches!(n.as_str(), "host" | "connection" | "content-length" | "transfer-encoding"))
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let target = headers.iter().find(|(n, _)| n == "x-amz-target").map(|(_, v)| v.clone()).unwrap_or_default();
        let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
        let mut call = Call {
            method,
            path,
            target,
            body,
            status: 0,
            response: Vec::new(),
            started: std::time::Instant::now(),
            ended: std::time::Instant::now(),
        };
        let delay = locked(&self.delay).clone().and_then(|rule| rule(&call));
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let rule = locked(&self.rule).clone();
        let response = match rule.and_then(|rule| rule(&call)) {
            Some(fault) => {
                let message = locked(&self.message).clone().unwrap_or_else(|| DEFAULT_FAULT_MESSAGE.to_owned());
                let body = serde_json::json!({ "__type": fault.error_type, "message": message });
                let mut response = hyper::Response::new(Full::new(Bytes::from(body.to_string())));
                *response.status_mut() =
                    http::StatusCode::from_u16(fault.status).unwrap_or(http::StatusCode::BAD_REQUEST);
                let headers = response.headers_mut();
                headers.insert("content-type", http::HeaderValue::from_static("application/x-amz-json-1.0"));
                if let Ok(value) = http::HeaderValue::from_str(fault.error_type) {
                    headers.insert("x-amzn-errortype", value);
                }
                response
            }
            None => {
                let borrowed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                match self.upstream.send(&call.method, &call.path, &borrowed, &call.body).await {
                    Ok(upstream_response) => {
                        let mut response = hyper::Response::new(Full::new(Bytes::from(upstream_response.body)));
                        *response.status_mut() = http::StatusCode::from_u16(upstream_response.status)
                            .unwrap_or(http::StatusCode::BAD_GATEWAY);
                        for (name, value) in upstream_response.headers {
                            let skip = ["connection", "content-length", "transfer-encoding"]
                                .contains(&name.to_ascii_lowercase().as_str());
                            if let (false, Ok(n), Ok(v)) = (
                                skip,
                                http::HeaderName::from_bytes(name.as_bytes()),
                                http::HeaderValue::from_str(&value),
                            ) {
                                response.headers_mut().append(n, v);
                            }
                        }
                        response
                    }
                    Err(_) => {
                        let mut response = hyper::Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = http::StatusCode::BAD_GATEWAY;
                        response
                    }
                }
            }
        };
        call.status = response.status().as_u16();
        call.ended = std::time::Instant::now();
        if call.is_send_email() {
            if let Some(body) = response.body().clone().collect().await.ok().map(|b| b.to_bytes().to_vec()) {
                call.response = body;
            }
        }
        let hold = locked(&self.held_answers).clone().filter(|(rule, _)| rule(&call)).map(|(_, opened)| opened);
        // Recorded before the answer is held: a caller that hangs up meanwhile
        // still had its call done.
        if !self.mail_only || call.is_send_email() {
            locked(&self.calls).push(call);
        }
        if let Some(mut opened) = hold {
            let _ = opened.wait_for(|open| *open).await;
        }
        response
    }
}

/// The longest chain of calls each starting after the previous one ended: the
/// sequential round trips, however many ran in parallel alongside.
pub fn sequential_round_trips(calls: &[Call]) -> usize {
    let mut sorted: Vec<&Call> = calls.iter().collect();
    sorted.sort_by_key(|c| c.started);
    let mut depth: Vec<usize> = Vec::with_capacity(sorted.len());
    for (i, call) in sorted.iter().enumerate() {
        let before = (0..i).filter(|&j| sorted[j].ended <= call.started).map(|j| depth[j]).max().unwrap_or(0);
        depth.push(before + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

/// How long, between `from` and `to`, at least one of `calls` was waiting on
/// the upstream: the union of their spans, so parallel calls count once.
pub fn busy_between(calls: &[Call], from: std::time::Instant, to: std::time::Instant) -> std::time::Duration {
    let mut spans: Vec<_> =
        calls.iter().map(|c| (c.started.max(from), c.ended.min(to))).filter(|(start, end)| start < end).collect();
    spans.sort();
    let mut busy = std::time::Duration::ZERO;
    let mut covered_to = from;
    for (start, end) in spans {
        let start = start.max(covered_to);
        if end > start {
            busy += end - start;
            covered_to = end;
        }
    }
    busy
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn call(start_ms: u64, end_ms: u64, base: Instant) -> Call {
        Call {
            method: "POST".into(),
            path: "/".into(),
            target: String::new(),
            body: Vec::new(),
            status: 200,
            response: Vec::new(),
            started: base + Duration::from_millis(start_ms),
            ended: base + Duration::from_millis(end_ms),
        }
    }

    #[test]
    fn parallel_calls_count_once() {
        let t = Instant::now();
        // Two in parallel, then one, then two in parallel: three sequential trips.
        let calls = [call(0, 10, t), call(1, 9, t), call(11, 20, t), call(21, 30, t), call(22, 29, t)];
        assert_eq!(sequential_round_trips(&calls), 3);
        assert_eq!(sequential_round_trips(&[]), 0);
        assert_eq!(sequential_round_trips(&calls[..2]), 1);
    }

    #[test]
    fn busy_time_counts_overlapping_calls_once_and_only_inside_the_window() {
        let t = Instant::now();
        let at = |ms: u64| t + Duration::from_millis(ms);
        // 0-10 and 5-12 overlap (12 ms), 20-30 is apart (10 ms), 40-50 is outside.
        let calls = [call(0, 10, t), call(5, 12, t), call(20, 30, t), call(40, 50, t)];
        assert_eq!(busy_between(&calls, at(0), at(35)), Duration::from_millis(22));
        // A call straddling the window's edges counts only its part inside it.
        assert_eq!(busy_between(&calls, at(8), at(25)), Duration::from_millis(9));
        assert_eq!(busy_between(&calls, at(31), at(39)), Duration::ZERO);
        assert_eq!(busy_between(&[], at(0), at(100)), Duration::ZERO);
    }
}

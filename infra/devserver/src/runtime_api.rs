//! A Lambda Runtime API emulator: a release `bootstrap` started with
//! `AWS_LAMBDA_RUNTIME_API` pointing here polls for events exactly as on AWS
//! Lambda. Used to smoke-test the real binaries with the sample events and to
//! measure cold starts, without Docker.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(Vec<u8>),
    Error(Vec<u8>),
}

#[derive(Default)]
struct State {
    pending: VecDeque<(String, Vec<u8>)>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    first_poll: Option<Instant>,
    init_error: Option<String>,
}

#[derive(Clone)]
pub struct RuntimeApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    wake: Arc<Notify>,
    polled: Arc<Notify>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let api = Self {
            addr: listener.local_addr()?,
            state: Arc::default(),
            wake: Arc::new(Notify::new()),
            polled: Arc::new(Notify::new()),
        };
        let serving = api.clone();
        tokio::spawn(crate::accept::serve(listener, std::future::pending(), move |req, _| {
            let api = serving.clone();
            async move { api.handle(req).await }
        }));
        Ok(api)
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// When the runtime first asked for an event (its cold start is over).
    pub fn first_poll(&self) -> Option<Instant> {
        self.lock().first_poll
    }

    /// Waits for the first poll, or `None` after `timeout`.
    pub async fn wait_first_poll(&self, timeout: Duration) -> Option<Instant> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.polled.notified();
            if let Some(at) = self.first_poll() {
                return Some(at);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.first_poll();
            }
        }
    }

    pub fn init_error(&self) -> Option<String> {
        self.lock().init_error.clone()
    }

    /// Queues one event and waits for the function's answer.
    pub async fn invoke(&self, payload: &[u8], timeout: Duration) -> Result<Outcome, String> {
        let id = ulid::Ulid::new().to_string();
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.lock();
            state.waiting.insert(id.clone(), tx);
            state.pending.push_back((id, payload.to_vec()));
        }
        self.wake.notify_waiters();
        self.wake.notify_one();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err("invocation dropped".into()),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }

    async fn next_event(&self) -> (String, Vec<u8>) {
        loop {
            let notified = self.wake.notified();
            if let Some(event) = self.lock().pending.pop_front() {
                return event;
            }
            notified.await;
        }
    }

    async fn handle(&self, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["2018-06-01", "runtime", "invocation", "next"]) => {
                {
                    let mut state = self.lock();
                    if state.first_poll.is_none() {
                        state.first_poll = Some(Instant::now());
                    }
                }
                self.polled.notify_waiters();
                let (id, payload) = self.next_event().await;
                let deadline_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() + 30_000)
                    .unwrap_or(0);
                let mut response = hyper::Response::new(Full::new(Bytes::from(payload)));
                let headers = response.headers_mut();
                for (name, value) in [
                    ("lambda-runtime-aws-request-id", id),
                    ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:local".into(),
                    ),
                    ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".into()),
                    ("content-type", "application/json".into()),
                ] {
                    if let Ok(value) = http::HeaderValue::from_str(&value) {
                        headers.insert(name, value);
                    }
                }
                response
            }
            ("POST", ["2018-06-01", "runtime", "invocation", id, kind @ ("response" | "error")]) => {
                let waiting = self.lock().waiting.remove(*id);
                if let Some(tx) = waiting {
                    let _ = tx.send(if *kind == "response" { Outcome::Response(body) } else { Outcome::Error(body) });
                }
                accepted()
            }
            ("POST", ["2018-06-01", "runtime", "init", "error"]) => {
                self.lock().init_error = Some(String::from_utf8_lossy(&body).into_owned());
                accepted()
            }
            _ => {
                let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
                *response.status_mut() = http::StatusCode::NOT_FOUND;
                response
            }
        }
    }
}

fn accepted() -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")));
    *response.status_mut() = http::StatusCode::ACCEPTED;
    response
}

//! The SDK's HTTP client for a Lambda function: hyper's pooled client over a
//! rustls connector built once from a given [`ClientConfig`] (the SDK's own
//! client builds its TLS state lazily, on the first request, and offers no way
//! to pass a configuration), with connections that can be opened ahead of need.
//!
//! [`LambdaHttpClient::preconnect`] opens connections (TCP and TLS handshake,
//! no request) into a stash; the connector hands a stashed connection to the
//! origin out before it opens a new one, and one whose handshake is still
//! going on before it starts another: a request that comes while init's
//! handshakes finish waits for one of them. A stashed connection older than
//! [`STASH_MAX_AGE`] is dropped unused: the server may have closed it.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use http::Uri;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::ClientConfig;
use tokio::sync::oneshot;
use tower_service::Service;

type BoxError = Box<dyn StdError + Send + Sync>;
type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// The SDK's default connect timeout (TCP and TLS handshake together).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// How long an opened, unused connection is trusted to still be open.
pub const STASH_MAX_AGE: Duration = Duration::from_secs(20);
/// How long an idle pooled connection is kept (hyper's default).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Where a connection goes: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Self> {
        let https = uri.scheme_str() == Some("https");
        let host = uri.host()?.to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Some(Self { https, host, port })
    }
}

/// A connection opened ahead of need: open, or its handshake still going on.
enum Slot {
    Open(Box<Stream>),
    Opening(oneshot::Receiver<Opened>),
}

/// How an opening ended.
enum Opened {
    Open(Box<Stream>),
    /// The endpoint did not answer within [`CONNECT_TIMEOUT`]: a request
    /// waiting for it fails as a timeout (the SDK retries) instead of waiting
    /// as long again for a connection of its own.
    TimedOut,
    /// Refused, reset, or a failed handshake: a request waiting for it connects itself.
    Failed,
}

struct Stashed {
    origin: Origin,
    since: Instant,
    slot: Slot,
}

/// Connections opened ahead of need. A request takes an open one first, else
/// one still opening (and waits for its handshake rather than starting its
/// own), else connects as usual.
#[derive(Clone, Default)]
struct Stash(Arc<Mutex<Vec<Stashed>>>);

impl Stash {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Stashed>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a connection being opened; the sender says how it ended.
    fn opening(&self, origin: Origin) -> oneshot::Sender<Opened> {
        let (done, opened) = oneshot::channel();
        self.lock().push(Stashed { origin, since: Instant::now(), slot: Slot::Opening(opened) });
        done
    }

    /// An open connection nobody waits for any more.
    fn put_open(&self, origin: Origin, stream: Box<Stream>) {
        self.lock().push(Stashed { origin, since: Instant::now(), slot: Slot::Open(stream) });
    }

    /// Drops stale and failed connections; marks finished openings open.
    fn settle(stashed: &mut Vec<Stashed>) {
        stashed.retain_mut(|s| {
            if s.since.elapsed() >= STASH_MAX_AGE {
                return false;
            }
            if let Slot::Opening(opened) = &mut s.slot {
                match opened.try_recv() {
                    Ok(Opened::Open(stream)) => s.slot = Slot::Open(stream),
                    Ok(Opened::TimedOut | Opened::Failed) | Err(oneshot::error::TryRecvError::Closed) => return false,
                    Err(oneshot::error::TryRecvError::Empty) => {}
                }
            }
            true
        });
    }

    /// A connection to `origin`: an open one if any, else one still opening.
    fn take(&self, origin: &Origin) -> Option<Slot> {
        let mut stashed = self.lock();
        Self::settle(&mut stashed);
        let to_origin = |s: &Stashed| &s.origin == origin;
        let at = stashed
            .iter()
            .position(|s| to_origin(s) && matches!(s.slot, Slot::Open(_)))
            .or_else(|| stashed.iter().position(to_origin))?;
        Some(stashed.swap_remove(at).slot)
    }

    /// Connections open or opening, not yet taken.
    fn len(&self) -> usize {
        let mut stashed = self.lock();
        Self::settle(&mut stashed);
        stashed.len()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("connecting took longer than {0:?}")]
struct ConnectTimedOut(Duration);

/// TCP then TLS (or plain HTTP for a local emulator), a stashed connection first.
#[derive(Clone)]
struct Connector {
    https: HttpsConnector<TcpConnector>,
    stash: Stash,
}

impl Connector {
    fn new(tls: ClientConfig) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Self { https, stash: Stash::default() }
    }

    /// A new connection, ignoring the stash, within [`CONNECT_TIMEOUT`].
    fn open(&mut self, uri: Uri) -> impl Future<Output = Result<Stream, BoxError>> + Send + 'static {
        let connecting = self.https.call(uri);
        async move {
            match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
                Ok(connected) => connected,
                Err(_) => Err(Box::new(ConnectTimedOut(CONNECT_TIMEOUT)) as BoxError),
            }
        }
    }
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        match Origin::of(&uri).and_then(|origin| self.stash.take(&origin)) {
            Some(Slot::Open(stream)) => Box::pin(std::future::ready(Ok(*stream))),
            Some(Slot::Opening(opened)) => {
                let mut fallback = self.clone();
                Box::pin(async move {
                    match opened.await {
                        Ok(Opened::Open(stream)) => Ok(*stream),
                        Ok(Opened::TimedOut) => Err(Box::new(ConnectTimedOut(CONNECT_TIMEOUT)) as BoxError),
                        // Opening it failed (or init's runtime is gone): connect as usual.
                        Ok(Opened::Failed) | Err(_) => fallback.open(uri).await,
                    }
                })
            }
            None => Box::pin(self.open(uri)),
        }
    }
}

/// The HTTP client handed to the SDK (one per process, shared by every client).
#[derive(Clone)]
pub struct LambdaHttpClient {
    client: Client<Connector, SdkBody>,
    connector: Connector,
}

impl std::fmt::Debug for LambdaHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaHttpClient").field("stashed", &self.connector.stash.len()).finish()
    }
}

/// Connections being opened in the background.
pub struct Opening {
    tasks: tokio::task::JoinSet<bool>,
}

impl Opening {
    /// Waits until every connection is open or failed, or `budget` has passed
    /// (the rest go on in the background); returns how many opened in time.
    pub async fn wait(mut self, budget: Duration) -> usize {
        let mut opened = 0;
        let deadline = tokio::time::Instant::now() + budget;
        while let Ok(Some(done)) = tokio::time::timeout_at(deadline, self.tasks.join_next()).await {
            opened += usize::from(done.unwrap_or(false));
        }
        self.tasks.detach_all();
        opened
    }
}

impl LambdaHttpClient {
    pub fn new(tls: ClientConfig) -> Self {
        let connector = Connector::new(tls);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector.clone());
        Self { client, connector }
    }

    /// Starts opening `count` connections to each endpoint's origin.
    pub fn preconnect(&self, endpoints: &[(String, usize)]) -> Opening {
        let mut tasks = tokio::task::JoinSet::new();
        for (endpoint, count) in endpoints {
            let Ok(uri) = endpoint.parse::<Uri>() else { continue };
            let Some(origin) = Origin::of(&uri) else { continue };
            for _ in 0..*count {
                let opening = self.connector.clone().open(uri.clone());
                let done = self.connector.stash.opening(origin.clone());
                let stash = self.connector.stash.clone();
                let origin = origin.clone();
                tasks.spawn(async move {
                    match opening.await {
                        Ok(stream) => {
                            // A request waiting for it takes it; else it stays stashed. One
                            // that took it and was dropped before it came hands it back.
                            if let Err(Opened::Open(stream)) = done.send(Opened::Open(Box::new(stream))) {
                                stash.put_open(origin, stream);
                            }
                            true
                        }
                        Err(err) => {
                            tracing::debug!(error = %err, "could not open a connection in init");
                            let timed_out = err.downcast_ref::<ConnectTimedOut>().is_some();
                            let _ = done.send(if timed_out { Opened::TimedOut } else { Opened::Failed });
                            false
                        }
                    }
                });
            }
        }
        Opening { tasks }
    }

    /// Sends one request outside the SDK, on the same pool (see `s3_get`).
    pub async fn send(
        &self,
        request: http::Request<SdkBody>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        self.client.request(request).await
    }

    /// Connections opened (or opening) ahead and not yet used.
    pub fn stashed(&self) -> usize {
        self.connector.stash.len()
    }
}

impl HttpClient for LambdaHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Calls { client: self.client.clone(), read_timeout: settings.read_timeout() })
    }
}

/// One operation's view of the client, with its read timeout.
#[derive(Debug)]
struct Calls {
    client: Client<Connector, SdkBody>,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Calls {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        let sending = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answer = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, sending).await {
                    Ok(answer) => answer,
                    Err(elapsed) => return Err(ConnectorError::timeout(elapsed.into())),
                },
                None => sending.await,
            };
            match answer {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|err| ConnectorError::other(err.into(), None)),
                Err(err) => Err(classify(err)),
            }
        })
    }
}

fn find<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut next = Some(err);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<E>() {
            return Some(found);
        }
        next = current.source();
    }
    None
}

/// How the SDK's retry strategy should see a failed call: timeouts and I/O
/// (a refused or reset connection, one the server closed) are retried.
fn classify(err: hyper_util::client::legacy::Error) -> ConnectorError {
    if find::<ConnectTimedOut>(&err).is_some() {
        return ConnectorError::timeout(err.into());
    }
    if let Some(hyper_err) = find::<hyper::Error>(&err) {
        if hyper_err.is_timeout() {
            return ConnectorError::timeout(err.into());
        }
        if hyper_err.is_user() {
            return ConnectorError::user(err.into());
        }
        if hyper_err.is_incomplete_message() {
            return ConnectorError::other(err.into(), Some(ErrorKind::TransientError));
        }
        if hyper_err.is_closed() || hyper_err.is_canceled() {
            return ConnectorError::io(err.into());
        }
    }
    if err.is_connect() || find::<std::io::Error>(&err).is_some() {
        return ConnectorError::io(err.into());
    }
    ConnectorError::other(err.into(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn client() -> LambdaHttpClient {
        LambdaHttpClient::new(super::super::tls::client_config_with(None).unwrap())
    }

    /// A plain HTTP/1.1 server answering every request with 200 on kept-alive
    /// connections; counts the connections it accepted.
    async fn server() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 4096];
                    while let Ok(n) = socket.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(answer).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (endpoint, accepted)
    }

    async fn get(client: &LambdaHttpClient, endpoint: &str) -> u16 {
        let request = http::Request::get(endpoint).body(SdkBody::empty()).unwrap();
        client.client.request(request).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn requests_use_the_connections_opened_ahead() {
        let (endpoint, accepted) = server().await;
        let client = client();
        let opened = client.preconnect(&[(endpoint.clone(), 3)]).wait(Duration::from_secs(5)).await;
        assert_eq!(opened, 3);
        assert_eq!(client.stashed(), 3);
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        let (a, b, c) = tokio::join!(get(&client, &endpoint), get(&client, &endpoint), get(&client, &endpoint));
        assert_eq!((a, b, c), (200, 200, 200));
        assert_eq!(client.stashed(), 0);
        assert_eq!(accepted.load(Ordering::SeqCst), 3, "no new connection was needed");
        // Later requests reuse the pooled connections.
        assert_eq!(get(&client, &endpoint).await, 200);
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn requests_that_come_while_the_connections_open_wait_for_them() {
        let (endpoint, accepted) = server().await;
        let client = client();
        // On this single-threaded runtime the openings have not run yet.
        let opening = client.preconnect(&[(endpoint.clone(), 2)]);
        assert_eq!(client.stashed(), 2);
        let (a, b, c) = tokio::join!(get(&client, &endpoint), get(&client, &endpoint), get(&client, &endpoint));
        assert_eq!((a, b, c), (200, 200, 200));
        assert_eq!(accepted.load(Ordering::SeqCst), 3, "two waited for the openings, one connected");
        assert_eq!(opening.wait(Duration::from_secs(5)).await, 2);
        assert_eq!(client.stashed(), 0);
    }

    #[tokio::test]
    async fn a_request_waiting_for_an_opening_that_fails_connects_itself() {
        let (endpoint, accepted) = server().await;
        let client = client();
        let origin = Origin::of(&endpoint.parse::<Uri>().unwrap()).unwrap();
        let done = client.connector.stash.opening(origin);
        let request = {
            let (client, endpoint) = (client.clone(), endpoint.clone());
            tokio::spawn(async move { get(&client, &endpoint).await })
        };
        for _ in 0..100 {
            if client.stashed() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(client.stashed(), 0, "the request took the opening");
        // Given time to connect on its own, it does not: it waits for the opening.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!request.is_finished());
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "and waits for it instead of connecting");
        let _ = done.send(Opened::Failed);
        assert_eq!(request.await.unwrap(), 200);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_stashed_connection_serves_only_its_origin() {
        let (first, first_accepted) = server().await;
        let (second, second_accepted) = server().await;
        let client = client();
        client.preconnect(&[(first.clone(), 1)]).wait(Duration::from_secs(5)).await;
        assert_eq!(get(&client, &second).await, 200);
        assert_eq!(second_accepted.load(Ordering::SeqCst), 1);
        assert_eq!(client.stashed(), 1, "the first origin's connection is still waiting");
        assert_eq!(get(&client, &first).await, 200);
        assert_eq!(first_accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn init_waits_at_most_its_budget_for_a_silent_endpoint() {
        // Accepts TCP but never answers the TLS handshake.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("https://localhost:{}", listener.local_addr().unwrap().port());
        let _held = tokio::spawn(async move {
            let mut sockets = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                sockets.push(socket);
            }
        });
        let client = client();
        let started = Instant::now();
        let opened = client.preconnect(&[(endpoint, 2)]).wait(Duration::from_millis(20)).await;
        assert_eq!(opened, 0);
        assert!(started.elapsed() < Duration::from_secs(1), "waited {:?}", started.elapsed());
        assert_eq!(client.stashed(), 2, "still opening in the background, for a request to wait for");
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable_io() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let client = client();
        let request = http::Request::get(endpoint.as_str()).body(SdkBody::empty()).unwrap();
        let err = client.client.request(request).await.unwrap_err();
        assert!(classify(err).is_io());
    }

    #[test]
    fn origins_default_their_ports() {
        let origin = |s: &str| Origin::of(&s.parse::<Uri>().unwrap()).unwrap();
        assert_eq!(
            origin("https://Dynamodb.us-east-1.amazonaws.com/"),
            origin("https://dynamodb.us-east-1.amazonaws.com:443")
        );
        assert_ne!(origin("http://localhost/"), origin("https://localhost/"));
        assert_eq!(origin("http://127.0.0.1:5000/x").port, 5000);
    }
}

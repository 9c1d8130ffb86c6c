//! HTTP/1.1 requests through hyper's client: one request over a socket we
//! bind ourselves (tests send from a chosen source address: 127.0.x.y acts as
//! a different client; the dev mailbox reads the emulator), or pooled
//! keep-alive requests to one server (the fault proxy to the emulator).

use std::net::{IpAddr, SocketAddr};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpSocket;

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request (`Connection: close`) from `source` (any port) to `target`.
/// Header values may hold any bytes HTTP allows, non-ASCII included (tests send
/// such headers on purpose); `Host` is `target` unless `headers` name one.
pub async fn send(
    target: SocketAddr,
    source: Option<IpAddr>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let request = request(target, path, method, headers, body, false)?;
    let socket = if target.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(target).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(broken)?;
    // The connection does the I/O; it ends when the server closes after answering.
    tokio::spawn(connection);
    read(sender.send_request(request).await.map_err(broken)?).await
}

/// Keep-alive connections to one server, reused across requests: the fault
/// proxy forwards every AWS call of a test to the emulator this way.
#[derive(Clone)]
pub struct Pool {
    target: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Pool {
    pub fn new(target: SocketAddr) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self { target, client: Client::builder(TokioExecutor::new()).build(connector) }
    }

    /// Sends one request, as [`send`] does, over a pooled connection.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<HttpResponse> {
        let request = request(self.target, &format!("http://{}{path}", self.target), method, headers, body, true)?;
        read(self.client.request(request).await.map_err(std::io::Error::other)?).await
    }
}

fn request(
    target: SocketAddr,
    uri: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<http::Request<Full<Bytes>>> {
    let mut request = http::Request::builder().method(method).uri(uri);
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request = request.header(http::header::HOST, target.to_string());
    }
    if !keep_alive {
        request = request.header(http::header::CONNECTION, "close");
    }
    for (name, value) in headers {
        request = request.header(*name, http::HeaderValue::from_bytes(value.as_bytes()).map_err(invalid_input)?);
    }
    request.body(Full::new(Bytes::copy_from_slice(body))).map_err(invalid_input)
}

async fn read(response: http::Response<Incoming>) -> std::io::Result<HttpResponse> {
    let (parts, incoming) = response.into_parts();
    let body = incoming.collect().await.map_err(broken)?.to_bytes().to_vec();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    Ok(HttpResponse { status: parts.status.as_u16(), headers, body })
}

fn invalid_input(err: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, err)
}

fn broken(err: hyper::Error) -> std::io::Error {
    std::io::Error::other(err)
}

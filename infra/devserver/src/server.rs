//! The local stand-in for API Gateway: serves every route of the route table by
//! calling the owning function's handler with a real API Gateway event, plus
//! the developer mailbox under `/_dev/`.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use portal::web::routes::{self, Function};
use portal::Portal;
use tokio::net::TcpListener;

use crate::apigw::{self, RawRequest};
use crate::mail;

/// API Gateway's own payload limit.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// What the server needs: the portal (as each function builds it) and where the emulator is.
#[derive(Clone)]
pub struct DevServer {
    pub portal: Arc<Portal>,
    pub emulator: SocketAddr,
}

/// Calls the handler of the function that owns the route, as Lambda would.
pub async fn invoke(
    portal: &Portal,
    function: Function,
    request: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    portal::web::handle(function, portal, request).await
}

/// A loopback listener with a deep accept queue: load tests open a thousand
/// connections at once, more than the usual backlog of 1024 absorbs.
pub fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(4096)
}

/// Accepts connections until `shutdown` completes.
pub async fn serve(listener: TcpListener, server: DevServer, shutdown: impl std::future::Future<Output = ()>) {
    crate::accept::serve(listener, shutdown, move |req, peer| {
        let server = server.clone();
        async move { handle(&server, req, peer).await }
    })
    .await
}

type HttpResponse = hyper::Response<Full<Bytes>>;

fn plain(status: u16, content_type: &str, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = hyper::Response::new(Full::new(body.into()));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(http::header::CONTENT_TYPE, value);
    }
    response
}

async fn handle(server: &DevServer, req: hyper::Request<Incoming>, peer: SocketAddr) -> HttpResponse {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/" => {
            let mut response = plain(302, "text/plain", "See /portal/demo/submit");
            response
                .headers_mut()
                .insert(http::header::LOCATION, http::HeaderValue::from_static("/portal/demo/submit"));
            return response;
        }
        "/_dev/mail" => return mail::page(server.emulator).await,
        "/_dev/mail.json" => return mail::json(server.emulator).await,
        _ => {}
    }
    let Some((route, params)) = routes::resolve(req.method(), &path) else {
        // What API Gateway answers for a path it has no route for.
        return plain(404, "application/json", r#"{"message":"Not Found"}"#);
    };
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = match Limited::new(req.into_body(), MAX_PAYLOAD_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return plain(413, "application/json", r#"{"message":"Request Entity Too Large"}"#),
    };
    let raw = RawRequest { method: &method, path: &path, query: &query, headers, body: &body, peer: peer.ip() };
    let event = apigw::event(&raw, route, &params);
    let request = match apigw::lambda_request(&event) {
        Ok(request) => request,
        Err(err) => return plain(500, "text/plain", err),
    };
    to_hyper(invoke(&server.portal, route.function, request).await)
}

fn to_hyper(response: lambda_http::Response<lambda_http::Body>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

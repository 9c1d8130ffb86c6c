//! The dev stack's one HTTP/1 accept loop: the dev server, the demo host, the
//! Lambda Runtime API stand-in and the tests' fault proxy each hand it their
//! listener and how they answer a request.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves each connection of `listener` on a task of its own, every request
/// answered by `answer` (with the peer's address), until `shutdown` completes.
/// A failed accept is logged and the loop goes on.
pub async fn serve<A, F>(listener: TcpListener, shutdown: impl Future<Output = ()>, answer: A)
where
    A: Fn(hyper::Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let answered = answer(req, peer);
                async move { Ok::<_, Infallible>(answered.await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

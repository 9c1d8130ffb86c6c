//! The benchmark of every function's release bootstrap, beside a minimal
//! lambda_http hello-world built the same way (the floor) and, in the
//! Lambda-like mode, Node.js and Python peers.
//!
//!     bench [lambda] [--runs 8] [--warm 100] [--sizes 128,256,1024] [--only submit,track]
//!     bench plain [--runs 30] [--warm 100] [--cpu 1000]
//!     bench callgrind [--functions submit,track] [--warm 20]
//!     bench calls [--calls 2000]
//!
//! `lambda` (the default) is what a customer waits for on AWS: TLS to AWS and a
//! memory size's CPU share (see `lambda_like`). `plain` is full speed over plain
//! HTTP, with CPU per request, AWS round trips and zip sizes. `callgrind`
//! counts instructions per request. `calls` is the client's CPU per AWS call,
//! through the SDK and hand-signed. `infra/bench.sh` sets everything up.

mod calls;
mod cgroup;
mod lambda_like;
mod plain;
mod process;
mod profile;
mod stack;

type Error = Box<dyn std::error::Error>;

/// The value after `name` on the command line, or `default`.
fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.into())
}

fn main() -> Result<(), Error> {
    let mode = std::env::args().nth(1);
    // `calls` measures a client on the runtime the functions run it on: one thread.
    let mut runtime = match mode.as_deref() {
        Some("calls") => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    runtime.enable_all().build()?.block_on(async {
        match mode.as_deref() {
            Some("plain") => plain::run().await,
            Some("callgrind") => profile::run().await,
            Some("calls") => calls::run().await,
            Some("lambda") | None => lambda_like::run().await,
            Some(flag) if flag.starts_with("--") => lambda_like::run().await,
            Some(other) => Err(format!("unknown mode {other}: lambda, plain, callgrind or calls").into()),
        }
    })
}

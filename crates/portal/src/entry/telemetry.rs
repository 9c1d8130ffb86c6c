//! Structured logs. Never log an email address, an IP address or a token:
//! `infra/devserver/tests/api/logs.rs` runs every flow and greps the output.

use tracing_subscriber::fmt::MakeWriter;

/// JSON logs on Lambda (CloudWatch), readable lines on a terminal.
pub fn init() {
    init_with(std::io::stdout, std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some());
}

/// The same configuration, writing to `writer` (tests capture logs this way).
pub fn init_with<W>(writer: W, json: bool)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_target(false).with_max_level(tracing::Level::INFO).with_writer(writer);
    let _ = if json { builder.json().without_time().try_init() } else { builder.with_ansi(false).try_init() };
}

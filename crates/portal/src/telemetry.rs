//! Structured logs. Never log an email address, an IP address or a token.

/// JSON logs on Lambda (CloudWatch), readable lines on a terminal.
pub fn init() {
    let json = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_target(false).with_max_level(tracing::Level::INFO);
    let _ = if json { builder.json().without_time().try_init() } else { builder.try_init() };
}

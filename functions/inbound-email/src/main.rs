//! Lambda entry point of the inbound-email function (SES receipt rule): see `portal::entry::mail_in`.
// The handler's future (parsing, the S3 read, the ticket transaction) nests
// deeper than the compiler's default layout depth of 128.
#![recursion_limit = "256"]

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal::entry::mail_in::run_lambda().await
}

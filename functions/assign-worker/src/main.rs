//! Lambda entry point of the assign-worker (SQS): see `portal::entry::worker`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal::entry::worker::run_lambda().await
}

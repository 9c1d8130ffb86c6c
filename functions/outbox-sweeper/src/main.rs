//! Lambda entry point of the outbox sweeper (every minute): see `portal::entry::sweeper`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal::entry::sweeper::run_lambda().await
}

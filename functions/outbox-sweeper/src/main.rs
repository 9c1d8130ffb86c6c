//! Lambda entry point of the outbox sweeper (every minute): see `portal::sweeper`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal::sweeper::run_lambda().await
}

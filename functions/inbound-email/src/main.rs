//! Lambda entry point of the inbound-email function (SES receipt rule): see `portal::inbound`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    portal::inbound::run_lambda().await
}

//! Lambda entry point of the track function: see `portal::web::track`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    portal::web::run_lambda(portal::web::routes::Function::Track).await
}

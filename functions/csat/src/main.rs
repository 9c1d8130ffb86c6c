//! Lambda entry point of the csat function.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    portal::web::run_lambda(portal::web::routes::Function::Csat).await
}

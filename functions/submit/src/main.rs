//! Lambda entry point of the submit function: see `portal::web::submit`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    portal::web::run_lambda(portal::web::routes::Function::Submit).await
}

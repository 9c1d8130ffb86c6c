//! Lambda entry point of the reply function: see `portal::web::reply`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    portal::web::run_lambda(portal::web::routes::Function::Reply).await
}

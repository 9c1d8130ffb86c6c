//! Lambda entry point for the submit routes: build the portal once, then hand
//! each API Gateway request to its handler.

use lambda_http::{run, service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    portal::telemetry::init();
    let portal = portal::Portal::from_env().await?;
    let portal = &portal;
    run(service_fn(move |req: Request| async move { Ok::<_, Error>(portal::web::submit::handle(portal, req).await) }))
        .await
}

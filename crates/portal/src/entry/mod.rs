//! The top floor: what each Lambda function's `main` runs. The HTTP
//! functions' `main` comes from [`http_lambda_main!`](crate::http_lambda_main);
//! the three functions that are not HTTP have an entry each ([`worker`], the
//! SQS worker; [`mail_in`], the inbound-email function; [`sweeper`], the
//! scheduled outbox sweeper). [`lambda`] is their init: the clients a function
//! [`Needs`](lambda::Needs) and the [`Portal`](crate::Portal) built on them.

pub mod lambda;
pub mod mail_in;
pub mod sweeper;
pub mod telemetry;
pub mod worker;

/// Defines the Lambda `main` of an HTTP function: configuration, the clients
/// `$needs` names and their connections once (see [`lambda`]), then
/// `$handler` for each API Gateway request. Naming the handler (rather than
/// dispatching on a `Function` at run time) lets each binary link only its own code.
#[macro_export]
macro_rules! http_lambda_main {
    ($handler:path, $needs:expr) => {
        #[tokio::main(flavor = "current_thread")]
        async fn main() -> Result<(), lambda_http::Error> {
            $crate::entry::telemetry::init();
            let portal = $crate::entry::lambda::lambda_portal($needs).await?;
            let portal = &portal;
            lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| async move {
                Ok::<_, lambda_http::Error>($handler(portal, req).await)
            }))
            .await
        }
    };
}

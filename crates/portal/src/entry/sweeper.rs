//! The outbox sweeper's entry: EventBridge invokes it every minute, and it
//! sends again every event the worker has not acknowledged
//! ([`Portal::sweep_outbox`]). A failed sweep fails the invocation; the next
//! minute's sweep finds the same events still due.

/// The Lambda main of the outbox-sweeper. The scheduled event says nothing
/// the sweep needs, so it is not read.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::entry::telemetry::init();
    let portal = crate::entry::lambda::lambda_portal(crate::entry::lambda::Needs::SWEEPER).await?;
    let portal = &portal;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let sweep = portal.sweep_outbox().await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "due": sweep.due, "sent": sweep.sent }))
        },
    ))
    .await
}

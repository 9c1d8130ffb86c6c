//! Runs every sample in `events/` through the functions' real bootstraps (the
//! release ones from `make package`, or the debug build of the same mains), each
//! started under the Lambda Runtime API emulator exactly as Lambda starts it,
//! against a fresh stack on the emulator. Exits non-zero on any mismatch.
//!
//!     lambda-smoke [DIR]   # DIR holds <function>/bootstrap (default target/lambda)

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use devserver::runtime_api::{Outcome, RuntimeApi};
use devserver::samples::{self, HTTP_SAMPLES, SWEEPER_SAMPLES, WORKER_SAMPLES};
use portal::aws::AwsClients;
use portal::provision::{provision, StackNames};
use portal::store::Store;
use serde_json::Value;

const FUNCTIONS: [&str; 6] = ["submit", "track", "reply", "csat", "assign-worker", "outbox-sweeper"];

fn function_of(sample: &str) -> &'static str {
    FUNCTIONS.iter().find(|f| sample.starts_with(&format!("{f}-"))).copied().unwrap_or("assign-worker")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/lambda".into()));
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL must point at the emulator")?;
    let names = StackNames::with_prefix(&format!("smoke{}-", std::process::id()));
    let sender = "support@portal.example";
    let clients = AwsClients::from_env().await?;
    let provisioned = provision(&clients, &names, sender, 2).await?;
    // Every function refuses to start without a salt: give them this run's own.
    let salt = portal::domain::secrets::RateLimitSalt::generate();
    let store = Store::new(clients.dynamodb.clone(), &names.table);
    devserver::seed::seed_demo(&store).await?;
    samples::prepare(&store).await?;

    let mut runtimes = HashMap::new();
    let mut children = Vec::new();
    for function in FUNCTIONS {
        let bootstrap = dir.join(function).join("bootstrap");
        if !bootstrap.exists() {
            return Err(format!(
                "{} is missing: build with `infra/lambda-check.sh build` (or smoke-debug)",
                bootstrap.display()
            )
            .into());
        }
        let api = RuntimeApi::start().await?;
        let child = tokio::process::Command::new(&bootstrap)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_REGION", std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_MAX_ATTEMPTS", "10")
            .env("PORTAL_TABLE", &names.table)
            .env("RATE_LIMIT_TABLE", &names.rate_limit_table)
            .env("EVENTS_QUEUE_URL", &provisioned.queue_url)
            .env("PORTAL_BASE_URL", "https://portal.example")
            .env("RATE_LIMIT_SALT", salt.expose())
            .env("MAIL_FROM", sender)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        if api.wait_first_poll(Duration::from_secs(10)).await.is_none() {
            return Err(format!("{function} never polled for an event (init error: {:?})", api.init_error()).into());
        }
        runtimes.insert(function, api);
        children.push(child);
    }

    let mut failures = 0;
    let mut check = |name: &str, ok: bool, detail: String| {
        println!("{} {name:<32} {detail}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };
    for (name, expected) in HTTP_SAMPLES {
        samples::before(&store, name).await?;
        match answer(&runtimes[function_of(name)], name).await {
            Ok(response) => {
                let status = response["statusCode"].as_u64().unwrap_or(0);
                check(
                    name,
                    status == u64::from(*expected),
                    format!("{} -> {status} (want {expected})", function_of(name)),
                );
            }
            Err(other) => check(name, false, other),
        }
    }
    for name in WORKER_SAMPLES {
        match answer(&runtimes["assign-worker"], name).await {
            Ok(response) => {
                let failed = response["batchItemFailures"].as_array().map(Vec::len);
                check(name, failed == Some(0), format!("assign-worker -> batchItemFailures {failed:?}"));
            }
            Err(other) => check(name, false, other),
        }
    }
    for name in SWEEPER_SAMPLES {
        match answer(&runtimes["outbox-sweeper"], name).await {
            Ok(response) => check(name, response["sent"].is_u64(), format!("outbox-sweeper -> {response}")),
            Err(other) => check(name, false, other),
        }
    }
    drop(children);
    let total = HTTP_SAMPLES.len() + WORKER_SAMPLES.len() + SWEEPER_SAMPLES.len();
    println!("lambda smoke: {} passed, {failures} failed", total - failures);
    if failures > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Invokes `runtime` with the sample `name`: its JSON answer, or what went wrong.
async fn answer(runtime: &RuntimeApi, name: &str) -> Result<Value, String> {
    let event = samples::load(name)?;
    match runtime.invoke(event.to_string().as_bytes(), Duration::from_secs(20)).await {
        Ok(Outcome::Response(body)) => Ok(serde_json::from_slice(&body).unwrap_or(Value::Null)),
        other => Err(format!("{other:?}")),
    }
}

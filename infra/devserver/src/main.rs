//! `make run`: provisions the local stack on the emulator, seeds `demo`, and
//! serves every route at http://127.0.0.1:3000, and the demo host page that
//! embeds the widget at http://127.0.0.1:8080, until Ctrl-C or SIGTERM. The
//! worker polls the queue and the outbox sweeper runs every few seconds.

use std::net::SocketAddr;
use std::sync::Arc;

use devserver::server::{serve, DevServer};
use portal::aws::AwsClients;
use portal::config::Config;
use portal::domain::secrets::RateLimitSalt;
use portal::provision::{provision, StackNames, VISIBILITY_TIMEOUT_SECS};
use portal::store::Store;
use portal::Portal;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    portal::entry::telemetry::init();
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "AWS_ENDPOINT_URL is not set: start the local stack with `make run`")?;
    let emulator: SocketAddr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .map_err(|_| format!("AWS_ENDPOINT_URL must look like http://127.0.0.1:5000, not {endpoint}"))?;
    let port: u16 = env_or("PORT", "3000").parse().map_err(|_| "PORT must be a port number")?;
    let demo_port: u16 = env_or("DEMO_PORT", &devserver::seed::DEMO_HOST_PORT.to_string())
        .parse()
        .map_err(|_| "DEMO_PORT must be a port number")?;
    let base_url = env_or("PORTAL_BASE_URL", &format!("http://127.0.0.1:{port}"));
    let sender = env_or("MAIL_FROM", "support@portal.example");
    let names = StackNames::with_prefix(&env_or("STACK_PREFIX", "local-"));

    // Every AWS call goes through a recorder that keeps the SendEmail requests,
    // so the dev mailbox shows what the emulator drops (Reply-To, headers).
    let recorder = devserver::proxy::FaultProxy::start_mail_recorder(emulator).await?;
    devserver::mail::record_sends_through(recorder.clone());
    let clients = AwsClients::with_endpoint(&recorder.endpoint()).await?;
    let provisioned = provision(&clients, &names, &sender, VISIBILITY_TIMEOUT_SECS).await?;
    let mut config = Config::for_stack(&names, &provisioned, &base_url, &sender);
    config.rate_limit_salt = Some(local_salt()?);
    config.inbound_domain =
        Some(env_or("INBOUND_DOMAIN", portal::provision::LOCAL_INBOUND_DOMAIN).to_ascii_lowercase());
    let smtp_port: u16 = env_or("SMTP_PORT", "2525").parse().map_err(|_| "SMTP_PORT must be a port number")?;
    let store = Store::new(clients.dynamodb.clone(), &names.table);
    let sqs = clients.sqs.clone();
    let s3 = clients.s3.clone().ok_or("no S3 client")?;
    let portal = Arc::new(Portal::new(config, clients));
    let demo_host = devserver::seed::demo_host_origin(demo_port);
    devserver::seed::seed_demo_for_host(&store, &demo_host).await?;
    let worker = Arc::new(portal::entry::worker::Worker::new((*portal).clone())?);
    tokio::spawn(devserver::sqs_trigger::run(worker, sqs, provisioned.clone(), 4));
    tokio::spawn(devserver::schedule::sweep_outbox_every(portal.clone(), devserver::schedule::LOCAL_SWEEP_PERIOD));

    // SES receiving, locally: SMTP in, the raw message to the bucket, the
    // inbound handler called with the receipt event. A busy default port costs
    // only local email (another stack may hold it); SMTP_PORT must be served.
    let email = match tokio::net::TcpListener::bind(("127.0.0.1", smtp_port)).await {
        Ok(smtp) => {
            let receiving = devserver::inbound::LocalReceiving::new(portal.clone(), s3)?;
            tokio::spawn(async move {
                if let Err(err) = receiving.serve_smtp(smtp).await {
                    tracing::warn!(error = %err, "smtp receiver stopped");
                }
            });
            let domain = portal.config().inbound_domain.clone().unwrap_or_default();
            format!("email: SMTP 127.0.0.1:{smtp_port} to demo@{domain}")
        }
        Err(err) if std::env::var_os("SMTP_PORT").is_some() => {
            return Err(format!("cannot accept SMTP on SMTP_PORT={smtp_port}: {err}").into());
        }
        Err(err) => format!("no email: port {smtp_port} is busy ({err}); set SMTP_PORT"),
    };

    // The port first: a second `make run` in the same checkout stops here,
    // before it could overwrite the running stack's file.
    let listener = devserver::server::listen(port)
        .map_err(|err| format!("cannot serve on 127.0.0.1:{port}: {err} (another make run? set PORT)"))?;
    write_local_stack_file(portal.config(), &endpoint)?;
    // A second origin, on loopback only, standing in for a customer's website.
    // A busy default port only costs the demo page (another stack may hold it);
    // a port asked for with DEMO_PORT must be served.
    let demo = match tokio::net::TcpListener::bind(("127.0.0.1", demo_port)).await {
        Ok(demo_listener) => {
            tokio::spawn(devserver::demo_host::serve(demo_listener, base_url.clone(), std::future::pending()));
            format!("widget demo: {demo_host}/")
        }
        Err(err) if std::env::var_os("DEMO_PORT").is_some() => {
            return Err(format!("cannot serve the demo host page on DEMO_PORT={demo_port}: {err}").into());
        }
        Err(err) => format!("no widget demo: port {demo_port} is busy ({err}); set DEMO_PORT"),
    };
    let server = DevServer { portal: portal.clone(), emulator };
    println!(
        "Customer Portal is running: {base_url}/portal/demo/submit  (mail: {base_url}/_dev/mail)  {demo}  {email}  \
         Ctrl-C stops it."
    );
    serve(listener, server, shutdown_signal()).await;
    println!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Tells `portalctl`, run from the repository root, how to reach this stack.
fn write_local_stack_file(config: &Config, endpoint: &str) -> std::io::Result<()> {
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", env_or("AWS_REGION", "us-east-1")),
        ("AWS_ACCESS_KEY_ID", env_or("AWS_ACCESS_KEY_ID", "testing")),
        ("AWS_SECRET_ACCESS_KEY", env_or("AWS_SECRET_ACCESS_KEY", "testing")),
        ("PORTAL_TABLE", config.table.clone()),
        ("RATE_LIMIT_TABLE", config.rate_limit_table.clone()),
        ("EVENTS_QUEUE_URL", config.queue_url.clone()),
        ("PORTAL_BASE_URL", config.base_url.clone()),
        ("MAIL_FROM", config.mail_from.clone().unwrap_or_default()),
        ("RATE_LIMIT_SALT", config.rate_limit_salt.as_ref().map(|s| s.expose().to_owned()).unwrap_or_default()),
        ("INBOUND_DOMAIN", config.inbound_domain.clone().unwrap_or_default()),
        ("INBOUND_BUCKET", config.inbound_bucket.clone().unwrap_or_default()),
    ];
    let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    write_private(std::path::Path::new(&portalctl_file()), &format!("{}\n{text}", owner_line()))
}

/// The file's first line, naming the process that wrote it: `make run` removes
/// the file when it stops only if this line is still its own, so that a second
/// `make run` that failed (a busy port) leaves the running stack's file alone.
fn owner_line() -> String {
    format!("# written by make run for portalctl (devserver pid {}); removed when it stops", std::process::id())
}

/// The local stack's rate-limit salt: `RATE_LIMIT_SALT` if set, else the one
/// kept in `LOCAL_SALT_FILE` (default `target/local-salt`), made on the first run.
fn local_salt() -> Result<RateLimitSalt, Box<dyn std::error::Error>> {
    if let Some(raw) = std::env::var("RATE_LIMIT_SALT").ok().filter(|v| !v.is_empty()) {
        return Ok(RateLimitSalt::parse(&raw).map_err(|why| format!("RATE_LIMIT_SALT {why}"))?);
    }
    let path = std::path::PathBuf::from(env_or("LOCAL_SALT_FILE", "target/local-salt"));
    match std::fs::read_to_string(&path) {
        Ok(kept) => Ok(RateLimitSalt::parse(kept.trim()).map_err(|why| format!("{}: the salt {why}", path.display()))?),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let salt = RateLimitSalt::generate();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            write_private(&path, salt.expose())?;
            Ok(salt)
        }
        Err(err) => Err(format!("cannot read {}: {err}", path.display()).into()),
    }
}

/// Writes a file only its owner can read (it holds the salt).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    // An older file keeps its mode on open: tighten it too.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())
}

/// `PORTAL_LOCAL_ENV_FILE` moves it (test runs of the stack do, to leave a developer's alone).
fn portalctl_file() -> String {
    env_or("PORTAL_LOCAL_ENV_FILE", ".portal-local.env")
}

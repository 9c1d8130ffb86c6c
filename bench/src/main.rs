//! The benchmark: for every function's release bootstrap, beside a minimal
//! lambda_http hello-world built the same way and measured interleaved with it:
//! cold start (process start to first poll, and to first response), peak RSS,
//! CPU per warm request, sequential AWS round trips per action (counted from
//! the calls a recording proxy saw, not estimated) and zipped size.
//!
//!     bench [--runs 30] [--warm 100] [--cpu 1000] [--dir target/lambda]
//!
//! Needs AWS_ENDPOINT_URL (the emulator); `infra/bench.sh` sets everything up.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use devserver::proxy::{sequential_round_trips, FaultProxy};
use devserver::runtime_api::{Outcome, RuntimeApi};
use devserver::samples;
use portal::aws::AwsClients;
use portal::domain::client::ClientAddress;
use portal::domain::{NewTicket, SubmissionInput, WorkspaceSlug};
use portal::provision::{provision, StackNames};
use portal::Portal;
use serde_json::Value;

type Error = Box<dyn std::error::Error>;

/// Tickets the reply benchmark spreads its replies over.
const REPLY_POOL: usize = 50;

/// One function under test and how to make its n-th realistic event.
struct Target {
    name: &'static str,
    event: Box<dyn Fn(usize) -> Value>,
}

/// What one function measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub name: String,
    pub poll_median_ms: f64,
    pub poll_p90_ms: f64,
    pub poll_ratio: f64,
    pub response_median_ms: f64,
    pub response_p90_ms: f64,
    pub response_ratio: f64,
    pub peak_rss_mb: f64,
    pub cpu_us_per_request: f64,
    pub sequential_trips: usize,
    pub total_calls: usize,
    pub bootstrap_mb: f64,
    pub zip_mb: f64,
}

fn median_p90(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

/// The results as a Markdown table.
pub fn format_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| function | cold start to first poll, median (p90) | × floor | to first response, median (p90) | × floor | peak RSS | CPU per warm request | sequential AWS round trips (calls) | bootstrap | zip |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.2} ms ({:.2}) | {:.2} | {:.2} ms ({:.2}) | {:.2} | {:.1} MB | {:.0} µs | {} ({}) | {:.2} MB | {:.2} MB |\n",
            r.name,
            r.poll_median_ms,
            r.poll_p90_ms,
            r.poll_ratio,
            r.response_median_ms,
            r.response_p90_ms,
            r.response_ratio,
            r.peak_rss_mb,
            r.cpu_us_per_request,
            r.sequential_trips,
            r.total_calls,
            r.bootstrap_mb,
            r.zip_mb
        ));
    }
    out
}

struct Process {
    child: tokio::process::Child,
    api: RuntimeApi,
    spawned_at: Instant,
}

impl Process {
    async fn start(binary: &Path, env: &[(String, String)]) -> Result<Self, Error> {
        let api = RuntimeApi::start().await?;
        let spawned_at = Instant::now();
        let child = tokio::process::Command::new(binary)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        Ok(Self { child, api, spawned_at })
    }

    async fn invoke(&self, event: &Value) -> Result<Vec<u8>, Error> {
        match self.api.invoke(event.to_string().as_bytes(), Duration::from_secs(120)).await? {
            Outcome::Response(body) => Ok(body),
            Outcome::Error(body) => Err(format!("function error: {}", String::from_utf8_lossy(&body)).into()),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }
}

fn proc_field(pid: u32, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()
}

/// Peak resident memory so far, in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    proc_field(pid, "status")
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    proc_field(pid, "stat")
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.to_owned()))
        .map(|rest| {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // After the command name: state is field 3, utime 14, stime 15 (1-based).
            let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            field(14) + field(15)
        })
        .unwrap_or(0)
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

async fn cold_start(binary: &Path, env: &[(String, String)], event: &Value) -> Result<(f64, f64), Error> {
    let process = Process::start(binary, env).await?;
    let polled = process.api.wait_first_poll(Duration::from_secs(10)).await.ok_or("never polled")?;
    process.invoke(event).await?;
    let answered = Instant::now();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok((ms(polled - process.spawned_at), ms(answered - process.spawned_at)))
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0)
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.into())
}

fn with(mut event: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut event);
    event
}

/// A distinct client address per invocation, so the rate limit never decides the path.
fn client_ip(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let runs: usize = arg("--runs", "30").parse()?;
    let warm: usize = arg("--warm", "100").parse()?;
    let cpu_invocations: usize = arg("--cpu", "1000").parse()?;
    let dir = PathBuf::from(arg("--dir", "target/lambda"));
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL must point at the emulator")?;
    let emulator = endpoint.trim_start_matches("http://").trim_end_matches('/').parse()?;

    // A stack with one real ticket for track, reply and the worker to work on.
    let names = StackNames::with_prefix(&format!("bench{}-", std::process::id()));
    let sender = "support@portal.example";
    let clients = AwsClients::from_env().await;
    let provisioned = provision(&clients, &names, sender, 30).await?;
    let config = portal::config::Config::for_stack(&names, &provisioned, "https://portal.example", sender);
    let store = portal::store::Store::new(clients.dynamodb.clone(), &names.table);
    let portal = Portal::new(config, clients);
    devserver::seed::seed_demo(&store).await?;
    samples::store_sample_survey_token(&store).await?;
    let demo = WorkspaceSlug::parse("demo").ok_or("slug")?;
    let input = SubmissionInput {
        name: "Ann Lee".into(),
        email: "ann@example.com".into(),
        subject: "Bench".into(),
        ..Default::default()
    };
    let ticket = NewTicket::parse(&input).map_err(|e| format!("{e:?}"))?;
    let receipt =
        portal.submit_ticket(&demo, ticket.clone(), ClientAddress::from_source_ip("10.255.255.255"), None).await?;
    // Replies spread over a pool of tickets, as real traffic does.
    for n in 1..REPLY_POOL {
        portal
            .submit_ticket(&demo, ticket.clone(), ClientAddress::from_source_ip(&format!("10.255.254.{n}")), None)
            .await?;
    }

    let proxy = FaultProxy::start(emulator).await?;
    // Every function refuses to start without a salt: give them the stack's.
    let salt = portal.config().rate_limit_salt.as_ref().map(|s| s.expose().to_owned()).unwrap_or_default();
    let env = |aws_endpoint: &str, function: &str| -> Vec<(String, String)> {
        [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL", aws_endpoint.to_owned()),
            ("PORTAL_TABLE", names.table.clone()),
            ("RATE_LIMIT_TABLE", names.rate_limit_table.clone()),
            ("EVENTS_QUEUE_URL", provisioned.queue_url.clone()),
            ("PORTAL_BASE_URL", "https://portal.example".into()),
            ("MAIL_FROM", sender.into()),
            ("RATE_LIMIT_SALT", salt.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    };

    let submit = samples::load("submit-api-post.json")?;
    let track = samples::load("track-api-lookup.json")?;
    let reply = samples::load("reply-api-post.json")?;
    let csat = samples::load("csat-api-get.json")?;
    let mut worker = samples::load("worker-ticket-created.json")?;
    let body = serde_json::json!({"v": 1, "kind": "ticket_created", "workspace": "demo", "reference": receipt.reference, "id": receipt.ticket_id});
    worker["Records"][0]["body"] = Value::String(body.to_string());
    worker["Records"][0]["attributes"]["SentTimestamp"] =
        Value::String((portal::domain::time::now_unix() * 1000).to_string());

    let hello_event = samples::load("submit-form-get.json")?;
    let targets = vec![
        Target {
            name: "submit",
            event: Box::new(move |i| {
                with(submit.clone(), |e| {
                    e["requestContext"]["http"]["sourceIp"] = Value::String(client_ip(i));
                    e["headers"]["idempotency-key"] = Value::String(format!("bench-submit-{i:08}"));
                })
            }),
        },
        Target { name: "track", event: Box::new(move |_| track.clone()) },
        Target {
            name: "reply",
            event: Box::new(move |i| {
                with(reply.clone(), |e| {
                    let reference = format!("TKT-{:04}", i % REPLY_POOL + 1);
                    e["headers"]["idempotency-key"] = Value::String(format!("bench-reply-{i:08}"));
                    // One address per reply, as for submit: the reply limit counts per client.
                    e["requestContext"]["http"]["sourceIp"] = Value::String(client_ip(i));
                    e["pathParameters"]["ref"] = Value::String(reference.clone());
                    let path = format!("/api/portal/demo/tickets/{reference}/replies");
                    e["rawPath"] = Value::String(path.clone());
                    e["requestContext"]["http"]["path"] = Value::String(path);
                })
            }),
        },
        Target { name: "csat", event: Box::new(move |_| csat.clone()) },
        Target { name: "assign-worker", event: Box::new(move |_| worker.clone()) },
    ];

    let hello = dir.join("hello/bootstrap");
    let ticks = clock_ticks_per_second();
    let mut rows = Vec::new();
    let mut floor = Row { name: "hello (floor)".into(), ..Row::default() };
    let (mut floor_polls, mut floor_responses) = (Vec::new(), Vec::new());
    let mut invocation = 0usize;
    for target in &targets {
        let binary = dir.join(target.name).join("bootstrap");
        let direct = env(&endpoint, target.name);
        let (mut polls, mut responses, mut hello_polls, mut hello_responses) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            let (p, r) = cold_start(&hello, &env(&endpoint, "hello"), &hello_event).await?;
            hello_polls.push(p);
            hello_responses.push(r);
            invocation += 1;
            let (p, r) = cold_start(&binary, &direct, &(target.event)(invocation)).await?;
            polls.push(p);
            responses.push(r);
        }
        floor_polls.extend(hello_polls.iter().copied());
        floor_responses.extend(hello_responses.iter().copied());
        let (poll_median_ms, poll_p90_ms) = median_p90(polls);
        let (response_median_ms, response_p90_ms) = median_p90(responses);
        let (hello_poll, _) = median_p90(hello_polls);
        let (hello_response, _) = median_p90(hello_responses);

        // Warm: through the recording proxy, one invocation's calls counted.
        let process = Process::start(&binary, &env(&proxy.endpoint(), target.name)).await?;
        invocation += 1;
        process.invoke(&(target.event)(invocation)).await?;
        let before = proxy.calls().len();
        invocation += 1;
        let answer = process.invoke(&(target.event)(invocation)).await?;
        let calls = proxy.calls()[before..].to_vec();
        let status = serde_json::from_slice::<Value>(&answer).ok().and_then(|v| v["statusCode"].as_u64());
        eprintln!("{}: warm answer status {status:?}, {} AWS calls", target.name, calls.len());
        for _ in 0..warm {
            invocation += 1;
            process.invoke(&(target.event)(invocation)).await?;
        }
        let peak_rss_mb = peak_rss_mb(process.pid());
        let cpu_before = cpu_ticks(process.pid());
        for _ in 0..cpu_invocations {
            invocation += 1;
            process.invoke(&(target.event)(invocation)).await?;
        }
        let cpu_us_per_request =
            (cpu_ticks(process.pid()) - cpu_before) as f64 / ticks * 1e6 / cpu_invocations.max(1) as f64;
        drop(process);

        rows.push(Row {
            name: target.name.into(),
            poll_median_ms,
            poll_p90_ms,
            poll_ratio: poll_median_ms / hello_poll.max(f64::EPSILON),
            response_median_ms,
            response_p90_ms,
            response_ratio: response_median_ms / hello_response.max(f64::EPSILON),
            peak_rss_mb,
            cpu_us_per_request,
            sequential_trips: sequential_round_trips(&calls),
            total_calls: calls.len(),
            bootstrap_mb: file_mb(&binary),
            zip_mb: file_mb(&binary.with_file_name("bootstrap.zip")),
        });
    }
    let (poll_median_ms, poll_p90_ms) = median_p90(floor_polls);
    let (response_median_ms, response_p90_ms) = median_p90(floor_responses);
    let hello_process = Process::start(&hello, &env(&endpoint, "hello")).await?;
    for _ in 0..warm {
        hello_process.invoke(&hello_event).await?;
    }
    floor = Row {
        poll_median_ms,
        poll_p90_ms,
        poll_ratio: 1.0,
        response_median_ms,
        response_p90_ms,
        response_ratio: 1.0,
        peak_rss_mb: peak_rss_mb(hello_process.pid()),
        bootstrap_mb: file_mb(&hello),
        zip_mb: file_mb(&hello.with_file_name("bootstrap.zip")),
        ..floor
    };
    rows.insert(0, floor);
    let table = format_table(&rows);
    println!("{table}");
    println!(
        "{runs} cold starts per function interleaved with the floor; RSS after a cold start + {warm} warm requests; CPU over {cpu_invocations} warm requests."
    );
    std::fs::write("target/bench.md", &table)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        assert_eq!(median_p90(vec![5.0, 1.0, 3.0, 2.0, 4.0]), (3.0, 5.0));
        assert_eq!(median_p90(vec![]), (0.0, 0.0));
        let (m, p) = median_p90((1..=100).map(f64::from).collect());
        assert_eq!((m, p), (51.0, 90.0));
    }

    #[test]
    fn table_has_a_row_per_function() {
        let row = Row {
            name: "submit".into(),
            poll_median_ms: 2.5,
            poll_ratio: 1.04,
            sequential_trips: 3,
            total_calls: 4,
            zip_mb: 1.2,
            ..Row::default()
        };
        let table = format_table(&[row]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("| submit | 2.50 ms"));
        assert!(lines[2].contains("| 1.04 |"));
        assert!(lines[2].contains("| 3 (4) |"));
        assert_eq!(lines[0].matches('|').count(), lines[2].matches('|').count());
    }
}

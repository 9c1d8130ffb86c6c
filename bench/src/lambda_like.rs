//! The Lambda-like mode (the default): AWS behind TLS (nginx in front of the
//! emulator, a throwaway CA), init at full speed, and from the first poll on
//! the process held to a memory size's CPU share. Per function, beside the
//! lambda_http hello floor and the Node.js and Python peers: spawn → first
//! poll, spawn → first response, warm response (median), peak RSS.
//!
//! nginx forwards to the emulator through a recording proxy in this process,
//! so each response's time splits into the emulator's (while at least one of
//! the function's calls was waiting on it) and the rest: the function's own
//! work and the TLS in between. The emulator is many times slower than
//! DynamoDB (moto is Python, and copies a table per transaction), so the bars
//! against the hello floor are read on the rest.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use devserver::proxy::FaultProxy;
use serde_json::Value;

use crate::cgroup::CpuShare;
use crate::process::{load_average, median, ms, peak_rss_mb, Launch, Process};
use crate::stack::{Stack, FUNCTIONS, REPLY_POOL, WORKER};
use crate::{arg, Error};

/// How long a cold process may take to reach its first poll.
const INIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the TLS front and the peers are (set by infra/bench.sh).
pub struct Setup {
    tls_endpoint: String,
    /// The throwaway CA alone: what `AWS_CA_BUNDLE` names.
    ca_bundle: String,
    /// The system's roots plus the CA, as a machine that trusts the CA has them.
    trust_bundle: String,
    node: String,
    python: String,
    /// Between nginx and the emulator: every call the functions make.
    recorder: FaultProxy,
}

fn env_var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set; run `bash infra/bench.sh`").into())
}

impl Setup {
    pub async fn from_env() -> Result<Self, Error> {
        let port: u16 = env_var("BENCH_RECORDER_PORT")?.parse()?;
        let emulator = env_var("AWS_ENDPOINT_URL")?;
        let emulator = emulator.trim_start_matches("http://").trim_end_matches('/').parse()?;
        Ok(Self {
            recorder: FaultProxy::start_on(port, emulator).await?,
            tls_endpoint: env_var("BENCH_TLS_ENDPOINT")?,
            ca_bundle: env_var("BENCH_CA_BUNDLE")?,
            trust_bundle: env_var("BENCH_TRUST_BUNDLE")?,
            node: env_var("BENCH_NODE")?,
            python: env_var("BENCH_PYTHON")?,
        })
    }

    /// A function's environment with AWS behind the TLS front.
    pub fn tls_env(&self, stack: &Stack, name: &str) -> Vec<(String, String)> {
        let mut env = stack.env(&self.tls_endpoint, name);
        env.extend([
            ("AWS_CA_BUNDLE".to_owned(), self.ca_bundle.clone()),
            // The machine trusts the CA the way Lambda's image trusts AWS's:
            // through the system store, which an SDK that scans it reads whole.
            ("SSL_CERT_FILE".to_owned(), self.trust_bundle.clone()),
            ("SSL_CERT_DIR".to_owned(), "/etc/ssl/certs".to_owned()),
        ]);
        env
    }

    /// How long the emulator was busy with calls between `from` and `to`.
    fn emulator_ms(&self, from: Instant, to: Instant) -> f64 {
        ms(self.recorder.busy_between(from, to))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hello,
    Function(&'static str),
    Node,
    Python,
}

impl Kind {
    /// Functions that write tickets get stacks of their own (see `Stack::start`).
    fn writes(self) -> bool {
        matches!(self, Kind::Function("submit" | "reply" | WORKER))
    }
}

/// What to start, before the stack's environment is added.
struct Subject {
    label: String,
    name: String,
    kind: Kind,
    program: PathBuf,
    args: Vec<String>,
    extra_env: Vec<(String, String)>,
}

impl Subject {
    fn launch(&self, setup: &Setup, stack: &Stack) -> Launch {
        let mut env = setup.tls_env(stack, &self.name);
        env.extend(self.extra_env.iter().cloned());
        Launch { program: self.program.clone(), args: self.args.clone(), env }
    }
}

/// What one subject measured, per memory size in `sizes` order.
#[derive(Default)]
struct Measured {
    polls: Vec<f64>,
    /// Per size: each cold start's first response, in full and less the emulator's share.
    responses: Vec<Vec<Timed>>,
    /// Per size: the median warm response, in full and less the emulator's share.
    warm: Vec<Timed>,
    peak_rss_mb: f64,
}

/// A response time and the emulator's share of it.
#[derive(Clone, Copy, Debug, Default)]
struct Timed {
    total: f64,
    emulator: f64,
}

impl Timed {
    fn own(self) -> f64 {
        (self.total - self.emulator).max(0.0)
    }
}

/// Medians of the totals and of the times less the emulator (each its own median).
fn medians(values: &[Timed]) -> (f64, f64) {
    (median(values.iter().map(|t| t.total).collect()), median(values.iter().map(|t| t.own()).collect()))
}

/// `--function-env K=V,K2=V2`: settings for our functions (not hello, not the peers).
fn function_env() -> Vec<(String, String)> {
    arg("--function-env", "")
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn subjects(setup: &Setup, dir: &Path, only: &[String]) -> Vec<Subject> {
    let bootstrap = |label: String, name: &str, kind: Kind| Subject {
        label,
        name: name.to_owned(),
        kind,
        program: dir.join(name).join("bootstrap"),
        args: Vec::new(),
        extra_env: if kind == Kind::Hello { Vec::new() } else { function_env() },
    };
    let mut list = vec![bootstrap("hello (floor)".into(), "hello", Kind::Hello)];
    for &name in FUNCTIONS.iter().filter(|f| only.is_empty() || only.iter().any(|o| o == *f)) {
        let label = if name == WORKER { format!("{name} (batch of {WORKER_BATCH})") } else { name.into() };
        list.push(bootstrap(label, name, Kind::Function(name)));
    }
    let peers = Path::new("bench/peers");
    list.push(Subject {
        label: "Node.js 20 + SDK v3 (GetItem)".into(),
        name: "node-peer".into(),
        kind: Kind::Node,
        program: PathBuf::from(&setup.node),
        args: vec![peers.join("node/index.mjs").display().to_string()],
        extra_env: vec![("NODE_EXTRA_CA_CERTS".into(), setup.ca_bundle.clone())],
    });
    list.push(Subject {
        label: "Python 3.11 + boto3 (GetItem)".into(),
        name: "python-peer".into(),
        kind: Kind::Python,
        program: PathBuf::from(&setup.python),
        args: vec![peers.join("python/bootstrap.py").display().to_string()],
        extra_env: vec![("PYTHONPATH".into(), peers.join("python/.deps").display().to_string())],
    });
    list
}

/// Records in the worker's cold batch.
const WORKER_BATCH: usize = 10;

/// Event numbers, unique across the run (client addresses, idempotency keys).
struct Events {
    next: usize,
}

impl Events {
    async fn for_kind(&mut self, stack: &Stack, kind: Kind) -> Result<Value, Error> {
        self.next += WORKER_BATCH;
        match kind {
            Kind::Function(WORKER) => stack.fresh_worker_batch(WORKER_BATCH, self.next).await,
            Kind::Function(name) => Ok(stack.http_event(name, self.next)),
            _ => Ok(stack.hello_event()),
        }
    }
}

/// One cold start: full speed until the first poll, then `share`.
async fn cold(setup: &Setup, launch: &Launch, share: &CpuShare, event: &Value) -> Result<(f64, Timed), Error> {
    let process = Process::start_in(launch, share).await?;
    let polled = process.first_poll(INIT_TIMEOUT).await?;
    share.limit()?;
    process.invoke(event).await?;
    let answered = Instant::now();
    let spawned = process.spawned_at;
    process.stop().await;
    let response = Timed { total: ms(answered - spawned), emulator: setup.emulator_ms(spawned, answered) };
    Ok((ms(polled - spawned), response))
}

/// Median warm response under `share` over `count` requests after the first,
/// and the peak RSS after them.
async fn warm(
    setup: &Setup,
    subject: &Subject,
    launch: &Launch,
    stack: &Stack,
    share: &CpuShare,
    events: &mut Events,
    count: usize,
) -> Result<(Timed, f64), Error> {
    let process = Process::start_in(launch, share).await?;
    process.first_poll(INIT_TIMEOUT).await?;
    share.limit()?;
    process.invoke(&events.for_kind(stack, subject.kind).await?).await?;
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let event = events.for_kind(stack, subject.kind).await?;
        let started = Instant::now();
        process.invoke(&event).await?;
        let answered = Instant::now();
        times.push(Timed { total: ms(answered - started), emulator: setup.emulator_ms(started, answered) });
    }
    let rss = peak_rss_mb(process.pid());
    process.stop().await;
    let (total, own) = medians(&times);
    Ok((Timed { total, emulator: total - own }, rss))
}

/// A stack for a subject: writers their own, everyone else the shared one.
async fn stack_for(subject: &Subject, label: &str) -> Result<Option<Stack>, Error> {
    if !subject.kind.writes() {
        return Ok(None);
    }
    let tickets = if subject.kind == Kind::Function("reply") { REPLY_POOL } else { 0 };
    Ok(Some(Stack::start(label, tickets).await?))
}

pub async fn run() -> Result<(), Error> {
    let runs: usize = arg("--runs", "8").parse()?;
    let warm_count: usize = arg("--warm", "100").parse()?;
    let worker_warm: usize = arg("--worker-warm", "5").parse()?;
    let sizes: Vec<u32> = arg("--sizes", "128,256,1024").split(',').map(str::parse).collect::<Result<_, _>>()?;
    let only: Vec<String> = arg("--only", "").split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let dir = PathBuf::from(arg("--dir", "target/lambda"));
    let setup = Setup::from_env().await?;
    let load_before = load_average();
    let shared = Stack::start("reads", 1).await?;
    let subjects = subjects(&setup, &dir, &only);
    let mut own = Vec::new();
    for subject in &subjects {
        own.push(stack_for(subject, &subject.name).await?);
    }
    let shares = sizes.iter().map(|&mb| CpuShare::new(mb)).collect::<Result<Vec<_>, _>>()?;
    let mut events = Events { next: 0 };
    let mut measured: Vec<Measured> =
        subjects.iter().map(|_| Measured { responses: vec![Vec::new(); sizes.len()], ..Measured::default() }).collect();

    // Cold starts interleaved across subjects and sizes, so load changes hit all alike.
    for run in 0..runs {
        eprintln!("cold round {}/{runs} (load {})", run + 1, load_average());
        for (s, share) in shares.iter().enumerate() {
            for ((subject, m), stack) in subjects.iter().zip(measured.iter_mut()).zip(&own) {
                let stack = stack.as_ref().unwrap_or(&shared);
                let event = events.for_kind(stack, subject.kind).await?;
                let launch = subject.launch(&setup, stack);
                let (poll, response) =
                    cold(&setup, &launch, share, &event).await.map_err(|e| format!("{}: {e}", subject.label))?;
                m.polls.push(poll);
                m.responses[s].push(response);
            }
        }
    }
    let labels: Vec<&str> = subjects.iter().map(|s| s.label.as_str()).collect();
    let kinds: Vec<Kind> = subjects.iter().map(|s| s.kind).collect();
    eprintln!("{}", format_table(&labels, &kinds, &measured, &sizes));
    for share in &shares {
        for (subject, m) in subjects.iter().zip(measured.iter_mut()) {
            // A writer starts each size on a fresh stack, so the emulator's
            // per-transaction table copy does not grow through the run.
            let fresh = stack_for(subject, &format!("{}-{}mb", subject.name, share.memory_mb)).await?;
            let stack = fresh.as_ref().unwrap_or(&shared);
            let count = if subject.kind == Kind::Function(WORKER) { worker_warm } else { warm_count };
            let launch = subject.launch(&setup, stack);
            let (timed, rss) = warm(&setup, subject, &launch, stack, share, &mut events, count)
                .await
                .map_err(|e| format!("{}: {e}", subject.label))?;
            eprintln!(
                "{} at {} MB: warm {:.2} ms, {:.2} ms less the emulator",
                subject.label,
                share.memory_mb,
                timed.total,
                timed.own()
            );
            m.warm.push(timed);
            m.peak_rss_mb = m.peak_rss_mb.max(rss);
        }
    }
    drop(shares);

    let table = format_table(&labels, &kinds, &measured, &sizes);
    let conditions = format!(
        "Lambda-like: AWS over TLS (nginx in front of the emulator, {} worker process(es)), init at full speed, then the CPU share of each memory size (CFS quota). \
         Medians of {runs} cold starts per size, interleaved; warm = median of {warm_count} requests ({worker_warm} batches for the worker). \
         Functions' extra environment: {:?}. Load average before {load_before}, after {}.",
        std::env::var("BENCH_TLS_WORKERS").unwrap_or_else(|_| "?".into()),
        function_env(),
        load_average()
    );
    println!("{table}\n{conditions}");
    std::fs::write("target/bench.md", format!("{table}\n{conditions}\n"))?;
    Ok(())
}

fn format_table(labels: &[&str], kinds: &[Kind], measured: &[Measured], sizes: &[u32]) -> String {
    let hello = kinds.iter().position(|k| *k == Kind::Hello);
    let node = kinds.iter().position(|k| *k == Kind::Node);
    let first_response = |i: usize, s: usize| medians(&measured[i].responses[s]);
    let ratio =
        |value: f64, of: Option<f64>| of.map(|o| format!("{:.1}", value / o.max(f64::EPSILON))).unwrap_or_default();
    let over =
        |of: Option<f64>, value: f64| of.map(|o| format!("{:.1}", o / value.max(f64::EPSILON))).unwrap_or_default();
    let mut columns = vec!["function".to_owned(), "first poll, full speed".into(), "× hello".into()];
    for (s, mb) in sizes.iter().enumerate() {
        columns.push(format!("first response {mb} MB"));
        if s == 0 {
            columns.push("× hello".into());
        }
        columns.push("less emulator".into());
        if s == 0 {
            columns.extend(["× hello".into(), "Node.js ÷".into(), "Node.js ÷, less emulator".into()]);
        }
    }
    for (s, mb) in sizes.iter().enumerate() {
        columns.push(format!("warm {mb} MB"));
        if s == 0 {
            columns.push("× hello".into());
        }
        columns.push("less emulator".into());
        if s == 0 {
            columns.push("× hello".into());
        }
    }
    columns.push("peak RSS".into());
    let mut out = format!("| {} |\n|{}\n", columns.join(" | "), "---|".repeat(columns.len()));
    for (i, label) in labels.iter().enumerate() {
        let m = &measured[i];
        let poll = median(m.polls.clone());
        let mut cells = vec![
            (*label).to_owned(),
            format!("{poll:.2} ms"),
            ratio(poll, hello.map(|h| median(measured[h].polls.clone()))),
        ];
        for s in 0..sizes.len() {
            let (total, own) = first_response(i, s);
            cells.push(format!("{total:.1} ms"));
            if s == 0 {
                cells.push(ratio(total, hello.map(|h| first_response(h, 0).0)));
            }
            cells.push(format!("{own:.1} ms"));
            if s == 0 {
                cells.push(ratio(own, hello.map(|h| first_response(h, 0).1)));
                cells.push(over(node.map(|n| first_response(n, 0).0), total));
                cells.push(over(node.map(|n| first_response(n, 0).1), own));
            }
        }
        for (s, timed) in m.warm.iter().enumerate() {
            let hello_warm = hello.and_then(|h| measured[h].warm.first().copied());
            cells.push(format!("{:.2} ms", timed.total));
            if s == 0 {
                cells.push(ratio(timed.total, hello_warm.map(|h| h.total)));
            }
            cells.push(format!("{:.2} ms", timed.own()));
            if s == 0 {
                cells.push(ratio(timed.own(), hello_warm.map(Timed::own)));
            }
        }
        cells.push(format!("{:.1} MB", m.peak_rss_mb));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_ratios_against_hello_and_node_in_full_and_less_the_emulator() {
        let timed = |total: f64, emulator: f64| Timed { total, emulator };
        let sample = |poll: f64, response: Timed, warm: Timed| Measured {
            polls: vec![poll],
            responses: vec![vec![response], vec![timed(response.total / 2.0, 0.0)]],
            warm: vec![warm, warm],
            peak_rss_mb: 4.0,
        };
        let measured = [
            sample(2.0, timed(20.0, 0.0), timed(1.0, 0.0)),
            sample(4.0, timed(40.0, 20.0), timed(11.0, 9.0)),
            sample(100.0, timed(600.0, 10.0), timed(30.0, 2.0)),
        ];
        let table = format_table(
            &["hello", "submit", "node"],
            &[Kind::Hello, Kind::Function("submit"), Kind::Node],
            &measured,
            &[128, 1024],
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0].matches('|').count(), lines[3].matches('|').count());
        assert_eq!(lines[0].matches('|').count(), lines[1].matches('|').count());
        assert!(
            lines[3].starts_with(
                "| submit | 4.00 ms | 2.0 | 40.0 ms | 2.0 | 20.0 ms | 1.0 | 15.0 | 29.5 | 20.0 ms | 20.0 ms | 11.00 ms | 11.0 | 2.00 ms | 2.0 |"
            ),
            "{}",
            lines[3]
        );
        assert!(lines[3].ends_with("| 4.0 MB |"));
    }
}

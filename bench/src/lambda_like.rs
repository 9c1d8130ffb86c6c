//! The Lambda-like mode (the default): AWS behind TLS (nginx in front of the
//! emulator, a throwaway CA), init at full speed, and from the first poll on
//! the process held to a memory size's CPU share. Per function, beside the
//! lambda_http hello floor and the Node.js and Python peers: spawn → first
//! poll, spawn → first response, warm response (median), peak RSS.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
}

fn env_var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set; run `bash infra/bench.sh`").into())
}

impl Setup {
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
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
    responses: Vec<Vec<f64>>,
    warm: Vec<f64>,
    peak_rss_mb: f64,
}

fn subjects(setup: &Setup, dir: &Path, only: &[String]) -> Vec<Subject> {
    let bootstrap = |label: String, name: &str, kind: Kind| Subject {
        label,
        name: name.to_owned(),
        kind,
        program: dir.join(name).join("bootstrap"),
        args: Vec::new(),
        extra_env: Vec::new(),
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
async fn cold(launch: &Launch, share: &CpuShare, event: &Value) -> Result<(f64, f64), Error> {
    let process = Process::start(launch).await?;
    let polled = process.first_poll(INIT_TIMEOUT).await?;
    share.enter(process.pid())?;
    process.invoke(event).await?;
    let answered = Instant::now();
    let times = (ms(polled - process.spawned_at), ms(answered - process.spawned_at));
    process.stop().await;
    Ok(times)
}

/// Median warm response under `share` over `count` requests after the first,
/// and the peak RSS after them.
async fn warm(
    subject: &Subject,
    launch: &Launch,
    stack: &Stack,
    share: &CpuShare,
    events: &mut Events,
    count: usize,
) -> Result<(f64, f64), Error> {
    let process = Process::start(launch).await?;
    process.first_poll(INIT_TIMEOUT).await?;
    share.enter(process.pid())?;
    process.invoke(&events.for_kind(stack, subject.kind).await?).await?;
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let event = events.for_kind(stack, subject.kind).await?;
        let started = Instant::now();
        process.invoke(&event).await?;
        times.push(ms(started.elapsed()));
    }
    let rss = peak_rss_mb(process.pid());
    process.stop().await;
    Ok((median(times), rss))
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
    let setup = Setup::from_env()?;
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
                    cold(&launch, share, &event).await.map_err(|e| format!("{}: {e}", subject.label))?;
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
            let (median_ms, rss) = warm(subject, &launch, stack, share, &mut events, count)
                .await
                .map_err(|e| format!("{}: {e}", subject.label))?;
            eprintln!("{} at {} MB: warm {median_ms:.2} ms", subject.label, share.memory_mb);
            m.warm.push(median_ms);
            m.peak_rss_mb = m.peak_rss_mb.max(rss);
        }
    }
    drop(shares);

    let table = format_table(&labels, &kinds, &measured, &sizes);
    let conditions = format!(
        "Lambda-like: AWS over TLS (nginx in front of the emulator), init at full speed, then the CPU share of each memory size (CFS quota). \
         Medians of {runs} cold starts per size, interleaved; warm = median of {warm_count} requests ({worker_warm} batches for the worker). \
         Load average before {load_before}, after {}.",
        load_average()
    );
    println!("{table}\n{conditions}");
    std::fs::write("target/bench.md", format!("{table}\n{conditions}\n"))?;
    Ok(())
}

fn format_table(labels: &[&str], kinds: &[Kind], measured: &[Measured], sizes: &[u32]) -> String {
    let hello = kinds.iter().position(|k| *k == Kind::Hello);
    let node = kinds.iter().position(|k| *k == Kind::Node);
    let first_response = |i: usize, s: usize| median(measured[i].responses[s].clone());
    let ratio =
        |value: f64, of: Option<f64>| of.map(|o| format!("{:.1}", value / o.max(f64::EPSILON))).unwrap_or_default();
    let mut header = String::from("| function | first poll, full speed | × hello |");
    let mut rule = String::from("|---|---|---|");
    for (s, mb) in sizes.iter().enumerate() {
        header.push_str(&format!(" first response {mb} MB |"));
        rule.push_str("---|");
        if s == 0 {
            header.push_str(" × hello | Node.js ÷ |");
            rule.push_str("---|---|");
        }
    }
    for (s, mb) in sizes.iter().enumerate() {
        header.push_str(&format!(" warm {mb} MB |"));
        rule.push_str("---|");
        if s == 0 {
            header.push_str(" × hello |");
            rule.push_str("---|");
        }
    }
    header.push_str(" peak RSS |\n");
    rule.push_str("---|\n");
    let mut out = header + &rule;
    for (i, label) in labels.iter().enumerate() {
        let m = &measured[i];
        let poll = median(m.polls.clone());
        out.push_str(&format!(
            "| {label} | {poll:.2} ms | {} |",
            ratio(poll, hello.map(|h| median(measured[h].polls.clone())))
        ));
        for s in 0..sizes.len() {
            let value = first_response(i, s);
            out.push_str(&format!(" {value:.1} ms |"));
            if s == 0 {
                let node_over = node.map(|n| first_response(n, 0) / value.max(f64::EPSILON));
                out.push_str(&format!(
                    " {} | {} |",
                    ratio(value, hello.map(|h| first_response(h, 0))),
                    node_over.map(|r| format!("{r:.1}")).unwrap_or_default()
                ));
            }
        }
        for (s, value) in m.warm.iter().enumerate() {
            out.push_str(&format!(" {value:.2} ms |"));
            if s == 0 {
                out.push_str(&format!(" {} |", ratio(*value, hello.and_then(|h| measured[h].warm.first().copied()))));
            }
        }
        out.push_str(&format!(" {:.1} MB |\n", m.peak_rss_mb));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_ratios_against_hello_and_node() {
        let sample = |poll: f64, response: f64, warm: f64| Measured {
            polls: vec![poll],
            responses: vec![vec![response], vec![response / 2.0]],
            warm: vec![warm, warm / 2.0],
            peak_rss_mb: 4.0,
        };
        let measured = [sample(2.0, 20.0, 1.0), sample(4.0, 40.0, 1.5), sample(100.0, 600.0, 30.0)];
        let table = format_table(
            &["hello", "submit", "node"],
            &[Kind::Hello, Kind::Function("submit"), Kind::Node],
            &measured,
            &[128, 1024],
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0].matches('|').count(), lines[3].matches('|').count());
        assert!(
            lines[3].starts_with("| submit | 4.00 ms | 2.0 | 40.0 ms | 2.0 | 15.0 | 20.0 ms | 1.50 ms | 1.5 |"),
            "{}",
            lines[3]
        );
        assert!(lines[3].ends_with("| 4.0 MB |"));
    }
}

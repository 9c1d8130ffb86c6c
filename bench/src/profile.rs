//! The CPU profile (`bench callgrind`): a function's release bootstrap run
//! under valgrind's callgrind, whose instruction counts repeat exactly: to its
//! first poll only, then one request, then a few, then those plus `--warm` K
//! more. The differences give the instructions of init, of the first (cold)
//! request and of one warm request (the mean of K), and the functions that
//! cost a warm request the most (self cost, from callgrind_annotate).
//!
//!     bench callgrind [--functions submit,track] [--warm 20] [--dir target/lambda-profile] [--top 15]
//!                     [--polls 20] [--label NAME]
//!
//! Also times `--polls` cold starts to the first poll natively, and appends one
//! line per function (label, function, init, first request, warm instructions,
//! first poll ms) to `target/callgrind/summary.tsv`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::lambda_like::Setup;
use crate::process::{median, ms, Launch, Process};
use crate::stack::{Stack, WORKER};
use crate::{arg, Error};

/// Requests before the warm ones are counted.
const WARM_UP: usize = 3;

/// Valgrind runs the client about 50 times slower.
const INIT_TIMEOUT: Duration = Duration::from_secs(300);

/// Instructions (Ir) one callgrind run counted in total and per function (self cost).
struct Counts {
    total: u64,
    by_function: HashMap<String, u64>,
}

/// Parses `callgrind_annotate --inclusive=no --threshold=100` output.
fn parse_annotate(text: &str) -> Counts {
    let mut total = 0;
    let mut by_function = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((count, rest)) = line.split_once(' ') else { continue };
        let Ok(count) = count.replace(',', "").parse::<u64>() else { continue };
        // After the count: an optional "(12.3%)", then the function.
        let rest = rest.trim_start();
        let name = match rest.strip_prefix('(') {
            Some(after) => after.split_once(')').map(|(_, name)| name.trim()).unwrap_or(rest),
            None => rest,
        };
        if name.starts_with("PROGRAM TOTALS") {
            total = count;
        } else if !name.is_empty() {
            *by_function.entry(name.to_owned()).or_insert(0) += count;
        }
    }
    Counts { total, by_function }
}

fn annotate(file: &Path) -> Result<Counts, Error> {
    let out = std::process::Command::new("callgrind_annotate")
        .args(["--inclusive=no", "--threshold=100", "--auto=no"])
        .arg(file)
        .output()?;
    if !out.status.success() {
        return Err(format!("callgrind_annotate {} failed", file.display()).into());
    }
    Ok(parse_annotate(&String::from_utf8_lossy(&out.stdout)))
}

/// Runs `launch` under callgrind for `requests` requests and returns its counts.
async fn profiled(
    launch: &Launch,
    out: &Path,
    function: &str,
    requests: usize,
    stack: &Stack,
    next: &mut usize,
) -> Result<Counts, Error> {
    let mut args = vec![
        "--tool=callgrind".to_owned(),
        format!("--callgrind-out-file={}", out.display()),
        launch.program.display().to_string(),
    ];
    args.extend(launch.args.iter().cloned());
    let under = Launch { program: PathBuf::from("valgrind"), args, env: launch.env.clone() };
    let process = Process::start(&under).await?;
    process.first_poll(INIT_TIMEOUT).await?;
    for _ in 0..requests {
        *next += 10;
        let event = if function == WORKER {
            stack.fresh_worker_batch(1, *next).await?
        } else {
            stack.http_event(function, *next)
        };
        process.invoke(&event).await?;
    }
    process.terminate().await;
    annotate(out)
}

/// Median spawn → first poll at full speed, natively (not under valgrind).
async fn first_polls(launch: &Launch, runs: usize) -> Result<f64, Error> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let process = Process::start(launch).await?;
        let polled = process.first_poll(Duration::from_secs(10)).await?;
        times.push(ms(polled - process.spawned_at));
    }
    Ok(median(times))
}

pub async fn run() -> Result<(), Error> {
    let functions: Vec<String> = arg("--functions", "submit,track").split(',').map(str::to_owned).collect();
    let warm: usize = arg("--warm", "20").parse()?;
    let top: usize = arg("--top", "15").parse()?;
    let dir = PathBuf::from(arg("--dir", "target/lambda-profile"));
    let out_dir = PathBuf::from(arg("--out", "target/callgrind"));
    std::fs::create_dir_all(&out_dir)?;
    // Over TLS as on Lambda when infra/bench.sh set the front up, else plain HTTP.
    let setup = Setup::from_env().await.ok();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL must point at the emulator")?;
    let stack = Stack::start("all", crate::stack::REPLY_POOL).await?;
    let mut next = 1 << 21;
    let polls: usize = arg("--polls", "20").parse()?;
    let label = arg("--label", "current");
    let mut report = String::new();
    let mut summary = String::new();
    for function in &functions {
        let env = match &setup {
            Some(setup) => setup.tls_env(&stack, function),
            None => stack.env(&endpoint, function),
        };
        let launch = Launch::bootstrap(dir.join(function).join("bootstrap"), env);
        let file = |n: usize| out_dir.join(format!("{function}-{n}.out"));
        let init = profiled(&launch, &file(0), function, 0, &stack, &mut next).await?;
        let one = profiled(&launch, &file(1), function, 1, &stack, &mut next).await?;
        // Warm requests are counted from after WARM_UP requests, when work
        // init left running in the background (connections) is surely done.
        let settled = profiled(&launch, &file(WARM_UP), function, WARM_UP, &stack, &mut next).await?;
        let many = profiled(&launch, &file(WARM_UP + warm), function, WARM_UP + warm, &stack, &mut next).await?;
        let per_warm = (many.total.saturating_sub(settled.total)) as f64 / warm.max(1) as f64;
        let first_poll_ms = first_polls(&launch, polls).await?;
        summary.push_str(&format!(
            "{label}\t{function}\t{}\t{}\t{per_warm:.0}\t{first_poll_ms:.2}\n",
            init.total,
            one.total.saturating_sub(init.total)
        ));
        report.push_str(&format!(
            "## {function}\n\ninit to first poll: {} instructions; first request: {}; one warm request: {:.0} (mean of {warm})\n\n",
            init.total,
            one.total.saturating_sub(init.total),
            per_warm
        ));
        let mut rows: Vec<(String, f64)> = many
            .by_function
            .iter()
            .map(|(name, &count)| {
                let before = settled.by_function.get(name).copied().unwrap_or(0);
                (name.clone(), count.saturating_sub(before) as f64 / warm.max(1) as f64)
            })
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        report.push_str("| instructions per warm request | share | function |\n|---|---|---|\n");
        for (name, count) in rows.iter().take(top) {
            report.push_str(&format!("| {count:.0} | {:.1}% | `{name}` |\n", count / per_warm.max(1.0) * 100.0));
        }
        report.push('\n');
    }
    println!("{report}");
    std::fs::write(out_dir.join("report.md"), &report)?;
    // One line per function for comparing build settings (`infra/bench.sh variants`).
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(out_dir.join("summary.tsv"))?;
    std::io::Write::write_all(&mut file, summary.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_totals_and_self_costs() {
        let text = "\
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
12,345 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir              file:function
--------------------------------------------------------------------------------
5,000 (40.50%)  ???:memcpy [/usr/lib/libc.so.6]
1,234 ( 9.99%)  src/lib.rs:portal::web::submit::handle [bootstrap]
";
        let counts = parse_annotate(text);
        assert_eq!(counts.total, 12_345);
        assert_eq!(counts.by_function["???:memcpy [/usr/lib/libc.so.6]"], 5_000);
        assert_eq!(counts.by_function["src/lib.rs:portal::web::submit::handle [bootstrap]"], 1_234);
        assert_eq!(counts.by_function.len(), 2);
    }
}

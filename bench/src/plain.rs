//! The full-speed mode (`bench plain`): plain HTTP to the emulator, a whole
//! CPU. Per function, interleaved with the hello floor: cold start (to first
//! poll, to first response), peak RSS, CPU per warm request (from /proc),
//! sequential AWS round trips per request (counted from the calls a recording
//! proxy saw, not estimated) and bootstrap and zip sizes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use devserver::proxy::{sequential_round_trips, FaultProxy};
use serde_json::Value;

use crate::process::{clock_ticks_per_second, cpu_ticks, load_average, median_p90, ms, peak_rss_mb, Launch, Process};
use crate::stack::{Stack, FUNCTIONS};
use crate::{arg, Error};

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

async fn cold_start(launch: &Launch, event: &Value) -> Result<(f64, f64), Error> {
    let process = Process::start(launch).await?;
    let polled = process.first_poll(Duration::from_secs(10)).await?;
    process.invoke(event).await?;
    let answered = Instant::now();
    Ok((ms(polled - process.spawned_at), ms(answered - process.spawned_at)))
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0)
}

pub async fn run() -> Result<(), Error> {
    let runs: usize = arg("--runs", "30").parse()?;
    let warm: usize = arg("--warm", "100").parse()?;
    let cpu_invocations: usize = arg("--cpu", "1000").parse()?;
    let dir = PathBuf::from(arg("--dir", "target/lambda"));
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL must point at the emulator")?;
    let emulator = endpoint.trim_start_matches("http://").trim_end_matches('/').parse()?;
    let load_before = load_average();
    let stack = Stack::start("all", crate::stack::REPLY_POOL).await?;
    let proxy = FaultProxy::start(emulator).await?;
    let worker_event = stack.fresh_worker_batch(1, 1 << 20).await?;
    let event = |name: &str, i: usize| {
        if name == crate::stack::WORKER {
            worker_event.clone()
        } else {
            stack.http_event(name, i)
        }
    };

    let hello = dir.join("hello/bootstrap");
    let hello_launch = Launch::bootstrap(hello.clone(), stack.env(&endpoint, "hello"));
    let hello_event = stack.hello_event();
    let ticks = clock_ticks_per_second();
    let mut rows = Vec::new();
    let (mut floor_polls, mut floor_responses) = (Vec::new(), Vec::new());
    let mut invocation = 0usize;
    for &name in FUNCTIONS {
        let binary = dir.join(name).join("bootstrap");
        let direct = Launch::bootstrap(binary.clone(), stack.env(&endpoint, name));
        let (mut polls, mut responses, mut hello_polls, mut hello_responses) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            let (p, r) = cold_start(&hello_launch, &hello_event).await?;
            hello_polls.push(p);
            hello_responses.push(r);
            invocation += 1;
            let (p, r) = cold_start(&direct, &event(name, invocation)).await?;
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
        let process = Process::start(&Launch::bootstrap(binary.clone(), stack.env(&proxy.endpoint(), name))).await?;
        invocation += 1;
        process.invoke(&event(name, invocation)).await?;
        let before = proxy.calls().len();
        invocation += 1;
        let answer = process.invoke(&event(name, invocation)).await?;
        let calls = proxy.calls()[before..].to_vec();
        let status = serde_json::from_slice::<Value>(&answer).ok().and_then(|v| v["statusCode"].as_u64());
        eprintln!("{name}: warm answer status {status:?}, {} AWS calls", calls.len());
        for _ in 0..warm {
            invocation += 1;
            process.invoke(&event(name, invocation)).await?;
        }
        let peak_rss_mb = peak_rss_mb(process.pid());
        let cpu_before = cpu_ticks(process.pid());
        for _ in 0..cpu_invocations {
            invocation += 1;
            process.invoke(&event(name, invocation)).await?;
        }
        let cpu_us_per_request =
            (cpu_ticks(process.pid()) - cpu_before) as f64 / ticks * 1e6 / cpu_invocations.max(1) as f64;
        drop(process);

        rows.push(Row {
            name: name.into(),
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
    let hello_process = Process::start(&hello_launch).await?;
    for _ in 0..warm {
        hello_process.invoke(&hello_event).await?;
    }
    let floor = Row {
        name: "hello (floor)".into(),
        poll_median_ms,
        poll_p90_ms,
        poll_ratio: 1.0,
        response_median_ms,
        response_p90_ms,
        response_ratio: 1.0,
        peak_rss_mb: peak_rss_mb(hello_process.pid()),
        bootstrap_mb: file_mb(&hello),
        zip_mb: file_mb(&hello.with_file_name("bootstrap.zip")),
        ..Row::default()
    };
    rows.insert(0, floor);
    let table = format_table(&rows);
    let conditions = format!(
        "Full speed, plain HTTP to the emulator. {runs} cold starts per function interleaved with the floor; RSS after a cold start + {warm} warm requests; CPU over {cpu_invocations} warm requests. Load average before {load_before}, after {}.",
        load_average()
    );
    println!("{table}\n{conditions}");
    std::fs::write("target/bench-plain.md", format!("{table}\n{conditions}\n"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

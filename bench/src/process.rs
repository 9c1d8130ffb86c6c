//! A function under test as a process: started under its own Runtime API
//! emulator, invoked, and observed through /proc.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use devserver::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::cgroup::CpuShare;
use crate::Error;

/// How long an invocation may take before the benchmark gives up on it.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(120);

/// What to start: a release bootstrap, or an interpreter with its script.
#[derive(Clone, Debug)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Launch {
    pub fn bootstrap(program: PathBuf, env: Vec<(String, String)>) -> Self {
        Self { program, args: Vec::new(), env }
    }
}

pub struct Process {
    child: tokio::process::Child,
    pub api: RuntimeApi,
    pub spawned_at: Instant,
}

impl Process {
    /// `program args…` with `launch`'s environment only and the Runtime API's address.
    fn command(launch: &Launch, api: &RuntimeApi, program: &std::path::Path) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(program);
        command
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.endpoint())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        command
    }

    fn spawn(launch: &Launch, command: &mut tokio::process::Command) -> Result<tokio::process::Child, Error> {
        command.spawn().map_err(|e| format!("cannot start {}: {e}", launch.program.display()).into())
    }

    pub async fn start(launch: &Launch) -> Result<Self, Error> {
        let api = RuntimeApi::start().await?;
        let spawned_at = Instant::now();
        let child = Self::spawn(launch, Self::command(launch, &api, &launch.program).args(&launch.args))?;
        Ok(Self { child, api, spawned_at })
    }

    /// Starts `launch` inside `share` at full speed: a shell waits in the
    /// share (moved there untimed) and execs the program on a signal from
    /// here, so the program is born inside it. The clock starts at the signal.
    /// Call [`CpuShare::limit`] at the first poll.
    pub async fn start_in(launch: &Launch, share: &CpuShare) -> Result<Self, Error> {
        share.lift()?;
        let api = RuntimeApi::start().await?;
        let mut command = Self::command(launch, &api, std::path::Path::new("/bin/sh"));
        command.args(["-c", r#"read -r _ && exec "$@""#, "sh"]).arg(&launch.program).args(&launch.args);
        let mut child = Self::spawn(launch, command.stdin(Stdio::piped()))?;
        share.enter(child.id().ok_or("the launcher exited at once")?)?;
        let mut go = child.stdin.take().ok_or("no pipe to the launcher")?;
        let spawned_at = Instant::now();
        go.write_all(b"\n").await?;
        drop(go);
        Ok(Self { child, api, spawned_at })
    }

    /// When the process first asked for an event: its init is over.
    pub async fn first_poll(&self, timeout: Duration) -> Result<Instant, Error> {
        match self.api.wait_first_poll(timeout).await {
            Some(at) => Ok(at),
            None => Err(format!("never polled; init error: {:?}", self.api.init_error()).into()),
        }
    }

    pub async fn invoke(&self, event: &Value) -> Result<Vec<u8>, Error> {
        match self.api.invoke(event.to_string().as_bytes(), INVOKE_TIMEOUT).await? {
            Outcome::Response(body) => Ok(body),
            Outcome::Error(body) => Err(format!("function error: {}", String::from_utf8_lossy(&body)).into()),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Kills the process and waits until it is gone (so its cgroup can be removed).
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    /// Ends the process with SIGTERM and waits for it (callgrind writes its
    /// profile on the way out; SIGKILL would lose it).
    pub async fn terminate(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await;
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn proc_field(pid: u32, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()
}

/// Peak resident memory so far, in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    proc_field(pid, "status")
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// User and system CPU time of a process, in clock ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTicks {
    pub user: u64,
    pub system: u64,
}

impl std::ops::Sub for CpuTicks {
    type Output = Self;
    fn sub(self, earlier: Self) -> Self {
        Self { user: self.user - earlier.user, system: self.system - earlier.system }
    }
}

pub fn cpu_ticks_split(pid: u32) -> CpuTicks {
    proc_field(pid, "stat")
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.to_owned()))
        .map(|rest| {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // After the command name: state is field 3, utime 14, stime 15 (1-based).
            let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            CpuTicks { user: field(14), system: field(15) }
        })
        .unwrap_or_default()
}

/// User + system CPU time of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let ticks = cpu_ticks_split(pid);
    ticks.user + ticks.system
}

pub fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The machine's load averages, for the record (other work skews wall-clock times).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn median_p90(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

pub fn median(values: Vec<f64>) -> f64 {
    median_p90(values).0
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
}

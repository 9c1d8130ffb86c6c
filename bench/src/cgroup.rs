//! A Lambda memory size's share of a vCPU, enforced with the CFS quota through
//! the cgroup filesystem (needs root). Lambda gives one vCPU at 1,769 MB and
//! CPU in proportion below that, so 128 MB gets about 7.2 ms per 100 ms.
//!
//! Supports cgroup v1 (`cpu/…/cpu.cfs_quota_us`) and v2 (`…/cpu.max`).
//!
//! A process enters its share before it starts, with the quota lifted (init
//! runs at full speed), and the quota is set at its first poll: setting a
//! quota takes a fraction of a millisecond, moving a running process into a
//! cgroup about 10 ms here (the kernel waits for an RCU grace period), which
//! would count in its first response. Lambda moves nothing either: the
//! sandbox exists before the runtime starts.

use std::path::{Path, PathBuf};

use crate::Error;

/// Memory size that buys one full vCPU on Lambda.
pub const MB_PER_VCPU: f64 = 1769.0;
/// The CFS period the quota is measured in.
const PERIOD_US: u64 = 100_000;
/// The kernel's smallest accepted quota.
const MIN_QUOTA_US: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// One cgroup holding processes to `memory_mb`'s CPU share; removed on drop.
pub struct CpuShare {
    pub memory_mb: u32,
    dir: PathBuf,
    version: Version,
}

/// CPU microseconds per period for a memory size.
pub fn quota_us(memory_mb: u32) -> u64 {
    ((f64::from(memory_mb) / MB_PER_VCPU * PERIOD_US as f64).round() as u64).clamp(MIN_QUOTA_US, PERIOD_US)
}

fn detect(root: &Path) -> Option<(Version, PathBuf)> {
    let v1 = root.join("cpu");
    if v1.join("cpu.cfs_quota_us").exists() {
        return Some((Version::V1, v1));
    }
    let controllers = std::fs::read_to_string(root.join("cgroup.controllers")).ok()?;
    controllers.split_whitespace().any(|c| c == "cpu").then(|| (Version::V2, root.to_path_buf()))
}

impl CpuShare {
    pub fn new(memory_mb: u32) -> Result<Self, Error> {
        let (version, parent) = detect(Path::new("/sys/fs/cgroup"))
            .ok_or("no CPU controller under /sys/fs/cgroup (neither cgroup v1 cpu nor v2 cpu.max)")?;
        let dir = parent.join(format!("portal-bench-{}-{memory_mb}mb", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {} (run as root): {e}", dir.display()))?;
        let share = Self { memory_mb, dir, version };
        match version {
            Version::V1 => share.write("cpu.cfs_period_us", PERIOD_US.to_string())?,
            // The cpu controller must be enabled for children of the parent.
            Version::V2 => drop(std::fs::write(parent.join("cgroup.subtree_control"), "+cpu")),
        }
        share.limit()?;
        Ok(share)
    }

    fn write(&self, file: &str, value: String) -> Result<(), Error> {
        std::fs::write(self.dir.join(file), value).map_err(|e| format!("cannot write {file}: {e}").into())
    }

    /// Holds the processes inside to the memory size's share.
    pub fn limit(&self) -> Result<(), Error> {
        self.set_quota(Some(quota_us(self.memory_mb)))
    }

    /// Lets the processes inside run at full speed (init, before the first poll).
    pub fn lift(&self) -> Result<(), Error> {
        self.set_quota(None)
    }

    fn set_quota(&self, quota: Option<u64>) -> Result<(), Error> {
        match (self.version, quota) {
            (Version::V1, Some(us)) => self.write("cpu.cfs_quota_us", us.to_string()),
            (Version::V1, None) => self.write("cpu.cfs_quota_us", "-1".into()),
            (Version::V2, Some(us)) => self.write("cpu.max", format!("{us} {PERIOD_US}")),
            (Version::V2, None) => self.write("cpu.max", format!("max {PERIOD_US}")),
        }
    }

    /// Moves a whole process (every thread) into this share.
    pub fn enter(&self, pid: u32) -> Result<(), Error> {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string())
            .map_err(|e| format!("cannot move {pid} into {}: {e}", self.dir.display()).into())
    }
}

impl Drop for CpuShare {
    fn drop(&mut self) {
        // Only an empty cgroup can be removed: give exiting processes a moment.
        for _ in 0..100 {
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_follows_memory() {
        assert_eq!(quota_us(128), 7_236);
        assert_eq!(quota_us(1024), 57_886);
        assert_eq!(quota_us(1769), PERIOD_US);
        assert_eq!(quota_us(10_240), PERIOD_US);
        assert_eq!(quota_us(1), MIN_QUOTA_US);
    }
}

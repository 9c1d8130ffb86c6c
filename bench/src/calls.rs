//! Client CPU per AWS call, in this process at full speed over plain HTTP:
//! one DynamoDB read through the SDK, and one S3 read two ways, through S3's
//! SDK client and as a GET signed with `aws-sigv4` on the same HTTP client
//! (`s3_get`, as the inbound-email function reads). The emulator runs in its
//! own process, so this process's CPU is the client's alone. What one call
//! costs the client decides how far CPU per warm request is from its bar
//! (docs/PERFORMANCE.md, "Open").

use std::future::Future;
use std::time::Instant;

use portal::aws::AwsClients;
use portal::domain::mail_in::SesMessageId;
use portal::mail_in;

use crate::process::{clock_ticks_per_second, cpu_ticks_split, load_average, ms};
use crate::stack::Stack;
use crate::{arg, Error};

/// Calls made before counting: connections open, lazily built state built.
const WARM_UP: usize = 50;
/// About a received message's size.
const OBJECT_BYTES: usize = 2048;
const MESSAGE_ID: &str = "bench-calls-message";

pub struct Row {
    pub call: &'static str,
    /// Client CPU per call, in user space and in the kernel (its sockets).
    pub user_us: f64,
    pub system_us: f64,
    pub wall_ms: f64,
}

pub fn format_table(rows: &[Row], calls: usize) -> String {
    let mut out = format!(
        "| call ({calls} sequential, after {WARM_UP}) | client CPU per call | of it user | of it kernel | wall per call |\n|---|---|---|---|---|\n"
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.0} µs | {:.0} µs | {:.0} µs | {:.2} ms |\n",
            row.call,
            row.user_us + row.system_us,
            row.user_us,
            row.system_us,
            row.wall_ms
        ));
    }
    out
}

/// This process's CPU per call and the wall time per call, over `calls` calls.
async fn measure<F, Fut>(call: &'static str, calls: usize, mut once: F) -> Result<Row, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    for _ in 0..WARM_UP {
        once().await?;
    }
    let (pid, ticks_per_second) = (std::process::id(), clock_ticks_per_second());
    let (before, started) = (cpu_ticks_split(pid), Instant::now());
    for _ in 0..calls {
        once().await?;
    }
    let wall = started.elapsed();
    let spent = cpu_ticks_split(pid) - before;
    let per_call_us = |ticks: u64| ticks as f64 / ticks_per_second * 1e6 / calls as f64;
    Ok(Row {
        call,
        user_us: per_call_us(spent.user),
        system_us: per_call_us(spent.system),
        wall_ms: ms(wall) / calls as f64,
    })
}

pub async fn run() -> Result<(), Error> {
    let calls: usize = arg("--calls", "2000").parse()?;
    let load_before = load_average();
    let stack = Stack::start("calls", 0).await?;
    let clients = AwsClients::from_env().await?;
    let (s3, objects) = match (&clients.s3, &clients.objects) {
        (Some(s3), Some(objects)) => (s3, objects),
        _ => return Err("AwsClients::from_env builds every client".into()),
    };
    let bucket = stack.inbound_bucket();
    let id = SesMessageId::parse(MESSAGE_ID).ok_or("message id")?;
    mail_in::store(s3, bucket, &id, vec![b'x'; OBJECT_BYTES]).await?;
    let key = mail_in::object_key(&id);
    let (portal, demo, key) = (stack.portal(), stack.demo(), key.as_str());

    let rows = vec![
        measure("DynamoDB GetItem, aws-sdk-dynamodb (the workspace item)", calls, || async move {
            portal.workspace(demo).await?.map(|_| ()).ok_or_else(|| "no demo workspace".into())
        })
        .await?,
        measure("S3 GetObject, aws-sdk-s3", calls, || async move {
            let body = s3.get_object().bucket(bucket).key(key).send().await?.body.collect().await?;
            (body.into_bytes().len() == OBJECT_BYTES).then_some(()).ok_or_else(|| "short object".into())
        })
        .await?,
        measure("S3 GetObject, aws-sigv4 on the functions' HTTP client (s3_get)", calls, || async move {
            match objects.get(bucket, key, OBJECT_BYTES).await? {
                portal::aws::s3_get::Object::Bytes(bytes) if bytes.len() == OBJECT_BYTES => Ok(()),
                other => Err(format!("unexpected read: {other:?}").into()),
            }
        })
        .await?,
    ];
    let table = format_table(&rows, calls);
    let notes = format!(
        "Full speed, plain HTTP to the emulator, this process's /proc ticks. Load average before {load_before}, after {}.\n",
        load_average()
    );
    print!("{table}\n{notes}");
    std::fs::create_dir_all("target")?;
    std::fs::write("target/bench-calls.md", format!("{table}\n{notes}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_a_row_per_call() {
        let rows = [Row { call: "GetItem", user_us: 300.4, system_us: 112.2, wall_ms: 3.456 }];
        let table = format_table(&rows, 10);
        assert!(table.contains("| GetItem | 413 µs | 300 µs | 112 µs | 3.46 ms |"), "{table}");
        assert_eq!(table.lines().count(), 3);
    }
}

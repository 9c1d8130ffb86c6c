//! A function started without its rate-limit salt refuses to start and says
//! which variable to set (every HTTP function shares this `main`).

use std::process::Command;

fn started_with(salt: Option<&str>) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_track"));
    command
        .env_clear()
        .env("PORTAL_TABLE", "t")
        .env("RATE_LIMIT_TABLE", "r")
        .env("EVENTS_QUEUE_URL", "http://127.0.0.1:9/q")
        .env("PORTAL_BASE_URL", "http://127.0.0.1:3000")
        .env("AWS_REGION", "us-east-1");
    if let Some(salt) = salt {
        command.env("RATE_LIMIT_SALT", salt);
    }
    let out = command.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn without_rate_limit_salt_the_function_does_not_start() {
    let (code, stderr) = started_with(None);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("RATE_LIMIT_SALT"), "{stderr}");
}

#[test]
fn a_short_salt_is_refused_without_being_shown() {
    let (code, stderr) = started_with(Some("customer-portal"));
    assert_ne!(code, Some(0));
    assert!(stderr.contains("RATE_LIMIT_SALT must be at least 32 characters"), "{stderr}");
    assert!(!stderr.contains("customer-portal"), "{stderr}");
}

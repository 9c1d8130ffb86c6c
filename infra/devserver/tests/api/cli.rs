//! The real binary: help on every command, configuration errors, exit codes
//! and JSON output, against a stack on the emulator.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use portal::aws::AwsClients;
use portal::provision::{provision, StackNames};

fn portalctl() -> Command {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    Command::new(BINARY.get_or_init(portalctl_binary))
}

/// The real portalctl binary, up to date. Cargo names a binary only to its own
/// package's tests (`CARGO_BIN_EXE_portalctl`), so this test asks the cargo that
/// runs it to build the workspace into this binary's target directory and finds
/// portalctl there: `target/<profile>/deps/api-<hash>` sits beside
/// `target/<profile>/portalctl`. The whole workspace with every target, as
/// `make test` builds it first, so that the features are the same and this is a
/// no-op there (`-p portalctl` alone resolves other features: a second build of
/// the AWS SDK).
///
/// `make test` builds the workspace before any test (and says so): then there
/// is nothing to build. Otherwise the build runs without the package variables
/// cargo gives this test (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...): build
/// scripts that watch them (ring's) would see another environment and rebuild
/// the tree, relinking the test binaries while they run.
fn portalctl_binary() -> PathBuf {
    let me = std::env::current_exe().unwrap();
    let profile_dir = me.parent().and_then(|deps| deps.parent()).unwrap().to_owned();
    let binary = profile_dir.join("portalctl");
    if std::env::var_os("PORTAL_WORKSPACE_BUILT").is_some() && binary.is_file() {
        return binary;
    }
    let target_dir = profile_dir.parent().unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let given_to_tests =
            ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_", "CARGO_TARGET_TMPDIR"]
                .iter()
                .any(|prefix| name.starts_with(prefix));
        if given_to_tests || name == "OUT_DIR" {
            build.env_remove(name.as_ref());
        }
    }
    build.args(["build", "--quiet", "--workspace", "--all-targets", "--target-dir"]).arg(target_dir);
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    let built = build.current_dir(env!("CARGO_MANIFEST_DIR")).status().unwrap();
    assert!(built.success(), "cargo could not build portalctl");
    assert!(binary.is_file(), "no {}", binary.display());
    binary
}

#[test]
fn every_command_has_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["workspace"],
        &["workspace", "create"],
        &["workspace", "update"],
        &["workspace", "show"],
        &["agent", "add"],
        &["agent", "availability"],
        &["ticket", "list"],
        &["ticket", "show"],
        &["ticket", "comment"],
        &["ticket", "status"],
        &["ticket", "resolve"],
        &["ticket", "assign"],
        &["inbox"],
        &["csat", "report"],
    ];
    for args in commands {
        let out = portalctl().args(*args).arg("--help").output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: portalctl"), "{args:?}");
    }
    let bad = portalctl().args(["ticket", "frobnicate"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn without_a_stack_it_says_what_to_do() {
    let out = portalctl()
        .args(["ticket", "list", "demo"])
        .current_dir(std::env::temp_dir())
        .env_remove("PORTAL_TABLE")
        .env_remove("RATE_LIMIT_TABLE")
        .env_remove("EVENTS_QUEUE_URL")
        .env_remove("PORTAL_BASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PORTAL_TABLE") && err.contains("make run"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_json_against_a_real_stack() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("run with `make test` (AWS_ENDPOINT_URL)");
    let clients = AwsClients::from_env().await.unwrap();
    let names = StackNames::with_prefix(&format!("cli{}-", std::process::id()));
    let stack = provision(&clients, &names, "support@portal.example", 2).await.unwrap();
    let run = |args: &[&str]| {
        portalctl()
            .args(args)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("PORTAL_TABLE", &names.table)
            .env("RATE_LIMIT_TABLE", &names.rate_limit_table)
            .env("EVENTS_QUEUE_URL", &stack.queue_url)
            .env("PORTAL_BASE_URL", "http://127.0.0.1:3000")
            // Operators' commands limit nothing: portalctl needs no salt.
            .env_remove("RATE_LIMIT_SALT")
            .output()
            .unwrap()
    };
    let created = run(&["--json", "workspace", "create", "shop", "--name", "Shop"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let json: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(json["portalUrl"], "http://127.0.0.1:3000/portal/shop/submit");
    assert_eq!(json["tracking"], "email", "the spec's flow by default");
    let linked = run(&["--json", "workspace", "update", "shop", "--tracking", "link"]);
    assert!(linked.status.success(), "{}", String::from_utf8_lossy(&linked.stderr));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&linked.stdout).unwrap()["tracking"], "link");
    assert!(String::from_utf8_lossy(&run(&["workspace", "show", "shop"]).stdout).contains("Tracking:        link"));
    assert_eq!(run(&["workspace", "update", "shop", "--tracking", "magic"]).status.code(), Some(2));
    let listed = run(&["--json", "ticket", "list", "shop"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&listed.stdout).unwrap(), serde_json::json!([]));
    assert_eq!(run(&["ticket", "show", "shop", "TKT-0001"]).status.code(), Some(3));
    assert_eq!(run(&["workspace", "show", "nowhere"]).status.code(), Some(3));
    assert_eq!(run(&["workspace", "show", "Bad/Slug"]).status.code(), Some(2));
    let human = run(&["workspace", "show", "shop"]);
    assert!(String::from_utf8_lossy(&human.stdout)
        .contains("Portal link to share: http://127.0.0.1:3000/portal/shop/submit"));
}

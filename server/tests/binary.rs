//! The `server` binary itself: `--help` documents every variable, it starts on a random port
//! from the environment, serves, and shuts down cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The binary with an empty environment: a variable set in the shell that runs the tests
/// (`REDIS_URL`, `TAX_RATE`, `RUST_LOG`, ...) must not change what a test checks. Each test sets
/// what it needs.
fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.env_clear();
    command
}

#[test]
fn help_lists_every_environment_variable() {
    let output = server().arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for var in [
        "PORT",
        "HOST",
        "PUBLIC_BASE_URL",
        "UNWRANGLE_API_KEY",
        "REDIS_URL",
        "SESSION_TTL_SECS",
        "ALLOWED_ORIGINS",
        "TAX_RATE",
        "LOG_FORMAT",
        "ACCOUNTS_FILE",
    ] {
        assert!(help.contains(&format!("[env: {var}")), "--help lacks {var}:\n{help}");
    }
}

#[test]
fn bad_configuration_fails_fast_with_a_message() {
    let output = server().env("TAX_RATE", "lots").output().expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a percentage"));
}

#[tokio::test]
async fn starts_serves_and_stops_on_sigterm() {
    let mut child = server()
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut addr_tx = Some(addr_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            // Other lines (e.g. which widget templates are served) come first.
            if let Some(addr) = event["addr"].as_str()
                && let Some(tx) = addr_tx.take()
            {
                let _ = tx.send(addr.to_owned());
            }
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(30), addr_rx).await.expect("listens in time").expect("address");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let health = reqwest::get(format!("http://{addr}/healthz")).await.expect("answers");
    assert_eq!(health.status(), 200);

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs").success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("joined").expect("exit status");
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

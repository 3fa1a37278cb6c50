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
        "DEMO_ACCOUNTS",
        "REDIS_TLS_INSECURE",
        "REDIS_TLS_CA_FILE",
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

#[test]
fn a_public_bind_without_a_public_url_refuses_to_start_and_says_what_to_set() {
    let output = server()
        .env("HOST", "0.0.0.0")
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .output()
        .expect("runs");
    assert!(!output.status.success(), "it must not serve");
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("cannot start") && log.contains("set PUBLIC_BASE_URL"), "{log}");
}

/// Starts the binary on a free port with `env`; returns it, its address and its JSON log lines
/// (as they come).
async fn spawn(env: &[(&str, &str)]) -> (std::process::Child, String, std::sync::mpsc::Receiver<serde_json::Value>) {
    let mut command = server();
    command.env("PORT", "0").env("LOG_FORMAT", "json").env("RUST_LOG", "info");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
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
            let _ = lines_tx.send(event);
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(30), addr_rx).await.expect("listens in time").expect("address");
    let _ = rustls::crypto::ring::default_provider().install_default();
    (child, addr, lines_rx)
}

#[tokio::test]
async fn starts_serves_and_stops_on_sigterm() {
    let (mut child, addr, _lines) = spawn(&[]).await;
    let health = reqwest::get(format!("http://{addr}/healthz")).await.expect("answers");
    assert_eq!(health.status(), 200);
    // The container image's HEALTHCHECK: the healthcheck binary with the server's PORT.
    let port = addr.rsplit(':').next().expect("a port").to_owned();
    let healthcheck = || Command::new(env!("CARGO_BIN_EXE_healthcheck")).env("PORT", &port).output().expect("runs");
    let healthy = healthcheck();
    assert!(healthy.status.success(), "{}", String::from_utf8_lossy(&healthy.stderr));

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs").success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("joined").expect("exit status");
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let stopped = healthcheck();
    assert!(!stopped.status.success(), "a stopped server is unhealthy");
    assert!(String::from_utf8_lossy(&stopped.stderr).contains("cannot connect"));
}

fn tool_call(id: u32, tool: &str, arguments: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

/// The value of the first sample of `name` whose labels include every one of `labels`.
fn sample(metrics: &str, name: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_a_scripted_session_and_need_the_token() {
    let token = "metrics-test-token-1";
    let (mut child, addr, _lines) = spawn(&[
        ("METRICS_TOKEN", token),
        ("RATE_LIMIT_PER_SEC", "1"),
        ("RATE_LIMIT_BURST", "12"),
        ("MCP_MAX_BODY_BYTES", "4096"),
    ])
    .await;
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mcp = format!("{base}/mcp/all");
    let post = |body: serde_json::Value| {
        client.post(&mcp).header("Accept", "application/json, text/event-stream").json(&body).send()
    };

    assert_eq!(client.get(format!("{base}/metrics")).send().await.expect("sent").status(), 401);
    let wrong = client.get(format!("{base}/metrics")).bearer_auth("nope").send().await.expect("sent");
    assert_eq!(wrong.status(), 401);

    // A scripted session: a session, two searches, one add of an unknown product (a tool error).
    let created: serde_json::Value = post(tool_call(1, "create-target-session", serde_json::json!({})))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let sid = created["result"]["structuredContent"]["sessionId"].as_str().expect("a session id").to_owned();
    for n in 0..2 {
        let found =
            post(tool_call(2 + n, "search-target-products", serde_json::json!({"query": "lamp", "sessionId": sid})));
        assert_eq!(found.await.expect("sent").status(), 200);
    }
    let bad = post(tool_call(9, "add-to-cart", serde_json::json!({"sessionId": sid, "productId": "99999999"})));
    let bad: serde_json::Value = bad.await.expect("sent").json().await.expect("json");
    assert_eq!(bad["result"]["isError"], true, "{bad}");
    // One body over the limit, then requests until the rate limit answers.
    let big = client.post(&mcp).header("content-type", "application/json").body(vec![b' '; 8192]).send();
    assert_eq!(big.await.expect("sent").status(), 413);
    let mut limited = 0;
    for n in 0..40 {
        let status =
            post(serde_json::json!({"jsonrpc": "2.0", "id": 100 + n, "method": "ping"})).await.expect("sent").status();
        if status == 429 {
            limited += 1;
        }
    }
    assert!(limited > 0, "the rate limit answered 429 at least once");

    let scrape = client.get(format!("{base}/metrics")).bearer_auth(token).send().await.expect("sent");
    assert_eq!(scrape.status(), 200);
    let metrics = scrape.text().await.expect("text");
    let count = |name: &str, labels: &[&str]| {
        sample(&metrics, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{metrics}"))
    };
    assert_eq!(count("mcp_tool_calls_total", &["tool=\"search-target-products\"", "outcome=\"ok\""]), 2.0);
    assert_eq!(count("mcp_tool_calls_total", &["tool=\"create-target-session\"", "outcome=\"ok\""]), 1.0);
    assert_eq!(count("mcp_tool_calls_total", &["tool=\"add-to-cart\"", "outcome=\"tool_error\""]), 1.0);
    assert_eq!(count("mcp_tool_call_duration_seconds_count", &["tool=\"search-target-products\""]), 2.0);
    assert_eq!(count("http_requests_total", &["status=\"413\""]), 1.0);
    assert_eq!(count("http_requests_total", &["status=\"429\""]), f64::from(limited));
    assert_eq!(count("http_requests_total", &["status=\"401\""]), 2.0);
    assert!(count("http_request_duration_seconds_count", &[]) >= 10.0);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn request_ids_are_in_the_answer_and_in_the_access_log_line() {
    let (mut child, addr, lines) = spawn(&[]).await;
    let client = reqwest::Client::new();
    let given = client
        .post(format!("http://{addr}/api/session/signout"))
        .header("x-request-id", "trace-abc-123")
        .json(&serde_json::json!({"sessionId": "not-a-session"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(given.headers()["x-request-id"], "trace-abc-123");
    assert!(given.status().is_client_error());
    let body: serde_json::Value = given.json().await.expect("json error");
    assert_eq!(body["requestId"], "trace-abc-123", "the error answer names the request: {body}");

    let fresh = client.get(format!("http://{addr}/healthz")).send().await.expect("sent");
    let generated = fresh.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert_eq!(generated.len(), 16, "a generated id: {generated}");

    // Each request's access log line carries its id, method, path, status, latency and client.
    // SIGTERM: a graceful stop flushes the log; the lines end when its output closes.
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs").success());
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let logged: Vec<serde_json::Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    for (id, path) in [("trace-abc-123", "/api/session/signout"), (generated.as_str(), "/healthz")] {
        let line = logged
            .iter()
            .find(|l| l["span"]["id"] == id || l["spans"].to_string().contains(id))
            .unwrap_or_else(|| panic!("no access line with id {id} in {logged:#?}"));
        assert_eq!(line["path"], path);
        assert!(line["status"].is_u64() && line["latency_ms"].is_f64() && line["client"] == "127.0.0.1", "{line}");
    }
}

//! `cargo xtask budget`: the size budget of the widget templates, measured the way a host sees
//! them. Builds the server with the templates of `cargo xtask widgets` embedded (debug, as the
//! tests build it; with `--release`, as `scripts/run.sh` does), starts it on a free port, lists
//! the templates with `resources/list`, reads each with `resources/read` over MCP
//! (`POST /mcp/all`), checks they are exactly the built files, and fails if any whole response
//! body is over the limit (default 300 KB; ChatGPT has failed to fetch a 926 KB template).
//! Prints a table and writes it to `<widgets dir>/budget.md` for the README.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::{Error, Project, read, run_checked, write};

/// The default limit of one `resources/read` response body, in bytes.
const DEFAULT_LIMIT: usize = 300_000;
/// How long the server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One measured template.
struct Row {
    widget: String,
    template: usize,
    response: usize,
}

pub fn run(project: &Project, args: &[String]) -> Result<(), Error> {
    let release = args.iter().any(|a| a == "--release");
    let limit = match args.iter().position(|a| a == "--limit-kb") {
        Some(i) => args.get(i + 1).and_then(|n| n.parse::<usize>().ok()).ok_or("--limit-kb needs a number")? * 1000,
        None => DEFAULT_LIMIT,
    };
    let manifest_path = project.widgets_dir.join("manifest.json");
    if !manifest_path.exists() {
        return Err(format!("{} is missing: run `cargo xtask widgets` first", manifest_path.display()).into());
    }
    let manifest: Value = serde_json::from_slice(&read(&manifest_path)?)?;

    // The debug binary is the one `cargo test --workspace` builds (same features, so right after
    // the tests this is a no-op; `cargo build -p server` would resolve other features and compile
    // the dependencies again); the release one is the one `scripts/run.sh` builds. WIDGETS_DIR,
    // if set, reaches the server's build script from our own environment.
    let mut build = project.cargo();
    if release {
        build.args(["build", "--release", "-p", "server", "--bin", "server"]);
    } else {
        build.args(["test", "--workspace", "--no-run"]);
    }
    run_checked(build.args(&project.cargo_flags))?;
    let binary = project.target.join(if release { "release" } else { "debug" }).join("server");
    let server = Server::start(&binary)?;

    let list = rpc(&server.addr, "resources/list", json!({}))?.1;
    let resources = list["result"]["resources"].as_array().ok_or_else(|| format!("no resources in {list}"))?;
    let mut rows = Vec::new();
    for resource in resources {
        let uri = resource["uri"].as_str().ok_or("a resource without a uri")?;
        let (response, answer) = rpc(&server.addr, "resources/read", json!({ "uri": uri }))?;
        let html = answer["result"]["contents"][0]["text"].as_str().ok_or_else(|| format!("no text for {uri}"))?;
        if !html.contains("DecompressionStream") || html.contains(crate::page::API_BASE_MARKER) {
            return Err(format!(
                "{uri} is not a built template with its API base filled in: the server serves its placeholders \
                 (was {} there when it was compiled?)",
                manifest_path.display()
            )
            .into());
        }
        let widget = resource["name"].as_str().unwrap_or(uri).to_owned();
        // The server fills in its default public URL, http://localhost:<port>.
        let port = server.addr.rsplit(':').next().unwrap_or_default();
        let built = String::from_utf8(read(&project.widgets_dir.join(format!("{widget}.html")))?)?;
        if built.replace(crate::page::API_BASE_MARKER, &format!("http://localhost:{port}")) != html {
            return Err(
                format!("the server serves an older {widget} template than {}", project.widgets_dir.display()).into()
            );
        }
        rows.push(Row { widget, template: html.len(), response });
    }
    drop(server);
    if rows.is_empty() {
        return Err("the server lists no templates".into());
    }

    let table = table(&rows, &manifest);
    println!("\n{table}");
    write(&project.widgets_dir.join("budget.md"), table.as_bytes())?;
    let over: Vec<&Row> = rows.iter().filter(|r| r.response > limit).collect();
    if over.is_empty() {
        println!("xtask: every resources/read response is within {limit} bytes");
        Ok(())
    } else {
        let names: Vec<String> = over.iter().map(|r| format!("{} ({} bytes)", r.widget, r.response)).collect();
        Err(format!("over the {limit}-byte budget: {}", names.join(", ")).into())
    }
}

/// The README's table.
fn table(rows: &[Row], manifest: &Value) -> String {
    let mut out = String::from(
        "| widget | template bytes | resources/read response bytes | wasm raw (no name section) | wasm gzip -9 |\n\
         | --- | ---: | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let wasm = &manifest["widgets"][row.widget.as_str()]["wasm"];
        let raw = wasm["strippedBytes"].as_u64().unwrap_or(0);
        let gzip = wasm["gzipBytes"].as_u64().unwrap_or(0);
        out.push_str(&format!("| {} | {} | {} | {raw} | {gzip} |\n", row.widget, row.template, row.response));
    }
    out
}

/// The server binary, running until dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(binary: &std::path::Path) -> Result<Self, Error> {
        let mut command = Command::new(binary);
        for var in ["UNWRANGLE_API_KEY", "PUBLIC_BASE_URL", "ALLOWED_ORIGINS", "ALLOWED_HOSTS", "ACCOUNTS_FILE"] {
            command.env_remove(var);
        }
        let mut child = command
            .env("PORT", "0")
            .env("HOST", "127.0.0.1")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        // The server logs one JSON line with the address it listens on; keep draining the rest.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(event) = serde_json::from_str::<Value>(&line) else { continue };
                let addr = event["addr"].as_str().or_else(|| event["fields"]["addr"].as_str());
                if let Some(addr) = addr
                    && let Some(sender) = tx.take()
                {
                    let _ = sender.send(addr.to_owned());
                }
            }
        });
        let mut server = Server { child, addr: String::new() };
        server.addr = rx
            .recv_timeout(START_TIMEOUT)
            .map_err(|e| format!("{} did not report the address it listens on ({e})", binary.display()))?;
        println!("xtask: server listening on {}", server.addr);
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One JSON-RPC request to `POST /mcp/all`: the response body's size, and the JSON-RPC response.
fn rpc(addr: &str, method: &str, params: Value) -> Result<(usize, Value), Error> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    write!(
        stream,
        "POST /mcp/all HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json, text/event-stream\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let (status, headers, body) = parse_response(&raw)?;
    if status != 200 {
        return Err(format!("{method}: HTTP {status}: {}", String::from_utf8_lossy(&body)).into());
    }
    let text = String::from_utf8(body)?;
    let json = if headers.contains("content-type: text/event-stream") {
        let data = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .find(|d| d.contains("\"id\""))
            .ok_or_else(|| format!("{method}: no response in the event stream"))?;
        serde_json::from_str(data)?
    } else {
        serde_json::from_str(&text)?
    };
    Ok((text.len(), json))
}

/// Status, lower-cased headers and (de-chunked) body of an HTTP/1.1 response.
fn parse_response(raw: &[u8]) -> Result<(u16, String, Vec<u8>), Error> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of the HTTP headers")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("no HTTP status")?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    Ok((status, head, body))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).ok_or("truncated chunk")?);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        let (status, headers, body) = parse_response(plain).unwrap();
        assert_eq!((status, body.as_slice()), (200, &b"{}"[..]));
        assert!(headers.contains("content-type: application/json"));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap().2, b"abcde");
    }

    #[test]
    fn table_has_a_row_per_widget() {
        let rows = vec![Row { widget: "cart".into(), template: 10, response: 20 }];
        let manifest = serde_json::json!({"widgets": {"cart": {"wasm": {"strippedBytes": 100, "gzipBytes": 50}}}});
        let table = table(&rows, &manifest);
        assert!(table.contains("| cart | 10 | 20 | 100 | 50 |"), "{table}");
    }
}

//! A throwaway `redis-server` for tests: started on a free loopback port without persistence,
//! ready once it answers PING, killed when dropped. It can be stopped and started again on the
//! same port to test reconnects.
//!
//! `redis-server` must be installed (`apt-get install -y redis-server`); without it the test
//! fails with that instruction instead of being skipped. [`RedisTestServer::start_tls`] serves
//! TLS only, with a certificate [`TlsFiles::generate`] makes with the `openssl` command.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a fresh server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub(crate) struct RedisTestServer {
    port: u16,
    child: Option<Child>,
    /// Extra `redis-server` arguments (TLS), kept for restarts.
    extra: Vec<String>,
}

/// A CA and a server certificate it signed (for `localhost` and 127.0.0.1), as PEM files in a
/// fresh directory that is removed on drop. The CA of a second `generate` is a stranger.
pub(crate) struct TlsFiles {
    dir: PathBuf,
}

impl TlsFiles {
    pub(crate) fn generate() -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "target-mcp-tls-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the certificate directory");
        std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").expect("write san.ext");
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(
            &dir,
            &[
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA"],
            ]
            .concat(),
        );
        openssl(
            &dir,
            &[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat(),
        );
        openssl(
            &dir,
            &["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"]
                .into_iter()
                .chain(["-out", "server.crt", "-days", "2", "-extfile", "san.ext"])
                .collect::<Vec<_>>(),
        );
        TlsFiles { dir }
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    fn server_args(&self) -> Vec<String> {
        let file = |name: &str| self.dir.join(name).display().to_string();
        ["--tls-cert-file", &file("server.crt"), "--tls-key-file", &file("server.key")]
            .into_iter()
            .chain(["--tls-ca-cert-file", &file("ca.crt"), "--tls-auth-clients", "no"])
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = match Command::new("openssl").args(args).current_dir(dir).stdin(Stdio::null()).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "openssl is not installed, and the Redis TLS tests need it to make a certificate: \
             run `scripts/setup.sh --test` (or `apt-get install -y openssl`)"
        ),
        Err(e) => panic!("cannot run openssl: {e}"),
    };
    assert!(output.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

impl RedisTestServer {
    /// Starts a server on a free port (a few ports are tried if one is taken meanwhile).
    pub(crate) async fn start() -> Self {
        Self::start_with(Vec::new()).await
    }

    /// Starts a server that speaks only TLS, with the certificate in `files`; connect with
    /// [`RedisTestServer::tls_url`].
    pub(crate) async fn start_tls(files: &TlsFiles) -> Self {
        Self::start_with(files.server_args()).await
    }

    async fn start_with(extra: Vec<String>) -> Self {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn_ready(port, &extra).await {
                Ok(child) => return RedisTestServer { port, child: Some(child), extra },
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-server: {last_error}");
    }

    /// `rediss://localhost:<port>/` (the certificate names localhost).
    pub(crate) fn tls_url(&self) -> String {
        format!("rediss://localhost:{}/", self.port)
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server, paused or not (its data is gone: nothing is persisted).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing answers.
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server run again (SIGCONT).
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("redis-server is running");
        let status = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill {signal} redis-server failed");
    }

    /// Starts an empty server again on the same port.
    pub(crate) async fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            match spawn_ready(self.port, &self.extra).await {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                // The old socket may linger for a moment.
                Err(e) if Instant::now() >= deadline => panic!("could not restart redis-server: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for RedisTestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

async fn spawn_ready(port: u16, extra: &[String]) -> Result<Child, String> {
    let tls = !extra.is_empty();
    let (plain_port, tls_port) =
        if tls { ("0".to_owned(), port.to_string()) } else { (port.to_string(), "0".to_owned()) };
    let spawned = Command::new("redis-server")
        .args(["--port", &plain_port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(if tls { vec!["--tls-port".to_owned(), tls_port] } else { Vec::new() })
        .args(extra)
        .args(["--daemonize", "no", "--loglevel", "warning"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "redis-server is not installed, and the Redis store tests need it: \
             run `apt-get update && apt-get install -y redis-server`"
        ),
        Err(e) => panic!("cannot run redis-server: {e}"),
    };
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server on port {port} exited at start ({status})"));
        }
        // A TLS server is ready once it listens (PING would need a TLS client here).
        let ready = if tls { TcpStream::connect(("127.0.0.1", port)).await.is_ok() } else { answers_ping(port).await };
        if ready {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("redis-server on port {port} did not answer PING within {READY_WITHIN:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn answers_ping(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).await?;
        Ok::<_, std::io::Error>(&reply == b"+PONG\r\n")
    };
    matches!(tokio::time::timeout(Duration::from_millis(500), exchange).await, Ok(Ok(true)))
}

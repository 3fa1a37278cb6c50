//! A throwaway `redis-server` for tests: started on a free loopback port without persistence,
//! ready once it answers PING, killed when dropped. It can be stopped and started again on the
//! same port to test reconnects.
//!
//! `redis-server` must be installed (`apt-get install -y redis-server`); without it the test
//! fails with that instruction instead of being skipped.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a fresh server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub(crate) struct RedisTestServer {
    port: u16,
    child: Option<Child>,
}

impl RedisTestServer {
    /// Starts a server on a free port (a few ports are tried if one is taken meanwhile).
    pub(crate) async fn start() -> Self {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn_ready(port).await {
                Ok(child) => return RedisTestServer { port, child: Some(child) },
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-server: {last_error}");
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
            match spawn_ready(self.port).await {
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

async fn spawn_ready(port: u16) -> Result<Child, String> {
    let spawned = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
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
        if answers_ping(port).await {
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

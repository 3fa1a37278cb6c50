//! `healthcheck [HOST:PORT]`: exits 0 when the server on this machine answers `GET /healthz`
//! with 200 within 2 seconds, else prints why and exits 1. The container image's `HEALTHCHECK`
//! runs it (the runtime image has no curl). Without an argument it asks `127.0.0.1:$PORT`
//! (`PORT` defaults to 8000, as for the server).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let target = std::env::args().nth(1).unwrap_or_else(|| {
        let port = std::env::var("PORT").ok().and_then(|p| p.trim().parse::<u16>().ok()).unwrap_or(8000);
        format!("127.0.0.1:{port}")
    });
    match check(&target) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("healthcheck: {target}: {why}");
            ExitCode::FAILURE
        }
    }
}

fn check(target: &str) -> Result<(), String> {
    let addr: SocketAddr =
        target.to_socket_addrs().map_err(|e| format!("not an address: {e}"))?.next().ok_or("not an address")?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(|e| format!("no answer: {e}"))?;
    let status = String::from_utf8_lossy(&head);
    if status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200") {
        Ok(())
    } else {
        Err(format!("answered {status:?}"))
    }
}

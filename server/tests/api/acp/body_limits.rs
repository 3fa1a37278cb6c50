//! The app's body refusals on the ACP routes: a body above the ACP limit (64 KiB) is 413 and a
//! body that does not arrive in time is 408, both in the ACP flat error shape (the oracle), while
//! the app's own `/api` routes keep the app's error shape.

use std::time::Duration;

use serde_json::Value;
use shared::api::{ApiError, SIGNOUT_PATH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Acp, Backend, Headers, VERSION};

/// A JSON body of about `bytes` bytes.
fn padded(bytes: usize) -> Value {
    serde_json::json!({"currency": "usd", "line_items": [], "pad": "x".repeat(bytes)})
}

#[tokio::test]
async fn a_body_above_the_acp_limit_is_413_in_the_flat_shape() {
    let acp = Backend::memory().await.spawn().await;
    let headers = Headers { request_id: Some("req-big-1".into()), ..Headers::idem("big-1") };
    let big = padded(100 * 1024);
    let r = acp.send(reqwest::Method::POST, "/checkout_sessions", Some(&big), &headers).await;
    let e = r.error(413, "request_too_large");
    assert_eq!(e.kind, super::oracle::ErrorType::InvalidRequest);
    assert!(e.message.contains("65536 bytes"), "names the limit: {}", e.message);
    assert_eq!(r.header("idempotency-key"), Some("big-1"));
    assert_eq!(r.header("request-id"), Some("req-big-1"));
    // Chunked, without Content-Length: cut off while reading, same answer.
    let chunk = "y".repeat(16 * 1024).into_bytes();
    let chunks = futures::stream::iter((0..8).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let chunked = acp
        .app
        .client
        .post(acp.app.url("/checkout_sessions"))
        .bearer_auth(super::DEMO_KEY)
        .header("api-version", VERSION)
        .header("idempotency-key", "big-2")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("sent");
    assert_eq!(chunked.status(), 413);
    let body: Value = chunked.json().await.expect("json");
    assert_eq!(super::oracle::error(&body).code, "request_too_large");
    // The operator API is ACP too.
    let ops = acp.ops(reqwest::Method::POST, "/ops/orders/TGT-000000000000/cancel", Some(&big)).await;
    ops.error(413, "request_too_large");
    // An app route keeps the app's shape for the same refusal.
    let api = acp.app.client.post(acp.app.url(SIGNOUT_PATH)).json(&big).send().await.expect("sent");
    assert_eq!(api.status(), 413);
    let error: ApiError = api.json().await.expect("the app's typed error");
    assert!(error.message.contains("bytes"), "{}", error.message);
}

/// Sends `head` (request line, headers, and the start of a body that never finishes) and reads
/// the answer: its status, its head, and its body (by `Content-Length`).
async fn answer_to_a_stalled_body(acp: &Acp, head: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(acp.app.base.trim_start_matches("http://")).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("written");
    let read = async {
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok());
                if length.is_some_and(|n| body.len() >= n) {
                    return (head.to_owned(), body.to_owned());
                }
            }
            let n = stream.read(&mut buf).await.expect("readable");
            if n == 0 {
                let text = String::from_utf8_lossy(&answer).into_owned();
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                return (head.to_owned(), body.to_owned());
            }
            answer.extend_from_slice(&buf[..n]);
        }
    };
    let (head, body) =
        tokio::time::timeout(Duration::from_secs(10), read).await.expect("answered while the body is still missing");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a status: {head}"));
    (status, head, body)
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408_in_the_flat_shape() {
    let acp = Backend::memory().await.spawn_with(|c| c.request_timeout_secs = 1).await;
    let head = format!(
        "POST /checkout_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         API-Version: {VERSION}\r\nIdempotency-Key: slow-1\r\nRequest-Id: req-slow-1\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"currency\":",
        super::DEMO_KEY
    );
    let (status, head, body) = answer_to_a_stalled_body(&acp, &head).await;
    assert_eq!(status, 408, "{head}\n{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("JSON ({e}): {body}"));
    let e = super::oracle::error(&body);
    assert_eq!(e.code, "request_timeout", "{body:#}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("idempotency-key: slow-1") && lower.contains("request-id: req-slow-1"), "{head}");
    // The same stall on an app route: the app's shape.
    let api = format!(
        "POST {SIGNOUT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         content-length: 100\r\n\r\n{{\"sessionId\":"
    );
    let (status, head, body) = answer_to_a_stalled_body(&acp, &api).await;
    assert_eq!(status, 408, "{head}\n{body}");
    let error: ApiError = serde_json::from_str(&body).unwrap_or_else(|e| panic!("the app's error ({e}): {body}"));
    assert!(!error.message.is_empty());
}

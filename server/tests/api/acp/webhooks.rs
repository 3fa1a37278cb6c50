//! Order webhooks from the outbox: signed, retried while the receiver is down (time moved by the
//! test clock), delivered once per event id, and still delivered after a restart (Redis).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Duration as Span;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::{Acp, Backend, on_both_stores};

const SECRET: &str = "whsec_test";

/// One POST the receiver saw: its Request-Id, Merchant-Signature, body, and whether it was
/// accepted.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub request_id: String,
    pub signature: String,
    pub body: String,
    pub accepted: bool,
}

#[derive(Clone)]
struct Receiver {
    up: Arc<Mutex<bool>>,
    seen: mpsc::UnboundedSender<Seen>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let up = *r.up.lock().expect("ok");
    let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let _ =
        r.seen.send(Seen { request_id: text("request-id"), signature: text("merchant-signature"), body, accepted: up });
    if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }
}

pub(super) async fn receiver(up: bool) -> (String, Arc<Mutex<bool>>, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = Receiver { up: Arc::new(Mutex::new(up)), seen: tx };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("ok");
    let url = format!("http://{}/agentic_checkout/webhooks/order_events", listener.local_addr().expect("ok"));
    let flag = state.up.clone();
    let app = axum::Router::new()
        .route("/agentic_checkout/webhooks/order_events", axum::routing::post(receive))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, flag, rx)
}

pub(super) async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a webhook within 10 s").expect("open")
}

pub(super) async fn spawn(backend: &Backend, url: &str) -> Acp {
    let url = url.to_owned();
    backend
        .spawn_with(move |c| {
            c.commerce.acp_webhook_url = Some(url.parse().expect("ok"));
            c.commerce.acp_webhook_secret = Some(SECRET.into());
            c.commerce.acp_webhook_poll_ms = 20;
        })
        .await
}

pub(super) async fn outbox_drains(acp: &Acp) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while acp.app.state.store.outbox_pending().await.expect("ok") > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the outbox empties once the receiver accepted");
}

pub(super) fn check_signed(seen: &Seen) {
    let (t, _) = seen.signature.trim_start_matches("t=").split_once(",v1=").expect("t=<unix>,v1=<hex>");
    let t: i64 = t.parse().expect("unix seconds");
    assert_eq!(seen.signature, server::commerce::signing::sign_webhook(SECRET, t, &seen.body), "HMAC over t.body");
}

async fn webhooks_survive_an_outage_and_arrive_once(backend: Backend) {
    let (url, up, mut rx) = receiver(false).await;
    let acp = spawn(&backend, &url).await;
    let order = acp.place_order("wh-1", "tok_visa").await;
    let first = next(&mut rx).await;
    assert!(!first.accepted);
    check_signed(&first);
    super::oracle::webhook(&first.body);
    let event: Value = serde_json::from_str(&first.body).expect("ok");
    assert_eq!(event["type"], "order_create");
    assert_eq!(event["data"]["type"], "order");
    assert_eq!(event["data"]["id"], order.as_str());
    assert!(event["data"]["line_items"][0]["quantity"]["ordered"].as_i64().is_some());
    // Down for minutes: each retry waits longer (1 s, 2 s, ...) on the server's clock.
    for _ in 0..3 {
        acp.app.clock.advance(Span::minutes(2));
        let again = next(&mut rx).await;
        assert!(!again.accepted);
        assert_eq!(again.request_id, first.request_id, "the same event id on every attempt");
    }
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 1, "nothing lost while down");
    *up.lock().expect("ok") = true;
    acp.app.clock.advance(Span::minutes(10));
    let delivered = next(&mut rx).await;
    assert!(delivered.accepted);
    assert_eq!(delivered.request_id, first.request_id);
    assert_eq!(delivered.body, first.body);
    outbox_drains(&acp).await;
    // Nothing is left to send again, however long we wait.
    acp.app.clock.advance(Span::hours(2));
    let second_order = acp.place_order("wh-2", "tok_visa").await;
    let later = next(&mut rx).await;
    let event: Value = serde_json::from_str(&later.body).expect("ok");
    assert_eq!(event["data"]["id"], second_order.as_str(), "the next webhook is the next order's, not a repeat");
    assert_ne!(later.request_id, first.request_id);
}

on_both_stores!(webhooks_survive_an_outage_and_arrive_once);

#[tokio::test]
async fn the_outbox_survives_a_restart_with_redis() {
    let backend = Backend::redis().await;
    let (url, up, mut rx) = receiver(false).await;
    let first = spawn(&backend, &url).await;
    let order = first.place_order("restart", "tok_visa").await;
    let failed = next(&mut rx).await;
    assert!(!failed.accepted);
    drop(first); // The instance stops with the event still in the outbox.
    *up.lock().expect("ok") = true;
    let second = spawn(&backend, &url).await;
    second.app.clock.advance(Span::minutes(5));
    let delivered = next(&mut rx).await;
    assert!(delivered.accepted, "the new instance delivers what the old one could not");
    assert_eq!(delivered.request_id, failed.request_id);
    let event: Value = serde_json::from_str(&delivered.body).expect("ok");
    assert_eq!(event["data"]["id"], order.as_str());
    outbox_drains(&second).await;
}

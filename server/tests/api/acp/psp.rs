//! The delegated-payment provider against a fake PSP the test starts: approval, decline, a PSP
//! that does not answer in time (503, not kept for the key; the retry charges once), and 3-D
//! Secure asked for by the PSP; refunds of canceled orders (approved, refused, unanswered then
//! retried under the same key). The fake PSP is shared with `refund_retry.rs`.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::oracle::Status;
use super::{Acp, Backend, complete_body, create_body, on_both_stores};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Approve,
    Decline,
    Hang,
    Authenticate,
}

#[derive(Default)]
pub(super) struct Psp {
    mode: Option<Mode>,
    /// (Idempotency-Key, Authorization, body) of every charge received.
    calls: Vec<(String, String, Value)>,
    /// How refunds are answered (approve, decline = refuse, hang).
    refund_mode: Option<Mode>,
    /// (Idempotency-Key, body) of every refund received.
    pub(super) refunds: Vec<(String, Value)>,
    /// Refunds still to be answered 503 (the PSP is down) before `refund_mode` applies.
    pub(super) refund_failures: usize,
}

pub(super) type Shared = Arc<Mutex<Psp>>;

async fn charges(State(psp): State<Shared>, headers: HeaderMap, body: axum::Json<Value>) -> axum::response::Response {
    let mode = {
        let mut p = psp.lock().expect("ok");
        let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        p.calls.push((text("idempotency-key"), text("authorization"), body.0.clone()));
        p.mode.unwrap_or(Mode::Approve)
    };
    match mode {
        Mode::Approve => axum::Json(json!({"id": "ch_123", "status": "succeeded"})).into_response(),
        Mode::Decline => (
            StatusCode::PAYMENT_REQUIRED,
            axum::Json(json!({"code": "card_declined", "message": "Insufficient funds."})),
        )
            .into_response(),
        Mode::Authenticate if body.0.get("authentication_result").is_some() => {
            axum::Json(json!({"id": "ch_3ds", "status": "succeeded"})).into_response()
        }
        Mode::Authenticate => axum::Json(json!({
            "status": "requires_authentication",
            "authentication_metadata": {
                "acquirer_details": {"acquirer_bin": "411111", "acquirer_country": "US",
                                     "acquirer_merchant_id": "m_1", "merchant_name": "Target"},
                "directory_server": "mastercard"
            }
        }))
        .into_response(),
        Mode::Hang => std::future::pending().await,
    }
}

async fn refunds(State(psp): State<Shared>, headers: HeaderMap, body: axum::Json<Value>) -> axum::response::Response {
    let mode = {
        let mut p = psp.lock().expect("ok");
        let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        p.refunds.push((key, body.0.clone()));
        if p.refund_failures > 0 {
            p.refund_failures -= 1;
            return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"message": "PSP down"}))).into_response();
        }
        p.refund_mode.unwrap_or(Mode::Approve)
    };
    match mode {
        Mode::Decline => {
            (StatusCode::PAYMENT_REQUIRED, axum::Json(json!({"message": "The charge was disputed."}))).into_response()
        }
        Mode::Hang => std::future::pending().await,
        _ => axum::Json(json!({"id": "re_123", "status": "succeeded"})).into_response(),
    }
}

pub(super) async fn fake_psp() -> (String, Shared) {
    let psp: Shared = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("ok");
    let url = format!("http://{}", listener.local_addr().expect("ok"));
    let app = axum::Router::new()
        .route("/v1/charges", axum::routing::post(charges))
        .route("/v1/refunds", axum::routing::post(refunds))
        .with_state(psp.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("{url}/v1"), psp)
}

async fn with_psp(backend: &Backend) -> (Acp, Shared) {
    let (url, psp) = fake_psp().await;
    let acp = backend
        .spawn_with(|c| {
            c.commerce.acp_psp_url = Some(url.parse().expect("ok"));
            c.commerce.acp_psp_key = Some("sk_test_psp".into());
            c.commerce.acp_psp_timeout_ms = 300;
        })
        .await;
    (acp, psp)
}

fn set(psp: &Shared, mode: Mode) {
    psp.lock().expect("ok").mode = Some(mode);
}

async fn ready_session(acp: &Acp, key: &str) -> String {
    let (stock, _) = acp.catalog_ids();
    acp.create(&create_body(&[(&stock[0].0, 2)], true), key).await.id
}

async fn the_psp_charges_the_delegated_token_for_our_total(backend: Backend) {
    let (acp, psp) = with_psp(&backend).await;
    let id = ready_session(&acp, "psp-create").await;
    let done = acp
        .post(
            &format!("/checkout_sessions/{id}/complete"),
            &complete_body("spt_live_1", "jordan@example.com"),
            "psp-ok",
        )
        .await
        .session(200);
    assert_eq!(done.status, Status::Completed);
    let calls = psp.lock().expect("ok").calls.clone();
    assert_eq!(calls.len(), 1);
    let (_, auth, body) = &calls[0];
    assert_eq!(auth, "Bearer sk_test_psp");
    assert_eq!(body["token"], "spt_live_1");
    assert_eq!(body["amount"].as_i64(), Some(super::oracle::total(&done)), "the PSP charges our authoritative total");
    assert_eq!(body["currency"], "usd");
    assert_eq!(done.capabilities.payment.expect("ok").handlers[0].psp, "merchant_psp");
}

async fn a_psp_decline_is_a_message_not_an_order(backend: Backend) {
    let (acp, psp) = with_psp(&backend).await;
    set(&psp, Mode::Decline);
    let id = ready_session(&acp, "psp-decline-create").await;
    let s = acp
        .post(
            &format!("/checkout_sessions/{id}/complete"),
            &complete_body("spt_1", "jordan@example.com"),
            "psp-decline",
        )
        .await
        .session(200);
    assert_eq!(s.status, Status::ReadyForPayment);
    let declined = s.messages.iter().find(|m| m.code.as_deref() == Some("payment_declined")).expect("declined message");
    assert!(declined.content.contains("Insufficient funds."), "{}", declined.content);
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 0);
}

async fn a_psp_timeout_is_503_and_the_retry_charges_once(backend: Backend) {
    let (acp, psp) = with_psp(&backend).await;
    set(&psp, Mode::Hang);
    let id = ready_session(&acp, "psp-timeout-create").await;
    let path = format!("/checkout_sessions/{id}/complete");
    let body = complete_body("spt_1", "jordan@example.com");
    let r = acp.post(&path, &body, "psp-timeout").await;
    let e = r.error(503, "payment_provider_unavailable");
    assert_eq!(e.kind, super::oracle::ErrorType::ServiceUnavailable);
    assert!(r.header("retry-after").is_some());
    set(&psp, Mode::Approve);
    let retry = acp.post(&path, &body, "psp-timeout").await;
    assert_eq!(retry.header("idempotent-replayed"), None, "a 5xx is not kept for the key");
    assert_eq!(retry.session(200).status, Status::Completed);
    let calls = psp.lock().expect("ok").calls.clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, calls[1].0, "the retry reuses the PSP idempotency key, so the PSP charges once");
}

async fn the_psp_can_ask_for_3ds(backend: Backend) {
    let (acp, psp) = with_psp(&backend).await;
    set(&psp, Mode::Authenticate);
    let id = ready_session(&acp, "psp-3ds-create").await;
    let path = format!("/checkout_sessions/{id}/complete");
    let s = acp.post(&path, &complete_body("spt_1", "jordan@example.com"), "psp-3ds-1").await.session(200);
    assert_eq!(s.status, Status::AuthenticationRequired);
    assert_eq!(s.authentication_metadata.expect("ok").directory_server, super::oracle::DirectoryServer::Mastercard);
    acp.post(&path, &complete_body("spt_1", "jordan@example.com"), "psp-3ds-2").await.error(400, "requires_3ds");
    let mut body = complete_body("spt_1", "jordan@example.com");
    body["authentication_result"] = json!({"outcome": "denied"});
    let done = acp.post(&path, &body, "psp-3ds-3").await.session(200);
    assert_eq!(done.status, Status::Completed, "the PSP decides; this fake approves any result");
}

async fn canceling_refunds_the_psp_charge_once(backend: Backend) {
    let (acp, psp) = with_psp(&backend).await;
    let id = ready_session(&acp, "psp-refund-create").await;
    let done = acp
        .post(&format!("/checkout_sessions/{id}/complete"), &complete_body("spt_1", "jordan@example.com"), "psp-refund")
        .await
        .session(200);
    let order = done.order.clone().expect("order").id;
    let cancel = format!("/ops/orders/{order}/cancel");
    // The PSP does not answer: the order is canceled, its refund pending, the call retryable.
    psp.lock().expect("ok").refund_mode = Some(Mode::Hang);
    let r = acp.ops(reqwest::Method::POST, &cancel, None).await;
    r.error(503, "payment_provider_unavailable");
    assert!(r.header("retry-after").is_some());
    let now = acp.ops(reqwest::Method::GET, &format!("/ops/orders/{order}"), None).await;
    let pending = super::oracle::order(&now.body);
    assert_eq!(pending.status.as_deref(), Some("canceled"));
    assert_eq!(pending.adjustments.expect("adjustments")[0].status, "pending");
    // Canceling again tries the refund again, under the same key.
    psp.lock().expect("ok").refund_mode = Some(Mode::Approve);
    let r = acp.ops(reqwest::Method::POST, &cancel, None).await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    let refunded = super::oracle::order(&r.body);
    assert_eq!(refunded.adjustments.expect("adjustments")[0].status, "completed");
    let refunds = psp.lock().expect("ok").refunds.clone();
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[0].0, refunds[1].0, "one idempotency key for the refund");
    let body = &refunds[1].1;
    assert_eq!(body["payment_id"], "ch_123", "the PSP's charge is the one refunded");
    assert_eq!(body["amount"].as_i64(), Some(super::oracle::total(&done)));
    assert_eq!(body["reference"], order.as_str());
    acp.ops(reqwest::Method::POST, &cancel, None).await.error(409, "invalid_state");
    assert_eq!(psp.lock().expect("ok").refunds.len(), 2, "a refunded order is not refunded again");
}

async fn a_refused_refund_is_recorded_failed(backend: Backend) {
    let (acp, psp) = with_psp(&backend).await;
    let id = ready_session(&acp, "psp-refused-create").await;
    let done = acp
        .post(
            &format!("/checkout_sessions/{id}/complete"),
            &complete_body("spt_1", "jordan@example.com"),
            "psp-refused",
        )
        .await
        .session(200);
    let order = done.order.expect("order").id;
    psp.lock().expect("ok").refund_mode = Some(Mode::Decline);
    let r = acp.ops(reqwest::Method::POST, &format!("/ops/orders/{order}/cancel"), None).await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    let failed = super::oracle::order(&r.body);
    let refund = &failed.adjustments.expect("adjustments")[0];
    assert_eq!(refund.status, "failed");
    assert!(refund.description.as_deref().unwrap_or_default().contains("disputed"), "{refund:?}");
    assert!(failed.totals.expect("totals").iter().all(|t| t.kind != super::oracle::TotalType::AmountRefunded));
}

on_both_stores!(
    canceling_refunds_the_psp_charge_once,
    a_refused_refund_is_recorded_failed,
    the_psp_charges_the_delegated_token_for_our_total,
    a_psp_decline_is_a_message_not_an_order,
    a_psp_timeout_is_503_and_the_retry_charges_once,
    the_psp_can_ask_for_3ds,
);

//! Pending refunds retried in the background: the operator cancels while the PSP is down (503,
//! the refund stays `pending`), and the refund worker retries it with backoff on the server's
//! clock, under the same PSP idempotency key, until it goes through — without another operator
//! call; the order then gets its refund `order_update`. Two instances sharing Redis refund once.

use std::future::Future;
use std::time::Duration;

use chrono::Duration as Span;
use reqwest::Method;

use super::psp::{Shared, fake_psp};
use super::webhooks::{check_signed, next, receiver};
use super::{Acp, Backend, on_both_stores, oracle};

/// Waits (without sleeping) until `condition` holds, at most 10 s.
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !condition().await {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(waited.is_ok(), "within 10 s: {what}");
}

/// An instance charging and refunding through the fake PSP at `psp`, sending webhooks to
/// `webhooks` (if any).
async fn instance(backend: &Backend, psp: &str, webhooks: Option<&str>) -> Acp {
    let (psp, webhooks) = (psp.to_owned(), webhooks.map(str::to_owned));
    backend
        .spawn_with(move |c| {
            // The test polls the operator API as fast as it answers, and its clock stands still.
            c.rate_limit_per_sec = 0;
            c.commerce.acp_psp_url = Some(psp.parse().expect("ok"));
            c.commerce.acp_psp_key = Some("sk_test_psp".into());
            c.commerce.acp_psp_timeout_ms = 2_000;
            c.commerce.acp_refund_poll_ms = 20;
            if let Some(url) = webhooks {
                c.commerce.acp_webhook_url = Some(url.parse().expect("ok"));
                c.commerce.acp_webhook_secret = Some("whsec_test".into());
                c.commerce.acp_webhook_poll_ms = 20;
            }
        })
        .await
}

/// The order's refund status, as the operator API shows it.
async fn refund_status(acp: &Acp, order: &str) -> String {
    let r = acp.ops(Method::GET, &format!("/ops/orders/{order}"), None).await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    let o = oracle::order(&r.body);
    o.adjustments.unwrap_or_default().first().map(|a| a.status.clone()).unwrap_or_default()
}

fn refund_calls(psp: &Shared) -> Vec<String> {
    psp.lock().expect("ok").refunds.iter().map(|(key, _)| key.clone()).collect()
}

/// The operator cancels while the PSP is down: 503, the refund pending.
async fn cancel_while_down(acp: &Acp, order: &str) {
    let r = acp.ops(Method::POST, &format!("/ops/orders/{order}/cancel"), None).await;
    r.error(503, "payment_provider_unavailable");
    assert_eq!(refund_status(acp, order).await, "pending");
}

async fn a_pending_refund_is_retried_until_the_psp_takes_it(backend: Backend) {
    let (psp_url, psp) = fake_psp().await;
    let (hooks, _up, mut rx) = receiver(true).await;
    let acp = instance(&backend, &psp_url, Some(&hooks)).await;
    let order = acp.place_order("bg-refund", "spt_1").await;
    // Down for the operator's attempt and the worker's first retry.
    psp.lock().expect("ok").refund_failures = 2;
    cancel_while_down(&acp, &order).await;
    assert_eq!(refund_calls(&psp).len(), 1);
    // The first retry waits 1 s on the server's clock; it fails too.
    acp.app.clock.advance(Span::seconds(1));
    eventually("the worker retried the refund", || async { refund_calls(&psp).len() >= 2 }).await;
    assert_eq!(refund_status(&acp, &order).await, "pending");
    // The next one waits 2 s more, and the PSP is back.
    acp.app.clock.advance(Span::seconds(2));
    eventually("the refund completed", || async { refund_status(&acp, &order).await == "completed" }).await;
    let keys = refund_calls(&psp);
    assert_eq!(keys.len(), 3, "the operator's attempt and two retries: {keys:?}");
    assert!(keys.iter().all(|k| k == &keys[0]), "one PSP idempotency key for every try: {keys:?}");
    // The webhooks: created, canceled with the refund pending, then the refund completed.
    let mut steps = Vec::new();
    for _ in 0..3 {
        let seen = next(&mut rx).await;
        check_signed(&seen);
        let event = oracle::webhook(&seen.body);
        let refund = event.data.adjustments.unwrap_or_default().first().map(|a| a.status.clone()).unwrap_or_default();
        steps.push((event.kind, event.data.status.unwrap_or_default(), refund));
    }
    let expected = [
        ("order_create", "confirmed", ""),
        ("order_update", "canceled", "pending"),
        ("order_update", "canceled", "completed"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned())).collect();
    assert_eq!(steps, expected);
    // Done is done: the operator cannot cancel again, and the worker does not refund again. A
    // second order's refund, due well after the first one's lease would have run out, is the
    // barrier: the worker takes due refunds oldest first, so a first refund still queued would be
    // tried again before the second one completes.
    acp.ops(Method::POST, &format!("/ops/orders/{order}/cancel"), None).await.error(409, "invalid_state");
    acp.app.clock.advance(Span::minutes(5));
    let second = acp.place_order("bg-refund-2", "spt_1").await;
    psp.lock().expect("ok").refund_failures = 1;
    cancel_while_down(&acp, &second).await;
    acp.app.clock.advance(Span::seconds(2));
    eventually("the second refund completed", || async { refund_status(&acp, &second).await == "completed" }).await;
    let keys = refund_calls(&psp);
    assert_eq!(keys.iter().filter(|k| **k == keys[0]).count(), 3, "the first refund was not tried again: {keys:?}");
}

on_both_stores!(a_pending_refund_is_retried_until_the_psp_takes_it);

#[tokio::test]
async fn two_instances_sharing_redis_refund_once() {
    let backend = Backend::redis().await;
    let (psp_url, psp) = fake_psp().await;
    let (a, b) = (instance(&backend, &psp_url, None).await, instance(&backend, &psp_url, None).await);
    let first = a.place_order("two-1", "spt_1").await;
    psp.lock().expect("ok").refund_failures = 1;
    cancel_while_down(&a, &first).await;
    // Both workers see the refund due; one takes it.
    for acp in [&a, &b] {
        acp.app.clock.advance(Span::seconds(2));
    }
    eventually("the refund completed", || async { refund_status(&b, &first).await == "completed" }).await;
    // A second order's refund, due only after the first one's lease would have run out, is a
    // barrier: each worker takes due refunds oldest first, so a first refund still held (or
    // taken twice) would be tried again before this one completes.
    for acp in [&a, &b] {
        acp.app.clock.advance(Span::minutes(5));
    }
    let second = b.place_order("two-2", "spt_1").await;
    psp.lock().expect("ok").refund_failures = 1;
    cancel_while_down(&b, &second).await;
    for acp in [&a, &b] {
        acp.app.clock.advance(Span::seconds(2));
    }
    eventually("the second refund completed", || async { refund_status(&a, &second).await == "completed" }).await;
    let keys = refund_calls(&psp);
    let tries = |order: &str| keys.iter().filter(|k| k.starts_with(order)).count();
    assert_eq!(tries(&first), 2, "the failed try and one success, by one instance: {keys:?}");
    assert_eq!(tries(&second), 2, "{keys:?}");
}

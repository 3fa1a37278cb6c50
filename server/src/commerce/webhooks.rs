//! Order webhooks from the durable outbox in the store: a completed checkout queues its
//! `order_create` event in the same atomic step that stores the order, and this worker POSTs
//! due events to `ACP_WEBHOOK_URL`, signed (`Merchant-Signature: t=<unix>,v1=<hex HMAC-SHA256
//! of "<t>.<body>">`), with the event id as `Request-Id` so the receiver can drop a repeat.
//! A failed delivery is retried with exponential backoff (1 s, 2 s, 4 s … capped at 10 min),
//! forever: an event leaves the outbox only when the receiver answered 2xx. Each claim holds an
//! event for [`CLAIM_LEASE`], so several instances sharing Redis do not send it at once; an
//! instance that dies mid-delivery leaves it to be sent again after the lease (same id).
//!
//! An order's events go out in the order they happened (`order_create`, then each
//! `order_update`): each names the one before it (`after`), the store parks an event whose
//! predecessor is undelivered until that one is acknowledged, and when a predecessor fails in
//! the same batch its successor is put back to go with its retry.

use std::time::Duration as StdDuration;

use chrono::Duration;
use tokio_util::sync::CancellationToken;

use super::Commerce;
pub use super::backoff::{MAX_BACKOFF, backoff};
use super::signing::sign_webhook;
use crate::store::StoreError;
use crate::store::commerce::OutboxEvent;

/// How long one claimed event is held by the instance delivering it.
pub const CLAIM_LEASE: Duration = Duration::seconds(30);
/// Events sent per look at the outbox.
const BATCH: usize = 20;
/// How long the receiver may take to answer.
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// Sends due events; returns how many were delivered. Without a receiver configured, nothing
/// is sent (events wait in the outbox).
pub async fn deliver_due(commerce: &Commerce) -> Result<usize, StoreError> {
    let config = &commerce.app.config.commerce;
    let Some(url) = config.acp_webhook_url.as_ref() else {
        return Ok(0);
    };
    let store = &commerce.app.store;
    let now = commerce.app.clock.now();
    let events = store.outbox_claim(now, CLAIM_LEASE, BATCH).await?;
    let mut delivered = 0;
    // Events that failed in this batch, and when they are tried again.
    let mut failed: Vec<(String, chrono::DateTime<chrono::Utc>)> = Vec::new();
    for mut event in events {
        let before = event.after.as_ref().and_then(|a| failed.iter().find(|(id, _)| id == a));
        if let Some((_, next)) = before {
            // Not sent: it goes after its predecessor, whose attempt failed.
            event.next_attempt_at = *next;
            failed.push((event.id.clone(), *next));
            store.outbox_retry(&event).await?;
            continue;
        }
        match send(commerce, url.as_str(), &event).await {
            Ok(()) => {
                store.outbox_ack(&event.id, commerce.app.clock.now()).await?;
                delivered += 1;
                tracing::info!(event = %event.id, attempts = event.attempts + 1, "ACP: webhook delivered");
            }
            Err(why) => {
                event.attempts += 1;
                // Counted from the claim, so a slow receiver does not push the retry later.
                event.next_attempt_at = now + backoff(event.attempts);
                failed.push((event.id.clone(), event.next_attempt_at));
                tracing::warn!(event = %event.id, attempts = event.attempts, next = %event.next_attempt_at, %why, "ACP: webhook delivery failed");
                store.outbox_retry(&event).await?;
            }
        }
    }
    Ok(delivered)
}

async fn send(commerce: &Commerce, url: &str, event: &OutboxEvent) -> Result<(), String> {
    let secret = commerce.app.config.commerce.acp_webhook_secret.as_deref().unwrap_or_default();
    let now = commerce.app.clock.now();
    let response = commerce
        .http
        .post(url)
        .timeout(SEND_TIMEOUT)
        .header("content-type", "application/json")
        .header("merchant-signature", sign_webhook(secret, now.timestamp(), &event.body))
        .header("request-id", &event.id)
        .header("timestamp", now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .body(event.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() { Ok(()) } else { Err(format!("receiver answered {}", response.status())) }
}

/// Looks at the outbox every `ACP_WEBHOOK_POLL_MS` until shutdown.
pub async fn run(commerce: Commerce, shutdown: CancellationToken) {
    if commerce.app.config.commerce.acp_webhook_url.is_none() {
        return;
    }
    let mut ticks = tokio::time::interval(StdDuration::from_millis(commerce.app.config.commerce.acp_webhook_poll_ms));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {
                if let Err(e) = deliver_due(&commerce).await {
                    tracing::warn!(error = %e, "ACP: webhook outbox unavailable");
                }
            }
        }
    }
}

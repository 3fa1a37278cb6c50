//! Pending refunds, retried in the background. Canceling an order (`orders.rs`) queues its refund
//! in the store before the order is canceled, and the cancel call tries it at once; when the
//! payment provider cannot be reached the refund stays `pending` and queued, and this worker
//! tries it again — 1 s, 2 s, 4 s … at most 10 min after each failure (`backoff.rs`), on the
//! app's clock — until the provider refunds or refuses, which records the outcome with its
//! `order_update` like the cancel call would have. Every try sends the refund's one idempotency
//! key (`<order>-refund`), so the provider refunds once however often it is asked.
//!
//! Each claim holds a refund for [`CLAIM_LEASE`], so of several instances sharing Redis one tries
//! it at a time; an instance that dies mid-try leaves it to be tried again after the lease. A
//! queued refund whose order is no longer pending (settled by a cancel call meanwhile, or never
//! canceled) is dropped when claimed.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio_util::sync::CancellationToken;

use super::Commerce;
use super::backoff::backoff;
use super::error::AcpError;
use crate::store::StoreError;
use crate::store::commerce::PendingRefund;

/// How long one claimed refund is held by the instance trying it.
pub const CLAIM_LEASE: Duration = Duration::seconds(30);
/// Failed tries after which each further failure is logged as an error, not a warning.
const ALERT_AFTER_ATTEMPTS: u32 = 10;
/// Refunds tried per look at the queue.
const BATCH: usize = 20;

impl Commerce {
    /// Queues the refund of order `id`, held for a claim's length: the caller tries it meanwhile.
    pub(super) async fn queue_refund(&self, id: &str, now: DateTime<Utc>) -> Result<(), AcpError> {
        let refund = PendingRefund { order_id: id.to_owned(), attempts: 0, next_attempt_at: now + CLAIM_LEASE };
        Ok(self.app.store.refund_schedule(&refund).await?)
    }

    /// The outcome of a try of `refund` at `now`: settled (or nothing to refund) leaves the queue;
    /// the provider unreachable is tried again after the backoff.
    pub(super) async fn refund_tried(
        &self,
        mut refund: PendingRefund,
        now: DateTime<Utc>,
        outcome: &Result<(), AcpError>,
    ) -> Result<(), StoreError> {
        let store = &self.app.store;
        match outcome {
            Ok(()) | Err(AcpError::OrderNotFound(_) | AcpError::OrderState { .. }) => {
                store.refund_done(&refund.order_id).await
            }
            Err(AcpError::PaymentUnavailable(why)) => {
                refund.attempts = refund.attempts.saturating_add(1);
                refund.next_attempt_at = now + backoff(refund.attempts);
                if refund.attempts >= ALERT_AFTER_ATTEMPTS {
                    // About 17 minutes of tries: an operator's problem now, at the level alerts watch.
                    tracing::error!(order = %refund.order_id, attempts = refund.attempts, next = %refund.next_attempt_at, %why, "ACP: refund still not taken by the payment provider; retrying, but look at the provider");
                } else {
                    tracing::warn!(order = %refund.order_id, attempts = refund.attempts, next = %refund.next_attempt_at, %why, "ACP: refund not taken; retrying later");
                }
                store.refund_retry(&refund).await
            }
            // The store failed: the claim runs out and the refund is tried again.
            Err(_) => Ok(()),
        }
    }
}

/// Tries the due refunds once; how many were settled.
pub async fn retry_due(commerce: &Commerce) -> Result<usize, StoreError> {
    let now = commerce.app.clock.now();
    let due = commerce.app.store.refund_claim(now, CLAIM_LEASE, BATCH).await?;
    let mut settled = 0;
    for refund in due {
        let outcome = commerce.settle_refund(&refund.order_id).await.map(|order| {
            tracing::info!(order = %order.id, attempts = refund.attempts + 1, "ACP: pending refund settled");
        });
        if let Err(e) = &outcome
            && !matches!(e, AcpError::PaymentUnavailable(_))
        {
            e.log();
        }
        settled += usize::from(outcome.is_ok());
        commerce.refund_tried(refund, now, &outcome).await?;
    }
    Ok(settled)
}

/// Looks at the refund queue every `ACP_REFUND_POLL_MS` until shutdown.
pub async fn run(commerce: Commerce, shutdown: CancellationToken) {
    let every = StdDuration::from_millis(commerce.app.config.commerce.acp_refund_poll_ms.max(1));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {
                if let Err(e) = retry_due(&commerce).await {
                    tracing::warn!(error = %e, "ACP: refund queue unavailable");
                }
            }
        }
    }
}

//! Orders after checkout: the post-purchase record of each ACP order ([`OrderRecord`], the full
//! ACP `Order` plus what only we need), and the changes the merchant makes to it — ship, deliver,
//! cancel with a refund (`rfc.orders.md`). Every change is one compare-and-set write of the
//! record together with its `order_update` webhook in the outbox; a record's events are chained
//! (`after`), so the receiver gets them in the order they happened.
//!
//! ```text
//! confirmed ─ship─▶ shipped ─deliver─▶ completed
//!     └──cancel──▶ canceled (refund pending ─▶ completed | failed)
//! ```
//!
//! A refund the payment provider does not take at once stays pending and queued; `refunds.rs`
//! tries it again in the background.
//!
//! ACP defines no order management API ("out of scope" in `rfc.orders.md`): the operator routes
//! that call these (`ops.rs`) are ours.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::Commerce;
use super::error::AcpError;
use super::payment::{PaymentError, RefundOutcome, RefundRequest};
use super::wire::*;
use crate::store::commerce::{OutboxEvent, PendingRefund, StoredAcpOrder};

/// Attempts at a compare-and-set write before giving up.
const WRITE_ATTEMPTS: usize = 5;
/// The one fulfillment of an order (we ship everything in one parcel).
const FULFILLMENT_ID: &str = "ful_1";
/// The refund of a canceled order.
const REFUND_ID: &str = "adj_refund";

/// An order's post-purchase record as stored (JSON in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// What the webhooks, the operator API and the order page show.
    pub order: Order,
    /// The PSP's payment, for the refund.
    pub payment_id: String,
    pub currency: String,
    /// What was charged (the `total` of `order.totals`).
    pub charged: i64,
    pub shipping_address: Option<Address>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The secret in the permalink (`?key=`), so only who was given the link sees the order.
    pub page_key: String,
    /// The last event queued for this order: the next one waits for it.
    pub last_event: String,
}

/// The details of a shipment (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub tracking_url: Option<String>,
}

/// Why an order is canceled (optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    #[serde(default)]
    pub reason: Option<String>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn random_hex() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

fn everything(order: &Order, quantity: impl Fn(&OrderQuantity) -> u32) -> Vec<LineItemReference> {
    order
        .line_items
        .iter()
        .map(|l| LineItemReference { id: l.id.clone(), quantity: quantity(&l.quantity) })
        .filter(|r| r.quantity > 0)
        .collect()
}

impl OrderRecord {
    /// The record of an order just placed from the completed session `view`.
    pub fn placed(
        order_ref: &OrderRef,
        view: &CheckoutSession,
        payment_id: &str,
        page_key: String,
        now: DateTime<Utc>,
    ) -> OrderRecord {
        let line_items = view
            .line_items
            .iter()
            .map(|l| {
                let quantity = OrderQuantity { ordered: l.quantity, current: l.quantity, fulfilled: 0 };
                OrderLineItem {
                    id: l.id.clone(),
                    title: l.name.clone(),
                    product_id: l.product_id.clone(),
                    quantity,
                    unit_price: l.unit_amount,
                    subtotal: l.totals.iter().find(|t| t.kind == TotalType::Subtotal).map_or(0, |t| t.amount),
                    status: quantity.status(),
                }
            })
            .collect();
        let charged = view.totals.iter().find(|t| t.kind == TotalType::Total).map_or(0, |t| t.amount);
        OrderRecord {
            order: Order {
                kind: "order".into(),
                id: order_ref.id.clone(),
                checkout_session_id: order_ref.checkout_session_id.clone(),
                permalink_url: order_ref.permalink_url.clone(),
                order_number: order_ref.id.clone(),
                status: OrderStatus::Confirmed,
                line_items,
                fulfillments: vec![],
                adjustments: vec![],
                totals: view.totals.clone(),
            },
            payment_id: payment_id.to_owned(),
            currency: view.currency.clone(),
            charged,
            shipping_address: view.fulfillment_details.as_ref().and_then(|d| d.address.clone()),
            placed_at: now,
            updated_at: now,
            page_key,
            last_event: String::new(),
        }
    }

    /// The next webhook of this order (chained after the previous one), recorded as the last.
    pub fn event(&mut self, kind: OrderEventType, now: DateTime<Utc>) -> Result<OutboxEvent, AcpError> {
        let body = WebhookEvent { kind, data: self.order.clone() };
        let event = OutboxEvent {
            id: format!("evt_{}", random_hex()),
            body: serde_json::to_string(&body).map_err(|e| AcpError::Internal(e.to_string()))?,
            attempts: 0,
            created_at: now,
            next_attempt_at: now,
            after: Some(self.last_event.clone()).filter(|id| !id.is_empty()),
        };
        self.last_event = event.id.clone();
        Ok(event)
    }

    pub fn stored(&self, version: u64) -> Result<StoredAcpOrder, AcpError> {
        Ok(StoredAcpOrder {
            id: self.order.id.clone(),
            version,
            placed_at: self.placed_at,
            json: serde_json::to_string(self).map_err(|e| AcpError::Internal(e.to_string()))?,
        })
    }

    fn refund(&self) -> Option<&Adjustment> {
        self.order.adjustments.iter().find(|a| a.id == REFUND_ID)
    }

    fn ship(&mut self, shipment: &Shipment, now: DateTime<Utc>) -> Result<(), AcpError> {
        self.require(OrderStatus::Confirmed, "ship")?;
        for line in &mut self.order.line_items {
            line.quantity.fulfilled = line.quantity.current;
            line.status = line.quantity.status();
        }
        let fulfillment = Fulfillment {
            id: FULFILLMENT_ID.into(),
            kind: FulfillmentType::Shipping,
            status: FulfillmentStatus::Shipped,
            line_items: everything(&self.order, |q| q.current),
            carrier: shipment.carrier.clone().or_else(|| Some("Target".into())),
            tracking_number: shipment.tracking_number.clone(),
            tracking_url: shipment.tracking_url.clone(),
            destination: self.shipping_address.clone(),
            events: vec![FulfillmentEvent {
                id: "fev_shipped".into(),
                kind: FulfillmentEventType::Shipped,
                occurred_at: rfc3339(now),
            }],
        };
        self.order.fulfillments = vec![fulfillment];
        self.order.status = OrderStatus::Shipped;
        Ok(())
    }

    fn deliver(&mut self, now: DateTime<Utc>) -> Result<(), AcpError> {
        self.require(OrderStatus::Shipped, "deliver")?;
        for fulfillment in &mut self.order.fulfillments {
            fulfillment.status = FulfillmentStatus::Delivered;
            fulfillment.events.push(FulfillmentEvent {
                id: "fev_delivered".into(),
                kind: FulfillmentEventType::Delivered,
                occurred_at: rfc3339(now),
            });
        }
        self.order.status = OrderStatus::Completed;
        Ok(())
    }

    /// Cancels a confirmed order with its refund pending; `Ok(false)` when the order is canceled
    /// already with the refund still pending (the caller tries the refund again).
    fn cancel(&mut self, why: &Cancellation, now: DateTime<Utc>) -> Result<bool, AcpError> {
        if self.order.status == OrderStatus::Canceled
            && self.refund().is_some_and(|r| r.status == AdjustmentStatus::Pending)
        {
            return Ok(false);
        }
        self.require(OrderStatus::Confirmed, "cancel")?;
        let refunded = everything(&self.order, |q| q.current);
        for line in &mut self.order.line_items {
            line.quantity.current = 0;
            line.status = line.quantity.status();
        }
        self.order.adjustments.push(Adjustment {
            id: REFUND_ID.into(),
            kind: AdjustmentType::Refund,
            occurred_at: rfc3339(now),
            status: AdjustmentStatus::Pending,
            line_items: refunded,
            amount: self.charged,
            currency: self.currency.clone(),
            description: why.reason.clone().unwrap_or_else(|| "Order canceled before shipping".into()),
            reason: "order_canceled".into(),
        });
        self.order.status = OrderStatus::Canceled;
        Ok(true)
    }

    fn refund_done(&mut self, outcome: &RefundOutcome, now: DateTime<Utc>) {
        let Some(refund) = self.order.adjustments.iter_mut().find(|a| a.id == REFUND_ID) else { return };
        refund.occurred_at = rfc3339(now);
        match outcome {
            RefundOutcome::Refunded { .. } => {
                refund.status = AdjustmentStatus::Completed;
                let amount = refund.amount;
                self.order.totals.retain(|t| t.kind != TotalType::AmountRefunded);
                self.order.totals.push(Total {
                    kind: TotalType::AmountRefunded,
                    display_text: "Refunded".into(),
                    amount,
                });
            }
            RefundOutcome::Refused { message } => {
                refund.status = AdjustmentStatus::Failed;
                refund.description = format!("Refund failed: {message}");
            }
        }
    }

    fn require(&self, status: OrderStatus, action: &'static str) -> Result<(), AcpError> {
        if self.order.status == status {
            Ok(())
        } else {
            Err(AcpError::OrderState { action, status: self.order.status.as_str() })
        }
    }
}

impl Commerce {
    /// An order's record and its stored version.
    pub async fn order_record(&self, id: &str) -> Result<(OrderRecord, u64), AcpError> {
        let stored = self.app.store.acp_order(id).await?.ok_or_else(|| AcpError::OrderNotFound(id.into()))?;
        let record: OrderRecord = serde_json::from_str(&stored.json)
            .map_err(|e| AcpError::Internal(format!("stored order {id} does not parse: {e}")))?;
        Ok((record, stored.version))
    }

    /// Loads, applies `change` (`Ok(false)`: nothing to write), writes with compare-and-set
    /// together with the `order_update` event, retrying when another write came in between.
    async fn change_order<F>(&self, id: &str, change: F) -> Result<(OrderRecord, bool), AcpError>
    where
        F: Fn(&mut OrderRecord, DateTime<Utc>) -> Result<bool, AcpError>,
    {
        for _ in 0..WRITE_ATTEMPTS {
            let (mut record, version) = self.order_record(id).await?;
            let now = self.app.clock.now();
            if !change(&mut record, now)? {
                return Ok((record, false));
            }
            record.updated_at = now;
            let event = record.event(OrderEventType::OrderUpdate, now)?;
            if self.app.store.update_acp_order(&record.stored(version + 1)?, version, &event).await? {
                tracing::info!(order = %id, status = record.order.status.as_str(), event = %event.id, "ACP: order updated");
                return Ok((record, true));
            }
        }
        Err(AcpError::Unavailable(format!("order {id} kept changing; retry")))
    }

    pub async fn ship_order(&self, id: &str, shipment: Shipment) -> Result<Order, AcpError> {
        let (record, _) = self.change_order(id, |r, now| r.ship(&shipment, now).map(|()| true)).await?;
        Ok(record.order)
    }

    pub async fn deliver_order(&self, id: &str) -> Result<Order, AcpError> {
        let (record, _) = self.change_order(id, |r, now| r.deliver(now).map(|()| true)).await?;
        Ok(record.order)
    }

    /// Cancels a confirmed order and refunds what was charged: first the order is canceled with
    /// the refund pending (one `order_update`), then the payment provider refunds and the refund
    /// is recorded completed or failed (a second one). When the provider cannot be reached the
    /// refund stays pending (503) and queued: the refund worker (`refunds.rs`) tries it again, and
    /// so does canceling again, always under the same idempotency key.
    pub async fn cancel_order(&self, id: &str, why: Cancellation) -> Result<Order, AcpError> {
        let now = self.app.clock.now();
        // Queued before the order is canceled, so no crash in between leaves a pending refund
        // that nobody tries again; the worker drops it if the order turns out to have none.
        self.queue_refund(id, now).await?;
        let queued = PendingRefund { order_id: id.to_owned(), attempts: 0, next_attempt_at: now };
        let outcome = match self.change_order(id, |r, now| r.cancel(&why, now)).await {
            Ok(_) => self.settle_refund(id).await,
            Err(e) => Err(e),
        };
        let tried = outcome.as_ref().map(|_| ()).map_err(Clone::clone);
        if let Err(e) = self.refund_tried(queued, now, &tried).await {
            // The queued refund stays: the worker settles it or drops it.
            tracing::warn!(order = %id, error = %e, "ACP: refund queue not updated");
        }
        outcome
    }

    /// Tries the pending refund of the canceled order `id` at the payment provider (the same
    /// idempotency key on every try) and records the outcome, completed or failed, with its
    /// `order_update`. An order whose refund is not pending is answered as it is.
    pub async fn settle_refund(&self, id: &str) -> Result<Order, AcpError> {
        let (record, _) = self.order_record(id).await?;
        let Some(refund) = record.refund().filter(|r| r.status == AdjustmentStatus::Pending) else {
            return Ok(record.order);
        };
        let request = RefundRequest {
            payment_id: record.payment_id.clone(),
            amount: refund.amount,
            currency: refund.currency.clone(),
            reference: id.to_owned(),
            idempotency_key: format!("{id}-refund"),
        };
        let outcome = self.payments.refund(&request).await.map_err(|e| match e {
            PaymentError::Timeout => AcpError::PaymentUnavailable("refund timeout".into()),
            PaymentError::Unavailable(detail) => AcpError::PaymentUnavailable(detail),
        })?;
        let (record, _) = self
            .change_order(id, |r, now| {
                let pending = r.refund().is_some_and(|a| a.status == AdjustmentStatus::Pending);
                if pending {
                    r.refund_done(&outcome, now);
                }
                Ok(pending)
            })
            .await?;
        Ok(record.order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_status_follows_the_quantities() {
        let q = |ordered, current, fulfilled| OrderQuantity { ordered, current, fulfilled }.status();
        assert_eq!(q(2, 2, 0), OrderLineStatus::Processing);
        assert_eq!(q(2, 2, 1), OrderLineStatus::Partial);
        assert_eq!(q(2, 2, 2), OrderLineStatus::Fulfilled);
        assert_eq!(q(2, 0, 0), OrderLineStatus::Removed);
    }
}

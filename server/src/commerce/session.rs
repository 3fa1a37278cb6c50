//! Checkout sessions: what we keep ([`CheckoutState`]), the authoritative answer built from our
//! catalog and `pricing.rs` on every response, and the five operations with the spec's status
//! machine:
//!
//! ```text
//! create ─▶ not_ready_for_payment ⇄ ready_for_payment ─complete─▶ completed
//!                    │                  │    ▲    └─(3-D Secure)─▶ authentication_required ─complete─▶ completed
//!                    └──────cancel──────┴────┴──▶ canceled            (update returns to ready/not ready)
//! past expires_at without completing: expired.  completed, canceled, expired take no more changes (405).
//! ```
//!
//! Ready for payment = every item is in our catalog and in stock, and there is a shipping
//! address. A payment decline keeps the session open with a `payment_declined` message.

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::cart::{Cart, QUANTITY_MAX};
use shared::checkout::Order;
use shared::ids::ProductId;
use shared::membership::MembershipTier;
use shared::money::Cents;
use shared::product::Product;

use super::Commerce;
use super::error::AcpError;
use super::orders::{OrderRecord, random_hex};
use super::payment::{ChargeOutcome, ChargeRequest, HANDLER_ID, PaymentError};
use super::wire::*;
use crate::pricing::ShippingSpeed;
use crate::store::commerce::StoredCheckout;
use crate::store::home::Home;

/// How long a session takes changes and completion.
pub const CHECKOUT_LIFETIME: Duration = Duration::hours(6);
/// Most distinct items in one session.
pub const MAX_ITEMS: usize = 100;
/// Attempts at a compare-and-set write before giving up (another request keeps winning).
const WRITE_ATTEMPTS: usize = 5;

const STANDARD: &str = "standard";
const EXPRESS: &str = "express";

/// One requested item: a product id of our catalog and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    pub id: ProductId,
    pub quantity: u32,
}

/// A checkout session as stored (JSON in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutState {
    pub id: String,
    /// Kept: `completed`, `canceled`, `authentication_required`; otherwise recomputed on every
    /// answer (`not_ready_for_payment` / `ready_for_payment` / `expired`).
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub items: Vec<Requested>,
    pub buyer: Option<Buyer>,
    pub fulfillment_details: Option<FulfillmentDetails>,
    /// `standard` or `express`.
    pub shipping: String,
    /// Interventions the agent supports (from its capabilities).
    pub agent_interventions: Vec<String>,
    /// The last payment problem, shown until the next change.
    pub notice: Option<Message>,
    pub authentication_metadata: Option<Value>,
    pub order: Option<OrderRef>,
    /// The answer at completion or cancellation, repeated from then on.
    pub frozen: Option<CheckoutSession>,
    pub order_notes: Option<String>,
}

/// A rendered session with the numbers completion needs.
pub struct Priced {
    pub view: CheckoutSession,
    pub cart: Cart,
    pub shipping: Cents,
    pub total: Cents,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn total(kind: TotalType, text: &str, amount: Cents) -> Total {
    Total { kind, display_text: text.to_owned(), amount: amount.0 }
}

/// Checks and merges requested items (a repeated id adds up). Catalog checks come later.
fn parse_items(items: &[ItemRequest]) -> Result<Vec<Requested>, AcpError> {
    if items.is_empty() {
        return Err(AcpError::missing("$.line_items", "At least one line item is required."));
    }
    let mut out: Vec<Requested> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = ProductId::parse(item.id.trim()).map_err(|_| AcpError::Invalid {
            code: "invalid_item_id",
            param: format!("$.line_items[{i}].id"),
            message: format!("The item ID '{}' does not exist.", item.id),
        })?;
        let quantity = item.quantity.unwrap_or(1);
        let offered = 1..=i64::from(QUANTITY_MAX);
        if !offered.contains(&quantity) {
            return Err(AcpError::Invalid {
                code: "invalid",
                param: format!("$.line_items[{i}].quantity"),
                message: format!("Quantity {quantity} is not offered; order 1 to {QUANTITY_MAX} of an item."),
            });
        }
        let quantity = u32::try_from(quantity).unwrap_or(1);
        match out.iter().position(|r| r.id == id) {
            Some(at) => {
                let merged = out[at].quantity.saturating_add(quantity);
                if merged > QUANTITY_MAX {
                    return Err(AcpError::Invalid {
                        code: "invalid",
                        param: format!("$.line_items[{i}].quantity"),
                        message: format!("Quantity {merged} is not offered; order 1 to {QUANTITY_MAX} of an item."),
                    });
                }
                out[at].quantity = merged;
            }
            None if out.len() >= MAX_ITEMS => {
                return Err(AcpError::invalid("$.line_items", format!("At most {MAX_ITEMS} different items.")));
            }
            None => out.push(Requested { id, quantity }),
        }
    }
    Ok(out)
}

fn shipping_choice(selected: &[SelectedFulfillmentOption]) -> Result<Option<String>, AcpError> {
    for (i, option) in selected.iter().enumerate() {
        if option.kind != FulfillmentType::Shipping || ![STANDARD, EXPRESS].contains(&option.option_id.as_str()) {
            return Err(AcpError::Invalid {
                code: "invalid",
                param: format!("$.selected_fulfillment_options[{i}].option_id"),
                message: format!(
                    "Fulfillment option '{}' ({:?}) is not offered; choose one of fulfillment_options.",
                    option.option_id, option.kind
                ),
            });
        }
    }
    Ok(selected.first().map(|o| o.option_id.clone()))
}

fn check_currency(currency: &str) -> Result<(), AcpError> {
    if currency.eq_ignore_ascii_case("usd") {
        Ok(())
    } else {
        Err(AcpError::invalid("$.currency", format!("Currency '{currency}' is not supported; use usd.")))
    }
}

fn agent_interventions(capabilities: &Value) -> Vec<String> {
    capabilities["interventions"]["supported"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

impl Commerce {
    async fn products(&self, items: &[Requested]) -> Result<Vec<Option<Arc<Product>>>, AcpError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let product =
                self.app.products.product(&item.id).await.map_err(|e| AcpError::Unavailable(e.to_string()))?;
            out.push(product);
        }
        Ok(out)
    }

    /// Refuses ids our catalog does not know (at create and update).
    async fn check_catalog(&self, items: &[Requested]) -> Result<(), AcpError> {
        for (i, product) in self.products(items).await?.iter().enumerate() {
            if product.is_none() {
                return Err(AcpError::Invalid {
                    code: "invalid_item_id",
                    param: format!("$.line_items[{i}].id"),
                    message: format!("The item ID '{}' does not exist.", items[i].id),
                });
            }
        }
        Ok(())
    }

    async fn tier(&self, st: &CheckoutState) -> Result<Option<MembershipTier>, AcpError> {
        let email = st.buyer.as_ref().map(|b| b.email.as_str());
        match email {
            Some(email) => Ok(self.app.store.membership(email).await?.map(|m| m.tier)),
            None => Ok(None),
        }
    }

    /// The authoritative session: our products, our prices, our rules.
    pub async fn render(&self, st: &CheckoutState, now: DateTime<Utc>) -> Result<Priced, AcpError> {
        let products = self.products(&st.items).await?;
        let tier = self.tier(st).await?;
        let mut messages = Vec::new();
        let mut lines: Vec<(&Product, u32)> = Vec::new();
        let mut all_available = !st.items.is_empty();
        for (i, (item, product)) in st.items.iter().zip(&products).enumerate() {
            match product {
                Some(p) => {
                    if !p.in_stock {
                        all_available = false;
                        messages.push(Message::error(
                            "out_of_stock",
                            Some(format!("$.line_items[{i}]")),
                            Resolution::RequiresBuyerInput,
                            format!("{} is out of stock right now; remove it or choose another item.", p.title),
                        ));
                    }
                    lines.push((p, item.quantity));
                }
                None => {
                    all_available = false;
                    messages.push(Message::error(
                        "not_found",
                        Some(format!("$.line_items[{i}]")),
                        Resolution::RequiresBuyerInput,
                        format!("Item {} is no longer sold; remove it.", item.id),
                    ));
                }
            }
        }
        let pricing = &self.app.pricing;
        let cart = pricing.price(&lines, tier);
        let shares = pricing.line_shares(&lines, tier, &cart);
        let line_items: Vec<LineItem> = lines
            .iter()
            .zip(&shares)
            .map(|((p, quantity), share)| {
                let subtotal = share.base - share.discount;
                LineItem {
                    id: format!("li_{}", p.id),
                    item: ItemRef { id: p.id.to_string() },
                    quantity: *quantity,
                    name: p.title.clone(),
                    images: vec![p.image_url.clone()],
                    unit_amount: p.price_cents.0,
                    product_id: p.id.to_string(),
                    category: p.category.clone(),
                    availability_status: if p.in_stock {
                        AvailabilityStatus::InStock
                    } else {
                        AvailabilityStatus::OutOfStock
                    },
                    totals: vec![
                        total(TotalType::ItemsBaseAmount, "Base amount", share.base),
                        total(TotalType::Discount, "Circle savings", share.discount),
                        total(TotalType::Subtotal, "Subtotal", subtotal),
                        total(TotalType::Tax, "Tax", share.tax),
                        total(TotalType::Total, "Total", subtotal + share.tax),
                    ],
                }
            })
            .collect();
        let standard = pricing.shipping(&cart, ShippingSpeed::Standard);
        let express = pricing.shipping(&cart, ShippingSpeed::Express);
        let option = |id: &str, title: &str, description: &str, days: (i64, i64), cost: Cents| FulfillmentOption {
            kind: FulfillmentType::Shipping,
            id: id.into(),
            title: title.into(),
            description: description.into(),
            carrier: "Target".into(),
            earliest_delivery_time: rfc3339(now + Duration::days(days.0)),
            latest_delivery_time: rfc3339(now + Duration::days(days.1)),
            totals: vec![total(TotalType::Total, "Shipping", cost)],
        };
        let standard_text = if standard == Cents::ZERO {
            "Free, arrives in 3-5 days"
        } else {
            "Arrives in 3-5 days; free on orders of $35 or more"
        };
        let fulfillment_options = vec![
            option(STANDARD, "Standard shipping", standard_text, (3, 5), standard),
            option(EXPRESS, "Express shipping", "Arrives in 1-2 days", (1, 2), express),
        ];
        let shipping = if st.shipping == EXPRESS { express } else { standard };
        let merchandise = cart.subtotal_cents - cart.circle_savings_cents;
        let grand_total = merchandise + shipping + cart.estimated_tax_cents;
        let mut totals = vec![total(TotalType::ItemsBaseAmount, "Item(s) total", cart.subtotal_cents)];
        if cart.circle_savings_cents > Cents::ZERO {
            totals.push(total(TotalType::ItemsDiscount, "Target Circle savings", cart.circle_savings_cents));
        }
        totals.extend([
            total(TotalType::Subtotal, "Subtotal", merchandise),
            total(TotalType::Fulfillment, "Shipping", shipping),
            total(TotalType::Tax, "Estimated tax", cart.estimated_tax_cents),
            total(TotalType::Total, "Total", grand_total),
        ]);
        let has_address = st.fulfillment_details.as_ref().is_some_and(|d| d.address.is_some());
        if !has_address {
            messages.push(Message::error(
                "missing",
                Some("$.fulfillment_details.address".into()),
                Resolution::RequiresBuyerInput,
                "A shipping address is needed before payment.",
            ));
        }
        messages.extend(st.notice.clone());
        let status = match st.status {
            s if s.is_final() => s,
            _ if now >= st.expires_at => Status::Expired,
            Status::AuthenticationRequired => Status::AuthenticationRequired,
            _ if all_available && has_address => Status::ReadyForPayment,
            _ => Status::NotReadyForPayment,
        };
        let supported_here = ["3ds"];
        let view = CheckoutSession {
            id: st.id.clone(),
            protocol: ProtocolVersion { version: API_VERSION.into() },
            capabilities: Capabilities {
                payment: Payment { handlers: vec![self.payments.handler()] },
                interventions: Interventions {
                    supported: st
                        .agent_interventions
                        .iter()
                        .filter(|i| supported_here.contains(&i.as_str()))
                        .cloned()
                        .collect(),
                    required: vec![],
                    enforcement: "conditional".into(),
                },
            },
            buyer: st.buyer.clone(),
            status,
            currency: "usd".into(),
            line_items,
            fulfillment_details: st.fulfillment_details.clone(),
            fulfillment_options,
            selected_fulfillment_options: vec![SelectedFulfillmentOption {
                kind: FulfillmentType::Shipping,
                option_id: if st.shipping == EXPRESS { EXPRESS } else { STANDARD }.into(),
                item_ids: st.items.iter().map(|i| i.id.to_string()).collect(),
            }],
            totals,
            messages,
            links: vec![
                Link { kind: "terms_of_use".into(), url: "https://www.target.com/c/terms-conditions/-/N-4sr7l".into() },
                Link {
                    kind: "privacy_policy".into(),
                    url: "https://www.target.com/c/target-privacy-policy/-/N-4sr7p".into(),
                },
                Link { kind: "return_policy".into(), url: "https://www.target.com/returns".into() },
            ],
            authentication_metadata: (status == Status::AuthenticationRequired)
                .then(|| st.authentication_metadata.clone())
                .flatten(),
            created_at: rfc3339(st.created_at),
            updated_at: rfc3339(st.updated_at),
            expires_at: rfc3339(st.expires_at),
            order: st.order.clone(),
        };
        Ok(Priced { view, cart, shipping, total: grand_total })
    }

    /// The answer for a stored session: frozen once final, else rendered now.
    async fn answer(&self, st: &CheckoutState, now: DateTime<Utc>) -> Result<CheckoutSession, AcpError> {
        match &st.frozen {
            Some(frozen) => Ok(frozen.clone()),
            None => Ok(self.render(st, now).await?.view),
        }
    }

    async fn load(&self, id: &str) -> Result<(CheckoutState, u64), AcpError> {
        let stored = self.app.store.checkout_session(id).await?.ok_or_else(|| AcpError::SessionNotFound(id.into()))?;
        let state: CheckoutState = serde_json::from_str(&stored.json)
            .map_err(|e| AcpError::Internal(format!("stored checkout {id} does not parse: {e}")))?;
        Ok((state, stored.version))
    }

    fn stored(st: &CheckoutState, version: u64) -> Result<StoredCheckout, AcpError> {
        Ok(StoredCheckout {
            id: st.id.clone(),
            version,
            expires_at: st.expires_at,
            json: serde_json::to_string(st).map_err(|e| AcpError::Internal(e.to_string()))?,
        })
    }

    /// Refuses changes to a final (or expired) session.
    fn check_open(st: &CheckoutState, now: DateTime<Utc>) -> Result<(), AcpError> {
        match st.status {
            Status::Completed => Err(AcpError::NotModifiable("completed")),
            Status::Canceled => Err(AcpError::NotModifiable("canceled")),
            _ if now >= st.expires_at => Err(AcpError::NotModifiable("expired")),
            _ => Ok(()),
        }
    }

    pub async fn create(&self, request: CreateRequest) -> Result<CheckoutSession, AcpError> {
        check_currency(&request.currency)?;
        let items = parse_items(&request.line_items)?;
        self.check_catalog(&items).await?;
        let now = self.app.clock.now();
        let st = CheckoutState {
            id: format!("cs_{}", random_hex()),
            status: Status::NotReadyForPayment,
            created_at: now,
            updated_at: now,
            expires_at: now + CHECKOUT_LIFETIME,
            items,
            buyer: request.buyer,
            fulfillment_details: request.fulfillment_details,
            shipping: STANDARD.into(),
            agent_interventions: agent_interventions(&request.capabilities),
            notice: None,
            authentication_metadata: None,
            order: None,
            frozen: None,
            order_notes: request.order_notes,
        };
        let view = self.render(&st, now).await?.view;
        if !self.app.store.save_checkout_session(&Self::stored(&st, 1)?, None).await? {
            return Err(AcpError::Internal("a new checkout id was already taken".into()));
        }
        Ok(view)
    }

    pub async fn retrieve(&self, id: &str) -> Result<CheckoutSession, AcpError> {
        let (st, _) = self.load(id).await?;
        self.answer(&st, self.app.clock.now()).await
    }

    /// Loads, applies `change`, writes with compare-and-set, retrying when another request wrote
    /// in between; answers the new state.
    async fn change<F>(&self, id: &str, change: F) -> Result<CheckoutSession, AcpError>
    where
        F: Fn(&mut CheckoutState, DateTime<Utc>) -> Result<(), AcpError>,
    {
        for _ in 0..WRITE_ATTEMPTS {
            let (mut st, version) = self.load(id).await?;
            let now = self.app.clock.now();
            change(&mut st, now)?;
            st.updated_at = now;
            let mut view = self.render(&st, now).await?.view;
            if st.status == Status::Canceled {
                view.messages.push(Message::info("Checkout session has been canceled."));
                st.frozen = Some(view.clone());
            }
            if self.app.store.save_checkout_session(&Self::stored(&st, version + 1)?, Some(version)).await? {
                return Ok(view);
            }
        }
        Err(AcpError::Unavailable(format!("checkout {id} kept changing; retry")))
    }

    pub async fn update(&self, id: &str, request: UpdateRequest) -> Result<CheckoutSession, AcpError> {
        let items = match &request.line_items {
            Some(Some(items)) => {
                let items = parse_items(items)?;
                self.check_catalog(&items).await?;
                Some(items)
            }
            Some(None) => return Err(AcpError::invalid("$.line_items", "line_items cannot be null.")),
            None => None,
        };
        let shipping = match &request.selected_fulfillment_options {
            Some(Some(selected)) => shipping_choice(selected)?,
            Some(None) => Some(STANDARD.to_owned()),
            None => None,
        };
        self.change(id, |st, now| {
            Self::check_open(st, now)?;
            if let Some(items) = &items {
                st.items = items.clone();
            }
            if let Some(buyer) = &request.buyer {
                st.buyer = buyer.clone();
            }
            if let Some(details) = &request.fulfillment_details {
                st.fulfillment_details = details.clone();
            }
            if let Some(shipping) = &shipping {
                st.shipping = shipping.clone();
            }
            if let Some(notes) = &request.order_notes {
                st.order_notes = Some(notes.clone());
            }
            // A change starts payment over: no stale decline, no pending challenge.
            st.notice = None;
            st.authentication_metadata = None;
            st.status = Status::NotReadyForPayment;
            Ok(())
        })
        .await
    }

    pub async fn cancel(&self, id: &str, request: CancelRequest) -> Result<CheckoutSession, AcpError> {
        if let Some(trace) = &request.intent_trace {
            tracing::info!(checkout = %id, reason = %trace["reason_code"], "ACP: checkout canceled by the agent");
        }
        self.change(id, |st, now| {
            Self::check_open(st, now)?;
            st.status = Status::Canceled;
            st.notice = None;
            Ok(())
        })
        .await
    }

    pub async fn complete(&self, id: &str, request: CompleteRequest) -> Result<CheckoutSession, AcpError> {
        let (mut st, version) = self.load(id).await?;
        let now = self.app.clock.now();
        Self::check_open(&st, now)?;
        if request.payment_data.handler_id != HANDLER_ID {
            return Err(AcpError::invalid(
                "$.payment_data.handler_id",
                format!("Payment handler '{}' is not offered; use '{HANDLER_ID}'.", request.payment_data.handler_id),
            ));
        }
        if st.status == Status::AuthenticationRequired && request.authentication_result.is_none() {
            return Err(AcpError::Requires3ds);
        }
        if let Some(buyer) = request.buyer.clone() {
            st.buyer = Some(buyer);
        }
        if let Some(notes) = &request.order_notes {
            st.order_notes = Some(notes.clone());
        }
        let priced = self.render(&st, now).await?;
        if !matches!(priced.view.status, Status::ReadyForPayment | Status::AuthenticationRequired) {
            let why = priced.view.messages.iter().find(|m| m.kind == MessageType::Error).map(|m| m.content.clone());
            return Err(AcpError::Invalid {
                code: "invalid",
                param: "$".into(),
                message: format!(
                    "The session is not ready for payment{}",
                    why.map(|w| format!(": {w}")).unwrap_or_else(|| ".".into())
                ),
            });
        }
        let email = st
            .buyer
            .as_ref()
            .map(|b| b.email.clone())
            .or_else(|| st.fulfillment_details.as_ref().and_then(|d| d.email.clone()))
            .filter(|e| e.contains('@'))
            .ok_or_else(|| AcpError::missing("$.buyer.email", "The buyer's email is needed to place the order."))?;
        let charge = ChargeRequest {
            token: request.payment_data.instrument.credential.token.clone(),
            amount: priced.total.0,
            currency: "usd".into(),
            reference: st.id.clone(),
            // Same for a retry of this attempt (nothing changed), new after any change.
            idempotency_key: format!("{}-v{version}", st.id),
            authentication_result: request.authentication_result.clone(),
        };
        let outcome = self.payments.charge(&charge).await.map_err(|e| match e {
            PaymentError::Timeout => AcpError::PaymentUnavailable("timeout".into()),
            PaymentError::Unavailable(detail) => AcpError::PaymentUnavailable(detail),
        })?;
        st.updated_at = now;
        match outcome {
            ChargeOutcome::Approved { payment_id } => {
                self.place_order(st, version, priced, email, &payment_id, now).await
            }
            ChargeOutcome::Declined { message } => {
                st.status = Status::NotReadyForPayment;
                st.authentication_metadata = None;
                st.notice = Some(Message::error(
                    "payment_declined",
                    Some("$.payment_data".into()),
                    Resolution::RequiresBuyerInput,
                    format!("{message} Try a different payment method."),
                ));
                self.save_after_payment(&st, version, now).await
            }
            ChargeOutcome::AuthenticationRequired { metadata } => {
                st.status = Status::AuthenticationRequired;
                st.authentication_metadata = Some(metadata);
                st.notice = None;
                self.save_after_payment(&st, version, now).await
            }
        }
    }

    async fn save_after_payment(
        &self,
        st: &CheckoutState,
        version: u64,
        now: DateTime<Utc>,
    ) -> Result<CheckoutSession, AcpError> {
        let view = self.render(st, now).await?.view;
        if self.app.store.save_checkout_session(&Self::stored(st, version + 1)?, Some(version)).await? {
            Ok(view)
        } else {
            Err(AcpError::Unavailable(format!("checkout {} changed during payment; retry", st.id)))
        }
    }

    async fn place_order(
        &self,
        mut st: CheckoutState,
        version: u64,
        priced: Priced,
        email: String,
        payment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<CheckoutSession, AcpError> {
        let order_id = Home::ACP.new_order_id();
        let page_key = random_hex();
        let permalink_url = format!("{}/orders/{order_id}?key={page_key}", self.app.config.public_base());
        let order = Order {
            order_id: order_id.clone(),
            placed_at: now,
            email: email.clone(),
            items: priced.cart.items.clone(),
            subtotal_cents: priced.cart.subtotal_cents,
            circle_savings_cents: priced.cart.circle_savings_cents,
            shipping_cents: priced.shipping,
            tax_cents: priced.cart.estimated_tax_cents,
            total_cents: priced.total,
            currency: priced.cart.currency,
            continue_url: permalink_url.clone(),
        };
        let order_ref = OrderRef {
            kind: "order".into(),
            id: order_id.to_string(),
            checkout_session_id: st.id.clone(),
            permalink_url,
            status: OrderStatus::Confirmed.as_str().into(),
        };
        st.status = Status::Completed;
        st.notice = None;
        st.authentication_metadata = None;
        st.order = Some(order_ref.clone());
        let mut view = priced.view;
        view.status = Status::Completed;
        view.order = Some(order_ref.clone());
        view.buyer = st.buyer.clone();
        view.authentication_metadata = None;
        view.messages.retain(|m| m.kind != MessageType::Error);
        view.updated_at = rfc3339(now);
        st.frozen = Some(view.clone());
        let mut record = OrderRecord::placed(&order_ref, &view, payment_id, page_key, now);
        let event = record.event(OrderEventType::OrderCreate, now)?;
        let stored = Self::stored(&st, version + 1)?;
        let savings = priced.cart.circle_savings_cents;
        if self
            .app
            .store
            .complete_checkout_session(&stored, version, &order, &record.stored(1)?, savings, &event)
            .await?
        {
            tracing::info!(checkout = %st.id, order = %order_id, payment = %payment_id, total = order.total_cents.0, "ACP: order placed");
            Ok(view)
        } else {
            // Another request changed the session after we charged: the charge's idempotency key
            // is tied to the version, so a retry does not charge twice.
            Err(AcpError::Unavailable(format!("checkout {} changed during completion; retry", st.id)))
        }
    }
}

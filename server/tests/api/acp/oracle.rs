//! The test oracle: the ACP 2026-04-17 JSON Schema (`schema.agentic_checkout.json`) written down
//! as strict Rust types (every object `additionalProperties: false` is `deny_unknown_fields`,
//! every enum a Rust enum, every amount an `i64` so a float is refused), plus the constraints the
//! schema states in prose (totals add up, selected options exist, `authentication_required`
//! carries metadata, a completed session carries its order) and the status machine. It is
//! written from the spec, independently of the server's own types, and nothing is fetched at
//! test time.

#![allow(dead_code)] // Fields exist to be checked by deserialization.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Incomplete,
    NotReadyForPayment,
    RequiresEscalation,
    AuthenticationRequired,
    ReadyForPayment,
    PendingApproval,
    CompleteInProgress,
    Completed,
    Canceled,
    InProgress,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalType {
    ItemsBaseAmount,
    ItemsDiscount,
    Subtotal,
    Discount,
    Fulfillment,
    Tax,
    Fee,
    GiftWrap,
    Tip,
    StoreCredit,
    Total,
    AmountRefunded,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Total {
    #[serde(rename = "type")]
    pub kind: TotalType,
    pub display_text: String,
    pub amount: i64,
    pub presentment_amount: Option<i64>,
    pub description: Option<String>,
    pub breakdown: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub name: Option<String>,
    pub unit_amount: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    InStock,
    LowStock,
    OutOfStock,
    Backorder,
    PreOrder,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub id: String,
    pub item: Item,
    pub quantity: i64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub images: Option<Vec<String>>,
    pub unit_amount: Option<i64>,
    pub disclosures: Option<Vec<Value>>,
    pub custom_attributes: Option<Vec<Value>>,
    pub marketplace_seller_details: Option<Value>,
    pub product_id: Option<String>,
    pub sku: Option<String>,
    pub variant_id: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub weight: Option<Value>,
    pub dimensions: Option<Value>,
    pub availability_status: Option<Availability>,
    pub available_quantity: Option<i64>,
    pub max_quantity_per_order: Option<i64>,
    pub fulfillable_on: Option<String>,
    pub variant_options: Option<Vec<Value>>,
    pub discount_details: Option<Vec<Value>>,
    pub tax_exempt: Option<bool>,
    pub tax_exemption_reason: Option<String>,
    pub parent_id: Option<String>,
    pub totals: Vec<Total>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line_one: String,
    pub line_two: Option<String>,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    pub company: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentDetails {
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buyer {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub email: String,
    pub phone_number: Option<String>,
    pub customer_id: Option<String>,
    pub account_type: Option<String>,
    pub authentication_status: Option<String>,
    pub company: Option<Value>,
    pub loyalty: Option<Value>,
    pub tax_exemption: Option<Value>,
}

/// `FulfillmentOptionShipping` (the one kind a Target checkout offers); other kinds would fail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentOption {
    #[serde(rename = "type")]
    pub kind: FulfillmentKind,
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub carrier: Option<String>,
    pub earliest_delivery_time: Option<String>,
    pub latest_delivery_time: Option<String>,
    pub totals: Vec<Total>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentKind {
    Shipping,
    Digital,
    Pickup,
    LocalDelivery,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectedFulfillmentOption {
    #[serde(rename = "type")]
    pub kind: FulfillmentKind,
    pub option_id: String,
    pub item_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Missing,
    Invalid,
    OutOfStock,
    PaymentDeclined,
    RequiresSignIn,
    #[serde(rename = "requires_3ds")]
    Requires3ds,
    LowStock,
    QuantityExceeded,
    CouponInvalid,
    CouponExpired,
    MinimumNotMet,
    MaximumExceeded,
    RegionRestricted,
    AgeVerificationRequired,
    ApprovalRequired,
    Unsupported,
    NotFound,
    Conflict,
    RateLimited,
    Expired,
    InterventionRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    Plain,
    Markdown,
}

/// `MessageInfo` | `MessageWarning` | `MessageError`, told apart by `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    #[serde(rename = "type")]
    pub kind: MessageKind,
    pub code: Option<String>,
    pub severity: Option<String>,
    pub resolution: Option<Resolution>,
    pub param: Option<String>,
    pub content_type: ContentType,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Recoverable,
    RequiresBuyerInput,
    RequiresBuyerReview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    TermsOfUse,
    PrivacyPolicy,
    ReturnPolicy,
    ShippingPolicy,
    ContactUs,
    AboutUs,
    Faq,
    Support,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: LinkType,
    pub title: Option<String>,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolVersion {
    pub version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentHandler {
    pub id: String,
    pub name: String,
    pub display_name: Option<String>,
    pub version: String,
    pub spec: String,
    pub requires_delegate_payment: bool,
    pub requires_pci_compliance: bool,
    pub psp: String,
    pub config_schema: String,
    pub instrument_schemas: Vec<String>,
    pub config: serde_json::Map<String, Value>,
    pub display_order: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub handlers: Vec<PaymentHandler>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum InterventionType {
    #[serde(rename = "3ds")]
    ThreeDs,
    #[serde(rename = "biometric")]
    Biometric,
    #[serde(rename = "address_verification")]
    AddressVerification,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interventions {
    pub supported: Option<Vec<InterventionType>>,
    pub required: Option<Vec<InterventionType>>,
    pub enforcement: Option<Enforcement>,
    pub display_context: Option<String>,
    pub redirect_context: Option<String>,
    pub max_redirects: Option<i64>,
    pub max_interaction_depth: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    Always,
    Conditional,
    Optional,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    pub payment: Option<Payment>,
    pub interventions: Option<Interventions>,
    pub extensions: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcquirerDetails {
    pub acquirer_bin: String,
    pub acquirer_country: String,
    pub acquirer_merchant_id: String,
    pub merchant_name: String,
    pub requestor_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryServer {
    AmericanExpress,
    Mastercard,
    Visa,
}

/// `AuthenticationMetadata` (`additionalProperties: true`).
#[derive(Debug, Clone, Deserialize)]
pub struct AuthenticationMetadata {
    pub acquirer_details: AcquirerDetails,
    pub directory_server: DirectoryServer,
    pub flow_preference: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub id: String,
    pub checkout_session_id: String,
    pub order_number: Option<String>,
    pub client_reference_id: Option<String>,
    pub permalink_url: String,
    pub status: Option<String>,
    pub estimated_delivery: Option<Value>,
    pub confirmation: Option<Value>,
    pub support: Option<Value>,
    pub line_items: Option<Vec<OrderLineItem>>,
    pub fulfillments: Option<Vec<Fulfillment>>,
    pub adjustments: Option<Vec<Adjustment>>,
    pub totals: Option<Vec<Total>>,
}

// `Order.status`, `OrderLineItem.status`, `Fulfillment.status`, `FulfillmentEvent.type`,
// `Adjustment.type` and `.status` are open strings in the schema ("MUST accept unrecognized
// values"); a merchant should send the defined ones, which these lists are.
pub const ORDER_STATUSES: [&str; 7] =
    ["created", "confirmed", "manual_review", "processing", "shipped", "completed", "canceled"];
pub const LINE_STATUSES: [&str; 4] = ["processing", "partial", "fulfilled", "removed"];
pub const FULFILLMENT_STATUSES: [&str; 9] = [
    "pending",
    "processing",
    "shipped",
    "in_transit",
    "out_for_delivery",
    "ready_for_pickup",
    "delivered",
    "failed",
    "canceled",
];
pub const FULFILLMENT_EVENT_TYPES: [&str; 10] = [
    "processing",
    "shipped",
    "in_transit",
    "out_for_delivery",
    "ready_for_pickup",
    "delivered",
    "failed_attempt",
    "returned_to_sender",
    "canceled",
    "undeliverable",
];
pub const ADJUSTMENT_TYPES: [&str; 7] =
    ["refund", "credit", "return", "exchange", "price_adjustment", "cancellation", "dispute"];
pub const ADJUSTMENT_STATUSES: [&str; 3] = ["pending", "completed", "failed"];

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineItemQuantity {
    pub ordered: u32,
    pub current: u32,
    #[serde(default)]
    pub fulfilled: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineItem {
    pub id: String,
    pub title: String,
    pub product_id: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub url: Option<String>,
    pub quantity: OrderLineItemQuantity,
    pub unit_price: Option<i64>,
    pub subtotal: Option<i64>,
    pub totals: Option<Vec<Total>>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItemReference {
    pub id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: String,
    pub description: Option<String>,
    pub location: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderFulfillmentType {
    Shipping,
    Pickup,
    Digital,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fulfillment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: OrderFulfillmentType,
    pub status: Option<String>,
    pub line_items: Option<Vec<LineItemReference>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub destination: Option<Address>,
    pub estimated_delivery: Option<Value>,
    pub digital_delivery: Option<Value>,
    pub description: Option<String>,
    pub events: Option<Vec<FulfillmentEvent>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: String,
    pub status: String,
    pub line_items: Option<Vec<LineItemReference>>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub reason: Option<String>,
}

/// `WebhookEvent` (the webhook OpenAPI): `type` and the full order as `data`, which there must
/// carry `type`, `checkout_session_id`, `permalink_url` and `status`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub data: Order,
}

/// `CheckoutSessionBase` (and `CheckoutSessionWithOrder` when `order` is present).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSession {
    pub id: String,
    pub protocol: Option<ProtocolVersion>,
    pub capabilities: Capabilities,
    pub buyer: Option<Buyer>,
    pub status: Status,
    pub currency: String,
    pub presentment_currency: Option<String>,
    pub exchange_rate: Option<f64>,
    pub exchange_rate_timestamp: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub line_items: Vec<LineItem>,
    pub fulfillment_details: Option<FulfillmentDetails>,
    pub fulfillment_options: Vec<FulfillmentOption>,
    pub selected_fulfillment_options: Option<Vec<SelectedFulfillmentOption>>,
    pub fulfillment_groups: Option<Vec<Value>>,
    pub totals: Vec<Total>,
    pub messages: Vec<Message>,
    pub links: Vec<Link>,
    pub authentication_metadata: Option<AuthenticationMetadata>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub expires_at: Option<String>,
    pub continue_url: Option<String>,
    pub metadata: Option<serde_json::Map<String, Value>>,
    pub quote_id: Option<String>,
    pub quote_expires_at: Option<String>,
    pub discounts: Option<Value>,
    pub marketing_consent_options: Option<Vec<Value>>,
    pub order: Option<Order>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    ProcessingError,
    ServiceUnavailable,
}

/// `Error`: the flat error object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Error {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub code: String,
    pub message: String,
    pub param: Option<String>,
    pub supported_versions: Option<Vec<String>>,
}

fn amount(totals: &[Total], kind: TotalType) -> Option<i64> {
    let found: Vec<i64> = totals.iter().filter(|t| t.kind == kind).map(|t| t.amount).collect();
    assert!(found.len() <= 1, "{kind:?} appears {} times", found.len());
    found.first().copied()
}

fn is_date_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

fn is_uri(text: &str) -> bool {
    url::Url::parse(text).is_ok()
}

/// Checks a checkout session body against the schema and its stated constraints; returns it.
pub fn session(body: &Value) -> CheckoutSession {
    let s: CheckoutSession =
        serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not a CheckoutSession: {e}\n{body:#}"));
    assert!(!s.id.is_empty());
    assert!(
        s.currency.len() == 3 && s.currency.bytes().all(|b| b.is_ascii_lowercase()),
        "ISO 4217 lower case: {}",
        s.currency
    );
    if let Some(p) = &s.protocol {
        assert!(p.version.len() == 10 && p.version.as_bytes()[4] == b'-', "YYYY-MM-DD: {}", p.version);
    }
    for handler in s.capabilities.payment.iter().flat_map(|p| &p.handlers) {
        assert!(is_uri(&handler.spec) && is_uri(&handler.config_schema), "handler URIs");
        assert!(handler.instrument_schemas.iter().all(|u| is_uri(u)));
    }
    for t in [&s.created_at, &s.updated_at, &s.expires_at].into_iter().flatten() {
        assert!(is_date_time(t), "date-time: {t}");
    }
    for line in &s.line_items {
        assert!(line.quantity >= 1, "quantity minimum 1");
        assert!(line.images.iter().flatten().all(|u| is_uri(u)), "images are URIs");
        let t = &line.totals;
        if let (Some(base), Some(discount), Some(subtotal)) =
            (amount(t, TotalType::ItemsBaseAmount), amount(t, TotalType::Discount), amount(t, TotalType::Subtotal))
        {
            assert_eq!(subtotal, base - discount, "line {}: subtotal = base - discount", line.id);
            if let Some(unit) = line.unit_amount {
                assert_eq!(base, unit * line.quantity, "line {}: base = unit × quantity", line.id);
            }
            if let (Some(tax), Some(total)) = (amount(t, TotalType::Tax), amount(t, TotalType::Total)) {
                assert_eq!(total, subtotal + tax, "line {}: total = subtotal + tax", line.id);
            }
        }
        assert!(t.iter().all(|x| x.amount >= 0), "line amounts are not negative");
    }
    for option in &s.fulfillment_options {
        for t in [&option.earliest_delivery_time, &option.latest_delivery_time].into_iter().flatten() {
            assert!(is_date_time(t), "delivery time: {t}");
        }
    }
    for selected in s.selected_fulfillment_options.iter().flatten() {
        assert!(
            s.fulfillment_options.iter().any(|o| o.id == selected.option_id && o.kind == selected.kind),
            "selected option {} must be one of fulfillment_options",
            selected.option_id
        );
    }
    let t = &s.totals;
    if let Some(total) = amount(t, TotalType::Total) {
        let sum = [TotalType::Subtotal, TotalType::Fulfillment, TotalType::Tax, TotalType::Fee]
            .iter()
            .filter_map(|k| amount(t, *k))
            .sum::<i64>()
            - amount(t, TotalType::Discount).unwrap_or(0);
        assert_eq!(total, sum, "total = subtotal + fulfillment + tax + fees - discount\n{body:#}");
        if let (Some(base), Some(subtotal)) = (amount(t, TotalType::ItemsBaseAmount), amount(t, TotalType::Subtotal)) {
            assert_eq!(
                subtotal,
                base - amount(t, TotalType::ItemsDiscount).unwrap_or(0),
                "subtotal = items - item discounts"
            );
            let lines: i64 = s.line_items.iter().filter_map(|l| amount(&l.totals, TotalType::ItemsBaseAmount)).sum();
            assert_eq!(base, lines, "items_base_amount = the lines' base amounts");
        }
        if let Some(fulfillment) = amount(t, TotalType::Fulfillment) {
            let chosen = s.selected_fulfillment_options.iter().flatten().next().and_then(|sel| {
                s.fulfillment_options
                    .iter()
                    .find(|o| o.id == sel.option_id)
                    .and_then(|o| amount(&o.totals, TotalType::Total))
            });
            if let Some(chosen) = chosen {
                assert_eq!(fulfillment, chosen, "fulfillment total = the selected option's cost");
            }
        }
    }
    for m in &s.messages {
        match m.kind {
            MessageKind::Info => assert!(m.code.is_none(), "MessageInfo has no code"),
            MessageKind::Warning => assert!(m.code.is_some(), "MessageWarning needs a code"),
            MessageKind::Error => {
                let code = m.code.clone().expect("MessageError needs a code");
                serde_json::from_value::<ErrorCode>(Value::String(code.clone()))
                    .unwrap_or_else(|_| panic!("message error code {code} is not in the enum"));
            }
        }
    }
    assert!(s.links.iter().all(|l| is_uri(&l.url)), "links are URIs");
    if s.status == Status::AuthenticationRequired {
        assert!(s.authentication_metadata.is_some(), "authentication_required carries authentication_metadata");
    }
    if s.status == Status::Completed {
        let order = s.order.as_ref().expect("a completed session carries its order");
        assert_eq!(order.checkout_session_id, s.id);
        assert!(is_uri(&order.permalink_url), "permalink_url is a URI");
    }
    s
}

/// Checks a full order (webhook `data`, the operator API) against the schema and the order RFC's
/// rules: defined values, line status derived from the quantities, references to real lines,
/// `amount_refunded` = the completed refunds; returns it.
pub fn order(body: &Value) -> Order {
    let o: Order = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not an Order: {e}\n{body:#}"));
    assert_eq!(o.kind.as_deref(), Some("order"), "the discriminator");
    assert!(is_uri(&o.permalink_url), "permalink_url is a URI");
    let status = o.status.as_deref().expect("a status");
    assert!(ORDER_STATUSES.contains(&status), "order status {status}");
    let lines = o.line_items.as_deref().unwrap_or_default();
    for line in lines {
        let q = line.quantity;
        assert!(q.ordered >= 1 && q.current <= q.ordered && q.fulfilled <= q.ordered, "{q:?}");
        let derived = if q.current == 0 {
            "removed"
        } else if q.fulfilled == q.current {
            "fulfilled"
        } else if q.fulfilled > 0 {
            "partial"
        } else {
            "processing"
        };
        let given = line.status.as_deref().expect("line status");
        assert!(LINE_STATUSES.contains(&given));
        assert_eq!(given, derived, "line status follows the quantities: {q:?}");
        if let (Some(unit), Some(subtotal)) = (line.unit_price, line.subtotal) {
            assert!(subtotal <= unit * i64::from(q.ordered), "subtotal at most the base amount");
        }
    }
    let is_line = |id: &str| lines.iter().any(|l| l.id == id);
    for f in o.fulfillments.iter().flatten() {
        let fs = f.status.as_deref().expect("fulfillment status");
        assert!(FULFILLMENT_STATUSES.contains(&fs), "fulfillment status {fs}");
        assert!(f.line_items.iter().flatten().all(|r| is_line(&r.id) && r.quantity >= 1), "line references");
        for e in f.events.iter().flatten() {
            assert!(FULFILLMENT_EVENT_TYPES.contains(&e.kind.as_str()), "event type {}", e.kind);
            assert!(is_date_time(&e.occurred_at));
        }
        if let Some(url) = &f.tracking_url {
            assert!(is_uri(url));
        }
    }
    let mut refunded = 0;
    for a in o.adjustments.iter().flatten() {
        assert!(ADJUSTMENT_TYPES.contains(&a.kind.as_str()), "adjustment type {}", a.kind);
        assert!(ADJUSTMENT_STATUSES.contains(&a.status.as_str()), "adjustment status {}", a.status);
        assert!(is_date_time(&a.occurred_at));
        assert!(a.line_items.iter().flatten().all(|r| is_line(&r.id) && r.quantity >= 1), "line references");
        if let Some(c) = &a.currency {
            assert!(c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()), "currency {c}");
        }
        if a.kind == "refund" && a.status == "completed" {
            refunded += a.amount.expect("a completed refund has an amount");
        }
    }
    let totals = o.totals.as_deref().unwrap_or_default();
    assert!(amount(totals, TotalType::Total).is_some(), "the total charged");
    assert_eq!(amount(totals, TotalType::AmountRefunded).unwrap_or(0), refunded, "amount_refunded = completed refunds");
    o
}

/// Checks an order webhook body; returns it.
pub fn webhook(body: &str) -> WebhookEvent {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("webhook body is not JSON ({e}): {body}"));
    let event: WebhookEvent =
        serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("not a WebhookEvent: {e}\n{value:#}"));
    assert!(["order_create", "order_update"].contains(&event.kind.as_str()), "event type {}", event.kind);
    order(&value["data"]);
    event
}

/// Checks a flat error body; returns it.
pub fn error(body: &Value) -> Error {
    let e: Error = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not an Error: {e}\n{body:#}"));
    assert!(!e.code.is_empty() && !e.message.is_empty());
    for v in e.supported_versions.iter().flatten() {
        assert!(v.len() == 10 && v.bytes().filter(|b| *b == b'-').count() == 2, "YYYY-MM-DD: {v}");
    }
    e
}

/// The status machine of the RFC: which status may follow which, per operation.
pub fn transition_allowed(from: Status, operation: &str, to: Status) -> bool {
    use Status::*;
    let open = [NotReadyForPayment, ReadyForPayment, AuthenticationRequired];
    match operation {
        "update" => open.contains(&from) && [NotReadyForPayment, ReadyForPayment].contains(&to),
        "complete" => {
            [ReadyForPayment, AuthenticationRequired].contains(&from)
                && [Completed, ReadyForPayment, NotReadyForPayment, AuthenticationRequired].contains(&to)
        }
        "cancel" => open.contains(&from) && to == Canceled,
        "retrieve" => from == to,
        _ => false,
    }
}

/// Totals by type, for assertions.
pub fn totals(s: &CheckoutSession) -> BTreeMap<String, i64> {
    s.totals.iter().map(|t| (format!("{:?}", t.kind), t.amount)).collect()
}

pub fn total(s: &CheckoutSession) -> i64 {
    amount(&s.totals, TotalType::Total).expect("a total")
}

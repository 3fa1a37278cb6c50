//! The Agentic Commerce Protocol's JSON, version 2026-04-17 (`schema.agentic_checkout.json`):
//! the request bodies we read and the checkout session we answer. Field names are the spec's
//! (snake_case); every amount is an integer in minor units (cents). Fields of the spec we do not
//! use are accepted in requests and ignored.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The one API version this server speaks.
pub const API_VERSION: &str = "2026-04-17";
/// Every version accepted in `API-Version` (oldest first).
pub const SUPPORTED_VERSIONS: [&str; 1] = [API_VERSION];

/// `Item` in a create or update request: a product of our catalog by id. The 2026-04-17 schema
/// has no quantity here (its OpenAPI examples still send one); we accept an optional `quantity`
/// (default 1), see docs/commerce.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemRequest {
    pub id: String,
    /// Units of this item, 1 to 99 (an extension to the 2026-04-17 `Item`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Ignored: names and prices are ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Ignored: names and prices are ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_amount: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    pub name: String,
    pub line_one: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_two: Option<String>,
    pub city: String,
    pub state: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub postal_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct FulfillmentDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Buyer {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentType {
    Shipping,
    Digital,
    Pickup,
    LocalDelivery,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SelectedFulfillmentOption {
    #[serde(rename = "type")]
    pub kind: FulfillmentType,
    pub option_id: String,
    #[serde(default)]
    pub item_ids: Vec<String>,
}

/// `POST /checkout_sessions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CreateRequest {
    pub line_items: Vec<ItemRequest>,
    /// ISO 4217, lower case; we sell in `usd` only.
    pub currency: String,
    /// The agent's capabilities (required by the schema; its `interventions.supported` is read).
    pub capabilities: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<Buyer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_details: Option<FulfillmentDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_notes: Option<String>,
}

/// `POST /checkout_sessions/{id}`. An absent field leaves the session as it is; `null` clears it
/// (spec §6.2).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct UpdateRequest {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Buyer>")]
    pub buyer: Option<Option<Buyer>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<ItemRequest>>")]
    pub line_items: Option<Option<Vec<ItemRequest>>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<FulfillmentDetails>")]
    pub fulfillment_details: Option<Option<FulfillmentDetails>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<SelectedFulfillmentOption>>")]
    pub selected_fulfillment_options: Option<Option<Vec<SelectedFulfillmentOption>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_notes: Option<String>,
}

/// A present field (even `null`) is `Some`; with `#[serde(default)]` an absent one is `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Credential {
    #[serde(rename = "type")]
    pub kind: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Instrument {
    #[serde(rename = "type")]
    pub kind: String,
    pub credential: Credential,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentData {
    pub handler_id: String,
    pub instrument: Instrument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
}

/// `authentication_result` after a 3-D Secure challenge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuthenticationResult {
    pub outcome: AuthenticationOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_details: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationOutcome {
    Abandoned,
    AttemptAcknowledged,
    Authenticated,
    Canceled,
    Denied,
    Informational,
    InternalError,
    NotSupported,
    ProcessingError,
    Rejected,
}

/// `POST /checkout_sessions/{id}/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompleteRequest {
    pub payment_data: PaymentData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<Buyer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_result: Option<AuthenticationResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_notes: Option<String>,
}

/// `POST /checkout_sessions/{id}/cancel` (body optional).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CancelRequest {
    /// Why the agent abandons the session (`reason_code`, `trace_summary`); logged, not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_trace: Option<Value>,
}

// ---- The checkout session we answer ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotReadyForPayment,
    ReadyForPayment,
    AuthenticationRequired,
    Completed,
    Canceled,
    Expired,
}

impl Status {
    /// Completed, canceled and expired sessions take no more changes.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Canceled | Status::Expired)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TotalType {
    ItemsBaseAmount,
    ItemsDiscount,
    Subtotal,
    Discount,
    Fulfillment,
    Tax,
    Fee,
    Total,
    /// Orders only: the sum of completed refunds.
    AmountRefunded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Total {
    #[serde(rename = "type")]
    pub kind: TotalType,
    pub display_text: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ItemRef {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineItem {
    pub id: String,
    pub item: ItemRef,
    pub quantity: u32,
    pub name: String,
    pub images: Vec<String>,
    pub unit_amount: i64,
    pub product_id: String,
    pub category: String,
    pub availability_status: AvailabilityStatus,
    pub totals: Vec<Total>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityStatus {
    InStock,
    OutOfStock,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FulfillmentOption {
    /// Always `shipping` here.
    #[serde(rename = "type")]
    pub kind: FulfillmentType,
    pub id: String,
    pub title: String,
    pub description: String,
    pub carrier: String,
    pub earliest_delivery_time: String,
    pub latest_delivery_time: String,
    pub totals: Vec<Total>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Recoverable,
    RequiresBuyerInput,
    RequiresBuyerReview,
}

/// `MessageInfo` / `MessageError` (`code` absent on info).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    #[serde(rename = "type")]
    pub kind: MessageType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Always `plain`.
    pub content_type: String,
    pub content: String,
}

impl Message {
    pub fn error(code: &str, param: Option<String>, resolution: Resolution, content: impl Into<String>) -> Self {
        Message {
            kind: MessageType::Error,
            code: Some(code.to_owned()),
            resolution: Some(resolution),
            param,
            content_type: "plain".into(),
            content: content.into(),
        }
    }

    pub fn info(content: impl Into<String>) -> Self {
        Message {
            kind: MessageType::Info,
            code: None,
            resolution: None,
            param: None,
            content_type: "plain".into(),
            content: content.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProtocolVersion {
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentHandler {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub version: String,
    pub spec: String,
    pub requires_delegate_payment: bool,
    pub requires_pci_compliance: bool,
    pub psp: String,
    pub config_schema: String,
    pub instrument_schemas: Vec<String>,
    pub config: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Payment {
    pub handlers: Vec<PaymentHandler>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interventions {
    pub supported: Vec<String>,
    pub required: Vec<String>,
    pub enforcement: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Capabilities {
    pub payment: Payment,
    pub interventions: Interventions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub checkout_session_id: String,
    pub permalink_url: String,
    pub status: String,
}

// ---- The order (`Order` with the post-purchase fields of `rfc.orders.md`) ----

/// `Order.status`: the values this merchant uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed and paid.
    Confirmed,
    /// Handed to the carrier.
    Shipped,
    /// Delivered.
    Completed,
    Canceled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderQuantity {
    pub ordered: u32,
    pub current: u32,
    pub fulfilled: u32,
}

/// `OrderLineItem.status`, derived from the quantities (`rfc.orders.md` §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderLineStatus {
    Processing,
    Partial,
    Fulfilled,
    Removed,
}

impl OrderQuantity {
    pub fn status(self) -> OrderLineStatus {
        match self {
            OrderQuantity { current: 0, .. } => OrderLineStatus::Removed,
            OrderQuantity { fulfilled, current, .. } if fulfilled == current => OrderLineStatus::Fulfilled,
            OrderQuantity { fulfilled, .. } if fulfilled > 0 => OrderLineStatus::Partial,
            _ => OrderLineStatus::Processing,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderLineItem {
    pub id: String,
    pub title: String,
    pub product_id: String,
    pub quantity: OrderQuantity,
    pub unit_price: i64,
    pub subtotal: i64,
    pub status: OrderLineStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    Shipped,
    Delivered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentEventType {
    Shipped,
    Delivered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FulfillmentEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FulfillmentEventType,
    pub occurred_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineItemReference {
    pub id: String,
    pub quantity: u32,
}

/// `Fulfillment`; ours are always `shipping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Fulfillment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FulfillmentType,
    pub status: FulfillmentStatus,
    pub line_items: Vec<LineItemReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Address>,
    pub events: Vec<FulfillmentEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentType {
    Refund,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentStatus {
    Pending,
    Completed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Adjustment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: AdjustmentType,
    pub occurred_at: String,
    pub status: AdjustmentStatus,
    pub line_items: Vec<LineItemReference>,
    /// Credited to the buyer, tax included (minor units).
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub reason: String,
}

/// The full `Order` (webhook `data`, the operator API, the order page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    /// Always `order`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub checkout_session_id: String,
    pub permalink_url: String,
    pub order_number: String,
    pub status: OrderStatus,
    pub line_items: Vec<OrderLineItem>,
    pub fulfillments: Vec<Fulfillment>,
    pub adjustments: Vec<Adjustment>,
    pub totals: Vec<Total>,
}

/// `WebhookEvent.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderEventType {
    OrderCreate,
    OrderUpdate,
}

/// The body of an order webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub kind: OrderEventType,
    pub data: Order,
}

/// `CheckoutSession` / `CheckoutSessionWithOrder`: the authoritative state on every answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckoutSession {
    pub id: String,
    pub protocol: ProtocolVersion,
    pub capabilities: Capabilities,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<Buyer>,
    pub status: Status,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_details: Option<FulfillmentDetails>,
    pub fulfillment_options: Vec<FulfillmentOption>,
    pub selected_fulfillment_options: Vec<SelectedFulfillmentOption>,
    pub totals: Vec<Total>,
    pub messages: Vec<Message>,
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_metadata: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRef>,
}

/// The flat error object (`Error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_versions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    ProcessingError,
    ServiceUnavailable,
}

//! Charging a completed checkout: the [`PaymentProvider`] trait, the built-in test provider, and
//! the delegated-payment provider that asks a PSP over HTTP to charge the delegated token.
//!
//! The PSP API (ours; ACP leaves the merchant–PSP call to the PSP): `POST <ACP_PSP_URL>/charges`
//! with `Authorization: Bearer <ACP_PSP_KEY>`, `Idempotency-Key`, and
//! `{"token","amount","currency","reference","authentication_result"?}`. Answers: 200
//! `{"id","status":"succeeded"}`; 200 `{"status":"requires_authentication","authentication_metadata":{…}}`;
//! 402 `{"code":"card_declined","message"}`. Anything else, or no answer within
//! `ACP_PSP_TIMEOUT_MS`, is "unavailable" (the completion answers 503 and can be retried with the
//! same key: the PSP call carries the same idempotency key, so it charges at most once).
//!
//! Refunds (an operator cancels an order, `orders.rs`): `POST <ACP_PSP_URL>/refunds` with the
//! same headers (`Idempotency-Key: <order>-refund`) and `{"payment_id","amount","currency",
//! "reference"}`. Answers: 200 `{"id","status":"succeeded"}`; 402 `{"message"}` refused; anything
//! else, or no answer in time, is "unavailable" (the refund stays pending and can be retried).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::wire::{AuthenticationResult, PaymentHandler};

/// The handler id agents name in `payment_data.handler_id`.
pub const HANDLER_ID: &str = "card_tokenized";

/// What to charge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChargeRequest {
    pub token: String,
    pub amount: i64,
    pub currency: String,
    /// The checkout session id.
    pub reference: String,
    /// Same for retries of one completion, so the PSP charges once.
    #[serde(skip)]
    pub idempotency_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_result: Option<AuthenticationResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChargeOutcome {
    Approved {
        payment_id: String,
    },
    Declined {
        message: String,
    },
    /// 3-D Secure is needed; the metadata goes to the agent as `authentication_metadata`.
    AuthenticationRequired {
        metadata: Value,
    },
}

/// What to refund: all of a payment (we refund whole orders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRequest {
    pub payment_id: String,
    pub amount: i64,
    pub currency: String,
    /// The order id.
    pub reference: String,
    /// The same for every try of one refund, so the PSP refunds once.
    #[serde(skip)]
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded { refund_id: String },
    Refused { message: String },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment provider did not answer in time")]
    Timeout,
    #[error("the payment provider failed: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The handler advertised in `capabilities.payment.handlers`.
    fn handler(&self) -> PaymentHandler;

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, PaymentError>;

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, PaymentError>;
}

fn handler(psp: &str, environment: &str) -> PaymentHandler {
    PaymentHandler {
        id: HANDLER_ID.into(),
        name: "dev.acp.tokenized.card".into(),
        display_name: "Credit or debit card".into(),
        version: "2026-01-22".into(),
        spec: "https://acp.dev/handlers/tokenized.card".into(),
        requires_delegate_payment: true,
        requires_pci_compliance: false,
        psp: psp.into(),
        config_schema: "https://acp.dev/schemas/handlers/tokenized.card/config.json".into(),
        instrument_schemas: vec!["https://acp.dev/schemas/handlers/tokenized.card/instrument.json".into()],
        config: json!({
            "psp": psp,
            "accepted_brands": ["visa", "mastercard", "amex", "discover"],
            "accepted_funding_types": ["credit", "debit"],
            "supports_3ds": true,
            "environment": environment,
        }),
    }
}

/// 3-D Secure metadata for the test provider's challenge.
fn test_authentication_metadata() -> Value {
    json!({
        "acquirer_details": {
            "acquirer_bin": "400000",
            "acquirer_country": "US",
            "acquirer_merchant_id": "target_demo",
            "merchant_name": "Target (demo)"
        },
        "directory_server": "visa",
        "flow_preference": {"type": "challenge", "challenge": {"type": "preferred"}}
    })
}

/// The built-in provider (no PSP configured): approves every token except the test tokens
/// `tok_decline` (declined) and `tok_3ds` (asks for 3-D Secure; approved once the completion
/// carries an `authenticated` result).
#[derive(Debug, Default)]
pub struct TestProvider;

pub const DECLINE_TOKEN: &str = "tok_decline";
pub const THREE_DS_TOKEN: &str = "tok_3ds";

#[async_trait]
impl PaymentProvider for TestProvider {
    fn handler(&self) -> PaymentHandler {
        handler("test", "test")
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, PaymentError> {
        use super::wire::AuthenticationOutcome::{AttemptAcknowledged, Authenticated};
        match request.token.as_str() {
            DECLINE_TOKEN => Ok(ChargeOutcome::Declined { message: "The card was declined.".into() }),
            THREE_DS_TOKEN => match &request.authentication_result {
                Some(r) if matches!(r.outcome, Authenticated | AttemptAcknowledged) => {
                    Ok(ChargeOutcome::Approved { payment_id: format!("pay_test_{}", request.idempotency_key) })
                }
                Some(_) => {
                    Ok(ChargeOutcome::Declined { message: "The card issuer did not authenticate the buyer.".into() })
                }
                None => Ok(ChargeOutcome::AuthenticationRequired { metadata: test_authentication_metadata() }),
            },
            _ => Ok(ChargeOutcome::Approved { payment_id: format!("pay_test_{}", request.idempotency_key) }),
        }
    }

    /// Every refund succeeds (nothing was charged).
    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, PaymentError> {
        Ok(RefundOutcome::Refunded { refund_id: format!("re_test_{}", request.idempotency_key) })
    }
}

/// Charges delegated tokens through a PSP over HTTP (see the module docs for its API).
pub struct PspProvider {
    client: reqwest::Client,
    charges_url: String,
    refunds_url: String,
    key: Option<String>,
}

impl PspProvider {
    pub fn new(base: &url::Url, key: Option<String>, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the PSP client: {e}"))?;
        let base = base.as_str().trim_end_matches('/');
        Ok(PspProvider { client, charges_url: format!("{base}/charges"), refunds_url: format!("{base}/refunds"), key })
    }

    /// POSTs `body` with the key and `Idempotency-Key`; the status and the answer.
    async fn call(&self, url: &str, key: &str, body: &impl Serialize) -> Result<(u16, PspAnswer), PaymentError> {
        let mut call = self.client.post(url).header("Idempotency-Key", key);
        if let Some(key) = &self.key {
            call = call.bearer_auth(key);
        }
        let response = call.json(body).send().await.map_err(|e| {
            if e.is_timeout() { PaymentError::Timeout } else { PaymentError::Unavailable(e.to_string()) }
        })?;
        let status = response.status();
        let answer: PspAnswer = response.json().await.map_err(|e| {
            if e.is_timeout() {
                PaymentError::Timeout
            } else {
                PaymentError::Unavailable(format!("unreadable answer ({status}): {e}"))
            }
        })?;
        Ok((status.as_u16(), answer))
    }
}

#[derive(Deserialize)]
struct PspAnswer {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    authentication_metadata: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

#[async_trait]
impl PaymentProvider for PspProvider {
    fn handler(&self) -> PaymentHandler {
        handler("merchant_psp", "production")
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, PaymentError> {
        let (status, answer) = self.call(&self.charges_url, &request.idempotency_key, request).await?;
        match (status, answer.status.as_deref()) {
            (200, Some("succeeded")) => Ok(ChargeOutcome::Approved {
                payment_id: answer.id.ok_or_else(|| PaymentError::Unavailable("a charge without an id".into()))?,
            }),
            (200, Some("requires_authentication")) => Ok(ChargeOutcome::AuthenticationRequired {
                metadata: answer
                    .authentication_metadata
                    .ok_or_else(|| PaymentError::Unavailable("authentication without metadata".into()))?,
            }),
            (402, _) => Ok(ChargeOutcome::Declined {
                message: answer.message.unwrap_or_else(|| "The card was declined.".into()),
            }),
            (code, status) => Err(PaymentError::Unavailable(format!("unexpected answer {code} {status:?}"))),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, PaymentError> {
        let (status, answer) = self.call(&self.refunds_url, &request.idempotency_key, request).await?;
        match (status, answer.status.as_deref()) {
            (200, Some("succeeded")) => Ok(RefundOutcome::Refunded {
                refund_id: answer.id.ok_or_else(|| PaymentError::Unavailable("a refund without an id".into()))?,
            }),
            (402, _) => Ok(RefundOutcome::Refused {
                message: answer.message.unwrap_or_else(|| "The refund was refused.".into()),
            }),
            (code, status) => Err(PaymentError::Unavailable(format!("unexpected refund answer {code} {status:?}"))),
        }
    }
}

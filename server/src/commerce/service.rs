//! The one code path of every ACP operation, whichever binding carries it (REST or MCP): API
//! version, request signature, idempotency (replay, conflict, in flight; 5xx never kept), then
//! the operation itself. Bindings only translate headers / `meta` into [`RequestMeta`] and the
//! [`Answer`] back.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Commerce;
use super::error::AcpError;
use super::signing;
use super::wire::{CancelRequest, CheckoutSession, SUPPORTED_VERSIONS};
use crate::store::commerce::{IdempotencyBegin, StoredResponse};

/// How long an in-flight idempotent request holds its key before another may take over (a crashed
/// instance's request).
pub const IN_FLIGHT_LEASE: Duration = Duration::seconds(60);

/// The five operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Create,
    Retrieve(String),
    Update(String),
    Complete(String),
    Cancel(String),
}

impl Operation {
    /// The REST path, which also scopes idempotency keys (so a key used over REST and over MCP
    /// for the same operation is one key).
    pub fn path(&self) -> String {
        match self {
            Operation::Create => "/checkout_sessions".into(),
            Operation::Retrieve(id) | Operation::Update(id) => format!("/checkout_sessions/{id}"),
            Operation::Complete(id) => format!("/checkout_sessions/{id}/complete"),
            Operation::Cancel(id) => format!("/checkout_sessions/{id}/cancel"),
        }
    }

    pub fn is_post(&self) -> bool {
        !matches!(self, Operation::Retrieve(_))
    }

    fn success(&self) -> StatusCode {
        if *self == Operation::Create { StatusCode::CREATED } else { StatusCode::OK }
    }
}

/// The protocol metadata of a request (REST headers, MCP `meta`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub api_version: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_id: Option<String>,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
}

/// Who calls: the merchant API key's identity (not the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub String);

/// The result of an operation, ready for either binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    /// The JSON body: a checkout session, or an error object when `status` is 4xx/5xx.
    pub body: String,
    pub replayed: bool,
    pub retry_after: Option<u64>,
}

impl Answer {
    pub fn from_error(e: &AcpError) -> Answer {
        e.log();
        Answer {
            status: e.status(),
            body: serde_json::to_string(&e.body()).unwrap_or_default(),
            replayed: false,
            retry_after: e.retry_after(),
        }
    }
}

/// How idempotency keys are required: REST requires one on every POST; the MCP binding makes
/// `meta.idempotency_key` optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    Required,
    Optional,
}

fn check_version(meta: &RequestMeta) -> Result<(), AcpError> {
    match meta.api_version.as_deref().map(str::trim) {
        None | Some("") => Err(AcpError::MissingApiVersion),
        Some(v) if SUPPORTED_VERSIONS.contains(&v) => Ok(()),
        Some(v) => Err(AcpError::UnsupportedApiVersion(v.chars().take(40).collect())),
    }
}

fn check_signature(
    commerce: &Commerce,
    meta: &RequestMeta,
    canonical: &str,
    now: DateTime<Utc>,
) -> Result<(), AcpError> {
    let Some(key) = commerce.app.config.commerce.acp_signing_key.as_deref().filter(|k| !k.is_empty()) else {
        return Ok(());
    };
    let (Some(signature), Some(timestamp)) = (meta.signature.as_deref(), meta.timestamp.as_deref()) else {
        return Err(AcpError::InvalidSignature("Signature and Timestamp headers are required"));
    };
    let at = DateTime::parse_from_rfc3339(timestamp.trim())
        .map_err(|_| AcpError::InvalidSignature("Timestamp must be an RFC 3339 date-time"))?;
    let skew = commerce.app.config.commerce.acp_signature_skew_secs;
    let off = (now - at.with_timezone(&Utc)).num_seconds().unsigned_abs();
    if off > skew {
        return Err(AcpError::StaleTimestamp(skew));
    }
    if !signing::verify_request(key, timestamp.trim(), canonical, signature.trim()) {
        return Err(AcpError::InvalidSignature("Signature does not match the request"));
    }
    Ok(())
}

fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, AcpError> {
    serde_json::from_value(body.clone())
        .map_err(|e| AcpError::invalid("$", format!("The request body is invalid: {e}")))
}

/// Runs one ACP operation for `caller` with its metadata and raw JSON body (`None`: no body).
pub async fn handle(
    commerce: &Commerce,
    caller: &Caller,
    meta: &RequestMeta,
    operation: Operation,
    body: Option<&Value>,
    keys: KeyRule,
) -> Answer {
    match run(commerce, caller, meta, operation, body, keys).await {
        Ok(answer) => answer,
        Err(e) => Answer::from_error(&e),
    }
}

async fn run(
    commerce: &Commerce,
    caller: &Caller,
    meta: &RequestMeta,
    operation: Operation,
    body: Option<&Value>,
    keys: KeyRule,
) -> Result<Answer, AcpError> {
    check_version(meta)?;
    let now = commerce.app.clock.now();
    let canonical = body.map(signing::canonical).unwrap_or_default();
    check_signature(commerce, meta, &canonical, now)?;
    if !operation.is_post() {
        return Ok(execute(commerce, &operation, body).await.unwrap_or_else(|e| Answer::from_error(&e)));
    }
    let key = match meta.idempotency_key.as_deref() {
        Some(k) if k.is_empty() || k.len() > 255 => return Err(AcpError::IdempotencyKeyInvalid),
        Some(k) => k,
        None if keys == KeyRule::Optional => {
            return Ok(execute(commerce, &operation, body).await.unwrap_or_else(|e| Answer::from_error(&e)));
        }
        None => return Err(AcpError::IdempotencyKeyRequired),
    };
    let scope = format!("{}\n{}\n{key}", caller.0, operation.path());
    let fingerprint = signing::fingerprint(&canonical);
    let store = &commerce.app.store;
    match store.idempotency_begin(&scope, &fingerprint, now, IN_FLIGHT_LEASE).await? {
        IdempotencyBegin::Replay(stored) => {
            return Ok(Answer {
                status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
                body: stored.body,
                replayed: true,
                retry_after: None,
            });
        }
        IdempotencyBegin::Conflict => return Err(AcpError::IdempotencyConflict),
        IdempotencyBegin::InFlight => return Err(AcpError::IdempotencyInFlight),
        IdempotencyBegin::Started => {}
    }
    let answer = execute(commerce, &operation, body).await.unwrap_or_else(|e| Answer::from_error(&e));
    if answer.status.is_server_error() {
        // Never kept: a retry with the same key runs afresh (spec §6.5).
        if let Err(e) = store.idempotency_release(&scope).await {
            tracing::warn!(error = %e, "ACP: could not release an idempotency key");
        }
    } else {
        let stored = StoredResponse { status: answer.status.as_u16(), body: answer.body.clone() };
        store.idempotency_finish(&scope, &fingerprint, &stored, commerce.app.clock.now()).await?;
    }
    Ok(answer)
}

async fn execute(commerce: &Commerce, operation: &Operation, body: Option<&Value>) -> Result<Answer, AcpError> {
    let required = || body.ok_or_else(|| AcpError::missing("$", "A JSON request body is required."));
    let session: CheckoutSession = match operation {
        Operation::Create => commerce.create(parse(required()?)?).await?,
        Operation::Retrieve(id) => commerce.retrieve(id).await?,
        Operation::Update(id) => commerce.update(id, parse(required()?)?).await?,
        Operation::Complete(id) => commerce.complete(id, parse(required()?)?).await?,
        Operation::Cancel(id) => {
            let request: CancelRequest = match body {
                Some(b) if !b.is_null() => parse(b)?,
                _ => CancelRequest::default(),
            };
            commerce.cancel(id, request).await?
        }
    };
    let body = serde_json::to_string(&session).map_err(|e| AcpError::Internal(e.to_string()))?;
    Ok(Answer { status: operation.success(), body, replayed: false, retry_after: None })
}

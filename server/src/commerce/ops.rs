//! The operator API for ACP orders — ours, not the protocol's (ACP leaves order management out
//! of scope): `GET /ops/orders/{id}` (the full ACP `Order`), `POST /ops/orders/{id}/ship`
//! (`{"carrier","tracking_number","tracking_url"}`, all optional), `…/deliver` and `…/cancel`
//! (`{"reason"}`, optional; refunds what was charged). Each change emits an `order_update`
//! webhook (`orders.rs`). Mounted only when `ACP_OPS_KEY` is set; callers send it as
//! `Authorization: Bearer <key>`. Refusals are the ACP flat error object.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::Commerce;
use super::error::AcpError;
use super::orders::{Cancellation, Shipment};
use super::wire::Order;

/// The operator key, as a SHA-256 digest.
#[derive(Clone)]
pub struct OpsKey([u8; 32]);

impl OpsKey {
    pub fn new(key: &str) -> Self {
        OpsKey(Sha256::digest(key.trim().as_bytes()).into())
    }

    fn accepts(&self, request: &Request) -> bool {
        let Some(value) = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some((scheme, token)) = value.trim().split_once(' ') else { return false };
        let given: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        // Digests of equal length: comparing them leaks nothing about the key.
        scheme.eq_ignore_ascii_case("bearer") && given == self.0
    }
}

fn error(e: &AcpError) -> Response {
    e.clone().into_response()
}

/// Middleware: the operator key, else 401.
pub async fn authenticate(State(key): State<OpsKey>, request: Request, next: Next) -> Response {
    if key.accepts(&request) {
        next.run(request).await
    } else {
        let mut response = error(&AcpError::Unauthorized);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

/// An optional JSON body: empty is the default.
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, AcpError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| AcpError::invalid("$", format!("The request body is invalid: {e}")))
}

fn answer(result: Result<Order, AcpError>) -> Response {
    match result {
        Ok(order) => axum::Json(order).into_response(),
        Err(e) => error(&e),
    }
}

pub async fn get_order(State(commerce): State<Commerce>, Path(id): Path<String>) -> Response {
    answer(commerce.order_record(&id).await.map(|(record, _)| record.order))
}

pub async fn ship(State(commerce): State<Commerce>, Path(id): Path<String>, bytes: Bytes) -> Response {
    match body::<Shipment>(&bytes) {
        Ok(shipment) => answer(commerce.ship_order(&id, shipment).await),
        Err(e) => error(&e),
    }
}

pub async fn deliver(State(commerce): State<Commerce>, Path(id): Path<String>) -> Response {
    answer(commerce.deliver_order(&id).await)
}

pub async fn cancel(State(commerce): State<Commerce>, Path(id): Path<String>, bytes: Bytes) -> Response {
    match body::<Cancellation>(&bytes) {
        Ok(why) => answer(commerce.cancel_order(&id, why).await),
        Err(e) => error(&e),
    }
}

//! `GET /healthz` (the process is up) and `GET /readyz` (the store answers).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::state::AppState;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
}

pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ready {
    status: &'static str,
    store: &'static str,
    products: shared::product::DataSource,
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let products = state.products.kind();
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(Ready { status: "ready", store: "ok", products })),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Ready { status: "unavailable", store: "down", products }))
        }
    }
}

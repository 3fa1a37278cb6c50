//! `GET /healthz` (the process is up) and `GET /readyz` (the store answers; it also says which
//! store, and whether the real widgets or the plain placeholders are embedded).

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
    /// `ok` or `down`.
    store: &'static str,
    /// `memory` or `redis`.
    store_kind: &'static str,
    /// `built` (the Leptos widgets) or `placeholders`.
    widgets: &'static str,
    products: shared::product::DataSource,
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let products = state.products.kind();
    let store_kind = if state.config.redis_url.is_some() { "redis" } else { "memory" };
    let widgets = if state.widgets.are_built() { "built" } else { "placeholders" };
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(Ready { status: "ready", store: "ok", store_kind, widgets, products })),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            let ready = Ready { status: "unavailable", store: "down", store_kind, widgets, products };
            (StatusCode::SERVICE_UNAVAILABLE, Json(ready))
        }
    }
}

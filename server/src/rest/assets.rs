//! Static-like assets served from memory: product images (`/images/products/<id>.svg`) and the
//! widget templates for direct viewing (`/widgets/<id>.html`).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::ids::ProductId;
use shared::tool::WidgetId;

use crate::state::AppState;

pub async fn product_image(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let svg = file
        .strip_suffix(".svg")
        .and_then(|id| ProductId::parse(id).ok())
        .and_then(|id| state.catalog.product_svg(&id));
    match svg {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            svg,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such product image").into_response(),
    }
}

pub async fn widget_page(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let widget = file.strip_suffix(".html").and_then(|id| id.parse::<WidgetId>().ok());
    match widget {
        Some(id) => {
            let template = state.widgets.get(id);
            let csp =
                crate::http::security_headers::widget_page_csp(&state.config, &state.csp, &template.script_hashes);
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                    (header::CONTENT_SECURITY_POLICY, csp),
                ],
                template.html.clone(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such widget").into_response(),
    }
}

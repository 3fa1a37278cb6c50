//! What agents read before a checkout: the discovery document `/.well-known/acp.json` (public,
//! cacheable) and the product feed of our catalog (`/feeds/target-us`, its `/products`), in the
//! 2026-04-17 feed schema.
//!
//! The feed is the embedded catalog. With `UNWRANGLE_API_KEY` set the server sells live
//! Unwrangle products instead, which no feed lists: the feed routes answer 404 `not_found`
//! saying so (the discovery document names no feed in either mode).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use shared::product::DataSource;

use super::Commerce;
use super::error::AcpError;
use super::wire::{API_VERSION, SUPPORTED_VERSIONS};

/// Our one feed: the embedded catalog, for the United States.
pub const FEED_ID: &str = "target-us";

/// `GET /.well-known/acp.json`.
pub async fn well_known(State(commerce): State<Commerce>) -> Response {
    let base = commerce.app.config.public_base();
    let body = json!({
        "protocol": {
            "name": "acp",
            "version": API_VERSION,
            "supported_versions": SUPPORTED_VERSIONS,
        },
        "api_base_url": base,
        "transports": ["rest", "mcp"],
        "capabilities": {
            "services": ["checkout", "orders"],
            "intervention_types": ["3ds"],
            "supported_currencies": ["usd"],
            "supported_locales": ["en-US"],
        }
    });
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

#[derive(Serialize)]
struct Price {
    amount: i64,
    currency: &'static str,
}

#[derive(Serialize)]
struct Availability {
    available: bool,
    status: &'static str,
}

#[derive(Serialize)]
struct Variant {
    id: String,
    title: String,
    url: String,
    price: Price,
    #[serde(skip_serializing_if = "Option::is_none")]
    list_price: Option<Price>,
    availability: Availability,
    categories: Vec<serde_json::Value>,
    seller: serde_json::Value,
}

#[derive(Serialize)]
struct FeedProduct {
    id: String,
    title: String,
    url: String,
    media: Vec<serde_json::Value>,
    variants: Vec<Variant>,
}

/// Whether `id` is a feed this server has: ours, and only while it sells the embedded catalog.
fn check_feed(commerce: &Commerce, id: &str) -> Result<(), AcpError> {
    if commerce.app.products.kind() == DataSource::Unwrangle {
        return Err(AcpError::NoFeedInLiveMode);
    }
    if id != FEED_ID {
        return Err(AcpError::FeedNotFound(id.to_owned()));
    }
    Ok(())
}

/// `GET /feeds/{id}`: the feed's metadata.
pub async fn feed(State(commerce): State<Commerce>, Path(id): Path<String>) -> Response {
    if let Err(e) = check_feed(&commerce, &id) {
        return e.into_response();
    }
    let updated = commerce.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    axum::Json(json!({"id": FEED_ID, "target_country": "US", "updated_at": updated})).into_response()
}

/// `GET /feeds/{id}/products`: every catalog product, one variant each (its TCIN), with our
/// price in cents and its availability.
pub async fn feed_products(State(commerce): State<Commerce>, Path(id): Path<String>) -> Response {
    if let Err(e) = check_feed(&commerce, &id) {
        return e.into_response();
    }
    let products: Vec<FeedProduct> = commerce
        .app
        .catalog
        .products()
        .iter()
        .map(|p| FeedProduct {
            id: p.id.to_string(),
            title: p.title.clone(),
            url: p.url.clone(),
            media: vec![json!({"type": "image", "url": p.image_url, "alt_text": p.title})],
            variants: vec![Variant {
                id: p.id.to_string(),
                title: p.title.clone(),
                url: p.url.clone(),
                price: Price { amount: p.price_cents.0, currency: "USD" },
                list_price: p.regular_price_cents.map(|c| Price { amount: c.0, currency: "USD" }),
                availability: Availability {
                    available: p.in_stock,
                    status: if p.in_stock { "in_stock" } else { "out_of_stock" },
                },
                categories: vec![json!({"value": p.category, "taxonomy": "merchant"})],
                seller: json!({"name": "Target"}),
            }],
        })
        .collect();
    axum::Json(json!({ "products": products })).into_response()
}

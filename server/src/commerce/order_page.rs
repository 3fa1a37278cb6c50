//! The order's `permalink_url` (`<PUBLIC_BASE_URL>/orders/<id>?key=<secret>`): a page showing
//! the order as the ACP order record has it now — status, lines, totals, shipment, refund. The
//! `key` is 128 random bits made at completion and known only from the permalink (given to the
//! agent and in the webhooks), so order ids, which are short, cannot be walked. A wrong or
//! missing key answers the same 404 as an unknown order. Leptos renders it (text escaped).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::money::Cents;

use super::Commerce;
use super::error::AcpError;
use super::wire::{AdjustmentStatus, FulfillmentStatus, Order, OrderLineStatus, OrderStatus};
use crate::http::html_page;

const PAGE_CSS: &str = r#"
* { box-sizing: border-box; }
body { margin: 0; background: var(--tw-surface); color: var(--tw-text); font-family: var(--tw-font);
  font-size: var(--tw-text-md); line-height: 1.45; padding: 32px 16px; display: flex; justify-content: center; }
main { width: 100%; max-width: 560px; background: var(--tw-bg); border: 1px solid var(--tw-border);
  border-radius: var(--tw-radius-lg); box-shadow: var(--tw-shadow); padding: 24px; }
h1 { font-size: var(--tw-text-lg); margin: 0 0 4px; }
.status { font-weight: var(--tw-weight-bold); margin: 0 0 16px; }
table { width: 100%; border-collapse: collapse; margin: 0 0 16px; }
td { padding: 6px 0; border-bottom: 1px solid var(--tw-border); vertical-align: top; }
td.num { text-align: right; white-space: nowrap; padding-left: 12px; }
tr.total td { font-weight: var(--tw-weight-bold); border-bottom: none; }
.muted { color: var(--tw-muted); font-size: var(--tw-text-sm); }
"#;

#[derive(Debug, Deserialize)]
pub struct PageKey {
    #[serde(default)]
    key: Option<String>,
}

fn dollars(cents: i64) -> String {
    Cents(cents).display_usd()
}

fn status_text(order: &Order) -> String {
    let refund = order.adjustments.first();
    match order.status {
        OrderStatus::Confirmed => "Confirmed: we are preparing your order.".into(),
        OrderStatus::Shipped => "Shipped.".into(),
        OrderStatus::Completed => "Delivered.".into(),
        OrderStatus::Canceled => match refund.map(|r| r.status) {
            Some(AdjustmentStatus::Completed) => "Canceled and refunded.".into(),
            Some(AdjustmentStatus::Failed) => "Canceled; the refund failed, our team will contact you.".into(),
            _ => "Canceled; the refund is on its way.".into(),
        },
    }
}

#[component]
fn OrderView(order: Order) -> impl IntoView {
    let status = status_text(&order);
    let lines = order
        .line_items
        .iter()
        .map(|l| {
            let removed = (l.status == OrderLineStatus::Removed).then_some(" (canceled)");
            view! {
                <tr data-line=l.id.clone()>
                    <td>{l.title.clone()}{removed}<br/><span class="muted">{format!("{} × {}", l.quantity.ordered, dollars(l.unit_price))}</span></td>
                    <td class="num">{dollars(l.subtotal)}</td>
                </tr>
            }
        })
        .collect_view();
    let totals = order
        .totals
        .iter()
        .map(|t| {
            let class = if t.display_text == "Total" { "total" } else { "" };
            view! { <tr class=class><td>{t.display_text.clone()}</td><td class="num">{dollars(t.amount)}</td></tr> }
        })
        .collect_view();
    let shipment = order.fulfillments.first().map(|f| {
        let state = if f.status == FulfillmentStatus::Delivered { "Delivered" } else { "Shipped" };
        let carrier = f.carrier.clone().unwrap_or_default();
        let tracking = f.tracking_number.clone().map(|n| format!(", tracking {n}")).unwrap_or_default();
        view! { <p class="shipment">{format!("{state} by {carrier}{tracking}.")}</p> }
    });
    html_page::frame(
        format!("Target order {}", order.order_number),
        PAGE_CSS,
        view! {
            <h1>{format!("Order {}", order.order_number)}</h1>
            <p class="status" data-status=order.status.as_str()>{status}</p>
            <table class="lines">{lines}</table>
            <table class="totals">{totals}</table>
            {shipment}
        },
    )
}

/// The order page as a whole HTML document.
pub fn render(order: Order) -> String {
    format!("<!DOCTYPE html>{}", view! { <OrderView order=order/> }.to_html())
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html("<!DOCTYPE html><title>Not found</title><p>No such order.</p>")).into_response()
}

/// `GET /orders/{id}?key=…`.
pub async fn page(State(commerce): State<Commerce>, Path(id): Path<String>, Query(key): Query<PageKey>) -> Response {
    let record = match commerce.order_record(&id).await {
        Ok((record, _)) => record,
        Err(AcpError::OrderNotFound(_)) => return not_found(),
        Err(e) => {
            e.log();
            return (e.status(), Html("<!DOCTYPE html><p>The order cannot be shown right now.</p>")).into_response();
        }
    };
    // Digests compared: the time taken says nothing about the key.
    let digest = |k: &str| -> [u8; 32] { Sha256::digest(k.as_bytes()).into() };
    if digest(key.key.as_deref().unwrap_or_default()) != digest(&record.page_key) {
        return not_found();
    }
    let mut response = Html(render(record.order)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::wire::{OrderLineItem, OrderQuantity, Total, TotalType};

    #[test]
    fn markup_in_a_title_is_text() {
        let quantity = OrderQuantity { ordered: 2, current: 2, fulfilled: 0 };
        let order = Order {
            kind: "order".into(),
            id: "TGT-000000000001".into(),
            checkout_session_id: "cs_1".into(),
            permalink_url: "http://x/orders/TGT-000000000001?key=k".into(),
            order_number: "TGT-000000000001".into(),
            status: OrderStatus::Confirmed,
            line_items: vec![OrderLineItem {
                id: "li_1".into(),
                title: "<script>alert(1)</script>".into(),
                product_id: "1".into(),
                quantity,
                unit_price: 250,
                subtotal: 500,
                status: quantity.status(),
            }],
            fulfillments: vec![],
            adjustments: vec![],
            totals: vec![Total { kind: TotalType::Total, display_text: "Total".into(), amount: 500 }],
        };
        let html = render(order);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("$5.00"), "{html}");
        assert!(html.contains("[data-theme=\"dark\"]"), "the styles are not escaped: {html}");
    }
}

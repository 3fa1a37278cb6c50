//! Every widget's parsing against the dev host's recorded tool results (`widgets-app/fixtures/`),
//! so the widgets read what the real server sends.

use std::path::Path;

use serde_json::Value;
use shared::auth::AuthenticateOutput;
use shared::membership::MembershipOutput;

use crate::bridge::ToolResult;
use crate::components::phase::{Phase, phase_of};
use crate::host::parse_structured;
use crate::widgets::cart::logic::{CartData, cart_data, cart_rows};
use crate::widgets::circle::logic::{group_benefits, status_lines};
use crate::widgets::product_grid::model::grid_from;
use crate::widgets::target_auth::{AuthView, auth_view};

/// The fixture `name` as the bridge hands it over, or `None` when the file is not there.
fn fixture(name: &str) -> Option<ToolResult> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(ToolResult {
        structured: raw.get("structuredContent").cloned(),
        meta: raw.get("_meta").cloned(),
        is_error: raw.get("isError").and_then(Value::as_bool).unwrap_or(false),
        text: raw.pointer("/content/0/text").and_then(Value::as_str).map(str::to_owned),
    })
}

fn ready<T>(name: &str, parse: fn(&ToolResult) -> Option<T>) -> Option<T> {
    let result = fixture(name)?;
    match phase_of(Some(&result), false, parse) {
        Phase::Ready(data) => Some(data),
        Phase::Failed(message) => panic!("{name}: {message}"),
        Phase::Loading => panic!("{name}: still loading"),
    }
}

#[test]
fn product_grid_reads_searches_and_recommendations() {
    if let Some(grid) = ready("search-target-products.json", grid_from) {
        assert!(!grid.items.is_empty());
        assert!(grid.items.iter().all(|i| i.image_url.is_some()), "every card has its meta record");
    }
    if let Some(grid) = ready("get-agentforce-recommendations.json", grid_from) {
        assert!(grid.items.iter().all(|i| i.reason.as_deref().is_some_and(|r| !r.is_empty())));
    }
    if let Some(grid) = ready("search-target-products.empty.json", grid_from) {
        assert!(grid.items.is_empty());
    }
}

#[test]
fn cart_reads_carts_and_orders() {
    for name in
        ["get-cart.json", "get-cart.member.json", "add-to-cart.json", "update-cart-item.json", "get-cart.empty.json"]
    {
        if let Some(data) = ready(name, cart_data) {
            let CartData::Cart(output) = data else { panic!("{name}: not a cart") };
            assert_eq!(
                cart_rows(&output.cart).last().map(|r| r.value.clone()),
                Some(output.cart.total_cents.display_usd())
            );
        }
    }
    if let Some(data) = ready("checkout.json", cart_data) {
        assert!(matches!(data, CartData::Order(_)), "checkout.json is an order");
    }
}

#[test]
fn auth_and_circle_read_their_outputs() {
    if let Some(output) = ready("authenticate-target.json", parse_structured::<AuthenticateOutput>) {
        assert_eq!(auth_view(&output, None), AuthView::SignedOut);
    }
    if let Some(output) = ready("authenticate-target.signed-in.json", parse_structured::<AuthenticateOutput>) {
        assert!(matches!(auth_view(&output, None), AuthView::SignedIn(Some(_))));
    }
    for name in ["check-circle-membership.json", "check-circle-membership.signed-out.json", "circle-signup.json"] {
        if let Some(output) = ready(name, parse_structured::<MembershipOutput>) {
            assert_eq!(group_benefits(&output.benefits).len(), 3);
            assert!(!status_lines(&output).0.is_empty());
        }
    }
}

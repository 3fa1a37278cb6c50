//! Every widget's parsing against the dev host's recorded tool results (`widgets-app/fixtures/`),
//! so the widgets read what the real server sends.

use std::path::Path;

use serde_json::Value;
use shared::auth::{AuthStatusOutput, AuthenticateOutput};
use shared::membership::MembershipOutput;

use crate::bridge::ToolResult;
use crate::components::phase::{Phase, phase_of};
use crate::host::parse_structured;
use crate::widgets::cart::logic::{CartData, cart_data, cart_rows};
use crate::widgets::circle::logic::{group_benefits, status_lines};
use crate::widgets::product_grid::model::grid_from;
use crate::widgets::target_auth::{AuthView, auth_view};

/// The fixture `name` as the bridge hands it over. A missing or unreadable file fails the test:
/// the fixtures are committed, so a test that quietly checked nothing would hide a renamed or
/// deleted recording.
fn fixture(name: &str) -> ToolResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("fixture {} cannot be read ({e}); record it with end2end/record-fixtures.mjs", path.display())
    });
    let raw: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"));
    ToolResult {
        structured: raw.get("structuredContent").cloned(),
        meta: raw.get("_meta").cloned(),
        is_error: raw.get("isError").and_then(Value::as_bool).unwrap_or(false),
        text: raw.pointer("/content/0/text").and_then(Value::as_str).map(str::to_owned),
    }
}

fn ready<T>(name: &str, parse: fn(&ToolResult) -> Option<T>) -> T {
    let result = fixture(name);
    match phase_of(Some(&result), false, parse) {
        Phase::Ready(data) => data,
        Phase::Failed(message) => panic!("{name}: {message}"),
        Phase::Loading => panic!("{name}: still loading"),
    }
}

#[test]
fn product_grid_reads_searches_and_recommendations() {
    let grid = ready("search-target-products.json", grid_from);
    assert!(!grid.items.is_empty());
    assert!(grid.items.iter().all(|i| i.image_url.is_some()), "every card has its meta record");
    let grid = ready("get-agentforce-recommendations.json", grid_from);
    assert!(!grid.items.is_empty());
    assert!(grid.items.iter().all(|i| i.reason.as_deref().is_some_and(|r| !r.is_empty())));
    let grid = ready("search-target-products.empty.json", grid_from);
    assert!(grid.items.is_empty());
}

#[test]
fn cart_reads_carts_and_orders() {
    for name in
        ["get-cart.json", "get-cart.member.json", "add-to-cart.json", "update-cart-item.json", "get-cart.empty.json"]
    {
        let CartData::Cart(output) = ready(name, cart_data) else { panic!("{name}: not a cart") };
        assert_eq!(
            cart_rows(&output.cart).last().map(|r| r.value.clone()),
            Some(output.cart.total_cents.display_usd())
        );
    }
    assert!(matches!(ready("checkout.json", cart_data), CartData::Order(_)), "checkout.json is an order");
}

#[test]
fn auth_and_circle_read_their_outputs() {
    let output = ready("authenticate-target.json", parse_structured::<AuthenticateOutput>);
    assert_eq!(auth_view(&output, None), AuthView::SignedOut);
    let output = ready("authenticate-target.signed-in.json", parse_structured::<AuthenticateOutput>);
    assert!(matches!(auth_view(&output, None), AuthView::SignedIn(Some(_))));
    let status = ready("get-target-auth-status.json", parse_structured::<AuthStatusOutput>);
    assert!(!status.authenticated && status.user.is_none());
    let status = ready("get-target-auth-status.signed-in.json", parse_structured::<AuthStatusOutput>);
    assert!(status.authenticated && status.user.is_some());
    for name in ["check-circle-membership.json", "check-circle-membership.signed-out.json", "circle-signup.json"] {
        let output = ready(name, parse_structured::<MembershipOutput>);
        assert_eq!(group_benefits(&output.benefits).len(), 3);
        assert!(!status_lines(&output).0.is_empty());
    }
}

/// Every recorded fixture is read by one of the tests above, so a new recording cannot go unchecked.
#[test]
fn every_fixture_file_is_checked() {
    let checked = [
        "search-target-products.json",
        "get-agentforce-recommendations.json",
        "search-target-products.empty.json",
        "get-cart.json",
        "get-cart.member.json",
        "add-to-cart.json",
        "update-cart-item.json",
        "get-cart.empty.json",
        "checkout.json",
        "authenticate-target.json",
        "authenticate-target.signed-in.json",
        "check-circle-membership.json",
        "check-circle-membership.signed-out.json",
        "circle-signup.json",
        "get-target-auth-status.json",
        "get-target-auth-status.signed-in.json",
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json") && name != "index.json")
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = checked.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(on_disk, expected, "widgets-app/fixtures/ and the fixture tests disagree");
}

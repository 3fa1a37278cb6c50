//! Unknown request fields are ignored, at every depth and over both bindings, and the answer is
//! the one without them — the RFCs' forward-compatibility rule ("Validators SHOULD be lenient for
//! unknown optional fields", capability negotiation §7.3; extensions §4.1; the schema's own note
//! on `affiliate_attribution`), although the 2026-04-17 JSON Schema marks the request objects
//! `additionalProperties: false`. They still count in the idempotency fingerprint (§6.7): the
//! same key with a body that differs only by an unknown field is a conflict.

use serde_json::{Value, json};

use super::oracle::{self, Status};
use super::{Backend, VERSION, complete_body, create_body, on_both_stores};

/// `body` with unknown fields at the top, in the first line item, in the address, in the
/// capabilities, and an ACP field we do not implement (`affiliate_attribution`).
fn with_unknown_fields(mut body: Value) -> Value {
    body["future_field"] = json!({"anything": [1, 2, 3]});
    body["line_items"][0]["future_item_field"] = json!("x");
    body["fulfillment_details"]["address"]["future_address_field"] = json!(true);
    body["capabilities"]["future_capability"] = json!(["x"]);
    body["affiliate_attribution"] = json!({"provider": "example", "future_attribution_field": 1});
    body
}

/// A session answer without what differs between two sessions (ids, times).
fn comparable(s: &oracle::CheckoutSession) -> Value {
    json!({
        "status": format!("{:?}", s.status),
        "lines": s.line_items.iter().map(|l| (l.item.id.clone(), l.quantity)).collect::<Vec<_>>(),
        "totals": oracle::totals(s),
        "messages": s.messages.iter().map(|m| m.content.clone()).collect::<Vec<_>>(),
    })
}

async fn unknown_fields_are_ignored_but_fingerprinted(backend: Backend) {
    let acp = backend.spawn().await;
    let (stock, _) = acp.catalog_ids();
    let plain = create_body(&[(&stock[0].0, 2)], true);
    let without = acp.create(&plain, "uf-plain").await;
    let with = acp.create(&with_unknown_fields(plain.clone()), "uf-extra").await;
    assert_eq!(comparable(&with), comparable(&without));
    assert_eq!(with.status, Status::ReadyForPayment);
    // Same key, same known fields, no unknown ones: another body.
    acp.post("/checkout_sessions", &plain, "uf-extra").await.error(422, "idempotency_conflict");

    let path = format!("/checkout_sessions/{}", with.id);
    let update = json!({
        "selected_fulfillment_options": [{"type": "shipping", "option_id": "express", "item_ids": [], "future": 1}],
        "future_update_field": null,
    });
    let updated = acp.post(&path, &update, "uf-update").await.session(200);
    assert_eq!(updated.selected_fulfillment_options.expect("selected")[0].option_id, "express");

    let mut complete = complete_body("tok_visa", "jordan@example.com");
    complete["risk_signals"] = json!({"future_signal": 0.5});
    complete["payment_data"]["future_payment_field"] = json!("x");
    complete["payment_data"]["instrument"]["credential"]["future_credential_field"] = json!("y");
    complete["future_complete_field"] = json!([]);
    let done = acp.post(&format!("{path}/complete"), &complete, "uf-complete").await.session(200);
    assert_eq!(done.status, Status::Completed);

    // The MCP binding: unknown `meta` fields (its OpenRPC `meta` is open) and arguments.
    let reply: Value = acp
        .mcp(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "create_checkout_session",
            "arguments": {
                "meta": {"api_version": VERSION, "idempotency_key": "uf-mcp", "future_meta_field": 1},
                "payload": with_unknown_fields(plain.clone()),
                "future_argument": true
            }
        }}))
        .await
        .json()
        .await
        .expect("JSON-RPC");
    assert!(reply["error"].is_null(), "{reply:#}");
    assert_eq!(comparable(&oracle::session(&reply["result"]["structuredContent"])), comparable(&without));
}

on_both_stores!(unknown_fields_are_ignored_but_fingerprinted);

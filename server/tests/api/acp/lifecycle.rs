//! The whole checkout lifecycle over REST, on both stores: create → update → retrieve →
//! complete, with the order in the same store as the `checkout` tool's; replays; 3-D Secure;
//! declines; cancellation; two instances sharing Redis.

use chrono::Duration;
use serde_json::json;
use server::clock::Clock;
use shared::ids::OrderId;

use super::oracle::{self, Status, transition_allowed};
use super::{Acp, Backend, complete_body, create_body, on_both_stores};

/// 8.25% of `cents`, rounded half up (the test configuration's tax rate).
fn tax(cents: i64) -> i64 {
    (cents * 825 + 5000) / 10_000
}

fn cheap(acp: &Acp) -> (String, i64) {
    let (stock, _) = acp.catalog_ids();
    stock.into_iter().find(|(_, price)| *price < 1500).expect("a product under $15")
}

async fn full_lifecycle_places_a_real_order(backend: Backend) {
    let acp = backend.spawn().await;
    let (id, price) = cheap(&acp);
    let created = acp.create(&create_body(&[(&id, 1)], true), "life-create").await;
    assert_eq!(created.status, Status::ReadyForPayment, "items in stock and an address: ready");
    let t = oracle::totals(&created);
    assert_eq!(t["ItemsBaseAmount"], price);
    assert_eq!(t["Fulfillment"], 599, "standard shipping under $35 is $5.99");
    assert_eq!(t["Tax"], tax(price));
    assert_eq!(oracle::total(&created), price + 599 + tax(price));
    assert_eq!(created.line_items[0].item.id, id);

    let path = format!("/checkout_sessions/{}", created.id);
    let update = json!({
        "line_items": [{"id": id, "quantity": 2}],
        "selected_fulfillment_options": [{"type": "shipping", "option_id": "express", "item_ids": [id]}]
    });
    let updated = acp.post(&path, &update, "life-update").await.session(200);
    assert!(transition_allowed(created.status, "update", updated.status), "{:?}", updated.status);
    assert_eq!(updated.line_items[0].quantity, 2);
    assert_eq!(oracle::totals(&updated)["Fulfillment"], 999, "express is $9.99");
    assert_eq!(oracle::total(&updated), 2 * price + 999 + tax(2 * price));

    let fetched = acp.get(&path).await;
    let again = acp.get(&path).await;
    assert_eq!(fetched.body, again.body, "retrieving does not change the session");
    let fetched_session = fetched.session(200);
    assert!(transition_allowed(updated.status, "retrieve", fetched_session.status));
    assert_eq!(oracle::total(&fetched_session), oracle::total(&updated));

    let done =
        acp.post(&format!("{path}/complete"), &complete_body("tok_visa", "jordan@example.com"), "life-complete").await;
    let done = done.session(200);
    assert!(transition_allowed(fetched_session.status, "complete", done.status));
    assert_eq!(done.status, Status::Completed);
    let order = done.order.clone().expect("order");
    let stored = acp.app.state.store.order(&OrderId::parse(order.id.clone()).expect("an order id")).await.expect("ok");
    let stored = stored.expect("the order is in the store the checkout tool uses");
    assert_eq!(stored.total_cents.0, oracle::total(&done));
    assert_eq!(stored.shipping_cents.0, 999);
    assert_eq!(stored.email, "jordan@example.com");
    assert_eq!(stored.items[0].quantity, 2);
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 1, "one order_create event queued");

    let after = acp.get(&path).await.session(200);
    assert_eq!(after.status, Status::Completed);
    assert_eq!(after.order.expect("order").id, order.id);
    acp.post(&path, &json!({"line_items": [{"id": id}]}), "life-late-update").await.error(405, "invalid_state");
    acp.post(&format!("{path}/cancel"), &json!({}), "life-late-cancel").await.error(405, "invalid_state");
}

async fn a_circle_member_buyer_gets_the_member_price(backend: Backend) {
    let acp = backend.spawn().await;
    let product = acp
        .app
        .state
        .catalog
        .products()
        .iter()
        .find(|p| p.in_stock && p.circle_offer_percent.unwrap_or(0) > 0)
        .cloned()
        .expect("a product with a Circle offer");
    let email = "member@example.com";
    let membership = shared::membership::Membership {
        tier: shared::membership::MembershipTier::Circle,
        member_since: acp.app.clock.now(),
        lifetime_savings_cents: shared::money::Cents(0),
    };
    acp.app.state.store.join_membership(email, membership).await.expect("ok");
    let mut body = create_body(&[(product.id.as_str(), 3)], true);
    body["buyer"] = json!({"email": email});
    let s = acp.create(&body, "member-create").await;
    let base = product.price_cents.0 * 3;
    let pct = i64::from(product.circle_offer_percent.unwrap_or(0));
    let savings = (base * pct + 50) / 100;
    let t = oracle::totals(&s);
    assert_eq!(t["ItemsDiscount"], savings, "the product's Circle offer for a member");
    assert_eq!(t["Subtotal"], base - savings);
    assert_eq!(t["Tax"], tax(base - savings));

    let done = acp
        .post(&format!("/checkout_sessions/{}/complete", s.id), &complete_body("tok_visa", email), "member-complete")
        .await
        .session(200);
    assert_eq!(done.status, Status::Completed);
    let member = acp.app.state.store.membership(email).await.expect("ok").expect("member");
    assert_eq!(member.lifetime_savings_cents.0, savings, "the order adds to the member's savings");
}

async fn a_replay_answers_the_same_and_places_no_second_order(backend: Backend) {
    let acp = backend.spawn().await;
    let (id, _) = cheap(&acp);
    let body = create_body(&[(&id, 1)], true);
    let first = acp.post("/checkout_sessions", &body, "replay-create").await;
    let second = acp.post("/checkout_sessions", &body, "replay-create").await;
    assert_eq!((first.status, second.status), (201, 201), "same status code");
    assert_eq!(first.body, second.body, "the original response, not a second session");
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.header("idempotency-key"), Some("replay-create"));
    let s = first.session(201);

    let path = format!("/checkout_sessions/{}/complete", s.id);
    let complete = complete_body("tok_visa", "jordan@example.com");
    let a = acp.post(&path, &complete, "replay-complete").await;
    // Same JSON with keys in another order and 1.0 for 1: the same request (spec §6.2).
    let reordered: serde_json::Value = serde_json::from_str(&format!(
        r#"{{"payment_data":{},"buyer":{}}}"#,
        complete["payment_data"], complete["buyer"]
    ))
    .expect("ok");
    let b = acp.post(&path, &reordered, "replay-complete").await;
    assert_eq!(a.body, b.body);
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(a.session(200).order.expect("ok").id, b.session(200).order.expect("ok").id);
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 1, "no second order, no second event");
}

async fn a_key_reused_with_another_body_conflicts_and_keys_are_per_endpoint(backend: Backend) {
    let acp = backend.spawn().await;
    let (stock, _) = acp.catalog_ids();
    let s = acp.create(&create_body(&[(&stock[0].0, 1)], true), "conflict-key").await;
    acp.post("/checkout_sessions", &create_body(&[(&stock[1].0, 1)], true), "conflict-key")
        .await
        .error(422, "idempotency_conflict");
    // The same key on another endpoint is another key.
    let update = json!({"line_items": [{"id": stock[1].0}]});
    acp.post(&format!("/checkout_sessions/{}", s.id), &update, "conflict-key").await.session(200);
    // `null` is not the same as absent.
    let path = format!("/checkout_sessions/{}", s.id);
    acp.post(&path, &json!({"buyer": null}), "null-vs-absent").await.session(200);
    acp.post(&path, &json!({}), "null-vs-absent").await.error(422, "idempotency_conflict");
}

async fn keys_are_kept_24_hours_then_forgotten(backend: Backend) {
    let acp = backend.spawn().await;
    let (stock, _) = acp.catalog_ids();
    let first = acp.create(&create_body(&[(&stock[0].0, 1)], true), "retained").await;
    acp.app.clock.advance(Duration::hours(23));
    let replay = acp.post("/checkout_sessions", &create_body(&[(&stock[0].0, 1)], true), "retained").await;
    assert_eq!(replay.session(201).id, first.id, "replayed after 23 h");
    acp.post("/checkout_sessions", &create_body(&[(&stock[1].0, 1)], true), "retained")
        .await
        .error(422, "idempotency_conflict");
    acp.app.clock.advance(Duration::hours(2));
    let fresh = acp.create(&create_body(&[(&stock[1].0, 1)], true), "retained").await;
    assert_ne!(fresh.id, first.id, "after 25 h the key is new");
}

async fn three_d_secure_is_asked_for_then_completed(backend: Backend) {
    let acp = backend.spawn().await;
    let (id, _) = cheap(&acp);
    let s = acp.create(&create_body(&[(&id, 1)], true), "3ds-create").await;
    let path = format!("/checkout_sessions/{}/complete", s.id);
    let challenged = acp.post(&path, &complete_body("tok_3ds", "jordan@example.com"), "3ds-1").await.session(200);
    assert_eq!(challenged.status, Status::AuthenticationRequired);
    assert!(transition_allowed(s.status, "complete", challenged.status));
    let metadata = challenged.authentication_metadata.expect("metadata");
    assert_eq!(metadata.directory_server, oracle::DirectoryServer::Visa);
    let e = acp.post(&path, &complete_body("tok_3ds", "jordan@example.com"), "3ds-2").await.error(400, "requires_3ds");
    assert_eq!(e.param.as_deref(), Some("$.authentication_result"));
    let mut with_result = complete_body("tok_3ds", "jordan@example.com");
    with_result["authentication_result"] = json!({
        "outcome": "authenticated",
        "outcome_details": {"three_ds_cryptogram": "AbC=", "electronic_commerce_indicator": "05",
                            "transaction_id": "ds_1", "version": "2.2.0"}
    });
    let done = acp.post(&path, &with_result, "3ds-3").await.session(200);
    assert!(transition_allowed(challenged.status, "complete", done.status));
    assert_eq!(done.status, Status::Completed);
}

async fn a_decline_keeps_the_session_open_with_a_message(backend: Backend) {
    let acp = backend.spawn().await;
    let (id, _) = cheap(&acp);
    let s = acp.create(&create_body(&[(&id, 1)], true), "decline-create").await;
    let path = format!("/checkout_sessions/{}/complete", s.id);
    let declined = acp.post(&path, &complete_body("tok_decline", "jordan@example.com"), "decline-1").await.session(200);
    assert_eq!(declined.status, Status::ReadyForPayment);
    assert!(declined.order.is_none());
    let message = declined.messages.iter().find(|m| m.code.as_deref() == Some("payment_declined"));
    assert!(message.is_some(), "{:?}", declined.messages);
    let done = acp.post(&path, &complete_body("tok_visa", "jordan@example.com"), "decline-2").await.session(200);
    assert_eq!(done.status, Status::Completed);
    assert!(done.messages.iter().all(|m| m.code.as_deref() != Some("payment_declined")));
}

async fn a_canceled_session_cannot_be_completed(backend: Backend) {
    let acp = backend.spawn().await;
    let (id, _) = cheap(&acp);
    let s = acp.create(&create_body(&[(&id, 1)], true), "cancel-create").await;
    let path = format!("/checkout_sessions/{}", s.id);
    let body = json!({"intent_trace": {"reason_code": "shipping_cost", "trace_summary": "too much shipping"}});
    let canceled = acp.post(&format!("{path}/cancel"), &body, "cancel-1").await.session(200);
    assert!(transition_allowed(s.status, "cancel", canceled.status));
    assert_eq!(canceled.status, Status::Canceled);
    acp.post(&format!("{path}/complete"), &complete_body("tok_visa", "jordan@example.com"), "cancel-2")
        .await
        .error(405, "invalid_state");
    acp.post(&format!("{path}/cancel"), &json!({}), "cancel-3").await.error(405, "invalid_state");
    assert_eq!(acp.get(&path).await.session(200).status, Status::Canceled);
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 0, "no order, no event");
}

async fn without_an_address_or_with_out_of_stock_items_it_is_not_ready(backend: Backend) {
    let acp = backend.spawn().await;
    let (stock, out) = acp.catalog_ids();
    let s = acp.create(&create_body(&[(&stock[0].0, 1)], false), "notready-1").await;
    assert_eq!(s.status, Status::NotReadyForPayment);
    assert!(s.messages.iter().any(|m| m.param.as_deref() == Some("$.fulfillment_details.address")));
    let path = format!("/checkout_sessions/{}/complete", s.id);
    acp.post(&path, &complete_body("tok_visa", "jordan@example.com"), "notready-2").await.error(400, "invalid");
    if let Some(out) = out {
        let s = acp.create(&create_body(&[(&out, 1)], true), "notready-3").await;
        assert_eq!(s.status, Status::NotReadyForPayment);
        assert!(s.messages.iter().any(|m| m.code.as_deref() == Some("out_of_stock")));
    }
}

on_both_stores!(
    full_lifecycle_places_a_real_order,
    a_circle_member_buyer_gets_the_member_price,
    a_replay_answers_the_same_and_places_no_second_order,
    a_key_reused_with_another_body_conflicts_and_keys_are_per_endpoint,
    keys_are_kept_24_hours_then_forgotten,
    three_d_secure_is_asked_for_then_completed,
    a_decline_keeps_the_session_open_with_a_message,
    a_canceled_session_cannot_be_completed,
    without_an_address_or_with_out_of_stock_items_it_is_not_ready,
);

#[tokio::test]
async fn two_instances_sharing_redis_serve_one_session() {
    let backend = Backend::redis().await;
    let (a, b) = (backend.spawn().await, backend.spawn().await);
    let (id, _) = cheap(&a);
    let s = a.create(&create_body(&[(&id, 1)], true), "shared-create").await;
    let path = format!("/checkout_sessions/{}", s.id);
    let updated =
        b.post(&path, &json!({"line_items": [{"id": id, "quantity": 3}]}), "shared-update").await.session(200);
    assert_eq!(a.get(&path).await.session(200).line_items[0].quantity, 3, "A sees B's update");
    assert_eq!(oracle::total(&updated), oracle::total(&a.get(&path).await.session(200)));
    let complete = complete_body("tok_visa", "jordan@example.com");
    let done = a.post(&format!("{path}/complete"), &complete, "shared-complete").await;
    let replay = b.post(&format!("{path}/complete"), &complete, "shared-complete").await;
    assert_eq!(done.body, replay.body, "B replays A's completion");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(b.get(&path).await.session(200).status, Status::Completed);
    assert_eq!(b.app.state.store.outbox_pending().await.expect("ok"), 1);
}

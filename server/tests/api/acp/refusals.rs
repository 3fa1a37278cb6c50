//! Every refusal the RFC names, over real HTTP, on both stores; each body checked by the oracle.

use chrono::SecondsFormat;
use reqwest::Method;
use serde_json::json;
use server::clock::Clock;

use super::{Backend, Headers, VERSION, create_body, on_both_stores};

fn cheap_id(acp: &super::Acp) -> String {
    acp.catalog_ids().0.into_iter().next().expect("a product").0
}

async fn api_version_is_required_and_checked(backend: Backend) {
    let acp = backend.spawn().await;
    let body = create_body(&[(&cheap_id(&acp), 1)], true);
    let missing = Headers { version: None, ..Headers::idem("v-1") };
    let e = acp.send(Method::POST, "/checkout_sessions", Some(&body), &missing).await.error(400, "missing_api_version");
    assert_eq!(e.supported_versions, Some(vec![VERSION.to_owned()]));
    let old = Headers { version: Some("2025-09-29".into()), ..Headers::idem("v-2") };
    let e = acp.send(Method::POST, "/checkout_sessions", Some(&body), &old).await.error(400, "unsupported_api_version");
    assert_eq!(e.supported_versions, Some(vec![VERSION.to_owned()]));
    let get = Headers { version: None, key: None, ..Headers::idem("") };
    acp.send(Method::GET, "/checkout_sessions/cs_x", None, &get).await.error(400, "missing_api_version");
}

async fn every_post_needs_an_idempotency_key(backend: Backend) {
    let acp = backend.spawn().await;
    let s = acp.create(&create_body(&[(&cheap_id(&acp), 1)], true), "k-1").await;
    let no_key = Headers { key: None, ..Headers::idem("") };
    for (path, body) in [
        ("/checkout_sessions".to_owned(), create_body(&[(&cheap_id(&acp), 1)], true)),
        (format!("/checkout_sessions/{}", s.id), json!({})),
        (format!("/checkout_sessions/{}/complete", s.id), super::complete_body("tok_visa", "a@example.com")),
        (format!("/checkout_sessions/{}/cancel", s.id), json!({})),
    ] {
        let r = acp.send(Method::POST, &path, Some(&body), &no_key).await;
        r.error(400, "idempotency_key_required");
        assert_eq!(r.body["type"], "invalid_request");
    }
    let too_long = "k".repeat(256);
    acp.post("/checkout_sessions", &create_body(&[(&cheap_id(&acp), 1)], true), &too_long).await.error(400, "invalid");
}

async fn a_merchant_key_is_required(backend: Backend) {
    let acp = backend.spawn().await;
    let body = create_body(&[(&cheap_id(&acp), 1)], true);
    for auth in ["", "Bearer wrong-key", "Basic YWNwOmRlbW8=", "Bearer"] {
        let headers = Headers { auth: Some(auth.into()), ..Headers::idem("auth-1") };
        let r = acp.send(Method::POST, "/checkout_sessions", Some(&body), &headers).await;
        r.error(401, "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
}

async fn configured_keys_replace_the_demo_key(backend: Backend) {
    let acp = backend.spawn_with(|c| c.commerce.acp_api_keys = vec!["merchant-secret-1".into()]).await;
    let body = create_body(&[(&cheap_id(&acp), 1)], true);
    acp.post("/checkout_sessions", &body, "ck-1").await.error(401, "unauthorized");
    let headers = Headers { auth: Some("Bearer merchant-secret-1".into()), ..Headers::idem("ck-1") };
    acp.send(Method::POST, "/checkout_sessions", Some(&body), &headers).await.session(201);
}

async fn unknown_sessions_are_404(backend: Backend) {
    let acp = backend.spawn().await;
    acp.get("/checkout_sessions/cs_unknown").await.error(404, "session_not_found");
    let id = cheap_id(&acp);
    acp.post("/checkout_sessions/cs_unknown", &json!({"line_items": [{"id": id}]}), "u-1")
        .await
        .error(404, "session_not_found");
    acp.post("/checkout_sessions/cs_unknown/complete", &super::complete_body("tok_visa", "a@example.com"), "u-2")
        .await
        .error(404, "session_not_found");
    acp.post("/checkout_sessions/cs_unknown/cancel", &json!({}), "u-3").await.error(404, "session_not_found");
}

async fn quantities_options_and_items_not_offered_are_refused(backend: Backend) {
    let acp = backend.spawn().await;
    let id = cheap_id(&acp);
    for (i, q) in [0i64, 100, -1].into_iter().enumerate() {
        let e =
            acp.post("/checkout_sessions", &create_body(&[(&id, 1)], true).tap_quantity(q), &format!("q-{i}")).await;
        let e = e.error(400, "invalid");
        assert_eq!(e.param.as_deref(), Some("$.line_items[0].quantity"));
    }
    let e = acp.post("/checkout_sessions", &create_body(&[("99999999", 1)], true), "item-1").await;
    assert_eq!(e.error(400, "invalid_item_id").param.as_deref(), Some("$.line_items[0].id"));
    let e = acp.post("/checkout_sessions", &create_body(&[("not a tcin", 1)], true), "item-2").await;
    e.error(400, "invalid_item_id");
    let e = acp.post("/checkout_sessions", &create_body(&[], true), "item-3").await;
    assert_eq!(e.error(400, "missing").param.as_deref(), Some("$.line_items"));
    let mut eur = create_body(&[(&id, 1)], true);
    eur["currency"] = json!("eur");
    assert_eq!(
        acp.post("/checkout_sessions", &eur, "cur-1").await.error(400, "invalid").param.as_deref(),
        Some("$.currency")
    );

    let s = acp.create(&create_body(&[(&id, 1)], true), "opt-0").await;
    let path = format!("/checkout_sessions/{}", s.id);
    let bad_option =
        json!({"selected_fulfillment_options": [{"type": "shipping", "option_id": "teleport", "item_ids": [id]}]});
    let e = acp.post(&path, &bad_option, "opt-1").await.error(400, "invalid");
    assert_eq!(e.param.as_deref(), Some("$.selected_fulfillment_options[0].option_id"));
    let pickup =
        json!({"selected_fulfillment_options": [{"type": "pickup", "option_id": "standard", "item_ids": [id]}]});
    acp.post(&path, &pickup, "opt-2").await.error(400, "invalid");
    let e = acp.post(&path, &json!({"line_items": [{"id": id, "quantity": 120}]}), "opt-3").await.error(400, "invalid");
    assert_eq!(e.param.as_deref(), Some("$.line_items[0].quantity"));
    let bad_handler = json!({"payment_data": {"handler_id": "cash", "instrument": {"type": "card", "credential": {"type": "spt", "token": "t"}}}});
    let e = acp.post(&format!("{path}/complete"), &bad_handler, "opt-4").await.error(400, "invalid");
    assert_eq!(e.param.as_deref(), Some("$.payment_data.handler_id"));
    // Refusals left the session as it was.
    assert_eq!(acp.get(&path).await.session(200).line_items[0].quantity, 1);
}

async fn malformed_bodies_are_flat_errors(backend: Backend) {
    let acp = backend.spawn().await;
    let r = acp.post("/checkout_sessions", &json!({"line_items": "nope"}), "bad-1").await;
    r.error(400, "invalid");
    let r = acp.post("/checkout_sessions", &json!({"currency": "usd"}), "bad-2").await;
    r.error(400, "invalid");
}

async fn request_id_is_echoed(backend: Backend) {
    let acp = backend.spawn().await;
    let headers = Headers { request_id: Some("req_42".into()), ..Headers::idem("rid-1") };
    let r =
        acp.send(Method::POST, "/checkout_sessions", Some(&create_body(&[(&cheap_id(&acp), 1)], true)), &headers).await;
    assert_eq!(r.header("request-id"), Some("req_42"));
    assert_eq!(r.header("idempotency-key"), Some("rid-1"));
    let get = Headers { key: None, request_id: Some("req_43".into()), ..Headers::idem("") };
    let r = acp.send(Method::GET, "/checkout_sessions/cs_none", None, &get).await;
    assert_eq!(r.header("request-id"), Some("req_43"), "echoed on errors too");
}

async fn signatures_are_verified_when_a_signing_key_is_set(backend: Backend) {
    let acp = backend.spawn_with(|c| c.commerce.acp_signing_key = Some("sig-secret".into())).await;
    let body = create_body(&[(&cheap_id(&acp), 1)], true);
    let canonical = server::commerce::signing::canonical(&body);
    let now = acp.app.clock.now();
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let sign = |t: &str, key: &str| server::commerce::signing::sign_request(key, t, &canonical);

    let unsigned = acp.post("/checkout_sessions", &body, "sig-0").await;
    unsigned.error(401, "invalid_signature");
    let t = stamp(now);
    let wrong_key = Headers { signature: Some((t.clone(), sign(&t, "other"))), ..Headers::idem("sig-1") };
    acp.send(Method::POST, "/checkout_sessions", Some(&body), &wrong_key).await.error(401, "invalid_signature");
    let mut tampered = body.clone();
    tampered["line_items"][0]["quantity"] = json!(2);
    let other_body = Headers { signature: Some((t.clone(), sign(&t, "sig-secret"))), ..Headers::idem("sig-2") };
    acp.send(Method::POST, "/checkout_sessions", Some(&tampered), &other_body).await.error(401, "invalid_signature");
    let old = stamp(now - chrono::Duration::seconds(301));
    let stale = Headers { signature: Some((old.clone(), sign(&old, "sig-secret"))), ..Headers::idem("sig-3") };
    let e = acp.send(Method::POST, "/checkout_sessions", Some(&body), &stale).await.error(401, "invalid_signature");
    assert!(e.message.contains("window"), "{}", e.message);
    let future = stamp(now + chrono::Duration::seconds(301));
    let ahead = Headers { signature: Some((future.clone(), sign(&future, "sig-secret"))), ..Headers::idem("sig-4") };
    acp.send(Method::POST, "/checkout_sessions", Some(&body), &ahead).await.error(401, "invalid_signature");
    let near = stamp(now - chrono::Duration::seconds(299));
    let good = Headers { signature: Some((near.clone(), sign(&near, "sig-secret"))), ..Headers::idem("sig-5") };
    acp.send(Method::POST, "/checkout_sessions", Some(&body), &good).await.session(201);
}

/// Sets the first line's quantity of a create body.
trait TapQuantity {
    fn tap_quantity(self, q: i64) -> Self;
}

impl TapQuantity for serde_json::Value {
    fn tap_quantity(mut self, q: i64) -> Self {
        self["line_items"][0]["quantity"] = json!(q);
        self
    }
}

on_both_stores!(
    api_version_is_required_and_checked,
    every_post_needs_an_idempotency_key,
    a_merchant_key_is_required,
    configured_keys_replace_the_demo_key,
    unknown_sessions_are_404,
    quantities_options_and_items_not_offered_are_refused,
    malformed_bodies_are_flat_errors,
    request_id_is_echoed,
    signatures_are_verified_when_a_signing_key_is_set,
);

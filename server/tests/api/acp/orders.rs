//! Orders after checkout: the operator API (ship, deliver, cancel with a refund), the
//! `order_update` webhooks each change causes — signed, once per event id, after the order's
//! `order_create` and in order even across a receiver outage — and the order's permalink page.
//! Every order body is checked by the oracle.

use chrono::Duration as Span;
use reqwest::Method;
use serde_json::{Value, json};

use super::oracle::{self, Order};
use super::webhooks::{Seen, check_signed, next, outbox_drains, receiver, spawn};
use super::{Acp, Backend, on_both_stores};

fn ops_path(order: &str, action: &str) -> String {
    if action.is_empty() { format!("/ops/orders/{order}") } else { format!("/ops/orders/{order}/{action}") }
}

async fn change(acp: &Acp, order: &str, action: &str, body: Option<&Value>) -> Order {
    let reply = acp.ops(Method::POST, &ops_path(order, action), body).await;
    assert_eq!(reply.status, 200, "{action}: {:#}", reply.body);
    oracle::order(&reply.body)
}

/// The event in a webhook the receiver accepted: (type, order status, the order).
fn event(seen: &Seen) -> (String, String, Order) {
    check_signed(seen);
    let e = oracle::webhook(&seen.body);
    let status = e.data.status.clone().expect("status");
    (e.kind, status, e.data)
}

async fn an_orders_updates_follow_its_creation_through_an_outage(backend: Backend) {
    let (url, up, mut rx) = receiver(false).await;
    let acp = spawn(&backend, &url).await;
    let done = acp.place(2, "ord-out").await;
    let order = done.order.expect("order").id;
    let first = next(&mut rx).await;
    assert!(!first.accepted);
    // While the receiver is down the order ships and arrives.
    let tracking = json!({
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    });
    let shipped = change(&acp, &order, "ship", Some(&tracking)).await;
    assert_eq!(shipped.status.as_deref(), Some("shipped"));
    let parcel = &shipped.fulfillments.as_ref().expect("fulfillments")[0];
    assert_eq!(parcel.tracking_number.as_deref(), Some("1Z999AA10123456784"));
    assert_eq!(parcel.line_items.as_ref().expect("lines")[0].quantity, 2);
    assert!(parcel.destination.is_some(), "shipped to the session's address");
    let line = &shipped.line_items.as_ref().expect("lines")[0];
    assert_eq!((line.quantity.fulfilled, line.status.as_deref()), (2, Some("fulfilled")));
    let delivered = change(&acp, &order, "deliver", None).await;
    assert_eq!(delivered.status.as_deref(), Some("completed"));
    // Minutes of retries: every attempt is the create, the updates wait behind it.
    for _ in 0..3 {
        acp.app.clock.advance(Span::minutes(2));
        let again = next(&mut rx).await;
        assert!(!again.accepted);
        assert_eq!(again.request_id, first.request_id, "nothing overtakes the order's first event");
    }
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 3, "nothing lost while down");
    *up.lock().expect("ok") = true;
    acp.app.clock.advance(Span::minutes(10));
    let arrived = [next(&mut rx).await, next(&mut rx).await, next(&mut rx).await];
    assert!(arrived.iter().all(|s| s.accepted));
    let events: Vec<(String, String)> = arrived.iter().map(event).map(|(k, s, _)| (k, s)).collect();
    assert_eq!(
        events,
        [
            ("order_create".to_owned(), "confirmed".to_owned()),
            ("order_update".to_owned(), "shipped".to_owned()),
            ("order_update".to_owned(), "completed".to_owned())
        ]
    );
    assert_eq!(arrived[0].request_id, first.request_id);
    assert_eq!(arrived[0].body, first.body, "the create is sent as it was queued");
    let (_, _, last) = event(&arrived[2]);
    assert_eq!(last.id, order);
    let parcel = &last.fulfillments.expect("fulfillments")[0];
    assert_eq!(parcel.status.as_deref(), Some("delivered"));
    let kinds: Vec<&str> = parcel.events.iter().flatten().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["shipped", "delivered"]);
    let mut ids: Vec<&str> = arrived.iter().map(|s| s.request_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "one id per event");
    outbox_drains(&acp).await;
    // Nothing is sent again: the next webhook is the next order's.
    acp.app.clock.advance(Span::hours(2));
    let second = acp.place(1, "ord-out-2").await.order.expect("order").id;
    let (kind, _, data) = event(&next(&mut rx).await);
    assert_eq!((kind.as_str(), data.id.as_str()), ("order_create", second.as_str()));
}

async fn cancel_refunds_and_each_step_is_an_update(backend: Backend) {
    let (url, _up, mut rx) = receiver(true).await;
    let acp = spawn(&backend, &url).await;
    let done = acp.place(1, "ord-cancel").await;
    let charged = oracle::total(&done);
    let order = done.order.expect("order").id;
    let reply =
        acp.ops(Method::POST, &ops_path(&order, "cancel"), Some(&json!({"reason": "Changed their mind"}))).await;
    assert_eq!(reply.status, 200, "{:#}", reply.body);
    let canceled = oracle::order(&reply.body);
    assert_eq!(canceled.status.as_deref(), Some("canceled"));
    let line = &canceled.line_items.as_ref().expect("lines")[0];
    assert_eq!((line.quantity.ordered, line.quantity.current, line.status.as_deref()), (1, 0, Some("removed")));
    let refund = &canceled.adjustments.as_ref().expect("adjustments")[0];
    assert_eq!((refund.kind.as_str(), refund.status.as_str(), refund.amount), ("refund", "completed", Some(charged)));
    let totals = canceled.totals.as_ref().expect("totals");
    let charged_total = totals.iter().find(|t| t.kind == oracle::TotalType::Total).expect("total").amount;
    assert_eq!(charged_total, charged, "`total` stays what was charged");
    // create, canceled with the refund pending, the refund completed.
    let seen = [next(&mut rx).await, next(&mut rx).await, next(&mut rx).await];
    let steps: Vec<(String, String, String)> = seen
        .iter()
        .map(|s| {
            let (kind, status, data) = event(s);
            let refund = data.adjustments.unwrap_or_default().first().map(|a| a.status.clone()).unwrap_or_default();
            (kind, status, refund)
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("order_create".to_owned(), "confirmed".to_owned(), String::new()),
            ("order_update".to_owned(), "canceled".to_owned(), "pending".to_owned()),
            ("order_update".to_owned(), "canceled".to_owned(), "completed".to_owned())
        ]
    );
    // A canceled order is final.
    for action in ["ship", "deliver", "cancel"] {
        let r = acp.ops(Method::POST, &ops_path(&order, action), None).await;
        r.error(409, "invalid_state");
    }
    outbox_drains(&acp).await;
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 0, "refusals queue nothing");
    let looked_up = acp.ops(Method::GET, &ops_path(&order, ""), None).await;
    assert_eq!((looked_up.status, &looked_up.body), (200, &reply.body), "the lookup answers the same order");
}

async fn the_operator_api_refuses_strangers_and_unknown_orders(backend: Backend) {
    let acp = backend.spawn().await;
    let done = acp.place(1, "ord-refuse").await;
    let order = done.order.expect("order").id;
    let wrong = acp
        .app
        .client
        .post(acp.app.url(&ops_path(&order, "ship")))
        .bearer_auth(super::DEMO_KEY)
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401, "the merchant API key is not the operator key");
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(oracle::error(&body).code, "unauthorized");
    acp.ops(Method::POST, &ops_path("TGT-000000000000", "ship"), None).await.error(404, "order_not_found");
    let typo = acp.ops(Method::POST, &ops_path(&order, "ship"), Some(&json!({"tracking": "x"}))).await;
    typo.error(400, "invalid");
    assert_eq!(acp.app.state.store.outbox_pending().await.expect("ok"), 1, "only the create");
    // Without ACP_OPS_KEY the routes do not exist.
    let closed = backend.spawn_with(|c| c.commerce.acp_ops_key = None).await;
    let r = closed.app.client.get(closed.app.url(&ops_path(&order, ""))).bearer_auth("").send().await.expect("sent");
    assert_eq!(r.status(), 404);
}

/// The permalink's path and query, on the test server.
fn permalink_on(acp: &Acp, permalink: &str) -> String {
    let url = url::Url::parse(permalink).expect("a URL");
    assert_eq!(url.path(), format!("/orders/{}", url.path().trim_start_matches("/orders/")));
    acp.app.url(&format!("{}?{}", url.path(), url.query().expect("the key")))
}

async fn page(acp: &Acp, url: &str) -> (u16, String) {
    let r = acp.app.client.get(url).send().await.expect("sent");
    let status = r.status().as_u16();
    if status == 200 {
        assert!(r.headers()["content-type"].to_str().expect("ok").starts_with("text/html"));
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    (status, r.text().await.expect("text"))
}

async fn the_permalink_shows_the_order(backend: Backend) {
    let acp = backend.spawn().await;
    let done = acp.place(3, "ord-page").await;
    let placed = done.order.clone().expect("order");
    let url = permalink_on(&acp, &placed.permalink_url);
    let (status, html) = page(&acp, &url).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Order {}", placed.id)), "{html}");
    assert!(html.contains("data-status=\"confirmed\""), "{html}");
    assert_eq!(html.matches("data-line=").count(), done.line_items.len());
    let total = shared::money::Cents(oracle::total(&done)).display_usd();
    assert!(html.contains(&total), "the total {total}: {html}");
    assert!(html.contains(&format!(
        "3 × {}",
        shared::money::Cents(done.line_items[0].unit_amount.expect("price")).display_usd()
    )));
    change(&acp, &placed.id, "ship", Some(&json!({"tracking_number": "9400111899223456789012"}))).await;
    let (_, html) = page(&acp, &url).await;
    assert!(html.contains("data-status=\"shipped\"") && html.contains("9400111899223456789012"), "{html}");
    // Without the key, with another, or for another order: the same 404.
    let bare = acp.app.url(&format!("/orders/{}", placed.id));
    let other_key = url.replace("key=", "key=0");
    let other_order = acp.app.url("/orders/TGT-000000000000?key=x");
    for url in [bare, other_key, other_order] {
        let (status, html) = page(&acp, &url).await;
        assert_eq!(status, 404, "{url}");
        assert!(!html.contains(&placed.id));
    }
}

on_both_stores!(
    an_orders_updates_follow_its_creation_through_an_outage,
    cancel_refunds_and_each_step_is_an_update,
    the_operator_api_refuses_strangers_and_unknown_orders,
    the_permalink_shows_the_order,
);

//! The Agentic Commerce Protocol's part of the [`Store`] contract, run against each backend with
//! [`commerce_contract_tests!`] (same fixtures as `contract.rs`). Times come through `now`.

use chrono::{Duration, Utc};
use shared::ids::OrderId;
use shared::membership::{Membership, MembershipTier};
use shared::money::Cents;

use super::Store;
use super::commerce::{IDEMPOTENCY_RETENTION, IdempotencyBegin, OutboxEvent, StoredCheckout, StoredResponse};
use super::contract::order;

fn checkout(version: u64, json: &str) -> StoredCheckout {
    StoredCheckout { id: "cs_1".into(), version, expires_at: Utc::now() + Duration::hours(6), json: json.into() }
}

fn event(id: &str, at: chrono::DateTime<Utc>) -> OutboxEvent {
    OutboxEvent {
        id: id.into(),
        body: format!("{{\"id\":\"{id}\"}}"),
        attempts: 0,
        created_at: at,
        next_attempt_at: at,
    }
}

pub(crate) async fn checkout_writes_are_compare_and_set(store: &dyn Store) {
    assert!(store.checkout_session("cs_1").await.unwrap().is_none());
    assert!(store.save_checkout_session(&checkout(1, "{\"a\":1}"), None).await.unwrap());
    assert!(!store.save_checkout_session(&checkout(1, "{\"a\":2}"), None).await.unwrap(), "already exists");
    assert!(!store.save_checkout_session(&checkout(3, "{\"a\":3}"), Some(2)).await.unwrap(), "stale version");
    assert!(store.save_checkout_session(&checkout(2, "{\"a\":4}"), Some(1)).await.unwrap());
    let stored = store.checkout_session("cs_1").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.json.as_str()), (2, "{\"a\":4}"));
}

pub(crate) async fn completing_stores_the_order_savings_and_event_at_once(store: &dyn Store) {
    let now = Utc::now();
    let email = "Buyer@Example.com";
    let member = Membership { tier: MembershipTier::Circle, member_since: now, lifetime_savings_cents: Cents(10) };
    store.join_membership(email, member).await.unwrap();
    store.save_checkout_session(&checkout(1, "{}"), None).await.unwrap();
    let placed = order(42, email, now);
    let evt = event("evt_1", now);
    let stale = store.complete_checkout_session(&checkout(3, "{}"), 2, &placed, Cents(5), &evt).await;
    assert!(!stale.unwrap(), "a stale version completes nothing");
    assert!(store.order(&placed.order_id).await.unwrap().is_none());
    assert_eq!(store.outbox_pending().await.unwrap(), 0);
    let done = store.complete_checkout_session(&checkout(2, "{\"done\":true}"), 1, &placed, Cents(5), &evt).await;
    assert!(done.unwrap());
    assert_eq!(store.order(&OrderId::parse("TGT-000000000042").unwrap()).await.unwrap(), Some(placed));
    assert_eq!(store.membership(email).await.unwrap().unwrap().lifetime_savings_cents, Cents(15));
    assert_eq!(store.checkout_session("cs_1").await.unwrap().unwrap().json, "{\"done\":true}");
    assert_eq!(store.outbox_pending().await.unwrap(), 1);
}

pub(crate) async fn idempotency_replays_conflicts_and_expires(store: &dyn Store) {
    let t0 = Utc::now();
    let lease = Duration::seconds(60);
    let response = StoredResponse { status: 201, body: "{\"id\":\"cs_1\"}".into() };
    assert_eq!(store.idempotency_begin("s", "fp1", t0, lease).await.unwrap(), IdempotencyBegin::Started);
    assert_eq!(store.idempotency_begin("s", "fp1", t0, lease).await.unwrap(), IdempotencyBegin::InFlight);
    assert_eq!(store.idempotency_begin("s", "fp2", t0, lease).await.unwrap(), IdempotencyBegin::Conflict);
    store.idempotency_finish("s", "fp1", &response, t0).await.unwrap();
    let later = t0 + IDEMPOTENCY_RETENTION - Duration::seconds(1);
    assert_eq!(store.idempotency_begin("s", "fp1", later, lease).await.unwrap(), IdempotencyBegin::Replay(response));
    assert_eq!(store.idempotency_begin("s", "fp2", later, lease).await.unwrap(), IdempotencyBegin::Conflict);
    assert_eq!(store.idempotency_begin("other", "fp1", t0, lease).await.unwrap(), IdempotencyBegin::Started, "scoped");
    let expired = t0 + IDEMPOTENCY_RETENTION + Duration::seconds(1);
    assert_eq!(store.idempotency_begin("s", "fp2", expired, lease).await.unwrap(), IdempotencyBegin::Started);
}

pub(crate) async fn an_abandoned_or_released_request_frees_its_key(store: &dyn Store) {
    let t0 = Utc::now();
    let lease = Duration::seconds(60);
    store.idempotency_begin("crashed", "fp", t0, lease).await.unwrap();
    let after_lease = t0 + Duration::seconds(61);
    assert_eq!(store.idempotency_begin("crashed", "fp", after_lease, lease).await.unwrap(), IdempotencyBegin::Started);
    store.idempotency_begin("failed", "fp", t0, lease).await.unwrap();
    store.idempotency_release("failed").await.unwrap();
    assert_eq!(store.idempotency_begin("failed", "fp", t0, lease).await.unwrap(), IdempotencyBegin::Started);
}

pub(crate) async fn the_outbox_claims_retries_and_acks(store: &dyn Store) {
    let t0 = Utc::now();
    let lease = Duration::seconds(30);
    store.outbox_push(&event("evt_a", t0)).await.unwrap();
    store.outbox_push(&event("evt_b", t0 + Duration::seconds(10))).await.unwrap();
    let due = store.outbox_claim(t0, lease, 10).await.unwrap();
    assert_eq!(due.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["evt_a"], "only what is due");
    assert!(store.outbox_claim(t0, lease, 10).await.unwrap().is_empty(), "a claimed event is held");
    let mut failed = due[0].clone();
    failed.attempts = 1;
    failed.next_attempt_at = t0 + Duration::seconds(1);
    store.outbox_retry(&failed).await.unwrap();
    let again = store.outbox_claim(t0 + Duration::seconds(11), lease, 10).await.unwrap();
    let mut ids: Vec<_> = again.iter().map(|e| (e.id.clone(), e.attempts)).collect();
    ids.sort();
    assert_eq!(ids, [("evt_a".to_owned(), 1), ("evt_b".to_owned(), 0)]);
    store.outbox_ack("evt_a").await.unwrap();
    store.outbox_retry(&failed).await.unwrap();
    assert_eq!(store.outbox_pending().await.unwrap(), 1, "a retry of a delivered event does not bring it back");
    let after_lease = store.outbox_claim(t0 + Duration::seconds(42), lease, 10).await.unwrap();
    assert_eq!(after_lease.len(), 1, "an unacknowledged claim comes back after the lease");
    assert_eq!(after_lease[0].id, "evt_b");
}

/// One `#[tokio::test]` per function above, on a store from `$setup`.
macro_rules! commerce_contract_tests {
    ($setup:ident) => {
        mod commerce_contract {
            $crate::store::commerce_contract::commerce_contract_tests!(@each $setup;
                checkout_writes_are_compare_and_set,
                completing_stores_the_order_savings_and_event_at_once,
                idempotency_replays_conflicts_and_expires,
                an_abandoned_or_released_request_frees_its_key,
                the_outbox_claims_retries_and_acks,
            );
        }
    };
    (@each $setup:ident; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (_guard, store) = super::$setup().await;
                $crate::store::commerce_contract::$name(&store).await;
            }
        )+
    };
}
pub(crate) use commerce_contract_tests;

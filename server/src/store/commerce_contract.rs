//! The Agentic Commerce Protocol's part of the [`Store`] contract, run against each backend with
//! [`commerce_contract_tests!`] (same fixtures as `contract.rs`). Times come through `now`.

use chrono::{Duration, Utc};
use shared::ids::OrderId;
use shared::membership::{Membership, MembershipTier};
use shared::money::Cents;

use super::Store;
use super::commerce::{
    IDEMPOTENCY_RETENTION, IdempotencyBegin, OutboxEvent, PendingRefund, StoredAcpOrder, StoredCheckout, StoredResponse,
};
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
        after: None,
    }
}

/// Placed at `at` in whole microseconds (what Redis keeps).
fn acp_order(version: u64, json: &str, at: chrono::DateTime<Utc>) -> StoredAcpOrder {
    use chrono::SubsecRound;
    StoredAcpOrder { id: "TGT-000000000042".into(), version, placed_at: at.trunc_subsecs(6), json: json.into() }
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
    let record = acp_order(1, "{\"status\":\"confirmed\"}", now);
    let stale = store.complete_checkout_session(&checkout(3, "{}"), 2, &placed, &record, Cents(5), &evt).await;
    assert!(!stale.unwrap(), "a stale version completes nothing");
    assert!(store.order(&placed.order_id).await.unwrap().is_none());
    assert!(store.acp_order(&record.id).await.unwrap().is_none());
    assert_eq!(store.outbox_pending().await.unwrap(), 0);
    let done =
        store.complete_checkout_session(&checkout(2, "{\"done\":true}"), 1, &placed, &record, Cents(5), &evt).await;
    assert!(done.unwrap());
    assert_eq!(store.acp_order(&record.id).await.unwrap(), Some(record));
    assert_eq!(store.order(&OrderId::parse("TGT-000000000042").unwrap()).await.unwrap(), Some(placed));
    assert_eq!(store.membership(email).await.unwrap().unwrap().lifetime_savings_cents, Cents(15));
    assert_eq!(store.checkout_session("cs_1").await.unwrap().unwrap().json, "{\"done\":true}");
    assert_eq!(store.outbox_pending().await.unwrap(), 1);
}

pub(crate) async fn acp_order_updates_are_compare_and_set_with_their_event(store: &dyn Store) {
    let now = Utc::now();
    store.save_checkout_session(&checkout(1, "{}"), None).await.unwrap();
    let placed = order(42, "buyer@example.com", now);
    let record = acp_order(1, "{\"status\":\"confirmed\"}", now);
    assert!(!store.update_acp_order(&acp_order(2, "{}", now), 1, &event("evt_0", now)).await.unwrap(), "no order yet");
    store
        .complete_checkout_session(&checkout(2, "{}"), 1, &placed, &record, Cents(0), &event("evt_1", now))
        .await
        .unwrap();
    let shipped = acp_order(2, "{\"status\":\"shipped\"}", now);
    assert!(store.update_acp_order(&shipped, 1, &event("evt_2", now)).await.unwrap());
    let lost = acp_order(2, "{\"status\":\"canceled\"}", now);
    assert!(!store.update_acp_order(&lost, 1, &event("evt_3", now)).await.unwrap(), "a stale version writes nothing");
    assert_eq!(store.acp_order(&record.id).await.unwrap(), Some(shipped));
    let mut ids: Vec<String> =
        store.outbox_claim(now, Duration::seconds(30), 10).await.unwrap().into_iter().map(|e| e.id).collect();
    ids.sort();
    assert_eq!(ids, ["evt_1", "evt_2"], "the update's event is queued with it, the lost one's is not");
}

pub(crate) async fn an_orders_events_are_claimed_in_order(store: &dyn Store) {
    let t0 = Utc::now();
    let lease = Duration::seconds(30);
    let ids = |events: Vec<OutboxEvent>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    // Due before the event it follows (that one is backing off): it is parked, not claimed.
    let mut first = event("evt_first", t0);
    first.next_attempt_at = t0 + Duration::seconds(60);
    let second = OutboxEvent { after: Some(first.id.clone()), ..event("evt_second", t0 - Duration::seconds(5)) };
    store.outbox_push(&first).await.unwrap();
    store.outbox_push(&second).await.unwrap();
    assert!(store.outbox_claim(t0, lease, 10).await.unwrap().is_empty(), "the second waits for the first");
    let at = t0 + Duration::seconds(60);
    assert_eq!(ids(store.outbox_claim(at, lease, 10).await.unwrap()), ["evt_first"], "parked, not due");
    assert_eq!(store.outbox_pending().await.unwrap(), 2, "a parked event is still pending");
    // Delivering the first makes the second due at once.
    let acked = at + Duration::seconds(2);
    store.outbox_ack("evt_first", acked).await.unwrap();
    assert_eq!(ids(store.outbox_claim(acked, lease, 10).await.unwrap()), ["evt_second"]);
    // Both due in one batch, the predecessor sorted first: claimed together, in order.
    let later = acked + Duration::seconds(1);
    let mut second_failed = second.clone();
    second_failed.next_attempt_at = later;
    store.outbox_retry(&second_failed).await.unwrap();
    let third = OutboxEvent { after: Some("evt_second".into()), ..event("evt_third", later) };
    store.outbox_push(&third).await.unwrap();
    assert_eq!(ids(store.outbox_claim(later, lease, 10).await.unwrap()), ["evt_second", "evt_third"]);
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
    store.outbox_ack("evt_a", t0).await.unwrap();
    store.outbox_retry(&failed).await.unwrap();
    assert_eq!(store.outbox_pending().await.unwrap(), 1, "a retry of a delivered event does not bring it back");
    let after_lease = store.outbox_claim(t0 + Duration::seconds(42), lease, 10).await.unwrap();
    assert_eq!(after_lease.len(), 1, "an unacknowledged claim comes back after the lease");
    assert_eq!(after_lease[0].id, "evt_b");
}

pub(crate) async fn pending_refunds_are_claimed_leased_retried_and_settled(store: &dyn Store) {
    let t0 = Utc::now();
    let lease = Duration::seconds(30);
    let refund = |id: &str, attempts, at| PendingRefund { order_id: id.into(), attempts, next_attempt_at: at };
    let ids = |due: Vec<PendingRefund>| due.into_iter().map(|r| r.order_id).collect::<Vec<_>>();
    store.refund_schedule(&refund("TGT-2", 0, t0 + Duration::seconds(20))).await.unwrap();
    store.refund_schedule(&refund("TGT-1", 0, t0 + Duration::seconds(10))).await.unwrap();
    assert!(store.refund_claim(t0, lease, 10).await.unwrap().is_empty(), "not due yet");
    let t1 = t0 + Duration::seconds(20);
    assert_eq!(
        ids(store.refund_claim(t1, lease, 1).await.unwrap()),
        ["TGT-1"],
        "the earliest due first, up to the limit"
    );
    assert_eq!(
        ids(store.refund_claim(t1, lease, 10).await.unwrap()),
        ["TGT-2"],
        "a claimed one is not handed out again"
    );
    assert!(store.refund_claim(t1 + Duration::seconds(29), lease, 10).await.unwrap().is_empty(), "held for the lease");
    // TGT-1's try failed: due again 2 s later, its attempt counted.
    let failed = refund("TGT-1", 1, t1 + Duration::seconds(2));
    store.refund_retry(&failed).await.unwrap();
    assert_eq!(store.refund_claim(t1 + Duration::seconds(2), lease, 10).await.unwrap(), [failed]);
    // TGT-2's claim ran out unsettled (a crashed instance): it comes back.
    assert_eq!(ids(store.refund_claim(t1 + lease, lease, 10).await.unwrap()), ["TGT-2"]);
    assert_eq!(store.refunds_pending().await.unwrap(), 2);
    store.refund_done("TGT-1").await.unwrap();
    store.refund_retry(&refund("TGT-1", 2, t1)).await.unwrap();
    assert_eq!(store.refunds_pending().await.unwrap(), 1, "a retry of a settled refund does not bring it back");
    assert!(
        store.refund_claim(t1 + Duration::hours(1), lease, 10).await.unwrap().iter().all(|r| r.order_id != "TGT-1")
    );
    // Scheduling again replaces what was queued for the order.
    let again = refund("TGT-2", 0, t1 + Duration::hours(2));
    store.refund_schedule(&again).await.unwrap();
    assert!(store.refund_claim(t1 + Duration::hours(2) - Duration::seconds(1), lease, 10).await.unwrap().is_empty());
    assert_eq!(store.refund_claim(t1 + Duration::hours(2), lease, 10).await.unwrap(), [again]);
    store.refund_done("TGT-2").await.unwrap();
    assert_eq!(store.refunds_pending().await.unwrap(), 0);
}

/// One `#[tokio::test]` per function above, on a store from `$setup`.
macro_rules! commerce_contract_tests {
    ($setup:ident) => {
        mod commerce_contract {
            $crate::store::commerce_contract::commerce_contract_tests! { @names (@each $setup) }
        }
    };
    // Every test, one after the other, each on a store `$fresh` makes (a shared server).
    (in_sequence $fresh:expr) => {
        $crate::store::commerce_contract::commerce_contract_tests! { @names (@sequence $fresh) }
    };
    (@names ($($mode:tt)+)) => {
        $crate::store::commerce_contract::commerce_contract_tests! { $($mode)+;
                checkout_writes_are_compare_and_set,
                completing_stores_the_order_savings_and_event_at_once,
                acp_order_updates_are_compare_and_set_with_their_event,
                an_orders_events_are_claimed_in_order,
                idempotency_replays_conflicts_and_expires,
                an_abandoned_or_released_request_frees_its_key,
                the_outbox_claims_retries_and_acks,
                pending_refunds_are_claimed_leased_retried_and_settled,
        }
    };
    (@sequence $fresh:expr; $($name:ident),+ $(,)?) => {
        $(
            let store = $fresh.await;
            eprintln!(concat!("commerce_contract::", stringify!($name)));
            $crate::store::commerce_contract::$name(&store).await;
        )+
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

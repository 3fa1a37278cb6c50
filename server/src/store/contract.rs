//! The behaviour every [`Store`] backend must have, as one test suite run against each of them.
//!
//! Each function takes a fresh, empty store whose session TTL is [`CONTRACT_TTL`]; times are
//! given through the `now` arguments, never by sleeping. A backend runs the whole suite with
//! [`store_contract_tests!`], given an async fixture returning `(guard, store)` (the guard keeps
//! whatever the store needs alive, e.g. a Redis server).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use shared::auth::User;
use shared::checkout::Order;
use shared::ids::{IdempotencyKey, OrderId, ProductId, SessionId};
use shared::membership::{Membership, MembershipTier};
use shared::money::{Cents, Currency};
use shared::product::{Product, Rating};

use super::{
    CART_MAX_LINES, CartEntry, LoginAttempt, LoginLimits, LoginRefusal, SEARCH_HISTORY, Session, SessionKind, Store,
    StoreError,
};

/// The session TTL the stores under test are made with.
pub(crate) const CONTRACT_TTL: std::time::Duration = std::time::Duration::from_secs(600);

fn ttl() -> Duration {
    Duration::from_std(CONTRACT_TTL).expect("small ttl")
}

pub(crate) fn sid(n: u8) -> SessionId {
    SessionId::parse(format!("sess_{:032x}", n)).expect("valid id")
}

pub(crate) fn session(n: u8, now: DateTime<Utc>) -> Session {
    Session {
        id: sid(n),
        kind: SessionKind::Chat,
        created_at: now,
        last_seen: now,
        user: None,
        cart: vec![],
        searches: vec![],
        version: 0,
    }
}

pub(crate) fn product(id: &str) -> Arc<Product> {
    Arc::new(crate::test_support::product(id, 1000, None))
}

/// A product with every optional field set and text that needs escaping in JSON.
pub(crate) fn rich_product(id: &str) -> Arc<Product> {
    Arc::new(Product {
        brand: Some("Room & Board \"Studio\" / Ñandú ☀".into()),
        regular_price_cents: Some(Cents(1299)),
        rating: Some(Rating(45)),
        review_count: Some(1234),
        image_url: format!("https://img.example.com/{id}.png?w=200&h=200"),
        url: format!("https://www.target.com/p/-/A-{id}"),
        circle_offer_percent: Some(10),
        title: "Lamp\twith\nnewlines \\ and \u{1F4A1}".into(),
        ..crate::test_support::product(id, 999, None)
    })
}

pub(crate) fn order(n: u64, email: &str, now: DateTime<Utc>) -> Order {
    Order {
        order_id: OrderId::parse(format!("TGT-{n:012}")).expect("valid order id"),
        placed_at: now,
        email: email.into(),
        items: vec![],
        subtotal_cents: Cents(1000),
        circle_savings_cents: Cents::ZERO,
        shipping_cents: Cents::ZERO,
        tax_cents: Cents::ZERO,
        total_cents: Cents(1000),
        currency: Currency::USD,
        continue_url: String::new(),
    }
}

pub(crate) fn idem(key: &str) -> IdempotencyKey {
    IdempotencyKey::parse(key).expect("valid idempotency key")
}

fn pid(n: usize) -> ProductId {
    ProductId::parse(format!("{:08}", 10_000_000 + n)).expect("valid product id")
}

pub(crate) async fn sessions_expire_when_idle_and_use_slides_expiry(store: &dyn Store) {
    let t0 = Utc::now();
    store.create_session(session(1, t0)).await.unwrap();
    assert!(store.session(&sid(1), t0 + Duration::seconds(599)).await.unwrap().is_some());
    // Used at 599 s, so it lives until 1199 s.
    assert!(store.session(&sid(1), t0 + Duration::seconds(1198)).await.unwrap().is_some());
    assert!(store.session(&sid(1), t0 + Duration::seconds(1798)).await.unwrap().is_none());
    assert!(store.session(&sid(1), t0).await.unwrap().is_none(), "expired sessions are gone");
    // Expiry is exactly at last_seen + ttl.
    store.create_session(session(2, t0)).await.unwrap();
    assert!(store.session(&sid(2), t0 + ttl()).await.unwrap().is_none());
}

pub(crate) async fn adding_to_the_cart_uses_the_session_like_a_read(store: &dyn Store) {
    let t0 = Utc::now();
    store.create_session(session(1, t0)).await.unwrap();
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, t0 + Duration::seconds(599)).await.unwrap();
    assert_eq!(s.last_seen, t0 + Duration::seconds(599), "the add marks the session used");
    // Used at 599 s, so it lives until 1199 s.
    assert!(store.session(&sid(1), t0 + Duration::seconds(1198)).await.unwrap().is_some());
    // An add after the session went idle past its TTL finds no session, and does not revive it.
    let late = t0 + Duration::seconds(1198) + ttl();
    assert!(matches!(
        store.add_to_cart(&sid(1), product("10000002"), 1, 99, late).await,
        Err(StoreError::SessionNotFound)
    ));
    assert!(store.session(&sid(1), t0).await.unwrap().is_none(), "the idle session is gone");
}

pub(crate) async fn a_session_round_trips_with_everything_in_it(store: &dyn Store) {
    let t0 = Utc::now();
    let full = Session {
        id: sid(1),
        kind: SessionKind::Account,
        created_at: t0 - Duration::seconds(30),
        last_seen: t0,
        user: Some(User { email: "zoë@example.com".into(), name: "Zoë \"Z\" O'Brien / 王".into() }),
        cart: vec![
            CartEntry { product: rich_product("20000001"), quantity: 3 },
            CartEntry { product: product("10000001"), quantity: 1 },
        ],
        searches: vec!["desk lamp".into(), "\"quoted\" / slashed ☀".into()],
        version: 7,
    };
    store.create_session(full.clone()).await.unwrap();
    let later = t0 + Duration::seconds(5);
    let read = store.session(&sid(1), later).await.unwrap().expect("session");
    assert_eq!(read, Session { last_seen: later, ..full.clone() }, "reading marks it used and changes nothing else");
    // A read at an earlier time never moves last_seen back.
    let read = store.session(&sid(1), t0).await.unwrap().expect("session");
    assert_eq!(read.last_seen, later);
    // Creating a session again with the same id replaces it whole.
    store.create_session(session(1, t0)).await.unwrap();
    assert_eq!(store.session(&sid(1), t0).await.unwrap(), Some(session(1, t0)));
}

pub(crate) async fn sweep_forgets_idle_sessions_and_keeps_active_ones(store: &dyn Store) {
    let t0 = Utc::now();
    store.create_session(session(1, t0)).await.unwrap();
    store.create_session(session(2, t0 + Duration::seconds(30))).await.unwrap();
    let removed = store.sweep_expired(t0 + Duration::seconds(601)).await.unwrap();
    assert!(removed <= 1, "only the idle session may be swept, got {removed}");
    assert!(store.session(&sid(1), t0 + Duration::seconds(601)).await.unwrap().is_none());
    assert!(store.session(&sid(2), t0 + Duration::seconds(601)).await.unwrap().is_some());
}

pub(crate) async fn unknown_sessions_are_absent_or_not_found(store: &dyn Store) {
    let now = Utc::now();
    let ghost = sid(9);
    assert!(store.session(&ghost, now).await.unwrap().is_none());
    assert!(matches!(store.set_user(&ghost, None).await, Err(StoreError::SessionNotFound)));
    assert!(matches!(store.record_search(&ghost, "lamp").await, Err(StoreError::SessionNotFound)));
    assert!(matches!(
        store.add_to_cart(&ghost, product("10000001"), 1, 99, now).await,
        Err(StoreError::SessionNotFound)
    ));
    assert!(matches!(store.set_quantity(&ghost, &pid(1), 1).await, Err(StoreError::SessionNotFound)));
    assert!(matches!(store.bump_version(&ghost).await, Err(StoreError::SessionNotFound)));
    let placed = store.place_order(&ghost, None, &[], order(1, "a@b.co", now), Cents::ZERO).await;
    assert!(matches!(placed, Err(StoreError::SessionNotFound)));
    assert!(store.order(&order(1, "", now).order_id).await.unwrap().is_none(), "nothing was stored");
}

pub(crate) async fn signing_in_and_out_bumps_the_version(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    let user = User { email: "shopper@example.com".into(), name: "Shopper".into() };
    let s = store.set_user(&sid(1), Some(user.clone())).await.unwrap();
    assert_eq!((s.user.as_ref(), s.version), (Some(&user), 1));
    assert_eq!(store.session(&sid(1), now).await.unwrap().unwrap().user, Some(user));
    let s = store.set_user(&sid(1), None).await.unwrap();
    assert_eq!((s.user, s.version), (None, 2));
    assert_eq!(store.session(&sid(1), now).await.unwrap().unwrap().user, None);
}

pub(crate) async fn searches_are_normalized_deduplicated_and_capped(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    store.record_search(&sid(1), "  Desk Lamp ").await.unwrap();
    store.record_search(&sid(1), "USB-C \"cable\" / 2m").await.unwrap();
    store.record_search(&sid(1), "desk lamp").await.unwrap();
    let s = store.session(&sid(1), now).await.unwrap().unwrap();
    assert_eq!(s.searches, ["desk lamp", "usb-c \"cable\" / 2m"]);
    assert_eq!(s.version, 0, "searches do not change what the widgets show");
    for n in 0..SEARCH_HISTORY + 3 {
        store.record_search(&sid(1), &format!("query {n}")).await.unwrap();
    }
    let s = store.session(&sid(1), now).await.unwrap().unwrap();
    assert_eq!(s.searches.len(), SEARCH_HISTORY);
    assert_eq!(s.searches[0], format!("query {}", SEARCH_HISTORY + 2));
    assert_eq!(s.searches[SEARCH_HISTORY - 1], "query 3");
}

pub(crate) async fn cart_adds_merge_cap_and_remove(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    store.add_to_cart(&sid(1), product("10000001"), 2, 99, now).await.unwrap();
    let s = store.add_to_cart(&sid(1), product("10000001"), 98, 99, now).await.unwrap();
    assert_eq!(s.cart.len(), 1);
    assert_eq!(s.cart[0].quantity, 99, "capped");
    assert_eq!(s.version, 2);
    let s = store.add_to_cart(&sid(1), product("10000002"), 150, 99, now).await.unwrap();
    assert_eq!(s.cart[1].quantity, 99, "a new line is capped too");
    let s = store.set_quantity(&sid(1), &product("10000002").id, 5).await.unwrap().unwrap();
    assert_eq!(s.cart[1].quantity, 5);
    let s = store.set_quantity(&sid(1), &product("10000001").id, 0).await.unwrap().unwrap();
    assert_eq!(s.cart, vec![CartEntry { product: product("10000002"), quantity: 5 }]);
    assert_eq!(s.version, 5);
    assert!(store.set_quantity(&sid(1), &product("10000001").id, 1).await.unwrap().is_none());
    assert_eq!(store.session(&sid(1), now).await.unwrap().unwrap().version, 5, "a miss changes nothing");
    let s = store.set_quantity(&sid(1), &product("10000002").id, 0).await.unwrap().unwrap();
    assert!(s.cart.is_empty());
}

pub(crate) async fn cart_keeps_line_order_and_refreshes_the_product(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    for id in ["30000003", "10000001", "20000002"] {
        store.add_to_cart(&sid(1), product(id), 1, 99, now).await.unwrap();
    }
    let repriced = Arc::new(crate::test_support::product("10000001", 750, Some(5)));
    let s = store.add_to_cart(&sid(1), repriced.clone(), 2, 99, now).await.unwrap();
    let ids: Vec<&str> = s.cart.iter().map(|e| e.product.id.as_str()).collect();
    assert_eq!(ids, ["30000003", "10000001", "20000002"], "lines stay in the order they were added");
    assert_eq!(s.cart[1], CartEntry { product: repriced, quantity: 3 }, "the newest product record wins");
    store.set_quantity(&sid(1), &product("30000003").id, 0).await.unwrap();
    let s = store.add_to_cart(&sid(1), rich_product("30000003"), 1, 99, now).await.unwrap();
    let ids: Vec<&str> = s.cart.iter().map(|e| e.product.id.as_str()).collect();
    assert_eq!(ids, ["10000001", "20000002", "30000003"], "a removed product comes back at the end");
    assert_eq!(store.session(&sid(1), now).await.unwrap().unwrap().cart, s.cart);
}

pub(crate) async fn a_full_cart_refuses_new_lines(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    for n in 0..CART_MAX_LINES {
        store
            .add_to_cart(&sid(1), Arc::new(crate::test_support::product(pid(n).as_str(), 100, None)), 1, 99, now)
            .await
            .unwrap();
    }
    let extra = Arc::new(crate::test_support::product(pid(CART_MAX_LINES).as_str(), 100, None));
    assert!(matches!(store.add_to_cart(&sid(1), extra, 1, 99, now).await, Err(StoreError::CartFull)));
    let s = store
        .add_to_cart(&sid(1), Arc::new(crate::test_support::product(pid(0).as_str(), 100, None)), 1, 99, now)
        .await
        .unwrap();
    assert_eq!(s.cart.len(), CART_MAX_LINES);
    assert_eq!(s.cart[0].quantity, 2, "an existing line still merges");
    assert_eq!(s.version, CART_MAX_LINES as u64 + 1, "the refused add changed nothing");
}

pub(crate) async fn an_idempotency_key_places_one_order_and_a_changed_cart_places_none(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    let key = idem("checkout-key-1");
    let first = store.place_order(&sid(1), Some(&key), &s.cart, order(1, "A@b.co", now), Cents(0)).await.unwrap();
    assert!(!first.replayed);
    let again = store.place_order(&sid(1), Some(&key), &s.cart, order(2, "a@b.co", now), Cents(0)).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.order, first.order);
    assert!(store.order(&order(2, "", now).order_id).await.unwrap().is_none());
    assert_eq!(store.order_for_key(&sid(1), " a@B.co", &key).await.unwrap(), Some(first.order.clone()));
    assert_eq!(store.order_for_key(&sid(1), "other@b.co", &key).await.unwrap(), None, "keys belong to one account");
    assert_eq!(store.order_for_key(&sid(1), "a@b.co", &idem("checkout-key-2")).await.unwrap(), None);
    let elsewhere = SessionId::parse("sess_04d20000000000000000000000000001").unwrap();
    assert_eq!(store.order_for_key(&elsewhere, "a@b.co", &key).await.unwrap(), None, "and to one home");
    assert_eq!(store.order_for_key(&sid(9), "a@b.co", &key).await.unwrap(), Some(first.order.clone()));
    // The cart was emptied, so a second click without a key finds it changed.
    let stale = store.place_order(&sid(1), None, &s.cart, order(3, "a@b.co", now), Cents(0)).await;
    assert!(matches!(stale, Err(StoreError::CartChanged)));
    assert!(store.order(&order(3, "", now).order_id).await.unwrap().is_none());
    // The same key replays even after the session is gone.
    let gone = store.place_order(&sid(9), Some(&key), &[], order(4, "a@b.co", now), Cents(0)).await.unwrap();
    assert!(gone.replayed);
    assert_eq!(gone.order.order_id, first.order.order_id);
}

pub(crate) async fn order_ids_are_written_only_if_absent(store: &dyn Store) {
    let now = Utc::now();
    for n in [1, 2] {
        store.create_session(session(n, now)).await.unwrap();
    }
    let first = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    store.place_order(&sid(1), None, &first.cart, order(5, "a@b.co", now), Cents(0)).await.unwrap();
    // Another shopper's checkout draws the same id: refused, nothing changes for either.
    let second = store.add_to_cart(&sid(2), product("10000002"), 2, 99, now).await.unwrap();
    let key = idem("checkout-key-9");
    let clash = store.place_order(&sid(2), Some(&key), &second.cart, order(5, "b@b.co", now), Cents(0)).await;
    assert!(matches!(clash, Err(StoreError::OrderIdTaken)), "{clash:?}");
    assert_eq!(store.order(&order(5, "", now).order_id).await.unwrap().unwrap().email, "a@b.co");
    assert_eq!(store.session(&sid(2), now).await.unwrap().unwrap(), second, "the cart is kept for a retry");
    assert_eq!(store.order_for_key(&sid(2), "b@b.co", &key).await.unwrap(), None, "the key is not used up");
    let retry = store.place_order(&sid(2), Some(&key), &second.cart, order(6, "b@b.co", now), Cents(0)).await;
    assert!(!retry.unwrap().replayed);
}

pub(crate) async fn placing_an_order_empties_the_cart_and_stores_the_order(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(session(1, now)).await.unwrap();
    store.add_to_cart(&sid(1), rich_product("20000001"), 2, 99, now).await.unwrap();
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    // A cart that differs in anything (quantity, product record, lines) is refused untouched.
    let mut fewer = s.cart.clone();
    fewer[0].quantity = 1;
    let mut repriced = s.cart.clone();
    Arc::make_mut(&mut repriced[1].product).price_cents = Cents(1);
    for expected in [fewer, repriced, s.cart[..1].to_vec(), vec![]] {
        let refused = store.place_order(&sid(1), None, &expected, order(1, "a@b.co", now), Cents(0)).await;
        assert!(matches!(refused, Err(StoreError::CartChanged)));
    }
    assert!(store.order(&order(1, "", now).order_id).await.unwrap().is_none());
    assert_eq!(store.session(&sid(1), now).await.unwrap().unwrap(), s, "a refused order changes nothing");
    let placed = store.place_order(&sid(1), None, &s.cart, order(1, "a@b.co", now), Cents(0)).await.unwrap();
    assert!(!placed.replayed);
    assert_eq!(store.order(&placed.order.order_id).await.unwrap(), Some(placed.order));
    let after = store.session(&sid(1), now).await.unwrap().unwrap();
    assert!(after.cart.is_empty());
    assert_eq!(after.version, s.version + 1);
    // The emptied cart works as before.
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    assert_eq!(s.cart.len(), 1);
}

pub(crate) async fn memberships_belong_to_accounts_and_collect_savings(store: &dyn Store) {
    let now = Utc::now();
    assert_eq!(store.membership("shopper@example.com").await.unwrap(), None);
    let m = Membership { tier: MembershipTier::Circle, member_since: now, lifetime_savings_cents: Cents(0) };
    assert_eq!(store.join_membership("Shopper@Example.com", m.clone()).await.unwrap(), m);
    let upgraded = Membership {
        tier: MembershipTier::CircleCard,
        member_since: now + Duration::days(1),
        lifetime_savings_cents: Cents(999),
    };
    let stored = store.join_membership("shopper@example.com", upgraded).await.unwrap();
    assert_eq!(stored.tier, MembershipTier::CircleCard);
    assert_eq!(stored.member_since, now, "joining again keeps member_since");
    assert_eq!(stored.lifetime_savings_cents, Cents(0), "joining again keeps the savings");
    store.create_session(session(1, now)).await.unwrap();
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    store.place_order(&sid(1), None, &s.cart, order(1, "shopper@example.com", now), Cents(250)).await.unwrap();
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    store.place_order(&sid(1), None, &s.cart, order(2, "Shopper@Example.com", now), Cents(100)).await.unwrap();
    let m = store.membership("SHOPPER@example.com").await.unwrap().unwrap();
    assert_eq!(m.lifetime_savings_cents, Cents(350));
    assert_eq!(m.tier, MembershipTier::CircleCard);
    // An order by a non-member creates no membership.
    let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
    store.place_order(&sid(1), None, &s.cart, order(3, "guest@example.com", now), Cents(100)).await.unwrap();
    assert_eq!(store.membership("guest@example.com").await.unwrap(), None);
}

pub(crate) async fn bump_version_counts_up(store: &dyn Store) {
    let now = Utc::now();
    store.create_session(Session { version: 41, ..session(1, now) }).await.unwrap();
    assert_eq!(store.bump_version(&sid(1)).await.unwrap(), 42);
    assert_eq!(store.bump_version(&sid(1)).await.unwrap(), 43);
    assert_eq!(store.session(&sid(1), now).await.unwrap().unwrap().version, 43);
}

/// Small lockout limits for the contract: 3 per account and client, 5 per client, and past 8
/// failures of one account, one attempt per 10 s.
const LIMITS: LoginLimits = LoginLimits {
    window: Duration::minutes(15),
    per_account_client: 3,
    per_client: 5,
    account_slow_after: 8,
    account_slow_interval: Duration::seconds(10),
};

fn attempt(account: &str, client: &str, n: u32) -> LoginAttempt {
    LoginAttempt { account: account.into(), client: client.into(), id: format!("{account}-{client}-{n}") }
}

pub(crate) async fn login_attempts_are_limited_per_account_and_client_per_client_and_slowed_per_account(
    store: &dyn Store,
) {
    let t0 = Utc::now();
    let reserve =
        |a: LoginAttempt, at: DateTime<Utc>| async move { store.reserve_login_attempt(&a, &LIMITS, at).await };
    for n in 0..3 {
        assert_eq!(reserve(attempt("a@b.co", "10.0.0.1", n), t0).await.unwrap(), Ok(()), "attempt {n}");
    }
    // The fourth guess from that client: locked until the first one leaves the window.
    let locked = reserve(attempt("a@b.co", "10.0.0.1", 3), t0 + Duration::minutes(5)).await.unwrap();
    assert_eq!(locked, Err(LoginRefusal::AccountFromClient { retry_after_secs: 10 * 60 }));
    // The owner, on another client, still gets in; a success is not counted as a failure.
    let owner = attempt("a@b.co", "10.0.0.2", 0);
    assert_eq!(reserve(owner.clone(), t0).await.unwrap(), Ok(()));
    store.settle_login_attempt(&owner, true).await.unwrap();
    // The first client may try two other accounts, then its own limit is reached for every account.
    assert_eq!(reserve(attempt("b@b.co", "10.0.0.1", 0), t0).await.unwrap(), Ok(()));
    assert_eq!(reserve(attempt("c@b.co", "10.0.0.1", 0), t0).await.unwrap(), Ok(()));
    let client = reserve(attempt("d@b.co", "10.0.0.1", 0), t0 + Duration::seconds(1)).await.unwrap();
    assert!(matches!(client, Err(LoginRefusal::Client { retry_after_secs: 899 })), "{client:?}");
    // After the window everything is forgotten.
    let later = t0 + Duration::minutes(15);
    assert_eq!(reserve(attempt("a@b.co", "10.0.0.1", 4), later).await.unwrap(), Ok(()));

    // A success forgets that pair's failures: three more guesses are allowed again.
    for n in 0..2 {
        store.reserve_login_attempt(&attempt("e@b.co", "10.0.0.3", n), &LIMITS, t0).await.unwrap().unwrap();
    }
    let success = attempt("e@b.co", "10.0.0.3", 2);
    store.reserve_login_attempt(&success, &LIMITS, t0).await.unwrap().unwrap();
    store.settle_login_attempt(&success, true).await.unwrap();
    for n in 3..6 {
        assert_eq!(reserve(attempt("e@b.co", "10.0.0.3", n), t0).await.unwrap(), Ok(()), "attempt {n} after success");
    }

    // Eight failures of one account from eight clients: the account slows down for everybody.
    for n in 0..8 {
        assert_eq!(reserve(attempt("z@b.co", &format!("192.0.2.{n}"), 0), t0).await.unwrap(), Ok(()));
    }
    let slowed = reserve(attempt("z@b.co", "192.0.2.100", 0), t0 + Duration::seconds(4)).await.unwrap();
    assert_eq!(slowed, Err(LoginRefusal::AccountSlowed { retry_after_secs: 6 }));
    assert_eq!(reserve(attempt("z@b.co", "192.0.2.100", 1), t0 + Duration::seconds(10)).await.unwrap(), Ok(()));
    let again = reserve(attempt("z@b.co", "192.0.2.101", 0), t0 + Duration::seconds(11)).await.unwrap();
    assert_eq!(again, Err(LoginRefusal::AccountSlowed { retry_after_secs: 9 }));
}

pub(crate) async fn parallel_login_attempts_are_reserved_one_at_a_time(store: &dyn Store) {
    let now = Utc::now();
    let attempts: Vec<_> = (0..20).map(|n| attempt("a@b.co", "10.0.0.1", n)).collect();
    let outcomes =
        futures::future::join_all(attempts.iter().map(|a| store.reserve_login_attempt(a, &LIMITS, now))).await;
    let passed = outcomes.into_iter().filter(|o| matches!(o, Ok(Ok(())))).count();
    assert_eq!(passed, 3, "exactly the per-pair limit passes, however many run at once");
}

/// For a store made with a 60 s TTL and a 300 s absolute lifetime (not part of the macro: the
/// backends call it with such a store).
pub(crate) async fn sessions_end_at_their_absolute_lifetime_however_busy(store: &dyn Store) {
    let t0 = Utc::now();
    store.create_session(session(1, t0)).await.unwrap();
    for step in 1..=5 {
        let at = t0 + Duration::seconds(59 * step);
        assert!(store.session(&sid(1), at).await.unwrap().is_some(), "used every 59 s: alive at {step}");
    }
    assert!(store.session_exists(&sid(1), t0 + Duration::seconds(299)).await.unwrap());
    assert!(!store.session_exists(&sid(1), t0 + Duration::seconds(300)).await.unwrap());
    let late = store.add_to_cart(&sid(1), product("10000001"), 1, 99, t0 + Duration::seconds(300)).await;
    assert!(matches!(late, Err(StoreError::SessionNotFound)), "{late:?}");
    assert!(store.session(&sid(1), t0 + Duration::seconds(299)).await.unwrap().is_none(), "and it is gone");
}

/// For a store made with a 60 s TTL and a 300 s absolute lifetime: signing in (a renewal) does
/// not start the lifetime again.
pub(crate) async fn a_renewed_session_keeps_its_absolute_lifetime(store: &dyn Store) {
    let t0 = Utc::now();
    let user = User { email: "sam@example.com".into(), name: "Sam".into() };
    store.create_session(session(11, t0)).await.unwrap();
    for step in 1..=4 {
        assert!(store.session(&sid(11), t0 + Duration::seconds(59 * step)).await.unwrap().is_some());
    }
    let renewed = store.renew_session(&sid(11), &sid(12), &user, t0 + Duration::seconds(250)).await.unwrap();
    assert_eq!(renewed.created_at, t0, "the creation time moves with the session");
    assert!(store.session(&sid(12), t0 + Duration::seconds(299)).await.unwrap().is_some());
    assert!(
        store.session(&sid(12), t0 + Duration::seconds(300)).await.unwrap().is_none(),
        "the renewed session ends 300 s after the first one began, not after the sign-in"
    );
}

pub(crate) async fn session_exists_does_not_slide_the_expiry(store: &dyn Store) {
    let t0 = Utc::now();
    store.create_session(session(1, t0)).await.unwrap();
    assert!(store.session_exists(&sid(1), t0).await.unwrap());
    assert!(!store.session_exists(&sid(2), t0).await.unwrap());
    assert!(store.session_exists(&sid(1), t0 + ttl() - Duration::seconds(1)).await.unwrap());
    assert!(!store.session_exists(&sid(1), t0 + ttl()).await.unwrap(), "expired");
    assert!(store.session(&sid(1), t0 + ttl()).await.unwrap().is_none(), "the check did not slide the expiry");
}

/// A linked account's session: created once, found again by any later call (a new chat, another
/// instance), kept past the session TTL, forgotten only after the account TTL.
pub(crate) async fn account_sessions_outlive_chats_and_are_created_once(store: &dyn Store) {
    let t0 = Utc::now();
    let user = User { email: "sam@example.com".into(), name: "Sam".into() };
    let fresh = |at| Session { user: Some(user.clone()), ..session(9, at) };
    let first = store.account_session(fresh(t0), t0).await.unwrap();
    assert_eq!(first.kind, SessionKind::Account, "stored as an account session");
    assert_eq!(first.user.as_ref(), Some(&user));
    store.add_to_cart(&sid(9), product("10000001"), 2, 99, t0).await.unwrap();
    // Three session TTLs later (a chat session would be long gone), the cart is still there, and
    // the fresh candidate is not stored over it.
    let later = t0 + ttl() * 3;
    let again = store.account_session(fresh(later), later).await.unwrap();
    assert_eq!(again.cart.len(), 1, "the account's cart survives");
    assert_eq!(again.cart[0].quantity, 2);
    assert_eq!(again.last_seen, later, "using it marks it used");
    assert_eq!(store.sweep_expired(later + ttl() * 2).await.unwrap(), 0, "the sweep keeps it");
    let read = store.session(&sid(9), later + ttl() * 2).await.unwrap().expect("still live");
    assert_eq!(read.kind, SessionKind::Account);
    // Idle for the whole account TTL: gone; the next call starts an empty one.
    let account_ttl = Duration::from_std(super::DEFAULT_ACCOUNT_TTL).expect("small ttl");
    let much_later = later + ttl() * 2 + account_ttl;
    let renewed = store.account_session(fresh(much_later), much_later).await.unwrap();
    assert!(renewed.cart.is_empty(), "an account session idle past its TTL is not revived");
    assert_eq!(renewed.created_at, much_later);
}

/// An anonymous chat session's cart moves into a linked account's cart once: quantities add up
/// (capped), the anonymous cart is emptied, and a second merge finds nothing to move. Signed-in,
/// expired, unknown and account sessions are never merged from.
pub(crate) async fn an_anonymous_cart_merges_into_an_account_once(store: &dyn Store) {
    let t0 = Utc::now();
    let user = User { email: "sam@example.com".into(), name: "Sam".into() };
    store.create_session(session(1, t0)).await.unwrap();
    store.add_to_cart(&sid(1), product("10000001"), 2, 99, t0).await.unwrap();
    store.add_to_cart(&sid(1), rich_product("20000002"), 1, 99, t0).await.unwrap();
    let anonymous_version = store.session(&sid(1), t0).await.unwrap().unwrap().version;
    store.account_session(Session { user: Some(user.clone()), ..session(9, t0) }, t0).await.unwrap();
    let before = store.add_to_cart(&sid(9), product("10000001"), 98, 99, t0).await.unwrap();

    let merged = store.merge_cart(&sid(1), &sid(9), 99, t0).await.unwrap().expect("lines moved");
    assert_eq!(
        merged.cart,
        vec![
            CartEntry { product: product("10000001"), quantity: 99 },
            CartEntry { product: rich_product("20000002"), quantity: 1 },
        ],
        "quantities add up to the cap; a new line is appended with its product record intact"
    );
    assert_eq!(merged.version, before.version + 1);
    assert_eq!(merged.kind, SessionKind::Account);
    let anonymous = store.session(&sid(1), t0).await.unwrap().expect("the anonymous session lives on");
    assert!(anonymous.cart.is_empty(), "its cart moved");
    assert_eq!(anonymous.version, anonymous_version + 1);
    assert!(store.merge_cart(&sid(1), &sid(9), 99, t0).await.unwrap().is_none(), "a retry moves nothing");
    assert_eq!(store.session(&sid(9), t0).await.unwrap().unwrap().cart, merged.cart, "and adds nothing");

    // A signed-in session keeps its cart (it is somebody's, not anonymous).
    store.create_session(session(2, t0)).await.unwrap();
    store.add_to_cart(&sid(2), product("30000003"), 1, 99, t0).await.unwrap();
    store.set_user(&sid(2), Some(user.clone())).await.unwrap();
    assert!(store.merge_cart(&sid(2), &sid(9), 99, t0).await.unwrap().is_none());
    assert_eq!(store.session(&sid(2), t0).await.unwrap().unwrap().cart.len(), 1);
    // An account's session is never merged from.
    assert!(store.merge_cart(&sid(9), &sid(9), 99, t0).await.unwrap().is_none());
    // Unknown and expired sessions have nothing to give.
    assert!(store.merge_cart(&sid(7), &sid(9), 99, t0).await.unwrap().is_none());
    store.create_session(session(3, t0)).await.unwrap();
    store.add_to_cart(&sid(3), product("30000003"), 1, 99, t0).await.unwrap();
    let late = t0 + ttl();
    assert!(store.merge_cart(&sid(3), &sid(9), 99, late).await.unwrap().is_none(), "expired at last_seen + ttl");
    // No target session: an error, and the anonymous cart stays where it is.
    store.create_session(session(4, t0)).await.unwrap();
    store.add_to_cart(&sid(4), product("30000003"), 1, 99, t0).await.unwrap();
    assert!(matches!(store.merge_cart(&sid(4), &sid(8), 99, t0).await, Err(StoreError::SessionNotFound)));
    assert_eq!(store.session(&sid(4), t0).await.unwrap().unwrap().cart.len(), 1);
}

/// Into a cart with room for one more line: what fits moves, the rest stays in the anonymous cart.
pub(crate) async fn a_merge_into_a_nearly_full_cart_moves_what_fits(store: &dyn Store) {
    let t0 = Utc::now();
    let line = |n: usize| Arc::new(crate::test_support::product(pid(n).as_str(), 100, None));
    store.account_session(session(9, t0), t0).await.unwrap();
    for n in 0..CART_MAX_LINES - 1 {
        store.add_to_cart(&sid(9), line(n), 1, 99, t0).await.unwrap();
    }
    store.create_session(session(1, t0)).await.unwrap();
    for n in [CART_MAX_LINES, 0, CART_MAX_LINES + 1] {
        store.add_to_cart(&sid(1), line(n), 2, 99, t0).await.unwrap();
    }
    let merged = store.merge_cart(&sid(1), &sid(9), 99, t0).await.unwrap().expect("two lines moved");
    assert_eq!(merged.cart.len(), CART_MAX_LINES);
    assert_eq!(merged.cart[0].quantity, 3, "an existing line adds up");
    assert_eq!(merged.cart[CART_MAX_LINES - 1].product.id, pid(CART_MAX_LINES), "the first new line fits");
    let left = store.session(&sid(1), t0).await.unwrap().unwrap().cart;
    assert_eq!(left, vec![CartEntry { product: line(CART_MAX_LINES + 1), quantity: 2 }], "the rest stays");
    assert!(store.merge_cart(&sid(1), &sid(9), 99, t0).await.unwrap().is_none(), "nothing fits any more");
    assert_eq!(store.session(&sid(1), t0).await.unwrap().unwrap().cart, left);
}

/// Ten merges of one anonymous cart at once: exactly one moves the lines.
pub(crate) async fn concurrent_merges_move_the_lines_once(store: &dyn Store) {
    let t0 = Utc::now();
    store.account_session(session(9, t0), t0).await.unwrap();
    store.create_session(session(1, t0)).await.unwrap();
    store.add_to_cart(&sid(1), product("10000001"), 3, 99, t0).await.unwrap();
    let (from, into) = (sid(1), sid(9));
    let merges = futures::future::join_all((0..10).map(|_| store.merge_cart(&from, &into, 99, t0))).await;
    let moved = merges.into_iter().map(|m| m.unwrap()).filter(Option::is_some).count();
    assert_eq!(moved, 1);
    let cart = store.session(&sid(9), t0).await.unwrap().unwrap().cart;
    assert_eq!(cart, vec![CartEntry { product: product("10000001"), quantity: 3 }]);
}

pub(crate) async fn the_account_id_secret_is_set_once(store: &dyn Store) {
    let first = store.account_id_secret("first".into()).await.unwrap();
    assert_eq!(first, "first");
    assert_eq!(store.account_id_secret("second".into()).await.unwrap(), "first", "a later candidate never replaces it");
}

/// Signing in renews the session id (the session fixation defence): the whole session moves to
/// the new id, and the old one answers `SessionRenewed` for the session TTL, then nothing.
pub(crate) async fn renewing_a_session_moves_it_whole_and_retires_the_old_id(store: &dyn Store) {
    let t0 = Utc::now();
    let user = User { email: "sam@example.com".into(), name: "Sam".into() };
    store.create_session(session(1, t0 - Duration::seconds(100))).await.unwrap();
    store.add_to_cart(&sid(1), product("10000001"), 2, 99, t0).await.unwrap();
    store.record_search(&sid(1), "desk lamp").await.unwrap();
    let before = store.session(&sid(1), t0).await.unwrap().expect("live");
    let at = t0 + Duration::seconds(5);
    let renewed = store.renew_session(&sid(1), &sid(2), &user, at).await.unwrap();
    let expected =
        Session { id: sid(2), user: Some(user.clone()), version: before.version + 1, last_seen: at, ..before };
    assert_eq!(renewed, expected, "cart, searches and creation time move; signed in; version bumped");
    assert_eq!(store.session(&sid(2), at).await.unwrap(), Some(expected));
    // The old id is retired, and says so to every lookup that uses a session.
    assert!(matches!(store.session(&sid(1), at).await, Err(StoreError::SessionRenewed)));
    let add = store.add_to_cart(&sid(1), product("10000002"), 1, 99, at).await;
    assert!(matches!(add, Err(StoreError::SessionRenewed)), "{add:?}");
    assert!(!store.session_exists(&sid(1), at).await.unwrap());
    let again = store.renew_session(&sid(1), &sid(3), &user, at).await;
    assert!(matches!(again, Err(StoreError::SessionRenewed)), "{again:?}");
    assert!(store.session(&sid(3), at).await.unwrap().is_none(), "a second sign-in on the old id creates nothing");
    // Short-lived: once the session TTL has passed, the old id is merely unknown.
    assert!(store.session(&sid(1), at + ttl() - Duration::seconds(1)).await.is_err());
    assert!(store.session(&sid(1), at + ttl()).await.unwrap().is_none());

    // Only a live chat session is renewed; an id in use is refused and nothing changes.
    let ghost = store.renew_session(&sid(9), &sid(10), &user, at).await;
    assert!(matches!(ghost, Err(StoreError::SessionNotFound)), "{ghost:?}");
    store.create_session(session(4, t0)).await.unwrap();
    let idle = store.renew_session(&sid(4), &sid(10), &user, t0 + ttl()).await;
    assert!(matches!(idle, Err(StoreError::SessionNotFound)), "an idle session is not renewed: {idle:?}");
    store.create_session(session(5, at)).await.unwrap();
    store.create_session(session(6, at)).await.unwrap();
    assert!(matches!(store.renew_session(&sid(5), &sid(6), &user, at).await, Err(StoreError::Backend(_))));
    assert_eq!(store.session(&sid(5), at).await.unwrap(), Some(session(5, at)), "nothing changed");
    assert_eq!(store.session(&sid(6), at).await.unwrap(), Some(session(6, at)));
    // A new id in another home (store/home.rs) is refused too.
    let elsewhere = SessionId::parse("sess_04d20000000000000000000000000005").unwrap();
    assert!(matches!(store.renew_session(&sid(5), &elsewhere, &user, at).await, Err(StoreError::Backend(_))));
    assert_eq!(store.session(&sid(5), at).await.unwrap(), Some(session(5, at)), "nothing changed");
    store.account_session(session(7, at), at).await.unwrap();
    let linked = store.renew_session(&sid(7), &sid(8), &user, at).await;
    assert!(
        matches!(linked, Err(StoreError::SessionNotFound)),
        "a linked account's session is not renewed: {linked:?}"
    );
    assert!(store.session(&sid(7), at).await.unwrap().is_some());
}

pub(crate) async fn ping_answers(store: &dyn Store) {
    store.ping().await.unwrap();
}

/// Generates one `#[tokio::test]` per contract function, each on a store from `$setup`, an
/// async fn (named from the calling module) returning `(guard, store)`.
macro_rules! store_contract_tests {
    ($setup:ident) => {
        $crate::store::contract::store_contract_tests! { @names (@each $setup) }
    };
    // Every test, one after the other, each on a store `$fresh` makes (a shared server).
    (in_sequence $fresh:expr) => {
        $crate::store::contract::store_contract_tests! { @names (@sequence $fresh) }
    };
    (@names ($($mode:tt)+)) => {
        $crate::store::contract::store_contract_tests! { $($mode)+;
            sessions_expire_when_idle_and_use_slides_expiry,
            adding_to_the_cart_uses_the_session_like_a_read,
            a_session_round_trips_with_everything_in_it,
            sweep_forgets_idle_sessions_and_keeps_active_ones,
            unknown_sessions_are_absent_or_not_found,
            signing_in_and_out_bumps_the_version,
            searches_are_normalized_deduplicated_and_capped,
            cart_adds_merge_cap_and_remove,
            cart_keeps_line_order_and_refreshes_the_product,
            a_full_cart_refuses_new_lines,
            an_idempotency_key_places_one_order_and_a_changed_cart_places_none,
            placing_an_order_empties_the_cart_and_stores_the_order,
            order_ids_are_written_only_if_absent,
            memberships_belong_to_accounts_and_collect_savings,
            bump_version_counts_up,
            login_attempts_are_limited_per_account_and_client_per_client_and_slowed_per_account,
            parallel_login_attempts_are_reserved_one_at_a_time,
            session_exists_does_not_slide_the_expiry,
            account_sessions_outlive_chats_and_are_created_once,
            an_anonymous_cart_merges_into_an_account_once,
            a_merge_into_a_nearly_full_cart_moves_what_fits,
            concurrent_merges_move_the_lines_once,
            the_account_id_secret_is_set_once,
            renewing_a_session_moves_it_whole_and_retires_the_old_id,
            ping_answers,
        }
    };
    (@sequence $fresh:expr; $($name:ident),+ $(,)?) => {
        $(
            let store = $fresh.await;
            eprintln!(concat!("contract::", stringify!($name)));
            $crate::store::contract::$name(&store).await;
        )+
    };
    (@each $setup:ident; $($name:ident),+ $(,)?) => {
        /// The shared [`Store`](crate::store::Store) contract, on this backend.
        mod contract {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_guard, store) = super::$setup().await;
                    $crate::store::contract::$name(&store).await;
                }
            )+
        }
    };
}
pub(crate) use store_contract_tests;

//! The in-memory store: one process, everything behind one `std::sync::Mutex` (critical sections
//! are short and never await), so every operation is atomic.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use shared::auth::User;
use shared::checkout::Order;
use shared::ids::{IdempotencyKey, OrderId, ProductId, SessionId};
use shared::membership::Membership;
use shared::money::Cents;
use shared::product::Product;

use super::{CART_MAX_LINES, CartEntry, Placed, SEARCH_HISTORY, Session, Store, StoreError};

/// Sign-in failures older than this no longer count.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::minutes(15);

pub struct MemoryStore {
    ttl: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<SessionId, Session>,
    orders: HashMap<OrderId, Order>,
    idempotency: HashMap<(String, IdempotencyKey), OrderId>,
    memberships: HashMap<String, Membership>,
    login_failures: HashMap<String, Vec<DateTime<Utc>>>,
}

impl MemoryStore {
    pub fn new(session_ttl: std::time::Duration) -> Self {
        MemoryStore {
            ttl: Duration::from_std(session_ttl).unwrap_or(Duration::MAX),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave half-written state behind (each update is
        // a single assignment), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expired(&self, session: &Session, now: DateTime<Utc>) -> bool {
        session.last_seen + self.ttl <= now
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Inner {
    fn session_mut(&mut self, id: &SessionId) -> Result<&mut Session, StoreError> {
        self.sessions.get_mut(id).ok_or(StoreError::SessionNotFound)
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn create_session(&self, session: Session) -> Result<(), StoreError> {
        self.lock().sessions.insert(session.id.clone(), session);
        Ok(())
    }

    async fn session(&self, id: &SessionId, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        let mut inner = self.lock();
        let Some(session) = inner.sessions.get_mut(id) else { return Ok(None) };
        if self.expired(session, now) {
            inner.sessions.remove(id);
            return Ok(None);
        }
        session.last_seen = session.last_seen.max(now);
        Ok(Some(session.clone()))
    }

    async fn set_user(&self, id: &SessionId, user: Option<User>) -> Result<Session, StoreError> {
        let mut inner = self.lock();
        let session = inner.session_mut(id)?;
        session.user = user;
        session.version += 1;
        Ok(session.clone())
    }

    async fn record_search(&self, id: &SessionId, query: &str) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let session = inner.session_mut(id)?;
        let query = query.trim().to_lowercase();
        session.searches.retain(|q| *q != query);
        session.searches.insert(0, query);
        session.searches.truncate(SEARCH_HISTORY);
        Ok(())
    }

    async fn add_to_cart(
        &self,
        id: &SessionId,
        product: Product,
        quantity: u32,
        max_quantity: u32,
    ) -> Result<Session, StoreError> {
        let mut inner = self.lock();
        let session = inner.session_mut(id)?;
        match session.cart.iter().position(|e| e.product.id == product.id) {
            Some(pos) => {
                let entry = &mut session.cart[pos];
                entry.quantity = entry.quantity.saturating_add(quantity).min(max_quantity);
                entry.product = product;
            }
            None if session.cart.len() >= CART_MAX_LINES => return Err(StoreError::CartFull),
            None => session.cart.push(CartEntry { product, quantity: quantity.min(max_quantity) }),
        }
        session.version += 1;
        Ok(session.clone())
    }

    async fn set_quantity(
        &self,
        id: &SessionId,
        product: &ProductId,
        quantity: u32,
    ) -> Result<Option<Session>, StoreError> {
        let mut inner = self.lock();
        let session = inner.session_mut(id)?;
        let Some(pos) = session.cart.iter().position(|e| &e.product.id == product) else {
            return Ok(None);
        };
        if quantity == 0 {
            session.cart.remove(pos);
        } else {
            session.cart[pos].quantity = quantity;
        }
        session.version += 1;
        Ok(Some(session.clone()))
    }

    async fn order_for_key(&self, email: &str, idem: &IdempotencyKey) -> Result<Option<Order>, StoreError> {
        let inner = self.lock();
        Ok(inner.idempotency.get(&(key(email), idem.clone())).and_then(|id| inner.orders.get(id)).cloned())
    }

    async fn place_order(
        &self,
        id: &SessionId,
        idem: Option<&IdempotencyKey>,
        expected_cart: &[CartEntry],
        order: Order,
        savings: Cents,
    ) -> Result<Placed, StoreError> {
        let mut inner = self.lock();
        let account = key(&order.email);
        if let Some(idem) = idem
            && let Some(existing) = inner.idempotency.get(&(account.clone(), idem.clone()))
            && let Some(order) = inner.orders.get(existing)
        {
            return Ok(Placed { order: order.clone(), replayed: true });
        }
        let session = inner.session_mut(id)?;
        if session.cart != expected_cart {
            return Err(StoreError::CartChanged);
        }
        session.cart.clear();
        session.version += 1;
        if let Some(idem) = idem {
            inner.idempotency.insert((account.clone(), idem.clone()), order.order_id.clone());
        }
        if let Some(membership) = inner.memberships.get_mut(&account) {
            membership.lifetime_savings_cents = membership.lifetime_savings_cents + savings;
        }
        inner.orders.insert(order.order_id.clone(), order.clone());
        Ok(Placed { order, replayed: false })
    }

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.lock().orders.get(id).cloned())
    }

    async fn membership(&self, email: &str) -> Result<Option<Membership>, StoreError> {
        Ok(self.lock().memberships.get(&key(email)).cloned())
    }

    async fn join_membership(&self, email: &str, membership: Membership) -> Result<Membership, StoreError> {
        let mut inner = self.lock();
        let stored = inner.memberships.entry(key(email)).and_modify(|m| m.tier = membership.tier).or_insert(membership);
        Ok(stored.clone())
    }

    async fn bump_version(&self, id: &SessionId) -> Result<u64, StoreError> {
        let mut inner = self.lock();
        let session = inner.session_mut(id)?;
        session.version += 1;
        Ok(session.version)
    }

    async fn record_login_failure(&self, email: &str, now: DateTime<Utc>) -> Result<u32, StoreError> {
        let mut inner = self.lock();
        let failures = inner.login_failures.entry(key(email)).or_default();
        failures.retain(|t| *t + LOGIN_FAILURE_WINDOW > now);
        failures.push(now);
        Ok(failures.len() as u32)
    }

    async fn login_failures(&self, email: &str, now: DateTime<Utc>) -> Result<u32, StoreError> {
        let inner = self.lock();
        Ok(inner
            .login_failures
            .get(&key(email))
            .map_or(0, |f| f.iter().filter(|t| **t + LOGIN_FAILURE_WINDOW > now).count() as u32))
    }

    async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        self.lock().login_failures.remove(&key(email));
        Ok(())
    }

    async fn sweep_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut inner = self.lock();
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| s.last_seen + self.ttl > now);
        inner.login_failures.retain(|_, f| f.iter().any(|t| *t + LOGIN_FAILURE_WINDOW > now));
        Ok(before - inner.sessions.len())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::membership::MembershipTier;
    use shared::money::Currency;

    fn sid(n: u8) -> SessionId {
        SessionId::parse(format!("sess_{:032x}", n)).expect("valid id")
    }

    fn session(n: u8, now: DateTime<Utc>) -> Session {
        Session { id: sid(n), created_at: now, last_seen: now, user: None, cart: vec![], searches: vec![], version: 0 }
    }

    fn product(id: &str) -> Product {
        crate::test_support::product(id, 1000, None)
    }

    fn order(n: u64, email: &str, now: DateTime<Utc>) -> Order {
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

    #[tokio::test]
    async fn sessions_expire_when_idle_and_use_slides_expiry() {
        let store = MemoryStore::new(std::time::Duration::from_secs(600));
        let t0 = Utc::now();
        store.create_session(session(1, t0)).await.unwrap();
        assert!(store.session(&sid(1), t0 + Duration::seconds(599)).await.unwrap().is_some());
        // Used at 599 s, so it lives until 1199 s.
        assert!(store.session(&sid(1), t0 + Duration::seconds(1198)).await.unwrap().is_some());
        assert!(store.session(&sid(1), t0 + Duration::seconds(1798)).await.unwrap().is_none());
        assert!(store.session(&sid(1), t0).await.unwrap().is_none(), "expired sessions are gone");
    }

    #[tokio::test]
    async fn sweep_removes_only_idle_sessions() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let t0 = Utc::now();
        store.create_session(session(1, t0)).await.unwrap();
        store.create_session(session(2, t0 + Duration::seconds(30))).await.unwrap();
        assert_eq!(store.sweep_expired(t0 + Duration::seconds(61)).await.unwrap(), 1);
        assert!(store.session(&sid(2), t0 + Duration::seconds(61)).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn cart_adds_merge_cap_and_remove() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        store.add_to_cart(&sid(1), product("10000001"), 2, 99).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 98, 99).await.unwrap();
        assert_eq!(s.cart.len(), 1);
        assert_eq!(s.cart[0].quantity, 99, "capped");
        let s = store.set_quantity(&sid(1), &product("10000001").id, 0).await.unwrap().unwrap();
        assert!(s.cart.is_empty());
        assert!(store.set_quantity(&sid(1), &product("10000002").id, 1).await.unwrap().is_none());
        assert!(matches!(
            store.add_to_cart(&sid(9), product("10000001"), 1, 99).await,
            Err(StoreError::SessionNotFound)
        ));
    }

    #[tokio::test]
    async fn an_idempotency_key_places_one_order_and_a_changed_cart_places_none() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99).await.unwrap();
        let idem = IdempotencyKey::parse("checkout-key-1").unwrap();
        let first = store.place_order(&sid(1), Some(&idem), &s.cart, order(1, "A@b.co", now), Cents(0)).await.unwrap();
        assert!(!first.replayed);
        let again = store.place_order(&sid(1), Some(&idem), &s.cart, order(2, "a@b.co", now), Cents(0)).await.unwrap();
        assert!(again.replayed);
        assert_eq!(again.order.order_id, first.order.order_id);
        assert!(store.order(&order(2, "", now).order_id).await.unwrap().is_none());
        // The cart was emptied, so a second click without a key finds it changed.
        let stale = store.place_order(&sid(1), None, &s.cart, order(3, "a@b.co", now), Cents(0)).await;
        assert!(matches!(stale, Err(StoreError::CartChanged)));
    }

    #[tokio::test]
    async fn memberships_belong_to_accounts_and_collect_savings() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let now = Utc::now();
        let m = Membership { tier: MembershipTier::Circle, member_since: now, lifetime_savings_cents: Cents(0) };
        store.join_membership("Shopper@Example.com", m.clone()).await.unwrap();
        let upgraded = Membership { tier: MembershipTier::CircleCard, member_since: now + Duration::days(1), ..m };
        let stored = store.join_membership("shopper@example.com", upgraded).await.unwrap();
        assert_eq!(stored.tier, MembershipTier::CircleCard);
        assert_eq!(stored.member_since, now, "joining again keeps member_since");
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99).await.unwrap();
        store.place_order(&sid(1), None, &s.cart, order(1, "shopper@example.com", now), Cents(250)).await.unwrap();
        let m = store.membership("SHOPPER@example.com").await.unwrap().unwrap();
        assert_eq!(m.lifetime_savings_cents, Cents(250));
    }

    #[tokio::test]
    async fn login_failures_count_within_the_window() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let t0 = Utc::now();
        assert_eq!(store.record_login_failure("a@b.co", t0).await.unwrap(), 1);
        assert_eq!(store.record_login_failure("A@b.co", t0).await.unwrap(), 2);
        assert_eq!(store.login_failures("a@b.co", t0 + LOGIN_FAILURE_WINDOW).await.unwrap(), 0);
        store.clear_login_failures("a@b.co").await.unwrap();
        assert_eq!(store.login_failures("a@b.co", t0).await.unwrap(), 0);
    }
}

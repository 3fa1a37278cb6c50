//! The in-memory store: one process, everything behind one `std::sync::Mutex` (critical sections
//! are short and never await), so every operation is atomic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use shared::auth::User;
use shared::checkout::Order;
use shared::ids::{IdempotencyKey, OrderId, ProductId, SessionId};
use shared::membership::Membership;
use shared::money::Cents;
use shared::product::Product;

use super::{CART_MAX_LINES, CartEntry, Placed, SEARCH_HISTORY, Session, Store, StoreError};

// The OAuth authorization server's grants and records (issue 11).
mod oauth;

/// Sign-in failures older than this no longer count.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::minutes(15);

pub struct MemoryStore {
    ttl: Duration,
    inner: Mutex<Inner>,
    oauth: oauth::OAuthMemory,
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
            oauth: oauth::OAuthMemory::default(),
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

    /// The session if it is live at `now`, marked used at `now`; an idle one is removed.
    fn touch<'a>(&self, inner: &'a mut Inner, id: &SessionId, now: DateTime<Utc>) -> Option<&'a mut Session> {
        if inner.sessions.get(id).is_some_and(|s| self.expired(s, now)) {
            inner.sessions.remove(id);
        }
        let session = inner.sessions.get_mut(id)?;
        session.last_seen = session.last_seen.max(now);
        Some(session)
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
        Ok(self.touch(&mut self.lock(), id, now).cloned())
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
        product: Arc<Product>,
        quantity: u32,
        max_quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        let mut inner = self.lock();
        let session = self.touch(&mut inner, id, now).ok_or(StoreError::SessionNotFound)?;
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
        let removed = before - inner.sessions.len();
        drop(inner);
        // OAuth grants and records past use go too; the count is of sessions only.
        self.oauth.sweep(now);
        Ok(removed)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract::{CONTRACT_TTL, session, sid};

    async fn memory_store() -> ((), MemoryStore) {
        ((), MemoryStore::new(CONTRACT_TTL))
    }

    crate::store::contract::store_contract_tests!(memory_store);
    crate::store::oauth_contract::oauth_contract_tests!(memory_store);

    #[tokio::test]
    async fn sweep_counts_the_sessions_it_removes() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let t0 = Utc::now();
        store.create_session(session(1, t0)).await.unwrap();
        store.create_session(session(2, t0 + Duration::seconds(30))).await.unwrap();
        assert_eq!(store.sweep_expired(t0 + Duration::seconds(61)).await.unwrap(), 1);
        assert!(store.session(&sid(2), t0 + Duration::seconds(61)).await.unwrap().is_some());
    }
}

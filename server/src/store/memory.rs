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

use super::commerce::{
    CHECKOUT_RETENTION, IDEMPOTENCY_RETENTION, IdempotencyBegin, OutboxEvent, PendingRefund, StoredAcpOrder,
    StoredCheckout, StoredResponse,
};
use super::home::Home;
use super::{
    CART_MAX_LINES, CartEntry, LoginAttempt, LoginLimits, LoginRefusal, Placed, RENEWED_NOTICE_MAX, Retention,
    SEARCH_HISTORY, Session, SessionKind, Store, StoreError, retry_after,
};

// The OAuth authorization server's grants and records (issue 11).
mod oauth;

/// Sign-in attempts counted as failures: when, and which attempt.
type Attempts = Vec<(DateTime<Utc>, String)>;

pub struct MemoryStore {
    ttl: Duration,
    /// Sessions end this long after they were created, however busy (`None`: no such limit).
    max_lifetime: Option<Duration>,
    retention: Retention,
    account_ttl: Duration,
    inner: Mutex<Inner>,
    oauth: oauth::OAuthMemory,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<SessionId, Session>,
    /// Ids retired by `renew_session`, until when they answer `SessionRenewed` (swept after).
    renewed: HashMap<SessionId, DateTime<Utc>>,
    orders: HashMap<OrderId, Order>,
    /// The order each key placed, and when (for the retention).
    /// Keyed by the session's home, the account and the key, as in Redis (`store/home.rs`).
    idempotency: HashMap<(Home, String, IdempotencyKey), (OrderId, DateTime<Utc>)>,
    memberships: HashMap<String, Membership>,
    /// Sign-in failures per (account, client), per client and per account (issue 14).
    login_pairs: HashMap<(String, String), Attempts>,
    login_clients: HashMap<String, Attempts>,
    login_accounts: HashMap<String, Attempts>,
    /// The lockout window of the latest reservation, for the sweep.
    login_window: Duration,
    account_id_secret: Option<String>,
    commerce: CommerceTables,
}

/// The Agentic Commerce Protocol's share of the store.
#[derive(Default)]
struct CommerceTables {
    checkouts: HashMap<String, StoredCheckout>,
    orders: HashMap<String, StoredAcpOrder>,
    idempotency: HashMap<String, IdemRecord>,
    outbox: HashMap<String, OutboxEvent>,
    /// Event id → the event parked behind it (not due until that one is acknowledged).
    parked: HashMap<String, String>,
    /// Order id → its pending refund.
    refunds: HashMap<String, PendingRefund>,
}

struct IdemRecord {
    fingerprint: String,
    /// `None` while in flight.
    response: Option<StoredResponse>,
    /// In flight: the lease's end; finished: the end of retention.
    until: DateTime<Utc>,
}

impl MemoryStore {
    pub fn new(session_ttl: std::time::Duration) -> Self {
        MemoryStore {
            ttl: Duration::from_std(session_ttl).unwrap_or(Duration::MAX),
            max_lifetime: None,
            retention: Retention::default(),
            account_ttl: Duration::from_std(super::DEFAULT_ACCOUNT_TTL).unwrap_or(Duration::MAX),
            inner: Mutex::new(Inner::default()),
            oauth: oauth::OAuthMemory::default(),
        }
    }

    /// The same store keeping orders and idempotency keys for `retention`.
    pub fn with_retention(self, retention: Retention) -> Self {
        MemoryStore { retention, ..self }
    }

    /// The same store ending every session `max_lifetime` after its creation.
    pub fn with_max_lifetime(self, max_lifetime: std::time::Duration) -> Self {
        MemoryStore { max_lifetime: Duration::from_std(max_lifetime).ok(), ..self }
    }

    /// How long a linked account's shopping session lives unused (default 30 days).
    pub fn with_account_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.account_ttl = Duration::from_std(ttl).unwrap_or(Duration::MAX);
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave half-written state behind (each update is
        // a single assignment), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A chat session: idle past the TTL, or older than the absolute lifetime. A linked
    /// account's session: idle past the account TTL (it has no absolute lifetime).
    fn expired(&self, session: &Session, now: DateTime<Utc>) -> bool {
        let past = |from: DateTime<Utc>, span: Duration| from.checked_add_signed(span).is_some_and(|end| end <= now);
        match session.kind {
            SessionKind::Chat => {
                past(session.last_seen, self.ttl) || self.max_lifetime.is_some_and(|max| past(session.created_at, max))
            }
            SessionKind::Account => past(session.last_seen, self.account_ttl),
        }
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

    /// Whether `id` was retired at a sign-in recently enough to say so at `now`.
    fn renewed(&self, id: &SessionId, now: DateTime<Utc>) -> bool {
        self.renewed.get(id).is_some_and(|until| *until > now)
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
        if let Some(session) = self.touch(&mut inner, id, now) {
            return Ok(Some(session.clone()));
        }
        if inner.renewed(id, now) { Err(StoreError::SessionRenewed) } else { Ok(None) }
    }

    async fn set_user(&self, id: &SessionId, user: Option<User>) -> Result<Session, StoreError> {
        let mut inner = self.lock();
        let session = inner.session_mut(id)?;
        session.user = user;
        session.version += 1;
        Ok(session.clone())
    }

    async fn renew_session(
        &self,
        old: &SessionId,
        new: &SessionId,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        if Home::of_session(new) != Home::of_session(old) {
            return Err(StoreError::Backend(format!("the new session id is not in the home of {old}")));
        }
        let mut inner = self.lock();
        if inner.sessions.contains_key(new) {
            return Err(StoreError::Backend("the new session id is in use".into()));
        }
        if inner.renewed(old, now) {
            return Err(StoreError::SessionRenewed);
        }
        if !inner.sessions.get(old).is_some_and(|s| s.kind == SessionKind::Chat) {
            return Err(StoreError::SessionNotFound);
        }
        self.touch(&mut inner, old, now).ok_or(StoreError::SessionNotFound)?;
        let mut session = inner.sessions.remove(old).ok_or(StoreError::SessionNotFound)?;
        session.id = new.clone();
        session.user = Some(user.clone());
        session.version += 1;
        let notice = Duration::from_std(RENEWED_NOTICE_MAX).unwrap_or(Duration::MAX).min(self.ttl);
        inner.renewed.insert(old.clone(), now.checked_add_signed(notice).unwrap_or(DateTime::<Utc>::MAX_UTC));
        inner.sessions.insert(new.clone(), session.clone());
        Ok(session)
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
        let gone = if inner.renewed(id, now) { StoreError::SessionRenewed } else { StoreError::SessionNotFound };
        let session = self.touch(&mut inner, id, now).ok_or(gone)?;
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

    async fn order_for_key(
        &self,
        session: &SessionId,
        email: &str,
        idem: &IdempotencyKey,
    ) -> Result<Option<Order>, StoreError> {
        let inner = self.lock();
        let scope = (Home::of_session(session), key(email), idem.clone());
        Ok(inner.idempotency.get(&scope).and_then(|(id, _)| inner.orders.get(id)).cloned())
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
            && let Some((existing, _)) = inner.idempotency.get(&(Home::of_session(id), account.clone(), idem.clone()))
            && let Some(order) = inner.orders.get(existing)
        {
            return Ok(Placed { order: order.clone(), replayed: true });
        }
        let taken = inner.orders.contains_key(&order.order_id);
        let session = inner.session_mut(id)?;
        if session.cart != expected_cart {
            return Err(StoreError::CartChanged);
        }
        if taken {
            return Err(StoreError::OrderIdTaken);
        }
        session.cart.clear();
        session.version += 1;
        if let Some(idem) = idem {
            inner.idempotency.insert(
                (Home::of_session(id), account.clone(), idem.clone()),
                (order.order_id.clone(), order.placed_at),
            );
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

    async fn session_exists(&self, id: &SessionId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.lock().sessions.get(id).is_some_and(|s| !self.expired(s, now)))
    }

    async fn reserve_login_attempt(
        &self,
        attempt: &LoginAttempt,
        limits: &LoginLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<(), LoginRefusal>, StoreError> {
        let mut inner = self.lock();
        inner.login_window = limits.window;
        let window = limits.window;
        let live = |attempts: Option<&mut Attempts>| -> (usize, Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
            let Some(attempts) = attempts else { return (0, None, None) };
            attempts.retain(|(t, _)| *t + window > now);
            let oldest = attempts.iter().map(|(t, _)| *t).min();
            let latest = attempts.iter().map(|(t, _)| *t).max();
            (attempts.len(), oldest, latest)
        };
        let pair = (attempt.account.clone(), attempt.client.clone());
        let (n, oldest, _) = live(inner.login_pairs.get_mut(&pair));
        if n >= limits.per_account_client as usize {
            let retry_after_secs = retry_after(now, oldest.unwrap_or(now) + window);
            return Ok(Err(LoginRefusal::AccountFromClient { retry_after_secs }));
        }
        let (n, oldest, _) = live(inner.login_clients.get_mut(&attempt.client));
        if n >= limits.per_client as usize {
            let retry_after_secs = retry_after(now, oldest.unwrap_or(now) + window);
            return Ok(Err(LoginRefusal::Client { retry_after_secs }));
        }
        let (n, _, latest) = live(inner.login_accounts.get_mut(&attempt.account));
        if n >= limits.account_slow_after as usize
            && let Some(next) = latest.map(|t| t + limits.account_slow_interval)
            && next > now
        {
            return Ok(Err(LoginRefusal::AccountSlowed { retry_after_secs: retry_after(now, next) }));
        }
        let entry = (now, attempt.id.clone());
        inner.login_pairs.entry(pair).or_default().push(entry.clone());
        inner.login_clients.entry(attempt.client.clone()).or_default().push(entry.clone());
        inner.login_accounts.entry(attempt.account.clone()).or_default().push(entry);
        Ok(Ok(()))
    }

    async fn settle_login_attempt(&self, attempt: &LoginAttempt, succeeded: bool) -> Result<(), StoreError> {
        if !succeeded {
            return Ok(());
        }
        let mut guard = self.lock();
        let inner = &mut *guard;
        inner.login_pairs.remove(&(attempt.account.clone(), attempt.client.clone()));
        for attempts in [inner.login_clients.get_mut(&attempt.client), inner.login_accounts.get_mut(&attempt.account)]
            .into_iter()
            .flatten()
        {
            attempts.retain(|(_, id)| *id != attempt.id);
        }
        Ok(())
    }

    async fn sweep_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut inner = self.lock();
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| !self.expired(s, now));
        inner.renewed.retain(|_, until| *until > now);
        let keep = |d: std::time::Duration| Duration::from_std(d).unwrap_or(Duration::MAX);
        let (orders, keys) = (keep(self.retention.orders), keep(self.retention.idempotency_keys));
        let kept =
            |placed: DateTime<Utc>, retention: Duration| placed.checked_add_signed(retention).is_none_or(|t| t > now);
        inner.orders.retain(|_, o| kept(o.placed_at, orders));
        inner.idempotency.retain(|_, (_, placed)| kept(*placed, keys));
        let window = inner.login_window;
        let live = |attempts: &Attempts| attempts.iter().any(|(t, _)| *t + window > now);
        inner.login_pairs.retain(|_, a| live(a));
        inner.login_clients.retain(|_, a| live(a));
        inner.login_accounts.retain(|_, a| live(a));
        inner.commerce.checkouts.retain(|_, c| c.expires_at + CHECKOUT_RETENTION > now);
        inner.commerce.orders.retain(|_, o| kept(o.placed_at, orders));
        inner.commerce.idempotency.retain(|_, r| r.until > now);
        let removed = before - inner.sessions.len();
        drop(inner);
        // OAuth grants and records past use go too; the count is of sessions only.
        self.oauth.sweep(now);
        Ok(removed)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    // ---- Agentic Commerce Protocol ----

    async fn checkout_session(&self, id: &str) -> Result<Option<StoredCheckout>, StoreError> {
        Ok(self.lock().commerce.checkouts.get(id).cloned())
    }

    async fn save_checkout_session(&self, session: &StoredCheckout, expected: Option<u64>) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let current = inner.commerce.checkouts.get(&session.id).map(|s| s.version);
        if current != expected {
            return Ok(false);
        }
        inner.commerce.checkouts.insert(session.id.clone(), session.clone());
        Ok(true)
    }

    async fn complete_checkout_session(
        &self,
        session: &StoredCheckout,
        expected: u64,
        order: &Order,
        acp_order: &StoredAcpOrder,
        savings: Cents,
        event: &OutboxEvent,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if inner.commerce.checkouts.get(&session.id).map(|s| s.version) != Some(expected) {
            return Ok(false);
        }
        inner.commerce.checkouts.insert(session.id.clone(), session.clone());
        inner.orders.insert(order.order_id.clone(), order.clone());
        inner.commerce.orders.insert(acp_order.id.clone(), acp_order.clone());
        if let Some(membership) = inner.memberships.get_mut(&key(&order.email)) {
            membership.lifetime_savings_cents = membership.lifetime_savings_cents + savings;
        }
        inner.commerce.outbox.insert(event.id.clone(), event.clone());
        Ok(true)
    }

    async fn acp_order(&self, id: &str) -> Result<Option<StoredAcpOrder>, StoreError> {
        Ok(self.lock().commerce.orders.get(id).cloned())
    }

    async fn update_acp_order(
        &self,
        order: &StoredAcpOrder,
        expected: u64,
        event: &OutboxEvent,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if inner.commerce.orders.get(&order.id).map(|o| o.version) != Some(expected) {
            return Ok(false);
        }
        inner.commerce.orders.insert(order.id.clone(), order.clone());
        inner.commerce.outbox.insert(event.id.clone(), event.clone());
        Ok(true)
    }

    async fn idempotency_begin(
        &self,
        scope: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        let mut inner = self.lock();
        if let Some(record) = inner.commerce.idempotency.get(scope)
            && record.until > now
        {
            return Ok(if record.fingerprint != fingerprint {
                IdempotencyBegin::Conflict
            } else {
                match &record.response {
                    Some(response) => IdempotencyBegin::Replay(response.clone()),
                    None => IdempotencyBegin::InFlight,
                }
            });
        }
        let record = IdemRecord { fingerprint: fingerprint.to_owned(), response: None, until: now + lease };
        inner.commerce.idempotency.insert(scope.to_owned(), record);
        Ok(IdempotencyBegin::Started)
    }

    async fn idempotency_finish(
        &self,
        scope: &str,
        fingerprint: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if let Some(record) = inner.commerce.idempotency.get_mut(scope)
            && record.fingerprint == fingerprint
        {
            record.response = Some(response.clone());
            record.until = now + IDEMPOTENCY_RETENTION;
        }
        Ok(())
    }

    async fn idempotency_release(&self, scope: &str) -> Result<(), StoreError> {
        self.lock().commerce.idempotency.remove(scope);
        Ok(())
    }

    async fn outbox_push(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        self.lock().commerce.outbox.insert(event.id.clone(), event.clone());
        Ok(())
    }

    async fn outbox_claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut inner = self.lock();
        let CommerceTables { outbox, parked, .. } = &mut inner.commerce;
        // By due time, then id: the order of Redis's sorted set. Parked events are not due.
        let is_parked = |id: &String| parked.values().any(|p| p == id);
        let mut due: Vec<(DateTime<Utc>, String)> = outbox
            .values()
            .filter(|e| e.next_attempt_at <= now && !is_parked(&e.id))
            .map(|e| (e.next_attempt_at, e.id.clone()))
            .collect();
        due.sort();
        let mut claimed: Vec<OutboxEvent> = Vec::new();
        for (_, id) in due.into_iter().take(limit) {
            let waits_for = outbox[&id]
                .after
                .clone()
                .filter(|before| outbox.contains_key(before) && !claimed.iter().any(|c| &c.id == before));
            match waits_for {
                Some(before) => {
                    parked.insert(before, id);
                }
                None => {
                    let Some(event) = outbox.get_mut(&id) else { continue };
                    claimed.push(event.clone());
                    event.next_attempt_at = now + lease;
                }
            }
        }
        Ok(claimed)
    }

    async fn outbox_ack(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let CommerceTables { outbox, parked, .. } = &mut inner.commerce;
        outbox.remove(id);
        if let Some(next) = parked.remove(id)
            && let Some(event) = outbox.get_mut(&next)
        {
            event.next_attempt_at = now;
        }
        Ok(())
    }

    async fn outbox_retry(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        if let Some(stored) = self.lock().commerce.outbox.get_mut(&event.id) {
            *stored = event.clone();
        }
        Ok(())
    }

    async fn outbox_pending(&self) -> Result<usize, StoreError> {
        Ok(self.lock().commerce.outbox.len())
    }

    async fn refund_schedule(&self, refund: &PendingRefund) -> Result<(), StoreError> {
        self.lock().commerce.refunds.insert(refund.order_id.clone(), refund.clone());
        Ok(())
    }

    async fn refund_claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<PendingRefund>, StoreError> {
        let mut inner = self.lock();
        let refunds = &mut inner.commerce.refunds;
        // By due time, then order id: the order of Redis's sorted set.
        let mut due: Vec<(DateTime<Utc>, String)> = refunds
            .values()
            .filter(|r| r.next_attempt_at <= now)
            .map(|r| (r.next_attempt_at, r.order_id.clone()))
            .collect();
        due.sort();
        let mut claimed = Vec::new();
        for (_, id) in due.into_iter().take(limit) {
            if let Some(refund) = refunds.get_mut(&id) {
                claimed.push(refund.clone());
                refund.next_attempt_at = now + lease;
            }
        }
        Ok(claimed)
    }

    async fn refund_retry(&self, refund: &PendingRefund) -> Result<(), StoreError> {
        if let Some(stored) = self.lock().commerce.refunds.get_mut(&refund.order_id) {
            *stored = refund.clone();
        }
        Ok(())
    }

    async fn refund_done(&self, order_id: &str) -> Result<(), StoreError> {
        self.lock().commerce.refunds.remove(order_id);
        Ok(())
    }

    async fn refunds_pending(&self) -> Result<usize, StoreError> {
        Ok(self.lock().commerce.refunds.len())
    }

    async fn account_session(&self, fresh: Session, now: DateTime<Utc>) -> Result<Session, StoreError> {
        let fresh = Session { kind: SessionKind::Account, ..fresh };
        let mut inner = self.lock();
        if let Some(live) = self.touch(&mut inner, &fresh.id, now) {
            return Ok(live.clone());
        }
        inner.sessions.insert(fresh.id.clone(), fresh.clone());
        Ok(fresh)
    }

    async fn merge_cart(
        &self,
        from: &SessionId,
        into: &SessionId,
        max_quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let mut inner = self.lock();
        if !inner.sessions.contains_key(into) {
            return Err(StoreError::SessionNotFound);
        }
        let Some(source) = inner
            .sessions
            .get_mut(from)
            .filter(|s| s.kind == SessionKind::Chat && s.user.is_none() && !s.cart.is_empty() && !self.expired(s, now))
        else {
            return Ok(None);
        };
        let lines = std::mem::take(&mut source.cart);
        let target = inner.session_mut(into)?;
        let (mut moved, mut left) = (0, Vec::new());
        for line in lines {
            match target.cart.iter().position(|e| e.product.id == line.product.id) {
                Some(at) => {
                    let entry = &mut target.cart[at];
                    entry.quantity = entry.quantity.saturating_add(line.quantity).min(max_quantity);
                }
                None if target.cart.len() >= CART_MAX_LINES => {
                    left.push(line);
                    continue;
                }
                None => target.cart.push(CartEntry { quantity: line.quantity.min(max_quantity), ..line }),
            }
            moved += 1;
        }
        if moved > 0 {
            target.version += 1;
        }
        let merged = target.clone();
        let source = inner.session_mut(from)?;
        source.cart = left;
        if moved == 0 {
            return Ok(None);
        }
        source.version += 1;
        Ok(Some(merged))
    }

    async fn account_id_secret(&self, candidate: String) -> Result<String, StoreError> {
        Ok(self.lock().account_id_secret.get_or_insert(candidate).clone())
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
    crate::store::commerce_contract::commerce_contract_tests!(memory_store);
    crate::store::oauth_contract::oauth_contract_tests!(memory_store);

    #[tokio::test]
    async fn orders_and_idempotency_keys_are_swept_after_their_retention() {
        use crate::store::contract::{idem, order, product};
        let retention = Retention {
            orders: std::time::Duration::from_secs(3600),
            idempotency_keys: std::time::Duration::from_secs(600),
        };
        let store = MemoryStore::new(std::time::Duration::from_secs(60)).with_retention(retention);
        let t0 = Utc::now();
        store.create_session(session(1, t0)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, t0).await.unwrap();
        let key = idem("checkout-key-1");
        let placed = store.place_order(&sid(1), Some(&key), &s.cart, order(1, "a@b.co", t0), Cents(0)).await.unwrap();
        store.sweep_expired(t0 + Duration::seconds(599)).await.unwrap();
        assert!(store.order_for_key(&sid(1), "a@b.co", &key).await.unwrap().is_some());
        store.sweep_expired(t0 + Duration::seconds(600)).await.unwrap();
        assert!(store.order_for_key(&sid(1), "a@b.co", &key).await.unwrap().is_none(), "the key is gone after its TTL");
        assert!(store.order(&placed.order.order_id).await.unwrap().is_some(), "the order is kept longer");
        store.sweep_expired(t0 + Duration::seconds(3600)).await.unwrap();
        assert!(store.order(&placed.order.order_id).await.unwrap().is_none(), "and dropped after its retention");
        let inner = store.lock();
        assert!(inner.orders.is_empty() && inner.idempotency.is_empty());
    }

    #[tokio::test]
    async fn sessions_end_at_their_absolute_lifetime() {
        let store =
            MemoryStore::new(std::time::Duration::from_secs(60)).with_max_lifetime(std::time::Duration::from_secs(300));
        crate::store::contract::sessions_end_at_their_absolute_lifetime_however_busy(&store).await;
        store.create_session(session(2, Utc::now() - Duration::seconds(301))).await.unwrap();
        assert_eq!(store.sweep_expired(Utc::now()).await.unwrap(), 1, "the sweep ends old sessions too");
        crate::store::contract::a_renewed_session_keeps_its_absolute_lifetime(&store).await;
    }

    #[tokio::test]
    async fn ids_retired_at_sign_in_are_swept_after_the_notice() {
        let store = MemoryStore::new(std::time::Duration::from_secs(60));
        let t0 = Utc::now();
        let user = shared::auth::User { email: "sam@example.com".into(), name: "Sam".into() };
        store.create_session(session(1, t0)).await.unwrap();
        store.renew_session(&sid(1), &sid(2), &user, t0).await.unwrap();
        store.sweep_expired(t0 + Duration::seconds(59)).await.unwrap();
        assert_eq!(store.lock().renewed.len(), 1, "kept while it answers");
        store.sweep_expired(t0 + Duration::seconds(60)).await.unwrap();
        assert!(store.lock().renewed.is_empty(), "the retired id is forgotten after the session TTL");
    }

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

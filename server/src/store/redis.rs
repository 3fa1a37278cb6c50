//! The Redis store: the same [`Store`] semantics as the in-memory one, shared by every server
//! instance that points at one Redis, so the app can run as several processes.
//!
//! # Key schema
//!
//! Every key starts with `target:v1:` or `target:v2:`: a family whose layout changes gets the
//! next version prefix, and [`RedisStore::migrate_v1`] renames what an older version left (one
//! Redis only; a cluster starts on version 2). Emails in keys are trimmed and lower-cased, as in
//! the memory store. `{1234}` is a home (`store/home.rs`): the hash tag that keeps a session,
//! the orders placed from it and their idempotency keys in one cluster slot; every ACP key is in
//! home `{0000}`.
//!
//! | key | type | content | expiry |
//! |---|---|---|---|
//! | `target:v2:{home}:session:<sessionId>` | hash | one session (fields below) | `session_ttl`, slid by every [`Store::session`] read |
//! | `target:v2:{home}:renewed:<sessionId>` | string | this id was retired at a sign-in ([`Store::renew_session`]); the value: until when it says so, µs since the epoch (so a manual test clock ends it too) | the session TTL, at most [`RENEWED_NOTICE_MAX`] |
//! | `target:v2:{home}:order:<orderId>` | string | the [`Order`] as JSON; the home is the order number's first four digits | the order retention (`ORDER_RETENTION_SECS`) |
//! | `target:v2:{home}:idem:<email>\|<key>` | string | the order id an idempotency key placed, for one account from one home (keys cannot hold `\|`) | the key TTL (`IDEMPOTENCY_KEY_TTL_SECS`) |
//! | `target:v1:membership:<email>` | hash | [`Membership`] fields, each value as JSON (`tier`, `memberSince`, `lifetimeSavingsCents`), and a `savedOrder:<orderId>` mark (µs) per order whose savings it counted, kept for the order retention | never |
//! | `target:v1:{login}:pair:<client>|<email>` | sorted set | one member (the attempt id) per failed or pending sign-in of that account from that client, scored by its time in µs | the lockout window after the last attempt |
//! | `target:v1:{login}:client:<client>` | sorted set | the same, per client | the same |
//! | `target:v1:{login}:account:<email>` | sorted set | the same, per account | the same |
//! | `target:v1:account-id-secret` | string | the secret linked accounts' session ids are derived from (hex) | never |
//! | `target:v1:oauth:grant:<grantId>` | hash | one OAuth grant with its code and token hashes (`redis/oauth.rs`) | the code's, then the refresh token's lifetime |
//! | `target:v1:oauth:client:<clientId>` | string | a dynamically registered OAuth client (JSON) | never |
//! | `target:v1:oauth:request:<sha256>` | string | a pending authorization request (JSON) | its lifetime |
//! | `target:v2:{0000}:acp:checkout:<id>` | hash | an ACP checkout session: `version`, `expiresAtUs`, `json` | 30 days after its last write |
//! | `target:v2:{0000}:acp:order:<orderId>` | hash | an ACP order's post-purchase record: `version`, `placedAtUs`, `json` | the order retention, from its last write |
//! | `target:v2:{0000}:acp:idem:<sha256 of scope>` | hash | an ACP idempotency record: `fp`, `state` (`in_flight`/`done`), `untilUs`, `status`, `body` | the lease, then 24 h after the response (also checked against `now`) |
//! | `target:v2:{0000}:acp:outbox:events` | hash | event id → [`OutboxEvent`] JSON, for every undelivered order webhook | never |
//! | `target:v2:{0000}:acp:outbox:due` | sorted set | event ids scored by their next attempt (µs), except parked ones | never |
//! | `target:v2:{0000}:acp:outbox:parked` | hash | event id → the id of the event of the same order waiting for it | never |
//! | `target:v2:{0000}:acp:refunds:queued` | hash | order id → [`PendingRefund`] JSON, for every refund the payment provider has not taken yet | never |
//! | `target:v2:{0000}:acp:refunds:due` | sorted set | order ids scored by their refund's next try (µs; while claimed: the claim's end) | never |
//!
//! # One slot per script
//!
//! On a Redis Cluster a script may only touch keys of one slot, so every multi-key script here
//! does:
//! - `place_order` and `renew_session` touch one home: a sign-in's new id keeps its home, and an
//!   order is drawn in its session's home. The Circle savings of an order are a second step on
//!   the membership (`add_savings`), made once per order by its mark; if that step fails the
//!   order stands and the failure is logged at `error` (a replay of its idempotency key adds
//!   them then).
//! - `merge_cart` (an anonymous cart into a linked account's, two homes) is three steps, each
//!   one script on one session and each safe to repeat: the lines leave the anonymous cart for
//!   its escrow (its `moving` field); they join the account's cart once (a `merged:<escrow>`
//!   field remembers it); the escrow closes and what did not fit goes back. A merge cut off
//!   between steps is finished by the next one.
//! - ACP scripts touch only home `{0000}`: `acp_complete` the checkout, the new order and its
//!   ACP record and both outbox keys (its savings are `add_savings` too); `acp_order_update` the
//!   ACP order record and two outbox keys; `acp_outbox_claim` and `acp_outbox_ack` the three
//!   outbox keys (the claim reads each event's `after` with the scripting engine's `cjson`),
//!   `acp_outbox_retry` two of them (and, the same script, the two refund keys for
//!   `refund_retry`); `acp_refund_claim` the two refund keys. ACP state therefore lives on one
//!   shard of a cluster.
//! - The three sign-in keys share the `{login}` hash tag.
//!
//! With [`RedisStore::with_wait_replicas`] (`REDIS_WAIT_REPLICAS`) a write to a cart, an
//! order, a membership or an ACP record is acknowledged only once that many replicas of its
//! primary have it (`WAIT`), so a failover loses no acknowledged write. Marking a session seen,
//! search history, sign-in counters and OAuth records do not wait.
//!
//! Session hash fields: `id`; `kind` (`account` for a linked account's session, absent for a
//! chat's); `ttlUs`, `ttlMs` (an account session's own idle TTL, which the scripts use instead
//! of the session TTL; an account session has no absolute lifetime); `createdAt`, `lastSeen`
//! (JSON timestamps, exact); `createdAtUs`,
//! `lastSeenUs` (the same instants in µs since the epoch, for the expiry tests in Lua: idle past
//! the TTL, or older than the absolute lifetime; the key's expiry is the earlier of the two); `user` (JSON, `null` when
//! signed out); `version`; `searches` (JSON array, most recent first); `lines` (the cart's product
//! ids in cart order, comma-separated); per cart line `qty:<productId>` and
//! `product:<productId>` (the [`Product`] as JSON, exactly as serde_json wrote it); while its
//! cart moves into an account's, `moving` (the escrow); in an account's session, a
//! `merged:<escrowId>` mark per merge received (µs, then the ids that did not fit), dropped after
//! a day.
//!
//! # Atomicity
//!
//! Every read-modify-write is one Lua script, which Redis runs without interleaving anything else,
//! so two instances changing one cart at once lose nothing. `place_order` is a single script: it
//! returns the stored order for a known idempotency key (replayed); otherwise it rebuilds the
//! cart's canonical JSON from the hash (`[{"product":<stored JSON>,"quantity":<n>},…]`, byte for
//! byte what `serde_json::to_string(&[CartEntry])` writes), compares it with the expected cart,
//! then stores the order, remembers the key, empties the cart and bumps the version. An order id
//! already stored is refused (`taken`; the caller draws another), so two orders can never
//! overwrite each other. On a replay the script reads the order key it learns from the
//! idempotency key, in the same home.
//!
//! (Until issue 14 idempotency keys were one hash per account, `target:v1:idem:<email>`, without
//! expiry; such hashes left by an older version are no longer read.)
//!
//! # Time
//!
//! Sessions expire through Redis TTLs, and the `now` argument is still honoured: a session whose
//! `lastSeen + ttl <= now` is deleted and reported absent, so a manual test clock behaves as with
//! the memory store. [`Store::sweep_expired`] leaves the work to the TTLs and returns 0.
//!
//! # Failures
//!
//! A [`ConnectionManager`] (one Redis) reconnects by itself; a cluster connection also follows
//! moved slots and a promoted replica, retrying a few times. Connection and response timeouts,
//! and a deadline around every operation, turn a dead or hung Redis, or a slot without a primary
//! during a failover, into [`StoreError::Backend`] within a few seconds; nothing here panics on
//! bad data (a value that does not parse is a backend error).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use serde::Serialize;
use serde::de::DeserializeOwned;
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

// The store on a Redis Cluster.
#[cfg(test)]
mod cluster_tests;
// One Redis or a cluster.
mod conn;
// The OAuth authorization server's grants and records (issue 11); its keys are listed below.
mod oauth;

use self::conn::Conn;
pub use self::conn::open_cluster_client;

/// The namespace and layout version of the keys whose layout has not changed since version 1
/// (memberships, sign-in attempts, OAuth, the account-id secret).
pub const KEY_PREFIX: &str = "target:v1:";
/// The namespace of the keys laid out by home (sessions, orders, idempotency keys, ACP).
pub const KEY_PREFIX_V2: &str = "target:v2:";

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long Redis may take to answer one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// The deadline of a whole store operation, reconnect attempts included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for its replicas (see [`RedisStore::with_wait_replicas`]).
pub const REPLICA_WAIT: Duration = Duration::from_millis(1000);
/// Longest TTL handed to Redis (a century), so an absurd setting cannot overflow `PEXPIRE`.
const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// [`Store`] on Redis. Cheap to clone: clones share one multiplexed, self-reconnecting connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    /// Replicas that must have every write before it is acknowledged (`WAIT`); 0: none.
    wait_replicas: u32,
    ttl_ms: u64,
    ttl_us: i64,
    /// The absolute session lifetime in µs (`i64::MAX`: none).
    max_lifetime_us: i64,
    /// Expiry of orders and of idempotency keys, in ms.
    order_ttl_ms: u64,
    idem_ttl_ms: u64,
    account_ttl_ms: u64,
    account_ttl_us: i64,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("ttl_ms", &self.ttl_ms).finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Scripts {
    session: Script,
    set_user: Script,
    renew_session: Script,
    record_search: Script,
    add_to_cart: Script,
    set_quantity: Script,
    place_order: Script,
    join_membership: Script,
    bump_version: Script,
    reserve_login_attempt: Script,
    acp_save: Script,
    acp_complete: Script,
    acp_order_update: Script,
    acp_idem_begin: Script,
    acp_idem_finish: Script,
    acp_outbox_claim: Script,
    acp_outbox_ack: Script,
    acp_outbox_retry: Script,
    acp_refund_claim: Script,
    account_session: Script,
    add_savings: Script,
    merge_take: Script,
    merge_put: Script,
    merge_release: Script,
}

impl Scripts {
    fn new() -> Self {
        Scripts {
            session: Script::new(SESSION_LUA),
            set_user: Script::new(SET_USER_LUA),
            renew_session: Script::new(RENEW_SESSION_LUA),
            record_search: Script::new(RECORD_SEARCH_LUA),
            add_to_cart: Script::new(ADD_TO_CART_LUA),
            set_quantity: Script::new(SET_QUANTITY_LUA),
            place_order: Script::new(PLACE_ORDER_LUA),
            join_membership: Script::new(JOIN_MEMBERSHIP_LUA),
            bump_version: Script::new(BUMP_VERSION_LUA),
            reserve_login_attempt: Script::new(RESERVE_LOGIN_ATTEMPT_LUA),
            acp_save: Script::new(ACP_SAVE_LUA),
            acp_complete: Script::new(ACP_COMPLETE_LUA),
            acp_order_update: Script::new(ACP_ORDER_UPDATE_LUA),
            acp_idem_begin: Script::new(ACP_IDEM_BEGIN_LUA),
            acp_idem_finish: Script::new(ACP_IDEM_FINISH_LUA),
            acp_outbox_claim: Script::new(ACP_OUTBOX_CLAIM_LUA),
            acp_outbox_ack: Script::new(ACP_OUTBOX_ACK_LUA),
            acp_outbox_retry: Script::new(ACP_OUTBOX_RETRY_LUA),
            acp_refund_claim: Script::new(ACP_REFUND_CLAIM_LUA),
            account_session: Script::new(ACCOUNT_SESSION_LUA),
            add_savings: Script::new(ADD_SAVINGS_LUA),
            merge_take: Script::new(MERGE_TAKE_LUA),
            merge_put: Script::new(MERGE_PUT_LUA),
            merge_release: Script::new(MERGE_RELEASE_LUA),
        }
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS
    /// with the system's trusted roots) and checks that Redis answers. Sessions expire after
    /// `session_ttl` idle. Fails with [`StoreError::Backend`] if the URL is invalid or Redis does
    /// not answer.
    pub async fn connect(url: &str, session_ttl: Duration) -> Result<Self, StoreError> {
        Self::connect_client(open_client(url, &RedisTls::default())?, session_ttl).await
    }

    /// Like [`RedisStore::connect`] with a client from [`open_client`] (TLS options).
    pub async fn connect_client(client: redis::Client, session_ttl: Duration) -> Result<Self, StoreError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(1));
        let conn = within(OPERATION_TIMEOUT, ConnectionManager::new_with_config(client, config))
            .await?
            .map_err(|e| backend("cannot connect", e))?;
        let store = Self::with_connection(Conn::One(conn), session_ttl).await?;
        store.migrate_v1().await?;
        Ok(store)
    }

    /// Renames the keys an older version laid out as version 1 (sessions, retired-id markers,
    /// orders, ACP records and queues) to their version 2 names, keeping their expiry, so an
    /// upgrade loses no cart, order, pending webhook or refund. Safe to run again and from
    /// several instances at once (a key already moved is skipped). One Redis only: a cluster
    /// starts on version 2. Returns how many keys moved.
    pub async fn migrate_v1(&self) -> Result<usize, StoreError> {
        let mut moved = 0;
        for family in ["session:", "renewed:", "order:", "acp:"] {
            let pattern = format!("{KEY_PREFIX}{family}*");
            let mut cursor = 0u64;
            loop {
                let pattern = pattern.clone();
                let (next, keys): (u64, Vec<String>) = self
                    .run("migrate_v1", |mut c| async move {
                        redis::cmd("SCAN")
                            .arg(cursor)
                            .arg("MATCH")
                            .arg(pattern)
                            .arg("COUNT")
                            .arg(1000)
                            .query_async(&mut c)
                            .await
                    })
                    .await?;
                for old in keys {
                    let Some(new) = v2_name(&old) else {
                        tracing::warn!(key = %old, "a version 1 key with an unexpected name is left where it is");
                        continue;
                    };
                    let renamed: redis::RedisResult<bool> =
                        redis::cmd("RENAMENX").arg(&old).arg(&new).query_async(&mut self.conn.clone()).await;
                    match renamed {
                        Ok(true) => moved += 1,
                        Ok(false) => tracing::warn!(key = %old, "its version 2 name is taken; left where it is"),
                        // Gone meanwhile: expired, or moved by another instance.
                        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) => {}
                        Err(e) => return Err(backend("migrate_v1", e)),
                    }
                }
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
        if moved > 0 {
            tracing::info!(keys = moved, "moved Redis keys from layout version 1 to version 2");
        }
        Ok(moved)
    }

    /// The store on a Redis Cluster (or Valkey cluster) reached through the seed nodes of a
    /// client from [`open_cluster_client`]: the same semantics, each step in one slot (the
    /// module documentation).
    pub async fn connect_cluster(
        client: redis::cluster::ClusterClient,
        session_ttl: Duration,
    ) -> Result<Self, StoreError> {
        let conn = within(OPERATION_TIMEOUT, client.get_async_connection())
            .await?
            .map_err(|e| backend("cannot connect to the cluster", e))?;
        Self::with_connection(Conn::Cluster(conn), session_ttl).await
    }

    async fn with_connection(conn: Conn, session_ttl: Duration) -> Result<Self, StoreError> {
        let (ttl_us, ttl_ms) = ttl_units(session_ttl);
        let (account_ttl_us, account_ttl_ms) = ttl_units(super::DEFAULT_ACCOUNT_TTL);
        let store = RedisStore {
            conn,
            wait_replicas: 0,
            ttl_ms,
            ttl_us,
            max_lifetime_us: i64::MAX,
            order_ttl_ms: 0,
            idem_ttl_ms: 0,
            account_ttl_ms,
            account_ttl_us,
            scripts: Scripts::new(),
        }
        .with_retention(Retention::default());
        store.ping().await?;
        Ok(store)
    }

    /// The same store ending every session `max_lifetime` after its creation.
    pub fn with_max_lifetime(self, max_lifetime: Duration) -> Self {
        let max_lifetime_us = i64::try_from(max_lifetime.min(MAX_TTL).as_micros()).unwrap_or(i64::MAX);
        RedisStore { max_lifetime_us, ..self }
    }

    /// The same store keeping orders and idempotency keys for `retention`.
    pub fn with_retention(self, retention: Retention) -> Self {
        let ms = |d: Duration| u64::try_from(d.min(MAX_TTL).as_millis()).unwrap_or(u64::MAX).max(1);
        RedisStore { order_ttl_ms: ms(retention.orders), idem_ttl_ms: ms(retention.idempotency_keys), ..self }
    }

    /// The same store acknowledging a write only once `replicas` replicas of its primary have it
    /// (`WAIT`, at most [`REPLICA_WAIT`]): a failover then loses no acknowledged write. A write
    /// not confirmed in time is a [`StoreError::Backend`] (it may still have been applied).
    pub fn with_wait_replicas(self, replicas: u32) -> Self {
        RedisStore { wait_replicas: replicas, ..self }
    }

    /// How long a linked account's shopping session lives unused (default 30 days).
    pub fn with_account_ttl(mut self, ttl: Duration) -> Self {
        (self.account_ttl_us, self.account_ttl_ms) = ttl_units(ttl);
        self
    }

    /// Runs one operation against Redis with the operation deadline, mapping every failure.
    async fn run<T, F, Fut>(&self, what: &'static str, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let started = std::time::Instant::now();
        let result =
            within(OPERATION_TIMEOUT, op(self.conn.clone())).await.and_then(|r| r.map_err(|e| failure(what, e)));
        crate::metrics::store_operation(what, started.elapsed(), result.is_err());
        result
    }

    /// [`RedisStore::run`] for an operation that writes `key` (and only keys of its slot): with
    /// [`RedisStore::with_wait_replicas`], it answers once the replicas have the write.
    async fn run_write<T, F, Fut>(&self, what: &'static str, key: &str, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let done = self.run(what, op).await?;
        if self.wait_replicas > 0 {
            let (replicas, key) = (self.wait_replicas, key.to_owned());
            let confirmed = self.run(what, |mut c| async move { c.wait(&key, replicas).await }).await?;
            if confirmed < i64::from(replicas) {
                return Err(StoreError::Backend(format!(
                    "redis: {what}: {confirmed} of {replicas} replicas confirmed the write within {} ms",
                    REPLICA_WAIT.as_millis()
                )));
            }
        }
        Ok(done)
    }

    /// Adds an order's Circle savings to the account's membership, once per order (a second call
    /// for the same order adds nothing). A separate step from placing the order, since the
    /// membership lives in another slot of a cluster: if it fails the order stands, and the
    /// failure is logged; a replay of the order's idempotency key tries again.
    async fn add_savings(&self, order: &Order, savings: Cents) {
        if savings.0 == 0 {
            return;
        }
        let key = membership_key(&order.email);
        let mut invocation = self.scripts.add_savings.key(&key);
        let keep_us = i64::try_from(self.idem_ttl_ms.max(self.order_ttl_ms).saturating_mul(1000)).unwrap_or(i64::MAX);
        invocation.arg(order.order_id.as_str()).arg(savings.0).arg(micros(order.placed_at)).arg(keep_us);
        let added = self
            .run_write("add_savings", &key, |mut c| async move { invocation.invoke_async::<i64>(&mut c).await })
            .await;
        if let Err(e) = added {
            tracing::error!(order = %order.order_id, error = %e, "the order's Circle savings were not added");
        }
    }

    /// Puts one item of a work queue (the webhook outbox, the refunds) in its hash under `id` and
    /// in its due set at `at` (µs), both or neither.
    async fn enqueue(
        &self,
        what: &'static str,
        (items, due): (String, String),
        id: String,
        json: String,
        at: i64,
    ) -> Result<(), StoreError> {
        self.run_write(what, &items.clone(), |mut c| async move {
            redis::pipe()
                .atomic()
                .hset(&items, &id, json)
                .ignore()
                .zadd(&due, &id, at)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    /// Runs a session script that answers `{status, field, value, …}` and decodes the session.
    /// A script that changes the session (`changes`: its key) waits for the replicas as
    /// [`RedisStore::run_write`] does; one that only marks it seen does not.
    async fn session_script(
        &self,
        what: &'static str,
        changes: Option<&str>,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<Result<Session, String>, StoreError> {
        let script = |mut c: Conn| async move { invocation.invoke_async(&mut c).await };
        let reply: Vec<String> = match changes {
            Some(key) => self.run_write(what, key, script).await?,
            None => self.run(what, script).await?,
        };
        match reply.split_first() {
            Some((status, fields)) if status == "ok" => Ok(Ok(decode_session(fields)?)),
            Some((status, _)) => Ok(Err(status.clone())),
            None => Err(StoreError::Backend(format!("redis: empty reply to {what}"))),
        }
    }
}

/// How a `rediss://` connection checks the server's certificate. The default: against the
/// system's trusted roots and the URL's host name.
#[derive(Clone, Default)]
pub struct RedisTls {
    /// Accept any certificate (Heroku's Key-Value Store presents a self-signed one). The
    /// connection is still encrypted, but not authenticated.
    pub insecure: bool,
    /// Trust this CA (PEM) instead of the system's roots (a private Redis with its own CA).
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTls").field("insecure", &self.insecure).field("ca", &self.ca_pem.is_some()).finish()
    }
}

/// A Redis client for `url` with the TLS options (which only matter for `rediss://`). Nothing is
/// connected yet. Errors name the problem without repeating the URL (it may hold a password).
pub fn open_client(url: &str, tls: &RedisTls) -> Result<redis::Client, StoreError> {
    if !is_tls(url) {
        return redis::Client::open(url.trim()).map_err(|e| backend("invalid REDIS_URL", e));
    }
    let url = tls_url(url, tls);
    match &tls.ca_pem {
        Some(pem) => redis::Client::build_with_tls(
            url.as_str(),
            redis::TlsCertificates { client_tls: None, root_cert: Some(pem.clone()) },
        ),
        None => redis::Client::open(url.as_str()),
    }
    .map_err(|e| backend("invalid REDIS_URL or TLS settings", e))
}

impl RedisStore {
    /// A session as hash fields (see the module documentation).
    fn session_fields(&self, session: &Session) -> Result<Vec<(String, String)>, StoreError> {
        let mut fields: Vec<(String, String)> = vec![
            ("id".into(), session.id.to_string()),
            ("createdAt".into(), to_json(&session.created_at)?),
            ("lastSeen".into(), to_json(&session.last_seen)?),
            ("lastSeenUs".into(), micros(session.last_seen).to_string()),
            ("createdAtUs".into(), micros(session.created_at).to_string()),
            ("user".into(), to_json(&session.user)?),
            ("version".into(), session.version.to_string()),
            ("searches".into(), to_json(&session.searches)?),
        ];
        if session.kind == SessionKind::Account {
            fields.push(("kind".into(), ACCOUNT_KIND.into()));
            fields.push(("ttlUs".into(), self.account_ttl_us.to_string()));
            fields.push(("ttlMs".into(), self.account_ttl_ms.to_string()));
        }
        let mut lines = Vec::with_capacity(session.cart.len());
        for entry in &session.cart {
            let pid = entry.product.id.as_str();
            lines.push(pid);
            fields.push((format!("qty:{pid}"), entry.quantity.to_string()));
            fields.push((format!("product:{pid}"), to_json(&entry.product)?));
        }
        fields.push(("lines".into(), lines.join(",")));
        Ok(fields)
    }
}

fn is_tls(url: &str) -> bool {
    url.trim().get(..9).is_some_and(|s| s.eq_ignore_ascii_case("rediss://"))
}

/// `url` trimmed, with the fragment that tells the client not to check the certificate when
/// `tls.insecure` asks for that (and the URL is `rediss://`).
fn tls_url(url: &str, tls: &RedisTls) -> String {
    let url = url.trim();
    if is_tls(url) && tls.insecure && !url.contains('#') { format!("{url}#insecure") } else { url.to_owned() }
}

/// A TTL in µs (for the expiry test in Lua) and in whole ms rounded up (for `PEXPIRE`).
fn ttl_units(ttl: Duration) -> (i64, u64) {
    let ttl = ttl.min(MAX_TTL);
    (
        i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX),
        u64::try_from(ttl.as_micros().div_ceil(1000)).unwrap_or(u64::MAX),
    )
}

/// Awaits `fut` for at most `limit`.
async fn within<T>(limit: Duration, fut: impl Future<Output = T>) -> Result<T, StoreError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| StoreError::Backend(format!("redis did not answer within {} s", limit.as_secs())))
}

/// A failed command as a backend error; a slot that is moving or has lost its primary (a
/// failover or a resharding under way, after the cluster connection's own retries) says so.
fn failure(what: &str, e: redis::RedisError) -> StoreError {
    let moving = e.is_cluster_error()
        || matches!(e.kind(), redis::ErrorKind::Server(redis::ServerErrorKind::MasterDown))
        || matches!(e.kind(), redis::ErrorKind::ClusterConnectionNotFound);
    if moving {
        StoreError::Backend(format!(
            "redis: {what}: the cluster slot is moving or has no primary (a failover or resharding is under way; \
             try again shortly): {e}"
        ))
    } else {
        backend(what, e)
    }
}

fn backend(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("redis: {what}: {e}"))
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("redis: unreadable stored data: {what}"))
}

fn to_json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("cannot encode a value: {e}")))
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(format_args!("{what}: {e}")))
}

/// A script status the calling operation does not expect.
fn unexpected(status: &str) -> StoreError {
    StoreError::Backend(format!("redis: unexpected script reply {status:?}"))
}

fn account(email: &str) -> String {
    email.trim().to_lowercase()
}

fn session_key(id: &SessionId) -> String {
    format!("{KEY_PREFIX_V2}{}:session:{id}", Home::of_session(id).tag())
}

/// Marks an id retired at a sign-in (see [`Store::renew_session`]).
fn renewed_key(id: &SessionId) -> String {
    format!("{KEY_PREFIX_V2}{}:renewed:{id}", Home::of_session(id).tag())
}

/// What `order_key` puts before the order number, for an order of `home`.
fn order_key_prefix(home: Home) -> String {
    format!("{KEY_PREFIX_V2}{}:order:", home.tag())
}

fn order_key(id: &OrderId) -> String {
    format!("{}{id}", order_key_prefix(Home::of_order(id)))
}

/// `key` is `None` where a script needs the key's name but the checkout has no key.
fn idem_key(home: Home, email: &str, key: Option<&IdempotencyKey>) -> String {
    format!("{KEY_PREFIX_V2}{}:idem:{}|{}", home.tag(), account(email), key.map_or("", IdempotencyKey::as_str))
}

fn membership_key(email: &str) -> String {
    format!("{KEY_PREFIX}membership:{}", account(email))
}

fn login_pair_key(attempt: &LoginAttempt) -> String {
    format!("{KEY_PREFIX}{{login}}:pair:{}|{}", attempt.client, account(&attempt.account))
}

fn login_client_key(attempt: &LoginAttempt) -> String {
    format!("{KEY_PREFIX}{{login}}:client:{}", attempt.client)
}

fn login_account_key(attempt: &LoginAttempt) -> String {
    format!("{KEY_PREFIX}{{login}}:account:{}", account(&attempt.account))
}

/// An ACP key: `target:v2:{0000}:acp:<rest>` (every ACP key is in [`Home::ACP`]).
fn acp_key(rest: std::fmt::Arguments<'_>) -> String {
    format!("{KEY_PREFIX_V2}{}:acp:{rest}", Home::ACP.tag())
}

fn acp_checkout_key(id: &str) -> String {
    acp_key(format_args!("checkout:{id}"))
}

/// The scope (identity, path, client key) is hashed: client keys are up to 255 arbitrary bytes.
fn acp_idem_key(scope: &str) -> String {
    use sha2::Digest;
    acp_key(format_args!("idem:{}", hex::encode(sha2::Sha256::digest(scope.as_bytes()))))
}

fn acp_order_key(id: &str) -> String {
    acp_key(format_args!("order:{id}"))
}

fn acp_outbox_events_key() -> String {
    acp_key(format_args!("outbox:events"))
}

fn acp_outbox_due_key() -> String {
    acp_key(format_args!("outbox:due"))
}

fn acp_outbox_parked_key() -> String {
    acp_key(format_args!("outbox:parked"))
}

fn acp_refunds_queued_key() -> String {
    acp_key(format_args!("refunds:queued"))
}

fn acp_refunds_due_key() -> String {
    acp_key(format_args!("refunds:due"))
}

/// The version 2 name of a version 1 key that [`RedisStore::migrate_v1`] moves.
fn v2_name(v1: &str) -> Option<String> {
    let rest = v1.strip_prefix(KEY_PREFIX)?;
    if let Some(id) = rest.strip_prefix("session:") {
        return SessionId::parse(id).ok().map(|id| session_key(&id));
    }
    if let Some(id) = rest.strip_prefix("renewed:") {
        return SessionId::parse(id).ok().map(|id| renewed_key(&id));
    }
    if let Some(id) = rest.strip_prefix("order:") {
        return OrderId::parse(id).ok().map(|id| order_key(&id));
    }
    rest.strip_prefix("acp:").map(|rest| acp_key(format_args!("{rest}")))
}

/// The lines of a cart on their way to another (see `MERGE_TAKE_LUA`): product id, quantity,
/// product JSON.
#[derive(serde::Deserialize)]
struct MergeEscrow {
    id: String,
    into: String,
    lines: Vec<(String, u32, String)>,
}

/// 128 random bits as hex (a merge escrow's id).
fn random_hex() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

/// Milliseconds for `PEXPIRE`, at least 1.
fn pexpire_ms(span: chrono::Duration) -> i64 {
    span.num_milliseconds().max(1)
}

fn account_id_secret_key() -> String {
    format!("{KEY_PREFIX}account-id-secret")
}

/// Rebuilds a session from its hash fields (`[field, value, field, value, …]`).
fn decode_session(flat: &[String]) -> Result<Session, StoreError> {
    let fields: HashMap<&str, &str> = flat.chunks_exact(2).map(|pair| (pair[0].as_str(), pair[1].as_str())).collect();
    let get = |name: &str| fields.get(name).copied().ok_or_else(|| corrupt(format_args!("session without {name}")));
    let id = SessionId::parse(get("id")?).map_err(corrupt)?;
    let kind = match fields.get("kind").copied() {
        None => SessionKind::Chat,
        Some(ACCOUNT_KIND) => SessionKind::Account,
        Some(other) => return Err(corrupt(format_args!("session kind {other:?}"))),
    };
    let mut cart = Vec::new();
    for pid in get("lines")?.split(',').filter(|p| !p.is_empty()) {
        let product: Arc<Product> = from_json("cart product", get(&format!("product:{pid}"))?)?;
        let quantity = get(&format!("qty:{pid}"))?.parse().map_err(|e| corrupt(format_args!("cart quantity: {e}")))?;
        cart.push(CartEntry { product, quantity });
    }
    Ok(Session {
        id,
        kind,
        created_at: from_json("createdAt", get("createdAt")?)?,
        last_seen: from_json("lastSeen", get("lastSeen")?)?,
        user: from_json("user", get("user")?)?,
        cart,
        searches: from_json("searches", get("searches")?)?,
        version: get("version")?.parse().map_err(|e| corrupt(format_args!("version: {e}")))?,
    })
}

/// Splits a serde struct into `(field, JSON value)` pairs for a hash.
fn to_hash_fields(value: &impl Serialize) -> Result<Vec<(String, String)>, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => Ok(map.into_iter().map(|(k, v)| (k, v.to_string())).collect()),
        Ok(_) => Err(StoreError::Backend("cannot encode a value: not an object".into())),
        Err(e) => Err(StoreError::Backend(format!("cannot encode a value: {e}"))),
    }
}

/// A membership from its hash, without the marks of the orders whose savings it counted
/// (`ADD_SAVINGS_LUA`).
fn membership_from_fields(mut fields: HashMap<String, String>) -> Result<Membership, StoreError> {
    fields.retain(|k, _| !k.starts_with(SAVED_ORDER_MARK));
    from_hash_fields("membership", fields)
}

/// The prefix of a membership hash's per-order marks.
const SAVED_ORDER_MARK: &str = "savedOrder:";

/// Rebuilds a serde struct from hash fields whose values are JSON.
fn from_hash_fields<T: DeserializeOwned>(what: &str, fields: HashMap<String, String>) -> Result<T, StoreError> {
    let mut map = serde_json::Map::new();
    for (k, v) in fields {
        map.insert(k, from_json::<serde_json::Value>(what, &v)?);
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| corrupt(format_args!("{what}: {e}")))
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The `kind` field of an account session.
const ACCOUNT_KIND: &str = "account";

/// The start of every script that uses a session as a shopper would (`session`, `add_to_cart`,
/// `renew_session`): absent is `{"renewed"}` if the id's renewed marker (KEYS[2]) lasts past
/// `now`, else `{"absent"}`; idle past the TTL or past its absolute lifetime at `now` is `{"absent"}` (and
/// deleted); else it is marked seen at `now` and its expiry slides (never past the end of its
/// lifetime). KEYS 1–2: session, its renewed marker. ARGV 1–4: now µs, now JSON, ttl µs, ttl
/// ms; the script sets `MAX_US` (the lifetime in µs) before this part. A linked account's
/// session (`ttlUs`, `ttlMs` in its hash) uses its own TTL and has no absolute lifetime.
macro_rules! touch_session_lua {
    () => {
        r#"
local key = KEYS[1]
local fields = redis.call('HMGET', key, 'lastSeenUs', 'createdAtUs', 'ttlUs', 'ttlMs')
local seen = tonumber(fields[1])
if not seen then
  local renewed_until = tonumber(redis.call('GET', KEYS[2]))
  if renewed_until and renewed_until > tonumber(ARGV[1]) then return {'renewed'} end
  return {'absent'}
end
local now = tonumber(ARGV[1])
local ttl_us, ttl_ms = tonumber(ARGV[3]), tonumber(ARGV[4])
local ends = (tonumber(fields[2]) or seen) + MAX_US
if fields[3] then
  ttl_us, ttl_ms, ends = tonumber(fields[3]), tonumber(fields[4]), math.huge
end
if seen + ttl_us <= now or ends <= now then
  redis.call('DEL', key)
  return {'absent'}
end
if now > seen then
  redis.call('HSET', key, 'lastSeenUs', ARGV[1], 'lastSeen', ARGV[2])
end
redis.call('PEXPIRE', key, string.format('%d', math.min(ttl_ms, math.ceil((ends - now) / 1000))))
"#
    };
}

/// `session(id, now)`. KEYS: session, its renewed marker. ARGV: now µs, now JSON, ttl µs, ttl ms,
/// lifetime µs. Replies `{"absent"}`, `{"renewed"}` or `{"ok", field, value, …}`.
const SESSION_LUA: &str = concat!(
    "local MAX_US = tonumber(ARGV[5])",
    touch_session_lua!(),
    r#"
local all = redis.call('HGETALL', key)
table.insert(all, 1, 'ok')
return all
"#
);

/// `account_session(fresh, now)`: the live session at KEYS[1] touched as by `session`, or else the
/// fresh one written there. KEYS: session. ARGV: now µs, now JSON, account ttl µs, account ttl
/// ms, then the fresh session's field/value pairs. Replies `{"ok", field, value, …}`.
const ACCOUNT_SESSION_LUA: &str = r#"
local key = KEYS[1]
local now = tonumber(ARGV[1])
local seen = tonumber(redis.call('HGET', key, 'lastSeenUs'))
if seen and seen + tonumber(redis.call('HGET', key, 'ttlUs') or ARGV[3]) <= now then
  redis.call('DEL', key)
  seen = nil
end
if seen then
  if now > seen then
    redis.call('HSET', key, 'lastSeenUs', ARGV[1], 'lastSeen', ARGV[2])
  end
else
  for i = 5, #ARGV, 2 do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
end
redis.call('PEXPIRE', key, redis.call('HGET', key, 'ttlMs') or ARGV[4])
local all = redis.call('HGETALL', key)
table.insert(all, 1, 'ok')
return all
"#;

/// `merge_cart`, step 1 of 3 (a cluster keeps the two sessions in different slots, so the move is
/// three steps, each safe to repeat): the lines of the anonymous chat session KEYS[1] leave its
/// cart for its escrow, the `moving` field (`{"id", "into", "lines": [[pid, qty, product JSON],
/// …]}`), and its version is bumped. An escrow left by an unfinished merge is answered as it is,
/// so the next merge finishes it. ARGV: now µs, chat ttl µs, lifetime µs, `into` id, a new escrow
/// id. Replies `{"none"}` (nothing to move) or `{"moving", escrow JSON}`.
const MERGE_TAKE_LUA: &str = r#"
local from = KEYS[1]
local f = redis.call('HMGET', from, 'lastSeenUs', 'createdAtUs', 'kind', 'user', 'lines', 'moving')
if f[6] then return {'moving', f[6]} end
local seen = tonumber(f[1])
if not seen or f[3] or f[4] ~= 'null' or not f[5] or f[5] == '' then return {'none'} end
local now = tonumber(ARGV[1])
if seen + tonumber(ARGV[2]) <= now or (tonumber(f[2]) or seen) + tonumber(ARGV[3]) <= now then
  return {'none'}
end
local lines = {}
for pid in string.gmatch(f[5], '[^,]+') do
  local q = tonumber(redis.call('HGET', from, 'qty:' .. pid))
  local p = redis.call('HGET', from, 'product:' .. pid)
  if not q or not p then return redis.error_reply('cart line ' .. pid .. ' is incomplete') end
  lines[#lines + 1] = {pid, q, p}
end
local escrow = cjson.encode({id = ARGV[5], into = ARGV[4], lines = lines})
for _, line in ipairs(lines) do
  redis.call('HDEL', from, 'qty:' .. line[1], 'product:' .. line[1])
end
redis.call('HSET', from, 'lines', '', 'moving', escrow)
redis.call('HINCRBY', from, 'version', 1)
return {'moving', escrow}
"#;

/// `merge_cart`, step 2: an escrow's lines added to the session KEYS[1] once (a `merged:<escrow
/// id>` field remembers it, with the lines that did not fit): quantities of a product in both
/// add up, capped; new lines are appended while there is room. ARGV: escrow id, max quantity,
/// max lines, now µs, then per line: product id, quantity, product JSON. Replies `{"absent"}`,
/// `{"done", left}` (added before), `{"none", left}` (nothing fitted) or `{"ok", left, field,
/// value, …}`; `left`: the product ids that did not fit, comma-separated. Marks older than a
/// day are dropped.
const MERGE_PUT_LUA: &str = r#"
local into = KEYS[1]
if redis.call('EXISTS', into) == 0 then return {'absent'} end
local mark = 'merged:' .. ARGV[1]
local done = redis.call('HGET', into, mark)
if done then return {'done', string.match(done, '|(.*)$')} end
local cap, max_lines, now = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local target = redis.call('HGET', into, 'lines') or ''
local n = 0
for _ in string.gmatch(target, '[^,]+') do n = n + 1 end
local moved, left = 0, {}
for i = 5, #ARGV, 3 do
  local pid, q, p = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local current = redis.call('HGET', into, 'qty:' .. pid)
  local total
  if current then
    total = tonumber(current) + q
  elseif n < max_lines then
    if target == '' then target = pid else target = target .. ',' .. pid end
    n = n + 1
    redis.call('HSET', into, 'product:' .. pid, p)
    total = q
  end
  if total then
    if total > cap then total = cap end
    redis.call('HSET', into, 'qty:' .. pid, string.format('%d', total))
    moved = moved + 1
  else
    left[#left + 1] = pid
  end
end
local all = redis.call('HGETALL', into)
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 7) == 'merged:' and tonumber(string.match(all[i + 1], '^(%d+)')) < now - 86400000000 then
    redis.call('HDEL', into, all[i])
  end
end
left = table.concat(left, ',')
redis.call('HSET', into, mark, ARGV[4] .. '|' .. left)
if moved == 0 then return {'none', left} end
redis.call('HSET', into, 'lines', target)
redis.call('HINCRBY', into, 'version', 1)
all = redis.call('HGETALL', into)
table.insert(all, 1, left)
table.insert(all, 1, 'ok')
return all
"#;

/// `merge_cart`, step 3: the escrow ARGV[1] of KEYS[1] is closed; its lines named in ARGV[3]
/// (comma-separated: those that did not fit) come back to the cart (adding up, capped at ARGV[2]),
/// bumping the version. Does nothing if the escrow is gone (closed already). Replies 1 when closed.
const MERGE_RELEASE_LUA: &str = r#"
local from = KEYS[1]
local raw = redis.call('HGET', from, 'moving')
if not raw then return 0 end
local escrow = cjson.decode(raw)
if escrow['id'] ~= ARGV[1] then return 0 end
local back = {}
for pid in string.gmatch(ARGV[3], '[^,]+') do back[pid] = true end
local cap = tonumber(ARGV[2])
local lines = redis.call('HGET', from, 'lines') or ''
local returned = 0
for _, line in ipairs(escrow['lines']) do
  local pid, q, p = line[1], line[2], line[3]
  if back[pid] then
    local current = redis.call('HGET', from, 'qty:' .. pid)
    if current then
      q = tonumber(current) + q
    else
      if lines == '' then lines = pid else lines = lines .. ',' .. pid end
      redis.call('HSET', from, 'product:' .. pid, p)
    end
    if q > cap then q = cap end
    redis.call('HSET', from, 'qty:' .. pid, string.format('%d', q))
    returned = returned + 1
  end
end
redis.call('HDEL', from, 'moving')
if returned > 0 then
  redis.call('HSET', from, 'lines', lines)
  redis.call('HINCRBY', from, 'version', 1)
end
return 1
"#;

/// `set_user`. KEYS: session. ARGV: user JSON.
const SET_USER_LUA: &str = r#"
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return {'absent'} end
redis.call('HSET', key, 'user', ARGV[1])
redis.call('HINCRBY', key, 'version', 1)
local all = redis.call('HGETALL', key)
table.insert(all, 1, 'ok')
return all
"#;

/// `renew_session(old, new, user, now)`: the chat session at KEYS[1], touched as by `session`, is
/// renamed to KEYS[3] (its expiry goes with it), signed in and its version bumped; KEYS[2] marks
/// the old id renewed. KEYS: old session, its renewed marker, new session. ARGV: now µs, now
/// JSON, ttl µs, ttl ms, lifetime µs, new id, user JSON, marker's end µs, marker ms. Replies `{"absent"}`,
/// `{"renewed"}`, `{"taken"}` (the new id is in use) or `{"ok", field, value, …}`.
const RENEW_SESSION_LUA: &str = concat!(
    "local MAX_US = tonumber(ARGV[5])\n",
    "if redis.call('HEXISTS', KEYS[1], 'kind') == 1 then return {'absent'} end\n",
    "if redis.call('EXISTS', KEYS[3]) == 1 then return {'taken'} end",
    touch_session_lua!(),
    r#"
redis.call('RENAME', key, KEYS[3])
redis.call('HSET', KEYS[3], 'id', ARGV[6], 'user', ARGV[7])
redis.call('HINCRBY', KEYS[3], 'version', 1)
redis.call('SET', KEYS[2], ARGV[8], 'PX', ARGV[9])
local all = redis.call('HGETALL', KEYS[3])
table.insert(all, 1, 'ok')
return all
"#
);

/// `record_search`. KEYS: session. ARGV: normalized query, history length.
const RECORD_SEARCH_LUA: &str = r#"
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return {'absent'} end
local raw = redis.call('HGET', key, 'searches')
local old = {}
if raw then old = cjson.decode(raw) end
local keep = tonumber(ARGV[2])
local out = {ARGV[1]}
for _, q in ipairs(old) do
  if #out >= keep then break end
  if q ~= ARGV[1] then out[#out + 1] = q end
end
redis.call('HSET', key, 'searches', cjson.encode(out))
return {'ok'}
"#;

/// `add_to_cart(id, …, now)`: the session touched as by `session`, then the line added.
/// KEYS: session, its renewed marker. ARGV: now µs, now JSON, ttl µs, ttl ms, product id, product
/// JSON, quantity, max quantity, max lines, lifetime µs. Replies `{"absent"}`, `{"renewed"}`,
/// `{"full"}` or `{"ok", field, value, …}`.
const ADD_TO_CART_LUA: &str = concat!(
    "local MAX_US = tonumber(ARGV[10])",
    touch_session_lua!(),
    r#"
local pid = ARGV[5]
local qkey = 'qty:' .. pid
local cap = tonumber(ARGV[8])
local current = redis.call('HGET', key, qkey)
local q
if current then
  q = tonumber(current) + tonumber(ARGV[7])
else
  local lines = redis.call('HGET', key, 'lines') or ''
  local n = 0
  for _ in string.gmatch(lines, '[^,]+') do n = n + 1 end
  if n >= tonumber(ARGV[9]) then return {'full'} end
  if lines == '' then lines = pid else lines = lines .. ',' .. pid end
  redis.call('HSET', key, 'lines', lines)
  q = tonumber(ARGV[7])
end
if q > cap then q = cap end
redis.call('HSET', key, qkey, string.format('%d', q), 'product:' .. pid, ARGV[6])
redis.call('HINCRBY', key, 'version', 1)
local all = redis.call('HGETALL', key)
table.insert(all, 1, 'ok')
return all
"#
);

/// `set_quantity`. KEYS: session. ARGV: product id, quantity (0 removes the line).
/// Replies `{"absent"}`, `{"missing"}` or `{"ok", field, value, …}`.
const SET_QUANTITY_LUA: &str = r#"
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return {'absent'} end
local pid = ARGV[1]
local qkey = 'qty:' .. pid
if not redis.call('HGET', key, qkey) then return {'missing'} end
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', key, qkey, 'product:' .. pid)
  local kept = {}
  for p in string.gmatch(redis.call('HGET', key, 'lines') or '', '[^,]+') do
    if p ~= pid then kept[#kept + 1] = p end
  end
  redis.call('HSET', key, 'lines', table.concat(kept, ','))
else
  redis.call('HSET', key, qkey, ARGV[2])
end
redis.call('HINCRBY', key, 'version', 1)
local all = redis.call('HGETALL', key)
table.insert(all, 1, 'ok')
return all
"#;

/// `place_order`. KEYS: session, idempotency key, new order (one home). ARGV: '1' with an
/// idempotency key ('' for none), expected cart JSON, order JSON, order id, the home's order key
/// prefix, order expiry ms, key expiry ms. Replies `{"replayed", order JSON}`, `{"absent"}`,
/// `{"changed"}`, `{"taken"}` or `{"placed"}`. The Circle savings are added by `ADD_SAVINGS_LUA`.
const PLACE_ORDER_LUA: &str = r#"
local skey, ikey, okey = KEYS[1], KEYS[2], KEYS[3]
if ARGV[1] ~= '' then
  local existing = redis.call('GET', ikey)
  if existing then
    local stored = redis.call('GET', ARGV[5] .. existing)
    if stored then return {'replayed', stored} end
  end
end
if redis.call('EXISTS', skey) == 0 then return {'absent'} end
local pids = {}
local parts = {}
for pid in string.gmatch(redis.call('HGET', skey, 'lines') or '', '[^,]+') do
  pids[#pids + 1] = pid
  local q = redis.call('HGET', skey, 'qty:' .. pid)
  local p = redis.call('HGET', skey, 'product:' .. pid)
  if not q or not p then return redis.error_reply('cart line ' .. pid .. ' is incomplete') end
  parts[#parts + 1] = '{"product":' .. p .. ',"quantity":' .. q .. '}'
end
if '[' .. table.concat(parts, ',') .. ']' ~= ARGV[2] then return {'changed'} end
if redis.call('EXISTS', okey) == 1 then return {'taken'} end
redis.call('SET', okey, ARGV[3], 'PX', ARGV[6])
if ARGV[1] ~= '' then redis.call('SET', ikey, ARGV[4], 'PX', ARGV[7]) end
for _, pid in ipairs(pids) do
  redis.call('HDEL', skey, 'qty:' .. pid, 'product:' .. pid)
end
redis.call('HSET', skey, 'lines', '')
redis.call('HINCRBY', skey, 'version', 1)
return {'placed'}
"#;

/// `add_savings`: an order's Circle savings added to the account's membership, once. KEYS:
/// membership. ARGV: order id, savings, now µs, how long a mark is kept (µs). The hash keeps a
/// `savedOrder:<orderId>` mark (its time) per order added, for as long as the order can be
/// replayed, so a second call for one order adds nothing. Replies 1 when added.
const ADD_SAVINGS_LUA: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], 'savedOrder:' .. ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'lifetimeSavingsCents', ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
local oldest = tonumber(ARGV[3]) - tonumber(ARGV[4])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 11) == 'savedOrder:' and tonumber(all[i + 1]) < oldest then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return 1
"#;

/// `join_membership`. KEYS: membership. ARGV: 'tier', tier JSON, then field/value pairs kept
/// from an existing membership. Replies the hash as stored.
const JOIN_MEMBERSHIP_LUA: &str = r#"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return redis.call('HGETALL', KEYS[1])
"#;

/// `bump_version`. KEYS: session. Replies the new version, or -1 when the session is absent.
const BUMP_VERSION_LUA: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"#;

/// `reserve_login_attempt`. KEYS: pair, client, account failures. ARGV: now µs, window µs,
/// per-pair limit, per-client limit, account slow-down threshold, slow-down interval µs, attempt
/// id, window ms. Replies `{"ok"}`, or `{"pair"|"client"|"account", µs when it frees up}`.
const RESERVE_LOGIN_ATTEMPT_LUA: &str = r#"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
for i = 1, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
end
local function oldest(key)
  return tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return {'pair', string.format('%d', oldest(KEYS[1]) + window)}
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return {'client', string.format('%d', oldest(KEYS[2]) + window)}
end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then
  local latest = tonumber(redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2])
  local free = latest + tonumber(ARGV[6])
  if free > now then return {'account', string.format('%d', free)} end
end
for i = 1, 3 do
  redis.call('ZADD', KEYS[i], now, ARGV[7])
  redis.call('PEXPIRE', KEYS[i], ARGV[8])
end
return {'ok'}
"#;

/// `save_checkout_session`. KEYS: checkout. ARGV: expected version ('' = must be absent), new
/// version, JSON, expires µs, retention ms. Replies 1 when written, 0 when the version differs.
const ACP_SAVE_LUA: &str = r#"
local cur = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3], 'expiresAtUs', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"#;

/// `complete_checkout_session`. KEYS (all in the ACP home): checkout, order, outbox events,
/// outbox due, ACP order. ARGV: expected version, new version, JSON, expires µs, retention ms,
/// order JSON, event id, event JSON, event due µs, order retention ms, ACP order version, placed
/// µs, ACP order JSON. Replies 1 when done, 0 when the version differs. The Circle savings are
/// added by `ADD_SAVINGS_LUA`.
const ACP_COMPLETE_LUA: &str = r#"
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3], 'expiresAtUs', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[10])
redis.call('HSET', KEYS[3], ARGV[7], ARGV[8])
redis.call('ZADD', KEYS[4], ARGV[9], ARGV[7])
redis.call('DEL', KEYS[5])
redis.call('HSET', KEYS[5], 'version', ARGV[11], 'placedAtUs', ARGV[12], 'json', ARGV[13])
redis.call('PEXPIRE', KEYS[5], ARGV[10])
return 1
"#;

/// `update_acp_order`. KEYS: ACP order, outbox events, outbox due. ARGV: expected version, new
/// version, JSON, order retention ms, event id, event JSON, event due µs. Replies 1 when done, 0
/// when the version differs (or the order is gone).
const ACP_ORDER_UPDATE_LUA: &str = r#"
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[5])
return 1
"#;

/// `idempotency_begin`. KEYS: record. ARGV: fingerprint, now µs, lease end µs, lease ms.
/// Replies `{"started"}`, `{"in_flight"}`, `{"conflict"}` or `{"replay", status, body}`.
const ACP_IDEM_BEGIN_LUA: &str = r#"
local h = redis.call('HMGET', KEYS[1], 'state', 'fp', 'untilUs', 'status', 'body')
if h[1] and tonumber(h[3]) > tonumber(ARGV[2]) then
  if h[2] ~= ARGV[1] then return {'conflict'} end
  if h[1] == 'done' then return {'replay', h[4], h[5]} end
  return {'in_flight'}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'in_flight', 'fp', ARGV[1], 'untilUs', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'started'}
"#;

/// `idempotency_finish`. KEYS: record. ARGV: fingerprint, status, body, retained until µs,
/// retention ms. Does nothing when the record is not this request's.
const ACP_IDEM_FINISH_LUA: &str = r#"
if redis.call('HGET', KEYS[1], 'fp') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'body', ARGV[3], 'untilUs', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"#;

/// `outbox_claim`. KEYS: outbox events, outbox due, outbox parked. ARGV: now µs, lease end µs,
/// limit. An event whose `after` is still undelivered (and not claimed before it here) leaves
/// the due set and is parked under it. Replies the claimed events' JSON.
const ACP_OUTBOX_CLAIM_LUA: &str = r#"
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local claimed = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[1], id)
  if body then
    local after = cjson.decode(body)['after']
    local waits = type(after) == 'string' and not claimed[after] and redis.call('HEXISTS', KEYS[1], after) == 1
    if waits then
      redis.call('ZREM', KEYS[2], id)
      redis.call('HSET', KEYS[3], after, id)
    else
      redis.call('ZADD', KEYS[2], ARGV[2], id)
      claimed[id] = true
      out[#out + 1] = body
    end
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"#;

/// `outbox_ack`. KEYS: outbox events, outbox due, outbox parked. ARGV: id, now µs. Removes the
/// event; the event parked behind it becomes due now.
const ACP_OUTBOX_ACK_LUA: &str = r#"
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local next = redis.call('HGET', KEYS[3], ARGV[1])
if next then
  redis.call('HDEL', KEYS[3], ARGV[1])
  if redis.call('HEXISTS', KEYS[1], next) == 1 then redis.call('ZADD', KEYS[2], ARGV[2], next) end
end
return 1
"#;

/// `outbox_retry`, and `refund_retry` on the refund keys. KEYS: outbox events, outbox due (the
/// queued refunds, refunds due). ARGV: id, event JSON, next attempt µs. Does nothing when the
/// event was delivered (the refund settled) meanwhile.
const ACP_OUTBOX_RETRY_LUA: &str = r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
"#;

/// `refund_claim`. KEYS: queued refunds, refunds due. ARGV: now µs, lease end µs, limit.
/// Replies the claimed refunds' JSON, the earliest due first.
const ACP_REFUND_CLAIM_LUA: &str = r#"
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[1], id)
  if body then
    redis.call('ZADD', KEYS[2], ARGV[2], id)
    out[#out + 1] = body
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"#;

#[async_trait]
impl Store for RedisStore {
    async fn create_session(&self, session: Session) -> Result<(), StoreError> {
        let key = session_key(&session.id);
        let fields = self.session_fields(&session)?;
        let ttl_ms = match session.kind {
            // The first expiry: the TTL, or what is left of the lifetime if that is shorter.
            SessionKind::Chat => {
                let left_us =
                    micros(session.created_at).saturating_add(self.max_lifetime_us) - micros(session.last_seen);
                self.ttl_ms.min(u64::try_from(left_us.max(1)).unwrap_or(1).div_ceil(1000))
            }
            SessionKind::Account => self.account_ttl_ms,
        };
        self.run_write("create_session", &key.clone(), |mut c| async move {
            redis::pipe()
                .atomic()
                .del(&key)
                .ignore()
                .hset_multiple(&key, &fields)
                .ignore()
                .pexpire(&key, i64::try_from(ttl_ms).unwrap_or(i64::MAX))
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    async fn session(&self, id: &SessionId, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        let mut invocation = self.scripts.session.key(session_key(id));
        invocation
            .key(renewed_key(id))
            .arg(micros(now))
            .arg(to_json(&now)?)
            .arg(self.ttl_us)
            .arg(self.ttl_ms)
            .arg(self.max_lifetime_us);
        match self.session_script("session", None, invocation).await? {
            Ok(session) => Ok(Some(session)),
            Err(status) if status == "absent" => Ok(None),
            Err(status) if status == "renewed" => Err(StoreError::SessionRenewed),
            Err(status) => Err(unexpected(&status)),
        }
    }

    async fn set_user(&self, id: &SessionId, user: Option<User>) -> Result<Session, StoreError> {
        let mut invocation = self.scripts.set_user.key(session_key(id));
        invocation.arg(to_json(&user)?);
        match self.session_script("set_user", Some(&session_key(id)), invocation).await? {
            Ok(session) => Ok(session),
            Err(status) if status == "absent" => Err(StoreError::SessionNotFound),
            Err(status) => Err(unexpected(&status)),
        }
    }

    async fn renew_session(
        &self,
        old: &SessionId,
        new: &SessionId,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        if Home::of_session(new) != Home::of_session(old) {
            return Err(StoreError::Backend(format!(
                "the new session id is not in the home of {old} (draw it with Home::renewed_session_id)"
            )));
        }
        let notice_ms = self.ttl_ms.min(u64::try_from(RENEWED_NOTICE_MAX.as_millis()).unwrap_or(u64::MAX)).max(1);
        let notice_until_us =
            micros(now).saturating_add(i64::try_from(notice_ms.saturating_mul(1000)).unwrap_or(i64::MAX));
        let mut invocation = self.scripts.renew_session.key(session_key(old));
        invocation.key(renewed_key(old)).key(session_key(new));
        invocation.arg(micros(now)).arg(to_json(&now)?).arg(self.ttl_us).arg(self.ttl_ms).arg(self.max_lifetime_us);
        invocation.arg(new.as_str()).arg(to_json(&Some(user))?).arg(notice_until_us).arg(notice_ms);
        match self.session_script("renew_session", Some(&session_key(new)), invocation).await? {
            Ok(session) => Ok(session),
            Err(status) if status == "absent" => Err(StoreError::SessionNotFound),
            Err(status) if status == "renewed" => Err(StoreError::SessionRenewed),
            Err(status) if status == "taken" => Err(StoreError::Backend("the new session id is in use".into())),
            Err(status) => Err(unexpected(&status)),
        }
    }

    async fn record_search(&self, id: &SessionId, query: &str) -> Result<(), StoreError> {
        let mut invocation = self.scripts.record_search.key(session_key(id));
        invocation.arg(query.trim().to_lowercase()).arg(SEARCH_HISTORY);
        let reply: Vec<String> =
            self.run("record_search", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        match reply.first().map(String::as_str) {
            Some("ok") => Ok(()),
            Some("absent") => Err(StoreError::SessionNotFound),
            other => Err(unexpected(other.unwrap_or_default())),
        }
    }

    async fn add_to_cart(
        &self,
        id: &SessionId,
        product: Arc<Product>,
        quantity: u32,
        max_quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError> {
        let mut invocation = self.scripts.add_to_cart.key(session_key(id));
        invocation.key(renewed_key(id)).arg(micros(now)).arg(to_json(&now)?).arg(self.ttl_us).arg(self.ttl_ms);
        invocation.arg(product.id.as_str()).arg(to_json(&product)?).arg(quantity).arg(max_quantity).arg(CART_MAX_LINES);
        invocation.arg(self.max_lifetime_us);
        match self.session_script("add_to_cart", Some(&session_key(id)), invocation).await? {
            Ok(session) => Ok(session),
            Err(status) if status == "absent" => Err(StoreError::SessionNotFound),
            Err(status) if status == "renewed" => Err(StoreError::SessionRenewed),
            Err(status) if status == "full" => Err(StoreError::CartFull),
            Err(status) => Err(unexpected(&status)),
        }
    }

    async fn set_quantity(
        &self,
        id: &SessionId,
        product: &ProductId,
        quantity: u32,
    ) -> Result<Option<Session>, StoreError> {
        let mut invocation = self.scripts.set_quantity.key(session_key(id));
        invocation.arg(product.as_str()).arg(quantity);
        match self.session_script("set_quantity", Some(&session_key(id)), invocation).await? {
            Ok(session) => Ok(Some(session)),
            Err(status) if status == "absent" => Err(StoreError::SessionNotFound),
            Err(status) if status == "missing" => Ok(None),
            Err(status) => Err(unexpected(&status)),
        }
    }

    async fn order_for_key(
        &self,
        session: &SessionId,
        email: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Order>, StoreError> {
        let home = Home::of_session(session);
        let idem = idem_key(home, email, Some(key));
        let order_id: Option<String> = self.run("order_for_key", |mut c| async move { c.get(idem).await }).await?;
        let Some(order_id) = order_id else { return Ok(None) };
        let key = format!("{}{order_id}", order_key_prefix(home));
        let text: Option<String> = self.run("order_for_key", |mut c| async move { c.get(key).await }).await?;
        text.map(|t| from_json("order", &t)).transpose()
    }

    async fn place_order(
        &self,
        id: &SessionId,
        key: Option<&IdempotencyKey>,
        expected_cart: &[CartEntry],
        order: Order,
        savings: Cents,
    ) -> Result<Placed, StoreError> {
        let home = Home::of_session(id);
        if Home::of_order(&order.order_id) != home {
            return Err(StoreError::Backend(format!(
                "order {} is not in the home of its session (draw it with Home::new_order_id)",
                order.order_id
            )));
        }
        let mut invocation = self.scripts.place_order.key(session_key(id));
        invocation
            .key(idem_key(home, &order.email, key))
            .key(order_key(&order.order_id))
            .arg(if key.is_some() { "1" } else { "" })
            .arg(to_json(&expected_cart)?)
            .arg(to_json(&order)?)
            .arg(order.order_id.as_str())
            .arg(order_key_prefix(home))
            .arg(self.order_ttl_ms)
            .arg(self.idem_ttl_ms);
        let reply: Vec<String> = self
            .run_write("place_order", &session_key(id), |mut c| async move { invocation.invoke_async(&mut c).await })
            .await?;
        match reply.as_slice() {
            [status] if status == "placed" => {
                self.add_savings(&order, savings).await;
                Ok(Placed { order, replayed: false })
            }
            [status, stored] if status == "replayed" => {
                let order: Order = from_json("order", stored)?;
                // Adds nothing if this order's savings were added before (see `add_savings`).
                self.add_savings(&order, order.circle_savings_cents).await;
                Ok(Placed { order, replayed: true })
            }
            [status] if status == "absent" => Err(StoreError::SessionNotFound),
            [status] if status == "changed" => Err(StoreError::CartChanged),
            [status] if status == "taken" => Err(StoreError::OrderIdTaken),
            other => Err(unexpected(other.first().map_or("", String::as_str))),
        }
    }

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        let key = order_key(id);
        let text: Option<String> = self.run("order", |mut c| async move { c.get(key).await }).await?;
        text.map(|t| from_json("order", &t)).transpose()
    }

    async fn membership(&self, email: &str) -> Result<Option<Membership>, StoreError> {
        let key = membership_key(email);
        let fields: HashMap<String, String> =
            self.run("membership", |mut c| async move { c.hgetall(key).await }).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        membership_from_fields(fields).map(Some)
    }

    async fn join_membership(&self, email: &str, membership: Membership) -> Result<Membership, StoreError> {
        let mut fields = to_hash_fields(&membership)?;
        let Some(tier_at) = fields.iter().position(|(k, _)| k == "tier") else {
            return Err(StoreError::Backend("cannot encode a membership without a tier".into()));
        };
        let tier = fields.remove(tier_at);
        let mut invocation = self.scripts.join_membership.key(membership_key(email));
        invocation.arg(tier.0).arg(tier.1);
        for (k, v) in fields {
            invocation.arg(k).arg(v);
        }
        let stored: HashMap<String, String> = self
            .run_write("join_membership", &membership_key(email), |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        membership_from_fields(stored)
    }

    async fn bump_version(&self, id: &SessionId) -> Result<u64, StoreError> {
        let invocation = self.scripts.bump_version.key(session_key(id));
        let version: i64 = self
            .run_write("bump_version", &session_key(id), |mut c| async move { invocation.invoke_async(&mut c).await })
            .await?;
        u64::try_from(version).map_err(|_| StoreError::SessionNotFound)
    }

    async fn session_exists(&self, id: &SessionId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let key = session_key(id);
        let (seen, created): (Option<i64>, Option<i64>) = self
            .run("session_exists", |mut c| async move {
                redis::cmd("HMGET").arg(key).arg("lastSeenUs").arg("createdAtUs").query_async(&mut c).await
            })
            .await?;
        let now = micros(now);
        Ok(seen.is_some_and(|seen| {
            seen.saturating_add(self.ttl_us) > now && created.unwrap_or(seen).saturating_add(self.max_lifetime_us) > now
        }))
    }

    async fn reserve_login_attempt(
        &self,
        attempt: &LoginAttempt,
        limits: &LoginLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<(), LoginRefusal>, StoreError> {
        let window_us = limits.window.num_microseconds().unwrap_or(i64::MAX);
        let mut invocation = self.scripts.reserve_login_attempt.key(login_pair_key(attempt));
        invocation
            .key(login_client_key(attempt))
            .key(login_account_key(attempt))
            .arg(micros(now))
            .arg(window_us)
            .arg(limits.per_account_client)
            .arg(limits.per_client)
            .arg(limits.account_slow_after)
            .arg(limits.account_slow_interval.num_microseconds().unwrap_or(i64::MAX))
            .arg(&attempt.id)
            .arg(limits.window.num_milliseconds().max(1));
        let reply: Vec<String> =
            self.run("reserve_login_attempt", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        let free_at = |us: &str| -> Result<u64, StoreError> {
            let us: i64 = us.parse().map_err(|e| corrupt(format_args!("lockout time: {e}")))?;
            Ok(retry_after(now, DateTime::from_timestamp_micros(us).unwrap_or(now)))
        };
        match reply.as_slice() {
            [status] if status == "ok" => Ok(Ok(())),
            [status, at] if status == "pair" => {
                Ok(Err(LoginRefusal::AccountFromClient { retry_after_secs: free_at(at)? }))
            }
            [status, at] if status == "client" => Ok(Err(LoginRefusal::Client { retry_after_secs: free_at(at)? })),
            [status, at] if status == "account" => {
                Ok(Err(LoginRefusal::AccountSlowed { retry_after_secs: free_at(at)? }))
            }
            other => Err(unexpected(other.first().map_or("", String::as_str))),
        }
    }

    async fn settle_login_attempt(&self, attempt: &LoginAttempt, succeeded: bool) -> Result<(), StoreError> {
        if !succeeded {
            return Ok(());
        }
        let (pair, client, account) = (login_pair_key(attempt), login_client_key(attempt), login_account_key(attempt));
        let id = attempt.id.clone();
        self.run("settle_login_attempt", |mut c| async move {
            redis::pipe()
                .atomic()
                .del(&pair)
                .ignore()
                .zrem(&client, &id)
                .ignore()
                .zrem(&account, &id)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    async fn sweep_expired(&self, _now: DateTime<Utc>) -> Result<usize, StoreError> {
        // Redis expires idle sessions and old sign-in failures by their TTLs.
        Ok(0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let pong: String =
            self.run("ping", |mut c| async move { redis::cmd("PING").query_async(&mut c).await }).await?;
        if pong == "PONG" { Ok(()) } else { Err(unexpected(&pong)) }
    }

    // ---- Agentic Commerce Protocol ----

    async fn checkout_session(&self, id: &str) -> Result<Option<StoredCheckout>, StoreError> {
        let key = acp_checkout_key(id);
        let fields: HashMap<String, String> =
            self.run("checkout_session", |mut c| async move { c.hgetall(key).await }).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        let get = |name: &str| fields.get(name).ok_or_else(|| corrupt(format_args!("checkout without {name}")));
        let expires_us: i64 = get("expiresAtUs")?.parse().map_err(|e| corrupt(format_args!("expiresAtUs: {e}")))?;
        Ok(Some(StoredCheckout {
            id: id.to_owned(),
            version: get("version")?.parse().map_err(|e| corrupt(format_args!("checkout version: {e}")))?,
            expires_at: DateTime::from_timestamp_micros(expires_us).ok_or_else(|| corrupt("expiresAtUs"))?,
            json: get("json")?.clone(),
        }))
    }

    async fn save_checkout_session(&self, session: &StoredCheckout, expected: Option<u64>) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.acp_save.key(acp_checkout_key(&session.id));
        invocation
            .arg(expected.map(|v| v.to_string()).unwrap_or_default())
            .arg(session.version)
            .arg(&session.json)
            .arg(micros(session.expires_at))
            .arg(pexpire_ms(CHECKOUT_RETENTION));
        let written: i64 = self
            .run_write("save_checkout_session", &acp_checkout_key(&session.id), |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        Ok(written == 1)
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
        if Home::of_order(&order.order_id) != Home::ACP {
            return Err(StoreError::Backend(format!("ACP order {} is not in the ACP home", order.order_id)));
        }
        let mut invocation = self.scripts.acp_complete.key(acp_checkout_key(&session.id));
        invocation
            .key(order_key(&order.order_id))
            .key(acp_outbox_events_key())
            .key(acp_outbox_due_key())
            .key(acp_order_key(&acp_order.id))
            .arg(expected)
            .arg(session.version)
            .arg(&session.json)
            .arg(micros(session.expires_at))
            .arg(pexpire_ms(CHECKOUT_RETENTION))
            .arg(to_json(order)?)
            .arg(&event.id)
            .arg(to_json(event)?)
            .arg(micros(event.next_attempt_at))
            .arg(self.order_ttl_ms)
            .arg(acp_order.version)
            .arg(micros(acp_order.placed_at))
            .arg(&acp_order.json);
        let done: i64 = self
            .run_write("complete_checkout_session", &acp_checkout_key(&session.id), |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        if done == 1 {
            self.add_savings(order, savings).await;
        }
        Ok(done == 1)
    }

    async fn acp_order(&self, id: &str) -> Result<Option<StoredAcpOrder>, StoreError> {
        let key = acp_order_key(id);
        let fields: HashMap<String, String> =
            self.run("acp_order", |mut c| async move { c.hgetall(key).await }).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        let get = |name: &str| fields.get(name).ok_or_else(|| corrupt(format_args!("ACP order without {name}")));
        let placed_us: i64 = get("placedAtUs")?.parse().map_err(|e| corrupt(format_args!("placedAtUs: {e}")))?;
        Ok(Some(StoredAcpOrder {
            id: id.to_owned(),
            version: get("version")?.parse().map_err(|e| corrupt(format_args!("ACP order version: {e}")))?,
            placed_at: DateTime::from_timestamp_micros(placed_us).ok_or_else(|| corrupt("placedAtUs"))?,
            json: get("json")?.clone(),
        }))
    }

    async fn update_acp_order(
        &self,
        order: &StoredAcpOrder,
        expected: u64,
        event: &OutboxEvent,
    ) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.acp_order_update.key(acp_order_key(&order.id));
        invocation
            .key(acp_outbox_events_key())
            .key(acp_outbox_due_key())
            .arg(expected)
            .arg(order.version)
            .arg(&order.json)
            .arg(self.order_ttl_ms)
            .arg(&event.id)
            .arg(to_json(event)?)
            .arg(micros(event.next_attempt_at));
        let done: i64 = self
            .run_write("update_acp_order", &acp_order_key(&order.id), |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        Ok(done == 1)
    }

    async fn idempotency_begin(
        &self,
        scope: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        let mut invocation = self.scripts.acp_idem_begin.key(acp_idem_key(scope));
        invocation.arg(fingerprint).arg(micros(now)).arg(micros(now + lease)).arg(pexpire_ms(lease));
        let reply: Vec<String> = self
            .run_write("idempotency_begin", &acp_idem_key(scope), |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        match reply.as_slice() {
            [s] if s == "started" => Ok(IdempotencyBegin::Started),
            [s] if s == "in_flight" => Ok(IdempotencyBegin::InFlight),
            [s] if s == "conflict" => Ok(IdempotencyBegin::Conflict),
            [s, status, body] if s == "replay" => Ok(IdempotencyBegin::Replay(StoredResponse {
                status: status.parse().map_err(|e| corrupt(format_args!("idempotent status: {e}")))?,
                body: body.clone(),
            })),
            other => Err(unexpected(other.first().map_or("", String::as_str))),
        }
    }

    async fn idempotency_finish(
        &self,
        scope: &str,
        fingerprint: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut invocation = self.scripts.acp_idem_finish.key(acp_idem_key(scope));
        invocation
            .arg(fingerprint)
            .arg(response.status)
            .arg(&response.body)
            .arg(micros(now + IDEMPOTENCY_RETENTION))
            .arg(pexpire_ms(IDEMPOTENCY_RETENTION));
        let _: i64 = self
            .run_write("idempotency_finish", &acp_idem_key(scope), |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        Ok(())
    }

    async fn idempotency_release(&self, scope: &str) -> Result<(), StoreError> {
        let key = acp_idem_key(scope);
        self.run("idempotency_release", |mut c| async move { c.del::<_, ()>(key).await }).await
    }

    async fn outbox_push(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        let queue = (acp_outbox_events_key(), acp_outbox_due_key());
        self.enqueue("outbox_push", queue, event.id.clone(), to_json(event)?, micros(event.next_attempt_at)).await
    }

    async fn outbox_claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut invocation = self.scripts.acp_outbox_claim.key(acp_outbox_events_key());
        invocation
            .key(acp_outbox_due_key())
            .key(acp_outbox_parked_key())
            .arg(micros(now))
            .arg(micros(now + lease))
            .arg(limit);
        let reply: Vec<String> =
            self.run("outbox_claim", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        reply.iter().map(|json| from_json("outbox event", json)).collect()
    }

    async fn outbox_ack(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut invocation = self.scripts.acp_outbox_ack.key(acp_outbox_events_key());
        invocation.key(acp_outbox_due_key()).key(acp_outbox_parked_key()).arg(id).arg(micros(now));
        let _: i64 = self.run("outbox_ack", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        Ok(())
    }

    async fn outbox_retry(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        let mut invocation = self.scripts.acp_outbox_retry.key(acp_outbox_events_key());
        invocation.key(acp_outbox_due_key()).arg(&event.id).arg(to_json(event)?).arg(micros(event.next_attempt_at));
        let _: i64 = self.run("outbox_retry", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        Ok(())
    }

    async fn outbox_pending(&self) -> Result<usize, StoreError> {
        let events = acp_outbox_events_key();
        self.run("outbox_pending", |mut c| async move { c.hlen(events).await }).await
    }

    async fn refund_schedule(&self, refund: &PendingRefund) -> Result<(), StoreError> {
        let queue = (acp_refunds_queued_key(), acp_refunds_due_key());
        let (id, json, at) = (refund.order_id.clone(), to_json(refund)?, micros(refund.next_attempt_at));
        self.enqueue("refund_schedule", queue, id, json, at).await
    }

    async fn refund_claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<PendingRefund>, StoreError> {
        let mut invocation = self.scripts.acp_refund_claim.key(acp_refunds_queued_key());
        invocation.key(acp_refunds_due_key()).arg(micros(now)).arg(micros(now + lease)).arg(limit);
        let reply: Vec<String> =
            self.run("refund_claim", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        reply.iter().map(|json| from_json("pending refund", json)).collect()
    }

    async fn refund_retry(&self, refund: &PendingRefund) -> Result<(), StoreError> {
        let mut invocation = self.scripts.acp_outbox_retry.key(acp_refunds_queued_key());
        invocation
            .key(acp_refunds_due_key())
            .arg(&refund.order_id)
            .arg(to_json(refund)?)
            .arg(micros(refund.next_attempt_at));
        let _: i64 = self.run("refund_retry", |mut c| async move { invocation.invoke_async(&mut c).await }).await?;
        Ok(())
    }

    async fn refund_done(&self, order_id: &str) -> Result<(), StoreError> {
        let (queued, due, id) = (acp_refunds_queued_key(), acp_refunds_due_key(), order_id.to_owned());
        self.run("refund_done", |mut c| async move {
            redis::pipe().atomic().hdel(&queued, &id).ignore().zrem(&due, &id).ignore().query_async::<()>(&mut c).await
        })
        .await
    }

    async fn refunds_pending(&self) -> Result<usize, StoreError> {
        let queued = acp_refunds_queued_key();
        self.run("refunds_pending", |mut c| async move { c.hlen(queued).await }).await
    }

    async fn account_session(&self, fresh: Session, now: DateTime<Utc>) -> Result<Session, StoreError> {
        let fresh = Session { kind: SessionKind::Account, ..fresh };
        let fields = self.session_fields(&fresh)?;
        let mut invocation = self.scripts.account_session.key(session_key(&fresh.id));
        invocation.arg(micros(now)).arg(to_json(&now)?).arg(self.account_ttl_us).arg(self.account_ttl_ms);
        for (field, value) in &fields {
            invocation.arg(field).arg(value);
        }
        match self.session_script("account_session", None, invocation).await? {
            Ok(session) => Ok(session),
            Err(status) => Err(unexpected(&status)),
        }
    }

    async fn merge_cart(
        &self,
        from: &SessionId,
        into: &SessionId,
        max_quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let into_key = session_key(into);
        if !self.run("merge_cart", |mut c| async move { c.exists::<_, bool>(into_key).await }).await? {
            return Err(StoreError::SessionNotFound);
        }
        // 1. The lines leave `from` for its escrow (or an unfinished earlier merge is resumed).
        let from_key = session_key(from);
        let mut take = self.scripts.merge_take.key(&from_key);
        take.arg(micros(now)).arg(self.ttl_us).arg(self.max_lifetime_us).arg(into.as_str()).arg(random_hex());
        let reply: Vec<String> =
            self.run_write("merge_cart", &from_key, |mut c| async move { take.invoke_async(&mut c).await }).await?;
        let escrow: MergeEscrow = match reply.as_slice() {
            [status] if status == "none" => return Ok(None),
            [status, escrow] if status == "moving" => from_json("merge escrow", escrow)?,
            other => return Err(unexpected(other.first().map_or("", String::as_str))),
        };
        // 2. They join the target's cart, once.
        let target = SessionId::parse(escrow.into.as_str()).map_err(corrupt)?;
        let target_key = session_key(&target);
        let mut put = self.scripts.merge_put.key(&target_key);
        put.arg(&escrow.id).arg(max_quantity).arg(CART_MAX_LINES).arg(micros(now));
        for (pid, quantity, product) in &escrow.lines {
            put.arg(pid).arg(quantity).arg(product);
        }
        let reply: Vec<String> =
            self.run_write("merge_cart", &target_key, |mut c| async move { put.invoke_async(&mut c).await }).await?;
        let gone = matches!(reply.as_slice(), [status] if status == "absent");
        let (left, merged) = match reply.split_first() {
            Some((status, [left, fields @ ..])) if status == "ok" => (left.clone(), Some(decode_session(fields)?)),
            Some((status, [left])) if status == "done" || status == "none" => (left.clone(), None),
            // The target went away meanwhile: every line goes back.
            _ if gone => (escrow.lines.iter().map(|(pid, ..)| pid.as_str()).collect::<Vec<_>>().join(","), None),
            _ => return Err(unexpected(reply.first().map_or("", String::as_str))),
        };
        // 3. The escrow closes; what did not fit goes back to `from`.
        let mut release = self.scripts.merge_release.key(&from_key);
        release.arg(&escrow.id).arg(max_quantity).arg(left);
        self.run_write("merge_cart", &from_key, |mut c| async move { release.invoke_async::<i64>(&mut c).await })
            .await?;
        if gone && target == *into {
            return Err(StoreError::SessionNotFound);
        }
        // A resumed merge into another session moved nothing into this one.
        Ok(merged.filter(|_| target == *into))
    }

    async fn account_id_secret(&self, candidate: String) -> Result<String, StoreError> {
        let key = account_id_secret_key();
        let (_, stored): (bool, Option<String>) = self
            .run("account_id_secret", |mut c| async move {
                redis::pipe().atomic().set_nx(&key, candidate).get(&key).query_async(&mut c).await
            })
            .await?;
        stored.ok_or_else(|| unexpected("no account id secret after SETNX"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use chrono::Duration as Span;
    use shared::membership::MembershipTier;

    use super::*;
    use crate::store::contract::{CONTRACT_TTL, idem, order, product, session, sid};
    use crate::store::redis_test_server::{RedisTestServer, TlsFiles};

    const LOGIN_LIMITS: LoginLimits = LoginLimits {
        window: Span::minutes(15),
        per_account_client: 5,
        per_client: 20,
        account_slow_after: 50,
        account_slow_interval: Span::seconds(1),
    };

    /// Generous bound for one operation against a dead or frozen Redis.
    const ANSWER_WITHIN: Duration = Duration::from_secs(8);

    async fn redis_store() -> (RedisTestServer, RedisStore) {
        let server = RedisTestServer::start().await;
        let store = RedisStore::connect(&server.url(), CONTRACT_TTL).await.unwrap();
        (server, store)
    }

    crate::store::contract::store_contract_tests!(redis_store);
    crate::store::commerce_contract::commerce_contract_tests!(redis_store);
    crate::store::oauth_contract::oauth_contract_tests!(redis_store);

    async fn cmd<T: redis::FromRedisValue>(store: &RedisStore, args: &[&str]) -> T {
        let mut c = store.conn.clone();
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command.query_async(&mut c).await.unwrap()
    }

    async fn pttl(store: &RedisStore, key: &str) -> i64 {
        cmd(store, &["PTTL", key]).await
    }

    fn member() -> Membership {
        Membership { tier: MembershipTier::Circle, member_since: Utc::now(), lifetime_savings_cents: Cents(0) }
    }

    #[tokio::test]
    async fn keys_follow_the_documented_schema() {
        let (_server, store) = redis_store().await;
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 2, 99, now).await.unwrap();
        store.join_membership("Shopper@Example.com", member()).await.unwrap();
        let key = idem("checkout-key-1");
        store.place_order(&sid(1), Some(&key), &s.cart, order(7, "Shopper@Example.com", now), Cents(5)).await.unwrap();
        store.add_to_cart(&sid(1), product("10000002"), 1, 99, now).await.unwrap();
        let attempt =
            LoginAttempt { account: "shopper@example.com".into(), client: "10.0.0.1".into(), id: "a1".into() };
        store.reserve_login_attempt(&attempt, &LOGIN_LIMITS, now).await.unwrap().unwrap();

        let mut keys: Vec<String> = cmd(&store, &["KEYS", "*"]).await;
        keys.sort();
        // sid(1) and order 7 are in home 0 (`store/home.rs`).
        let session = format!("target:v2:{{0000}}:session:{}", sid(1));
        assert_eq!(
            keys,
            [
                "target:v1:membership:shopper@example.com",
                "target:v1:{login}:account:shopper@example.com",
                "target:v1:{login}:client:10.0.0.1",
                "target:v1:{login}:pair:10.0.0.1|shopper@example.com",
                "target:v2:{0000}:idem:shopper@example.com|checkout-key-1",
                "target:v2:{0000}:order:TGT-000000000007",
                session.as_str(),
            ]
        );
        for (key, kind) in [
            (session.as_str(), "hash"),
            ("target:v2:{0000}:order:TGT-000000000007", "string"),
            ("target:v2:{0000}:idem:shopper@example.com|checkout-key-1", "string"),
            ("target:v1:membership:shopper@example.com", "hash"),
            ("target:v1:{login}:account:shopper@example.com", "zset"),
            ("target:v1:{login}:client:10.0.0.1", "zset"),
            ("target:v1:{login}:pair:10.0.0.1|shopper@example.com", "zset"),
        ] {
            assert_eq!(cmd::<String>(&store, &["TYPE", key]).await, kind, "{key}");
        }
        let mut fields: Vec<String> = cmd(&store, &["HKEYS", &session]).await;
        fields.sort();
        assert_eq!(
            fields,
            [
                "createdAt",
                "createdAtUs",
                "id",
                "lastSeen",
                "lastSeenUs",
                "lines",
                "product:10000002",
                "qty:10000002",
                "searches",
                "user",
                "version"
            ]
        );
        let idem_order: String =
            cmd(&store, &["GET", "target:v2:{0000}:idem:shopper@example.com|checkout-key-1"]).await;
        assert_eq!(idem_order, "TGT-000000000007");
        let savings: String =
            cmd(&store, &["HGET", "target:v1:membership:shopper@example.com", "lifetimeSavingsCents"]).await;
        assert_eq!(savings, "5");
        let mut fields: Vec<String> = cmd(&store, &["HKEYS", "target:v1:membership:shopper@example.com"]).await;
        fields.sort();
        assert_eq!(fields, ["lifetimeSavingsCents", "memberSince", "savedOrder:TGT-000000000007", "tier"]);
        let read = store.membership("shopper@example.com").await.unwrap().expect("a member");
        assert_eq!(read.lifetime_savings_cents, Cents(5), "the mark is not part of the membership");
        let tier: String = cmd(&store, &["HGET", "target:v1:membership:shopper@example.com", "tier"]).await;
        assert_eq!(tier, "\"circle\"");
    }

    #[tokio::test]
    async fn session_ttl_slides_on_use_and_survives_other_writes() {
        let (_server, store) = redis_store().await;
        let now = Utc::now();
        let key = session_key(&sid(1));
        let full = CONTRACT_TTL.as_millis() as i64;
        store.create_session(session(1, now)).await.unwrap();
        let ttl = pttl(&store, &key).await;
        assert!(full - 5_000 < ttl && ttl <= full, "a new session lives for the TTL, got {ttl} ms");

        // As if 595 s had passed: a read slides the expiry back to the full TTL.
        let _: bool = cmd(&store, &["PEXPIRE", &key, "5000"]).await;
        store.session(&sid(1), now).await.unwrap().expect("session");
        let ttl = pttl(&store, &key).await;
        assert!(full - 5_000 < ttl, "a read slides the expiry, got {ttl} ms");

        // So does an add to the cart, which uses the session as a read does.
        let _: bool = cmd(&store, &["PEXPIRE", &key, "5000"]).await;
        store.add_to_cart(&sid(1), product("10000002"), 1, 99, now).await.unwrap();
        let ttl = pttl(&store, &key).await;
        assert!(full - 5_000 < ttl, "an add to the cart slides the expiry, got {ttl} ms");

        // Other writes neither slide nor drop the expiry.
        let _: bool = cmd(&store, &["PEXPIRE", &key, "5000"]).await;
        let s = store.set_quantity(&sid(1), &product("10000002").id, 3).await.unwrap().expect("in the cart");
        store.set_user(&sid(1), None).await.unwrap();
        store.record_search(&sid(1), "lamp").await.unwrap();
        store.bump_version(&sid(1)).await.unwrap();
        store.place_order(&sid(1), None, &s.cart, order(1, "a@b.co", now), Cents(0)).await.unwrap();
        let ttl = pttl(&store, &key).await;
        assert!(0 < ttl && ttl <= 5_000, "other writes keep the expiry as it was, got {ttl} ms");

        // When the TTL runs out the session is gone for every operation.
        let _: bool = cmd(&store, &["PEXPIRE", &key, "0"]).await;
        assert!(store.session(&sid(1), now).await.unwrap().is_none());
        assert!(matches!(
            store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await,
            Err(StoreError::SessionNotFound)
        ));
    }

    #[tokio::test]
    async fn sessions_end_at_their_absolute_lifetime_and_the_key_expires_then() {
        let server = RedisTestServer::start().await;
        let store = RedisStore::connect(&server.url(), Duration::from_secs(60))
            .await
            .unwrap()
            .with_max_lifetime(Duration::from_secs(300));
        crate::store::contract::sessions_end_at_their_absolute_lifetime_however_busy(&store).await;
        // Redis drops the key at the end of the lifetime even if the TTL would slide further.
        let t0 = Utc::now() - Span::seconds(280);
        let mut old = session(2, t0);
        old.last_seen = Utc::now();
        store.create_session(old).await.unwrap();
        let ttl = pttl(&store, &session_key(&sid(2))).await;
        assert!(0 < ttl && ttl <= 20_000, "20 s of lifetime left, not the 60 s TTL: {ttl} ms");
        store.session(&sid(2), Utc::now()).await.unwrap().expect("alive");
        let ttl = pttl(&store, &session_key(&sid(2))).await;
        assert!(0 < ttl && ttl <= 20_000, "a read slides no further than the lifetime: {ttl} ms");
    }

    #[tokio::test]
    async fn a_renewal_keeps_the_key_expiry_and_the_retired_id_is_marked_for_the_ttl_only() {
        let server = RedisTestServer::start().await;
        let store = RedisStore::connect(&server.url(), Duration::from_secs(60))
            .await
            .unwrap()
            .with_max_lifetime(Duration::from_secs(300));
        crate::store::contract::a_renewed_session_keeps_its_absolute_lifetime(&store).await;
        // In real time: a session 280 s old renewed now keeps the 20 s left of its lifetime.
        let now = Utc::now();
        let mut old = session(2, now - Span::seconds(280));
        old.last_seen = now;
        store.create_session(old).await.unwrap();
        let user = User { email: "sam@example.com".into(), name: "Sam".into() };
        store.renew_session(&sid(2), &sid(3), &user, now).await.unwrap();
        let ttl = pttl(&store, &session_key(&sid(3))).await;
        assert!(0 < ttl && ttl <= 20_000, "the renewed key ends with the lifetime: {ttl} ms");
        assert_eq!(cmd::<i64>(&store, &["EXISTS", &session_key(&sid(2))]).await, 0, "the old key is gone");
        let marker = pttl(&store, &renewed_key(&sid(2))).await;
        assert!(50_000 < marker && marker <= 60_000, "the retired id's marker lives for the session TTL: {marker} ms");
    }

    #[tokio::test]
    async fn a_short_ttl_is_both_the_redis_ttl_and_the_now_check() {
        let server = RedisTestServer::start().await;
        let store = RedisStore::connect(&server.url(), Duration::from_millis(2_500)).await.unwrap();
        let t0 = Utc::now();
        let key = session_key(&sid(1));
        store.create_session(session(1, t0)).await.unwrap();
        let ttl = pttl(&store, &key).await;
        assert!(0 < ttl && ttl <= 2_500, "got {ttl} ms");
        assert!(store.session(&sid(1), t0 + Span::milliseconds(2_000)).await.unwrap().is_some());
        assert!(store.session(&sid(1), t0 + Span::milliseconds(4_000)).await.unwrap().is_some(), "slid at 2 s");
        assert!(store.session(&sid(1), t0 + Span::milliseconds(6_500)).await.unwrap().is_none(), "idle 2.5 s");
        assert_eq!(cmd::<i64>(&store, &["EXISTS", &key]).await, 0, "an expired session is deleted when seen");
    }

    #[tokio::test]
    async fn orders_and_keys_expire_after_their_retention_memberships_never_and_failures_do() {
        let (_server, store) = redis_store().await;
        let retention =
            Retention { orders: Duration::from_secs(30 * 24 * 3600), idempotency_keys: Duration::from_secs(3600) };
        let store = store.with_retention(retention);
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
        store.join_membership("a@b.co", member()).await.unwrap();
        store
            .place_order(&sid(1), Some(&idem("checkout-key-1")), &s.cart, order(1, "a@b.co", now), Cents(1))
            .await
            .unwrap();
        for (key, expiry) in [
            ("target:v2:{0000}:order:TGT-000000000001", retention.orders),
            ("target:v2:{0000}:idem:a@b.co|checkout-key-1", retention.idempotency_keys),
        ] {
            let (ttl, full) = (pttl(&store, key).await, expiry.as_millis() as i64);
            assert!(full - 5_000 < ttl && ttl <= full, "{key} expires after {expiry:?}, got {ttl} ms");
        }
        assert_eq!(pttl(&store, "target:v1:membership:a@b.co").await, -1, "memberships have no expiry");
        let attempt = LoginAttempt { account: "a@b.co".into(), client: "10.0.0.1".into(), id: "a1".into() };
        store.reserve_login_attempt(&attempt, &LOGIN_LIMITS, now).await.unwrap().unwrap();
        let window = LOGIN_LIMITS.window.num_milliseconds();
        for key in [
            "target:v1:{login}:pair:10.0.0.1|a@b.co",
            "target:v1:{login}:client:10.0.0.1",
            "target:v1:{login}:account:a@b.co",
        ] {
            let ttl = pttl(&store, key).await;
            assert!(window - 5_000 < ttl && ttl <= window, "{key} expires after the window, got {ttl} ms");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_adds_from_two_instances_lose_nothing() {
        let (server, a) = redis_store().await;
        let b = RedisStore::connect(&server.url(), CONTRACT_TTL).await.unwrap();
        let now = Utc::now();
        a.create_session(session(1, now)).await.unwrap();
        let mut tasks = Vec::new();
        for n in 0..50 {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(
                async move { store.add_to_cart(&sid(1), product("10000001"), 1, 1_000, now).await },
            ));
        }
        for n in 0..20 {
            let store = if n % 2 == 0 { b.clone() } else { a.clone() };
            let distinct = product(&format!("{}", 20_000_000 + n));
            tasks.push(tokio::spawn(async move { store.add_to_cart(&sid(1), distinct, 1, 1_000, now).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let s = b.session(&sid(1), now).await.unwrap().unwrap();
        assert_eq!(s.cart.len(), 21, "every new line is there");
        let shared = s.cart.iter().find(|e| e.product.id.as_str() == "10000001").unwrap();
        assert_eq!(shared.quantity, 50, "no add was lost");
        assert_eq!(s.version, 70, "every add bumped the version once");
    }

    /// Ten checkouts of one member's two-item cart at once, alternating between two instances,
    /// all with `key` (or none). Returns one store and every outcome.
    async fn ten_concurrent_checkouts(
        key: Option<&'static str>,
    ) -> (RedisTestServer, RedisStore, Vec<Result<Placed, StoreError>>) {
        let (server, a) = redis_store().await;
        let b = RedisStore::connect(&server.url(), CONTRACT_TTL).await.unwrap();
        let now = Utc::now();
        a.create_session(session(1, now)).await.unwrap();
        a.join_membership("a@b.co", member()).await.unwrap();
        let cart = a.add_to_cart(&sid(1), product("10000001"), 2, 99, now).await.unwrap().cart;
        let mut tasks = Vec::new();
        for n in 0..10u64 {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            let cart = cart.clone();
            tasks.push(tokio::spawn(async move {
                let key = key.map(idem);
                store.place_order(&sid(1), key.as_ref(), &cart, order(n + 1, "a@b.co", now), Cents(40)).await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        (server, a, outcomes)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checkouts_with_one_key_place_one_order() {
        let (_server, a, outcomes) = ten_concurrent_checkouts(Some("same-checkout-key")).await;
        let placed: Vec<Placed> = outcomes.into_iter().map(Result::unwrap).collect();
        let fresh: Vec<_> = placed.iter().filter(|p| !p.replayed).collect();
        assert_eq!(fresh.len(), 1, "exactly one order is placed");
        let winner = fresh[0].order.order_id.clone();
        assert!(placed.iter().all(|p| p.order.order_id == winner), "every replay answers the same order");
        let now = Utc::now();
        for n in 1..=10 {
            let id = order(n, "", now).order_id;
            assert_eq!(a.order(&id).await.unwrap().is_some(), id == winner);
        }
        assert_eq!(a.membership("a@b.co").await.unwrap().unwrap().lifetime_savings_cents, Cents(40));
        let s = a.session(&sid(1), now).await.unwrap().unwrap();
        assert!(s.cart.is_empty());
        assert_eq!(s.version, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checkouts_without_a_key_place_exactly_one() {
        let (_server, a, outcomes) = ten_concurrent_checkouts(None).await;
        let (mut ok, mut changed) = (0, 0);
        for outcome in outcomes {
            match outcome {
                Ok(p) => {
                    assert!(!p.replayed);
                    ok += 1;
                }
                Err(StoreError::CartChanged) => changed += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!((ok, changed), (1, 9));
        assert_eq!(a.membership("a@b.co").await.unwrap().unwrap().lifetime_savings_cents, Cents(40));
        let orders: Vec<String> = cmd(&a, &["KEYS", "target:v2:*:order:*"]).await;
        assert_eq!(orders.len(), 1);
    }

    /// Every kind of operation, at once, must fail with a backend error within [`ANSWER_WITHIN`].
    async fn all_fail_with_backend_errors(store: &RedisStore) {
        let now = Utc::now();
        let (one, empty) = (sid(1), Vec::new());
        let attempt = LoginAttempt { account: "a@b.co".into(), client: "10.0.0.1".into(), id: "a1".into() };
        let started = Instant::now();
        async fn expect_backend<T: std::fmt::Debug>(what: &str, op: impl Future<Output = Result<T, StoreError>>) {
            let result = tokio::time::timeout(ANSWER_WITHIN, op).await.unwrap_or_else(|_| panic!("{what} hung"));
            match result {
                Err(StoreError::Backend(message)) => eprintln!("{what}: {message}"),
                other => panic!("{what}: expected a backend error, got {other:?}"),
            }
        }
        tokio::join!(
            expect_backend("ping", store.ping()),
            expect_backend("session", store.session(&one, now)),
            expect_backend("create_session", store.create_session(session(2, now))),
            expect_backend("add_to_cart", store.add_to_cart(&one, product("10000001"), 1, 99, Utc::now())),
            expect_backend("place_order", store.place_order(&one, None, &empty, order(1, "a@b.co", now), Cents(0))),
            expect_backend("membership", store.membership("a@b.co")),
            expect_backend("reserve_login_attempt", store.reserve_login_attempt(&attempt, &LOGIN_LIMITS, now)),
        );
        eprintln!("7 operations failed in {:?}", started.elapsed());
    }

    /// Polls until the store answers again; returns how long that took.
    async fn recovers(store: &RedisStore) -> Duration {
        let started = Instant::now();
        loop {
            match tokio::time::timeout(ANSWER_WITHIN, store.ping()).await {
                Ok(Ok(())) => return started.elapsed(),
                _ if started.elapsed() > Duration::from_secs(15) => panic!("the store did not reconnect"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    #[tokio::test]
    async fn a_dead_redis_is_a_backend_error_and_the_store_reconnects() {
        let (mut server, store) = redis_store().await;
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        server.stop();
        // The first calls find the connection dropped, the next ones find Redis refusing.
        all_fail_with_backend_errors(&store).await;
        all_fail_with_backend_errors(&store).await;
        server.restart().await;
        eprintln!("reconnected {:?} after the restart", recovers(&store).await);
        // Nothing was persisted, so the restarted Redis is empty; the same store works for everything.
        assert!(store.session(&sid(1), now).await.unwrap().is_none());
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await.unwrap();
        store.place_order(&sid(1), None, &s.cart, order(1, "a@b.co", now), Cents(0)).await.unwrap();
    }

    #[tokio::test]
    async fn a_frozen_redis_is_a_backend_error_not_a_hang() {
        let (server, store) = redis_store().await;
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        server.pause();
        all_fail_with_backend_errors(&store).await;
        server.resume();
        eprintln!("answered {:?} after the resume", recovers(&store).await);
        assert!(store.session(&sid(1), now).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn connecting_to_a_closed_port_or_a_bad_url_fails_quickly() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        for url in [format!("redis://127.0.0.1:{port}/"), "not a url".into(), format!("rediss://127.0.0.1:{port}/")] {
            let started = Instant::now();
            let result = tokio::time::timeout(ANSWER_WITHIN, RedisStore::connect(&url, CONTRACT_TTL)).await;
            let result = result.unwrap_or_else(|_| panic!("connect to {url} hung"));
            assert!(matches!(result, Err(StoreError::Backend(_))), "{url}: {result:?}");
            eprintln!("{url}: {:?} in {:?}", result.err(), started.elapsed());
        }
    }

    /// Keys an older version laid out as version 1 are renamed on connect, with their expiry:
    /// a shopper's cart, a retired id, an order and the ACP queues survive the upgrade.
    #[tokio::test]
    async fn version_1_keys_move_to_version_2_on_connect() {
        let (server, store) = redis_store().await;
        let now = Utc::now();
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 2, 99, now).await.unwrap();
        let refund = PendingRefund { order_id: "TGT-987654321098".into(), attempts: 0, next_attempt_at: now };
        store.refund_schedule(&refund).await.unwrap();
        // Lay the same data out as version 1 did (and an order drawn outside any home).
        let v1_session = format!("target:v1:session:{}", sid(1));
        let _: () = cmd(&store, &["RENAME", &session_key(&sid(1)), &v1_session]).await;
        let _: () = cmd(&store, &["RENAME", &acp_refunds_queued_key(), "target:v1:acp:refunds:queued"]).await;
        let _: () = cmd(&store, &["RENAME", &acp_refunds_due_key(), "target:v1:acp:refunds:due"]).await;
        let _: () = cmd(&store, &["SET", "target:v1:order:TGT-987654321098", "{}", "PX", "600000"]).await;
        let _: () = cmd(&store, &["SET", "target:v1:renewed:sess_0000000000000000000000000000000f", "1"]).await;
        let _: () = cmd(&store, &["SET", "target:v1:session:not-an-id", "x"]).await;

        let upgraded = RedisStore::connect(&server.url(), CONTRACT_TTL).await.unwrap();
        let read = upgraded.session(&sid(1), now).await.unwrap().expect("the cart survived");
        assert_eq!(read.cart, s.cart);
        assert!(pttl(&upgraded, &session_key(&sid(1))).await > 0, "with its expiry");
        let due = upgraded.refund_claim(now, chrono::Duration::seconds(30), 10).await.unwrap();
        assert_eq!(due.iter().map(|r| r.order_id.as_str()).collect::<Vec<_>>(), ["TGT-987654321098"]);
        let ttl = pttl(&upgraded, "target:v2:{9876}:order:TGT-987654321098").await;
        assert!(ttl > 590_000, "the order moved to its number's home with its expiry, got {ttl}");
        let mut left: Vec<String> = cmd(&upgraded, &["KEYS", "target:v1:*"]).await;
        left.sort();
        assert_eq!(left, ["target:v1:session:not-an-id"], "what is not a version 1 name is left alone");
        assert_eq!(upgraded.migrate_v1().await.unwrap(), 0, "a second run moves nothing");
    }

    #[tokio::test]
    async fn unreadable_data_is_a_backend_error_not_a_panic() {
        let (_server, store) = redis_store().await;
        let now = Utc::now();
        let _: () = cmd(&store, &["SET", "target:v2:{0000}:order:TGT-000000000001", "{not json"]).await;
        assert!(matches!(store.order(&order(1, "", now).order_id).await, Err(StoreError::Backend(_))));
        let _: () = cmd(&store, &["HSET", "target:v1:membership:a@b.co", "tier", "\"platinum\""]).await;
        assert!(matches!(store.membership("a@b.co").await, Err(StoreError::Backend(_))));
        let wrong_type = session_key(&sid(1));
        let _: () = cmd(&store, &["SET", &wrong_type, "a string, not a hash"]).await;
        assert!(matches!(store.session(&sid(1), now).await, Err(StoreError::Backend(_))));
        assert!(matches!(
            store.add_to_cart(&sid(1), product("10000001"), 1, 99, now).await,
            Err(StoreError::Backend(_))
        ));
        store.create_session(session(2, now)).await.unwrap();
        let _: () = cmd(&store, &["HSET", &session_key(&sid(2)), "lines", "10000001"]).await;
        assert!(matches!(store.session(&sid(2), now).await, Err(StoreError::Backend(_))));
        let placed = store.place_order(&sid(2), None, &[], order(2, "a@b.co", now), Cents(0)).await;
        assert!(matches!(placed, Err(StoreError::Backend(_))), "{placed:?}");
    }

    #[tokio::test]
    async fn rediss_checks_the_certificate_unless_told_not_to() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let files = TlsFiles::generate();
        let server = RedisTestServer::start_tls(&files).await;
        let now = Utc::now();
        let tls = |insecure, ca_pem| RedisTls { insecure, ca_pem };

        // Verified against the CA that signed the server's certificate: the store works.
        let ca = std::fs::read(files.ca()).unwrap();
        let client = open_client(&server.tls_url(), &tls(false, Some(ca))).unwrap();
        let store = RedisStore::connect_client(client, CONTRACT_TTL).await.unwrap();
        store.create_session(session(1, now)).await.unwrap();
        let s = store.add_to_cart(&sid(1), product("10000001"), 2, 99, now).await.unwrap();
        assert_eq!(s.cart[0].quantity, 2);

        // The default (trusted public roots) and a stranger's CA refuse the certificate.
        let stranger = std::fs::read(TlsFiles::generate().ca()).unwrap();
        for (what, options) in [("public roots", tls(false, None)), ("another CA", tls(false, Some(stranger)))] {
            let client = open_client(&server.tls_url(), &options).unwrap();
            let refused = RedisStore::connect_client(client, CONTRACT_TTL).await;
            match refused {
                Err(StoreError::Backend(message)) => {
                    assert!(message.to_lowercase().contains("certificate"), "{what}: {message}")
                }
                other => panic!("{what}: expected a certificate error, got {other:?}"),
            }
        }

        // Heroku's self-signed certificates: REDIS_TLS_INSECURE accepts any certificate, and the
        // data is the same store's.
        let client = open_client(&server.tls_url(), &tls(true, None)).unwrap();
        let insecure = RedisStore::connect_client(client, CONTRACT_TTL).await.unwrap();
        let seen = insecure.session(&sid(1), now).await.unwrap().expect("the session is there");
        assert_eq!(seen.cart.len(), 1);

        // Plain redis:// to the TLS port is not a hang but an error.
        let plain =
            format!("redis://127.0.0.1:{}/", server.tls_url().rsplit(':').next().unwrap().trim_end_matches('/'));
        let result = tokio::time::timeout(ANSWER_WITHIN, RedisStore::connect(&plain, CONTRACT_TTL)).await;
        assert!(matches!(result, Ok(Err(StoreError::Backend(_)))), "{result:?}");
    }
}

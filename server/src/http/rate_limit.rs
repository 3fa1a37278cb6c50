//! Rate limits per client IP and per session, answered 429 with `Retry-After`.
//!
//! One GCRA limiter (the `governor` crate: a token bucket without a timer task) counts every
//! request of a client ([`ClientIp::limit_key`]: the address, or its /64 for IPv6) and,
//! separately, every request that names a session: the `sessionId` tool argument of a JSON-RPC
//! `tools/call` (also inside a batch) or the `sessionId` of a REST body. To find it the layer
//! reads the body — after the body limit, and only up to it — and hands the same bytes on.
//!
//! Made-up session ids cannot grow the limiter: a request naming more than
//! [`MAX_SESSIONS_PER_REQUEST`] distinct sessions is refused (400), and a session id gets a bucket
//! only once the store says that session exists (an id the limiter already tracks is not looked
//! up again); the per-client limit covers requests naming unknown sessions. The buckets live in a
//! bounded cache (`RATE_LIMIT_MAX_KEYS` per limiter; moka, whose admission policy keeps the keys
//! in steady use when a flood of one-off keys arrives), and the sweeper drops buckets that are
//! full again.
//!
//! Time comes from the app's [`Clock`] (made monotonic in `limiter.rs`, which holds the bounded
//! buckets too), so tests drive the buckets with a `ManualClock` instead of depending on how fast
//! the machine is.
//!
//! Three limiters exist: the general one on every MCP and /api request (`RATE_LIMIT_PER_SEC`,
//! `RATE_LIMIT_BURST`; 0 per second disables it), a stricter one on the sign-in endpoint
//! (`SIGNIN_RATE_LIMIT_PER_MIN`, `SIGNIN_RATE_LIMIT_BURST`), because every attempt there costs
//! an argon2 hash, and one per linked account (`ACCOUNT_RATE_LIMIT_PER_SEC`,
//! `ACCOUNT_RATE_LIMIT_BURST`) that the bearer gate (`identity/bearer.rs`) charges for every MCP
//! request whose token it accepted, so one account spread over many IPs gets one quota (per
//! instance, like the others). The sign-in lockout (per account and client) is separate (`identity/signin.rs`).
//!
//! Why `governor` under a small axum middleware rather than `tower_governor`: the per-session key
//! lives in the body, which a tower_governor key extractor cannot read, and the refusal should
//! be our JSON error shape (`AppError::RateLimited`, through [`Refusal`]) like every other 4xx.

use std::borrow::Cow;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::Quota;
use governor::clock::Clock as GovernorClock;
use governor::state::InMemoryState;
use serde::Deserialize;
use serde_json::value::RawValue;
use shared::ids::SessionId;

use super::body_limit::{BodyLimit, is_too_large};
use super::client_ip::{ClientIp, ClientKey};
use super::refusal::Refusal;
use crate::clock::Clock;
use crate::config::Config;
use crate::limiter::{self, BoundedBuckets, KeyedLimiter};
use crate::store::Store;

/// Most distinct sessions one request may name (a batch of calls for one shopper names one).
pub const MAX_SESSIONS_PER_REQUEST: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(ClientKey),
    Session(SessionId),
    /// A linked account, by its normalized email.
    Account(String),
}

type Limiter = KeyedLimiter<Key>;

/// One keyed limiter, the store it asks whether a session exists, and the most body it reads to
/// find session ids (when no body limit layer ran before it). Cheap to clone.
#[derive(Clone)]
pub struct RequestLimiter {
    limiter: Arc<Limiter>,
    /// The limiter's buckets (the same cache: a clone shares it), to ask whether a key has one.
    buckets: moka::sync::Cache<Key, Arc<InMemoryState>>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    max_body: usize,
}

impl std::fmt::Debug for RequestLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLimiter").field("keys", &self.limiter.len()).field("max_body", &self.max_body).finish()
    }
}

impl RequestLimiter {
    /// A limiter of `quota` per key, at most `max_keys` keys, on `clock`'s time.
    pub fn new(quota: Quota, max_keys: u64, store: Arc<dyn Store>, clock: Arc<dyn Clock>, max_body: usize) -> Self {
        let buckets = BoundedBuckets::new(max_keys);
        let cache = buckets.cache().clone();
        let limiter: Limiter = limiter::keyed(quota, buckets, clock.clone());
        RequestLimiter { limiter: Arc::new(limiter), buckets: cache, store, clock, max_body }
    }

    /// `Err(seconds to wait)` when `key` is over its quota; a refused request uses no quota.
    fn check(&self, key: &Key) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(self.limiter.clock().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Counts a request naming `session`: against its bucket if it has one, else only once the
    /// store confirms the session exists (an unknown id mints nothing).
    async fn check_session(&self, session: &SessionId) -> Result<(), u64> {
        let key = Key::Session(session.clone());
        if !self.limiter_tracks(&key) {
            match self.store.session_exists(session, self.clock.now()).await {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(error) => {
                    // The per-client limit still holds; the tool reports the store error itself.
                    tracing::warn!(%error, "rate limit: cannot check the session; counting the client only");
                    return Ok(());
                }
            }
        }
        self.check(&key)
    }

    /// Counts a request of the linked account `email`: `Err(seconds to wait)` over its quota.
    pub fn check_account(&self, email: &str) -> Result<(), u64> {
        self.check(&Key::Account(crate::identity::accounts::normalize(email)))
    }

    fn limiter_tracks(&self, key: &Key) -> bool {
        self.buckets.contains_key(key)
    }

    /// Forgets keys whose bucket is full again (memory stays bounded by recent clients).
    pub fn retain_recent(&self) {
        self.limiter.retain_recent();
    }

    /// Number of keys with state (for tests and logs), after pending cache work has run.
    pub fn tracked_keys(&self) -> usize {
        self.buckets.run_pending_tasks();
        self.limiter.len()
    }
}

/// The configured limiters; `None` where disabled.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub general: Option<RequestLimiter>,
    pub signin: Option<RequestLimiter>,
    /// Per linked account, charged by the bearer gate.
    pub account: Option<RequestLimiter>,
}

impl RateLimits {
    pub fn from_config(config: &Config, api_max_body: usize, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let max_keys = config.rate_limit_max_keys;
        let general = NonZeroU32::new(config.rate_limit_per_sec).map(|rate| {
            let burst = NonZeroU32::new(config.rate_limit_burst).unwrap_or(rate);
            let quota = Quota::per_second(rate).allow_burst(burst);
            RequestLimiter::new(quota, max_keys, store.clone(), clock.clone(), config.mcp_max_body().max(api_max_body))
        });
        let account = NonZeroU32::new(config.account_rate_limit_per_sec).map(|rate| {
            let burst = NonZeroU32::new(config.account_rate_limit_burst).unwrap_or(rate);
            let quota = Quota::per_second(rate).allow_burst(burst);
            // It reads no body: the account comes from the verified token.
            RequestLimiter::new(quota, max_keys, store.clone(), clock.clone(), 0)
        });
        let signin = NonZeroU32::new(config.signin_rate_limit_per_min).map(|rate| {
            let burst = NonZeroU32::new(config.signin_rate_limit_burst).unwrap_or(rate);
            RequestLimiter::new(Quota::per_minute(rate).allow_burst(burst), max_keys, store, clock, api_max_body)
        });
        RateLimits { general, signin, account }
    }

    pub fn retain_recent(&self) {
        for limiter in [&self.general, &self.signin, &self.account].into_iter().flatten() {
            limiter.retain_recent();
        }
    }
}

/// Middleware: 429 + `Retry-After` when the client, or a session the request names, is over
/// its quota; 400 when a request names more than [`MAX_SESSIONS_PER_REQUEST`] sessions.
pub async fn layer(State(limiter): State<RequestLimiter>, request: Request, next: Next) -> Response {
    let client = request.extensions().get::<ClientIp>().copied();
    if let Some(client) = client
        && let Err(retry_after_secs) = limiter.check(&Key::Client(client.limit_key()))
    {
        tracing::info!(client = %client.0, path = %request.uri().path(), "rate limited (client)");
        return Refusal::RateLimited { retry_after_secs }.into_response();
    }
    let request = if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let max_body = parts.extensions.get::<BodyLimit>().map_or(limiter.max_body, |limit| limit.0);
        let bytes = match axum::body::to_bytes(body, max_body).await {
            Ok(bytes) => bytes,
            Err(e) if is_too_large(&e) => {
                return Refusal::BodyTooLarge { limit_bytes: max_body }.into_response();
            }
            Err(_) => return Refusal::BadBody("The request body could not be read.".into()).into_response(),
        };
        let sessions = session_ids(&bytes);
        if sessions.len() > MAX_SESSIONS_PER_REQUEST {
            tracing::info!(sessions = sessions.len(), "refused: too many sessions in one request");
            return Refusal::BadBody(format!(
                "One request may name at most {MAX_SESSIONS_PER_REQUEST} sessions; this one names {}.",
                sessions.len()
            ))
            .into_response();
        }
        for session in &sessions {
            if let Err(retry_after_secs) = limiter.check_session(session).await {
                tracing::info!(
                    session = crate::identity::sessions::log_prefix(session.as_str()),
                    "rate limited (session)"
                );
                return Refusal::RateLimited { retry_after_secs }.into_response();
            }
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    next.run(request).await
}

/// The well-formed session ids a body names: `sessionId` at the top (REST) or in
/// `params.arguments` (a JSON-RPC tool call), for one message or a batch. Anything else — not
/// JSON, other shapes, malformed ids — names none.
///
/// Read without building a `serde_json::Value` (this runs on every POST): each message's
/// `sessionId`, `params` and `arguments` are borrowed from the body and everything else is
/// skipped. A body that does not fit that reading (duplicate keys, say) is read again as a
/// `Value`, so no shape hides an id.
fn session_ids(body: &[u8]) -> Vec<SessionId> {
    let mut ids = narrow_session_ids(body).unwrap_or_else(|| value_session_ids(body));
    ids.sort();
    ids.dedup();
    ids
}

fn narrow_session_ids(body: &[u8]) -> Option<Vec<SessionId>> {
    #[derive(Deserialize)]
    struct Message<'a> {
        #[serde(rename = "sessionId", borrow, default)]
        session_id: Option<&'a RawValue>,
        #[serde(borrow, default)]
        params: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(borrow, default)]
        arguments: Option<&'a RawValue>,
    }
    fn id(raw: Option<&RawValue>) -> Option<SessionId> {
        let text: Cow<'_, str> = serde_json::from_str(raw?.get()).ok()?;
        SessionId::parse(text.as_ref()).ok()
    }
    /// `Ok(None)`: absent or not an object (names nothing, as in the `Value` reading); `Err`: an
    /// object this reading cannot take.
    fn object<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<Option<T>, serde_json::Error> {
        match raw {
            Some(raw) if raw.get().starts_with('{') => serde_json::from_str(raw.get()).map(Some),
            _ => Ok(None),
        }
    }
    let text = std::str::from_utf8(body).ok()?;
    let messages: Vec<&RawValue> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).ok()?
    } else {
        vec![serde_json::from_str(text).ok()?]
    };
    let mut ids = Vec::new();
    for message in messages {
        let Some(message) = object::<Message<'_>>(Some(message)).ok()? else { continue };
        ids.extend(id(message.session_id));
        let Some(params) = object::<Params<'_>>(message.params).ok()? else { continue };
        let Some(arguments) = object::<Message<'_>>(params.arguments).ok()? else { continue };
        ids.extend(id(arguments.session_id));
    }
    Some(ids)
}

/// The same reading through a `serde_json::Value`: any JSON, the last of duplicate keys.
fn value_session_ids(body: &[u8]) -> Vec<SessionId> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let messages = match &value {
        serde_json::Value::Array(batch) => batch.iter().collect(),
        one => vec![one],
    };
    messages
        .into_iter()
        .flat_map(|m| [m.get("sessionId"), m.get("params").and_then(|p| p.get("arguments")?.get("sessionId"))])
        .flatten()
        .filter_map(|v| SessionId::parse(v.as_str()?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::memory::MemoryStore;

    const SID: &str = "sess_0123456789abcdef0123456789abcdef";

    #[test]
    fn session_ids_are_found_in_tool_calls_rest_bodies_and_batches() {
        let call = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"get-cart","arguments":{{"sessionId":"{SID}"}}}}}}"#
        );
        assert_eq!(session_ids(call.as_bytes()).len(), 1);
        let rest = format!(r#"{{"sessionId":"{SID}","email":"a@b.co","password":"x"}}"#);
        assert_eq!(session_ids(rest.as_bytes())[0].as_str(), SID);
        assert!(narrow_session_ids(call.as_bytes()).is_some_and(|ids| ids.len() == 1), "read without a Value");
        let batch = format!("[{call},{call}]");
        assert_eq!(session_ids(batch.as_bytes()).len(), 1, "the same session counts once per request");
        for none in ["", "{", "[]", r#"{"sessionId":42}"#, r#"{"sessionId":"sess_short"}"#, r#"{"params":[1]}"#] {
            assert!(session_ids(none.as_bytes()).is_empty(), "{none}");
        }
    }

    #[test]
    fn odd_shapes_hide_no_session_id() {
        let other = SID.replace('0', "1");
        let cases = [
            // one odd message in a batch does not hide the others'
            format!(r#"[42, "x", null, {{"params":{{"arguments":{{"sessionId":"{SID}"}}}}}}]"#),
            // duplicate keys: the last one counts, as rmcp reads it
            format!(r#"{{"params":{{"arguments":{{"sessionId":"{other}","sessionId":"{SID}"}}}}}}"#),
            // escapes in the id
            format!(r#"{{"sessionId":"{}"}}"#, SID.replace('_', "\\u005f")),
            // arguments that are not an object next to a REST-style id
            format!(r#"{{"sessionId":"{SID}","params":{{"arguments":[1,2]}}}}"#),
        ];
        assert!(narrow_session_ids(cases[1].as_bytes()).is_none(), "duplicate keys are read as a Value");
        for body in cases {
            assert_eq!(session_ids(body.as_bytes()).iter().map(|s| s.as_str()).collect::<Vec<_>>(), [SID], "{body}");
        }
        let both = format!(r#"[{{"sessionId":"{SID}"}},{{"params":{{"arguments":{{"sessionId":"{other}"}}}}}}]"#);
        assert_eq!(session_ids(both.as_bytes()).len(), 2);
    }

    fn limiter(quota: Quota, max_keys: u64) -> (RequestLimiter, Arc<ManualClock>, Arc<MemoryStore>) {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let store = Arc::new(MemoryStore::new(Duration::from_secs(600)));
        (RequestLimiter::new(quota, max_keys, store.clone(), clock.clone(), 1024), clock, store)
    }

    fn client(n: u32) -> Key {
        Key::Client(ClientKey::of(std::net::Ipv4Addr::from_bits(0x0a00_0000 + n).into()))
    }

    #[test]
    fn a_key_over_its_burst_waits_for_the_injected_clock() {
        let (limiter, clock, _) = limiter(Quota::per_minute(NonZeroU32::MIN).allow_burst(NonZeroU32::MIN), 100);
        assert!(limiter.check(&client(1)).is_ok());
        assert_eq!(limiter.check(&client(1)), Err(60), "one per minute: wait the whole minute");
        assert!(limiter.check(&client(2)).is_ok(), "other clients are not affected");
        clock.advance(chrono::Duration::seconds(45));
        assert_eq!(limiter.check(&client(1)), Err(15), "the wait follows the clock, not the wall");
        clock.advance(chrono::Duration::seconds(15));
        assert!(limiter.check(&client(1)).is_ok(), "refilled once the clock has moved a minute");
        // A clock set back does not stretch the wait.
        clock.advance(chrono::Duration::minutes(-30));
        assert_eq!(limiter.check(&client(1)), Err(60));
    }

    #[test]
    fn the_number_of_buckets_is_capped() {
        let (limiter, _, _) = limiter(Quota::per_second(NonZeroU32::MIN), 100);
        for n in 0..5_000 {
            assert!(limiter.check(&client(n)).is_ok());
        }
        let kept = limiter.tracked_keys();
        assert!(kept <= 100, "5000 clients, at most 100 buckets kept, got {kept}");
    }

    #[test]
    fn buckets_that_are_full_again_are_dropped() {
        let (limiter, clock, _) =
            limiter(Quota::per_second(NonZeroU32::MIN).allow_burst(NonZeroU32::new(2).unwrap()), 100);
        for n in 0..10 {
            assert!(limiter.check(&client(n)).is_ok());
        }
        limiter.retain_recent();
        assert_eq!(limiter.tracked_keys(), 10, "buckets still refilling are kept");
        clock.advance(chrono::Duration::seconds(3));
        limiter.retain_recent();
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[tokio::test]
    async fn only_sessions_that_exist_get_a_bucket() {
        let (limiter, clock, store) = limiter(Quota::per_second(NonZeroU32::MIN), 100);
        for n in 0..50u128 {
            let invented = SessionId::parse(format!("sess_{n:032x}")).unwrap();
            assert!(limiter.check_session(&invented).await.is_ok());
        }
        assert_eq!(limiter.tracked_keys(), 0, "invented ids mint nothing");
        let real = SessionId::parse(format!("sess_{:032x}", 7u128)).unwrap();
        let now = clock.now();
        let session = crate::store::Session {
            id: real.clone(),
            kind: crate::store::SessionKind::Chat,
            created_at: now,
            last_seen: now,
            user: None,
            cart: vec![],
            searches: vec![],
            version: 0,
        };
        store.create_session(session).await.unwrap();
        assert!(limiter.check_session(&real).await.is_ok());
        assert_eq!(limiter.check_session(&real).await, Err(1), "a real session is limited");
        assert_eq!(limiter.tracked_keys(), 1);
    }
}

//! The parts every rate limit of the server is built from: `governor`'s GCRA limiter (a token
//! bucket without a timer task), its time taken from the app's [`Clock`] so tests move a
//! `ManualClock` instead of waiting, and — for a limiter keyed by client or session — its buckets
//! in a bounded moka cache, so a flood of new keys cannot grow memory without end.
//!
//! Used by the request rate limits (`http/rate_limit.rs`) and the Unwrangle budgets
//! (`catalog/unwrangle.rs`).

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed, StateStore};
use governor::{Quota, RateLimiter};

use crate::clock::Clock;

/// A limiter with one bucket per key, at most a bounded number of keys.
pub type KeyedLimiter<K> = RateLimiter<K, BoundedBuckets<K>, LimiterClock, NoOpMiddleware<Nanos>>;

/// A limiter with one bucket for everybody.
pub type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, LimiterClock, NoOpMiddleware<Nanos>>;

/// A keyed limiter of `quota` per key, its buckets in `buckets`, on `clock`'s time.
pub fn keyed<K>(quota: Quota, buckets: BoundedBuckets<K>, clock: Arc<dyn Clock>) -> KeyedLimiter<K>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
{
    RateLimiter::new(quota, buckets, LimiterClock::new(clock))
}

/// One limiter of `quota` for everybody, on `clock`'s time.
pub fn direct(quota: Quota, clock: Arc<dyn Clock>) -> DirectLimiter {
    RateLimiter::direct_with_clock(quota, LimiterClock::new(clock))
}

/// The app's clock as a monotonic governor clock: nanoseconds since the limiter was made, never
/// going back (a wall clock set back would otherwise stretch every wait).
pub struct LimiterClock {
    clock: Arc<dyn Clock>,
    epoch: DateTime<Utc>,
    latest: AtomicU64,
}

impl LimiterClock {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        LimiterClock { epoch: clock.now(), clock, latest: AtomicU64::new(0) }
    }
}

impl GovernorClock for LimiterClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let since = (self.clock.now() - self.epoch).num_nanoseconds().unwrap_or(i64::MAX);
        let since = u64::try_from(since).unwrap_or(0);
        let before = self.latest.fetch_max(since, Ordering::Relaxed);
        Nanos::from(before.max(since))
    }
}

/// The buckets of a keyed limiter: at most `max_keys` of them, in a moka cache (whose admission
/// policy keeps the keys in steady use when a flood of one-off keys arrives).
pub struct BoundedBuckets<K> {
    cache: moka::sync::Cache<K, Arc<InMemoryState>>,
}

impl<K> BoundedBuckets<K>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
{
    /// At most `max_keys` buckets; the limiter's sweep (`retain_recent`) drops those full again.
    pub fn new(max_keys: u64) -> Self {
        BoundedBuckets { cache: moka::sync::Cache::builder().max_capacity(max_keys).build() }
    }

    /// At most `max_keys` buckets, and a bucket nobody used for as long as `quota` takes to
    /// refill it — so it is full again, as good as new — is dropped without a sweep. (The idle
    /// time is real time: with a test clock that stands still, nothing is dropped.)
    pub fn forgetting_idle(max_keys: u64, quota: &Quota) -> Self {
        let idle = quota.burst_size_replenished_in();
        BoundedBuckets { cache: moka::sync::Cache::builder().max_capacity(max_keys).time_to_idle(idle).build() }
    }

    /// The cache itself (a clone shares it), to ask whether a key has a bucket.
    pub fn cache(&self) -> &moka::sync::Cache<K, Arc<InMemoryState>> {
        &self.cache
    }

    /// The bucket's theoretical arrival time, without changing it.
    fn peek(state: &InMemoryState) -> Option<Nanos> {
        match state.measure_and_replace(&NotKeyed::NonKey, Err::<((), Nanos), _>) {
            Ok(()) => None,
            Err(prev) => prev,
        }
    }
}

impl<K> StateStore for BoundedBuckets<K>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
{
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let state = self.cache.get_with_by_ref(key, || Arc::new(InMemoryState::default()));
        state.measure_and_replace(&NotKeyed::NonKey, f)
    }
}

impl<K> ShrinkableKeyedStateStore<K> for BoundedBuckets<K>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
{
    fn retain_recent(&self, drop_below: Nanos) {
        for (key, state) in self.cache.iter() {
            if Self::peek(&state).is_none_or(|tat| tat <= drop_below) {
                self.cache.invalidate(key.as_ref());
            }
        }
        self.cache.run_pending_tasks();
    }

    fn len(&self) -> usize {
        usize::try_from(self.cache.entry_count()).unwrap_or(usize::MAX)
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn buckets_refill_on_the_apps_clock_and_their_number_is_bounded() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let quota = Quota::per_minute(NonZeroU32::new(2).expect("nonzero"));
        let limiter = keyed::<u32>(quota, BoundedBuckets::new(50), clock.clone());
        assert!(limiter.check_key(&1).is_ok() && limiter.check_key(&1).is_ok());
        assert!(limiter.check_key(&1).is_err(), "the third within a minute");
        assert!(limiter.check_key(&2).is_ok(), "another key has its own bucket");
        clock.advance(chrono::Duration::seconds(30));
        assert!(limiter.check_key(&1).is_ok(), "one refilled after half a minute");
        for key in 0..10_000 {
            let _ = limiter.check_key(&key);
        }
        limiter.retain_recent();
        assert!(limiter.len() <= 50, "{} buckets", limiter.len());

        let one = direct(quota, clock.clone());
        assert!(one.check().is_ok() && one.check().is_ok() && one.check().is_err());
        clock.advance(chrono::Duration::seconds(30));
        assert!(one.check().is_ok());
    }
}

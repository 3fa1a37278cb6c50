//! A rate limit per merchant API key on the ACP routes (`ACP_RATE_LIMIT_PER_SEC`,
//! `ACP_RATE_LIMIT_BURST`; 0 per second disables it), on top of the app's per-client-IP limit:
//! one key is one agent platform, whatever addresses its requests come from. Over it a request is
//! answered 429 with the flat error (`rate_limited`) and `Retry-After` before anything runs
//! (it is not an idempotent request, so a retry with the same key runs normally).
//!
//! A GCRA limiter (`governor`) keyed by the key's identity, which exists only once the key was
//! accepted, so unknown keys cannot grow it. Time is the app's [`Clock`] (through the same
//! monotonic adapter as the other limiters, `limiter.rs`), so tests move a `ManualClock` instead of waiting.
//! The count is per instance: N instances behind a balancer allow N times the rate.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::clock::Clock;
use crate::config::CommerceConfig;
use crate::limiter::LimiterClock;

type Limiter = RateLimiter<String, DefaultKeyedStateStore<String>, LimiterClock, NoOpMiddleware<Nanos>>;

/// The per-key limiter; cheap to clone.
#[derive(Clone)]
pub struct KeyLimiter(Arc<Limiter>);

impl std::fmt::Debug for KeyLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLimiter").field("keys", &self.0.len()).finish()
    }
}

impl KeyLimiter {
    /// The configured limit, or `None` when `ACP_RATE_LIMIT_PER_SEC` is 0.
    pub fn from_config(config: &CommerceConfig, clock: Arc<dyn Clock>) -> Option<Self> {
        let rate = NonZeroU32::new(config.acp_rate_limit_per_sec)?;
        let burst = NonZeroU32::new(config.acp_rate_limit_burst).unwrap_or(rate);
        Some(Self::new(Quota::per_second(rate).allow_burst(burst), clock))
    }

    pub fn new(quota: Quota, clock: Arc<dyn Clock>) -> Self {
        KeyLimiter(Arc::new(RateLimiter::new(quota, DefaultKeyedStateStore::default(), LimiterClock::new(clock))))
    }

    /// `Err(whole seconds to wait, at least 1)` when `key` is over its quota; a refused request
    /// uses no quota.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.0.check_key(&key.to_owned()).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(self.0.clock().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn each_key_has_its_own_bucket_refilled_by_the_clock() {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let quota = Quota::per_second(NonZeroU32::new(2).unwrap()).allow_burst(NonZeroU32::new(3).unwrap());
        let limiter = KeyLimiter::new(quota, clock.clone());
        for _ in 0..3 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        assert_eq!(limiter.check("a"), Err(1), "the burst is spent; one request frees in half a second");
        assert_eq!(limiter.check("b"), Ok(()), "another key is not affected");
        clock.advance(chrono::Duration::milliseconds(499));
        assert!(limiter.check("a").is_err());
        clock.advance(chrono::Duration::milliseconds(1));
        assert_eq!(limiter.check("a"), Ok(()));
        assert!(limiter.check("a").is_err());
    }

    #[test]
    fn zero_per_second_is_no_limit() {
        let config = CommerceConfig { acp_rate_limit_per_sec: 0, ..CommerceConfig::default() };
        assert!(KeyLimiter::from_config(&config, Arc::new(crate::clock::SystemClock)).is_none());
    }
}

//! The cache of upstream search pages, in two parts so that a flood of one-off queries cannot
//! push out the pages shoppers keep asking for (a segmented LRU, on two moka caches):
//!
//! - **fresh**: every new page starts here (a quarter of the room). A query asked once and never
//!   again — a flood of random queries is all of those — only ever churns this part.
//! - **hot**: a page asked for again while it is still cached moves here (the rest of the room).
//!   Only another repeated page can take its place.
//!
//! Why not moka alone: its TinyLFU admission would keep a page asked for more often than the one
//! it evicts, but moka starts counting only once the cache is half full, so the pages warmed
//! before that count as never asked for and a flood right after (a restart, say) evicts them.
//! The split does not depend on counts; each part still uses moka's policy within itself.
//!
//! A page is served for `ttl` from when it was fetched, in whichever part it is; concurrent
//! misses for one query share one fetch (moka's entry API), and failures are not cached.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::future::Cache;

/// A page and when it was fetched (its age decides its expiry in both parts).
#[derive(Clone)]
struct Stamped<V> {
    fetched_at: Instant,
    value: V,
}

/// Expires an entry `ttl` after its page was fetched, however long ago it moved.
struct ServeFor(Duration);

impl<V> Expiry<String, Stamped<V>> for ServeFor {
    fn expire_after_create(&self, _key: &String, page: &Stamped<V>, created_at: Instant) -> Option<Duration> {
        Some(self.0.saturating_sub(created_at.saturating_duration_since(page.fetched_at)))
    }
}

/// Search pages by normalized query text. Cheap to share behind the source; not `Clone`.
pub struct SearchCache<V> {
    fresh: Cache<String, Stamped<V>>,
    hot: Cache<String, Stamped<V>>,
}

impl<V> SearchCache<V>
where
    V: Clone + Send + Sync + 'static,
{
    /// Room for `capacity` pages in all (at least one in each part), each served for `ttl`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        let fresh_room = (capacity / 4).max(1);
        let hot_room = capacity.saturating_sub(fresh_room).max(1);
        let part =
            |name: &str, room: u64| Cache::builder().name(name).max_capacity(room).expire_after(ServeFor(ttl)).build();
        SearchCache {
            fresh: part("unwrangle-searches-fresh", fresh_room),
            hot: part("unwrangle-searches-hot", hot_room),
        }
    }

    /// The page for `key` and whether it was cached; on a miss, `fetch` runs (once for all
    /// concurrent callers) and its page is kept, its error is not.
    pub async fn get_or_try_fetch<F, E>(&self, key: &str, fetch: F) -> Result<(V, bool), Arc<E>>
    where
        F: Future<Output = Result<V, E>>,
        E: Send + Sync + 'static,
    {
        if let Some(page) = self.hot.get(key).await {
            return Ok((page.value, true));
        }
        let stamped = async { fetch.await.map(|value| Stamped { fetched_at: Instant::now(), value }) };
        let entry = self.fresh.entry_by_ref(key).or_try_insert_with(stamped).await?;
        if entry.is_fresh() {
            return Ok((entry.into_value().value, false));
        }
        // Asked for again while cached: a page shoppers want; it moves to the hot part.
        let page = entry.into_value();
        self.hot.insert(key.to_owned(), page.clone()).await;
        self.fresh.invalidate(key).await;
        Ok((page.value, true))
    }

    /// Pages held in both parts (after pending cache work, for tests and `Debug`).
    pub fn entry_count(&self) -> u64 {
        self.fresh.entry_count() + self.hot.entry_count()
    }

    /// Runs moka's pending evictions now (tests).
    pub async fn run_pending_tasks(&self) {
        self.fresh.run_pending_tasks().await;
        self.hot.run_pending_tasks().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_page_asked_for_again_moves_to_the_hot_part_and_keeps_its_expiry() {
        let cache = SearchCache::<u32>::new(8, Duration::from_secs(60));
        let fetch = |n: u32| async move { Ok::<_, ()>(n) };
        assert_eq!(cache.get_or_try_fetch("lamp", fetch(1)).await.unwrap(), (1, false));
        assert_eq!(cache.get_or_try_fetch("lamp", fetch(2)).await.unwrap(), (1, true), "cached in fresh");
        cache.run_pending_tasks().await;
        assert_eq!((cache.fresh.entry_count(), cache.hot.entry_count()), (0, 1), "moved to hot");
        assert_eq!(cache.get_or_try_fetch("lamp", fetch(3)).await.unwrap(), (1, true), "served from hot");

        // A failure is not kept.
        assert!(cache.get_or_try_fetch("desk", async { Err::<u32, _>("down") }).await.is_err());
        assert_eq!(cache.get_or_try_fetch("desk", fetch(4)).await.unwrap(), (4, false));

        // The expiry counts from the fetch: a page fetched long ago moves with what it has left.
        let expiry = ServeFor(Duration::from_secs(60));
        let now = Instant::now();
        let old = Stamped { fetched_at: now.checked_sub(Duration::from_secs(45)).unwrap_or(now), value: 0 };
        let left = expiry.expire_after_create(&"k".to_owned(), &old, now).unwrap();
        assert!(left <= Duration::from_secs(15), "{left:?}");
    }
}

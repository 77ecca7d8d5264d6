//! The compiled-IR cache: IRs by `(policy_id, policy_hash)`, bounded, least recently used
//! evicted first; plus two small indexes that save store round trips: `(id, version) →
//! hash` (immutable, so kept until evicted) and `id → latest hash` (kept for
//! `cache.latest_ttl_ms`, so a version stored by another replica shows up within that time).

use crate::metrics::Metrics;
use proof_core::ir::Ir;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Inner {
    irs: HashMap<(String, String), (Arc<Ir>, u64)>,
    versions: HashMap<(String, String), String>,
    latest: HashMap<String, (String, Instant)>,
    tick: u64,
}

/// The cache. Cheap to clone.
#[derive(Clone)]
pub struct IrCache {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
    latest_ttl: Duration,
    metrics: Metrics,
}

impl IrCache {
    /// An empty cache holding at most `capacity` IRs.
    #[must_use]
    pub fn new(capacity: usize, latest_ttl: Duration, metrics: Metrics) -> Self {
        Self {
            inner: Arc::default(),
            capacity: capacity.max(1),
            latest_ttl,
            metrics,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps inconsistent in a way that
        // matters (worst case a stale entry), so keep serving.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, result: &str) {
        self.metrics.cache_lookup(result);
    }

    /// The IR for `(id, hash)`, counting a hit or a miss.
    #[must_use]
    pub fn get(&self, id: &str, hash: &str) -> Option<Arc<Ir>> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        let found = g
            .irs
            .get_mut(&(id.to_owned(), hash.to_owned()))
            .map(|(ir, t)| {
                *t = tick;
                Arc::clone(ir)
            });
        drop(g);
        self.count(if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// Adds an IR, evicting the least recently used one when full.
    pub fn insert(&self, ir: Arc<Ir>) {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        let key = (ir.policy_id.clone(), ir.policy_hash.clone());
        g.versions.insert(
            (ir.policy_id.clone(), ir.version.clone()),
            ir.policy_hash.clone(),
        );
        g.irs.insert(key, (ir, tick));
        while g.irs.len() > self.capacity {
            let Some(oldest) = g
                .irs
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            g.irs.remove(&oldest);
        }
        if g.versions.len() > self.capacity * 4 {
            g.versions.clear();
        }
        let n = g.irs.len();
        drop(g);
        self.metrics
            .cache_entries
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The hash of `(id, version)`, if known.
    #[must_use]
    pub fn version_hash(&self, id: &str, version: &str) -> Option<String> {
        self.lock()
            .versions
            .get(&(id.to_owned(), version.to_owned()))
            .cloned()
    }

    /// The latest hash of `id`, if learnt within the TTL.
    #[must_use]
    pub fn latest_hash(&self, id: &str) -> Option<String> {
        let g = self.lock();
        g.latest
            .get(id)
            .filter(|(_, at)| at.elapsed() < self.latest_ttl)
            .map(|(h, _)| h.clone())
    }

    /// Remembers the latest hash of `id`.
    pub fn set_latest(&self, id: &str, hash: &str) {
        let mut g = self.lock();
        if g.latest.len() > self.capacity * 4 {
            g.latest.clear();
        }
        g.latest
            .insert(id.to_owned(), (hash.to_owned(), Instant::now()));
    }

    /// Empties the cache; returns how many IRs were dropped.
    pub fn flush(&self) -> usize {
        let mut g = self.lock();
        let n = g.irs.len();
        *g = Inner::default();
        drop(g);
        self.metrics.cache_entries.set(0);
        n
    }

    /// Number of cached IRs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().irs.len()
    }

    /// True when nothing is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

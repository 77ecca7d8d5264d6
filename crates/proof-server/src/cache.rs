//! The compiled-IR cache: IRs by `(policy_id, policy_hash)`, bounded, least recently used
//! evicted first; plus two small indexes that save store round trips: `(id, version) →
//! hash` (immutable, so kept until evicted) and `id → latest hash` (kept for
//! `cache.latest_ttl_ms`, so a version stored by another replica shows up within that time).

use crate::metrics::Metrics;
use crate::store::Selector;
use proof_core::ir::Ir;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Maps keyed by policy id, then by a second string: looked up with two `&str`s, so a
/// lookup allocates nothing (it runs on every verification).
type ById<V> = HashMap<String, HashMap<String, V>>;

#[derive(Default)]
struct Inner {
    /// IRs by id, then policy hash, with the tick of their last use.
    irs: ById<(Arc<Ir>, u64)>,
    /// Number of IRs in `irs`.
    len: usize,
    /// Policy hashes by id, then version.
    versions: ById<String>,
    /// Number of entries in `versions`.
    versions_len: usize,
    latest: HashMap<String, (String, Instant)>,
    tick: u64,
}

impl Inner {
    /// The IR for `(id, hash)`, marked as just used.
    fn touch(&mut self, id: &str, hash: &str) -> Option<Arc<Ir>> {
        touch(&mut self.irs, &mut self.tick, id, hash)
    }
}

/// [`Inner::touch`] on the two fields it needs, so that `hash` may borrow another.
fn touch(irs: &mut ById<(Arc<Ir>, u64)>, tick: &mut u64, id: &str, hash: &str) -> Option<Arc<Ir>> {
    *tick += 1;
    let (ir, t) = irs.get_mut(id)?.get_mut(hash)?;
    *t = *tick;
    Some(Arc::clone(ir))
}

/// What the cache knows about a policy selection.
pub enum Lookup {
    /// The IR (a hit was counted).
    Hit(Arc<Ir>),
    /// The selection's hash, but not its IR (a miss was counted).
    Miss,
    /// Not even the hash: the store must say which policy is meant (nothing counted).
    Unknown,
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

    fn count(&self, found: Option<Arc<Ir>>) -> Option<Arc<Ir>> {
        self.metrics
            .cache_lookup(if found.is_some() { "hit" } else { "miss" });
        found
    }

    /// The IR for `(id, hash)`, counting a hit or a miss.
    #[must_use]
    pub fn get(&self, id: &str, hash: &str) -> Option<Arc<Ir>> {
        let found = self.lock().touch(id, hash);
        self.count(found)
    }

    /// The IR that `sel` picks for `id`, when the cache knows which one that is: the hash
    /// given, the hash of a version seen before, or the latest hash learnt within the TTL.
    /// Counts a hit or a miss when the hash is known.
    #[must_use]
    pub fn lookup(&self, id: &str, sel: &Selector) -> Lookup {
        let mut g = self.lock();
        let Inner {
            irs,
            versions,
            latest,
            tick,
            ..
        } = &mut *g;
        let hash = match sel {
            Selector::Hash(h) => Some(h.as_str()),
            Selector::Version(v) => versions
                .get(id)
                .and_then(|by_version| by_version.get(v))
                .map(String::as_str),
            Selector::Latest => latest
                .get(id)
                .filter(|(_, at)| at.elapsed() < self.latest_ttl)
                .map(|(h, _)| h.as_str()),
        };
        let Some(hash) = hash else {
            return Lookup::Unknown;
        };
        let found = touch(irs, tick, id, hash);
        drop(g);
        match self.count(found) {
            Some(ir) => Lookup::Hit(ir),
            None => Lookup::Miss,
        }
    }

    /// Adds an IR, evicting the least recently used one when full.
    pub fn insert(&self, ir: Arc<Ir>) {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        if g.versions_len > self.capacity * 4 {
            g.versions.clear();
            g.versions_len = 0;
        }
        let known = g
            .versions
            .entry(ir.policy_id.clone())
            .or_default()
            .insert(ir.version.clone(), ir.policy_hash.clone());
        if known.is_none() {
            g.versions_len += 1;
        }
        let old = g
            .irs
            .entry(ir.policy_id.clone())
            .or_default()
            .insert(ir.policy_hash.clone(), (ir, tick));
        if old.is_none() {
            g.len += 1;
        }
        while g.len > self.capacity {
            let Some((id, hash)) = g
                .irs
                .iter()
                .flat_map(|(id, by_hash)| by_hash.iter().map(move |(h, (_, t))| (*t, id, h)))
                .min()
                .map(|(_, id, h)| (id.clone(), h.clone()))
            else {
                break;
            };
            if let Some(by_hash) = g.irs.get_mut(&id) {
                by_hash.remove(&hash);
                if by_hash.is_empty() {
                    g.irs.remove(&id);
                }
            }
            g.len -= 1;
        }
        let n = g.len;
        drop(g);
        self.metrics
            .cache_entries
            .set(i64::try_from(n).unwrap_or(i64::MAX));
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
        let n = g.len;
        *g = Inner::default();
        drop(g);
        self.metrics.cache_entries.set(0);
        n
    }

    /// Number of cached IRs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// True when nothing is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]
    use super::*;
    use proof_core::policy::{LintMode, compile};

    fn ir(id: &str, version: &str) -> Arc<Ir> {
        let src = format!(
            "id: {id}\nversion: \"{version}\"\ninputs: {{b: {{type: bool}}}}\nrules: [{{id: r, op: eq, lhs: b, rhs: \"true\"}}]\n"
        );
        Arc::new(compile(&src, LintMode::Relaxed).unwrap().ir)
    }

    fn hit(l: Lookup) -> Option<String> {
        match l {
            Lookup::Hit(ir) => Some(ir.policy_hash.clone()),
            Lookup::Miss => Some(String::new()),
            Lookup::Unknown => None,
        }
    }

    #[test]
    fn evicts_the_least_recently_used_ir_across_ids_and_remembers_versions() {
        let cache = IrCache::new(2, Duration::from_secs(60), Metrics::new());
        let (a1, a2, b1) = (ir("a", "1"), ir("a", "2"), ir("b", "1"));
        cache.insert(Arc::clone(&a1));
        cache.insert(Arc::clone(&a2));
        // a1 used last, so a2 goes when b1 arrives.
        assert!(cache.get("a", &a1.policy_hash).is_some());
        cache.insert(Arc::clone(&b1));
        assert_eq!(cache.len(), 2);
        let version = |id: &str, v: &str| hit(cache.lookup(id, &Selector::Version(v.into())));
        assert_eq!(version("a", "1"), Some(a1.policy_hash.clone()));
        assert_eq!(
            version("a", "2"),
            Some(String::new()),
            "hash known, IR evicted"
        );
        assert_eq!(version("b", "1"), Some(b1.policy_hash.clone()));
        assert_eq!(version("b", "2"), None);
        let by_hash = cache.lookup("b", &Selector::Hash(b1.policy_hash.clone()));
        assert_eq!(hit(by_hash), Some(b1.policy_hash.clone()));
        assert_eq!(hit(cache.lookup("a", &Selector::Latest)), None);
        cache.set_latest("a", &a1.policy_hash);
        assert_eq!(
            hit(cache.lookup("a", &Selector::Latest)),
            Some(a1.policy_hash.clone())
        );
        assert_eq!(cache.flush(), 2);
        assert!(cache.is_empty());
        assert_eq!(hit(cache.lookup("a", &Selector::Latest)), None);
    }

    #[test]
    fn a_latest_hash_expires_after_its_ttl() {
        let cache = IrCache::new(2, Duration::ZERO, Metrics::new());
        let a1 = ir("a", "1");
        cache.insert(Arc::clone(&a1));
        cache.set_latest("a", &a1.policy_hash);
        assert_eq!(hit(cache.lookup("a", &Selector::Latest)), None);
    }
}

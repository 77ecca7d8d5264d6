//! The reference lists a replica serves: the files of `lists_dir`, loaded once, and the
//! versions published to the store, followed by polling ([`poll`]). What is served is one
//! immutable [`Snapshot`] behind a lock that is held only to clone or replace an `Arc`: a
//! request evaluates against the snapshot it took, so a swap never changes a verification
//! half way, and a new snapshot replaces the old one only once every list in it is loaded.
//!
//! Per stored list, the version with the highest `seq` is current. Every earlier version
//! is superseded from the moment the next one was published; it stays loaded (and a
//! context naming its root is evaluated, the report saying so) for
//! `lists.superseded_grace_s`, and is refused after that (docs/lists-service.md).

pub mod poll;

use crate::config::{ListSettings, WithinGrace};
use crate::metrics::ListMetrics;
use crate::store::ListVersion;
use proof_core::eval::{Context, SupersededList, context::Value};
use proof_core::ir::Lit;
use proof_core::lists::{RefList, Registry};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use time::OffsetDateTime;

/// Where a served list comes from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A file of `lists_dir`, with its modification time.
    File {
        /// When the file last changed.
        modified: Option<OffsetDateTime>,
    },
    /// A version in the store.
    Store(ListVersion),
}

/// A list in service.
#[derive(Clone, Debug)]
pub struct Served {
    /// The list.
    pub list: Arc<RefList>,
    /// Where it comes from.
    pub origin: Origin,
}

impl Served {
    /// When the served version was published (file lists: when the file changed).
    #[must_use]
    pub fn published(&self) -> Option<OffsetDateTime> {
        match &self.origin {
            Origin::File { modified } => *modified,
            Origin::Store(v) => proof_core::temporal::parse_timestamp(&v.created_at).ok(),
        }
    }
}

/// A stored version that a later one replaced.
#[derive(Clone, Debug)]
pub struct Superseded {
    /// The version.
    pub version: ListVersion,
    /// The version published next, which replaced it.
    pub by: ListVersion,
    /// Whether it is still evaluated (within the grace period).
    pub loaded: bool,
}

impl Superseded {
    /// When it was superseded: when the next version was published.
    #[must_use]
    pub fn at(&self) -> &str {
        &self.by.created_at
    }
}

/// What a replica serves at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every list a context may name: the current ones and the superseded ones within
    /// their grace period.
    pub registry: Registry,
    /// The current lists (file lists first, then stored ones), by name.
    pub current: BTreeMap<String, Served>,
    /// Superseded stored versions by root (a root that is also current is not here).
    pub superseded: BTreeMap<[u8; 32], Superseded>,
    /// Every stored version, by `seq`.
    pub versions: Vec<ListVersion>,
}

/// A context naming a superseded version after its grace period.
#[derive(Debug)]
pub struct Refused {
    /// The input naming the root.
    pub input: String,
    /// The version it names.
    pub superseded: Box<Superseded>,
}

impl Snapshot {
    /// The superseded versions that `ctx` names (by a hash input equal to their root),
    /// as report entries with their effect; or the first one past its grace period.
    ///
    /// # Errors
    /// [`Refused`] for a superseded version no longer evaluated.
    pub fn superseded_in(
        &self,
        ctx: &Context,
        within_grace: WithinGrace,
    ) -> Result<Vec<SupersededList>, Refused> {
        if self.superseded.is_empty() {
            return Ok(Vec::new());
        }
        let mut out: Vec<SupersededList> = Vec::new();
        for (input, v) in &ctx.values {
            let Value::Scalar(Lit::Hex(h)) = v else {
                continue;
            };
            let Some(s) = self.superseded.get(h) else {
                continue;
            };
            if !s.loaded {
                return Err(Refused {
                    input: input.clone(),
                    superseded: Box::new(s.clone()),
                });
            }
            if out.iter().any(|o| o.root == s.version.root) {
                continue;
            }
            out.push(SupersededList {
                effect: within_grace.as_str().to_owned(),
                list: s.version.name.clone(),
                published_at: s.version.created_at.clone(),
                root: s.version.root.clone(),
                superseded_at: s.at().to_owned(),
                superseded_by: s.by.version.clone(),
                superseded_by_root: s.by.root.clone(),
                version: s.version.version.clone(),
            });
        }
        Ok(out)
    }

    /// The superseded versions of the stored list `name`, oldest first.
    pub fn superseded_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Superseded> {
        let mut v: Vec<&Superseded> = self
            .superseded
            .values()
            .filter(|s| s.version.name == name)
            .collect();
        v.sort_by_key(|s| s.version.seq);
        v.into_iter()
    }
}

/// The lists in service, swapped as a whole.
pub struct ServedLists {
    current: RwLock<Arc<Snapshot>>,
    /// Stored versions parsed so far, by `seq`; held for the whole of a refresh, so that
    /// refreshes (polls, a publish on this replica) run one at a time.
    parsed: tokio::sync::Mutex<BTreeMap<i64, Arc<RefList>>>,
    files: Vec<Served>,
    settings: ListSettings,
    metrics: ListMetrics,
}

impl ServedLists {
    /// The file lists alone, before the store is read.
    #[must_use]
    pub fn new(files: Vec<Served>, settings: ListSettings, metrics: ListMetrics) -> Self {
        let this = Self {
            current: RwLock::new(Arc::new(Snapshot::default())),
            parsed: tokio::sync::Mutex::new(BTreeMap::new()),
            files,
            settings,
            metrics,
        };
        let (snapshot, _) = this.build(&[], &BTreeMap::new(), OffsetDateTime::now_utc());
        this.swap(snapshot);
        this
    }

    /// The snapshot in service.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Takes a list this replica has just stored as version `seq`, so that the refresh
    /// that follows need not read and parse it again.
    pub async fn adopt(&self, seq: i64, list: Arc<RefList>) {
        self.parsed.lock().await.insert(seq, list);
    }

    /// The settings in force.
    #[must_use]
    pub const fn settings(&self) -> &ListSettings {
        &self.settings
    }

    fn swap(&self, snapshot: Snapshot) {
        for s in snapshot.current.values() {
            self.metrics
                .served(&s.list.name, s.list.len(), self.settings.max_age_s);
        }
        let snapshot = Arc::new(snapshot);
        match self.current.write() {
            Ok(mut g) => *g = snapshot,
            Err(p) => *p.into_inner() = snapshot,
        }
        self.refresh_ages(OffsetDateTime::now_utc());
    }

    /// Sets `proof_list_age_seconds` of every served list as of `now` (called on scrape).
    pub fn refresh_ages(&self, now: OffsetDateTime) {
        for s in self.snapshot().current.values() {
            if let Some(p) = s.published() {
                self.metrics
                    .age(&s.list.name, (now - p).whole_seconds().max(0));
            }
        }
    }

    /// The stored versions that must be loaded at `now`: per name the current one and
    /// the superseded ones within their grace period, by `seq`.
    fn wanted(&self, versions: &[ListVersion], now: OffsetDateTime) -> Vec<i64> {
        let grace = time::Duration::seconds(
            i64::try_from(self.settings.superseded_grace_s).unwrap_or(i64::MAX),
        );
        let mut out = Vec::new();
        for chain in chains(versions).values() {
            let mut next: Option<&ListVersion> = None;
            for v in chain.iter().rev() {
                let keep = match next {
                    None => true,
                    Some(n) => within(&n.created_at, grace, now),
                };
                if keep {
                    out.push(v.seq);
                }
                next = Some(v);
            }
        }
        out.sort_unstable();
        out
    }

    /// The snapshot for `versions`, with the lists in `loaded` (by `seq`); also whether
    /// every wanted version was in `loaded`.
    fn build(
        &self,
        versions: &[ListVersion],
        loaded: &BTreeMap<i64, Arc<RefList>>,
        now: OffsetDateTime,
    ) -> (Snapshot, bool) {
        let mut snap = Snapshot {
            versions: versions.to_vec(),
            ..Snapshot::default()
        };
        for f in &self.files {
            // INVARIANT: lists_dir loaded into a Registry first, so roots are distinct.
            let _ = snap.registry.insert_shared(Arc::clone(&f.list));
            snap.current.insert(f.list.name.clone(), f.clone());
        }
        let mut complete = true;
        let wanted = self.wanted(versions, now);
        for (name, chain) in chains(versions) {
            if snap.current.contains_key(name) {
                tracing::warn!(
                    list = name,
                    "a stored list has the name of a file list; the file list is served"
                );
                continue;
            }
            let Some((last, earlier)) = chain.split_last() else {
                continue;
            };
            let Some(list) = loaded.get(&last.seq) else {
                complete = false;
                continue;
            };
            if let Err(e) = snap.registry.insert_shared(Arc::clone(list)) {
                tracing::warn!(list = name, error = %e, "stored list not served");
                continue;
            }
            snap.current.insert(
                name.to_owned(),
                Served {
                    list: Arc::clone(list),
                    origin: Origin::Store((*last).clone()),
                },
            );
            for (i, v) in earlier.iter().enumerate() {
                let Ok(root) = proof_core::lists::parse_hash(&v.root) else {
                    continue;
                };
                if root == list.root() {
                    continue;
                }
                let by = chain.get(i + 1).map_or(*last, |n| *n);
                let mut loaded_now = false;
                if wanted.binary_search(&v.seq).is_ok() {
                    match loaded.get(&v.seq) {
                        Some(l) => loaded_now = snap.registry.insert_shared(Arc::clone(l)).is_ok(),
                        None => complete = false,
                    }
                }
                snap.superseded.insert(
                    root,
                    Superseded {
                        version: (*v).clone(),
                        by: by.clone(),
                        loaded: loaded_now || snap.registry.get(&root).is_some(),
                    },
                );
            }
        }
        (snap, complete)
    }
}

/// Versions by name, each by `seq`.
fn chains(versions: &[ListVersion]) -> BTreeMap<&str, Vec<&ListVersion>> {
    let mut by_name: BTreeMap<&str, Vec<&ListVersion>> = BTreeMap::new();
    for v in versions {
        by_name.entry(v.name.as_str()).or_default().push(v);
    }
    for chain in by_name.values_mut() {
        chain.sort_by_key(|v| v.seq);
    }
    by_name
}

/// True while `at` (RFC 3339) plus `grace` is after `now`.
fn within(at: &str, grace: time::Duration, now: OffsetDateTime) -> bool {
    proof_core::temporal::parse_timestamp(at)
        .is_ok_and(|t| t.checked_add(grace).is_none_or(|end| end > now))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;
    use proof_core::lists::LeafKind;

    fn version(seq: i64, name: &str, list: &RefList, at: &str) -> ListVersion {
        ListVersion {
            seq,
            name: name.into(),
            version: format!("v{seq}"),
            kind: "hash".into(),
            root: list.root_hex().into(),
            size: 1,
            entries: 1,
            provenance: "{}".into(),
            created_at: at.into(),
        }
    }

    fn served(grace_s: u64) -> ServedLists {
        ServedLists::new(
            Vec::new(),
            ListSettings {
                superseded_grace_s: grace_s,
                ..ListSettings::default()
            },
            ListMetrics::default(),
        )
    }

    #[test]
    fn the_latest_version_is_current_and_earlier_ones_are_superseded_by_the_next() {
        let lists: Vec<Arc<RefList>> = (0u8..3)
            .map(|i| Arc::new(RefList::from_leaves("l", LeafKind::Hash, vec![[i; 32]])))
            .collect();
        let versions = vec![
            version(1, "l", &lists[0], "2026-01-01T00:00:00Z"),
            version(2, "l", &lists[1], "2026-01-02T00:00:00Z"),
            version(5, "l", &lists[2], "2026-01-03T00:00:00Z"),
        ];
        let now = proof_core::temporal::parse_timestamp("2026-01-03T12:00:00Z").unwrap();
        // One day of grace: v2 (superseded at 01-03) is evaluated, v1 (at 01-02) is not.
        let s = served(86_400);
        assert_eq!(s.wanted(&versions, now), [2, 5]);
        let loaded: BTreeMap<i64, Arc<RefList>> =
            [(2, Arc::clone(&lists[1])), (5, Arc::clone(&lists[2]))].into();
        let (snap, complete) = s.build(&versions, &loaded, now);
        assert!(complete);
        assert_eq!(snap.current["l"].list.root(), lists[2].root());
        let old = &snap.superseded[&lists[0].root()];
        assert!(!old.loaded);
        assert_eq!(old.by.version, "v2");
        let recent = &snap.superseded[&lists[1].root()];
        assert!(recent.loaded);
        assert_eq!(recent.at(), "2026-01-03T00:00:00Z");
        assert_eq!(snap.registry.len(), 2);
        // A missing body makes the build incomplete.
        let (_, complete) = s.build(&versions, &BTreeMap::new(), now);
        assert!(!complete);
    }

    #[test]
    fn a_context_naming_a_superseded_root_is_noted_within_grace_and_refused_after() {
        let a = Arc::new(RefList::from_leaves("l", LeafKind::Hash, vec![[1; 32]]));
        let b = Arc::new(RefList::from_leaves("l", LeafKind::Hash, vec![[2; 32]]));
        let versions = vec![
            version(1, "l", &a, "2026-01-01T00:00:00Z"),
            version(2, "l", &b, "2026-01-02T00:00:00Z"),
        ];
        let loaded: BTreeMap<i64, Arc<RefList>> = [(1, Arc::clone(&a)), (2, Arc::clone(&b))].into();
        let ctx = Context {
            values: [("root".to_owned(), Value::Scalar(Lit::Hex(a.root())))].into(),
            as_of: None,
        };
        let within = proof_core::temporal::parse_timestamp("2026-01-02T01:00:00Z").unwrap();
        let (snap, _) = served(7_200).build(&versions, &loaded, within);
        let notes = snap.superseded_in(&ctx, WithinGrace::Pass).unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].effect, "pass");
        assert_eq!(notes[0].superseded_by, "v2");
        let after = proof_core::temporal::parse_timestamp("2026-01-02T03:00:00Z").unwrap();
        let (snap, _) = served(7_200).build(&versions, &loaded, after);
        let refused = snap.superseded_in(&ctx, WithinGrace::Warn).unwrap_err();
        assert_eq!(refused.input, "root");
        assert_eq!(refused.superseded.version.version, "v1");
        // Grace 0 refuses at once.
        let (snap, _) = served(0).build(&versions, &loaded, within);
        assert!(snap.superseded_in(&ctx, WithinGrace::Warn).is_err());
    }
}

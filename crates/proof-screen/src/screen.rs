//! Screening suppliers against lists: candidates, clearances, re-screening and the
//! screening statement (`docs/screening.md`).

use crate::clearance::Clearance;
use crate::index::Index;
use crate::list::{Entry, ListFile};
pub use crate::output::{
    Candidate, Cleared, Counts, Lapsed, ListRef, Matcher, Screening, Since, Source, StatedList,
    Statement,
};
use crate::score::{self, Query};
use crate::text::{self, Subject};
use crate::{FORMAT, MATCHER};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A supplier to screen.
#[derive(Clone, Debug)]
pub struct Supplier {
    /// Its id, unique among the suppliers.
    pub id: String,
    /// Its name as written.
    pub name: String,
    /// Its line in the supplier file.
    pub line: u64,
    /// Its country (ISO 3166-1 alpha-2, upper case), if given.
    pub country: Option<String>,
    /// Its identifiers (`scheme`, canonical value).
    pub ids: Vec<(String, String)>,
}

/// How to screen.
#[derive(Clone, Debug)]
pub struct Options {
    /// Candidates score at least this.
    pub threshold: f64,
    /// Earlier versions of lists, by list name: only entries added or changed since are
    /// matched.
    pub since: Vec<ListFile>,
}

/// The best name of an entry for one supplier.
#[derive(Clone, Debug)]
pub struct Best {
    /// The list (index into the lists screened against).
    pub list: usize,
    /// The entry of that list.
    pub entry: usize,
    /// The entry's name that scored best.
    pub name: usize,
    /// Its score and features.
    pub scored: score::Scored,
}

/// Screens `suppliers` against `lists` (indexed in `index`).
#[must_use]
pub fn screen(
    source: Source,
    suppliers: &[Supplier],
    lists: &[ListFile],
    index: &Index,
    clearances: &[Clearance],
    opts: &Options,
) -> Screening {
    let mut warnings = Vec::new();
    let (refs, changed) = since(lists, &opts.since);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 8);
    let chunk = suppliers.len().div_ceil(threads).max(1);
    // Each chunk of suppliers on its own thread; the matches of supplier `i` carry `i`.
    let run = |c: usize, part: &[Supplier]| -> Vec<(usize, Best)> {
        let mut scratch = index.scratch();
        let mut out = Vec::new();
        for (k, s) in part.iter().enumerate() {
            for b in matches(
                index,
                lists,
                changed.as_ref(),
                s,
                opts.threshold,
                &mut scratch,
            ) {
                out.push((c * chunk + k, b));
            }
        }
        out
    };
    let found: Vec<(usize, Best)> = std::thread::scope(|scope| {
        let handles: Vec<_> = suppliers
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| (c, part, scope.spawn(move || run(c, part))))
            .collect();
        // A chunk whose thread failed is screened again here: no supplier is left out.
        handles
            .into_iter()
            .flat_map(|(c, part, h)| h.join().unwrap_or_else(|_| run(c, part)))
            .collect()
    });
    let by_designation: BTreeMap<&str, (usize, &Entry)> = lists
        .iter()
        .enumerate()
        .flat_map(|(li, l)| {
            l.entries
                .iter()
                .map(move |e| (e.designation.as_str(), (li, e)))
        })
        .collect();
    let supplier_ids: BTreeSet<&str> = suppliers.iter().map(|s| s.id.as_str()).collect();
    let mut active: BTreeMap<(&str, &str), &Clearance> = BTreeMap::new();
    let mut lapsed = Vec::new();
    for c in clearances {
        if !supplier_ids.contains(c.supplier_id.as_str()) {
            warnings.push(format!(
                "clearance {} of `{}`: no supplier `{}` in the supplier file",
                c.at, c.entry, c.supplier_id
            ));
        }
        let Some((li, e)) = by_designation.get(c.entry.as_str()) else {
            warnings.push(format!(
                "clearance {}: entry `{}` is on none of the lists screened against (delisted, or another list)",
                c.at, c.entry
            ));
            continue;
        };
        let current = hex::encode(e.hash);
        if current == c.entry_hash {
            active.insert((c.supplier_id.as_str(), c.entry.as_str()), c);
        } else {
            lapsed.push(Lapsed {
                supplier_id: c.supplier_id.clone(),
                entry: c.entry.clone(),
                list: lists.get(*li).map(|l| l.name.clone()).unwrap_or_default(),
                cleared_hash: c.entry_hash.clone(),
                current_hash: current,
                reviewer: c.reviewer.clone(),
                date: c.date.clone(),
            });
        }
    }
    let mut candidates: Vec<Candidate> = found
        .into_iter()
        .filter_map(|(si, b)| {
            let s = suppliers.get(si)?;
            let l = lists.get(b.list)?;
            let e = l.entries.get(b.entry)?;
            let n = e.names.get(b.name)?;
            let clearance = active
                .get(&(s.id.as_str(), e.designation.as_str()))
                .map(|c| Cleared {
                    reviewer: c.reviewer.clone(),
                    date: c.date.clone(),
                    reason: c.reason.clone(),
                });
            Some(Candidate {
                supplier_id: s.id.clone(),
                supplier_line: s.line,
                supplier_name: s.name.clone(),
                list: l.name.clone(),
                root: l.root.clone(),
                entry: e.designation.clone(),
                subject: e.subject,
                entry_hash: hex::encode(e.hash),
                matched_name: n.text.clone(),
                name_source: n.source.clone(),
                score: b.scored.score,
                status: if clearance.is_some() {
                    "cleared"
                } else {
                    "open"
                },
                clearance,
                features: b.scored.features,
            })
        })
        .collect();
    candidates.sort_by(|a, b| {
        (&a.supplier_id, &a.list, &a.entry).cmp(&(&b.supplier_id, &b.list, &b.entry))
    });
    lapsed.sort_by(|a, b| (&a.supplier_id, &a.entry).cmp(&(&b.supplier_id, &b.entry)));
    let cleared = candidates.iter().filter(|c| c.clearance.is_some()).count();
    let counts = Counts {
        suppliers: suppliers.len(),
        candidates: candidates.len(),
        cleared,
        open: candidates.len() - cleared,
        lapsed: lapsed.len(),
    };
    let statement = Statement {
        matcher: MATCHER,
        threshold: opts.threshold,
        scope: if opts.since.is_empty() {
            "full"
        } else {
            "since"
        },
        lists: refs
            .iter()
            .map(|l| StatedList {
                name: l.name.clone(),
                root: l.root.clone(),
                leaves: l.leaves,
            })
            .collect(),
        counts: counts.clone(),
    };
    Screening {
        screening: FORMAT,
        matcher: Matcher {
            id: MATCHER,
            threshold: opts.threshold,
        },
        suppliers: source,
        lists: refs,
        counts,
        statement_digest: digest(&statement),
        statement,
        candidates,
        lapsed,
        warnings,
    }
}

/// SHA-256 of a statement's canonical JSON (RFC 8785), hex: of a [`Statement`] as a
/// screening makes it, or of one read back from a screening file.
#[must_use]
pub fn digest<T: serde::Serialize>(statement: &T) -> String {
    let canonical = serde_json_canonicalizer::to_vec(statement).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

/// The list references, and with earlier versions, per list the entries added or changed
/// since (`None`: every entry).
fn since(lists: &[ListFile], old: &[ListFile]) -> (Vec<ListRef>, Option<Vec<BTreeSet<usize>>>) {
    let mut refs = Vec::new();
    let mut changed = Vec::new();
    for l in lists {
        let mut r = ListRef {
            name: l.name.clone(),
            file: l.file.clone(),
            root: l.root.clone(),
            leaves: l.leaves,
            publisher_date: l.publisher_date.clone(),
            entries: l.entries.len(),
            since: None,
        };
        let mut set = BTreeSet::new();
        match old.iter().find(|o| o.name == l.name) {
            Some(o) => {
                let before: BTreeMap<&str, [u8; 32]> = o
                    .entries
                    .iter()
                    .map(|e| (e.designation.as_str(), e.hash))
                    .collect();
                let (mut added, mut modified) = (0, 0);
                for (i, e) in l.entries.iter().enumerate() {
                    match before.get(e.designation.as_str()) {
                        None => {
                            added += 1;
                            set.insert(i);
                        }
                        Some(h) if *h != e.hash => {
                            modified += 1;
                            set.insert(i);
                        }
                        Some(_) => {}
                    }
                }
                let now: BTreeSet<&str> =
                    l.entries.iter().map(|e| e.designation.as_str()).collect();
                let removed = before.keys().filter(|d| !now.contains(*d)).count();
                r.since = Some(Since {
                    file: o.file.clone(),
                    root: o.root.clone(),
                    added,
                    changed: modified,
                    removed,
                });
            }
            None => set.extend(0..l.entries.len()),
        }
        refs.push(r);
        changed.push(set);
    }
    (refs, (!old.is_empty()).then_some(changed))
}

/// The query of a supplier.
#[must_use]
pub fn query(index: &Index, s: &Supplier) -> Query {
    let t = text::tokens(&s.name, Subject::Unknown);
    Query {
        weights: t
            .tokens
            .iter()
            .zip(&t.folded)
            .map(|(x, f)| index.weight(x, f))
            .collect(),
        tokens: t.tokens,
        folded: t.folded,
        legal_form: t.legal_form,
        country: s.country.clone(),
        ids: s.ids.clone(),
    }
}

/// The entries of the lists that `s` scores at least `threshold` against, each with its
/// best name (the first of equal scores), by list and entry; `changed` limits them to
/// the entries of each list given (a re-screen). `scratch` is [`Index::scratch`].
pub fn matches(
    index: &Index,
    lists: &[ListFile],
    changed: Option<&Vec<BTreeSet<usize>>>,
    s: &Supplier,
    threshold: f64,
    scratch: &mut crate::index::Scratch,
) -> Vec<Best> {
    let q = query(index, s);
    let mut best: BTreeMap<(usize, usize), Best> = BTreeMap::new();
    for id in index.candidates(&q.folded, &q.weights, scratch) {
        let Some(n) = index.names.get(id as usize) else {
            continue;
        };
        if let Some(sets) = changed
            && !sets.get(n.list).is_some_and(|set| set.contains(&n.entry))
        {
            continue;
        }
        let Some(e) = lists.get(n.list).and_then(|l| l.entries.get(n.entry)) else {
            continue;
        };
        let scored = score::score(&q, n, e);
        if scored.score < threshold {
            continue;
        }
        let key = (n.list, n.entry);
        let better = best.get(&key).is_none_or(|b| {
            scored.score > b.scored.score || (scored.score == b.scored.score && n.name < b.name)
        });
        if better {
            best.insert(
                key,
                Best {
                    list: n.list,
                    entry: n.entry,
                    name: n.name,
                    scored,
                },
            );
        }
    }
    best.into_values().collect()
}

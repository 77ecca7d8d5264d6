//! What a screening writes: the screening file's types, in the order of its members
//! (`docs/screening.md`, "The screening file").

use crate::score::Feature;
use crate::text::Subject;
use serde::Serialize;

/// The supplier file screened.
#[derive(Clone, Debug, Serialize)]
pub struct Source {
    /// The file, as given.
    pub file: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Its supplier rows.
    pub rows: usize,
}

/// The matcher and its threshold.
#[derive(Clone, Debug, Serialize)]
pub struct Matcher {
    /// `proof-name-v1`.
    pub id: &'static str,
    /// The threshold.
    pub threshold: f64,
}

/// A list screened against.
#[derive(Clone, Debug, Serialize)]
pub struct ListRef {
    /// Its name.
    pub name: String,
    /// Its file, as given.
    pub file: String,
    /// Its Merkle root: the version the verifier checks.
    pub root: String,
    /// Its leaves.
    pub leaves: usize,
    /// The publisher's date of the official file, if the list records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher_date: Option<String>,
    /// Its designations with at least one name.
    pub entries: usize,
    /// With `--since`: the earlier version and how many entries were added or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Since>,
}

/// The earlier version of a list a re-screen compares with.
#[derive(Clone, Debug, Serialize)]
pub struct Since {
    /// Its file.
    pub file: String,
    /// Its root.
    pub root: String,
    /// Entries added since.
    pub added: usize,
    /// Entries whose content changed since.
    pub changed: usize,
    /// Entries no longer on the list.
    pub removed: usize,
}

/// Who cleared a candidate, when and why.
#[derive(Clone, Debug, Serialize)]
pub struct Cleared {
    /// The reviewer.
    pub reviewer: String,
    /// The date of the review.
    pub date: String,
    /// The reason.
    pub reason: String,
}

/// A possible match of a supplier with a list entry.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// The supplier's id.
    pub supplier_id: String,
    /// Its line in the supplier file.
    pub supplier_line: u64,
    /// Its name as written.
    pub supplier_name: String,
    /// The list.
    pub list: String,
    /// The list's root.
    pub root: String,
    /// The list's own id of the entry (`un:KPe.020`).
    pub entry: String,
    /// What the list says the entry is.
    pub subject: Subject,
    /// SHA-256 of the entry's content in this list version: what a clearance names.
    pub entry_hash: String,
    /// The entry's name or alias that matched best (canonical form).
    pub matched_name: String,
    /// The field of the official file that name came from.
    pub name_source: String,
    /// The score.
    pub score: f64,
    /// `open` or `cleared`.
    pub status: &'static str,
    /// The clearance, when cleared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clearance: Option<Cleared>,
    /// What each feature compared and contributed.
    pub features: Vec<Feature>,
}

/// A clearance that no longer applies: the entry's content changed since it was cleared.
#[derive(Clone, Debug, Serialize)]
pub struct Lapsed {
    /// The supplier's id.
    pub supplier_id: String,
    /// The list entry.
    pub entry: String,
    /// The list it is on now.
    pub list: String,
    /// The entry's hash the clearance names.
    pub cleared_hash: String,
    /// The entry's hash now.
    pub current_hash: String,
    /// Who had cleared it, and when.
    pub reviewer: String,
    /// The date of that review.
    pub date: String,
}

/// The counts of a screening.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Suppliers screened.
    pub suppliers: usize,
    /// Candidates at or above the threshold.
    pub candidates: usize,
    /// Of those, cleared.
    pub cleared: usize,
    /// Of those, open (not cleared).
    pub open: usize,
    /// Clearances that lapsed.
    pub lapsed: usize,
}

/// What a screening states, in the form its digest is taken of.
#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    /// The matcher id and version.
    pub matcher: &'static str,
    /// The threshold.
    pub threshold: f64,
    /// `full`, or `since` for a re-screen of changed entries only.
    pub scope: &'static str,
    /// Each list: name, root, leaves, publisher's date.
    pub lists: Vec<StatedList>,
    /// The counts.
    pub counts: Counts,
}

/// A list as the statement names it.
#[derive(Clone, Debug, Serialize)]
pub struct StatedList {
    /// Its name.
    pub name: String,
    /// Its root.
    pub root: String,
    /// Its leaves.
    pub leaves: usize,
}

/// The result of a screening: the file `proof screen` writes.
#[derive(Clone, Debug, Serialize)]
pub struct Screening {
    /// `proof-screening/v1`.
    pub screening: &'static str,
    /// The matcher.
    pub matcher: Matcher,
    /// The supplier file.
    pub suppliers: Source,
    /// The lists.
    pub lists: Vec<ListRef>,
    /// The counts.
    pub counts: Counts,
    /// The statement.
    pub statement: Statement,
    /// SHA-256 of the statement's canonical JSON (RFC 8785), hex.
    pub statement_digest: String,
    /// The candidates, by supplier id, list and entry.
    pub candidates: Vec<Candidate>,
    /// Clearances that lapsed.
    pub lapsed: Vec<Lapsed>,
    /// What was not an error but needs a look (a clearance of an entry on no list, ...).
    pub warnings: Vec<String>,
}

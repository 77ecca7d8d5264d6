//! What a verification gives: the [`Report`], one [`RuleResult`] per rule, the
//! [`Evidence`] behind each outcome, and the [`Verdict`].

use super::{ItemRef, pretty};
use crate::ir::Severity;
use serde::Serialize;
use serde_json::Value as Json;

/// The overall outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Verdict {
    /// Every active rule passed.
    #[serde(rename = "OK")]
    Ok,
    /// Only `warn` rules failed.
    #[serde(rename = "WARN")]
    Warn,
    /// A `fail` rule failed.
    #[serde(rename = "FAIL")]
    Fail,
}

impl Verdict {
    /// The name in reports: `OK`, `WARN` or `FAIL`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        }
    }
}

/// One rule's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check held.
    Pass,
    /// The check did not hold, or could not be evaluated.
    Fail,
    /// The rule was not active for this context.
    Skipped,
}

impl Status {
    /// The name in reports: `pass`, `fail` or `skipped`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Skipped => "skipped",
        }
    }
}

/// One rule in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleResult {
    /// The rule.
    pub rule_id: String,
    /// Its outcome.
    pub status: Status,
    /// Its severity.
    pub severity: Severity,
    /// Why, in words.
    pub detail: String,
    /// The values behind the outcome (list, found hashes, compared values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The values behind a rule's outcome. Serialised as a JSON object with its members in
/// name order (as `serde_json` orders a map), which is what reports have always shown: keep
/// the fields in that order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    /// A `membership` or `non_membership` check against a reference list.
    Membership {
        /// How many hashes were checked.
        checked: usize,
        /// With a left side that maps records: how many items have a hash found
        /// (`non_membership`) or missing (`membership`).
        #[serde(skip_serializing_if = "Option::is_none")]
        failed: Option<usize>,
        /// `non_membership`: the hashes found on the list, hex, sorted.
        #[serde(skip_serializing_if = "Option::is_none")]
        found: Option<Vec<String>>,
        /// With a left side that maps records: the first [`MAX_ITEMS`](super::MAX_ITEMS) of those items.
        #[serde(skip_serializing_if = "Option::is_none")]
        items: Option<Vec<ItemRef>>,
        /// The list's name.
        list: String,
        /// `non_membership` against a list that records designations: each found hash with
        /// the designations it matched (`eu-fsf:EU.3579.2 via imo`), in `found` order.
        #[serde(skip_serializing_if = "Option::is_none")]
        matched: Option<Vec<Matched>>,
        /// `membership`: the hashes missing from the list, hex, sorted.
        #[serde(skip_serializing_if = "Option::is_none")]
        missing: Option<Vec<String>>,
        /// The list's Merkle root, hex.
        root: String,
    },
    /// An `each` rule: how many items it applied to and which of them failed.
    Each {
        /// Items that `where` selected (all, without `where`).
        applied: usize,
        /// How many of them failed.
        failed: usize,
        /// The first [`MAX_ITEMS`](super::MAX_ITEMS) failing items, in order.
        items: Vec<ItemRef>,
        /// Items in the array.
        total: usize,
    },
    /// A comparison: the values of both sides.
    Comparison {
        /// The left side's value.
        lhs: Json,
        /// The right side's value.
        rhs: Json,
    },
}

/// A hash found on a list, and the designations behind it. Members in name order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// `DESIGNATION via SCHEME`, sorted.
    pub designations: Vec<String>,
    /// The hash, hex.
    pub hash: String,
}

/// The verifier's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub version: String,
    /// Policy hash.
    pub policy_hash: String,
    /// IR hash.
    pub ir_hash: String,
    /// `sha256:` of the canonical context JSON as given.
    pub context_hash: String,
    /// The evaluation time, RFC 3339 UTC.
    pub as_of: String,
    /// One result per rule, in policy order.
    pub results: Vec<RuleResult>,
    /// The lists the context names by a root that a newer version has replaced; empty
    /// (and absent from the JSON) when every root is current. Filled by the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<SupersededList>,
}

/// A list version that the context names although a newer one has replaced it. Fields in
/// name order (the report's bytes rely on it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupersededList {
    /// What it did to the verdict: `warn` (at least WARN) or `pass` (none).
    pub effect: String,
    /// The list's name.
    pub list: String,
    /// When this version was published, RFC 3339.
    pub published_at: String,
    /// The root the context names.
    pub root: String,
    /// When the next version was published, RFC 3339.
    pub superseded_at: String,
    /// The next version.
    pub superseded_by: String,
    /// The next version's root.
    pub superseded_by_root: String,
    /// The version the context names.
    pub version: String,
}

impl Report {
    /// Pretty JSON with a trailing newline: the bytes every front door returns.
    ///
    /// # Errors
    /// Only if serialisation fails, which the report's types rule out in practice.
    pub fn to_pretty_json(&self) -> Result<String, serde_json::Error> {
        String::from_utf8(self.to_pretty_bytes()?).map_err(serde::ser::Error::custom)
    }

    /// [`to_pretty_json`](Self::to_pretty_json) as bytes, for a caller that sends them on
    /// (the service) and need not check again that they are UTF-8.
    ///
    /// # Errors
    /// As [`to_pretty_json`](Self::to_pretty_json).
    pub fn to_pretty_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        pretty::report(self)
    }
}

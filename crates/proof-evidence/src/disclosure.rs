//! The proofs of a disclosure bundle: for every hash a membership rule checked, its
//! inclusion proof when it is on the list, else the absence proof by its neighbours
//! (`proof_core::lists::proof`), checked against the list root and size the receipt signs.

use proof_core::eval::{CheckedHashes, Evidence, Report};
use proof_core::lists::proof::{self, HashProof};
use proof_core::lists::{Registry, parse_hash};
use serde::Deserialize as _;
use serde_json::{Value, json};

/// The `proofs` member of a bundle: one entry per evaluated membership rule of `report`
/// (those with membership evidence), in policy order, each with its list root and one
/// proof per checked hash (sorted).
#[must_use]
pub fn proofs(report: &Report, lists: &Registry, checked: &[CheckedHashes]) -> Value {
    let mut out = Vec::new();
    for r in &report.results {
        let Some(Evidence::Membership { root, .. }) = &r.evidence else {
            continue;
        };
        let Some(c) = checked.iter().find(|c| c.rule_id == r.rule_id) else {
            continue;
        };
        let Some(list) = parse_hash(root).ok().and_then(|h| lists.get(&h)) else {
            continue;
        };
        let hashes: Vec<HashProof> = c.hashes.iter().map(|h| list.prove(h)).collect();
        out.push(json!({"rule_id": r.rule_id, "list_root": root, "hashes": hashes}));
    }
    Value::Array(out)
}

// Reading a `serde_json::Value` by index never panics (a missing member reads as null).
#[allow(clippy::indexing_slicing, reason = "Value's read index returns Null")]
/// Checks a bundle's `proofs` against the signed `predicate`: every evaluated membership
/// rule has its proofs, each proof holds against the signed root and size, the hashes are
/// distinct and as many as the receipt says the rule checked, and the hashes proven on (or off) the list
/// are as many as the rule reported found (or missing). Returns one line per rule.
///
/// # Errors
/// Why the proofs do not hold, naming the rule.
pub fn check(bundle_proofs: &Value, predicate: &Value) -> Result<Vec<String>, String> {
    let Some(sets) = bundle_proofs.as_array() else {
        return Err("`proofs` is not an array".into());
    };
    let mut held = Vec::new();
    let rules = predicate["results"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    for r in rules.iter().filter(|r| r["list_root"].is_string()) {
        let id = r["rule_id"].as_str().unwrap_or("?");
        let root_hex = r["list_root"].as_str().unwrap_or_default();
        let Some(set) = sets.iter().find(|s| s["rule_id"] == r["rule_id"]) else {
            return Err(format!("rule `{id}`: the bundle has no proofs for it"));
        };
        if set["list_root"] != r["list_root"] {
            return Err(format!(
                "rule `{id}`: the proofs are for list root {}, the receipt signs {root_hex}",
                set["list_root"]
            ));
        }
        let Some(list) = predicate["lists"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["root"] == r["list_root"]))
        else {
            return Err(format!("rule `{id}`: the receipt names no list {root_hex}"));
        };
        let (Ok(root), Some(size)) = (parse_hash(root_hex), list["size"].as_u64()) else {
            return Err(format!("rule `{id}`: the receipt signs no root and size"));
        };
        let hashes = Vec::<HashProof>::deserialize(&set["hashes"])
            .map_err(|e| format!("rule `{id}`: malformed proofs ({e})"))?;
        if hashes.windows(2).any(|w| match w {
            [a, b] => a.hash >= b.hash,
            _ => false,
        }) {
            return Err(format!(
                "rule `{id}`: the hashes are not sorted and distinct"
            ));
        }
        let checked = r["checked"].as_u64().unwrap_or(0);
        let n = hashes.len() as u64;
        if r["distinct"].as_u64().is_some_and(|d| d != n) || n > checked || (checked > 0 && n == 0)
        {
            return Err(format!(
                "rule `{id}`: {n} hashes proven, the receipt says it checked {} distinct",
                r["distinct"].as_u64().unwrap_or(checked)
            ));
        }
        let mut on = 0u64;
        for h in &hashes {
            if proof::check(h, &root, size)
                .map_err(|e| format!("rule `{id}`: hash {}: {e}", hex::encode(h.hash)))?
            {
                on += 1;
            }
        }
        let off = hashes.len() as u64 - on;
        let (what, want, got) = if let Some(found) = r["found"].as_u64() {
            ("found on", found, on)
        } else if let Some(missing) = r["missing"].as_u64() {
            ("missing from", missing, off)
        } else {
            return Err(format!(
                "rule `{id}`: the receipt gives no found or missing count"
            ));
        };
        if want != got {
            return Err(format!(
                "rule `{id}`: the receipt says {want} hashes {what} the list, the proofs show {got}"
            ));
        }
        held.push(format!(
            "proofs: rule `{id}`: {} hashes, {on} on and {off} not on list {root_hex} (size {size})",
            hashes.len()
        ));
    }
    Ok(held)
}

//! `membership` and `non_membership` rules: which hashes of the left side are on the list
//! (or missing from it), the designations behind them and, for a left side that maps
//! records, the items they belong to.

use super::expr::{self, Env, Val};
use super::{EvalError, Evidence, Matched, RuleResult, items, result};
use crate::ir::{Expr, Lit, Op, Rule};
use crate::lists::{RefList, Registry};
use std::sync::Arc;

/// Hashes shown in a detail line; the evidence always has all of them.
const DETAIL_HASHES: usize = 10;

fn first_few(hashes: &[String]) -> String {
    let shown = hashes
        .iter()
        .take(DETAIL_HASHES)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    match hashes.len().checked_sub(DETAIL_HASHES) {
        Some(more) if more > 0 => format!("{shown} and {more} more (all in `evidence`)"),
        _ => shown,
    }
}

pub(super) fn root_path(e: &Expr) -> String {
    match e {
        Expr::Var { name, .. } => format!("$.{name}"),
        other => format!("`{other}`"),
    }
}

pub(super) fn check(
    rule: &Rule,
    lhs: &Expr,
    rhs: &Expr,
    rhs_val: &Val<'_>,
    env: &Env<'_>,
    lists: &Registry,
) -> Result<RuleResult, EvalError> {
    let cannot = |m: String| Ok(result(rule, false, format!("cannot evaluate: {m}"), None));
    let Val::Scalar(Lit::Hex(root)) = rhs_val else {
        return cannot("the list root is not a hash".into());
    };
    let list: &Arc<RefList> = lists.get(root).ok_or_else(|| EvalError::UnknownRoot {
        rule: rule.id.clone(),
        path: root_path(rhs),
        root: hex::encode(root),
    })?;
    let want_in = rule.op == Op::Membership;
    let (n, hits, failing) = match items::membership_items(rule, lhs, env, list, want_in) {
        Some(Ok((n, hits, f))) => (n, hits, Some(f)),
        Some(Err(f)) => return cannot(f.0),
        None => {
            let v = match expr::eval(lhs, env) {
                Ok(v) => v,
                Err(f) => return cannot(f.0),
            };
            let (mut n, mut hits) = (0usize, Vec::new());
            let ok = v.each_hash(&mut |h| {
                n += 1;
                if list.contains(h) != want_in {
                    hits.push(*h);
                }
            });
            if !ok {
                return cannot("the left side is not a hash or hash array".into());
            }
            (n, hits, None)
        }
    };
    Ok(outcome(rule, lhs, list, want_in, n, hits, failing))
}

/// The result of a membership rule that checked `n` hashes of `lhs` against `list` and
/// found `hits` (on the list for `non_membership`, missing for `membership`), with the
/// failing items when the left side maps records.
pub(super) fn outcome(
    rule: &Rule,
    lhs: &Expr,
    list: &RefList,
    want_in: bool,
    n: usize,
    mut hits: Vec<[u8; 32]>,
    failing: Option<items::Failing>,
) -> RuleResult {
    hits.sort_unstable();
    hits.dedup();
    let hits_hex: Vec<String> = hits.iter().map(hex::encode).collect();
    let matched = (!want_in && list.has_designations()).then(|| {
        hits.iter()
            .zip(&hits_hex)
            .map(|(h, hex)| Matched {
                designations: list
                    .designations_of(h)
                    .unwrap_or_default()
                    .iter()
                    .map(|d| d.to_string())
                    .collect(),
                hash: hex.clone(),
            })
            .collect::<Vec<_>>()
    });
    let shown: Vec<String> = match &matched {
        Some(m) => m
            .iter()
            .map(|m| format!("{} ({})", m.hash, m.designations.join(", ")))
            .collect(),
        None => hits_hex.clone(),
    };
    let what = lhs;
    let list_name = &list.name;
    let mut detail = match (want_in, hits_hex.is_empty()) {
        (false, true) => format!("none of {n} `{what}` hashes found on list `{list_name}`"),
        (true, true) => format!("all {n} `{what}` hashes found on list `{list_name}`"),
        (false, false) => format!(
            "{} of {n} `{what}` hashes found on list `{list_name}`: {}",
            hits_hex.len(),
            first_few(&shown)
        ),
        (true, false) => format!(
            "{} of {n} `{what}` hashes missing from list `{list_name}`: {}",
            hits_hex.len(),
            first_few(&hits_hex)
        ),
    };
    if let Some(f) = failing.as_ref().filter(|f| f.count > 0) {
        detail.push_str(&items::membership_suffix(f, lhs, want_in));
    }
    let (found, missing) = if want_in {
        (None, Some(hits_hex))
    } else {
        (Some(hits_hex), None)
    };
    let (failed, failing_items) = match failing {
        Some(f) => (Some(f.count), Some(f.items)),
        None => (None, None),
    };
    let evidence = Evidence::Membership {
        checked: n,
        failed,
        found,
        items: failing_items,
        list: list.name.clone(),
        matched,
        missing,
        root: list.root_hex().to_owned(),
    };
    result(rule, hits.is_empty(), detail, Some(evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_show_ten_hashes_and_count_the_rest() {
        let hashes: Vec<String> = (0..12).map(|i| format!("h{i}")).collect();
        let d = first_few(&hashes);
        assert!(
            d.starts_with("h0, h1,") && d.ends_with("h9 and 2 more (all in `evidence`)"),
            "{d}"
        );
        assert_eq!(first_few(&hashes[..10]), hashes[..10].join(", "));
    }
}

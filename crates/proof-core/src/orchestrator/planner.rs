//! The planner: selected rules to a deterministic plan. Order is a stable sort by
//! (cost ascending, rule id ascending); maps are ordered; nothing depends on hash-map
//! iteration or randomness, so the same inputs give the same bytes.

use super::selector::{RuleSelector, SelectError};
use crate::eval::Context;
use crate::ir::Ir;
use crate::temporal;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A plan: which rules run, in which order, at what cost, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Policy id.
    pub policy_id: String,
    /// IR hash the plan was made for.
    pub ir_hash: String,
    /// `basic` or `weighted`.
    pub selector: String,
    /// Evaluation time the predicates were evaluated at.
    pub as_of: String,
    /// Active rules in policy order.
    pub active_rules: Vec<String>,
    /// Active rules in execution order.
    pub order: Vec<String>,
    /// Cost per active rule.
    pub cost: BTreeMap<String, u32>,
    /// Sum of the costs.
    pub cost_sum: u64,
    /// Per active rule: `["always"]` or the predicates that activated it.
    pub reason: BTreeMap<String, Vec<String>>,
    /// Rules not active, in policy order.
    pub skipped: Vec<String>,
}

impl Plan {
    /// Pretty JSON with a trailing newline.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn to_pretty_json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}

/// Plans `ir` for `ctx` at `as_of` with `selector`.
///
/// # Errors
/// [`SelectError`] from the selector.
pub fn plan(
    ir: &Ir,
    ctx: &Context,
    as_of: OffsetDateTime,
    selector: &dyn RuleSelector,
) -> Result<Plan, SelectError> {
    let selected = selector.select(ir, ctx, temporal::utc_day(as_of))?;
    let mut cost = BTreeMap::new();
    let mut keyed: Vec<(u32, &str)> = Vec::with_capacity(selected.active.len());
    for rule in ir
        .rules
        .iter()
        .filter(|r| selected.reasons.contains_key(&r.id))
    {
        let c = selector.cost(rule);
        cost.insert(rule.id.clone(), c);
        keyed.push((c, rule.id.as_str()));
    }
    keyed.sort_unstable();
    let order = keyed.iter().map(|(_, id)| (*id).to_owned()).collect();
    let skipped = ir
        .rules
        .iter()
        .filter(|r| !selected.reasons.contains_key(&r.id))
        .map(|r| r.id.clone())
        .collect();
    Ok(Plan {
        policy_id: ir.policy_id.clone(),
        ir_hash: ir.ir_hash.clone(),
        selector: selector.name().to_owned(),
        as_of: temporal::format_timestamp(as_of),
        cost_sum: cost.values().map(|c| u64::from(*c)).sum(),
        active_rules: selected.active,
        order,
        cost,
        reason: selected.reasons,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::context;
    use crate::orchestrator::{BasicSelector, WeightedSelector, Weights};
    use crate::policy::{self, LintMode};
    use crate::temporal::parse_timestamp;
    use serde_json::json;

    const POLICY: &str = "id: p\nversion: \"1\"\nlegal_basis: [{directive: LkSG, article: \"5\"}]\ninputs: {n: {type: number}, big: {type: bool}, flagged: {type: bool}}\nrules:\n  - {id: zeta, op: range_max, lhs: n, rhs: 10}\n  - {id: alpha, op: range_min, lhs: n, rhs: 0}\n  - {id: mid, op: eq, lhs: big, rhs: true, severity: warn}\n  - {id: deep, op: neq, lhs: flagged, rhs: true}\nadaptivity:\n  predicates:\n    - {id: is_big, expr: big}\n    - {id: is_flagged, expr: flagged}\n  activations:\n    - {when: is_big, rules: [mid]}\n    - {when: [is_big, is_flagged], rules: [deep]}\n";

    fn plan_for(ctx: serde_json::Value, sel: &dyn RuleSelector) -> Plan {
        let ir = policy::compile(POLICY, LintMode::Strict).unwrap().ir;
        let c = context::decode(&ir.inputs, &ctx).unwrap();
        plan(
            &ir,
            &c,
            parse_timestamp("2025-01-01T00:00:00Z").unwrap(),
            sel,
        )
        .unwrap()
    }

    #[test]
    fn predicates_activate_rules_per_case() {
        let p = plan_for(
            json!({"n": 1, "big": false, "flagged": false}),
            &BasicSelector,
        );
        assert_eq!(p.active_rules, ["zeta", "alpha"]);
        assert_eq!(p.skipped, ["mid", "deep"]);
        let p = plan_for(
            json!({"n": 1, "big": false, "flagged": true}),
            &BasicSelector,
        );
        assert_eq!(p.active_rules, ["zeta", "alpha", "deep"]);
        assert_eq!(p.reason["deep"], ["is_flagged"]);
        let p = plan_for(
            json!({"n": 1, "big": true, "flagged": true}),
            &BasicSelector,
        );
        assert_eq!(p.active_rules, ["zeta", "alpha", "mid", "deep"]);
        assert_eq!(p.reason["deep"], ["is_big", "is_flagged"]);
        assert_eq!(p.reason["zeta"], ["always"]);
    }

    #[test]
    fn order_is_cost_then_rule_id() {
        let w = WeightedSelector {
            weights: Weights::parse("weights: {zeta: 1, alpha: 1, mid: 0, deep: 7}")
                .unwrap()
                .0,
        };
        let p = plan_for(json!({"n": 1, "big": true, "flagged": false}), &w);
        assert_eq!(p.order, ["mid", "alpha", "zeta", "deep"]);
        assert_eq!(p.cost_sum, 9);
        assert_eq!(p.selector, "weighted");
        let p = plan_for(
            json!({"n": 1, "big": true, "flagged": false}),
            &BasicSelector,
        );
        assert_eq!(
            p.order,
            ["alpha", "deep", "mid", "zeta"],
            "default cost 1 for comparisons: id order"
        );
    }

    #[test]
    fn weighted_order_is_identical_across_1000_shuffled_weights_files() {
        let entries = ["zeta: 2", "alpha: 2", "mid: 1", "deep: 2"];
        let mut first: Option<String> = None;
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..1000 {
            let mut e = entries.to_vec();
            for i in (1..e.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                e.swap(i, usize::try_from(seed % (i as u64 + 1)).unwrap());
            }
            let text = format!("weights:\n  {}\n", e.join("\n  "));
            let w = WeightedSelector {
                weights: Weights::parse(&text).unwrap().0,
            };
            let bytes = plan_for(json!({"n": 1, "big": true, "flagged": true}), &w)
                .to_pretty_json()
                .unwrap();
            match &first {
                None => first = Some(bytes),
                Some(f) => assert_eq!(f, &bytes),
            }
        }
    }

    #[test]
    fn weights_for_unknown_rules_are_refused() {
        let w = WeightedSelector {
            weights: Weights::parse("weights: {zeta: 1, nope: 2, gone: 3}")
                .unwrap()
                .0,
        };
        let ir = policy::compile(POLICY, LintMode::Strict).unwrap().ir;
        let c =
            context::decode(&ir.inputs, &json!({"n": 1, "big": true, "flagged": true})).unwrap();
        let e = plan(
            &ir,
            &c,
            parse_timestamp("2025-01-01T00:00:00Z").unwrap(),
            &w,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "weights for rules that `p` does not have: gone, nope"
        );
    }
}

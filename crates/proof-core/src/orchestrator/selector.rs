//! Selectors: the active rules of a policy for a context, and what each rule costs.
//!
//! Selection is the policy's adaptivity: a rule named in no activation is always active; a
//! rule named in activations is active when any of their predicates holds at `as_of` (a
//! predicate that cannot be evaluated counts as holding). Both selectors select the same
//! rules; they differ in cost. Default cost per op: `membership` and `non_membership` 2 (a
//! lookup per hash), every comparison 1; costs do not scale with input size, so a plan
//! depends only on the policy, the weights and which predicates hold.

use crate::eval::{self, Context, Reason};
use crate::ir::{Ir, Op, Rule};
use crate::policy::yaml::{self, NodeKind};
use std::collections::{BTreeMap, HashMap};

/// The active rules, in policy order, and why each is active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedRules {
    /// Active rule ids in policy order.
    pub active: Vec<String>,
    /// Per active rule: `["always"]` or the predicate ids that activated it.
    pub reasons: BTreeMap<String, Vec<String>>,
}

/// Why no selection could be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    /// The weights name rules the policy does not have.
    #[error("weights for rules that `{policy}` does not have: {}", .rules.join(", "))]
    UnknownRules {
        /// The policy.
        policy: String,
        /// The unknown rule ids.
        rules: Vec<String>,
    },
    /// The weights file is malformed.
    #[error("weights file: {0}")]
    Weights(String),
}

/// Chooses the active rules and prices them.
pub trait RuleSelector {
    /// `basic` or `weighted`.
    fn name(&self) -> &'static str;

    /// The active rules for `ctx` with `now()` at day `today`.
    ///
    /// # Errors
    /// [`SelectError`] when the selector does not fit the policy.
    fn select(&self, ir: &Ir, ctx: &Context, today: i64) -> Result<SelectedRules, SelectError>;

    /// What running `rule` costs.
    fn cost(&self, rule: &Rule) -> u32;
}

/// The default cost of an op: a comparison 1, a list lookup 2, an `each` rule (which
/// evaluates its conditions once per item) 3. Costs are per rule, not per item; a weights
/// file can say more for a context with many items.
#[must_use]
pub const fn default_cost(op: Op) -> u32 {
    match op {
        Op::Membership | Op::NonMembership => 2,
        Op::Eq | Op::Neq | Op::RangeMin | Op::RangeMax => 1,
        Op::Each => 3,
    }
}

fn select_by_predicates(ir: &Ir, ctx: &Context, today: i64) -> SelectedRules {
    let mut out = SelectedRules {
        active: Vec::new(),
        reasons: BTreeMap::new(),
    };
    for (rule, reason) in ir.rules.iter().zip(eval::select(ir, ctx, today)) {
        let why = match reason {
            Some(Reason::Always) => vec!["always".to_owned()],
            Some(Reason::Predicates(p)) => p,
            None => continue,
        };
        out.active.push(rule.id.clone());
        out.reasons.insert(rule.id.clone(), why);
    }
    out
}

/// Predicates only; default costs.
#[derive(Clone, Copy, Debug, Default)]
pub struct BasicSelector;

impl RuleSelector for BasicSelector {
    fn name(&self) -> &'static str {
        "basic"
    }
    fn select(&self, ir: &Ir, ctx: &Context, today: i64) -> Result<SelectedRules, SelectError> {
        Ok(select_by_predicates(ir, ctx, today))
    }
    fn cost(&self, rule: &Rule) -> u32 {
        default_cost(rule.op)
    }
}

/// Predicates, with costs from a weights file (default cost for rules it does not name).
#[derive(Clone, Debug, Default)]
pub struct WeightedSelector {
    /// Cost per rule id.
    pub weights: HashMap<String, u32>,
}

impl RuleSelector for WeightedSelector {
    fn name(&self) -> &'static str {
        "weighted"
    }
    fn select(&self, ir: &Ir, ctx: &Context, today: i64) -> Result<SelectedRules, SelectError> {
        let mut unknown: Vec<String> = self
            .weights
            .keys()
            .filter(|k| ir.rule(k).is_none())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            unknown.sort();
            return Err(SelectError::UnknownRules {
                policy: ir.policy_id.clone(),
                rules: unknown,
            });
        }
        Ok(select_by_predicates(ir, ctx, today))
    }
    fn cost(&self, rule: &Rule) -> u32 {
        self.weights
            .get(&rule.id)
            .copied()
            .unwrap_or_else(|| default_cost(rule.op))
    }
}

/// A parsed weights file: `weights: {rule_id: cost}` with costs from 0 to 4294967295.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Weights(pub HashMap<String, u32>);

impl Weights {
    /// Parses weights YAML.
    ///
    /// # Errors
    /// [`SelectError::Weights`] naming the line and the problem.
    pub fn parse(src: &str) -> Result<Self, SelectError> {
        let doc = yaml::parse(src)
            .map_err(|d| SelectError::Weights(at(d.span.map(|s| s.line), &d.message)))?;
        let NodeKind::Map(top) = &doc.kind else {
            return Err(SelectError::Weights(
                "expected a mapping with `weights`".into(),
            ));
        };
        let mut weights = None;
        for (k, v) in top {
            if k.name != "weights" {
                return Err(SelectError::Weights(at(
                    Some(k.span.line),
                    &format!("unknown field `{}`; the file has only `weights`", k.name),
                )));
            }
            weights = Some(v);
        }
        let node = weights.ok_or_else(|| SelectError::Weights("no `weights` mapping".into()))?;
        let NodeKind::Map(pairs) = &node.kind else {
            return Err(SelectError::Weights(at(
                Some(node.span.line),
                "`weights` must map rule ids to costs",
            )));
        };
        let mut out = HashMap::new();
        for (k, v) in pairs {
            let cost = match v.kind {
                NodeKind::Int(n) => u32::try_from(n).ok(),
                _ => None,
            }
            .ok_or_else(|| {
                SelectError::Weights(at(
                    Some(v.span.line),
                    &format!(
                        "the cost of `{}` must be a whole number from 0 to {}",
                        k.name,
                        u32::MAX
                    ),
                ))
            })?;
            if out.insert(k.name.clone(), cost).is_some() {
                return Err(SelectError::Weights(at(
                    Some(k.span.line),
                    &format!("`{}` appears twice", k.name),
                )));
            }
        }
        Ok(Self(out))
    }
}

fn at(line: Option<u32>, msg: &str) -> String {
    line.map_or_else(|| msg.to_owned(), |l| format!("line {l}: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_refuse_bad_values_with_their_line() {
        let w = Weights::parse("weights:\n  a: 1\n  b: 3\n").unwrap();
        assert_eq!(w.0.get("b"), Some(&3));
        assert!(
            Weights::parse("weights:\n  a: -1\n")
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
        assert!(Weights::parse("weights:\n  a: 1.5\n").is_err());
        assert!(Weights::parse("weights:\n  a: x\n").is_err());
        assert!(
            Weights::parse("weights:\n  a: 1\n  a: 2\n")
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        assert!(
            Weights::parse("weight: {a: 1}\n")
                .unwrap_err()
                .to_string()
                .contains("unknown field `weight`")
        );
        assert!(Weights::parse("weights: [a]\n").is_err());
        assert!(Weights::parse("weights: {a: 1\n").is_err());
    }
}

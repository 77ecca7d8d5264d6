//! The verifier: IR and context to a report.
//!
//! Consumes an [`Ir`], context JSON, an optional `as_of` and a list [`Registry`]; produces a
//! [`Report`] whose bytes depend only on those inputs. Steps: decode the context against
//! the declared inputs ([`context`]), select the active rules (adaptivity), evaluate each
//! rule ([`expr`]), combine severities into the verdict.

mod checked;
pub mod cond;
pub mod context;
pub mod expr;
mod items;
mod membership;
mod pretty;
mod report;
mod row;

pub use checked::{CheckedHashes, membership_inputs};
pub use context::{Context, ContextError, Scanned};
pub use expr::eval_const;
pub use items::{ItemRef, MAX_ITEMS};
pub use report::{Evidence, Matched, Report, RuleResult, Status, SupersededList, Verdict};

use crate::hash::{self, CanonicalError};
use crate::ir::{Expr, Ir, Lit, Op, Rule, Severity};
use crate::json::Tree;
use crate::lists::Registry;
use crate::orchestrator::{self, Plan, RuleSelector};
use crate::temporal;
use expr::{Env, Fault, Val};
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// Why no report could be produced: the input is wrong, not the company.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The context does not fit the declared inputs.
    #[error("invalid context at {0}")]
    Context(#[from] ContextError),
    /// A rule names a list root the registry does not know.
    #[error(
        "{path}: unknown list root {root} (rule `{rule}`); known roots are listed by `proof lists` / GET /lists"
    )]
    UnknownRoot {
        /// The rule.
        rule: String,
        /// Where the root came from, e.g. `$.sanctions_root`.
        path: String,
        /// The root, hex.
        root: String,
    },
    /// Hashing the context failed.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// The selector does not fit the policy (e.g. weights for unknown rules).
    #[error(transparent)]
    Select(#[from] crate::orchestrator::SelectError),
}

/// How to run a verification beyond the defaults.
#[derive(Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Plan with this selector and run the active rules in plan order (cheapest first).
    pub selector: Option<&'a dyn RuleSelector>,
    /// Stop at the first failing rule of severity `fail`; the rest are `skipped`.
    pub fail_fast: bool,
}

/// A report, and the plan it followed when one was made.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The report.
    pub report: Report,
    /// The plan, with a selector.
    pub plan: Option<Plan>,
}

/// Why a rule is active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Named in no activation.
    Always,
    /// Switched on by these predicates.
    Predicates(Vec<String>),
}

/// Decides which rules are active for `ctx` (see `docs/policy-language.md`): a rule named in
/// no activation is always active; one named in activations is active when any of their
/// predicates holds. A predicate that cannot be evaluated counts as holding, so a fault
/// never switches a check off. Returns one entry per rule, in policy order.
#[must_use]
pub fn select(ir: &Ir, ctx: &Context, today: i64) -> Vec<Option<Reason>> {
    let holds = predicates(ir, ctx, today);
    ir.rules
        .iter()
        .map(|r| {
            let mut fired: Vec<&str> = Vec::new();
            if !activation(ir, &holds, r, |p| fired.push(p)) {
                return Some(Reason::Always);
            }
            fired.sort_unstable();
            fired.dedup();
            (!fired.is_empty())
                .then(|| Reason::Predicates(fired.into_iter().map(str::to_owned).collect()))
        })
        .collect()
}

/// Whether each rule is active, as [`select`] decides but without the reasons (which
/// would cost allocations on every verification).
fn active(ir: &Ir, ctx: &Context, today: i64) -> Vec<bool> {
    let holds = predicates(ir, ctx, today);
    ir.rules
        .iter()
        .map(|r| {
            let mut fired = false;
            !activation(ir, &holds, r, |_| fired = true) || fired
        })
        .collect()
}

/// Each predicate's id and whether it holds (a fault counts as holding).
fn predicates<'i>(ir: &'i Ir, ctx: &Context, today: i64) -> Vec<(&'i str, bool)> {
    let env = Env {
        ctx,
        today,
        lists: None,
        roots: Vec::new(),
    };
    ir.adaptivity
        .predicates
        .iter()
        .map(|p| {
            (
                p.id.as_str(),
                !matches!(expr::eval(&p.expr, &env), Ok(Val::Scalar(Lit::Bool(false)))),
            )
        })
        .collect()
}

/// Calls `fired` with each holding predicate of each activation that names `rule`; false
/// when no activation names it.
fn activation<'i>(
    ir: &'i Ir,
    holds: &[(&str, bool)],
    rule: &Rule,
    mut fired: impl FnMut(&'i str),
) -> bool {
    let mut named = false;
    for a in ir
        .adaptivity
        .activations
        .iter()
        .filter(|a| a.rules.contains(&rule.id))
    {
        named = true;
        for w in &a.when {
            if holds.iter().any(|(p, h)| *p == w.as_str() && *h) {
                fired(w.as_str());
            }
        }
    }
    named
}

/// Verifies `ctx_json` (a `serde_json::Value` or a [`Doc`](crate::json::Doc)) against `ir`.
///
/// The evaluation time is `as_of` if given, else the context's `as_of`, else the clock;
/// the report always states it.
///
/// # Errors
/// [`EvalError`] for a context that does not fit or an unknown list root.
pub fn verify<T: Tree>(
    ir: &Ir,
    ctx_json: &T,
    as_of: Option<OffsetDateTime>,
    lists: &Registry,
) -> Result<Report, EvalError> {
    verify_with(ir, ctx_json, as_of, lists, RunOptions::default()).map(|v| v.report)
}

/// [`verify`] with a plan and/or `fail_fast`. Results are always listed in policy order;
/// with a selector the active rules are evaluated in plan order.
///
/// # Errors
/// As [`verify`], and [`EvalError::Select`] when the selector does not fit the policy.
pub fn verify_with<T: Tree>(
    ir: &Ir,
    ctx_json: &T,
    as_of: Option<OffsetDateTime>,
    lists: &Registry,
    opts: RunOptions<'_>,
) -> Result<Verification, EvalError> {
    let ctx = context::decode(&ir.inputs, ctx_json)?;
    let as_of = resolve_as_of(as_of, &ctx);
    let plan = opts
        .selector
        .map(|s| orchestrator::plan(ir, &ctx, as_of, s))
        .transpose()?;
    let order = plan.as_ref().map(|p| p.order.as_slice());
    let report = verify_decoded(ir, ctx_json, &ctx, as_of, lists, order, opts.fail_fast)?;
    Ok(Verification { report, plan })
}

/// The evaluation time: `as_of` if given, else the context's, else the clock.
#[must_use]
pub fn resolve_as_of(as_of: Option<OffsetDateTime>, ctx: &Context) -> OffsetDateTime {
    as_of.or(ctx.as_of).unwrap_or_else(OffsetDateTime::now_utc)
}

/// The report for a context already decoded from `ctx_json`, evaluating active rules in
/// `order` (default: policy order), optionally stopping at the first failing `fail` rule.
///
/// # Errors
/// As [`verify`].
pub fn verify_decoded<T: Tree>(
    ir: &Ir,
    ctx_json: &T,
    ctx: &Context,
    as_of: OffsetDateTime,
    lists: &Registry,
    order: Option<&[String]>,
    fail_fast: bool,
) -> Result<Report, EvalError> {
    let context_hash = hash::value_sha256(ctx_json)?;
    report(ir, ctx, context_hash, as_of, lists, order, fail_fast)
}

/// [`verify_decoded`] for a context whose hash is already known (from
/// [`context::scan`], which hashes while it decodes).
///
/// # Errors
/// [`EvalError::UnknownRoot`] when a rule names a list the registry does not have.
pub fn report(
    ir: &Ir,
    ctx: &Context,
    context_hash: String,
    as_of: OffsetDateTime,
    lists: &Registry,
    order: Option<&[String]>,
    fail_fast: bool,
) -> Result<Report, EvalError> {
    let results = run(ir, ctx, as_of, lists, order, fail_fast)?;
    Ok(Report {
        verdict: verdict(&results),
        policy_id: ir.policy_id.clone(),
        version: ir.version.clone(),
        policy_hash: ir.policy_hash.clone(),
        ir_hash: ir.ir_hash.clone(),
        context_hash,
        as_of: temporal::format_timestamp(as_of),
        results,
        superseded: Vec::new(),
    })
}

/// Evaluates every rule of `ir` on an already decoded context at `as_of`: one result per
/// rule, in policy order (inactive rules are `skipped`).
///
/// # Errors
/// [`EvalError::UnknownRoot`] when a rule names a list the registry does not have.
pub fn evaluate(
    ir: &Ir,
    ctx: &Context,
    as_of: OffsetDateTime,
    lists: &Registry,
) -> Result<Vec<RuleResult>, EvalError> {
    run(ir, ctx, as_of, lists, None, false)
}

/// Evaluates the active rules in `order` (default: policy order), optionally stopping at
/// the first failing `fail` rule, and lists results in policy order.
fn run(
    ir: &Ir,
    ctx: &Context,
    as_of: OffsetDateTime,
    lists: &Registry,
    order: Option<&[String]>,
    fail_fast: bool,
) -> Result<Vec<RuleResult>, EvalError> {
    let today = temporal::utc_day(as_of);
    let mut env = Env {
        ctx,
        today,
        lists: Some(lists),
        roots: Vec::new(),
    };
    env.roots = expr::resolve_roots(ir.rules.iter().flat_map(Rule::exprs), &env, lists);
    // Rule positions in evaluation order: the plan's, else the active rules in policy order.
    let positions: Vec<usize> = match order {
        Some(o) => o
            .iter()
            .filter_map(|id| ir.rules.iter().position(|r| r.id == *id))
            .collect(),
        None => active(ir, ctx, today)
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.then_some(i))
            .collect(),
    };
    // Results by rule position, so that they come out in policy order.
    let mut done: Vec<Option<RuleResult>> = ir.rules.iter().map(|_| None).collect();
    let mut fused = if fail_fast {
        // Stopping early needs one rule at a time.
        Vec::new()
    } else {
        fuse_each_rules(ir, &positions, &env)
    };
    let mut stopped_at: Option<&str> = None;
    for pos in positions {
        let Some(rule) = ir.rules.get(pos) else {
            continue;
        };
        let r = match stopped_at {
            Some(at) => RuleResult {
                rule_id: rule.id.clone(),
                status: Status::Skipped,
                severity: rule.severity,
                detail: format!("not evaluated: fail_fast stopped after `{at}` failed"),
                evidence: None,
            },
            None => match fused.get_mut(pos).and_then(Option::take) {
                Some(r) => {
                    known_roots(rule, &env, lists)?;
                    r
                }
                None => eval_rule(rule, &env, lists)?,
            },
        };
        if fail_fast
            && stopped_at.is_none()
            && r.status == Status::Fail
            && r.severity == Severity::Fail
        {
            stopped_at = Some(&rule.id);
        }
        if let Some(slot) = done.get_mut(pos) {
            *slot = Some(r);
        }
    }
    Ok(ir
        .rules
        .iter()
        .zip(done)
        .map(|(rule, r)| r.unwrap_or_else(|| skipped(rule, ir)))
        .collect())
}

/// FAIL if a `fail` rule failed, else WARN if a `warn` rule failed, else OK.
#[must_use]
pub fn verdict(results: &[RuleResult]) -> Verdict {
    results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| match r.severity {
            Severity::Fail => Verdict::Fail,
            Severity::Warn => Verdict::Warn,
        })
        .max()
        .unwrap_or(Verdict::Ok)
}

fn skipped(rule: &Rule, ir: &Ir) -> RuleResult {
    let preds: BTreeSet<&str> = ir
        .adaptivity
        .activations
        .iter()
        .filter(|a| a.rules.contains(&rule.id))
        .flat_map(|a| a.when.iter().map(String::as_str))
        .collect();
    let names: Vec<String> = preds.iter().map(|p| format!("`{p}`")).collect();
    RuleResult {
        rule_id: rule.id.clone(),
        status: Status::Skipped,
        severity: rule.severity,
        detail: format!(
            "not active: no activating predicate holds ({})",
            names.join(", ")
        ),
        evidence: None,
    }
}

fn result(rule: &Rule, pass: bool, detail: String, evidence: Option<Evidence>) -> RuleResult {
    RuleResult {
        rule_id: rule.id.clone(),
        status: if pass { Status::Pass } else { Status::Fail },
        severity: rule.severity,
        detail,
        evidence,
    }
}

fn eval_rule(rule: &Rule, env: &Env<'_>, lists: &Registry) -> Result<RuleResult, EvalError> {
    known_roots(rule, env, lists)?;
    let cannot = |f: Fault| {
        Ok(result(
            rule,
            false,
            format!("cannot evaluate: {}", f.0),
            None,
        ))
    };
    if let Some(each) = &rule.each {
        return Ok(items::each(rule, each, env));
    }
    let (Some(lhs), Some(rhs)) = (&rule.lhs, &rule.rhs) else {
        return cannot(Fault("the rule has no operands".into()));
    };
    let rhs_val = match expr::eval(rhs, env) {
        Ok(v) => v,
        Err(f) => return cannot(f),
    };
    if matches!(rule.op, Op::NonMembership | Op::Membership) {
        return membership::check(rule, lhs, rhs, &rhs_val, env, lists);
    }
    let lhs_val = match expr::eval(lhs, env) {
        Ok(v) => v,
        Err(f) => return cannot(f),
    };
    Ok(comparison(rule, rule.op, lhs, lhs_val, rhs_val))
}

/// The results of the active `each` rules that range over the same array as another rule
/// (an `each` rule, or a membership rule whose left side maps its items), by rule position,
/// evaluated in one pass per array ([`items::each_many`]); `None` for the other rules.
fn fuse_each_rules(ir: &Ir, positions: &[usize], env: &Env<'_>) -> Vec<Option<RuleResult>> {
    let mut out: Vec<Option<RuleResult>> = ir.rules.iter().map(|_| None).collect();
    let each_at = |p: usize| {
        let r = ir.rules.get(p)?;
        Some((r, r.each.as_ref()?))
    };
    let mut taken = vec![false; ir.rules.len()];
    for &p in positions {
        let Some((_, e)) = each_at(p) else { continue };
        if taken.get(p).copied().unwrap_or(true) {
            continue;
        }
        let group: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|q| each_at(*q).is_some_and(|(_, x)| x.over == e.over))
            .collect();
        let (heads, mut runs): (Vec<(usize, &Rule)>, Vec<items::MapRun<'_>>) = positions
            .iter()
            .filter_map(|&q| {
                let (rule, run) = map_over(ir.rules.get(q)?, &e.over, env)?;
                Some(((q, rule), run))
            })
            .unzip();
        if group.len() + runs.len() < 2 {
            continue;
        }
        let rules: Vec<(&Rule, &crate::ir::Each)> =
            group.iter().filter_map(|q| each_at(*q)).collect();
        let each_results = items::each_many(&rules, &mut runs, env);
        let map_results = heads.into_iter().zip(runs).filter_map(|((q, rule), run)| {
            let lhs = rule.lhs.as_ref()?;
            let (list, want_in) = (run.list(), rule.op == Op::Membership);
            let r = match run.done() {
                Ok((n, hits, failing)) => {
                    membership::outcome(rule, lhs, list, want_in, n, hits, Some(failing))
                }
                Err(f) => result(rule, false, format!("cannot evaluate: {}", f.0), None),
            };
            Some((q, r))
        });
        for (q, r) in group.iter().copied().zip(each_results).chain(map_results) {
            if let (Some(slot), Some(t)) = (out.get_mut(q), taken.get_mut(q)) {
                *slot = Some(r);
                *t = true;
            }
        }
    }
    out
}

/// A membership rule whose left side maps the items of `over` to hashes, against a list the
/// registry has, as a run for [`items::each_many`].
fn map_over<'r>(
    rule: &'r Rule,
    over: &Expr,
    env: &Env<'r>,
) -> Option<(&'r Rule, items::MapRun<'r>)> {
    if !matches!(rule.op, Op::Membership | Op::NonMembership) {
        return None;
    }
    let (lhs, rhs) = (rule.lhs.as_ref()?, rule.rhs.as_ref()?);
    let Expr::Macro { range, .. } = lhs else {
        return None;
    };
    if **range != *over {
        return None;
    }
    let Ok(Val::Scalar(Lit::Hex(root))) = expr::eval(rhs, env) else {
        return None;
    };
    let list = env.lists?.get(&root)?;
    let (run, _) = items::MapRun::new(rule, lhs, list, rule.op == Op::Membership)?;
    Some((rule, run))
}

/// Every `on_list` root of the rule that does not depend on an item must be a list the
/// registry has: an unknown root is the request's error, as for the membership ops.
fn known_roots(rule: &Rule, env: &Env<'_>, lists: &Registry) -> Result<(), EvalError> {
    let roots = rule.exprs().flat_map(Expr::on_list_roots);
    for root in roots {
        if let Ok(Val::Scalar(Lit::Hex(h))) = expr::eval(root, env)
            && lists.get(&h).is_none()
        {
            return Err(EvalError::UnknownRoot {
                rule: rule.id.clone(),
                path: membership::root_path(root),
                root: hex::encode(h),
            });
        }
    }
    Ok(())
}

fn comparison(rule: &Rule, op: Op, lhs_expr: &Expr, lhs: Val<'_>, rhs: Val<'_>) -> RuleResult {
    let (Val::Scalar(l), Val::Scalar(r)) = (lhs, rhs) else {
        return result(
            rule,
            false,
            "cannot evaluate: an operand is an array".into(),
            None,
        );
    };
    let ord = expr::compare(&l, &r);
    let (pass, sym) = match op {
        Op::Eq => (l == r, "=="),
        Op::Neq => (l != r, "!="),
        Op::RangeMin => (ord.is_some_and(std::cmp::Ordering::is_ge), ">="),
        _ => (ord.is_some_and(std::cmp::Ordering::is_le), "<="),
    };
    let verb = if pass { "holds" } else { "does not hold" };
    let detail = format!("`{lhs_expr}` is {l}; `{l} {sym} {r}` {verb}");
    result(
        rule,
        pass,
        detail,
        Some(Evidence::Comparison {
            lhs: lit_json(&l),
            rhs: lit_json(&r),
        }),
    )
}

/// Inputs whose names begin with this are **stated**: a receipt carries their values
/// (`docs/evidence.md`, "What a receipt states"), so a policy may declare them without a
/// rule that uses them. Only scalars are stated; they are what the company's own name
/// screening found (`proof screen`), never a supplier's identifier.
pub const STATED_PREFIX: &str = "screening_";

/// The scalar inputs of `ctx` whose names begin with [`STATED_PREFIX`], by name, the
/// prefix removed, as JSON: a whole number as an integer, other numbers and booleans as
/// such, a string as itself, a hash as 64 hex digits, dates and durations in their text
/// form.
#[must_use]
pub fn stated_inputs(ctx: &Context) -> std::collections::BTreeMap<String, Json> {
    ctx.values
        .iter()
        .filter_map(|(name, v)| {
            let rest = name.strip_prefix(STATED_PREFIX)?;
            let context::Value::Scalar(l) = v else {
                return None;
            };
            let j = match l {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "only whole numbers within ±2^53 are written as integers"
                )]
                Lit::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => json!(*n as i64),
                Lit::String(s) => json!(s),
                Lit::Hex(h) => json!(hex::encode(h)),
                other => lit_json(other),
            };
            Some((rest.to_owned(), j))
        })
        .collect()
}

fn lit_json(l: &Lit) -> Json {
    match l {
        Lit::Number(n) => json!(n),
        Lit::Bool(b) => json!(b),
        other => json!(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_members_come_in_name_order() {
        let hashes = Some(vec!["ab".to_owned()]);
        for e in [
            Evidence::Membership {
                checked: 1,
                failed: None,
                found: hashes.clone(),
                items: None,
                list: "l".into(),
                matched: None,
                missing: None,
                root: "00".into(),
            },
            Evidence::Membership {
                checked: 1,
                failed: Some(1),
                found: None,
                items: Some(vec![ItemRef {
                    index: 0,
                    key: Some(json!("k")),
                }]),
                list: "l".into(),
                matched: None,
                missing: hashes.clone(),
                root: "00".into(),
            },
            Evidence::Each {
                applied: 2,
                failed: 1,
                items: vec![ItemRef {
                    index: 1,
                    key: None,
                }],
                total: 3,
            },
            Evidence::Comparison {
                lhs: json!(1),
                rhs: json!("P1D"),
            },
        ] {
            // A `serde_json::Value` map sorts its keys.
            let sorted = serde_json::to_string(&serde_json::to_value(&e).unwrap()).unwrap();
            assert_eq!(serde_json::to_string(&e).unwrap(), sorted);
        }
    }

    #[test]
    fn verdict_takes_the_worst_failed_severity() {
        let r = |status, severity| RuleResult {
            rule_id: "r".into(),
            status,
            severity,
            detail: String::new(),
            evidence: None,
        };
        assert_eq!(verdict(&[]), Verdict::Ok);
        assert_eq!(
            verdict(&[
                r(Status::Fail, Severity::Warn),
                r(Status::Pass, Severity::Fail)
            ]),
            Verdict::Warn
        );
        assert_eq!(
            verdict(&[
                r(Status::Fail, Severity::Warn),
                r(Status::Fail, Severity::Fail)
            ]),
            Verdict::Fail
        );
        assert_eq!(verdict(&[r(Status::Skipped, Severity::Fail)]), Verdict::Ok);
    }
}

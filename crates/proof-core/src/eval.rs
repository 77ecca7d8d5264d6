//! The verifier: IR and context to a report.
//!
//! Consumes an [`Ir`], context JSON, an optional `as_of` and a list [`Registry`]; produces a
//! [`Report`] whose bytes depend only on those inputs. Steps: decode the context against
//! the declared inputs ([`context`]), select the active rules (adaptivity), evaluate each
//! rule ([`expr`]), combine severities into the verdict.

mod checked;
pub mod context;
pub mod expr;
mod items;
mod pretty;

pub use checked::{CheckedHashes, membership_inputs};
pub use context::{Context, ContextError, Scanned};
pub use expr::eval_const;
pub use items::{ItemRef, MAX_ITEMS};

use crate::hash::{self, CanonicalError};
use crate::ir::{Expr, Ir, Lit, Op, Rule, Severity};
use crate::json::Tree;
use crate::lists::{RefList, Registry};
use crate::orchestrator::{self, Plan, RuleSelector};
use crate::temporal;
use expr::{Env, Fault, Val};
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

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
        /// With a left side that maps records: the first [`MAX_ITEMS`] of those items.
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
        /// The first [`MAX_ITEMS`] failing items, in order.
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
    let env = Env {
        ctx,
        today,
        lists: Some(lists),
    };
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
            None => eval_rule(rule, &env, lists)?,
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
        return membership(rule, lhs, rhs, &rhs_val, env, lists);
    }
    let lhs_val = match expr::eval(lhs, env) {
        Ok(v) => v,
        Err(f) => return cannot(f),
    };
    Ok(comparison(rule, rule.op, lhs, lhs_val, rhs_val))
}

/// Every `on_list` root of the rule that does not depend on an item must be a list the
/// registry has: an unknown root is the request's error, as for the membership ops.
fn known_roots(rule: &Rule, env: &Env<'_>, lists: &Registry) -> Result<(), EvalError> {
    let exprs = rule
        .lhs
        .iter()
        .chain(&rule.rhs)
        .chain(rule.each.iter().flat_map(|e| {
            std::iter::once(&e.over)
                .chain(&e.filter)
                .chain(std::iter::once(&e.holds))
        }));
    let mut roots: Vec<&Expr> = Vec::new();
    for e in exprs {
        e.walk(&mut |x| {
            if let Expr::Call {
                func: crate::ir::Func::OnList,
                args,
                ..
            } = x
                && let Some(root) = args.get(1).filter(|r| !r.has_locals())
            {
                roots.push(root);
            }
        });
    }
    for root in roots {
        if let Ok(Val::Scalar(Lit::Hex(h))) = expr::eval(root, env)
            && lists.get(&h).is_none()
        {
            return Err(EvalError::UnknownRoot {
                rule: rule.id.clone(),
                path: root_path(root),
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

fn root_path(e: &Expr) -> String {
    match e {
        Expr::Var { name, .. } => format!("$.{name}"),
        other => format!("`{other}`"),
    }
}

fn membership(
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
    let (items, failing) =
        match items::membership_items(rule, lhs, env, &|h| list.contains(h), want_in) {
            Some(Ok((all, f))) => (all, Some(f)),
            Some(Err(f)) => return cannot(f.0),
            None => match expr::eval(lhs, env).map(|v| v.hashes()) {
                Ok(Some(h)) => (h, None),
                Ok(None) => return cannot("the left side is not a hash or hash array".into()),
                Err(f) => return cannot(f.0),
            },
        };
    let mut hits: Vec<[u8; 32]> = items
        .iter()
        .filter(|h| list.contains(h) != want_in)
        .copied()
        .collect();
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
    let (n, list_name) = (items.len(), &list.name);
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
    Ok(result(rule, hits.is_empty(), detail, Some(evidence)))
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

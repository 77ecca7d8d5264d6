//! The `where` and `holds` of an `each` rule prepared once per rule for the item record:
//! field accesses of the rule's variable become field indexes, `on_list` roots become
//! their lists, literals and `now()` become values. A rule over 100,000 suppliers then
//! walks no expression tree, looks no name up and builds no value per item.
//!
//! Only the forms whose value is plain are prepared (`and`, `or`, `not`, `has`, `on_list`
//! of a hash field, comparisons and arithmetic of fields, literals and `now()`). Where a
//! condition holds anything else, or a prepared form has no plain value for an item (an
//! absent field, a fault in arithmetic, a value of another kind), the whole condition goes
//! to the general evaluator with the item bound; evaluation has no side effects, so results
//! and faults are the ones [`cond::eval_bool`] gives (a property test holds the two to it).
//!
//! [`cond::eval_bool`]: super::cond::eval_bool

use super::context::Value;
use super::expr::{self, Env};
use crate::ir::{BinOp, Expr, Func, Lit, UnOp};
use crate::lists::RefList;
use crate::temporal::DAY;
use crate::types::{Scalar, Type};
use std::cmp::Ordering;

/// A condition on one record.
pub(super) enum Cond<'a> {
    And(Box<Self>, Box<Self>),
    Or(Box<Self>, Box<Self>),
    Not(Box<Self>),
    /// `has(x.field)`.
    Has(usize),
    /// `on_list(x.field, root)` with the root's list.
    OnList {
        field: usize,
        list: &'a RefList,
    },
    /// A comparison of two scalars.
    Cmp {
        op: BinOp,
        lhs: Num,
        rhs: Num,
    },
    /// Not prepared: the condition goes to the general evaluator.
    Other,
}

/// A scalar on one record.
pub(super) enum Num {
    Const(Q),
    /// A scalar field of the record.
    Field(usize),
    Bin(BinOp, Box<Self>, Box<Self>),
    /// Not prepared: the comparison goes to the general evaluator.
    Other,
}

/// True when `e` is the local `var` (the rule's item).
fn is_item(e: &Expr, var: &str) -> bool {
    matches!(e, Expr::Local { name, .. } if name == var)
}

/// Prepares the `bool` expression `e` for records bound to `var`.
pub(super) fn prepare<'a>(e: &Expr, var: &str, env: &Env<'a>) -> Cond<'a> {
    match e {
        Expr::Binary {
            op: BinOp::And,
            lhs,
            rhs,
            ..
        } => Cond::And(
            Box::new(prepare(lhs, var, env)),
            Box::new(prepare(rhs, var, env)),
        ),
        Expr::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
            ..
        } => Cond::Or(
            Box::new(prepare(lhs, var, env)),
            Box::new(prepare(rhs, var, env)),
        ),
        Expr::Unary {
            op: UnOp::Not, arg, ..
        } => Cond::Not(Box::new(prepare(arg, var, env))),
        Expr::Has { arg, index, .. } if is_item(arg, var) => Cond::Has(*index),
        Expr::Call {
            func: Func::OnList,
            args,
            ..
        } => match args.as_slice() {
            [Expr::Field { arg, index, ty, .. }, root]
                if is_item(arg, var) && *ty == Type::Scalar(Scalar::Hex) =>
            {
                let key = expr::root_key(root);
                match env.roots.iter().find(|(k, _)| *k == key) {
                    Some((_, list)) => Cond::OnList {
                        field: *index,
                        list,
                    },
                    None => Cond::Other,
                }
            }
            _ => Cond::Other,
        },
        Expr::Binary {
            op: op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge),
            lhs,
            rhs,
            ..
        } => match (num(lhs, var, env), num(rhs, var, env)) {
            (Num::Other, _) | (_, Num::Other) => Cond::Other,
            (l, r) => Cond::Cmp {
                op: *op,
                lhs: l,
                rhs: r,
            },
        },
        _ => Cond::Other,
    }
}

fn num(e: &Expr, var: &str, env: &Env<'_>) -> Num {
    match e {
        Expr::Lit(l) => q(l).map_or(Num::Other, Num::Const),
        Expr::Call {
            func: Func::Now, ..
        } => Num::Const(Q::Date(env.today)),
        Expr::Field { arg, index, ty, .. }
            if is_item(arg, var)
                && matches!(
                    ty,
                    Type::Scalar(Scalar::Number | Scalar::Date | Scalar::Duration)
                ) =>
        {
            Num::Field(*index)
        }
        Expr::Binary {
            op: op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div),
            lhs,
            rhs,
            ..
        } => match (num(lhs, var, env), num(rhs, var, env)) {
            (Num::Other, _) | (_, Num::Other) => Num::Other,
            (l, r) => Num::Bin(*op, Box::new(l), Box::new(r)),
        },
        _ => Num::Other,
    }
}

/// A number, date or duration.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Q {
    Number(f64),
    Date(i64),
    Duration(i64),
}

const fn q(l: &Lit) -> Option<Q> {
    match l {
        Lit::Number(n) => Some(Q::Number(*n)),
        Lit::Date(d) => Some(Q::Date(*d)),
        Lit::Duration(d) => Some(Q::Duration(*d)),
        Lit::Bool(_) | Lit::Hex(_) | Lit::String(_) => None,
    }
}

/// `l op r` where [`expr::binary`] gives a plain value for it; `None` for every other
/// case (a fault, or a combination left to it).
fn arith(op: BinOp, l: Q, r: Q) -> Option<Q> {
    let finite = |n: f64| n.is_finite().then_some(Q::Number(n));
    match (op, l, r) {
        (BinOp::Add, Q::Number(a), Q::Number(b)) => finite(a + b),
        (BinOp::Sub, Q::Number(a), Q::Number(b)) => finite(a - b),
        (BinOp::Mul, Q::Number(a), Q::Number(b)) => finite(a * b),
        (BinOp::Add, Q::Duration(a), Q::Duration(b)) => a.checked_add(b).map(Q::Duration),
        (BinOp::Sub, Q::Duration(a), Q::Duration(b)) => a.checked_sub(b).map(Q::Duration),
        (BinOp::Sub, Q::Date(a), Q::Date(b)) => a
            .checked_sub(b)
            .and_then(|d| d.checked_mul(DAY))
            .map(Q::Duration),
        _ => None,
    }
}

/// A comparison as [`expr::binary`] makes it; `None` where it faults.
fn compare(op: BinOp, l: Q, r: Q) -> Option<bool> {
    let ord = match (l, r) {
        (Q::Number(a), Q::Number(b)) => a.partial_cmp(&b),
        (Q::Date(a), Q::Date(b)) | (Q::Duration(a), Q::Duration(b)) => Some(a.cmp(&b)),
        _ => None,
    };
    match op {
        BinOp::Eq => Some(l == r),
        BinOp::Ne => Some(l != r),
        BinOp::Lt => ord.map(Ordering::is_lt),
        BinOp::Le => ord.map(Ordering::is_le),
        BinOp::Gt => ord.map(Ordering::is_gt),
        BinOp::Ge => ord.map(Ordering::is_ge),
        _ => None,
    }
}

impl Cond<'_> {
    /// The condition on `rec`; `None` when some part of it has no plain value here (an
    /// absent field, a fault, a form that was not prepared): the caller then evaluates the
    /// whole condition with the general evaluator, which gives the value or the fault.
    pub(super) fn test(&self, rec: &[Option<Value>]) -> Option<bool> {
        match self {
            Self::And(l, r) => Some(l.test(rec)? && r.test(rec)?),
            Self::Or(l, r) => Some(l.test(rec)? || r.test(rec)?),
            Self::Not(a) => Some(!a.test(rec)?),
            Self::Has(i) => Some(matches!(rec.get(*i), Some(Some(_)))),
            Self::OnList { field, list } => match rec.get(*field) {
                Some(Some(Value::Scalar(Lit::Hex(h)))) => Some(list.contains(h)),
                _ => None,
            },
            Self::Cmp { op, lhs, rhs } => compare(*op, lhs.eval(rec)?, rhs.eval(rec)?),
            Self::Other => None,
        }
    }
}

impl Num {
    /// The value on `rec`; `None` where the general evaluator must say why there is none.
    fn eval(&self, rec: &[Option<Value>]) -> Option<Q> {
        match self {
            Self::Const(v) => Some(*v),
            Self::Field(i) => match rec.get(*i) {
                Some(Some(Value::Scalar(l))) => q(l),
                _ => None,
            },
            Self::Bin(op, l, r) => arith(*op, l.eval(rec)?, r.eval(rec)?),
            Self::Other => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::panic,
        reason = "test code"
    )]

    use super::*;
    use crate::eval::{cond, context, expr::Val};
    use crate::lists::{LeafKind, Registry};
    use crate::policy::{self, LintMode};
    use proptest::prelude::*;
    use serde_json::json;

    /// Conditions on `x`, every one fully prepared except the last two (a macro, and a
    /// string comparison).
    const CONDITIONS: [&str; 11] = [
        "has(x.audit) and now() - x.audit <= P180D",
        "not has(x.region) or on_list(x.region, root)",
        "has(x.region) and not on_list(x.region, root)",
        "x.score * 2 > 50 or x.score - 10 < 0",
        "x.score + x.score == 60",
        "now() - x.audit > P30D",
        "x.audit < 2025-01-01 or x.audit >= 2025-06-01",
        "x.wait + P1D <= P10D",
        "x.wait - x.wait != P0D",
        "x.ids.exists(i, on_list(i, root))",
        "x.risk == 'low'",
    ];
    const PREPARED: usize = 9;

    fn leaf(i: u32) -> String {
        hex::encode(crate::hash::sha256(format!("leaf{i}").as_bytes()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn prepared_conditions_give_what_the_general_evaluator_gives(
            items in prop::collection::vec(
                (
                    prop::option::of(0u32..6),
                    prop::option::of(0u32..400),
                    0u32..60,
                    0u32..12,
                    prop::sample::select(vec!["low", "high"]),
                ),
                1..12,
            ),
        ) {
            let rules: String = CONDITIONS
                .iter()
                .enumerate()
                .map(|(i, c)| format!("  - {{id: c{i}, op: each, over: xs, as: x, holds: \"{c}\"}}\n"))
                .collect();
            let src = format!(
                "id: t\nversion: \"1\"\nlegal_basis: [{{directive: LkSG}}]\ninputs:\n  root: {{type: hex}}\n  xs: {{type: array, items: {{type: object, fields: {{ids: {{type: array, items: hex}}, region: {{type: hex, optional: true}}, audit: {{type: date, optional: true}}, score: number, wait: duration, risk: string}}}}}}\nrules:\n{rules}"
            );
            let ir = policy::compile(&src, LintMode::Strict).unwrap_or_else(|e| panic!("{e}")).ir;
            let list = RefList::from_leaves(
                "l",
                LeafKind::Hash,
                (0..3).map(|i| crate::hash::sha256(format!("leaf{i}").as_bytes())).collect(),
            );
            let root = list.root_hex().to_owned();
            let mut reg = Registry::default();
            reg.insert(list).unwrap();
            let xs: Vec<serde_json::Value> = items
                .iter()
                .map(|(region, audit, score, wait, risk)| {
                    let mut o = json!({"ids": [leaf(*score % 5)], "score": score, "wait": format!("P{wait}D"), "risk": risk});
                    if let Some(r) = region {
                        o["region"] = json!(leaf(*r));
                    }
                    if let Some(d) = audit {
                        let date = time::Date::from_calendar_date(2024, time::Month::July, 1).unwrap()
                            + time::Duration::days(i64::from(*d));
                        o["audit"] = json!(date.to_string());
                    }
                    o
                })
                .collect();
            let ctx = context::decode(&ir.inputs, &json!({"xs": xs, "root": root})).unwrap();
            let mut env = Env { ctx: &ctx, today: 20_269, lists: Some(&reg), roots: Vec::new() };
            env.roots = expr::resolve_roots(ir.rules.iter().flat_map(crate::ir::Rule::exprs), &env, &reg);
            let over = expr::eval(&ir.rules[0].each.as_ref().unwrap().over, &env).unwrap();
            for (n, rule) in ir.rules.iter().enumerate() {
                let e = &rule.each.as_ref().unwrap().holds;
                let prepared = prepare(e, "x", &env);
                prop_assert_eq!(n < PREPARED, !matches!(prepared, Cond::Other), "{}", e);
                for i in 0..over.count().unwrap() {
                    let item = over.item(i).unwrap();
                    let Val::Record(rec) = item else { panic!("not a record") };
                    let mut scope = vec![("x", item.clone())];
                    let general = cond::eval_bool(e, &env, &mut scope);
                    match prepared.test(rec) {
                        Some(b) => prop_assert_eq!(Ok(b), general, "{}", e),
                        // Only where a field is absent or arithmetic faults.
                        None => prop_assert!(n >= PREPARED || general.is_err() || rec.iter().any(Option::is_none), "{}", e),
                    }
                }
            }
        }
    }
}

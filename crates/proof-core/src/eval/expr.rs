//! Expression evaluation over a decoded context.
//!
//! Evaluation never panics: empty-array aggregates, division by zero, overflow and
//! out-of-range dates are [`Fault`]s that the rule evaluator turns into a failed rule.

use super::context::{Array, Context, Value};
use crate::ir::{BinOp, Expr, Func, Lit, UnOp};
use crate::temporal::{self, DAY};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A value during evaluation: a scalar, or an array borrowed from the context.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// One value.
    Scalar(Lit),
    /// An input array.
    Array(&'a Array),
}

/// Why an expression has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault(pub String);

fn fault<T>(msg: impl Into<String>) -> Result<T, Fault> {
    Err(Fault(msg.into()))
}

/// The evaluation environment.
pub struct Env<'a> {
    /// Input values.
    pub ctx: &'a Context,
    /// `now()`: days since 1970-01-01.
    pub today: i64,
}

/// Evaluates `e`.
///
/// # Errors
/// A [`Fault`] when the expression has no value for this context.
pub fn eval<'a>(e: &Expr, env: &Env<'a>) -> Result<Val<'a>, Fault> {
    match e {
        Expr::Lit(l) => Ok(Val::Scalar(l.clone())),
        Expr::Var { name, .. } => match env.ctx.values.get(name) {
            Some(Value::Scalar(l)) => Ok(Val::Scalar(l.clone())),
            Some(Value::Array(a)) => Ok(Val::Array(a)),
            None => fault(format!("input `{name}` has no value")),
        },
        Expr::Call { func, args, .. } => {
            let vals = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<Result<Vec<_>, _>>()?;
            call(*func, &vals, env, e).map(Val::Scalar)
        }
        Expr::Unary { op, arg, .. } => match (op, scalar(eval(arg, env)?)?) {
            (UnOp::Not, Lit::Bool(b)) => Ok(Val::Scalar(Lit::Bool(!b))),
            (UnOp::Neg, Lit::Number(n)) => Ok(Val::Scalar(Lit::Number(-n))),
            (UnOp::Neg, Lit::Duration(d)) => d
                .checked_neg()
                .map(|d| Val::Scalar(Lit::Duration(d)))
                .ok_or_else(overflow),
            _ => fault(format!("`{}` does not apply here", op.name())),
        },
        Expr::Binary {
            op: BinOp::And,
            lhs,
            rhs,
            ..
        } => Ok(Val::Scalar(Lit::Bool(
            truth(eval(lhs, env)?)? && truth(eval(rhs, env)?)?,
        ))),
        Expr::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
            ..
        } => Ok(Val::Scalar(Lit::Bool(
            truth(eval(lhs, env)?)? || truth(eval(rhs, env)?)?,
        ))),
        Expr::Binary { op, lhs, rhs, .. } => {
            let (l, r) = (scalar(eval(lhs, env)?)?, scalar(eval(rhs, env)?)?);
            binary(*op, &l, &r).map(Val::Scalar)
        }
    }
}

/// Evaluates an expression that depends on no input and not on `now()`.
#[must_use]
pub fn eval_const(e: &Expr) -> Option<Lit> {
    if !e.is_constant() {
        return None;
    }
    let ctx = Context::default();
    match eval(
        e,
        &Env {
            ctx: &ctx,
            today: 0,
        },
    ) {
        Ok(Val::Scalar(l)) => Some(l),
        _ => None,
    }
}

fn overflow() -> Fault {
    Fault("arithmetic overflow".into())
}

fn scalar(v: Val<'_>) -> Result<Lit, Fault> {
    match v {
        Val::Scalar(l) => Ok(l),
        Val::Array(_) => fault("an array where one value is needed"),
    }
}

fn truth(v: Val<'_>) -> Result<bool, Fault> {
    match scalar(v)? {
        Lit::Bool(b) => Ok(b),
        _ => fault("a non-boolean where `bool` is needed"),
    }
}

/// Compares two scalars of one ordered type.
#[must_use]
pub fn compare(l: &Lit, r: &Lit) -> Option<Ordering> {
    match (l, r) {
        (Lit::Number(a), Lit::Number(b)) => a.partial_cmp(b),
        (Lit::Date(a), Lit::Date(b)) | (Lit::Duration(a), Lit::Duration(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn finite(n: f64) -> Result<Lit, Fault> {
    if n.is_finite() {
        Ok(Lit::Number(n))
    } else {
        Err(overflow())
    }
}

fn secs(n: f64) -> Result<Lit, Fault> {
    let r = n.round();
    // INVARIANT: 9.2e18 is below i64::MAX, so the cast cannot saturate.
    if r.is_finite() && r.abs() < 9.2e18 {
        #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
        Ok(Lit::Duration(r as i64))
    } else {
        Err(overflow())
    }
}

fn date(days: Option<i64>) -> Result<Lit, Fault> {
    match days {
        Some(d) if temporal::format_date(d).is_some() => Ok(Lit::Date(d)),
        _ => fault("date out of range (years 0 to 9999)"),
    }
}

fn whole_days(d: i64) -> Result<i64, Fault> {
    if d % DAY == 0 {
        Ok(d / DAY)
    } else {
        fault(format!(
            "`{}` is not a whole number of days, so it cannot move a date",
            temporal::format_duration(d)
        ))
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "durations are far below 2^53 seconds in practice"
)]
fn binary(op: BinOp, l: &Lit, r: &Lit) -> Result<Lit, Fault> {
    use Lit::{Date as D, Duration as Du, Number as N};
    let cmp = |f: fn(Ordering) -> bool| -> Result<Lit, Fault> {
        match compare(l, r) {
            Some(o) => Ok(Lit::Bool(f(o))),
            None => fault("values are not comparable"),
        }
    };
    match (op, l, r) {
        (BinOp::Eq, _, _) => Ok(Lit::Bool(l == r)),
        (BinOp::Ne, _, _) => Ok(Lit::Bool(l != r)),
        (BinOp::Lt, _, _) => cmp(Ordering::is_lt),
        (BinOp::Le, _, _) => cmp(Ordering::is_le),
        (BinOp::Gt, _, _) => cmp(Ordering::is_gt),
        (BinOp::Ge, _, _) => cmp(Ordering::is_ge),
        (BinOp::Add, N(a), N(b)) => finite(a + b),
        (BinOp::Sub, N(a), N(b)) => finite(a - b),
        (BinOp::Mul, N(a), N(b)) => finite(a * b),
        (BinOp::Div, N(_), N(b)) if *b == 0.0 => fault("division by zero"),
        (BinOp::Div, N(a), N(b)) => finite(a / b),
        (BinOp::Add, Du(a), Du(b)) => a.checked_add(*b).map(Du).ok_or_else(overflow),
        (BinOp::Sub, Du(a), Du(b)) => a.checked_sub(*b).map(Du).ok_or_else(overflow),
        (BinOp::Div, Du(_), Du(0)) => fault("division by a zero duration"),
        (BinOp::Div, Du(a), Du(b)) => finite(*a as f64 / *b as f64),
        (BinOp::Mul, Du(a), N(b)) | (BinOp::Mul, N(b), Du(a)) => secs(*a as f64 * b),
        (BinOp::Div, Du(_), N(b)) if *b == 0.0 => fault("division by zero"),
        (BinOp::Div, Du(a), N(b)) => secs(*a as f64 / b),
        (BinOp::Add, D(a), Du(b)) | (BinOp::Add, Du(b), D(a)) => {
            date(a.checked_add(whole_days(*b)?))
        }
        (BinOp::Sub, D(a), Du(b)) => date(a.checked_sub(whole_days(*b)?)),
        (BinOp::Sub, D(a), D(b)) => a
            .checked_sub(*b)
            .and_then(|d| d.checked_mul(DAY))
            .map(Du)
            .ok_or_else(overflow),
        _ => fault(format!("`{}` does not apply to these values", op.symbol())),
    }
}

fn call(func: Func, args: &[Val<'_>], env: &Env<'_>, whole: &Expr) -> Result<Lit, Fault> {
    let empty = || Fault(format!("`{whole}` has no value: the array is empty"));
    match (func, args) {
        (Func::Now, []) => Ok(Lit::Date(env.today)),
        (Func::Len, [Val::Array(a)]) => Ok(Lit::Number(count_f64(a.len()))),
        (Func::Count, [Val::Array(a)]) => Ok(Lit::Number(count_f64(distinct(a)))),
        (Func::Sum, [Val::Array(Array::Number(v))]) => finite(v.iter().sum()),
        (Func::Sum, [Val::Array(Array::Duration(v))]) => v
            .iter()
            .try_fold(0i64, |acc, x| acc.checked_add(*x))
            .map(Lit::Duration)
            .ok_or_else(overflow),
        (Func::Min | Func::Max, [Val::Array(a)]) => {
            let max = func == Func::Max;
            match a {
                Array::Number(v) => {
                    let it = v.iter().copied();
                    let r = if max {
                        it.reduce(f64::max)
                    } else {
                        it.reduce(f64::min)
                    };
                    r.map(Lit::Number).ok_or_else(empty)
                }
                Array::Date(v) => pick(v, max).map(Lit::Date).ok_or_else(empty),
                Array::Duration(v) => pick(v, max).map(Lit::Duration).ok_or_else(empty),
                _ => fault("`min`/`max` need numbers, dates or durations"),
            }
        }
        (Func::Min | Func::Max, [first, rest @ ..]) if !rest.is_empty() => {
            let mut best = scalar(first.clone())?;
            for v in rest {
                let v = scalar(v.clone())?;
                let o =
                    compare(&v, &best).ok_or_else(|| Fault("values are not comparable".into()))?;
                if (func == Func::Max && o.is_gt()) || (func == Func::Min && o.is_lt()) {
                    best = v;
                }
            }
            Ok(best)
        }
        _ => fault(format!(
            "`{}` does not apply to these arguments",
            func.name()
        )),
    }
}

fn pick(v: &[i64], max: bool) -> Option<i64> {
    if max {
        v.iter().max().copied()
    } else {
        v.iter().min().copied()
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "array lengths are far below 2^53"
)]
const fn count_f64(n: usize) -> f64 {
    n as f64
}

fn distinct(a: &Array) -> usize {
    match a {
        Array::Number(v) => v.iter().map(|x| x.to_bits()).collect::<BTreeSet<_>>().len(),
        Array::String(v) => v.iter().collect::<BTreeSet<_>>().len(),
        Array::Bool(v) => v.iter().collect::<BTreeSet<_>>().len(),
        Array::Hex(v) => v.iter().collect::<BTreeSet<_>>().len(),
        Array::Date(v) | Array::Duration(v) => v.iter().collect::<BTreeSet<_>>().len(),
    }
}

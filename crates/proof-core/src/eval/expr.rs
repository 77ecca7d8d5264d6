//! Expression evaluation over a decoded context.
//!
//! Evaluation never panics: empty-array aggregates, division by zero, overflow, out-of-range
//! dates and absent optional fields are [`Fault`]s that the rule evaluator turns into a
//! failed rule (or, inside `each`, a failed item). The macros follow CEL: `all` is false
//! when any item is false and a fault otherwise only when an item faults (`exists` the
//! same way round), so the order of the items never changes the outcome.

use super::context::{Array, Context, Records, Value};
use crate::ir::{BinOp, Expr, Func, Lit, Macro, UnOp};
use crate::lists::{RefList, Registry};
use crate::temporal::{self, DAY};
use crate::types::Type;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A value during evaluation: a scalar, or an array or record borrowed from the context
/// (or built by a macro).
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// One value.
    Scalar(Lit),
    /// An array of scalars.
    Array(Cow<'a, Array>),
    /// A record of the context.
    Record(&'a [Option<Value>]),
    /// An array of records or arrays.
    List(List<'a>),
}

/// An array of records or arrays: from the context, or built by `filter` / `map`.
#[derive(Clone, Debug, PartialEq)]
pub enum List<'a> {
    /// Items of the context.
    Borrowed(&'a [Value]),
    /// Records of the context.
    Records(&'a Records),
    /// Items built during evaluation.
    Owned(Vec<Val<'a>>),
}

impl<'a> List<'a> {
    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Borrowed(v) => v.len(),
            Self::Records(r) => r.len(),
            Self::Owned(v) => v.len(),
        }
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i`.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<Val<'a>> {
        match self {
            Self::Borrowed(v) => v.get(i).map(Val::of),
            Self::Records(r) => r.get(i).map(Val::Record),
            Self::Owned(v) => v.get(i).cloned(),
        }
    }
}

impl<'a> Val<'a> {
    /// The value of a context value.
    #[must_use]
    pub fn of(v: &'a Value) -> Self {
        match v {
            Value::Scalar(l) => Self::Scalar(l.clone()),
            Value::Array(a) => Self::Array(Cow::Borrowed(a)),
            Value::Record(r) => Self::Record(r),
            Value::Records(r) => Self::List(List::Records(r)),
            Value::List(l) => Self::List(List::Borrowed(l)),
        }
    }

    /// Number of items, for an array.
    #[must_use]
    pub fn count(&self) -> Option<usize> {
        match self {
            Self::Array(a) => Some(a.len()),
            Self::List(l) => Some(l.len()),
            Self::Scalar(_) | Self::Record(_) => None,
        }
    }

    /// Item `i`, for an array.
    #[must_use]
    #[inline]
    pub fn item(&self, i: usize) -> Option<Self> {
        match self {
            Self::Array(a) => a.lit(i).map(Self::Scalar),
            Self::List(l) => l.get(i),
            Self::Scalar(_) | Self::Record(_) => None,
        }
    }

    /// Every hash of a hash, an array of hashes or an array of such arrays, in order.
    #[must_use]
    pub fn hashes(&self) -> Option<Vec<[u8; 32]>> {
        let mut out = Vec::new();
        self.each_hash(&mut |h| out.push(*h)).then_some(out)
    }

    /// Calls `f` on every hash (as [`Val::hashes`]); false when the value holds something
    /// else.
    pub fn each_hash(&self, f: &mut impl FnMut(&[u8; 32])) -> bool {
        match self {
            Self::Scalar(Lit::Hex(h)) => f(h),
            Self::Array(a) => match a.as_ref() {
                Array::Hex(v) => v.iter().for_each(f),
                _ => return false,
            },
            Self::List(l) => {
                for i in 0..l.len() {
                    if !l.get(i).is_some_and(|v| v.each_hash(f)) {
                        return false;
                    }
                }
            }
            Self::Scalar(_) | Self::Record(_) => return false,
        }
        true
    }
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
    /// The lists `on_list` looks in; `None` where no lists are available (predicates,
    /// which cannot call it).
    pub lists: Option<&'a Registry>,
    /// `on_list` root expressions already resolved to their list, by the address of the
    /// root expression in the IR ([`resolve_roots`]): a rule over 100,000 items then
    /// looks each root up once, not once per item.
    pub roots: Vec<(usize, &'a RefList)>,
}

/// The address that [`Env::roots`] keys a root expression by.
#[must_use]
pub fn root_key(e: &Expr) -> usize {
    std::ptr::from_ref(e) as usize
}

/// Every `on_list` root among `exprs` that names no bound variable and evaluates to the
/// root of a list of `lists`, with that list (for [`Env::roots`]).
pub fn resolve_roots<'a, 'e>(
    exprs: impl Iterator<Item = &'e Expr>,
    env: &Env<'a>,
    lists: &'a Registry,
) -> Vec<(usize, &'a RefList)> {
    exprs
        .flat_map(Expr::on_list_roots)
        .filter_map(|root| match eval(root, env) {
            Ok(Val::Scalar(Lit::Hex(h))) => Some((root_key(root), lists.get(&h)?.as_ref())),
            _ => None,
        })
        .collect()
}

/// The names bound by enclosing macros and `each` rules, innermost last.
pub type Scope<'a, 'e> = Vec<(&'e str, Val<'a>)>;

/// Evaluates `e`.
///
/// # Errors
/// A [`Fault`] when the expression has no value for this context.
pub fn eval<'a>(e: &Expr, env: &Env<'a>) -> Result<Val<'a>, Fault> {
    eval_in(e, env, &mut Vec::new())
}

/// Evaluates `e` with the names in `scope` bound.
///
/// # Errors
/// As [`eval`].
pub fn eval_in<'a, 'e>(
    e: &'e Expr,
    env: &Env<'a>,
    scope: &mut Scope<'a, 'e>,
) -> Result<Val<'a>, Fault> {
    match e {
        Expr::Lit(l) => Ok(Val::Scalar(l.clone())),
        Expr::Var { name, .. } => match env.ctx.values.get(name) {
            Some(v) => Ok(Val::of(v)),
            None => fault(format!("input `{name}` has no value")),
        },
        Expr::Local { name, .. } => match scope.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => fault(format!("`{name}` is not bound")),
        },
        Expr::Field {
            arg, name, index, ..
        } => match eval_in(arg, env, scope)? {
            Val::Record(r) => match r.get(*index) {
                Some(Some(v)) => Ok(Val::of(v)),
                _ => fault(format!(
                    "`{e}` has no value: the record leaves the optional field `{name}` out (test it with `has({e})`)"
                )),
            },
            _ => fault(format!("`{arg}` is not a record")),
        },
        Expr::Has { arg, index, .. } => match eval_in(arg, env, scope)? {
            Val::Record(r) => Ok(Val::Scalar(Lit::Bool(matches!(
                r.get(*index),
                Some(Some(_))
            )))),
            _ => fault(format!("`{arg}` is not a record")),
        },
        Expr::Macro {
            mac,
            var,
            range,
            body,
            ty,
        } => {
            let items = eval_in(range, env, scope)?;
            macro_(*mac, var, &items, body, ty, env, scope)
        }
        Expr::Call {
            func: Func::OnList,
            args,
            ..
        } => {
            let [h, root] = args.as_slice() else {
                return fault("`on_list` takes two arguments");
            };
            let h = eval_in(h, env, scope)?;
            let key = root_key(root);
            let list = match env.roots.iter().find(|(k, _)| *k == key) {
                Some((_, list)) => *list,
                None => {
                    let Lit::Hex(root) = scalar(eval_in(root, env, scope)?)? else {
                        return fault("the list root is not a hash");
                    };
                    env.lists
                        .and_then(|l| l.get(&root))
                        .ok_or_else(|| Fault(format!("unknown list root {}", hex::encode(root))))?
                }
            };
            let mut hit = false;
            if !h.each_hash(&mut |x| hit = hit || list.contains(x)) {
                return fault("`on_list` needs hashes");
            }
            Ok(Val::Scalar(Lit::Bool(hit)))
        }
        Expr::Call { func, args, .. } => {
            let vals = args
                .iter()
                .map(|a| eval_in(a, env, scope))
                .collect::<Result<Vec<_>, _>>()?;
            call(*func, &vals, env, e).map(Val::Scalar)
        }
        Expr::Unary { op, arg, .. } => match (op, scalar(eval_in(arg, env, scope)?)?) {
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
            truth(eval_in(lhs, env, scope)?)? && truth(eval_in(rhs, env, scope)?)?,
        ))),
        Expr::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
            ..
        } => Ok(Val::Scalar(Lit::Bool(
            truth(eval_in(lhs, env, scope)?)? || truth(eval_in(rhs, env, scope)?)?,
        ))),
        Expr::Binary {
            op: BinOp::In,
            lhs,
            rhs,
            ..
        } => {
            let x = scalar(eval_in(lhs, env, scope)?)?;
            match eval_in(rhs, env, scope)? {
                Val::Array(a) => Ok(Val::Scalar(Lit::Bool(a.contains(&x)))),
                _ => fault("`in` needs an array on the right"),
            }
        }
        Expr::Binary { op, lhs, rhs, .. } => {
            let l = scalar(eval_in(lhs, env, scope)?)?;
            let r = scalar(eval_in(rhs, env, scope)?)?;
            binary(*op, &l, &r).map(Val::Scalar)
        }
    }
}

/// Runs a macro over `items`, binding each to `var` for `body`.
fn macro_<'a, 'e>(
    mac: Macro,
    var: &'e str,
    items: &Val<'a>,
    body: &'e Expr,
    ty: &Type,
    env: &Env<'a>,
    scope: &mut Scope<'a, 'e>,
) -> Result<Val<'a>, Fault> {
    let n = items
        .count()
        .ok_or_else(|| Fault(format!("`{}` needs an array", mac.name())))?;
    let each = |i: usize, scope: &mut Scope<'a, 'e>| -> Result<Val<'a>, Fault> {
        let item = items
            .item(i)
            .ok_or_else(|| Fault("item out of range".into()))?;
        scope.push((var, item));
        let r = eval_in(body, env, scope);
        scope.pop();
        r
    };
    let each_bool = |i: usize, scope: &mut Scope<'a, 'e>| -> Result<bool, Fault> {
        let item = items
            .item(i)
            .ok_or_else(|| Fault("item out of range".into()))?;
        scope.push((var, item));
        let r = super::cond::eval_bool(body, env, scope);
        scope.pop();
        r
    };
    match mac {
        Macro::All | Macro::Exists => {
            // `all` stops at a false item, `exists` at a true one; a fault counts only
            // when no item decides.
            let decisive = mac == Macro::Exists;
            let mut first_fault = None;
            for i in 0..n {
                match each_bool(i, scope) {
                    Ok(b) if b == decisive => return Ok(Val::Scalar(Lit::Bool(decisive))),
                    Ok(_) => {}
                    Err(f) => {
                        first_fault.get_or_insert(f);
                    }
                }
            }
            match first_fault {
                Some(f) => Err(f),
                None => Ok(Val::Scalar(Lit::Bool(!decisive))),
            }
        }
        Macro::ExistsOne => {
            let mut hits = 0usize;
            for i in 0..n {
                hits += usize::from(each_bool(i, scope)?);
            }
            Ok(Val::Scalar(Lit::Bool(hits == 1)))
        }
        Macro::Filter => {
            let mut keep = Vec::new();
            for i in 0..n {
                if each_bool(i, scope)? {
                    keep.push(i);
                }
            }
            Ok(match items {
                Val::Array(a) => {
                    let Type::Array(s) = ty else {
                        return fault("`filter` of scalars must give scalars");
                    };
                    let mut out = Array::empty(*s);
                    for i in keep {
                        out.push(a.lit(i).ok_or_else(|| Fault("item out of range".into()))?);
                    }
                    Val::Array(Cow::Owned(out))
                }
                _ => Val::List(List::Owned(
                    keep.into_iter().filter_map(|i| items.item(i)).collect(),
                )),
            })
        }
        Macro::Map => match ty {
            Type::Array(s) => {
                let mut out = Array::empty(*s);
                for i in 0..n {
                    if !out.push(scalar(each(i, scope)?)?) {
                        return fault("`map` gave a value of another type");
                    }
                }
                Ok(Val::Array(Cow::Owned(out)))
            }
            _ => {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    out.push(each(i, scope)?);
                }
                Ok(Val::List(List::Owned(out)))
            }
        },
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
            lists: None,
            roots: Vec::new(),
        },
    ) {
        Ok(Val::Scalar(l)) => Some(l),
        _ => None,
    }
}

fn overflow() -> Fault {
    Fault("arithmetic overflow".into())
}

pub(super) fn scalar(v: Val<'_>) -> Result<Lit, Fault> {
    match v {
        Val::Scalar(l) => Ok(l),
        Val::Array(_) | Val::List(_) => fault("an array where one value is needed"),
        Val::Record(_) => fault("a record where one value is needed"),
    }
}

pub(super) fn truth(v: Val<'_>) -> Result<bool, Fault> {
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
pub(super) fn binary(op: BinOp, l: &Lit, r: &Lit) -> Result<Lit, Fault> {
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
        (Func::Len, [Val::List(l)]) => Ok(Lit::Number(count_f64(l.len()))),
        (Func::Count, [Val::Array(a)]) => Ok(Lit::Number(count_f64(distinct(a)))),
        (Func::Sum, [Val::Array(a)]) if matches!(a.as_ref(), Array::Number(_)) => {
            match a.as_ref() {
                Array::Number(v) => finite(v.iter().sum()),
                _ => fault("`sum` needs numbers"),
            }
        }
        (Func::Sum, [Val::Array(a)]) => match a.as_ref() {
            Array::Duration(v) => v
                .iter()
                .try_fold(0i64, |acc, x| acc.checked_add(*x))
                .map(Lit::Duration)
                .ok_or_else(overflow),
            _ => fault("`sum` needs numbers or durations"),
        },
        (Func::Min | Func::Max, [Val::Array(a)]) => {
            let max = func == Func::Max;
            match a.as_ref() {
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

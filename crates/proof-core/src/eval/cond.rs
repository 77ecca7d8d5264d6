//! Conditions evaluated without building values: the `where` and `holds` of an `each`
//! rule and the bodies of `all` / `exists` run once per item, so the forms they are made of
//! (`and`, `or`, `not`, `has`, `on_list`, comparisons of fields, literals, `now()` and
//! date arithmetic) are evaluated here directly on the record; anything else goes through
//! [`expr::eval_in`]. The results, faults included, are the ones `eval_in` gives (a
//! property test holds the two to it).

use super::context::Value;
use super::expr::{self, Env, Fault, Scope, Val};
use crate::ir::{BinOp, Expr, Func, Lit, UnOp};

/// `e` (a `bool` expression) as a boolean.
///
/// # Errors
/// A [`Fault`] when `e` has no value, as [`expr::eval_in`].
pub fn eval_bool<'a, 'e>(
    e: &'e Expr,
    env: &Env<'a>,
    scope: &mut Scope<'a, 'e>,
) -> Result<bool, Fault> {
    match e {
        Expr::Binary {
            op: BinOp::And,
            lhs,
            rhs,
            ..
        } => Ok(eval_bool(lhs, env, scope)? && eval_bool(rhs, env, scope)?),
        Expr::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
            ..
        } => Ok(eval_bool(lhs, env, scope)? || eval_bool(rhs, env, scope)?),
        Expr::Unary {
            op: UnOp::Not, arg, ..
        } => Ok(!eval_bool(arg, env, scope)?),
        Expr::Has { arg, index, .. } => {
            let r = record(arg, env, scope)?;
            Ok(matches!(r.get(*index), Some(Some(_))))
        }
        Expr::Call {
            func: Func::OnList,
            args,
            ..
        } => match args.as_slice() {
            [h, root] if matches!(h.ty(), crate::types::Type::Scalar(_)) => {
                let key = expr::root_key(root);
                match env.roots.iter().find(|(k, _)| *k == key) {
                    Some((_, list)) => match hash_field(h, env, scope)? {
                        Some(x) => Ok(list.contains(x)),
                        None => match scalar(h, env, scope)? {
                            Lit::Hex(x) => Ok(list.contains(&x)),
                            _ => Err(Fault("`on_list` needs hashes".into())),
                        },
                    },
                    None => expr::truth(expr::eval_in(e, env, scope)?),
                }
            }
            _ => expr::truth(expr::eval_in(e, env, scope)?),
        },
        Expr::Binary {
            // Comparisons only type-check on scalars.
            op: op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge),
            lhs,
            rhs,
            ..
        } => {
            let l = scalar(lhs, env, scope)?;
            let r = scalar(rhs, env, scope)?;
            match expr::binary(*op, &l, &r)? {
                Lit::Bool(b) => Ok(b),
                _ => Err(Fault("a non-boolean where `bool` is needed".into())),
            }
        }
        _ => expr::truth(expr::eval_in(e, env, scope)?),
    }
}

/// A scalar expression's value.
fn scalar<'a, 'e>(e: &'e Expr, env: &Env<'a>, scope: &mut Scope<'a, 'e>) -> Result<Lit, Fault> {
    match e {
        Expr::Lit(l) => Ok(l.clone()),
        Expr::Call {
            func: Func::Now, ..
        } => Ok(Lit::Date(env.today)),
        Expr::Field { arg, index, .. } => match record(arg, env, scope)?.get(*index) {
            Some(Some(Value::Scalar(l))) => Ok(l.clone()),
            // Absent: the fault `eval_in` gives.
            _ => expr::scalar(expr::eval_in(e, env, scope)?),
        },
        Expr::Binary {
            op: op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div),
            lhs,
            rhs,
            ..
        } => {
            let l = scalar(lhs, env, scope)?;
            let r = scalar(rhs, env, scope)?;
            expr::binary(*op, &l, &r)
        }
        _ => expr::scalar(expr::eval_in(e, env, scope)?),
    }
}

/// A hash field of a record, borrowed; `None` when `e` is no such field or the field is
/// absent (the caller then takes the general path, which names the fault).
fn hash_field<'a, 'e>(
    e: &'e Expr,
    env: &Env<'a>,
    scope: &mut Scope<'a, 'e>,
) -> Result<Option<&'a [u8; 32]>, Fault> {
    let Expr::Field { arg, index, .. } = e else {
        return Ok(None);
    };
    Ok(match record(arg, env, scope)?.get(*index) {
        Some(Some(Value::Scalar(Lit::Hex(h)))) => Some(h),
        _ => None,
    })
}

/// A record-valued expression's fields.
fn record<'a, 'e>(
    e: &'e Expr,
    env: &Env<'a>,
    scope: &mut Scope<'a, 'e>,
) -> Result<&'a [Option<Value>], Fault> {
    if let Expr::Local { name, .. } = e
        && let Some((_, Val::Record(r))) = scope.iter().rev().find(|(n, _)| *n == name)
    {
        return Ok(r);
    }
    match expr::eval_in(e, env, scope)? {
        Val::Record(r) => Ok(r),
        _ => Err(Fault(format!("`{e}` is not a record"))),
    }
}

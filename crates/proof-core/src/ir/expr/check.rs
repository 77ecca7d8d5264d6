//! Type checking of expression trees read from JSON: every node's recorded type must follow
//! from its operands, the declared inputs and the names macros bind.

use super::{Expr, field_of};
use crate::types::Type;

impl Expr {
    /// Checks that every node's recorded type follows from its children (for IR that was
    /// read from JSON rather than produced by the compiler). Inputs are checked against
    /// `input_type`, bound variables against the macro that binds them.
    ///
    /// # Errors
    /// A message naming the first inconsistent node.
    pub fn check_types(&self, input_type: &impl Fn(&str) -> Option<Type>) -> Result<(), String> {
        self.check_in(input_type, &mut Vec::new())
    }

    /// [`check_types`](Self::check_types) with the variables bound around this node.
    ///
    /// # Errors
    /// As [`check_types`](Self::check_types).
    pub fn check_in(
        &self,
        input_type: &impl Fn(&str) -> Option<Type>,
        locals: &mut Vec<(String, Type)>,
    ) -> Result<(), String> {
        let expect = |want: Option<Type>, got: &Type, what: &str| match want {
            Some(w) if w == *got => Ok(()),
            _ => Err(format!(
                "{what} is recorded as `{got}`, which its operands do not give"
            )),
        };
        match self {
            Self::Lit(_) => Ok(()),
            Self::Var { name, ty } => match input_type(name) {
                Some(t) if t == *ty => Ok(()),
                Some(t) => Err(format!(
                    "input `{name}` is declared `{t}` but used as `{ty}`"
                )),
                None => Err(format!("input `{name}` is not declared")),
            },
            Self::Local { name, ty } => match locals.iter().rev().find(|(n, _)| n == name) {
                Some((_, t)) if t == ty => Ok(()),
                Some((_, t)) => Err(format!("`{name}` is bound as `{t}` but used as `{ty}`")),
                None => Err(format!("`{name}` is not bound by an enclosing macro")),
            },
            Self::Call { func, args, ty } => {
                args.iter()
                    .try_for_each(|a| a.check_in(input_type, locals))?;
                let tys: Vec<Type> = args.iter().map(Self::ty).collect();
                expect(
                    func.result_type(&tys).ok(),
                    ty,
                    &format!("`{}()`", func.name()),
                )
            }
            Self::Unary { op, arg, ty } => {
                arg.check_in(input_type, locals)?;
                expect(op.result_type(&arg.ty()), ty, &format!("`{}`", op.name()))
            }
            Self::Binary { op, lhs, rhs, ty } => {
                lhs.check_in(input_type, locals)?;
                rhs.check_in(input_type, locals)?;
                expect(
                    op.result_type(&lhs.ty(), &rhs.ty()),
                    ty,
                    &format!("`{}`", op.symbol()),
                )
            }
            Self::Field {
                arg,
                name,
                index,
                ty,
            } => {
                arg.check_in(input_type, locals)?;
                let (i, f) = field_of(&arg.ty(), name)?;
                if i != *index {
                    return Err(format!("field `{name}` is not at position {index}"));
                }
                expect(Some(f.ty), ty, &format!("`.{name}`"))
            }
            Self::Has { arg, name, index } => {
                arg.check_in(input_type, locals)?;
                let (i, f) = field_of(&arg.ty(), name)?;
                if i != *index || !f.optional {
                    return Err(format!("`has()` needs an optional field, `{name}` is not"));
                }
                Ok(())
            }
            Self::Macro {
                mac,
                var,
                range,
                body,
                ty,
            } => {
                range.check_in(input_type, locals)?;
                let item = range
                    .ty()
                    .item()
                    .ok_or_else(|| format!("`{}` ranges over a non-array", mac.name()))?;
                locals.push((var.clone(), item));
                let inner = body.check_in(input_type, locals);
                locals.pop();
                inner?;
                expect(
                    mac.result_type(&range.ty(), &body.ty()).ok(),
                    ty,
                    &format!("`{}`", mac.name()),
                )
            }
        }
    }
}

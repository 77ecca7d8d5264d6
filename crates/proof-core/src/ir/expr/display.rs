//! Expression trees printed back as source-like text, with the fewest parentheses that
//! keep the meaning (used in report details).

use super::{Expr, Lit, UnOp};
use crate::temporal;
use serde_json::Value;
use std::fmt;

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{}", Value::from(*n)),
            Self::String(s) => write!(f, "{}", Value::from(s.as_str())),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Hex(h) => write!(f, "{}", hex::encode(h)),
            Self::Date(d) => {
                f.write_str(&temporal::format_date(*d).unwrap_or_else(|| d.to_string()))
            }
            Self::Duration(s) => temporal::write_duration(f, *s),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_prec(f, 0)
    }
}

/// Binding strength of `.` (member access and macros): tighter than any operator.
const POSTFIX: u8 = 7;

impl Expr {
    fn fmt_prec(&self, f: &mut fmt::Formatter<'_>, outer: u8) -> fmt::Result {
        match self {
            Self::Lit(l) => write!(f, "{l}"),
            Self::Var { name, .. } | Self::Local { name, .. } => f.write_str(name),
            Self::Field { arg, name, .. } => {
                arg.fmt_prec(f, POSTFIX)?;
                write!(f, ".{name}")
            }
            Self::Has { arg, name, .. } => {
                f.write_str("has(")?;
                arg.fmt_prec(f, POSTFIX)?;
                write!(f, ".{name})")
            }
            Self::Macro {
                mac,
                var,
                range,
                body,
                ..
            } => {
                range.fmt_prec(f, POSTFIX)?;
                write!(f, ".{}({var}, ", mac.name())?;
                body.fmt_prec(f, 0)?;
                f.write_str(")")
            }
            Self::Call { func, args, .. } => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    a.fmt_prec(f, 0)?;
                }
                f.write_str(")")
            }
            Self::Unary {
                op: UnOp::Not, arg, ..
            } => {
                f.write_str("not ")?;
                arg.fmt_prec(f, 6)
            }
            Self::Unary {
                op: UnOp::Neg, arg, ..
            } => {
                f.write_str("-")?;
                arg.fmt_prec(f, 6)
            }
            Self::Binary { op, lhs, rhs, .. } => {
                let p = op.precedence();
                if p < outer {
                    f.write_str("(")?;
                }
                lhs.fmt_prec(f, p)?;
                write!(f, " {} ", op.symbol())?;
                rhs.fmt_prec(f, p + 1)?;
                if p < outer {
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

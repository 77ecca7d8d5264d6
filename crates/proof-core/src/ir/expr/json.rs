//! The JSON form of expression trees in IR v1 (`docs/ir-v1.md`): `{"lit"}`, `{"var"}`,
//! `{"call", "args"}`, `{"op", "args"}`, and in IR v1.1 `{"local"}`, `{"field", "args"}`,
//! `{"has", "args"}`, `{"macro", "var", "args"}`, each with its `type`.

use super::{BinOp, Expr, Func, Lit, Macro, UnOp, field_of};
use crate::temporal;
use crate::types::{Scalar, Type};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

impl Expr {
    /// The JSON form used in IR v1.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::Lit(l) => json!({"lit": lit_to_json(l), "type": Type::Scalar(l.scalar())}),
            Self::Var { name, ty } => json!({"var": name, "type": ty}),
            Self::Call { func, args, ty } => {
                json!({"call": func.name(), "args": args.iter().map(Self::to_json).collect::<Vec<_>>(), "type": ty})
            }
            Self::Unary { op, arg, ty } => {
                json!({"op": op.name(), "args": [arg.to_json()], "type": ty})
            }
            Self::Binary { op, lhs, rhs, ty } => {
                json!({"op": op.symbol(), "args": [lhs.to_json(), rhs.to_json()], "type": ty})
            }
            Self::Local { name, ty } => json!({"local": name, "type": ty}),
            Self::Field { arg, name, ty, .. } => {
                json!({"field": name, "args": [arg.to_json()], "type": ty})
            }
            Self::Has { arg, name, .. } => {
                json!({"has": name, "args": [arg.to_json()], "type": Type::BOOL})
            }
            Self::Macro {
                mac,
                var,
                range,
                body,
                ty,
            } => json!({
                "macro": mac.name(),
                "var": var,
                "args": [range.to_json(), body.to_json()],
                "type": ty,
            }),
        }
    }

    /// Reads the JSON form, up to `depth` levels deep.
    ///
    /// # Errors
    /// A message naming what is malformed.
    pub fn from_json(v: &Value, depth: usize) -> Result<Self, String> {
        if depth == 0 {
            return Err("expression is nested too deeply".into());
        }
        let obj = v.as_object().ok_or("expression must be an object")?;
        let ty: Type = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or("expression needs a `type` string")?
            .parse()?;
        let only = |keys: &[&str]| -> Result<(), String> {
            match obj.keys().find(|k| !keys.contains(&k.as_str())) {
                Some(k) => Err(format!("unknown expression field `{k}`")),
                None => Ok(()),
            }
        };
        let args = || -> Result<Vec<Expr>, String> {
            obj.get("args")
                .and_then(Value::as_array)
                .ok_or("expression needs an `args` array")?
                .iter()
                .map(|a| Self::from_json(a, depth - 1))
                .collect()
        };
        if let Some(lit) = obj.get("lit") {
            only(&["lit", "type"])?;
            let Type::Scalar(s) = ty else {
                return Err("a literal must have a scalar type".into());
            };
            return lit_from_json(lit, s).map(Self::Lit);
        }
        // Before `var`: a macro node has a `var` member too (the name it binds).
        if let Some(mac) = obj.get("macro") {
            only(&["macro", "var", "args", "type"])?;
            let name = mac.as_str().ok_or("`macro` must be a string")?;
            let mac = Macro::from_name(name).ok_or_else(|| format!("unknown macro `{name}`"))?;
            let var = obj
                .get("var")
                .and_then(Value::as_str)
                .ok_or("a macro needs a `var` string")?
                .to_owned();
            let [range, body]: [Expr; 2] = args()?
                .try_into()
                .map_err(|_| format!("`{name}` takes two arguments"))?;
            return Ok(Self::Macro {
                mac,
                var,
                range: Box::new(range),
                body: Box::new(body),
                ty,
            });
        }
        if let Some(name) = obj.get("var") {
            only(&["var", "type"])?;
            let name = name.as_str().ok_or("`var` must be a string")?.to_owned();
            return Ok(Self::Var { name, ty });
        }
        if let Some(name) = obj.get("local") {
            only(&["local", "type"])?;
            let name = name.as_str().ok_or("`local` must be a string")?.to_owned();
            return Ok(Self::Local { name, ty });
        }
        for member in ["field", "has"] {
            let Some(name) = obj.get(member) else {
                continue;
            };
            only(&[member, "args", "type"])?;
            let name = name
                .as_str()
                .ok_or_else(|| format!("`{member}` must be a string"))?
                .to_owned();
            let [arg]: [Expr; 1] = args()?
                .try_into()
                .map_err(|_| format!("`{member}` takes one argument"))?;
            let (index, _) = field_of(&arg.ty(), &name)?;
            let arg = Box::new(arg);
            return Ok(if member == "has" {
                Self::Has { arg, name, index }
            } else {
                Self::Field {
                    arg,
                    name,
                    index,
                    ty,
                }
            });
        }
        if let Some(call) = obj.get("call") {
            only(&["call", "args", "type"])?;
            let name = call.as_str().ok_or("`call` must be a string")?;
            let func = Func::from_name(name).ok_or_else(|| format!("unknown function `{name}`"))?;
            return Ok(Self::Call {
                func,
                args: args()?,
                ty,
            });
        }
        let op = obj
            .get("op")
            .and_then(Value::as_str)
            .ok_or("expression needs `lit`, `var`, `call` or `op`")?;
        only(&["op", "args", "type"])?;
        let mut a = args()?.into_iter();
        let unary = match op {
            "not" => Some(UnOp::Not),
            "neg" => Some(UnOp::Neg),
            _ => None,
        };
        match (unary, a.next(), a.next(), a.next()) {
            (Some(op), Some(x), None, None) => Ok(Self::Unary {
                op,
                arg: Box::new(x),
                ty,
            }),
            (None, Some(l), Some(r), None) => {
                let op =
                    BinOp::from_symbol(op).ok_or_else(|| format!("unknown operator `{op}`"))?;
                Ok(Self::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                    ty,
                })
            }
            _ => Err(format!("operator `{op}` has the wrong number of arguments")),
        }
    }
}

fn lit_to_json(l: &Lit) -> Value {
    match l {
        Lit::Number(n) => json!(n),
        Lit::String(s) => json!(s),
        Lit::Bool(b) => json!(b),
        Lit::Hex(h) => json!(hex::encode(h)),
        Lit::Date(d) => json!(temporal::format_date(*d)),
        Lit::Duration(s) => json!(temporal::format_duration(*s)),
    }
}

fn lit_from_json(v: &Value, s: Scalar) -> Result<Lit, String> {
    let bad = || format!("literal {v} is not a valid `{}`", s.name());
    Ok(match s {
        Scalar::Number => Lit::Number(v.as_f64().filter(|n| n.is_finite()).ok_or_else(bad)?),
        Scalar::String => Lit::String(v.as_str().ok_or_else(bad)?.to_owned()),
        Scalar::Bool => Lit::Bool(v.as_bool().ok_or_else(bad)?),
        Scalar::Hex => Lit::Hex(crate::lists::parse_hash(v.as_str().ok_or_else(bad)?)?),
        Scalar::Date => Lit::Date(temporal::parse_date(v.as_str().ok_or_else(bad)?)?),
        Scalar::Duration => {
            let t = v.as_str().ok_or_else(bad)?;
            match t.strip_prefix('-') {
                Some(pos) => Lit::Duration(-temporal::parse_duration(pos)?),
                None => Lit::Duration(temporal::parse_duration(t)?),
            }
        }
    })
}

/// The same members as [`Expr::to_json`], written straight to the serializer (in name
/// order, as the JSON map writes them), without building the tree: the IR's hash
/// serializes every expression of the policy.
impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(match self {
            Self::Lit(_) | Self::Var { .. } | Self::Local { .. } => 2,
            Self::Macro { .. } => 4,
            _ => 3,
        }))?;
        match self {
            Self::Lit(l) => {
                m.serialize_entry("lit", &lit_to_json(l))?;
                m.serialize_entry("type", &Type::Scalar(l.scalar()))?;
            }
            Self::Var { name, ty } => {
                m.serialize_entry("type", ty)?;
                m.serialize_entry("var", name)?;
            }
            Self::Call { func, args, ty } => {
                m.serialize_entry("args", args)?;
                m.serialize_entry("call", func.name())?;
                m.serialize_entry("type", ty)?;
            }
            Self::Unary { op, arg, ty } => {
                m.serialize_entry("args", &[arg])?;
                m.serialize_entry("op", op.name())?;
                m.serialize_entry("type", ty)?;
            }
            Self::Binary { op, lhs, rhs, ty } => {
                m.serialize_entry("args", &[lhs, rhs])?;
                m.serialize_entry("op", op.symbol())?;
                m.serialize_entry("type", ty)?;
            }
            Self::Local { name, ty } => {
                m.serialize_entry("local", name)?;
                m.serialize_entry("type", ty)?;
            }
            Self::Field { arg, name, ty, .. } => {
                m.serialize_entry("args", &[arg])?;
                m.serialize_entry("field", name)?;
                m.serialize_entry("type", ty)?;
            }
            Self::Has { arg, name, .. } => {
                m.serialize_entry("args", &[arg])?;
                m.serialize_entry("has", name)?;
                m.serialize_entry("type", &Type::BOOL)?;
            }
            Self::Macro {
                mac,
                var,
                range,
                body,
                ty,
            } => {
                m.serialize_entry("args", &[range, body])?;
                m.serialize_entry("macro", mac.name())?;
                m.serialize_entry("type", ty)?;
                m.serialize_entry("var", var)?;
            }
        }
        m.end()
    }
}

/// Maximum expression depth accepted from JSON.
pub const MAX_DEPTH: usize = 64;

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Self::from_json(&v, MAX_DEPTH).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use crate::policy::{self, LintMode};

    /// Serializing an expression gives its JSON form, member for member, for every
    /// expression node of the shipped policies and of the records corpus's policy.
    #[test]
    fn serializing_gives_the_json_form() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut seen = 0;
        for f in ["policies/lksg.v1.yml", "policies/lksg.v2.yml"] {
            let src = std::fs::read_to_string(format!("{root}/{f}")).unwrap();
            let ir = policy::compile(&src, LintMode::Strict).unwrap().ir;
            for e in ir.rules.iter().flat_map(crate::ir::Rule::exprs) {
                e.walk(&mut |x| {
                    assert_eq!(serde_json::to_value(x).unwrap(), x.to_json(), "{x}");
                    assert_eq!(serde_json::to_string(x).unwrap(), x.to_json().to_string());
                    seen += 1;
                });
            }
        }
        assert!(seen > 40, "{seen}");
    }
}

//! Context JSON to typed values, checked against the IR's declared inputs.
//!
//! Every error names the JSON path (`$.audit_dates[3]`), the expected type and what was
//! found. Unknown keys are errors too: a misspelt input must not go unnoticed.

use crate::ir::{InputDecl, Lit};
use crate::json::Tree;
use crate::lists::parse_hash;
use crate::temporal;
use crate::types::{Scalar, Type};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The reserved context key that fixes the evaluation time.
pub const AS_OF_KEY: &str = "as_of";

/// An array value, stored unboxed per item type.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// Numbers.
    Number(Vec<f64>),
    /// Strings.
    String(Vec<String>),
    /// Booleans.
    Bool(Vec<bool>),
    /// Digests.
    Hex(Vec<[u8; 32]>),
    /// Days since 1970-01-01.
    Date(Vec<i64>),
    /// Seconds.
    Duration(Vec<i64>),
}

impl Array {
    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Number(v) => v.len(),
            Self::String(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Hex(v) => v.len(),
            Self::Date(v) | Self::Duration(v) => v.len(),
        }
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A context value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// One value.
    Scalar(Lit),
    /// An array.
    Array(Array),
}

/// A decoded context.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// Values by input name.
    pub values: BTreeMap<String, Value>,
    /// The context's own `as_of`, if it has one.
    pub as_of: Option<OffsetDateTime>,
}

/// A context that does not fit the declared inputs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ContextError {
    /// JSON path, e.g. `$.audit_dates[3]`.
    pub path: String,
    /// What is wrong, including the expected type.
    pub message: String,
}

fn cerr(path: impl Into<String>, message: impl Into<String>) -> ContextError {
    ContextError {
        path: path.into(),
        message: message.into(),
    }
}

/// Decodes `ctx` (a `serde_json::Value` or a [`Doc`](crate::json::Doc)) against `inputs`.
///
/// # Errors
/// The first problem, with its JSON path; members are checked in name order, so the same
/// context gives the same error whichever tree it was parsed into.
pub fn decode<T: Tree>(
    inputs: &BTreeMap<String, InputDecl>,
    ctx: &T,
) -> Result<Context, ContextError> {
    let obj = ctx.members().ok_or_else(|| {
        cerr(
            "$",
            format!("a context must be a JSON object, found {}", ctx.kind()),
        )
    })?;
    let mut out = Context::default();
    for (k, v) in obj {
        if k == AS_OF_KEY {
            let s = v.as_str().ok_or_else(|| {
                cerr(
                    "$.as_of",
                    format!("expected an RFC 3339 timestamp string, found {}", v.kind()),
                )
            })?;
            out.as_of = Some(temporal::parse_timestamp(s).map_err(|m| cerr("$.as_of", m))?);
        } else if !inputs.contains_key(k) {
            let declared: Vec<&str> = inputs.keys().map(String::as_str).collect();
            return Err(cerr(
                format!("$.{k}"),
                format!(
                    "`{k}` is not an input of this policy (inputs: {})",
                    declared.join(", ")
                ),
            ));
        }
    }
    for (name, decl) in inputs {
        // Paths are only built when there is an error to report.
        let path = || format!("$.{name}");
        let v = ctx.get(name).ok_or_else(|| {
            cerr(
                path(),
                format!("missing input `{name}` of type `{}`", decl.ty),
            )
        })?;
        let value = match decl.ty {
            Type::Scalar(s) => Value::Scalar(scalar(s, v, &path)?),
            Type::Array(s) => Value::Array(array(s, v, &path)?),
        };
        out.values.insert(name.clone(), value);
    }
    Ok(out)
}

/// Decodes one value; `path` is only built when there is an error to report.
fn scalar<T: Tree>(s: Scalar, v: &T, path: &dyn Fn() -> String) -> Result<Lit, ContextError> {
    Ok(match s {
        Scalar::Number => Lit::Number(number(v, path)?),
        Scalar::String => Lit::String(string(v, path)?),
        Scalar::Bool => Lit::Bool(boolean(v, path)?),
        Scalar::Hex => Lit::Hex(hex(v, path)?),
        Scalar::Date => Lit::Date(date(v, path)?),
        Scalar::Duration => Lit::Duration(duration(v, path)?),
    })
}

fn wrong<T: Tree>(s: Scalar, v: &T, path: &dyn Fn() -> String) -> ContextError {
    cerr(
        path(),
        format!("expected `{}`, found {}", s.name(), v.kind()),
    )
}

fn text<'v, T: Tree>(
    s: Scalar,
    v: &'v T,
    path: &dyn Fn() -> String,
) -> Result<&'v str, ContextError> {
    v.as_str().ok_or_else(|| wrong(s, v, path))
}

// One decoder per item type, so that arrays collect items without wrapping each in a `Lit`.

fn number<T: Tree>(v: &T, path: &dyn Fn() -> String) -> Result<f64, ContextError> {
    v.as_f64()
        .filter(|n| n.is_finite())
        .ok_or_else(|| wrong(Scalar::Number, v, path))
}

fn string<T: Tree>(v: &T, path: &dyn Fn() -> String) -> Result<String, ContextError> {
    text(Scalar::String, v, path).map(str::to_owned)
}

fn boolean<T: Tree>(v: &T, path: &dyn Fn() -> String) -> Result<bool, ContextError> {
    v.as_bool().ok_or_else(|| wrong(Scalar::Bool, v, path))
}

fn hex<T: Tree>(v: &T, path: &dyn Fn() -> String) -> Result<[u8; 32], ContextError> {
    parse_hash(text(Scalar::Hex, v, path)?).map_err(|m| cerr(path(), m))
}

fn date<T: Tree>(v: &T, path: &dyn Fn() -> String) -> Result<i64, ContextError> {
    temporal::parse_date(text(Scalar::Date, v, path)?).map_err(|m| cerr(path(), m))
}

fn duration<T: Tree>(v: &T, path: &dyn Fn() -> String) -> Result<i64, ContextError> {
    temporal::parse_duration(text(Scalar::Duration, v, path)?).map_err(|m| cerr(path(), m))
}

fn array<T: Tree>(s: Scalar, v: &T, path: &dyn Fn() -> String) -> Result<Array, ContextError> {
    let items = v.as_array().ok_or_else(|| {
        cerr(
            path(),
            format!("expected `array<{}>`, found {}", s.name(), v.kind()),
        )
    })?;
    macro_rules! collect {
        ($variant:ident, $item:ident) => {{
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                out.push($item(it, &|| format!("{}[{i}]", path()))?);
            }
            Array::$variant(out)
        }};
    }
    Ok(match s {
        Scalar::Number => collect!(Number, number),
        Scalar::String => collect!(String, string),
        Scalar::Bool => collect!(Bool, boolean),
        Scalar::Hex => collect!(Hex, hex),
        Scalar::Date => collect!(Date, date),
        Scalar::Duration => collect!(Duration, duration),
    })
}

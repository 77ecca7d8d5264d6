//! Context JSON to typed values, checked against the IR's declared inputs.
//!
//! Every error names the JSON path (`$.audit_dates[3]`), the expected type and what was
//! found. Unknown keys are errors too: a misspelt input must not go unnoticed.

use crate::ir::{InputDecl, Lit};
use crate::json::Tree;
use crate::lists::parse_hash;
use crate::temporal;
use crate::types::{Record, Scalar, Type};
use std::collections::BTreeMap;
use time::OffsetDateTime;

mod scan;
pub use scan::{Scanned, scan};

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

    /// Item `i` as a literal.
    #[must_use]
    pub fn lit(&self, i: usize) -> Option<Lit> {
        Some(match self {
            Self::Number(v) => Lit::Number(*v.get(i)?),
            Self::String(v) => Lit::String(v.get(i)?.clone()),
            Self::Bool(v) => Lit::Bool(*v.get(i)?),
            Self::Hex(v) => Lit::Hex(*v.get(i)?),
            Self::Date(v) => Lit::Date(*v.get(i)?),
            Self::Duration(v) => Lit::Duration(*v.get(i)?),
        })
    }

    /// True when `l` is an item (a number compares by value).
    #[must_use]
    pub fn contains(&self, l: &Lit) -> bool {
        match (self, l) {
            (Self::Number(v), Lit::Number(n)) => v.contains(n),
            (Self::String(v), Lit::String(x)) => v.contains(x),
            (Self::Bool(v), Lit::Bool(x)) => v.contains(x),
            (Self::Hex(v), Lit::Hex(x)) => v.contains(x),
            (Self::Date(v), Lit::Date(x)) | (Self::Duration(v), Lit::Duration(x)) => v.contains(x),
            _ => false,
        }
    }

    /// An empty array for items of type `s`.
    #[must_use]
    pub const fn empty(s: Scalar) -> Self {
        match s {
            Scalar::Number => Self::Number(Vec::new()),
            Scalar::String => Self::String(Vec::new()),
            Scalar::Bool => Self::Bool(Vec::new()),
            Scalar::Hex => Self::Hex(Vec::new()),
            Scalar::Date => Self::Date(Vec::new()),
            Scalar::Duration => Self::Duration(Vec::new()),
        }
    }

    /// Appends `l`; false (and nothing appended) when its type is not the item type.
    pub fn push(&mut self, l: Lit) -> bool {
        match (self, l) {
            (Self::Number(v), Lit::Number(x)) => v.push(x),
            (Self::String(v), Lit::String(x)) => v.push(x),
            (Self::Bool(v), Lit::Bool(x)) => v.push(x),
            (Self::Hex(v), Lit::Hex(x)) => v.push(x),
            (Self::Date(v), Lit::Date(x)) | (Self::Duration(v), Lit::Duration(x)) => v.push(x),
            _ => return false,
        }
        true
    }
}

/// A context value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// One value.
    Scalar(Lit),
    /// An array of scalars.
    Array(Array),
    /// A record: its fields by their index in the record type, `None` for an optional
    /// field the context leaves out.
    Record(Box<[Option<Value>]>),
    /// An array of records, stored row after row ([`Records`]).
    Records(Box<Records>),
    /// An array of arrays.
    List(Vec<Value>),
}

/// An array of records of one type, stored row after row in one allocation: record `i` is
/// the `width` fields from `i * width`. A rule over 100,000 suppliers then reads their
/// fields from memory in order, as it would read a flat array, instead of following a
/// pointer per record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Records {
    width: usize,
    len: usize,
    cells: Vec<Option<Value>>,
}

impl Records {
    /// No records of `width` fields, with room for `capacity` of them.
    #[must_use]
    pub fn with_capacity(width: usize, capacity: usize) -> Self {
        Self {
            width,
            len: 0,
            cells: Vec::with_capacity(width.saturating_mul(capacity)),
        }
    }

    /// Number of records.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when there are none.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Record `i`: its fields in the order of the record type.
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<&[Option<Value>]> {
        if i >= self.len {
            return None;
        }
        self.cells.get(i * self.width..(i + 1) * self.width)
    }

    /// Appends a record whose `width` fields (`None` to begin with, in the order of the
    /// record type) `fields` fills in.
    ///
    /// # Errors
    /// `fields`' error; the records are then as before.
    pub fn push_with<E>(
        &mut self,
        fields: impl FnOnce(&mut [Option<Value>]) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.cells.len();
        self.cells.resize_with(start + self.width, || None);
        let filled = match self.cells.get_mut(start..) {
            Some(row) => fields(row),
            None => Ok(()),
        };
        match filled {
            Ok(()) => self.len += 1,
            Err(_) => self.cells.truncate(start),
        }
        filled
    }
}

/// `n` absent fields, for a record to fill in.
pub(crate) fn empty_fields(n: usize) -> Vec<Option<Value>> {
    std::iter::repeat_with(|| None).take(n).collect()
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
        out.values.insert(name.clone(), value(&decl.ty, v, &path)?);
    }
    Ok(out)
}

/// Decodes a value of type `ty`; `path` is only built when there is an error to report.
fn value<T: Tree>(ty: &Type, v: &T, path: &dyn Fn() -> String) -> Result<Value, ContextError> {
    Ok(match ty {
        Type::Scalar(s) => Value::Scalar(scalar(*s, v, path)?),
        Type::Array(s) => Value::Array(array(*s, v, path)?),
        Type::Record(r) => {
            let mut out = empty_fields(r.fields.len());
            record(r, v, path, &mut out)?;
            Value::Record(out.into_boxed_slice())
        }
        Type::List(item) => {
            let items = v
                .as_array()
                .ok_or_else(|| cerr(path(), format!("expected `{ty}`, found {}", v.kind())))?;
            if let Type::Record(r) = item.as_ref() {
                let mut out = Records::with_capacity(r.fields.len(), items.len());
                for (i, it) in items.iter().enumerate() {
                    out.push_with(|cells| record(r, it, &|| format!("{}[{i}]", path()), cells))?;
                }
                return Ok(Value::Records(Box::new(out)));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                out.push(value(item, it, &|| format!("{}[{i}]", path()))?);
            }
            Value::List(out)
        }
    })
}

/// Decodes a record into `out` (one slot per field, in type order): every required field
/// present, no field the type does not declare. Problems are reported in field-name order, so every
/// tree gives the same error.
fn record<T: Tree>(
    r: &Record,
    v: &T,
    path: &dyn Fn() -> String,
    out: &mut [Option<Value>],
) -> Result<(), ContextError> {
    let known = v.all_names(&mut |k| r.field(k).is_some()).ok_or_else(|| {
        cerr(
            path(),
            format!("expected a record (a JSON object), found {}", v.kind()),
        )
    })?;
    // Members come sorted by name, so the first unknown one is the same in every tree.
    let members = if known {
        Vec::new()
    } else {
        v.members().unwrap_or_default()
    };
    if let Some((k, _)) = members.iter().find(|(k, _)| r.field(k).is_none()) {
        return Err(cerr(
            format!("{}.{k}", path()),
            format!(
                "`{k}` is not a field of this record (fields: {})",
                r.names().join(", ")
            ),
        ));
    }
    for (f, slot) in r.fields.iter().zip(out.iter_mut()) {
        let fpath = || format!("{}.{}", path(), f.name);
        match v.get(&f.name) {
            Some(x) => *slot = Some(value(&f.ty, x, &fpath)?),
            None if f.optional => *slot = None,
            None => {
                return Err(cerr(
                    fpath(),
                    format!("missing field `{}` of type `{}`", f.name, f.ty),
                ));
            }
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A record's fields are what a rule over 100,000 suppliers reads from memory: a field
    /// takes no more room than a hash and its tag.
    #[test]
    fn a_field_takes_forty_bytes() {
        assert_eq!(size_of::<Option<Value>>(), 40);
    }
}

//! Context JSON to typed values, checked against the IR's declared inputs.
//!
//! Every error names the JSON path (`$.audit_dates[3]`), the expected type and what was
//! found. Unknown keys are errors too: a misspelt input must not go unnoticed.

use crate::hash::sha256_id_of_parts;
use crate::ir::{InputDecl, Lit};
use crate::json::{Cursor, Tree};
use crate::lists::{decode_hex32, parse_hash};
use crate::temporal;
use crate::types::{Record, Scalar, Type};
use std::collections::BTreeMap;
use std::ops::Range;
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
    /// An array of records or of arrays.
    List(Vec<Value>),
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
        Type::Record(r) => Value::Record(record(r, v, path)?),
        Type::List(item) => {
            let items = v
                .as_array()
                .ok_or_else(|| cerr(path(), format!("expected `{ty}`, found {}", v.kind())))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                out.push(value(item, it, &|| format!("{}[{i}]", path()))?);
            }
            Value::List(out)
        }
    })
}

/// Decodes a record: every required field present, no field the type does not declare.
/// Problems are reported in field-name order, so every tree gives the same error.
fn record<T: Tree>(
    r: &Record,
    v: &T,
    path: &dyn Fn() -> String,
) -> Result<Box<[Option<Value>]>, ContextError> {
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
    let mut out = Vec::with_capacity(r.fields.len());
    for f in &r.fields {
        let fpath = || format!("{}.{}", path(), f.name);
        match v.get(&f.name) {
            Some(x) => out.push(Some(value(&f.ty, x, &fpath)?)),
            None if f.optional => out.push(None),
            None => {
                return Err(cerr(
                    fpath(),
                    format!("missing field `{}` of type `{}`", f.name, f.ty),
                ));
            }
        }
    }
    Ok(out.into_boxed_slice())
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

/// A context read straight from its JSON text: what [`decode`] gives for the parsed text,
/// and the context hash a report states for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scanned {
    /// The decoded context.
    pub context: Context,
    /// `sha256:` of its canonical JSON (as [`crate::hash::value_sha256`] of the parsed text).
    pub hash: String,
}

/// Decodes and hashes the context object that starts at `cur`, in one pass and without a
/// JSON tree (the service's `/verify` fast path: parsing a tree, walking it to decode and
/// walking it again to hash took more time than the hashing itself).
///
/// `room` is how many levels of nesting may still open at `cur` (an object of arrays
/// needs two). Gives the same context and hash as [`decode`] and
/// [`value_sha256`](crate::hash::value_sha256) of the parsed text, or `None` where it does
/// not go: strings with escapes, numbers, `null`, nesting past arrays, non-ASCII member
/// names, an unknown, missing or repeated member, a value that does not fit its type, or an
/// input named `as_of`. The caller then parses the text and calls [`decode`], which accepts
/// what is valid and names what is not. A property test holds the two to the same answers.
#[must_use]
pub fn scan(
    inputs: &BTreeMap<String, InputDecl>,
    cur: &mut Cursor<'_>,
    room: usize,
) -> Option<Scanned> {
    if room < 2 || inputs.contains_key(AS_OF_KEY) || !cur.eat(b'{') {
        return None;
    }
    // Each member's canonical bytes (`"name":value`) in the order given; hashed in name
    // order at the end. Canonical JSON is never longer than the text it came from.
    let mut canon: Vec<u8> = Vec::with_capacity(cur.rest().len());
    let mut members: Vec<(&str, Range<usize>)> = Vec::with_capacity(inputs.len() + 1);
    let mut out = Context::default();
    if !cur.eat(b'}') {
        loop {
            let (name, quoted) = cur.plain_str_raw()?;
            if !name.is_ascii() || members.iter().any(|(k, _)| *k == name) || !cur.eat(b':') {
                return None;
            }
            let start = canon.len();
            canon.extend_from_slice(quoted.as_bytes());
            canon.push(b':');
            if name == AS_OF_KEY {
                let (text, quoted) = cur.plain_str_raw()?;
                out.as_of = Some(temporal::parse_timestamp(text).ok()?);
                canon.extend_from_slice(quoted.as_bytes());
            } else {
                let value = match inputs.get(name)?.ty {
                    Type::Scalar(s) => Value::Scalar(scan_scalar(s, cur, &mut canon)?),
                    Type::Array(s) => Value::Array(scan_array(s, cur, &mut canon)?),
                    // Records go through the tree.
                    Type::Record(_) | Type::List(_) => return None,
                };
                out.values.insert(name.to_owned(), value);
            }
            members.push((name, start..canon.len()));
            if !cur.next(b'}')? {
                break;
            }
        }
    }
    if out.values.len() != inputs.len() {
        return None;
    }
    // ASCII names: byte order is the UTF-16 order canonical JSON sorts by.
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let open = |i: usize| -> &[u8] { if i == 0 { b"{" } else { b"," } };
    let close: &[u8] = if members.is_empty() { b"{}" } else { b"}" };
    // (Every range was taken from `canon` as it grew, so `get` always finds it.)
    let parts = members
        .iter()
        .enumerate()
        .flat_map(|(i, (_, range))| [Some(open(i)), canon.get(range.clone())])
        .flatten()
        .chain([close]);
    Some(Scanned {
        hash: sha256_id_of_parts(parts),
        context: out,
    })
}

/// One value of type `s`, its canonical bytes appended to `canon`.
fn scan_scalar(s: Scalar, cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<Lit> {
    Some(match s {
        Scalar::Hex => Lit::Hex(scan_hex(cur, canon)?),
        Scalar::Bool => Lit::Bool(scan_bool(cur, canon)?),
        Scalar::String => Lit::String(scan_text(cur, canon)?.to_owned()),
        Scalar::Date => Lit::Date(temporal::parse_date(scan_text(cur, canon)?).ok()?),
        Scalar::Duration => Lit::Duration(temporal::parse_duration(scan_text(cur, canon)?).ok()?),
        // Canonical numbers need reformatting; the tree path does that.
        Scalar::Number => return None,
    })
}

fn scan_text<'a>(cur: &mut Cursor<'a>, canon: &mut Vec<u8>) -> Option<&'a str> {
    let (text, quoted) = cur.plain_str_raw()?;
    canon.extend_from_slice(quoted.as_bytes());
    Some(text)
}

fn scan_bool(cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<bool> {
    let b = cur.boolean()?;
    canon.extend_from_slice(if b { b"true" } else { b"false" });
    Some(b)
}

const HASH_PREFIX: &[u8] = b"sha256:";

/// A hash as [`parse_hash`] reads it (64 hex digits, optionally after `sha256:`): its end
/// is where a hash's closing quote must be, and decoding checks every byte before it, so
/// the string is not scanned for its end first.
fn scan_hex(cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<[u8; 32]> {
    cur.peek()?;
    let (digest, len) = hex_at(cur.rest().as_bytes())?;
    canon.extend_from_slice(cur.rest().as_bytes().get(..len)?);
    cur.advance(len);
    Some(digest)
}

/// The hash string at the start of `b` (its opening quote) and its length with quotes.
fn hex_at(b: &[u8]) -> Option<([u8; 32], usize)> {
    let open = usize::from(b.first() == Some(&b'"'));
    let from = open
        + if b.get(1..8) == Some(HASH_PREFIX) {
            HASH_PREFIX.len()
        } else {
            0
        };
    let len = from + 65;
    if open == 0 || b.get(len - 1) != Some(&b'"') {
        return None;
    }
    Some((decode_hex32(b.get(from..len - 1)?)?, len))
}

/// The items of a hash array (the cursor just past its `[`) up to and including `]`, in
/// one loop over the bytes: most of a context is this.
fn scan_hex_items(cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<Vec<[u8; 32]>> {
    let b = cur.rest().as_bytes();
    // A hash takes at least 67 bytes of text with its quotes and comma, so this holds every
    // item the rest of the text could have.
    let mut out = Vec::with_capacity(b.len() / 67 + 1);
    let mut i = 0;
    let ws = |i: &mut usize| {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(*i) {
            *i += 1;
        }
    };
    loop {
        ws(&mut i);
        let (digest, len) = hex_at(b.get(i..)?)?;
        out.push(digest);
        canon.extend_from_slice(b.get(i..i + len)?);
        i += len;
        ws(&mut i);
        match b.get(i) {
            Some(b',') => canon.push(b','),
            Some(b']') => break,
            _ => return None,
        }
        i += 1;
    }
    cur.advance(i + 1);
    Some(out)
}

fn scan_array(s: Scalar, cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<Array> {
    if !cur.eat(b'[') {
        return None;
    }
    canon.push(b'[');
    if s == Scalar::Hex {
        let items = if cur.eat(b']') {
            Vec::new()
        } else {
            scan_hex_items(cur, canon)?
        };
        canon.push(b']');
        return Some(Array::Hex(items));
    }
    // Dates take at least 13 bytes of text each (quotes and a comma), so this capacity
    // holds every item the rest of the text could have.
    let rest = cur.rest().len();
    let mut out = match s {
        Scalar::Date => Array::Date(Vec::with_capacity(rest / 13 + 1)),
        Scalar::String => Array::String(Vec::new()),
        Scalar::Bool => Array::Bool(Vec::new()),
        Scalar::Duration => Array::Duration(Vec::new()),
        Scalar::Hex | Scalar::Number => return None,
    };
    if !cur.eat(b']') {
        loop {
            match &mut out {
                Array::Date(v) => v.push(temporal::parse_date(scan_text(cur, canon)?).ok()?),
                Array::String(v) => v.push(scan_text(cur, canon)?.to_owned()),
                Array::Bool(v) => v.push(scan_bool(cur, canon)?),
                Array::Duration(v) => {
                    v.push(temporal::parse_duration(scan_text(cur, canon)?).ok()?);
                }
                // Taken above (hashes) or refused (numbers).
                Array::Hex(_) | Array::Number(_) => return None,
            }
            if !cur.next(b']')? {
                break;
            }
            canon.push(b',');
        }
    }
    canon.push(b']');
    Some(out)
}

//! The value types of the policy language, shared by the compiler, the IR and the evaluator.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// A JSON number (IEEE 754 double).
    Number,
    /// A string.
    String,
    /// `true` or `false`.
    Bool,
    /// A 32-byte SHA-256 digest written as 64 hex digits (entity, region or list root).
    Hex,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A duration in whole seconds, ISO 8601 `PnW`, `PnD`, `PTnHnMnS`.
    Duration,
}

/// A type: a scalar, an array of scalars (IR v1), a record or an array of records or
/// arrays (IR v1.1).
///
/// Written `hex`, `array<hex>`, `object{ids: array<hex>, last_audit?: date}` (fields in
/// name order, `?` after an optional one) and `array<object{...}>`; equal types have equal
/// text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// One value.
    Scalar(Scalar),
    /// An array whose items are all of one scalar type.
    Array(Scalar),
    /// A record with named, typed fields.
    Record(Arc<Record>),
    /// An array whose items are all records, or all arrays, of one type.
    List(Arc<Type>),
}

/// The fields of a record type, in name order (a field's position is its index in a
/// decoded record).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Record {
    /// Fields sorted by name, no name twice.
    pub fields: Vec<Field>,
}

/// One field of a record type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// True when a record may leave it out (test with `has(r.name)`).
    pub optional: bool,
}

impl Record {
    /// A record type from fields in any order; `None` when a name repeats.
    #[must_use]
    pub fn new(mut fields: Vec<Field>) -> Option<Self> {
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        if fields
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.name == b.name))
        {
            return None;
        }
        Some(Self { fields })
    }

    /// The field called `name` and its index.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields
            .binary_search_by(|f| f.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.fields.get(i).map(|f| (i, f)))
    }

    /// The field names, in order, for error messages.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }
}

impl Scalar {
    /// The keyword used in policies and the IR.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::String => "string",
            Self::Bool => "bool",
            Self::Hex => "hex",
            Self::Date => "date",
            Self::Duration => "duration",
        }
    }

    /// Parses a scalar keyword.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "number" => Self::Number,
            "string" => Self::String,
            "bool" => Self::Bool,
            "hex" => Self::Hex,
            "date" => Self::Date,
            "duration" => Self::Duration,
            _ => return None,
        })
    }

    /// True for types with an order (`<`, `min`, `range_min`, ...).
    #[must_use]
    pub const fn is_ordered(self) -> bool {
        matches!(self, Self::Number | Self::Date | Self::Duration)
    }
}

impl Type {
    /// Shorthand for a scalar type.
    pub const NUMBER: Self = Self::Scalar(Scalar::Number);
    /// Shorthand for `bool`.
    pub const BOOL: Self = Self::Scalar(Scalar::Bool);
    /// Shorthand for `date`.
    pub const DATE: Self = Self::Scalar(Scalar::Date);
    /// Shorthand for `duration`.
    pub const DURATION: Self = Self::Scalar(Scalar::Duration);
    /// Shorthand for `hex`.
    pub const HEX: Self = Self::Scalar(Scalar::Hex);

    /// The array type whose items are `item`.
    #[must_use]
    pub fn array_of(item: Self) -> Self {
        match item {
            Self::Scalar(s) => Self::Array(s),
            other => Self::List(Arc::new(other)),
        }
    }

    /// The item type, for an array type.
    #[must_use]
    pub fn item(&self) -> Option<Self> {
        match self {
            Self::Array(s) => Some(Self::Scalar(*s)),
            Self::List(t) => Some(Self::clone(t)),
            Self::Scalar(_) | Self::Record(_) => None,
        }
    }

    /// True for the types IR v1 has (scalars and arrays of scalars).
    #[must_use]
    pub const fn is_v1(&self) -> bool {
        matches!(self, Self::Scalar(_) | Self::Array(_))
    }

    /// True when `array<hex>` or an array of arrays of ... of hashes: what `on_list` and
    /// the membership ops search.
    #[must_use]
    pub fn is_hashes(&self) -> bool {
        match self {
            Self::Array(Scalar::Hex) => true,
            Self::List(t) => t.is_hashes(),
            _ => false,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar(s) => f.write_str(s.name()),
            Self::Array(s) => write!(f, "array<{}>", s.name()),
            Self::List(t) => write!(f, "array<{t}>"),
            Self::Record(r) => {
                f.write_str("object{")?;
                for (i, fd) in r.fields.iter().enumerate() {
                    let q = if fd.optional { "?" } else { "" };
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}{q}: {}", fd.name, fd.ty)?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Deepest type text accepted (`array<array<...>>`, records in records).
pub const MAX_TYPE_DEPTH: usize = 16;

impl FromStr for Type {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = TypeParser { rest: s, depth: 0 };
        let t = p.ty().map_err(|m| format!("type `{s}`: {m}"))?;
        if p.rest.is_empty() {
            Ok(t)
        } else {
            Err(format!("type `{s}`: unexpected `{}`", p.rest))
        }
    }
}

/// Reads the text form of a [`Type`].
struct TypeParser<'a> {
    rest: &'a str,
    depth: usize,
}

impl TypeParser<'_> {
    fn eat(&mut self, s: &str) -> bool {
        match self.rest.strip_prefix(s) {
            Some(r) => {
                self.rest = r;
                true
            }
            None => false,
        }
    }

    fn word(&mut self) -> &str {
        let end = self
            .rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest.len());
        let (w, r) = self.rest.split_at(end);
        self.rest = r;
        w
    }

    fn ty(&mut self) -> Result<Type, String> {
        self.depth += 1;
        if self.depth > MAX_TYPE_DEPTH {
            return Err(format!("nested more than {MAX_TYPE_DEPTH} levels deep"));
        }
        let t = if self.eat("array<") {
            let item = self.ty()?;
            if !self.eat(">") {
                return Err("expected `>`".into());
            }
            Type::array_of(item)
        } else if self.eat("object{") {
            let mut fields = Vec::new();
            while !self.eat("}") {
                if !fields.is_empty() && !self.eat(", ") {
                    return Err("expected `, ` or `}` between fields".into());
                }
                let name = self.word().to_owned();
                if name.is_empty() {
                    return Err("expected a field name".into());
                }
                let optional = self.eat("?");
                if !self.eat(": ") {
                    return Err(format!("expected `: ` after field `{name}`"));
                }
                let ty = self.ty()?;
                fields.push(Field { name, ty, optional });
            }
            let ordered = fields
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.name < b.name));
            if !ordered {
                return Err("fields must be in name order, each once".into());
            }
            Type::Record(Arc::new(Record { fields }))
        } else {
            let w = self.word();
            Type::Scalar(Scalar::from_name(w).ok_or_else(|| format!("unknown type `{w}`"))?)
        };
        self.depth -= 1;
        Ok(t)
    }
}

impl Serialize for Type {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Type {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn type_text_round_trips() {
        for t in [
            "hex",
            "array<date>",
            "array<array<hex>>",
            "object{ids: array<hex>, last_audit?: date, region: hex}",
            "array<object{a: object{b?: number}, c: array<array<string>>}>",
        ] {
            let ty: Type = t.parse().unwrap();
            assert_eq!(ty.to_string(), t);
        }
        assert_eq!(
            "array<hex>".parse::<Type>().unwrap(),
            Type::Array(Scalar::Hex)
        );
        for bad in [
            "object{b: hex, a: hex}",
            "object{a: hex, a: hex}",
            "array<hex",
            "object{a hex}",
            "array<thing>",
            "hex>",
        ] {
            assert!(bad.parse::<Type>().is_err(), "{bad}");
        }
        let deep = format!("{}hex{}", "array<".repeat(100), ">".repeat(100));
        assert!(deep.parse::<Type>().unwrap_err().contains("nested"));
    }
}

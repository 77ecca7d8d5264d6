//! The value types of the policy language, shared by the compiler, the IR and the evaluator.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

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

/// A type: a scalar or an array of scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// One value.
    Scalar(Scalar),
    /// An array whose items are all of one scalar type.
    Array(Scalar),
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
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar(s) => f.write_str(s.name()),
            Self::Array(s) => write!(f, "array<{}>", s.name()),
        }
    }
}

impl FromStr for Type {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(inner) = s.strip_prefix("array<").and_then(|r| r.strip_suffix('>')) {
            return Scalar::from_name(inner)
                .map(Self::Array)
                .ok_or_else(|| format!("unknown type `{s}`"));
        }
        Scalar::from_name(s)
            .map(Self::Scalar)
            .ok_or_else(|| format!("unknown type `{s}`"))
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

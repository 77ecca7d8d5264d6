//! Step one: policy text to a spanned YAML tree.
//!
//! Consumes UTF-8 text; produces a [`Node`] tree where every node and key carries its
//! source [`Span`]. Parsing is bounded: input size, nesting depth, alias replay and event
//! counts are capped, so alias bombs and deep nesting end in a diagnostic, not in memory
//! or stack exhaustion. Duplicate keys are kept here and reported by the decoder, so all of
//! them are found, each with its position.

use crate::diag::{Code, Diagnostic, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{Budget, Location, Options, Spanned};
use std::fmt;

/// Largest policy source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Deepest nesting of YAML collections accepted.
pub const MAX_DEPTH: usize = 32;

/// A YAML value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it is.
    pub span: Span,
}

/// A mapping key with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// The shape of a YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `null` or `~` or nothing.
    Null,
    /// `true` / `false` (only these spellings).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicates kept.
    Map(Vec<(Key, Node)>),
}

impl NodeKind {
    /// A word for error messages: `a string`, `a list`, ...
    #[must_use]
    pub const fn describe(&self) -> &'static str {
        match self {
            Self::Null => "nothing",
            Self::Bool(_) => "a boolean",
            Self::Int(_) | Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

/// Parses `src` into a spanned tree.
///
/// # Errors
/// A `yaml-syntax` diagnostic for malformed YAML, a budget that was exceeded, or
/// an oversized source.
pub fn parse(src: &str) -> Result<Node, Diagnostic> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(Diagnostic::new(
            Code::YamlSyntax,
            false,
            format!(
                "policy is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                src.len()
            ),
            None,
        ));
    }
    let mut opts = Options::default();
    opts.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    opts.strict_booleans = true;
    opts.with_snippet = false;
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_events = 200_000;
    budget.max_aliases = 1_000;
    opts.budget = Some(budget);
    opts.alias_limits.max_total_replayed_events = 20_000;
    let raw: Spanned<RawKind> = serde_saphyr::from_str_with_options(src, opts).map_err(|e| {
        let span = e.location().map(|l| span_of(src, &l));
        let msg = e.to_string();
        let msg = msg
            .lines()
            .next()
            .unwrap_or("malformed YAML")
            .trim()
            .to_owned();
        Diagnostic::new(
            Code::YamlSyntax,
            false,
            format!("malformed YAML: {msg}"),
            span,
        )
    })?;
    Ok(node(src, raw))
}

fn span_of(src: &str, l: &Location) -> Span {
    let s = l.span();
    match s.byte_offset() {
        Some(off) => Span::at(
            src,
            usize::try_from(off).unwrap_or(0),
            usize::try_from(s.byte_len().unwrap_or(0)).unwrap_or(0),
        ),
        None => Span {
            line: u32::try_from(l.line()).unwrap_or(0),
            column: u32::try_from(l.column()).unwrap_or(0),
            offset: 0,
            len: 0,
        },
    }
}

/// Raw tree as deserialised, before spans are resolved against the source.
#[derive(Debug)]
enum RawKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawKind>>),
    Map(Vec<(Spanned<RawKind>, Spanned<RawKind>)>),
}

fn node(src: &str, raw: Spanned<RawKind>) -> Node {
    let span = span_of(src, &raw.defined);
    let kind = match raw.value {
        RawKind::Null => NodeKind::Null,
        RawKind::Bool(b) => NodeKind::Bool(b),
        RawKind::Int(i) => NodeKind::Int(i),
        RawKind::Float(f) => NodeKind::Float(f),
        RawKind::Str(s) => NodeKind::Str(s),
        RawKind::Seq(items) => NodeKind::Seq(items.into_iter().map(|n| node(src, n)).collect()),
        RawKind::Map(pairs) => NodeKind::Map(
            pairs
                .into_iter()
                .map(|(k, v)| {
                    let kspan = span_of(src, &k.defined);
                    let name = match k.value {
                        RawKind::Str(s) => s,
                        RawKind::Int(i) => i.to_string(),
                        RawKind::Float(f) => f.to_string(),
                        RawKind::Bool(b) => b.to_string(),
                        RawKind::Null => "null".to_owned(),
                        RawKind::Seq(_) | RawKind::Map(_) => "<complex key>".to_owned(),
                    };
                    (Key { name, span: kspan }, node(src, v))
                })
                .collect(),
        ),
    };
    Node { kind, span }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawKind, E> {
        Ok(RawKind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawKind, E> {
        Ok(RawKind::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawKind, E> {
        i64::try_from(v)
            .map(RawKind::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawKind, E> {
        i64::try_from(v)
            .map(RawKind::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawKind, E> {
        i64::try_from(v)
            .map(RawKind::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawKind, E> {
        if v.is_finite() {
            Ok(RawKind::Float(v))
        } else {
            Err(E::custom("non-finite numbers are not allowed"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKind, E> {
        Ok(RawKind::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawKind, E> {
        Ok(RawKind::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawKind>>()? {
            items.push(item);
        }
        Ok(RawKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKind, A::Error> {
        let mut pairs = Vec::new();
        while let Some(k) = map.next_key::<Spanned<RawKind>>()? {
            let v = map.next_value::<Spanned<RawKind>>()?;
            pairs.push((k, v));
        }
        Ok(RawKind::Map(pairs))
    }
}

impl Node {
    /// The JSON data model of this tree (the pre-image of `policy_hash`). Mapping keys
    /// keep their last value; the decoder reports duplicates before this is used.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => Value::from(*f),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Self::to_json).collect()),
            NodeKind::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_spans_of_their_text() {
        let src = "a: 1\nb:\n  - x\n  - \"y z\"\n";
        let n = parse(src).unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs[1].0.name, "b");
        assert_eq!((pairs[1].0.span.line, pairs[1].0.span.column), (2, 1));
        let NodeKind::Seq(items) = &pairs[1].1.kind else {
            panic!("not a seq")
        };
        assert_eq!(items[1].kind, NodeKind::Str("y z".into()));
        assert_eq!((items[1].span.line, items[1].span.column), (4, 5));
        assert_eq!(&src[items[1].span.offset..items[1].span.offset + 1], "\"");
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_decoder() {
        let n = parse("a: 1\na: 2\n").unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].0.span.line, 2);
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused_with_a_diagnostic() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            bomb.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let d = parse(&bomb).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let d = parse(&deep).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        let deep_block: String = (0..1000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert_eq!(parse(&deep_block).unwrap_err().code, Code::YamlSyntax);
    }

    #[test]
    fn yes_and_no_stay_strings() {
        let n = parse("a: yes\n").unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs[0].1.kind, NodeKind::Str("yes".into()));
    }

    #[test]
    fn malformed_yaml_names_its_line() {
        let d = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.span.is_some(), "{d:?}");
    }
}

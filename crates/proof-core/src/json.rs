//! Strict JSON reading for contexts and requests: like `serde_json::from_str`, but a key
//! that appears twice in one object is an error (with line and column) instead of silently
//! keeping the last value, and nesting is bounded (by the caller's limit, and always by
//! serde_json's own limit of 128).
//!
//! Two trees come out of it: `serde_json::Value` (read through serde_json, whose errors
//! name the problem), and [`Doc`], which borrows its strings from the input and comes from
//! this crate's own parser ([`doc_from_str_strict_depth`]; the service's hot path: a context
//! is mostly hex strings, and a `Value` allocates, copies and frees each one). Both parsers
//! accept the same texts. Code that reads a context ([`Tree`]) takes either tree.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

mod cursor;
mod parse;
pub use cursor::Cursor;
pub use parse::{DocError, doc_from_str_strict_depth};

/// One node of a parsed JSON tree, as [`Tree::node`] shows it.
pub enum Node<'t, T> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json parsed it.
    Number(&'t Number),
    /// A string.
    String(&'t str),
    /// An array.
    Array(&'t [T]),
    /// An object.
    Object,
}

/// Read access to a parsed JSON tree: `serde_json::Value` or [`Doc`].
pub trait Tree: Sized {
    /// This node.
    fn node(&self) -> Node<'_, Self>;
    /// An object's members, sorted by name (byte order, which is code point order); `None`
    /// when this is not an object.
    fn members(&self) -> Option<Vec<(&str, &Self)>>;
    /// An object's member by name; `None` when absent or when this is not an object.
    fn get(&self, key: &str) -> Option<&Self>;
    /// Whether `f` holds for every member name of an object (in any order, without
    /// collecting them); `None` when this is not an object.
    fn all_names(&self, f: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        Some(self.members()?.into_iter().all(|(k, _)| f(k)))
    }

    /// The string, if this is one.
    fn as_str(&self) -> Option<&str> {
        match self.node() {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
    /// The array's items, if this is one.
    fn as_array(&self) -> Option<&[Self]> {
        match self.node() {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The number as a double, if this is a number.
    fn as_f64(&self) -> Option<f64> {
        match self.node() {
            Node::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    /// The boolean, if this is one.
    fn as_bool(&self) -> Option<bool> {
        match self.node() {
            Node::Bool(b) => Some(b),
            _ => None,
        }
    }
    /// What this is, for messages: `null`, `a boolean`, `a number`, `a string`, `an array`
    /// or `an object`.
    fn kind(&self) -> &'static str {
        match self.node() {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object => "an object",
        }
    }
}

impl Tree for Value {
    fn node(&self) -> Node<'_, Self> {
        match self {
            Self::Null => Node::Null,
            Self::Bool(b) => Node::Bool(*b),
            Self::Number(n) => Node::Number(n),
            Self::String(s) => Node::String(s),
            Self::Array(a) => Node::Array(a),
            Self::Object(_) => Node::Object,
        }
    }
    fn members(&self) -> Option<Vec<(&str, &Self)>> {
        // serde_json's map (without `preserve_order`) iterates in key order already.
        self.as_object()
            .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }
    fn all_names(&self, f: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        Some(self.as_object()?.keys().all(|k| f(k)))
    }
}

/// A JSON tree whose strings borrow from the input text where they can (no escapes).
/// Objects keep their members in input order, without duplicates.
#[derive(Clone, Debug, PartialEq)]
pub enum Doc<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Doc<'a>>),
    /// An object, members in input order.
    Object(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl Tree for Doc<'_> {
    fn node(&self) -> Node<'_, Self> {
        match self {
            Self::Null => Node::Null,
            Self::Bool(b) => Node::Bool(*b),
            Self::Number(n) => Node::Number(n),
            Self::String(s) => Node::String(s),
            Self::Array(a) => Node::Array(a),
            Self::Object(_) => Node::Object,
        }
    }
    fn members(&self) -> Option<Vec<(&str, &Self)>> {
        let Self::Object(m) = self else {
            return None;
        };
        let mut out: Vec<(&str, &Self)> = m.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Some(out)
    }
    fn get(&self, key: &str) -> Option<&Self> {
        let Self::Object(m) = self else {
            return None;
        };
        m.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    fn all_names(&self, f: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        let Self::Object(m) = self else {
            return None;
        };
        Some(m.iter().all(|(k, _)| f(k)))
    }
}

impl Doc<'_> {
    /// The same tree as a `serde_json::Value` (copies every string).
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Number(n) => Value::Number(n.clone()),
            Self::String(s) => Value::String(s.clone().into_owned()),
            Self::Array(a) => Value::Array(a.iter().map(Doc::to_value).collect()),
            Self::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone().into_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Parses JSON text, refusing duplicate object keys.
///
/// # Errors
/// serde_json's error, which names the line and column.
pub fn from_str_strict(s: &str) -> Result<Value, serde_json::Error> {
    from_slice_strict(s.as_bytes())
}

/// Parses JSON bytes, refusing duplicate object keys.
///
/// # Errors
/// serde_json's error, which names the line and column.
pub fn from_slice_strict(b: &[u8]) -> Result<Value, serde_json::Error> {
    // serde_json's own recursion limit (128) applies as well.
    from_slice_strict_depth(b, 128)
}

/// Parses JSON text, refusing duplicate object keys and nesting deeper than `max_depth`
/// (arrays and objects; a scalar has depth 0) in the same single pass.
///
/// # Errors
/// serde_json's error, which names the line and column.
pub fn from_slice_strict_depth(b: &[u8], max_depth: usize) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(b);
    let v = StrictSeed {
        depth: 0,
        max: max_depth,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Deserialises one value at `depth`, refusing duplicate keys and depth above `max`.
#[derive(Clone, Copy)]
struct StrictSeed {
    depth: usize,
    max: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl StrictSeed {
    fn deeper<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= self.max {
            return Err(E::custom(format!("nested deeper than {} levels", self.max)));
        }
        Ok(Self {
            depth: self.depth + 1,
            max: self.max,
        })
    }
}

impl<'de> Visitor<'de> for StrictSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!("duplicate key `{k}`")));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// The first name that occurs twice, if any. Quadratic only for small objects; larger ones
/// are sorted, so a body with many keys cannot make this slow.
fn duplicate<'m, V>(members: &'m [(Cow<'_, str>, V)]) -> Option<&'m str> {
    if members.len() <= 16 {
        for (i, (k, _)) in members.iter().enumerate() {
            if members.iter().skip(i + 1).any(|(other, _)| other == k) {
                return Some(k);
            }
        }
        return None;
    }
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
    names.sort_unstable();
    names.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(*a),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_with_their_position() {
        let e = from_str_strict("{\"a\": 1,\n \"a\": 2}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duplicate key `a`") && e.contains("line 2"),
            "{e}"
        );
        assert!(from_str_strict("{\"a\": {\"b\": 1}, \"b\": {\"b\": 2}}").is_ok());
    }

    #[test]
    fn depth_is_bounded_by_the_callers_limit_and_strings_do_not_count() {
        assert!(from_slice_strict_depth(br#"{"a": [1, {"b": "[[[\"{{"}]}"#, 3).is_ok());
        let e = from_slice_strict_depth(br#"{"a": [[1]]}"#, 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nested deeper than 2 levels"), "{e}");
        assert!(from_slice_strict_depth(b"1", 0).is_ok());
    }

    #[test]
    fn doc_accepts_and_refuses_what_the_value_parser_does() {
        let many: String = (0..40).map(|i| format!("\"k{i}\": {i},")).collect();
        let texts = [
            r#"{"x": [1, -2, 3.5, 1e400, "s", "\u00e9\"", null, true, {"y": []}]}"#,
            r#"{"b": 1, "a": {"c": "d", "b": [1.0, 18446744073709551615, -0]}}"#,
            r#"{"a": 1, "a": 2}"#,
            r#"{"o": {"a": 1, "b": 2, "a": 3}}"#,
            r#"[[[[1]]]]"#,
            r#"[[[[[1]]]]]"#,
            "\"tail\" x",
            "{\"a\": 1,}",
            "",
        ];
        let owned = [
            format!("{{{many} \"k3\": 0}}"),
            format!("{{{many} \"z\": 0}}"),
        ];
        for t in texts
            .iter()
            .copied()
            .chain(owned.iter().map(String::as_str))
        {
            let doc = doc_from_str_strict_depth(t, 4);
            let val = from_slice_strict_depth(t.as_bytes(), 4);
            match (doc, val) {
                (Ok(d), Ok(v)) => assert_eq!(d.to_value(), v, "{t}"),
                (Err(_), Err(_)) => {}
                (d, v) => panic!("{t}: doc {d:?}, value {v:?}"),
            }
        }
    }

    #[test]
    fn doc_borrows_plain_strings_and_sorts_members() {
        let text = r#"{"b": "plain", "a": "esc\"aped"}"#;
        let d = doc_from_str_strict_depth(text, 8).unwrap();
        let m = d.members().unwrap();
        assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["a", "b"]);
        assert!(matches!(
            d.get("b"),
            Some(Doc::String(Cow::Borrowed("plain")))
        ));
        assert!(matches!(d.get("a"), Some(Doc::String(Cow::Owned(_)))));
        assert_eq!(d.get("a").unwrap().as_str(), Some("esc\"aped"));
        assert_eq!(d.kind(), "an object");
        assert!(d.get("c").is_none() && d.as_str().is_none());
    }

    #[test]
    fn values_equal_serde_json_and_deep_nesting_is_bounded() {
        let text = r#"{"x": [1, -2, 3.5, "s", null, true, {"y": []}]}"#;
        assert_eq!(
            from_str_strict(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(
            from_str_strict(&deep)
                .unwrap_err()
                .to_string()
                .contains("recursion limit")
        );
    }
}

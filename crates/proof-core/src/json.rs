//! Strict JSON reading for contexts and requests: like `serde_json::from_str`, but a key
//! that appears twice in one object is an error (with line and column) instead of silently
//! keeping the last value. Nesting is bounded by serde_json's recursion limit (128).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parses JSON text, refusing duplicate object keys.
///
/// # Errors
/// serde_json's error, which names the line and column.
pub fn from_str_strict(s: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<Strict>(s).map(|v| v.0)
}

/// Parses JSON bytes, refusing duplicate object keys.
///
/// # Errors
/// serde_json's error, which names the line and column.
pub fn from_slice_strict(b: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<Strict>(b).map(|v| v.0)
}

/// The deepest nesting of arrays and objects in JSON text (0 for a scalar), found by a
/// scan that skips strings. Lets a service refuse a too-deep body before parsing it.
#[must_use]
pub fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
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
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!("duplicate key `{k}`")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
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
    fn nesting_depth_skips_strings() {
        assert_eq!(nesting_depth(b"1"), 0);
        assert_eq!(nesting_depth(br#"{"a": [1, {"b": "[[[\"{{"}]}"#), 3);
        assert_eq!(
            nesting_depth(format!("{}{}", "[".repeat(100), "]".repeat(100)).as_bytes()),
            100
        );
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

//! Strict JSON reading for contexts and requests: like `serde_json::from_str`, but a key
//! that appears twice in one object is an error (with line and column) instead of silently
//! keeping the last value, and nesting is bounded (by the caller's limit, and always by
//! serde_json's own limit of 128).

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

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

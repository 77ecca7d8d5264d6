//! A serde `Serializer` that writes RFC 8785 canonical JSON straight from a Rust value,
//! without building a `serde_json::Value` tree first. It gives exactly the bytes of
//! `serde_json::to_value` followed by [`write_canonical`](super::write_canonical): the same
//! mapping of serde's data model to JSON (`None` and unit as `null`, enum variants as
//! `{"Variant": ...}`, bytes as an array of numbers, a non-finite float as `null`, integer
//! map keys as strings, a repeated map key keeping its last value), then members sorted by
//! the UTF-16 code units of their names.
//!
//! Members are written into one buffer as they arrive; an object whose members did not
//! arrive in name order is rewritten in place once it ends, with no allocation per member.
//! Tests compare the output with the tree path for every form of the data model, for
//! every shipped policy's IR, and (in `tests/properties.rs`) for arbitrary JSON.

use super::map_key::MapKey;
use super::{CanonicalError, write_string};
use serde::ser::{self, Serialize};
use std::cmp::Ordering;

/// Canonical bytes of `value`, leaving out the member `skip` of the outermost object.
pub(super) fn to_canonical<T: Serialize + ?Sized>(
    value: &T,
    skip: Option<&'static str>,
) -> Result<Vec<u8>, CanonicalError> {
    let mut s = Canonical {
        out: Vec::with_capacity(4096),
        members: Vec::new(),
        scratch: Vec::new(),
        text: String::new(),
        skip,
    };
    value.serialize(&mut s)?;
    Ok(s.out)
}

/// An object member's name.
enum Key {
    Static(&'static str),
    Owned(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Self::Static(s) => s,
            Self::Owned(s) => s,
        }
    }
}

/// A member written into `out[start..end]` (name, colon and value, no comma).
struct Member {
    key: Key,
    start: usize,
    end: usize,
}

struct Canonical {
    out: Vec<u8>,
    /// The members of every object being written, innermost last.
    members: Vec<Member>,
    /// Where an object's members are copied while it is rewritten in order.
    scratch: Vec<u8>,
    /// Where a value serialized through `Display` is formatted.
    text: String,
    /// A member of the outermost object that is not written.
    skip: Option<&'static str>,
}

impl ser::Error for CanonicalError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string())
    }
}

/// Order of member names by UTF-16 code units (RFC 8785 § 3.2.3). UTF-8 byte order is
/// code point order, which differs only when one name has a character at or above U+E000
/// where the other has one above U+FFFF.
fn key_order(a: &str, b: &str) -> Ordering {
    let wide = |s: &str| s.bytes().any(|b| b >= 0xEE);
    if wide(a) || wide(b) {
        a.encode_utf16().cmp(b.encode_utf16())
    } else {
        a.as_bytes().cmp(b.as_bytes())
    }
}

impl Canonical {
    fn number(&mut self, f: f64) {
        if f.is_finite() {
            self.out
                .extend_from_slice(ryu_js::Buffer::new().format_finite(f).as_bytes());
        } else {
            // `serde_json::to_value` turns a non-finite float into null.
            self.out.extend_from_slice(b"null");
        }
    }

    fn open_object(&mut self) -> Object<'_> {
        self.out.push(b'{');
        Object {
            base: self.members.len(),
            start: self.out.len(),
            sorted: true,
            // The outermost object is the one whose `{` is the first byte written.
            skip: if self.out.len() == 1 { self.skip } else { None },
            ser: self,
        }
    }

    fn open_array(&mut self) -> Array<'_> {
        self.out.push(b'[');
        Array {
            first: true,
            ser: self,
        }
    }
}

/// An object being written.
struct Object<'a> {
    ser: &'a mut Canonical,
    /// Where this object's members begin in `ser.members`.
    base: usize,
    /// Where its first member begins in `ser.out`.
    start: usize,
    /// Whether the members so far came in order, each name after the one before.
    sorted: bool,
    skip: Option<&'static str>,
}

impl<'a> Object<'a> {
    fn member<T: Serialize + ?Sized>(&mut self, key: Key, value: &T) -> Result<(), CanonicalError> {
        if self.skip.is_some_and(|s| s == key.as_str()) {
            return Ok(());
        }
        if let Some(last) = self.ser.members.get(self.base..).and_then(<[Member]>::last) {
            if key_order(last.key.as_str(), key.as_str()) != Ordering::Less {
                self.sorted = false;
            }
            self.ser.out.push(b',');
        }
        let start = self.ser.out.len();
        write_string(key.as_str(), &mut self.ser.out)?;
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)?;
        let end = self.ser.out.len();
        self.ser.members.push(Member { key, start, end });
        Ok(())
    }

    /// Ends the object, rewriting its members in order if they did not come in order, and
    /// gives the serializer back.
    fn close(self) -> &'a mut Canonical {
        let ser = self.ser;
        if !self.sorted
            && let Some(members) = ser.members.get_mut(self.base..)
        {
            // Stable, so that of members with one name the last written comes last.
            members.sort_by(|a, b| key_order(a.key.as_str(), b.key.as_str()));
            ser.scratch.clear();
            ser.scratch
                .extend_from_slice(ser.out.get(self.start..).unwrap_or_default());
            ser.out.truncate(self.start);
            let mut written = 0;
            let mut members = members.iter().peekable();
            while let Some(m) = members.next() {
                // A repeated name: only its last value is kept, as in a JSON object.
                if members
                    .peek()
                    .is_some_and(|n| n.key.as_str() == m.key.as_str())
                {
                    continue;
                }
                if written > 0 {
                    ser.out.push(b',');
                }
                let (from, to) = (m.start - self.start, m.end - self.start);
                ser.out
                    .extend_from_slice(ser.scratch.get(from..to).unwrap_or_default());
                written += 1;
            }
        }
        ser.members.truncate(self.base);
        ser.out.push(b'}');
        ser
    }
}

/// An array being written.
struct Array<'a> {
    ser: &'a mut Canonical,
    first: bool,
}

impl<'a> Array<'a> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        if !self.first {
            self.ser.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.ser)
    }

    fn close(self) -> &'a mut Canonical {
        self.ser.out.push(b']');
        self.ser
    }
}

/// An enum variant with content: `{"Variant": content}`, content an array or an object.
struct Variant<C> {
    content: C,
}

macro_rules! int {
    ($($name:ident: $t:ty),*) => {
        $(fn $name(self, v: $t) -> Result<(), CanonicalError> {
            // As serde_json's `Number::as_f64`: the nearest double.
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            self.number(v as f64);
            Ok(())
        })*
    };
}

impl<'a> ser::Serializer for &'a mut Canonical {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Variant<Array<'a>>;
    type SerializeMap = MapState<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Variant<Object<'a>>;

    fn serialize_bool(self, v: bool) -> Result<(), CanonicalError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
         serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);

    fn serialize_i128(self, v: i128) -> Result<(), CanonicalError> {
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => match u64::try_from(v) {
                Ok(v) => self.serialize_u64(v),
                Err(_) => Err(CanonicalError::new(format!("number {v} out of range"))),
            },
        }
    }

    fn serialize_u128(self, v: u128) -> Result<(), CanonicalError> {
        u64::try_from(v)
            .map_err(|_| CanonicalError::new(format!("number {v} out of range")))
            .and_then(|v| self.serialize_u64(v))
    }

    fn serialize_f32(self, v: f32) -> Result<(), CanonicalError> {
        self.number(f64::from(v));
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), CanonicalError> {
        self.number(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        write_string(v.encode_utf8(&mut [0; 4]), &mut self.out)
    }

    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        write_string(v, &mut self.out)
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, v: &T) -> Result<(), CanonicalError> {
        use std::fmt::Write;
        // Formatted into a buffer kept for the purpose, not a new string per value.
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        write!(text, "{v}").map_err(|e| CanonicalError::new(e.to_string()))?;
        let written = write_string(&text, &mut self.out);
        self.text = text;
        written
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), CanonicalError> {
        let mut a = self.open_array();
        for b in v {
            a.item(b)?;
        }
        a.close();
        Ok(())
    }

    fn serialize_none(self) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CanonicalError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), CanonicalError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        let mut o = self.open_object();
        o.member(Key::Static(variant), value)?;
        o.close();
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>, CanonicalError> {
        Ok(self.open_array())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Array<'a>, CanonicalError> {
        Ok(self.open_array())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Array<'a>, CanonicalError> {
        Ok(self.open_array())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<Array<'a>>, CanonicalError> {
        variant_open(self, variant)?;
        Ok(Variant {
            content: self.open_array(),
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapState<'a>, CanonicalError> {
        Ok(MapState {
            object: self.open_object(),
            key: None,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, CanonicalError> {
        Ok(self.open_object())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<Object<'a>>, CanonicalError> {
        variant_open(self, variant)?;
        Ok(Variant {
            content: self.open_object(),
        })
    }
}

/// Writes `{"variant":` for a variant whose content follows; [`variant_close`] ends it.
/// The one-member object is in order by itself, so it needs no entry in `members`.
fn variant_open(ser: &mut Canonical, variant: &'static str) -> Result<(), CanonicalError> {
    ser.out.push(b'{');
    write_string(variant, &mut ser.out)?;
    ser.out.push(b':');
    Ok(())
}

fn variant_close(ser: &mut Canonical) {
    ser.out.push(b'}');
}

/// The serde traits of a sequence: every one writes items into an [`Array`].
macro_rules! array_traits {
    ($($tr:ident: $method:ident),*) => {
        $(impl ser::$tr for Array<'_> {
            type Ok = ();
            type Error = CanonicalError;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), CanonicalError> {
                self.item(v)
            }
            fn end(self) -> Result<(), CanonicalError> {
                self.close();
                Ok(())
            }
        })*
    };
}

array_traits!(
    SerializeSeq: serialize_element,
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field
);

impl ser::SerializeTupleVariant for Variant<Array<'_>> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), CanonicalError> {
        self.content.item(v)
    }
    fn end(self) -> Result<(), CanonicalError> {
        variant_close(self.content.close());
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), CanonicalError> {
        self.member(Key::Static(key), v)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeStructVariant for Variant<Object<'_>> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), CanonicalError> {
        self.content.member(Key::Static(key), v)
    }
    fn end(self) -> Result<(), CanonicalError> {
        variant_close(self.content.close());
        Ok(())
    }
}

/// A map being written: its keys become member names.
struct MapState<'a> {
    object: Object<'a>,
    key: Option<String>,
}

impl ser::SerializeMap for MapState<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CanonicalError> {
        self.key = Some(key.serialize(MapKey)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), CanonicalError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| CanonicalError::new("map value without a key".into()))?;
        self.object.member(Key::Owned(key), v)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.object.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::to_canonical;
    use crate::hash::write_canonical;
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// The bytes of the tree path: `serde_json::to_value`, then the tree writer.
    fn via_tree<T: Serialize>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        write_canonical(&serde_json::to_value(v).unwrap(), &mut out).unwrap();
        out
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape {
        Unit,
        New(u8),
        Pair(i32, String),
        Named { z: bool, a: Option<f64> },
    }

    #[derive(Serialize)]
    struct Unsorted {
        zeta: Vec<Shape>,
        alpha: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
        mid: BTreeMap<u32, Inner>,
        #[serde(rename = "\u{FB01}")]
        wide: u64,
        #[serde(rename = "\u{1F600}")]
        astral: i64,
        bytes: serde_bytes_like::Bytes,
        nested: Inner,
        shown: Shown,
    }

    /// A value serialized through `Display`, twice in a row (the buffer is reused).
    struct Shown;
    impl Serialize for Shown {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeTuple;
            let mut t = s.serialize_tuple(2)?;
            t.serialize_element(&Displayed("a \"quoted\" name"))?;
            t.serialize_element(&Displayed("short"))?;
            t.end()
        }
    }
    struct Displayed(&'static str);
    impl Serialize for Displayed {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self.0)
        }
    }

    #[derive(Serialize, Clone)]
    #[serde(tag = "op")]
    struct Inner {
        b: f32,
        a: (),
        c: char,
    }

    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// A map that hands its entries to the serializer as they are, repeats included.
    struct Pairs(Vec<(&'static str, i32)>);
    impl Serialize for Pairs {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(None)?;
            for (k, v) in &self.0 {
                m.serialize_entry(k, v)?;
            }
            m.end()
        }
    }

    #[test]
    fn writes_what_the_tree_path_writes_for_every_form_of_the_data_model() {
        let inner = Inner {
            b: 0.1,
            a: (),
            c: '"',
        };
        let v = Unsorted {
            zeta: vec![
                Shape::Unit,
                Shape::New(7),
                Shape::Pair(-3, "x\ny".into()),
                Shape::Named {
                    z: true,
                    a: Some(f64::NAN),
                },
                Shape::Named {
                    z: false,
                    a: Some(1e21),
                },
            ],
            alpha: None,
            gone: None,
            mid: [(10, inner.clone()), (9, inner.clone())].into(),
            wide: u64::MAX,
            astral: i64::MIN,
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            nested: inner,
            shown: Shown,
        };
        let ours = to_canonical(&v, None).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(via_tree(&v)).unwrap()
        );
    }

    #[test]
    fn a_repeated_map_key_keeps_its_last_value_as_a_json_object_does() {
        let p = Pairs(vec![("b", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5)]);
        assert_eq!(to_canonical(&p, None).unwrap(), via_tree(&p));
        assert_eq!(to_canonical(&p, None).unwrap(), br#"{"a":4,"b":3,"c":5}"#);
    }

    #[test]
    fn skip_leaves_out_a_member_of_the_outermost_object_only() {
        let v = serde_json::json!({"ir_hash": "x", "a": {"ir_hash": "kept"}, "z": 1});
        assert_eq!(
            to_canonical(&v, Some("ir_hash")).unwrap(),
            br#"{"a":{"ir_hash":"kept"},"z":1}"#
        );
    }

    #[test]
    fn every_shipped_policy_ir_gives_the_bytes_of_the_tree_path() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".yml") || name.ends_with(".test.yml") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let ir = crate::policy::compile(&src, crate::policy::LintMode::Strict)
                .unwrap()
                .ir;
            assert_eq!(to_canonical(&ir, None).unwrap(), via_tree(&ir), "{name}");
            let mut tree = serde_json::to_value(&ir).unwrap();
            tree.as_object_mut().unwrap().remove("ir_hash");
            assert_eq!(
                ir.compute_hash().unwrap(),
                crate::hash::value_sha256(&tree).unwrap(),
                "{name}"
            );
            seen += 1;
        }
        assert!(seen >= 3, "{seen} policies");
    }
}

//! Canonical bytes and digests: RFC 8785 (JCS) canonical JSON and `sha256:<hex>` digests.
//! Every hash in the project (policy, IR, context) goes through here, so there is one
//! definition of "the bytes we hash".
//!
//! A Rust value is written by a serde serializer of its own ([`serializer`]), which gives
//! the bytes that converting it to a `serde_json::Value` and writing that would give.
//! The tree writer works on a parsed JSON tree (`serde_json::Value` or the borrowed
//! [`Doc`](crate::json::Doc)): object members sorted by the UTF-16 code units
//! of their names, no whitespace, strings with the minimal JSON escaping (`"`, `\`, and
//! control characters; `\b \t \n \f \r` by name, others as lowercase `\u00xx`), numbers in
//! ECMAScript `Number.prototype.toString` form. A property test checks it against an
//! independent JCS implementation.

use crate::json::{Node, Tree};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;

mod map_key;
mod serializer;

/// Failure to produce canonical JSON (only possible for values JSON cannot represent).
#[derive(Debug, thiserror::Error)]
#[error("cannot canonicalise value: {0}")]
pub struct CanonicalError(String);

impl CanonicalError {
    pub(crate) const fn new(msg: String) -> Self {
        Self(msg)
    }
}

/// RFC 8785 canonical bytes of `value`.
///
/// # Errors
/// When the value cannot be represented as JSON.
pub fn canonical_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serializer::to_canonical(value, None)
}

/// Writes the RFC 8785 canonical form of `v` (a `serde_json::Value` or a [`Doc`]) to `out`.
///
/// [`Doc`]: crate::json::Doc
///
/// # Errors
/// When writing fails.
pub fn write_canonical<T: Tree, W: Write>(v: &T, out: &mut W) -> Result<(), CanonicalError> {
    let io = |e: std::io::Error| CanonicalError::new(e.to_string());
    match v.node() {
        Node::Null => out.write_all(b"null").map_err(io),
        Node::Bool(b) => out
            .write_all(if b { b"true" } else { b"false" })
            .map_err(io),
        Node::Number(n) => {
            // RFC 8785 numbers are IEEE 754 doubles printed as ECMAScript does.
            let f = n
                .as_f64()
                .ok_or_else(|| CanonicalError::new(format!("number {n} is not a double")))?;
            if !f.is_finite() {
                return Err(CanonicalError::new("non-finite number".into()));
            }
            out.write_all(ryu_js::Buffer::new().format_finite(f).as_bytes())
                .map_err(io)
        }
        Node::String(s) => write_string(s, out),
        Node::Array(items) => {
            out.write_all(b"[").map_err(io)?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",").map_err(io)?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]").map_err(io)
        }
        Node::Object => {
            let mut entries = v.members().unwrap_or_default();
            // Members come in code point order, which equals UTF-16 order unless a key
            // mixes characters at or above U+E000 with astral ones.
            if entries
                .iter()
                .any(|(k, _)| k.chars().any(|c| c >= '\u{E000}'))
            {
                entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            }
            out.write_all(b"{").map_err(io)?;
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",").map_err(io)?;
                }
                write_string(k, out)?;
                out.write_all(b":").map_err(io)?;
                write_canonical(item, out)?;
            }
            out.write_all(b"}").map_err(io)
        }
    }
}

/// Writes a JSON string. Strings without `"`, `\\` or control characters (hashes, dates,
/// identifiers: nearly all of a context) are copied as they are; the rest go through
/// serde_json's escaping, which is the minimal escaping RFC 8785 asks for (and what
/// serde_json writes anywhere, so the report writer uses this too).
pub(crate) fn write_string<W: Write>(s: &str, out: &mut W) -> Result<(), CanonicalError> {
    let io = |e: std::io::Error| CanonicalError::new(e.to_string());
    // A fold without early exit compiles to a vectorised scan; strings here are short.
    let needs_escape = s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.write_all(b"\"").map_err(io)?;
        out.write_all(s.as_bytes()).map_err(io)?;
        return out.write_all(b"\"").map_err(io);
    }
    serde_json::to_writer(&mut *out, s).map_err(|e| CanonicalError::new(e.to_string()))
}

/// Raw SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `sha256:<64 lowercase hex>` of `bytes`.
#[must_use]
pub fn sha256_id(bytes: &[u8]) -> String {
    sha256_hex_id(&sha256(bytes))
}

/// `sha256:` and 64 lowercase hex digits, in one allocation (every verification writes its
/// context hash this way; `format!` with `hex::encode` made two strings, one a character at
/// a time).
pub(crate) fn sha256_hex_id(digest: &[u8; 32]) -> String {
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in digest {
        for nibble in [b >> 4, b & 0x0f] {
            let digit = if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            };
            out.push(char::from(digit));
        }
    }
    out
}

/// `sha256:<hex>` of the concatenation of `parts`, without concatenating them.
pub(crate) fn sha256_id_of_parts<'p>(parts: impl IntoIterator<Item = &'p [u8]>) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    sha256_hex_id(&h.finalize().into())
}

/// A writer that feeds SHA-256 instead of storing the bytes.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sha256:<hex>` of the canonical bytes of a JSON tree, streamed (no byte buffer).
///
/// # Errors
/// As [`write_canonical`].
pub fn value_sha256<T: Tree>(v: &T) -> Result<String, CanonicalError> {
    // Canonical JSON arrives in many small writes; measured (scripts/callgrind-verify.sh),
    // std's BufWriter in front of SHA-256 beat a hand-written stack buffer by 25k
    // instructions per 100-supplier context. Its buffer stays under 1 KiB: glibc's malloc
    // consolidates its fast bins before every allocation of 1 KiB or more, and that
    // consolidation showed in perf profiles of /verify (scripts/perf-verify.sh).
    let mut w = std::io::BufWriter::with_capacity(1000, HashWriter(Sha256::new()));
    write_canonical(v, &mut w)?;
    let inner = w
        .into_inner()
        .map_err(|e| CanonicalError::new(e.to_string()))?;
    Ok(sha256_hex_id(&inner.0.finalize().into()))
}

/// `sha256:<hex>` of the canonical bytes of `value`.
///
/// # Errors
/// As [`canonical_bytes`].
pub fn canonical_sha256<T: Serialize>(value: &T) -> Result<String, CanonicalError> {
    Ok(sha256_id(&serializer::to_canonical(value, None)?))
}

/// `sha256:<hex>` of the canonical bytes of `value` without the member `skip` of its
/// outermost object (an IR's hash leaves out its own `ir_hash`).
///
/// # Errors
/// As [`canonical_bytes`].
pub(crate) fn canonical_sha256_without<T: Serialize>(
    value: &T,
    skip: &'static str,
) -> Result<String, CanonicalError> {
    Ok(sha256_id(&serializer::to_canonical(value, Some(skip))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn canon(text: &str) -> String {
        let v: Value = serde_json::from_str(text).unwrap();
        String::from_utf8(canonical_bytes(&v).unwrap()).unwrap()
    }

    #[test]
    fn canonical_json_sorts_keys_and_formats_numbers_like_ecmascript() {
        assert_eq!(
            canon(r#"{"b":1,"a":[1.0,2.5e-7], "é":"x", "A":null}"#),
            r#"{"A":null,"a":[1,2.5e-7],"b":1,"é":"x"}"#
        );
        assert_eq!(
            canon("[1e21, 1e20, -0.0, 0.000001, 1e-7, 123456789012345680000]"),
            "[1e+21,100000000000000000000,0,0.000001,1e-7,123456789012345680000]"
        );
        assert_eq!(
            canon(r#""\u0007\u001f/\u00e9\"\\""#),
            "\"\\u0007\\u001f/é\\\"\\\\\""
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB01 (FB01).
        assert_eq!(
            canon("{\"\u{FB01}\":1,\"\u{1F600}\":2}"),
            "{\"\u{1F600}\":2,\"\u{FB01}\":1}"
        );
    }

    #[test]
    fn streamed_hash_equals_hash_of_bytes() {
        let v: Value = serde_json::from_str(r#"{"z":[1,2,{"y":"x"}],"a":true}"#).unwrap();
        assert_eq!(
            value_sha256(&v).unwrap(),
            sha256_id(&canonical_bytes(&v).unwrap())
        );
        // Across the 8 KiB buffer's and SHA-256's block boundaries, and writes longer than
        // the buffer.
        for len in [1, 63, 64, 700, 1021, 1024, 1025, 3000, 9000] {
            let items: Vec<Value> = (0..7).map(|i| Value::String("x".repeat(len + i))).collect();
            let v = Value::Array(items);
            assert_eq!(
                value_sha256(&v).unwrap(),
                sha256_id(&canonical_bytes(&v).unwrap()),
                "{len}"
            );
        }
    }

    #[test]
    fn sha256_id_of_empty_input_is_the_known_digest() {
        assert_eq!(
            sha256_id(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

//! Canonical bytes and digests: RFC 8785 (JCS) canonical JSON and `sha256:<hex>` digests.
//! Every hash in the project (policy, IR, context) goes through here, so there is one
//! definition of "the bytes we hash".

use serde::Serialize;
use sha2::{Digest, Sha256};

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
/// When the value cannot be represented as JSON (for example a non-finite number).
pub fn canonical_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CanonicalError::new(e.to_string()))
}

/// Raw SHA-256 of `bytes`.
#[must_use]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `sha256:<64 lowercase hex>` of `bytes`.
#[must_use]
pub fn sha256_id(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha256(bytes)))
}

/// `sha256:<hex>` of the canonical bytes of `value`.
///
/// # Errors
/// As [`canonical_bytes`].
pub fn canonical_sha256<T: Serialize>(value: &T) -> Result<String, CanonicalError> {
    Ok(sha256_id(&canonical_bytes(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_formats_numbers_like_ecmascript() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":[1.0,2.5e-7], "é":"x", "A":null}"#).unwrap();
        let bytes = canonical_bytes(&v).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"A":null,"a":[1,2.5e-7],"b":1,"é":"x"}"#
        );
    }

    #[test]
    fn sha256_id_of_empty_input_is_the_known_digest() {
        assert_eq!(
            sha256_id(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

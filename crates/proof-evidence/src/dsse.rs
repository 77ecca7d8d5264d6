//! DSSE, the Dead Simple Signing Envelope (secure-systems-lab/dsse, protocol v1.0): a
//! signature over `PAE(payloadType, payload)` =
//! `"DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload`, lengths in
//! ASCII decimal, so that the type is signed with the bytes. The envelope is JSON with the
//! payload and each signature in standard base64 with padding, each signature naming its
//! key by `keyid` (here the key's RFC 7638 thumbprint, [`crate::keys`]).

use crate::keys::{PublicKey, SigningKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// Why an envelope does not verify.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    /// Not a DSSE envelope (a member missing, bad base64).
    #[error("not a DSSE envelope: {0}")]
    Malformed(String),
    /// The payload type is not the expected one.
    #[error("payload type is `{got}`, expected `{want}`")]
    PayloadType {
        /// What the envelope says.
        got: String,
        /// What was expected.
        want: String,
    },
    /// No signature by a key of the key set.
    #[error("no signature by a published key (signed by {0})")]
    UnknownKey(String),
    /// A signature by a known key that does not verify.
    #[error("the signature by key {0} does not verify: the envelope was changed after signing")]
    BadSignature(String),
}

/// The bytes a DSSE signature covers.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// An envelope around `payload`, signed by `key`.
#[must_use]
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Value {
    let sig = key.sign(&pae(payload_type, payload));
    let mut signature = Map::new();
    signature.insert("keyid".into(), Value::String(key.kid().to_owned()));
    signature.insert("sig".into(), Value::String(STANDARD.encode(sig)));
    let mut envelope = Map::new();
    envelope.insert("payload".into(), Value::String(STANDARD.encode(payload)));
    envelope.insert("payloadType".into(), Value::String(payload_type.to_owned()));
    envelope.insert(
        "signatures".into(),
        Value::Array(vec![Value::Object(signature)]),
    );
    Value::Object(envelope)
}

/// A verified envelope's payload and the key that signed it.
#[derive(Debug)]
pub struct Verified {
    /// The payload bytes the signature covers.
    pub payload: Vec<u8>,
    /// The kid of the key whose signature verified.
    pub kid: String,
}

/// Verifies `envelope` against `keys` and returns the signed payload: at least one
/// signature must be by a key in `keys` (matched by `keyid`) and verify.
///
/// # Errors
/// [`DsseError`] saying why not.
pub fn verify(
    envelope: &Value,
    payload_type: &str,
    keys: &[PublicKey],
) -> Result<Verified, DsseError> {
    let field = |k: &str| {
        envelope
            .get(k)
            .ok_or_else(|| DsseError::Malformed(format!("no `{k}`")))
    };
    let got_type = field("payloadType")?
        .as_str()
        .ok_or_else(|| DsseError::Malformed("`payloadType` is not a string".into()))?;
    let payload = STANDARD
        .decode(
            field("payload")?
                .as_str()
                .ok_or_else(|| DsseError::Malformed("`payload` is not a string".into()))?,
        )
        .map_err(|e| DsseError::Malformed(format!("`payload` is not base64: {e}")))?;
    let sigs = field("signatures")?
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DsseError::Malformed("`signatures` is not a non-empty array".into()))?;
    // The type is checked after the signature would be, but reported first: a valid
    // signature over another type is still the wrong document.
    let message = pae(got_type, &payload);
    let mut seen = Vec::new();
    let mut bad = None;
    for s in sigs {
        let kid = s.get("keyid").and_then(Value::as_str).unwrap_or("");
        let sig = s
            .get("sig")
            .and_then(Value::as_str)
            .ok_or_else(|| DsseError::Malformed("a signature without `sig`".into()))?;
        let sig = STANDARD
            .decode(sig)
            .map_err(|e| DsseError::Malformed(format!("`sig` is not base64: {e}")))?;
        seen.push(if kid.is_empty() { "no keyid" } else { kid }.to_owned());
        for k in keys.iter().filter(|k| k.kid() == kid) {
            if k.verify(&message, &sig) {
                if got_type != payload_type {
                    return Err(DsseError::PayloadType {
                        got: got_type.to_owned(),
                        want: payload_type.to_owned(),
                    });
                }
                return Ok(Verified {
                    payload,
                    kid: kid.to_owned(),
                });
            }
            bad = Some(kid.to_owned());
        }
    }
    Err(bad.map_or_else(
        || DsseError::UnknownKey(seen.join(", ")),
        DsseError::BadSignature,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;
    use serde_json::json;

    #[test]
    fn pae_is_the_dsse_encoding() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn envelopes_verify_and_tampering_is_named() {
        let (k, _) = SigningKey::generate().unwrap();
        let (other, _) = SigningKey::generate().unwrap();
        let keys = [k.public_key()];
        let env = sign("application/vnd.in-toto+json", b"{\"a\":1}", &k);
        let v = verify(&env, "application/vnd.in-toto+json", &keys).unwrap();
        assert_eq!(v.payload, b"{\"a\":1}");
        assert_eq!(v.kid, k.kid());

        let mut changed = env.clone();
        changed["payload"] = json!(STANDARD.encode(b"{\"a\":2}"));
        assert_eq!(
            verify(&changed, "application/vnd.in-toto+json", &keys).unwrap_err(),
            DsseError::BadSignature(k.kid().to_owned())
        );
        let mut retyped = env.clone();
        retyped["payloadType"] = json!("text/plain");
        assert!(matches!(
            verify(&retyped, "application/vnd.in-toto+json", &keys),
            Err(DsseError::BadSignature(_))
        ));
        let by_other = sign("application/vnd.in-toto+json", b"{\"a\":1}", &other);
        assert!(matches!(
            verify(&by_other, "application/vnd.in-toto+json", &keys),
            Err(DsseError::UnknownKey(_))
        ));
        let wrong_type = sign("text/plain", b"x", &k);
        assert!(matches!(
            verify(&wrong_type, "application/vnd.in-toto+json", &keys),
            Err(DsseError::PayloadType { .. })
        ));
        assert!(matches!(
            verify(&json!({"payload": "!"}), "t", &keys),
            Err(DsseError::Malformed(_))
        ));
    }
}

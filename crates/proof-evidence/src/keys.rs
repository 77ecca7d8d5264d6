//! Signing keys: Ed25519 (RFC 8032) through aws-lc-rs, stored as unencrypted PKCS#8 PEM
//! (`-----BEGIN PRIVATE KEY-----`, RFC 5208/5958, as `openssl genpkey -algorithm ed25519`
//! writes it). A key's id (`kid`) is its RFC 7638 JWK thumbprint: the SHA-256 of
//! `{"crv":"Ed25519","kty":"OKP","x":"<base64url public key>"}`, base64url without padding,
//! so anyone holding the public key can recompute it. A [`KeySet`] is one active key (it
//! signs) and any number of retired ones (published, so that what they signed still
//! verifies); its public half is a JWK set. The private key is never printed, logged or
//! serialised other than into its own file.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// Why a key file or key set is unusable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not a PEM `PRIVATE KEY` block.
    #[error("{0}")]
    Pem(String),
    /// A PKCS#8 key that is not an Ed25519 key, or a malformed one.
    #[error("not an Ed25519 PKCS#8 private key ({0})")]
    NotEd25519(String),
    /// A JWK that is not an Ed25519 public key.
    #[error("JWK: {0}")]
    Jwk(String),
    /// Key generation failed.
    #[error("key generation failed")]
    Generate,
}

/// An Ed25519 signing key with its id.
pub struct SigningKey {
    kid: String,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key and its PKCS#8 v1 PEM (what OpenSSL writes and reads).
    ///
    /// # Errors
    /// [`KeyError::Generate`] when the system's random source fails.
    pub fn generate() -> Result<(Self, String), KeyError> {
        let doc = Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new())
            .map_err(|_| KeyError::Generate)?;
        let pem = pem_encode("PRIVATE KEY", doc.as_ref());
        let key = Self::from_pem(&pem)?;
        Ok((key, pem))
    }

    /// The key in a PKCS#8 PEM file's text (v1 or v2).
    ///
    /// # Errors
    /// [`KeyError`] naming what is wrong: no `PRIVATE KEY` block, bad base64, or a key
    /// that is not Ed25519 (an encrypted key, RSA, EC, ...).
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let der = pem_decode(text, "PRIVATE KEY")?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| KeyError::NotEd25519(e.to_string()))?;
        Self::of_pair(pair)
    }

    fn of_pair(pair: Ed25519KeyPair) -> Result<Self, KeyError> {
        let public: [u8; 32] = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| KeyError::NotEd25519("public key length".into()))?;
        Ok(Self {
            kid: kid(&public),
            pair,
        })
    }

    /// The key of a 32-byte Ed25519 seed (RFC 8032 private key), as test vectors give
    /// them.
    ///
    /// # Errors
    /// [`KeyError::NotEd25519`] when the seed is refused.
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| KeyError::NotEd25519(e.to_string()))?;
        Self::of_pair(pair)
    }

    /// The key id (RFC 7638 thumbprint).
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The 32-byte public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let mut b = [0u8; 32];
        b.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(b)
    }

    /// An Ed25519 signature of `message`.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// True when `sig` is this key's signature of `message`.
    #[must_use]
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::ED25519, self.0)
            .verify(message, sig)
            .is_ok()
    }

    /// The key id (RFC 7638 thumbprint).
    #[must_use]
    pub fn kid(&self) -> String {
        kid(&self.0)
    }

    /// The public JWK (RFC 8037): `kty`, `crv`, `x`, `kid`, `alg`, `use`.
    #[must_use]
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.0),
            "kid": self.kid(),
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    /// The key of a public JWK; its `kid`, when present, must be its thumbprint.
    ///
    /// # Errors
    /// [`KeyError::Jwk`] for anything but an Ed25519 `OKP` key with a 32-byte `x`.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let field = |k: &str| jwk.get(k).and_then(Value::as_str);
        if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
            return Err(KeyError::Jwk("not an OKP Ed25519 key".into()));
        }
        let x = field("x").ok_or_else(|| KeyError::Jwk("no `x`".into()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|e| KeyError::Jwk(format!("`x` is not base64url: {e}")))?;
        let b: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Jwk("`x` is not 32 bytes".into()))?;
        let key = Self(b);
        if let Some(k) = field("kid")
            && k != key.kid()
        {
            return Err(KeyError::Jwk(format!(
                "`kid` {k} is not the key's thumbprint {}",
                key.kid()
            )));
        }
        Ok(key)
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key.
fn kid(public: &[u8; 32]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// One active signing key and the retired ones still published.
#[derive(Debug)]
pub struct KeySet {
    active: SigningKey,
    retired: Vec<PublicKey>,
}

impl KeySet {
    /// `active` signs; `retired` (public halves of earlier keys) are published only.
    #[must_use]
    pub fn new(active: SigningKey, retired: Vec<PublicKey>) -> Self {
        let mut retired = retired;
        retired.retain(|k| k.kid() != active.kid());
        retired.sort_by_key(PublicKey::kid);
        retired.dedup();
        Self { active, retired }
    }

    /// The key that signs.
    #[must_use]
    pub const fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The public JWK set: the active key first, then the retired ones by kid.
    #[must_use]
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(self.active.public_key())
            .chain(self.retired.iter().copied())
            .map(|k| k.jwk())
            .collect();
        json!({ "keys": keys })
    }
}

/// The public keys of a JWK set, by kid; keys of other types are skipped.
///
/// # Errors
/// [`KeyError::Jwk`] when the document is not a JWK set, or an Ed25519 key in it is
/// malformed.
pub fn public_keys(jwks: &Value) -> Result<Vec<PublicKey>, KeyError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| KeyError::Jwk("not a JWK set (no `keys` array)".into()))?;
    keys.iter()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some("OKP"))
        .map(PublicKey::from_jwk)
        .collect()
}

/// The public keys in a key file's text: a PEM private key (its public half), a JWK set,
/// or one JWK.
///
/// # Errors
/// [`KeyError`] for text that is none of these, or holds no Ed25519 key.
pub fn public_keys_in(text: &str) -> Result<Vec<PublicKey>, KeyError> {
    if text.contains("-----BEGIN") {
        return Ok(vec![SigningKey::from_pem(text)?.public_key()]);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| {
        KeyError::Jwk(format!(
            "neither a PEM key nor JSON (a JWK set or a JWK): {e}"
        ))
    })?;
    let keys = if v.get("keys").is_some() {
        public_keys(&v)?
    } else {
        vec![PublicKey::from_jwk(&v)?]
    };
    if keys.is_empty() {
        return Err(KeyError::Jwk("no Ed25519 key in it".into()));
    }
    Ok(keys)
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_decode(text: &str, label: &str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = text.find(&begin) else {
        let found = text
            .lines()
            .find(|l| l.starts_with("-----BEGIN "))
            .map_or_else(|| "no PEM block".to_owned(), |l| format!("found `{l}`"));
        return Err(KeyError::Pem(format!(
            "expected a `{begin}` block (an unencrypted PKCS#8 key); {found}"
        )));
    };
    let rest = text.get(start + begin.len()..).unwrap_or("");
    let body = rest
        .find(&end)
        .and_then(|e| rest.get(..e))
        .ok_or_else(|| KeyError::Pem(format!("no `{end}` line")))?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD
        .decode(b64)
        .map_err(|e| KeyError::Pem(format!("the PEM body is not base64: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    /// RFC 8032 section 7.1, test 1: the secret key, its public key and the signature of
    /// the empty message.
    const SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const SIG: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    fn rfc8032_pem() -> String {
        // PKCS#8 v1 prefix for an Ed25519 key (RFC 8410 section 7), then the seed.
        let mut der = hex_bytes("302e020100300506032b657004220420");
        der.extend(hex_bytes(SECRET));
        pem_encode("PRIVATE KEY", &der)
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn the_rfc_8032_test_vector_signs_and_verifies() {
        let k = SigningKey::from_pem(&rfc8032_pem()).unwrap();
        assert_eq!(k.public_key().0.to_vec(), hex_bytes(PUBLIC));
        assert_eq!(k.sign(b"").to_vec(), hex_bytes(SIG));
        assert!(k.public_key().verify(b"", &hex_bytes(SIG)));
        assert!(!k.public_key().verify(b"x", &hex_bytes(SIG)));
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the RFC 8032 test key.
        let k = SigningKey::from_pem(&rfc8032_pem()).unwrap();
        assert_eq!(k.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        let jwk = k.public_key().jwk();
        assert_eq!(jwk["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), k.public_key());
        let mut wrong = jwk.clone();
        wrong["kid"] = json!("other");
        assert!(PublicKey::from_jwk(&wrong).is_err());
    }

    #[test]
    fn generated_keys_round_trip_and_bad_files_are_named() {
        let (k, pem) = SigningKey::generate().unwrap();
        assert_eq!(SigningKey::from_pem(&pem).unwrap().kid(), k.kid());
        assert!(!format!("{k:?}").contains(&pem[30..60]));
        let e = SigningKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("found `-----BEGIN RSA PRIVATE KEY-----`"),
            "{e}"
        );
        let e =
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n")
                .unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
        let e =
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .unwrap_err();
        assert!(e.to_string().contains("not an Ed25519"), "{e}");
    }

    #[test]
    fn a_key_set_publishes_the_active_key_first_and_retired_ones_once() {
        let (old, _) = SigningKey::generate().unwrap();
        let (new, _) = SigningKey::generate().unwrap();
        let old_pub = old.public_key();
        let set = KeySet::new(new, vec![old_pub, old_pub]);
        let jwks = set.jwks();
        let keys = public_keys(&jwks).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].kid(), set.active().kid());
        assert_eq!(keys[1], old_pub);
    }
}

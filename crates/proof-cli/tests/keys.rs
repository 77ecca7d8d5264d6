//! `proof keys generate` and `proof keys export`, checked against independent
//! implementations: Python's `cryptography` reads the generated PEM and recomputes the
//! JWK's `x` and its RFC 7638 `kid`; a key made by `openssl genpkey` is read by `proof`
//! and gives the public key OpenSSL prints.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn proof(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("proof-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `x` and the RFC 7638 thumbprint of a PEM private key, computed by `cryptography`.
const PY: &str = r#"
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key
key = load_pem_private_key(open(sys.argv[1], "rb").read(), password=None)
assert isinstance(key, Ed25519PrivateKey), type(key)
raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
x = b64(raw)
members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
print(json.dumps({"x": x, "kid": b64(hashlib.sha256(members.encode()).digest())}))
"#;

fn python_view(key: &Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", PY])
        .arg(key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn generated_keys_are_pkcs8_ed25519_with_the_rfc_7638_kid() {
    let d = tmpdir("keys-gen");
    let r = proof(&d, &["keys", "generate", "-o", "a.pem"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let kid = text(&r.stdout).trim().to_owned();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(d.join("a.pem"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let py = python_view(&d.join("a.pem"));
    assert_eq!(py["kid"], kid.as_str());

    let r = proof(&d, &["keys", "export", "a.pem"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let set: Value = serde_json::from_slice(&r.stdout).unwrap();
    let jwk = &set["keys"][0];
    assert_eq!(
        (&jwk["kty"], &jwk["crv"], &jwk["alg"], &jwk["use"]),
        (
            &"OKP".into(),
            &"Ed25519".into(),
            &"EdDSA".into(),
            &"sig".into()
        )
    );
    assert_eq!(jwk["x"], py["x"]);
    assert_eq!(jwk["kid"], py["kid"]);
    assert!(jwk.get("d").is_none(), "no private part: {jwk}");
    assert!(!text(&r.stdout).contains("PRIVATE"));

    // An existing file is never overwritten.
    let before = std::fs::read(d.join("a.pem")).unwrap();
    let r = proof(&d, &["keys", "generate", "-o", "a.pem"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("never overwritten"),
        "{}",
        text(&r.stderr)
    );
    assert_eq!(std::fs::read(d.join("a.pem")).unwrap(), before);
}

#[test]
fn rotation_publishes_the_active_key_first_and_every_retired_one() {
    let d = tmpdir("keys-rot");
    for f in ["old.pem", "new.pem"] {
        assert_eq!(
            proof(&d, &["keys", "generate", "-o", f]).status.code(),
            Some(0)
        );
    }
    let r = proof(&d, &["keys", "export", "old.pem"]);
    std::fs::write(d.join("old.json"), &r.stdout).unwrap();
    // The retired key as its PEM file or as the JWK set published before: the same set.
    let by_pem = proof(&d, &["keys", "export", "new.pem", "old.pem"]);
    let by_jwks = proof(&d, &["keys", "export", "new.pem", "old.json", "old.pem"]);
    assert_eq!(by_pem.status.code(), Some(0), "{}", text(&by_pem.stderr));
    assert_eq!(by_pem.stdout, by_jwks.stdout);
    let set: Value = serde_json::from_slice(&by_pem.stdout).unwrap();
    let kids: Vec<&str> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        [
            python_view(&d.join("new.pem"))["kid"].as_str().unwrap(),
            python_view(&d.join("old.pem"))["kid"].as_str().unwrap()
        ]
    );
}

#[test]
fn openssl_keys_are_read_and_other_keys_are_refused_by_name() {
    let d = tmpdir("keys-ossl");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(d.join("o.pem"))
        .status()
        .unwrap();
    assert!(ok.success());
    let der = Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(d.join("o.pem"))
        .output()
        .unwrap()
        .stdout;
    let raw = &der[der.len() - 32..];
    let r = proof(&d, &["keys", "export", "o.pem"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let set: Value = serde_json::from_slice(&r.stdout).unwrap();
    use base64::Engine as _;
    assert_eq!(
        set["keys"][0]["x"],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    assert_eq!(set["keys"][0]["kid"], python_view(&d.join("o.pem"))["kid"]);

    let rsa = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "rsa",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(d.join("rsa.pem"))
        .status()
        .unwrap();
    assert!(rsa.success());
    std::fs::write(
        d.join("junk.json"),
        "{\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"x\": \"AAAA\"}]}",
    )
    .unwrap();
    for (args, want) in [
        (
            vec!["keys", "export", "rsa.pem"],
            "`rsa.pem`: not an Ed25519 PKCS#8 private key",
        ),
        (
            vec!["keys", "export", "missing.pem"],
            "cannot read `missing.pem`",
        ),
        (
            vec!["keys", "export", "o.pem", "junk.json"],
            "`junk.json`: JWK: `x` is not 32 bytes",
        ),
        (
            vec!["keys", "generate", "-o", "no/such/dir/k.pem"],
            "cannot create `no/such/dir/k.pem`",
        ),
    ] {
        let r = proof(&d, &args);
        assert_eq!(r.status.code(), Some(1), "{args:?}");
        assert!(
            text(&r.stderr).contains(want),
            "{args:?}: {}",
            text(&r.stderr)
        );
    }
}

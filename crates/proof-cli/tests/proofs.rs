//! Disclosure bundles with proofs: `proof verify --receipt --disclosure --proofs` puts, for
//! every hash a membership rule checked, its inclusion or absence proof into the bundle;
//! `proof receipt verify` checks them against the list root and size the receipt signs,
//! and names what is wrong in a bundle re-signed with the right key after tampering.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/evidence.rs"]
mod evidence;

use evidence::{fresh_dir, payload, proof, read, root, text};
use proof_core::lists::parse_list;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn check(d: &Path, bundle: &str) -> (Option<i32>, String) {
    let r = proof(
        d,
        &[
            "receipt",
            "verify",
            "r.json",
            "--keys",
            "keys.json",
            "--disclosure",
            bundle,
        ],
    );
    (r.status.code(), text(&r.stdout) + &text(&r.stderr))
}

/// A folder with a key, its key set, and a receipt of `context_fail.json` whose bundle
/// carries proofs.
fn workspace(tag: &str) -> PathBuf {
    let d = fresh_dir(tag);
    std::fs::copy(
        root().join("examples/context_fail.json"),
        d.join("context_fail.json"),
    )
    .unwrap();
    assert_eq!(
        proof(&d, &["keys", "generate", "-o", "k.pem"])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        d.join("keys.json"),
        proof(&d, &["keys", "export", "k.pem"]).stdout,
    )
    .unwrap();
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_fail.json",
            "-o",
            "report.json",
            "--receipt",
            "r.json",
            "--disclosure",
            "b.json",
            "--proofs",
            "--signing-key",
            "k.pem",
        ],
    );
    assert_eq!(r.status.code(), Some(3), "{}", text(&r.stderr));
    d
}

#[test]
fn the_bundle_proves_each_checked_hash_on_or_off_the_list() {
    let d = workspace("proofs-ok");
    let (code, out) = check(&d, "b.json");
    assert_eq!(code, Some(0), "{out}");
    // lksg.v1 checks 12 supplier hashes (1 sanctioned) and 10 distinct region hashes.
    assert!(
        out.contains("hashes, 1 on and 11 not on list 6ac61fd9"),
        "{out}"
    );
    assert!(out.contains("(size 1200)"), "{out}");
    let bundle = payload(&read(&d.join("b.json")));
    let report = read(&d.join("report.json"));
    let sets = bundle["proofs"].as_array().unwrap();
    assert!(!sets.is_empty());
    let sanctions = sets
        .iter()
        .find(|s| s["list_root"] == json!(report["results"][0]["evidence"]["root"]))
        .unwrap_or(&sets[0]);
    let ctx = read(&d.join("context_fail.json"));
    let mut want: Vec<&str> = ctx["supplier_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    want.sort_unstable();
    let got: Vec<&str> = sanctions["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hash"].as_str().unwrap())
        .collect();
    assert_eq!(got, want, "the bundle proves exactly the context's hashes");
    // The receipt itself still carries none of them.
    let receipt = std::fs::read_to_string(d.join("r.json")).unwrap()
        + &payload(&read(&d.join("r.json"))).to_string();
    for h in &want {
        assert!(!receipt.contains(h), "{h} is in the receipt");
    }
    // Same inputs and salt aside, the proofs are deterministic: a second bundle has the
    // same proofs.
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_fail.json",
            "-o",
            "report2.json",
            "--receipt",
            "r2.json",
            "--disclosure",
            "b2.json",
            "--proofs",
            "--signing-key",
            "k.pem",
        ],
    );
    assert_eq!(r.status.code(), Some(3));
    assert_eq!(
        payload(&read(&d.join("b2.json")))["proofs"],
        bundle["proofs"]
    );
}

#[test]
fn forged_proofs_in_a_resigned_bundle_are_caught_and_named() {
    let d = workspace("proofs-bad");
    let key = proof_evidence::keys::SigningKey::from_pem(
        &std::fs::read_to_string(d.join("k.pem")).unwrap(),
    )
    .unwrap();
    let bundle = payload(&read(&d.join("b.json")));
    let list = parse_list(
        "sanctions-demo",
        &std::fs::read_to_string(root().join("lists/sanctions-demo.csv")).unwrap(),
    )
    .unwrap();
    let sanctions = bundle["proofs"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["list_root"] == json!(list.root_hex()))
        .unwrap();
    let hashes = bundle["proofs"][sanctions]["hashes"].as_array().unwrap();
    let found = hashes.iter().position(|h| h["on_list"] == true).unwrap();
    let absent = hashes
        .iter()
        .position(|h| h["left"].is_object() && h["right"].is_object())
        .unwrap();
    let write = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut b = bundle.clone();
        f(&mut b["proofs"][sanctions]["hashes"]);
        let env = proof_evidence::dsse::sign(
            "application/vnd.proof.disclosure+json",
            b.to_string().as_bytes(),
            &key,
        );
        std::fs::write(d.join(name), env.to_string()).unwrap();
    };
    // A "not on the list" proof for the sanctioned hash: its honest neighbours are the
    // leaves on either side of it, which are not adjacent.
    let h: [u8; 32] = hex::decode(hashes[found]["hash"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let i = list.leaves().binary_search(&h).unwrap();
    let left = list.prove(&list.leaves()[i - 1]).at.unwrap();
    let right = list.prove(&list.leaves()[i + 1]).at.unwrap();
    write("on-list.json", &|hs| {
        hs[found] = json!({"hash": hs[found]["hash"], "on_list": false,
            "left": left, "right": right});
    });
    write("index.json", &|hs| {
        let i = hs[absent]["left"]["index"].as_u64().unwrap();
        hs[absent]["left"]["index"] = json!(i + 1);
    });
    write("length.json", &|hs| {
        hs[absent]["right"]["path"].as_array_mut().unwrap().pop();
    });
    write("dropped.json", &|hs| {
        hs.as_array_mut().unwrap().remove(absent);
    });
    // The sanctioned hash "proven" by another leaf's valid inclusion proof.
    write("flipped.json", &|hs| {
        hs[found]["at"] = hs[absent]["left"].clone();
    });
    write("leaf.json", &|hs| {
        hs[absent]["left"]["leaf"] = json!("00".repeat(32));
    });
    for (file, want) in [
        ("on-list.json", "are not adjacent"),
        ("index.json", "does not give the root for size 1200"),
        ("length.json", "does not give the root for size 1200"),
        ("dropped.json", "the receipt says it checked 12 distinct"),
        ("flipped.json", "is not the hash"),
        ("leaf.json", "does not give the root"),
    ] {
        let (code, out) = check(&d, file);
        assert_eq!(code, Some(3), "{file}: {out}");
        assert!(out.contains("INVALID  disclosure: rule `"), "{file}: {out}");
        assert!(out.contains(want), "{file}: {want}: {out}");
    }
}

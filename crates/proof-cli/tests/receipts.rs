//! Signed receipts: `proof verify --receipt` and `proof receipt verify`. The envelope is
//! verified by securesystemslib (an independent DSSE implementation, in the venv `.ci/run`
//! builds from testdata/evidence/requirements.txt) with the published key set; tampering of
//! every kind is caught and named; the receipt carries no hash of the context. The
//! service's bundles carry proofs with `options.proofs` (tests/proofs.rs checks them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/evidence.rs"]
mod evidence;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use evidence::{fresh_dir, payload as statement, proof, read, root, text, write};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A folder with a signing key `k.pem`, its key set `keys.json`, another key's set
/// `other-keys.json`, the example contexts, and a receipt of `context_fail.json`.
fn workspace(tag: &str) -> PathBuf {
    let d = fresh_dir(tag);
    for f in ["context_fail.json", "context_ok.json"] {
        std::fs::copy(root().join("examples").join(f), d.join(f)).unwrap();
    }
    for (key, set) in [("k.pem", "keys.json"), ("o.pem", "other-keys.json")] {
        assert_eq!(
            proof(&d, &["keys", "generate", "-o", key]).status.code(),
            Some(0)
        );
        let r = proof(&d, &["keys", "export", key]);
        std::fs::write(d.join(set), &r.stdout).unwrap();
    }
    let r = sign(&d, "context_fail.json", "r.json", "b.json");
    assert_eq!(r.status.code(), Some(3), "FAIL: {}", text(&r.stderr));
    d
}

fn sign(d: &Path, ctx: &str, receipt: &str, bundle: &str) -> Output {
    proof(
        d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            ctx,
            "-o",
            "report.json",
            "--receipt",
            receipt,
            "--disclosure",
            bundle,
            "--signing-key",
            "k.pem",
        ],
    )
}

fn check(d: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["receipt", "verify"];
    all.extend_from_slice(args);
    let r = proof(d, &all);
    (r.status.code(), text(&r.stdout) + &text(&r.stderr))
}

#[test]
fn a_receipt_verifies_offline_with_its_bundle_and_context_and_with_securesystemslib() {
    let d = workspace("rcpt-ok");
    let (code, out) = check(
        &d,
        &[
            "r.json",
            "--keys",
            "keys.json",
            "--disclosure",
            "b.json",
            "--context",
            "context_fail.json",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    for want in [
        "ok       signature: valid, by key",
        "predicate urn:proof:receipt:v1",
        "verdict: FAIL for policy lksg.v1",
        "list used (as signed): sanctions-demo root",
        "disclosure: opens the commitment",
        "context: the given context is the one verified",
        "VALID",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    // The receipt alone is valid too.
    assert_eq!(check(&d, &["r.json", "--keys", "keys.json"]).0, Some(0));

    // What it says matches the report.
    let report = read(&d.join("report.json"));
    let receipt = read(&d.join("r.json"));
    assert_eq!(receipt["payloadType"], "application/vnd.in-toto+json");
    let s = statement(&receipt);
    assert_eq!(s["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(s["predicate"]["verdict"], report["verdict"]);
    assert_eq!(s["predicate"]["policy"]["ir_hash"], report["ir_hash"]);
    assert_eq!(s["predicate"]["as_of"], report["as_of"]);
    assert_eq!(
        s["predicate"]["results"].as_array().unwrap().len(),
        report["results"].as_array().unwrap().len()
    );
    let list = &s["predicate"]["lists"][0];
    assert_eq!(list["size"], 1200);
    assert_eq!(list["provenance"]["synthetic"], "true");
    // The signature's base64 is the standard alphabet with padding.
    let sig = receipt["signatures"][0]["sig"].as_str().unwrap();
    assert_eq!(sig.len(), 88);
    assert!(sig.ends_with("=="));

    // No hash of the context appears in the receipt, in any form.
    let ctx = read(&d.join("context_fail.json"));
    let receipt_text = std::fs::read_to_string(d.join("r.json")).unwrap() + &s.to_string();
    let mut hashes = Vec::new();
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                out.push(s.clone());
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            Value::Object(m) => m.values().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    for key in ["supplier_hashes", "supplier_regions"] {
        collect(&ctx[key], &mut hashes);
    }
    assert!(hashes.len() >= 3, "{hashes:?}");
    for h in &hashes {
        assert!(!receipt_text.contains(h.as_str()), "{h} is in the receipt");
    }
    let ctx_hash = report["context_hash"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    assert!(
        !receipt_text.contains(ctx_hash),
        "the bare context hash is in the receipt"
    );

    // securesystemslib verifies it with the published keys, and not a changed one.
    let py = root().join("target/evidence-venv/bin/python3");
    assert!(
        py.is_file(),
        "{} is missing: run .ci/run (it builds the venv)",
        py.display()
    );
    let script = root().join("testdata/evidence/sslib_verify.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(d.join("r.json"))
        .arg(d.join("keys.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(v["kids"][0], receipt["signatures"][0]["keyid"]);
    let mut changed = receipt.clone();
    let mut st = s.clone();
    st["predicate"]["verdict"] = json!("OK");
    changed["payload"] = json!(STANDARD.encode(st.to_string()));
    write(&d.join("changed.json"), &changed);
    let out = Command::new(&py)
        .arg(&script)
        .arg(d.join("changed.json"))
        .arg(d.join("keys.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    // The disclosure bundle is a DSSE envelope securesystemslib verifies too.
    let out = Command::new(&py)
        .arg(&script)
        .arg(d.join("b.json"))
        .arg(d.join("keys.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn tampering_is_caught_and_named() {
    let d = workspace("rcpt-bad");
    let receipt = read(&d.join("r.json"));
    let s = statement(&receipt);
    let resigned = |name: &str, st: &Value| {
        let mut r = receipt.clone();
        r["payload"] = json!(STANDARD.encode(st.to_string()));
        write(&d.join(name), &r);
    };
    let mut st = s.clone();
    st["predicate"]["verdict"] = json!("OK");
    resigned("verdict.json", &st);
    let mut st = s.clone();
    st["predicate"]["results"][0]["status"] = json!("pass");
    resigned("result.json", &st);
    let mut st = s.clone();
    st["predicate"]["lists"][0]["root"] = json!("00".repeat(32));
    resigned("root.json", &st);
    let mut st = s.clone();
    st["predicate"]["lists"][0]["size"] = json!(1);
    resigned("size.json", &st);
    let mut st = s.clone();
    st["subject"][0]["digest"]["sha256"] = json!("11".repeat(32));
    resigned("subject.json", &st);
    let mut unknown_kid = receipt.clone();
    unknown_kid["signatures"][0]["keyid"] = json!("not-a-published-kid");
    write(&d.join("kid.json"), &unknown_kid);
    // Another receipt of the same context: its own salt, so its bundle opens only it.
    assert_eq!(
        sign(&d, "context_fail.json", "r2.json", "b2.json")
            .status
            .code(),
        Some(3)
    );
    let mut bundle = read(&d.join("b.json"));
    let mut inner: Value = serde_json::from_slice(
        &STANDARD
            .decode(bundle["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    inner["salt"] = json!("22".repeat(32));
    bundle["payload"] = json!(STANDARD.encode(inner.to_string()));
    write(&d.join("salt.json"), &bundle);

    let cases: [(&[&str], &str); 10] = [
        (&["verdict.json", "--keys", "keys.json"], "does not verify"),
        (&["result.json", "--keys", "keys.json"], "does not verify"),
        (&["root.json", "--keys", "keys.json"], "does not verify"),
        (&["size.json", "--keys", "keys.json"], "does not verify"),
        (&["subject.json", "--keys", "keys.json"], "does not verify"),
        (
            &["r.json", "--keys", "other-keys.json"],
            "no signature by a published key",
        ),
        (
            &["kid.json", "--keys", "keys.json"],
            "no signature by a published key (signed by not-a-published-kid)",
        ),
        (
            &["r.json", "--keys", "keys.json", "--disclosure", "b2.json"],
            "belongs to another receipt",
        ),
        (
            &["r.json", "--keys", "keys.json", "--disclosure", "salt.json"],
            "disclosure: the signature",
        ),
        (
            &[
                "r.json",
                "--keys",
                "keys.json",
                "--disclosure",
                "b.json",
                "--context",
                "context_ok.json",
            ],
            "context: its hash",
        ),
    ];
    for (args, want) in cases {
        let (code, out) = check(&d, args);
        assert_eq!(code, Some(3), "{args:?}: {out}");
        assert!(out.contains("INVALID  "), "{args:?}: {out}");
        assert!(out.contains(want), "{args:?}: {out}");
    }
    // A receipt signed by the right key whose verdict its own results contradict.
    let key = proof_evidence::keys::SigningKey::from_pem(
        &std::fs::read_to_string(d.join("k.pem")).unwrap(),
    )
    .unwrap();
    let mut st = s.clone();
    st["predicate"]["verdict"] = json!("OK");
    let forged = proof_evidence::dsse::sign(
        "application/vnd.in-toto+json",
        st.to_string().as_bytes(),
        &key,
    );
    write(&d.join("forged.json"), &forged);
    let (code, out) = check(&d, &["forged.json", "--keys", "keys.json"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("is not what its rule results give (\"FAIL\")")
            || out.contains("is not what its rule results give (FAIL)"),
        "{out}"
    );

    // Unusable input: exit 1 with the file's name.
    std::fs::write(d.join("junk.json"), "{").unwrap();
    for (args, want) in [
        (
            vec!["missing.json", "--keys", "keys.json"],
            "cannot read `missing.json`",
        ),
        (
            vec!["junk.json", "--keys", "keys.json"],
            "`junk.json` is not JSON",
        ),
        (
            vec!["r.json", "--keys", "junk.json"],
            "`junk.json` is not JSON",
        ),
        (
            vec!["r.json", "--keys", "k.pem"],
            "`k.pem` is a PEM file, not a published JWK set: verification takes the public keys, `proof keys export k.pem` writes them",
        ),
    ] {
        let (code, out) = check(&d, &args);
        assert_eq!(code, Some(1), "{args:?}: {out}");
        assert!(out.contains(want), "{args:?}: {out}");
    }
    // Signing needs a usable key, and a bad one fails before anything is written.
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_ok.json",
            "--receipt",
            "x.json",
            "--signing-key",
            "keys.json",
        ],
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("`keys.json`"),
        "{}",
        text(&r.stderr)
    );
    assert!(!d.join("x.json").exists());
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_ok.json",
            "--receipt",
            "x.json",
        ],
    );
    assert_eq!(r.status.code(), Some(1), "bad usage: {}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains("--signing-key"),
        "{}",
        text(&r.stderr)
    );
    // A receipt without its bundle is written, with a note that its salt is lost.
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_ok.json",
            "--receipt",
            "alone.json",
            "--signing-key",
            "k.pem",
        ],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains("without --disclosure the receipt's salt is not kept"),
        "{}",
        text(&r.stderr)
    );
    assert_eq!(check(&d, &["alone.json", "--keys", "keys.json"]).0, Some(0));
}

#[path = "support/server.rs"]
mod support;

fn keys_of(s: &support::Server) -> Value {
    let (st, body) = support::get(&support::client(), &format!("{}/keys", s.api));
    assert_eq!(st, 200, "{body}");
    support::json(&body)
}

fn served_receipt(s: &support::Server, ctx: &Value) -> (u16, Value) {
    let (st, body) = support::post_json(
        &support::client(),
        &format!("{}/verify", s.api),
        &json!({"policy_id": "lksg.v1", "context": ctx, "options": {"receipt": true}}),
    );
    (st, support::json(&body))
}

#[test]
fn the_service_signs_receipts_publishes_its_keys_and_rotation_keeps_old_receipts_valid() {
    let d = workspace("rcpt-srv");
    assert_eq!(
        proof(&d, &["keys", "generate", "-o", "new.pem"])
            .status
            .code(),
        Some(0)
    );
    let ctx = read(&d.join("context_fail.json"));
    // One store: the verification log goes on across the key rotation.
    let url = support::sqlite_url("rcpt-srv");
    let spec = |signing: &str| support::Spec::new(&url).yaml(&format!("signing: {signing}"));
    let a = support::Server::start(&spec(&format!(
        "{{key_file: {}}}",
        d.join("k.pem").display()
    )));

    // GET /keys is what `proof keys export` prints for the key, public halves only.
    let published = keys_of(&a);
    assert_eq!(published, read(&d.join("keys.json")));
    assert!(!published.to_string().contains("\"d\""));
    write(&d.join("published-a.json"), &published);

    // A receipt from the service: the same report, a receipt and a bundle that verify
    // offline against the published keys, and with securesystemslib.
    let (st, plain) = support::post_json(
        &support::client(),
        &format!("{}/verify", a.api),
        &json!({"policy_id": "lksg.v1", "context": ctx}),
    );
    assert_eq!(st, 200);
    let (st, answer) = served_receipt(&a, &ctx);
    assert_eq!(st, 200, "{answer}");
    assert_eq!(answer["report"], support::json(&plain));
    write(&d.join("sr.json"), &answer["receipt"]);
    write(&d.join("sb.json"), &answer["disclosure"]);
    let (code, out) = check(
        &d,
        &[
            "sr.json",
            "--keys",
            "published-a.json",
            "--disclosure",
            "sb.json",
            "--context",
            "context_fail.json",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let py = root().join("target/evidence-venv/bin/python3");
    let out = Command::new(&py)
        .arg(root().join("testdata/evidence/sslib_verify.py"))
        .arg(d.join("sr.json"))
        .arg(d.join("published-a.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The CLI asks the server for it: the same files, verdict exit code kept.
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_fail.json",
            "--server",
            &a.api,
            "--receipt",
            "cr.json",
            "--disclosure",
            "cb.json",
            "--proofs",
            "-o",
            "creport.json",
        ],
    );
    assert_eq!(r.status.code(), Some(3), "{}", text(&r.stderr));
    assert_eq!(read(&d.join("creport.json")), support::json(&plain));
    let (code, out) = check(
        &d,
        &[
            "cr.json",
            "--keys",
            "published-a.json",
            "--disclosure",
            "cb.json",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    // With --proofs (options.proofs) the server's bundle proves every checked hash.
    assert!(
        out.contains("proofs: rule `no_sanctions`: 12 hashes, 1 on and 11 not on list"),
        "{out}"
    );
    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "context_fail.json",
            "--server",
            &a.api,
            "--receipt",
            "x.json",
            "--signing-key",
            "k.pem",
        ],
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("the server signs"),
        "{}",
        text(&r.stderr)
    );

    // Rotation: the new key signs, the old one is retired and still published.
    let b = support::Server::start(&spec(&format!(
        "{{key_file: {}, retired_key_files: [{}]}}",
        d.join("new.pem").display(),
        d.join("keys.json").display()
    )));
    let rotated = keys_of(&b);
    write(&d.join("published-b.json"), &rotated);
    let kids: Vec<&str> = rotated["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[1], published["keys"][0]["kid"]);
    let (code, out) = check(
        &d,
        &[
            "sr.json",
            "--keys",
            "published-b.json",
            "--disclosure",
            "sb.json",
        ],
    );
    assert_eq!(
        code,
        Some(0),
        "an old receipt verifies after rotation: {out}"
    );
    assert!(
        out.contains("log: entry 0 of `proof.invalid/receipts`"),
        "{out}"
    );
    let (_, answer) = served_receipt(&b, &ctx);
    assert_eq!(answer["receipt"]["signatures"][0]["keyid"], kids[0]);
    write(&d.join("nr.json"), &answer["receipt"]);
    let (code, out) = check(&d, &["nr.json", "--keys", "published-b.json"]);
    assert_eq!(code, Some(0), "{out}");
    // The log went on: the new receipt follows the old ones, under a checkpoint the new
    // key signed.
    assert!(
        out.contains("log: entry 2 of `proof.invalid/receipts`"),
        "{out}"
    );
    // ...and the old key set does not verify what the new key signed.
    let (code, out) = check(&d, &["nr.json", "--keys", "published-a.json"]);
    assert_eq!(code, Some(3), "{out}");

    // Without a signing key: no receipts, an empty key set.
    let c = support::Server::start(&support::Spec::new(&support::sqlite_url("rcpt-none")));
    assert_eq!(keys_of(&c), json!({"keys": []}));
    // ...and no verification log.
    let (st, body) = support::get(&support::client(), &format!("{}/log/checkpoint", c.api));
    assert_eq!(st, 404, "{body}");
    assert!(body.contains("log_disabled"), "{body}");
    let (st, err) = served_receipt(&c, &ctx);
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("receipts_disabled")),
        "{err}"
    );
    let scrape =
        |s: &support::Server| support::get(&support::client(), &format!("{}/metrics", s.admin)).1;
    assert_eq!(
        support::metric(&scrape(&c), "proof_receipts_total{result=\"refused\"}"),
        1.0
    );
    assert_eq!(
        support::metric(&scrape(&a), "proof_receipts_total{result=\"issued\"}"),
        2.0
    );
    // A key file that is not an Ed25519 key stops startup, naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--dev", "--check-config"])
        .env("PROOF_SIGNING_KEY_FILE", d.join("keys.json"))
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("signing.key_file"),
        "{}",
        text(&out.stderr)
    );
}

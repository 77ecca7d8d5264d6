//! The screening statement from `proof screen` through `proof context build --screening`
//! to the verdict of `lksg.v1.2` and the receipt, locally and through `proof serve`; and
//! the screenings a context build refuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/real_lists.rs"]
mod real_lists;
#[path = "support/server.rs"]
mod support;

use base64::Engine as _;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use support::{Server, Spec, client, post_json, root, sqlite_url, tmpdir};

fn proof(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .current_dir(dir)
        .env_remove("PROOF_LISTS_DIR")
        .env("PROOF_POLICY_DIR", root().join("policies"))
        .output()
        .unwrap()
}

fn ok(o: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{err}");
    err
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The predicate of a DSSE receipt.
fn predicate(receipt: &Value) -> Value {
    let payload = base64::engine::general_purpose::STANDARD
        .decode(receipt["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice::<Value>(&payload).unwrap()["predicate"].clone()
}

fn build(dir: &Path, screening: &str) -> Output {
    proof(
        dir,
        &[
            "context",
            "build",
            "--policy",
            "lksg.v1.2",
            "--suppliers",
            "suppliers.csv",
            "--list",
            "sanctions_root=lists/un.csv",
            "--list",
            "high_risk_root=lists/high-risk-regions.csv",
            "--screening",
            screening,
            "--as-of",
            "2026-12-01T00:00:00Z",
            "-o",
            "ctx.json",
        ],
    )
}

/// A directory with the real UN list, the demo high-risk list, the example supplier file
/// and a signing key.
fn workspace(tag: &str) -> std::path::PathBuf {
    let d = tmpdir(tag);
    std::fs::create_dir_all(d.join("lists")).unwrap();
    real_lists::import_un(&d, "lists/un.csv");
    std::fs::copy(
        root().join("lists/high-risk-regions.csv"),
        d.join("lists/high-risk-regions.csv"),
    )
    .unwrap();
    std::fs::copy(
        root().join("examples/screening/suppliers.csv"),
        d.join("suppliers.csv"),
    )
    .unwrap();
    ok(&proof(&d, &["keys", "generate", "-o", "k.pem"]), 0);
    let keys = proof(&d, &["keys", "export", "k.pem"]);
    std::fs::write(d.join("keys.json"), &keys.stdout).unwrap();
    d
}

#[test]
fn the_screening_statement_reaches_the_context_the_verdict_and_the_receipt() {
    let d = workspace("scr-ctx");
    let screen = |extra: &[&str], code: i32| {
        let o = proof(
            &d,
            &[
                &[
                    "screen",
                    "--suppliers",
                    "suppliers.csv",
                    "--lists-dir",
                    "lists",
                    "-o",
                    "scr.json",
                ],
                extra,
            ]
            .concat(),
        );
        ok(&o, code);
        read(&d.join("scr.json"))
    };
    let s = screen(&[], 2);
    assert_eq!(s["counts"]["open"], 2, "{s:#}");
    ok(&build(&d, "scr.json"), 0);
    let ctx = read(&d.join("ctx.json"));
    assert_eq!(ctx["screening_statement"], s["statement_digest"]);
    assert_eq!(ctx["screening_root"], ctx["sanctions_root"]);
    assert_eq!(ctx["screening_open_candidates"], 2);
    assert_eq!(ctx["screening_matcher"], "proof-name-v1");
    assert_eq!(ctx["screening_threshold"], 0.85);

    // Open candidates: WARN, from the screening rule; the receipt states the screening.
    let verify = |code: i32| {
        let o = proof(
            &d,
            &[
                "verify",
                "--policy",
                "lksg.v1.2",
                "--lists-dir",
                "lists",
                "--context",
                "ctx.json",
                "--signing-key",
                "k.pem",
                "--receipt",
                "r.json",
                "--disclosure",
                "b.json",
                "-o",
                "rep.json",
            ],
        );
        ok(&o, code);
        read(&d.join("rep.json"))
    };
    let rep = verify(2);
    let status = |rep: &Value, id: &str| {
        rep["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(&rep, "screening_reviewed"), "fail");
    assert_eq!(status(&rep, "screened_against_checked_list"), "pass");
    let p = predicate(&read(&d.join("r.json")));
    assert_eq!(
        p["screening"],
        json!({
            "matcher": "proof-name-v1",
            "open_candidates": 2,
            "root": ctx["sanctions_root"],
            "statement": s["statement_digest"],
            "threshold": 0.85,
        })
    );
    let o = proof(
        &d,
        &[
            "receipt",
            "verify",
            "r.json",
            "--keys",
            "keys.json",
            "--disclosure",
            "b.json",
        ],
    );
    ok(&o, 0);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("screening (as stated by the company, signed): matcher \"proof-name-v1\", open_candidates 2"), "{out}");

    // Both candidates cleared: the screening rule passes and the receipt says 0 open.
    let mut yaml = String::from("clearances:\n");
    for c in s["candidates"].as_array().unwrap() {
        yaml.push_str(&format!(
            "  - {{supplier_id: {}, entry: {}, entry_hash: {}, reviewer: A. Auditor, date: 2026-11-30, reason: other party}}\n",
            c["supplier_id"].as_str().unwrap(),
            c["entry"].as_str().unwrap(),
            c["entry_hash"].as_str().unwrap()
        ));
    }
    std::fs::write(d.join("clearances.yaml"), yaml).unwrap();
    let cleared = screen(&["--clearances", "clearances.yaml"], 0);
    assert_ne!(cleared["statement_digest"], s["statement_digest"]);
    ok(&build(&d, "scr.json"), 0);
    let rep = verify(2);
    assert_eq!(status(&rep, "screening_reviewed"), "pass");
    assert_eq!(
        predicate(&read(&d.join("r.json")))["screening"]["open_candidates"],
        0
    );

    // The service states the same in its receipt.
    let server = Server::start(
        &Spec::new(&sqlite_url("scr-ctx"))
            .lists(d.join("lists"))
            .yaml(&format!(
                "signing: {{key_file: {}}}",
                d.join("k.pem").display()
            )),
    );
    let (st, body) = post_json(
        &client(),
        &format!("{}/verify", server.api),
        &json!({"policy_id": "lksg.v1.2", "context": read(&d.join("ctx.json")), "options": {"receipt": true}}),
    );
    assert_eq!(st, 200, "{body}");
    let answer = support::json(&body);
    assert_eq!(answer["report"], rep);
    assert_eq!(
        predicate(&answer["receipt"])["screening"],
        predicate(&read(&d.join("r.json")))["screening"]
    );
}

#[test]
fn a_context_build_refuses_a_screening_that_does_not_fit() {
    let d = workspace("scr-bad");
    let o = proof(
        &d,
        &[
            "screen",
            "--suppliers",
            "suppliers.csv",
            "--lists-dir",
            "lists",
            "-o",
            "scr.json",
        ],
    );
    ok(&o, 2);
    let s = read(&d.join("scr.json"));
    let refused = |file: &str, want: &str| {
        let _ = std::fs::remove_file(d.join("ctx.json"));
        let err = ok(&build(&d, file), 1);
        assert!(err.contains(want), "want `{want}` in: {err}");
        assert!(!d.join("ctx.json").exists());
    };
    // No screening for a policy that states one.
    let o = proof(
        &d,
        &[
            "context",
            "build",
            "--policy",
            "lksg.v1.2",
            "--suppliers",
            "suppliers.csv",
            "--list",
            "sanctions_root=lists/un.csv",
            "--list",
            "high_risk_root=lists/high-risk-regions.csv",
            "-o",
            "ctx.json",
        ],
    );
    assert!(ok(&o, 1).contains("give --screening FILE"));
    // An edited count no longer has the digest its statement carries.
    let mut edited = s.clone();
    edited["statement"]["counts"]["open"] = json!(0);
    std::fs::write(d.join("edited.json"), edited.to_string()).unwrap();
    refused("edited.json", "does not have the digest it carries");
    // A candidate left out of the file, with the counts it states kept.
    let mut fewer = s.clone();
    fewer["candidates"].as_array_mut().unwrap().pop();
    std::fs::write(d.join("fewer.json"), fewer.to_string()).unwrap();
    refused("fewer.json", "but the file lists 1 candidates, 1 open");
    // A screening of another supplier file.
    let mut other = s.clone();
    other["suppliers"]["sha256"] = json!("0".repeat(64));
    std::fs::write(d.join("other.json"), other.to_string()).unwrap();
    refused("other.json", "screened another supplier file");
    // A re-screen.
    let mut since = s.clone();
    since["statement"]["scope"] = json!("since");
    std::fs::write(d.join("since.json"), since.to_string()).unwrap();
    refused("since.json", "is a re-screen");
    // A screening against another version of the list.
    let mut list = std::fs::read_to_string(d.join("lists/un.csv")).unwrap();
    list.push_str("name,kmdtc,full,un:KPe.001,ALIAS_NAME,\n");
    std::fs::write(d.join("lists/un.csv"), list).unwrap();
    refused(
        "scr.json",
        "did not screen against the list given for sanctions_root",
    );
    refused("suppliers.csv", "is not JSON");
}

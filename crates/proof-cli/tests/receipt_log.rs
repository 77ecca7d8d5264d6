//! The verification log: every receipt in one sequence across two replicas on
//! PostgreSQL, its checkpoints (C2SP signed notes) and proofs checked by the independent
//! `ct-merkle` crate and by `proof log` / `proof receipt verify`; tampered proofs,
//! checkpoints of another origin, key or tree refused with their reason; a log that cannot
//! append refuses receipts with 503; a store's log keeps its origin; `receipt_log.max_batch`
//! bounds the receipts per append transaction.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/evidence.rs"]
mod evidence;
#[path = "support/log.rs"]
mod logs;
#[path = "support/server.rs"]
mod support;

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use evidence::{fresh_dir, proof, read, text, write};
use logs::{
    b64_hashes, checkpoint_note, get_json, index_of, issue, keys, parse_checkpoint, spec, statement,
};
use serde_json::{Value, json};
use sha2::Sha256;
use std::path::Path;
use support::{PgDb, Server, client, metric};

fn ctx() -> Value {
    read(&support::root().join("examples/context_fail.json"))
}

fn key(d: &Path, name: &str) -> std::path::PathBuf {
    let p = d.join(name);
    assert_eq!(
        proof(d, &["keys", "generate", "-o", name]).status.code(),
        Some(0)
    );
    p
}

fn check(d: &Path, args: &[&str]) -> (Option<i32>, String) {
    let r = proof(d, args);
    (r.status.code(), text(&r.stdout) + &text(&r.stderr))
}

#[test]
fn two_replicas_append_to_one_log_whose_proofs_ct_merkle_accepts() {
    let d = fresh_dir("log-pg");
    let k = key(&d, "k.pem");
    let db = PgDb::create("log");
    let a = Server::start(&spec(&db.url, &k, "proof.test/log", ""));
    let b = Server::start(&spec(&db.url, &k, "proof.test/log", ""));
    let ctx = ctx();
    let got: Vec<Value> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|t| {
                let (a, b, ctx) = (&a, &b, &ctx);
                s.spawn(move || {
                    let c = client();
                    (0..15)
                        .map(|i| {
                            let srv = if (t + i) % 2 == 0 { a } else { b };
                            let (st, ans) = issue(&c, srv, ctx);
                            assert_eq!(st, 200, "{ans}");
                            ans["receipt"].clone()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    // One sequence: indexes 0..60, each once.
    let mut idx: Vec<u64> = got.iter().map(index_of).collect();
    idx.sort_unstable();
    assert_eq!(idx, (0..60).collect::<Vec<_>>());
    // Every receipt verifies with its embedded proof against the published key.
    let pubs = keys(&a);
    for r in &got {
        let c = proof_evidence::receipt::check(r, &pubs, None, None).unwrap();
        assert!(
            c.held.iter().any(|l| l.starts_with("log: entry ")),
            "{:?}",
            c.held
        );
    }
    // Both replicas serve the same checkpoint, of size 60.
    let note = checkpoint_note(&a, None);
    assert_eq!(note, checkpoint_note(&b, None));
    let cp = parse_checkpoint(&note);
    assert_eq!((cp.origin.as_str(), cp.size), ("proof.test/log", 60));
    proof_evidence::note::open(&note, "proof.test/log", &pubs).unwrap();

    // ct-merkle, fed the logged statements in order, gives the checkpoint's root, and
    // accepts the server's inclusion and consistency proofs (from either replica).
    let mut theirs: MemoryBackedTree<Sha256, Vec<u8>> = MemoryBackedTree::new();
    for i in 0..60 {
        let e = get_json(&b, &format!("/log/entries/{i}"));
        assert_eq!(e["index"], i);
        theirs.push(statement(&e["receipt"]));
    }
    let root = theirs.root();
    assert_eq!(root.as_bytes().as_slice(), cp.root.as_slice());
    for i in [0u64, 1, 31, 32, 59] {
        let p = get_json(&b, &format!("/log/proof/inclusion?index={i}&size=60"));
        let proof = InclusionProof::<Sha256>::from_bytes(b64_hashes(&p).concat());
        root.verify_inclusion(&theirs.items()[i as usize], i, &proof)
            .unwrap_or_else(|e| panic!("ct-merkle rejects inclusion {i}: {e:?}"));
    }
    for old in [1u64, 7, 32, 59] {
        let p = get_json(&a, &format!("/log/proof/consistency?from={old}&to=60"));
        let mut prefix: MemoryBackedTree<Sha256, Vec<u8>> = MemoryBackedTree::new();
        for item in &theirs.items()[..old as usize] {
            prefix.push(item.clone());
        }
        let old_root: RootHash<Sha256> = prefix.root();
        let proof = ConsistencyProof::<Sha256>::try_from_bytes(b64_hashes(&p).concat()).unwrap();
        root.verify_consistency(&old_root, &proof)
            .unwrap_or_else(|e| panic!("ct-merkle rejects consistency {old}->60: {e:?}"));
    }
    // An older checkpoint is a prefix of the latest, by `proof log verify`.
    let older = (1..60)
        .find_map(|n| {
            let (st, body) = support::get(&client(), &format!("{}/log/checkpoint?size={n}", a.api));
            (st == 200).then_some(body)
        })
        .unwrap();
    std::fs::write(d.join("old.txt"), &older).unwrap();
    std::fs::write(d.join("new.txt"), &note).unwrap();
    let jwks = support::get(&client(), &format!("{}/keys", a.api)).1;
    std::fs::write(d.join("keys.json"), &jwks).unwrap();
    let (code, out) = check(
        &d,
        &[
            "log",
            "verify",
            "old.txt",
            "new.txt",
            "--keys",
            "keys.json",
            "--server",
            &b.api,
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("consistent: the tree of size"), "{out}");
    // A range the log does not hold is refused before anything is written.
    for (from, to, want) in [
        ("5", "2", "--from 5 is beyond --to 2"),
        (
            "0",
            "61",
            "the range 0..61 is not within the log's 60 entries",
        ),
    ] {
        let (code, out) = check(
            &d,
            &[
                "log",
                "export",
                "--server",
                &a.api,
                "--from",
                from,
                "--to",
                to,
                "-o",
                "none.json",
            ],
        );
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains(want), "{out}");
        assert!(!d.join("none.json").exists());
    }
    // The archive bundle of every entry verifies offline; a changed one does not.
    let (code, out) = check(
        &d,
        &["log", "export", "--server", &a.api, "-o", "bundle.json"],
    );
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = check(
        &d,
        &["log", "verify-bundle", "bundle.json", "--keys", "keys.json"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("entries 0..60: 60 receipts"), "{out}");
    let mut bundle = read(&d.join("bundle.json"));
    let other = bundle["entries"][4]["receipt"].clone();
    bundle["entries"][3]["receipt"] = other;
    write(&d.join("swapped.json"), &bundle);
    let (code, out) = check(
        &d,
        &[
            "log",
            "verify-bundle",
            "swapped.json",
            "--keys",
            "keys.json",
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("entry 3: the receipt says it is entry 4"),
        "{out}"
    );

    // Group commit under load: fewer append transactions than entries.
    let scrape = |s: &Server| support::get(&client(), &format!("{}/metrics", s.admin)).1;
    let txs = metric(&scrape(&a), "proof_log_append_duration_seconds_count")
        + metric(&scrape(&b), "proof_log_append_duration_seconds_count");
    assert!((2.0..=60.0).contains(&txs), "{txs}");
    assert_eq!(metric(&scrape(&a), "proof_log_entries"), 60.0);

    // A log that cannot append refuses receipts (503) and counts it; back, it goes on
    // without a gap.
    support::psql_query(
        &db.name,
        "ALTER TABLE receipt_log_entries RENAME TO receipt_log_entries_away",
    );
    let (st, ans) = issue(&client(), &a, &ctx);
    assert_eq!(st, 503, "{ans}");
    assert_eq!(ans["code"], "log_unavailable");
    let m = scrape(&a);
    assert!(metric(&m, "proof_log_append_failures_total") >= 1.0, "{m}");
    assert!(metric(&m, "proof_receipts_total{result=\"unavailable\"}") >= 1.0);
    // A plain verification is not affected.
    let (st, _) = support::post_json(
        &client(),
        &format!("{}/verify", a.api),
        &json!({"policy_id": "lksg.v1", "context": ctx}),
    );
    assert_eq!(st, 200);
    support::psql_query(
        &db.name,
        "ALTER TABLE receipt_log_entries_away RENAME TO receipt_log_entries",
    );
    let (st, ans) = issue(&client(), &a, &ctx);
    assert_eq!(st, 200, "{ans}");
    assert_eq!(index_of(&ans["receipt"]), 60);
    let (st, ans) = issue(&client(), &b, &ctx);
    assert_eq!(st, 200, "{ans}");
    assert_eq!(index_of(&ans["receipt"]), 61);
}

#[test]
fn tampered_log_proofs_and_foreign_checkpoints_are_refused_by_name() {
    let d = fresh_dir("log-bad");
    let k = key(&d, "k.pem");
    let other = key(&d, "o.pem");
    let ctx = ctx();
    let a = Server::start(&spec(
        &support::sqlite_url("log-a"),
        &k,
        "proof.test/a",
        ", max_batch: 1",
    ));
    let c = client();
    let receipts: Vec<Value> = (0..3)
        .map(|_| {
            let (st, ans) = issue(&c, &a, &ctx);
            assert_eq!(st, 200, "{ans}");
            ans["receipt"].clone()
        })
        .collect();
    // max_batch 1: one transaction and one checkpoint per receipt.
    let m = support::get(&c, &format!("{}/metrics", a.admin)).1;
    assert_eq!(metric(&m, "proof_log_append_duration_seconds_count"), 3.0);
    for n in 1..=3 {
        assert_eq!(parse_checkpoint(&checkpoint_note(&a, Some(n))).size, n);
    }
    std::fs::write(
        d.join("keys.json"),
        support::get(&c, &format!("{}/keys", a.api)).1,
    )
    .unwrap();
    write(&d.join("r0.json"), &receipts[0]);
    let cp3 = checkpoint_note(&a, Some(3));
    std::fs::write(d.join("cp3.txt"), &cp3).unwrap();
    let (code, out) = check(&d, &["receipt", "verify", "r0.json", "--keys", "keys.json"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("log: entry 0 of `proof.test/a`"), "{out}");

    // The same key under another origin, another key under the same origin, and another
    // tree of the same origin and key.
    let b = Server::start(&spec(&support::sqlite_url("log-b"), &k, "proof.test/b", ""));
    let e = Server::start(&spec(
        &support::sqlite_url("log-e"),
        &other,
        "proof.test/a",
        "",
    ));
    let f = Server::start(&spec(&support::sqlite_url("log-f"), &k, "proof.test/a", ""));
    for s in [&b, &e, &f] {
        for _ in 0..3 {
            assert_eq!(issue(&c, s, &ctx).0, 200);
        }
    }
    // Entry 2, proven against the checkpoint of size 3 by one hash.
    let with_proof = |name: &str, edit: &dyn Fn(&str) -> String| {
        let mut r = receipts[2].clone();
        r["log_proof"] = json!(edit(receipts[2]["log_proof"].as_str().unwrap()));
        write(&d.join(name), &r);
    };
    let (cp_b, cp_e, cp_f) = (
        checkpoint_note(&b, Some(3)),
        checkpoint_note(&e, Some(3)),
        checkpoint_note(&f, Some(3)),
    );
    let head = |p: &str| p.split_once("\n\n").unwrap().0.to_owned();
    with_proof("index.json", &|p| p.replacen("index 2", "index 1", 1));
    with_proof("short.json", &|p| {
        let (h, cp) = p.split_once("\n\n").unwrap();
        let mut lines: Vec<&str> = h.lines().collect();
        lines.pop();
        format!("{}\n\n{cp}", lines.join("\n"))
    });
    with_proof("origin.json", &|p| format!("{}\n\n{cp_b}", head(p)));
    with_proof("key.json", &|p| format!("{}\n\n{cp_e}", head(p)));
    with_proof("tree.json", &|p| format!("{}\n\n{cp_f}", head(p)));
    let mut none = receipts[2].clone();
    none.as_object_mut().unwrap().remove("log_proof");
    write(&d.join("none.json"), &none);
    for (file, want) in [
        (
            "index.json",
            "the proof is for entry 1, the receipt is entry 2",
        ),
        ("short.json", "does not give the root of the checkpoint"),
        (
            "origin.json",
            "is of the log `proof.test/b`, not `proof.test/a`",
        ),
        ("key.json", "no signature by a known key"),
        ("tree.json", "does not give the root of the checkpoint"),
        ("none.json", "carries no `log_proof`"),
    ] {
        let (code, out) = check(&d, &["receipt", "verify", file, "--keys", "keys.json"]);
        assert_eq!(code, Some(3), "{file}: {out}");
        assert!(out.contains("INVALID  log: "), "{file}: {out}");
        assert!(out.contains(want), "{file}: {want}: {out}");
    }
    // Against an independently obtained checkpoint: the same one, a newer one with its
    // consistency proof, and a forked one.
    std::fs::write(d.join("fork.txt"), &cp_f).unwrap();
    let (code, out) = check(
        &d,
        &[
            "receipt",
            "verify",
            "r0.json",
            "--keys",
            "keys.json",
            "--checkpoint",
            "cp3.txt",
        ],
    );
    assert_eq!(
        code,
        Some(3),
        "the receipt's checkpoint is of size 1: {out}"
    );
    assert!(out.contains("give --consistency"), "{out}");
    std::fs::write(
        d.join("c13.json"),
        support::get(&c, &format!("{}/log/proof/consistency?from=1&to=3", a.api)).1,
    )
    .unwrap();
    let (code, out) = check(
        &d,
        &[
            "receipt",
            "verify",
            "r0.json",
            "--keys",
            "keys.json",
            "--checkpoint",
            "cp3.txt",
            "--consistency",
            "c13.json",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("is a prefix of the given one (size 3)"),
        "{out}"
    );
    let (code, out) = check(
        &d,
        &[
            "receipt",
            "verify",
            "r0.json",
            "--keys",
            "keys.json",
            "--checkpoint",
            "fork.txt",
            "--consistency",
            "c13.json",
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("the log forked"), "{out}");
    std::fs::write(d.join("cp1.txt"), checkpoint_note(&a, Some(1))).unwrap();
    let (code, out) = check(
        &d,
        &[
            "log",
            "verify",
            "cp1.txt",
            "fork.txt",
            "--keys",
            "keys.json",
            "--proof",
            "c13.json",
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("the log forked"), "{out}");
    std::fs::write(d.join("cp-b.txt"), &cp_b).unwrap();
    let (code, out) = check(
        &d,
        &[
            "log",
            "verify",
            "cp1.txt",
            "cp-b.txt",
            "--keys",
            "keys.json",
            "--proof",
            "c13.json",
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("not `proof.test/a`"), "{out}");

    // Proof routes refuse what the log does not hold.
    for q in [
        "/log/proof/inclusion?index=3&size=3",
        "/log/proof/inclusion?index=0&size=4",
        "/log/proof/consistency?from=2&to=1",
        "/log/entries/3",
        "/log/checkpoint?size=9",
    ] {
        let (st, body) = support::get(&c, &format!("{}{q}", a.api));
        assert_eq!(st, 404, "{q}: {body}");
        assert!(body.contains("not_in_log"), "{q}: {body}");
    }
    let (st, body) = support::get(&c, &format!("{}/log/proof/inclusion?index=x&size=3", a.api));
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("invalid_query"), "{body}");
    for index in ["x", "-1", "99999999999999999999999"] {
        let (st, body) = support::get(&c, &format!("{}/log/entries/{index}", a.api));
        assert_eq!(st, 400, "{index}: {body}");
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["code"], "invalid_path", "{index}: {body}");
    }

    // A store's log keeps its origin: the same database under another origin does not
    // start.
    let config = a.config.clone();
    a.kill();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("logged as `proof.test/a` in batches of up to 1"),
        "{}",
        text(&out.stdout)
    );
    let yaml = std::fs::read_to_string(&config)
        .unwrap()
        .replace("origin: proof.test/a", "origin: proof.test/renamed");
    std::fs::write(&config, yaml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains(
            "has the origin `proof.test/a`, but `receipt_log.origin` is `proof.test/renamed`"
        ),
        "{all}"
    );
}

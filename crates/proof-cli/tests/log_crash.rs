//! Crash safety of the verification log: replicas are killed with SIGKILL while clients
//! ask for receipts, on SQLite and on PostgreSQL with two replicas. After a restart every
//! receipt a client received is in the log at its index with a valid inclusion proof, the
//! log has no gap, and every checkpoint seen before the crash is consistent with every one
//! signed after it.
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

use evidence::{fresh_dir, proof, read};
use logs::{b64_hashes, checkpoint_note, get_json, index_of, issue, keys, parse_checkpoint, spec};
use proof_core::lists::merkle;
use proof_evidence::note::Checkpoint;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{PgDb, Server, client};

/// What clients saw: the receipts they were given, and checkpoints fetched meanwhile.
#[derive(Default)]
struct Seen {
    receipts: Vec<Value>,
    checkpoints: Vec<String>,
}

/// Four clients asking `apis` (round robin) for receipts until `stop`.
fn load(
    apis: Vec<String>,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> Vec<std::thread::JoinHandle<()>> {
    let ctx = read(&support::root().join("examples/context_fail.json"));
    (0..4)
        .map(|t| {
            let (apis, stop, seen, ctx) = (apis.clone(), stop.clone(), seen.clone(), ctx.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let api = &apis[i % apis.len()];
                    i += 1;
                    let r = c
                        .post(format!("{api}/verify"))
                        .json(&serde_json::json!({"policy_id": "lksg.v1", "context": ctx, "options": {"receipt": true}}))
                        .send();
                    let Ok(r) = r else { continue };
                    if r.status() != 200 {
                        continue;
                    }
                    let Ok(v) = r.json::<Value>() else { continue };
                    seen.lock().unwrap().receipts.push(v["receipt"].clone());
                    if i % 16 == 0
                        && let Ok(cp) = c.get(format!("{api}/log/checkpoint")).send()
                        && cp.status() == 200
                        && let Ok(t) = cp.text()
                    {
                        seen.lock().unwrap().checkpoints.push(t);
                    }
                }
            })
        })
        .collect()
}

/// Everything the clients received is in the restarted log, which has no gap, and every
/// checkpoint before is consistent with every one after.
fn audit(s: &Server, seen: &Seen, origin: &str, after: &[String]) {
    let pubs = keys(s);
    let latest = checkpoint_note(s, None);
    let cp = parse_checkpoint(&latest);
    assert!(
        seen.receipts.len() >= 20,
        "only {} receipts under load",
        seen.receipts.len()
    );
    assert!(cp.size >= seen.receipts.len() as u64);
    // No gap: every index below the size has its entry, and the entries give the root.
    let mut tree = merkle::Tree::default();
    let mut logged = Vec::new();
    for i in 0..cp.size {
        let e = get_json(s, &format!("/log/entries/{i}"));
        assert_eq!(e["index"], i);
        tree.push(merkle::leaf_hash(&logs::statement(&e["receipt"])));
        logged.push(e["receipt"]["payload"].clone());
    }
    assert_eq!(
        tree.root(),
        cp.root,
        "the entries give the latest checkpoint's root"
    );
    for r in &seen.receipts {
        // Its own proof still holds, and it is at its index in the log now.
        let c = proof_evidence::receipt::check(r, &pubs, None, None)
            .unwrap_or_else(|e| panic!("a received receipt no longer verifies: {}", e.reason));
        assert!(c.checkpoint.is_some());
        let i = index_of(r);
        assert_eq!(
            logged[i as usize], r["payload"],
            "entry {i} is the receipt received"
        );
        let p = get_json(
            s,
            &format!("/log/proof/inclusion?index={i}&size={}", cp.size),
        );
        assert!(merkle::verify_inclusion(
            &merkle::leaf_hash(&logs::statement(r)),
            i,
            cp.size,
            &b64_hashes(&p),
            &cp.root
        ));
    }
    // Every pair of checkpoints, before the crash and after, is consistent.
    let mut all: Vec<Checkpoint> = seen
        .checkpoints
        .iter()
        .chain(after)
        .chain(std::iter::once(&latest))
        .map(|n| Checkpoint::open(n, origin, &pubs).unwrap())
        .collect();
    all.sort_by_key(|c| c.size);
    all.dedup();
    assert!(all.len() >= 3, "{} distinct checkpoints", all.len());
    for (k, old) in all.iter().enumerate() {
        for new in &all[k..] {
            let p = get_json(
                s,
                &format!("/log/proof/consistency?from={}&to={}", old.size, new.size),
            );
            proof_evidence::tlog::consistent(old, new, &b64_hashes(&p))
                .unwrap_or_else(|e| panic!("{} -> {}: {e}", old.size, new.size));
        }
    }
}

fn key(d: &Path) -> std::path::PathBuf {
    assert_eq!(
        proof(d, &["keys", "generate", "-o", "k.pem"]).status.code(),
        Some(0)
    );
    d.join("k.pem")
}

#[test]
fn sqlite_keeps_every_returned_receipt_across_sigkill() {
    let d = fresh_dir("crash-sqlite");
    let k = key(&d);
    let url = support::sqlite_url("crash-sqlite");
    let s = Server::start(&spec(&url, &k, "proof.test/crash", ""));
    let (stop, seen) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(Mutex::new(Seen::default())),
    );
    let threads = load(vec![s.api.clone()], stop.clone(), seen.clone());
    std::thread::sleep(Duration::from_millis(1500));
    s.kill();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let s = Server::start(&spec(&url, &k, "proof.test/crash", ""));
    // The restarted log goes on from where it was.
    let (st, ans) = issue(
        &client(),
        &s,
        &read(&support::root().join("examples/context_fail.json")),
    );
    assert_eq!(st, 200);
    let after = vec![checkpoint_note(&s, None)];
    let seen = seen.lock().unwrap();
    assert_eq!(
        index_of(&ans["receipt"]) + 1,
        parse_checkpoint(&after[0]).size
    );
    audit(&s, &seen, "proof.test/crash", &after);
}

#[test]
fn two_postgres_replicas_keep_every_returned_receipt_across_sigkill() {
    let d = fresh_dir("crash-pg");
    let k = key(&d);
    let db = PgDb::create("crash");
    let a = Server::start(&spec(&db.url, &k, "proof.test/crash", ""));
    let b = Server::start(&spec(&db.url, &k, "proof.test/crash", ""));
    let (stop, seen) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(Mutex::new(Seen::default())),
    );
    let threads = load(
        vec![a.api.clone(), b.api.clone()],
        stop.clone(),
        seen.clone(),
    );
    std::thread::sleep(Duration::from_millis(1500));
    // One replica dies mid-load; the other goes on alone, then dies too.
    a.kill();
    std::thread::sleep(Duration::from_millis(700));
    b.kill();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let a = Server::start(&spec(&db.url, &k, "proof.test/crash", ""));
    let b = Server::start(&spec(&db.url, &k, "proof.test/crash", ""));
    let ctx = read(&support::root().join("examples/context_fail.json"));
    let mut after = Vec::new();
    for s in [&a, &b, &a] {
        assert_eq!(issue(&client(), s, &ctx).0, 200);
        after.push(checkpoint_note(s, None));
    }
    let seen = seen.lock().unwrap();
    audit(&b, &seen, "proof.test/crash", &after);
}

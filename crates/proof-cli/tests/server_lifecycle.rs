//! Lifecycle under stress: SIGKILL during concurrent compiles leaves the store consistent;
//! SIGTERM lets in-flight requests finish; the drain is bounded by `shutdown.grace_ms`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/server.rs"]
mod support;

use proof_core::policy::{self, LintMode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{PgDb, Server, Spec, client, get, json as parse, root};

fn numbered_policy(i: usize) -> String {
    format!(
        "id: p{i}\nversion: \"1\"\nlegal_basis: [{{directive: LkSG, article: \"§ 5\"}}]\ninputs: {{n: {{type: number}}}}\nrules: [{{id: r, op: range_max, lhs: n, rhs: {i}}}]\n"
    )
}

fn kill_during_concurrent_compiles(store_url: &str) {
    let spec = Spec::new(store_url);
    let s = Server::start(&spec);
    let expected: BTreeMap<String, String> = (0..200)
        .map(|i| {
            (
                format!("p{i}"),
                policy::compile(&numbered_policy(i), LintMode::Strict)
                    .unwrap()
                    .ir
                    .policy_hash,
            )
        })
        .collect();
    let ok = Arc::new(AtomicUsize::new(0));
    let url = format!("{}/policy/compile", s.api);
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let (ok, url) = (Arc::clone(&ok), url.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                let r = c
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(json!({"policy_yaml": numbered_policy(i)}).to_string())
                    .send();
                if r.is_ok_and(|r| r.status().as_u16() == 201) {
                    ok.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let start = Instant::now();
    while ok.load(Ordering::SeqCst) < 10 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(1));
    }
    s.kill();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let acknowledged = ok.load(Ordering::SeqCst);

    let s = Server::start(&spec);
    let c = client();
    let (_, body) = get(&c, &format!("{}/policies?limit=500", s.api));
    let items = parse(&body)["items"].as_array().unwrap().clone();
    let stored: Vec<&Value> = items
        .iter()
        // The shipped policies come from the policy directory, not from the compiles.
        .filter(|p| !p["policy_id"].as_str().unwrap().starts_with("lksg."))
        .collect();
    assert!(
        stored.len() >= acknowledged,
        "{} stored, but {acknowledged} compiles were acknowledged",
        stored.len()
    );
    for p in &stored {
        let id = p["policy_id"].as_str().unwrap();
        assert_eq!(
            p["policy_hash"].as_str().unwrap(),
            expected[id],
            "{id} was stored with a different hash"
        );
        let (st, body) = get(&c, &format!("{}/policy/{id}?hash={}", s.api, expected[id]));
        assert_eq!(st, 200, "{body}");
        let ir = serde_json::to_string(&parse(&body)["ir"]).unwrap();
        let ir =
            proof_core::ir::Ir::from_json_str(&ir).expect("the stored IR re-hashes to its ir_hash");
        assert_eq!(ir.policy_hash, expected[id]);
    }
    println!(
        "{} of 200 compiles acknowledged before SIGKILL, {} stored, all consistent",
        acknowledged,
        stored.len()
    );
}

#[test]
fn sigkill_during_200_concurrent_compiles_leaves_sqlite_consistent() {
    kill_during_concurrent_compiles(&support::sqlite_url("kill"));
}

#[test]
fn sigkill_during_200_concurrent_compiles_leaves_postgres_consistent() {
    let db = PgDb::create("kill");
    kill_during_concurrent_compiles(&db.url);
}

/// Sends the request line, headers and the first half of the body; the rest is sent by
/// [`finish`]. The server has accepted the request and is reading its body: in flight.
fn start_slow_request(addr: &str, body: &str) -> (TcpStream, String) {
    let mut t = TcpStream::connect(addr.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    t.write_all(head.as_bytes()).unwrap();
    let half = body.len() / 2;
    t.write_all(&body.as_bytes()[..half]).unwrap();
    t.flush().unwrap();
    (t, body[half..].to_owned())
}

fn finish(mut t: TcpStream, rest: &str) -> String {
    t.write_all(rest.as_bytes()).unwrap();
    let mut out = String::new();
    t.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn sigterm_during_load_fails_no_in_flight_request() {
    let s = Server::start(&Spec::new(&support::sqlite_url("term")));
    let ctx = std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap();
    let body = format!(r#"{{"policy_id":"lksg.v1","context":{ctx}}}"#);
    let golden = std::fs::read_to_string(root().join("examples/report_ok.json")).unwrap();

    // background load: fresh connection per request
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::<(bool, String)>::new()));
    let load: Vec<_> = (0..6)
        .map(|_| {
            let (stop, outcomes, url, body) = (
                Arc::clone(&stop),
                Arc::clone(&outcomes),
                format!("{}/verify", s.api),
                body.clone(),
            );
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::builder()
                    .pool_max_idle_per_host(0)
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::SeqCst) {
                    let sent_before_term = !stop.load(Ordering::SeqCst);
                    match c
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                    {
                        Ok(r) => outcomes
                            .lock()
                            .unwrap()
                            .push((sent_before_term, format!("status {}", r.status().as_u16()))),
                        Err(e) if e.is_connect() => break,
                        Err(e) => outcomes
                            .lock()
                            .unwrap()
                            .push((sent_before_term, format!("error {e}"))),
                    }
                }
            })
        })
        .collect();
    // The load is under way (some responses in) before the in-flight requests and the
    // signal, however slowly a busy machine starts it.
    let started = Instant::now();
    while outcomes.lock().unwrap().len() < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the load produced no responses in 30 s: {:?}",
            outcomes.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let in_flight: Vec<_> = (0..16).map(|_| start_slow_request(&s.api, &body)).collect();
    std::thread::sleep(Duration::from_millis(100));
    let pid = s.pid();
    let waiter = std::thread::spawn(move || s.terminate());
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    for (t, rest) in in_flight {
        let resp = finish(t, &rest);
        assert!(
            resp.starts_with("HTTP/1.1 200"),
            "an in-flight request failed during shutdown: {resp}"
        );
        assert!(resp.ends_with(&golden), "in-flight report differs");
    }
    let (took, status) = waiter.join().unwrap();
    load.into_iter().for_each(|t| t.join().unwrap());
    assert!(
        status.success(),
        "proof serve (pid {pid}) exited with {status}"
    );
    let outcomes = outcomes.lock().unwrap();
    let served = outcomes.iter().filter(|(_, o)| o == "status 200").count();
    assert!(served > 10, "the load produced only {served} responses");
    let bad: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| o != "status 200" && o.starts_with("status"))
        .collect();
    assert!(
        bad.is_empty(),
        "responses other than 200 during shutdown: {bad:?}"
    );
    println!(
        "{served} loaded requests served, 16 in-flight requests completed, exit after {took:?}"
    );
}

#[test]
fn shutdown_drain_is_bounded_by_grace_ms() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("grace"))
            .yaml("shutdown: {grace_ms: 500}\nlimits: {request_timeout_ms: 60000}"),
    );
    // a client that never finishes its body keeps a request in flight
    let (_stuck, _) = start_slow_request(&s.api, &"x".repeat(1000));
    std::thread::sleep(Duration::from_millis(100));
    let (took, status) = s.terminate();
    assert!(status.success());
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(5),
        "exit after {took:?}, grace is 500 ms"
    );
}

//! The access log: probes at `log.probe_level`, other requests at `info`, and a log writer
//! that never blocks a request: with stdout no longer read (a stalled log collector), the
//! service keeps answering and counts the lines it drops.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/server.rs"]
mod support;

use std::time::Duration;
use support::{Server, Spec, client, get, metric};

fn request_lines(s: &Server, route: &str) -> usize {
    s.logs
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "request" && v["route"] == route)
        .count()
}

#[test]
fn probes_are_logged_at_the_probe_level_and_other_requests_at_info() {
    let quiet = Server::start(&Spec::new(&support::sqlite_url("log-quiet")));
    let loud = Server::start(
        &Spec::new(&support::sqlite_url("log-loud")).yaml("log: {probe_level: info}"),
    );
    for s in [&quiet, &loud] {
        for path in ["/healthz", "/readyz", "/metrics"] {
            assert_eq!(get(&client(), &format!("{}{path}", s.admin)).0, 200);
        }
        assert_eq!(get(&client(), &format!("{}/lists", s.api)).0, 200);
    }
    std::thread::sleep(Duration::from_millis(300));
    for route in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(request_lines(&quiet, route), 0, "{route} logged at debug");
        assert_eq!(request_lines(&loud, route), 1, "{route} at info");
    }
    assert_eq!(request_lines(&quiet, "/lists"), 1);
    assert_eq!(request_lines(&loud, "/lists"), 1);
}

#[test]
fn a_stalled_log_reader_drops_and_counts_lines_and_never_blocks_a_request() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("log-stall"))
            .yaml("log: {probe_level: info, queue_lines: 16}")
            .stop_reading_stdout(),
    );
    let c = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // About 300 bytes a line: 2,000 lines are far more than a pipe (64 KiB) and the queue
    // hold. Written synchronously, the requests would hang once the pipe is full.
    for i in 0..2_000 {
        let r = c.get(format!("{}/healthz", s.admin)).send();
        assert!(
            r.as_ref().is_ok_and(|r| r.status() == 200),
            "request {i}: {r:?}"
        );
    }
    let scrape = c
        .get(format!("{}/metrics", s.admin))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let dropped = metric(&scrape, "proof_log_lines_dropped_total");
    assert!(dropped >= 1_000.0, "dropped: {dropped}");
}

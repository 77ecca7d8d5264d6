//! Slow and idle clients, driven with raw sockets against a real `proof serve`: an
//! incomplete request head, a stream of empty lines, a silent keep-alive connection, the
//! caps on open connections per peer and per listener (also under a low open-file limit),
//! a body that never arrives (408), and admission that keeps ready requests moving while
//! slow bodies are pending.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/server.rs"]
mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use support::{Server, Spec, client, get, metric};

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

fn connect(url: &str) -> TcpStream {
    let s = TcpStream::connect(addr(url)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

/// Reads until the server closes the connection; returns what it sent and how long that
/// took. A read time-out (15 s) means the server kept the connection open.
fn until_closed(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the server kept the connection open for {:?}: {e}",
                start.elapsed()
            ),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

fn scrape(s: &Server) -> String {
    get(&client(), &format!("{}/metrics", s.admin)).1
}

fn timed_out(s: &Server, reason: &str) -> f64 {
    metric(
        &scrape(s),
        &format!("proof_connections_timed_out_total{{listener=\"api\",reason=\"{reason}\"}}"),
    )
}

fn refused(s: &Server, listener: &str, reason: &str) -> f64 {
    metric(
        &scrape(s),
        &format!("proof_connections_refused_total{{listener=\"{listener}\",reason=\"{reason}\"}}"),
    )
}

fn verify_body() -> String {
    let ctx = std::fs::read_to_string(support::root().join("examples/context_ok.json")).unwrap();
    format!("{{\"policy_id\": \"lksg.v1\", \"context\": {ctx}}}")
}

#[test]
fn an_incomplete_head_or_empty_lines_are_cut_off_by_the_header_timeout() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("conn-head"))
            .yaml("limits: {header_read_timeout_ms: 500, idle_timeout_ms: 60000}"),
    );
    // Half a request head, then silence.
    let mut half = connect(&s.api);
    half.write_all(b"GET /lists HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, took) = until_closed(&mut half);
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
    // Only empty lines, one every 100 ms: bytes keep coming, but no head ever completes.
    let mut lines = connect(&s.api);
    let start = Instant::now();
    let closed = loop {
        if lines.write_all(b"\r\n").is_err() {
            break start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(start.elapsed() < Duration::from_secs(10), "never closed");
    };
    assert!(closed < Duration::from_secs(4), "closed after {closed:?}");
    assert!(timed_out(&s, "header_timeout") >= 2.0);
    // A client that sends its head in time is served as usual.
    let (status, _) = get(&client(), &format!("{}/lists", s.api));
    assert_eq!(status, 200);
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("conn-idle"))
            .yaml("limits: {header_read_timeout_ms: 60000, idle_timeout_ms: 700}"),
    );
    // A connection that never sends a byte.
    let mut silent = connect(&s.api);
    // A keep-alive connection after one request.
    let mut kept = connect(&s.api);
    kept.write_all(b"GET /lists HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = kept.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let (_, a) = until_closed(&mut silent);
    let (_, b) = until_closed(&mut kept);
    assert!(
        a < Duration::from_secs(3),
        "silent connection closed after {a:?}"
    );
    assert!(
        b < Duration::from_secs(3),
        "idle keep-alive closed after {b:?}"
    );
    assert!(timed_out(&s, "idle_timeout") >= 2.0);
    // A connection that keeps sending requests within the timeout stays open.
    let mut busy = connect(&s.api);
    for _ in 0..5 {
        busy.write_all(b"GET /lists HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let n = busy.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn connections_over_the_per_peer_and_per_listener_caps_are_refused_and_counted() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("conn-caps"))
            .yaml("limits: {max_connections: 8, max_connections_per_peer: 5}"),
    );
    let api = addr(&s.api);
    // Five from 127.0.0.1 are kept; the sixth is closed at once.
    let mut kept: Vec<TcpStream> = (0..5).map(|_| connect(&s.api)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut sixth = connect(&s.api);
    let (_, took) = until_closed(&mut sixth);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(refused(&s, "api", "peer_full"), 1.0);
    // Three more from other loopback addresses fill the listener (8); the next is refused.
    for ip in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        kept.push(from(ip, api));
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut ninth = from("127.0.0.5", api);
    let (_, took) = until_closed(&mut ninth);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(refused(&s, "api", "listener_full"), 1.0);
    let m = scrape(&s);
    assert_eq!(
        metric(&m, "proof_connections_open{listener=\"api\"}"),
        8.0,
        "{m}"
    );
    // The admin listener has caps of its own: probes still answer.
    assert_eq!(get(&client(), &format!("{}/healthz", s.admin)).0, 200);
    // Closing connections frees their places.
    kept.truncate(2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&client(), &format!("{}/lists", s.api)).0, 200);
}

/// A connection from `ip` (any 127.0.0.0/8 address is this machine).
fn from(ip: &str, to: SocketAddr) -> TcpStream {
    let local: SocketAddr = format!("{ip}:0").parse().unwrap();
    let s = bound_connect(local, to);
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

/// Binds a client socket to `local` before connecting (std cannot), with tokio's socket API.
fn bound_connect(local: SocketAddr, to: SocketAddr) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(local).unwrap();
        let s = sock.connect(to).await.unwrap();
        let std = s.into_std().unwrap();
        std.set_nonblocking(false).unwrap();
        std
    })
}

#[test]
fn a_low_open_file_limit_lowers_the_cap_and_probes_keep_answering() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("conn-nofile"))
            .open_files(256)
            .yaml("limits: {max_connections_per_peer: 4096}"),
    );
    // 300 idle connections: more than the process could hold open.
    let idle: Vec<TcpStream> = (0..300).map(|_| connect(&s.api)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    let (status, _) = get(&client(), &format!("{}/healthz", s.admin));
    assert_eq!(status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let m = scrape(&s);
    let open = metric(&m, "proof_connections_open{listener=\"api\"}");
    assert!(open <= 96.0, "open: {open}");
    assert!(refused(&s, "api", "listener_full") >= 300.0 - open, "{m}");
    let logs = s.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("limits.max_connections lowered to fit the open-file limit"),
        "{logs}"
    );
    drop(idle);
}

#[test]
fn a_body_that_does_not_arrive_gets_408_and_does_not_hold_a_slot() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("conn-body"))
            .yaml("limits: {body_read_timeout_ms: 600, request_timeout_ms: 20000, concurrency: 2}"),
    );
    // Declares 1000 bytes, sends 10.
    let mut short = connect(&s.api);
    short
        .write_all(b"POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"policy_")
        .unwrap();
    let (resp, took) = until_closed(&mut short);
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.contains("body_timeout"), "{resp}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Ten slow bodies pending, more than the two slots: a ready request is not held up.
    let body = verify_body();
    let mut slow: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut c = connect(&s.api);
            c.write_all(
                format!(
                    "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
                    body.len()
                )
                .as_bytes(),
            )
            .unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let (status, _) = support::post_json(
        &client(),
        &format!("{}/verify", s.api),
        &serde_json::from_str(&body).unwrap(),
    );
    assert_eq!(status, 200);
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "a ready request waited {:?} behind slow bodies",
        start.elapsed()
    );
    for c in &mut slow {
        let (resp, _) = until_closed(c);
        assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    }
}

//! Every setting has an effect a test observes: `--check-config`, required settings,
//! environment precedence, limits, readiness, logging, cache and pool sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/server.rs"]
mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{PgDb, Server, Spec, client, get, json as parse, metric, post_json, root, tmpdir};

fn proof(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proof"));
    c.args(args).current_dir(root());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn check_config_accepts_dev_and_reports_every_problem_otherwise() {
    let out = proof(&["serve", "--dev", "--check-config"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("configuration is valid")
            && text.contains("policies:   4")
            && text.contains("lists:      2"),
        "{text}"
    );

    let bad = tmpdir("cfg").join("bad.yaml");
    std::fs::write(&bad, "api: {bind: 127.0.0.1:0}\ncolour: red\n").unwrap();
    let out = proof(
        &["serve", "--config", bad.to_str().unwrap(), "--check-config"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    for want in [
        "`admin.bind` is required",
        "PROOF_ADMIN_BIND",
        "`store.url` is required",
        "`lists_dir` is required",
    ] {
        assert!(err.contains(want), "{want} missing from: {err}");
    }
    let out = proof(
        &["serve", "--dev", "--check-config"],
        &[
            ("PROOF_STORE_URL", "mysql://root@db/x"),
            ("PROOF_LIMITS_CONCURRENCY", "0"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`store.url` must start with sqlite: or postgres://")
            && err.contains("`limits.concurrency` must be greater than 0"),
        "{err}"
    );
    let out = proof(
        &["serve", "--config", bad.to_str().unwrap(), "--check-config"],
        &[
            ("PROOF_ADMIN_BIND", "127.0.0.1:0"),
            ("PROOF_STORE_URL", "sqlite://x"),
            ("PROOF_LISTS_DIR", "lists"),
        ],
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown field `colour`"),
        "unknown keys are errors: {err}"
    );
}

#[test]
fn serve_without_dev_refuses_to_start_without_required_settings() {
    let empty = tmpdir("cfg").join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let out = proof(&["serve", "--config", empty.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`api.bind` is required (set it in the config file or as PROOF_API_BIND)"),
        "{err}"
    );
}

#[test]
fn environment_overrides_the_file_and_the_file_overrides_dev() {
    let file = tmpdir("cfg").join("c.yaml");
    std::fs::write(
        &file,
        "limits: {body_bytes: 2048}\nstore: {url: \"postgres://u:secret@db/x\"}\n",
    )
    .unwrap();
    let out = proof(
        &[
            "serve",
            "--dev",
            "--config",
            file.to_str().unwrap(),
            "--check-config",
        ],
        &[],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("body 2048 bytes"), "{text}");
    assert!(
        text.contains("postgres://u:***@db/x") && !text.contains("secret"),
        "passwords are masked: {text}"
    );
    let out = proof(
        &[
            "serve",
            "--dev",
            "--config",
            file.to_str().unwrap(),
            "--check-config",
        ],
        &[("PROOF_LIMITS_BODY_BYTES", "4096")],
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("body 4096 bytes")
    );
}

#[test]
fn body_and_depth_limits_take_effect() {
    let s = Server::start(
        &Spec::new(&support::sqlite_url("lim"))
            .env("PROOF_LIMITS_BODY_BYTES", "300")
            .env("PROOF_LIMITS_JSON_DEPTH", "4"),
    );
    let c = client();
    let url = format!("{}/verify", s.api);
    let (st, body) = post_json(
        &c,
        &url,
        &json!({"policy_id": "lksg.v1", "context": {"pad": "x".repeat(400)}}),
    );
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (413, json!("body_too_large"))
    );
    let (st, body) = post_json(
        &c,
        &url,
        &json!({"policy_id": "lksg.v1", "context": {"a": [[[1]]]}}),
    );
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (400, json!("json_too_deep"))
    );
    let (st, body) = post_json(
        &c,
        &url,
        &json!({"policy_id": "lksg.v1", "context": {"a": [[1]]}}),
    );
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (422, json!("invalid_context")),
        "depth 4 passes the limit"
    );
}

/// A request that holds its processing slot until the request timeout: its token names a
/// key the service must fetch from an IdP that accepts the connection and never answers.
fn stalled_request(api: &str) -> TcpStream {
    let mut t = TcpStream::connect(api.trim_start_matches("http://")).unwrap();
    // Header {"alg":"RS256","typ":"at+jwt","kid":"k1"}; the rest is never looked at.
    t.write_all(b"GET /lists HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsxIn0.e30.c2ln\r\n\r\n").unwrap();
    t
}

/// The `auth` lines of a service whose IdP never answers (`silent` accepts connections
/// into its backlog and reads nothing).
fn silent_idp(silent: &std::net::TcpListener) -> String {
    format!(
        "auth: {{mode: oauth2, issuer: \"http://{}\", audience: https://proof.test, jwks: {{timeout_ms: 3000, retries: 0}}}}",
        silent.local_addr().unwrap()
    )
}

#[test]
fn request_timeout_and_concurrency_take_effect() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let s = Server::start(
        &Spec::new(&support::sqlite_url("tmo"))
            .yaml("limits: {request_timeout_ms: 400, body_read_timeout_ms: 400, concurrency: 1}")
            .yaml(&silent_idp(&silent)),
    );
    let start = Instant::now();
    let mut stalled = stalled_request(&s.api);
    std::thread::sleep(Duration::from_millis(50));
    // The only slot is taken by the stalled request: this one (public) waits for it.
    let (status, _) = get(&client(), &format!("{}/openapi.json", s.api));
    assert_eq!(status, 200);
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "with concurrency 1 the second request waited only {:?}",
        start.elapsed()
    );
    let mut resp = String::new();
    stalled.read_to_string(&mut resp).unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 503") && resp.contains("request_timeout"),
        "{resp}"
    );

    let fast = Server::start(
        &Spec::new(&support::sqlite_url("tmo"))
            .yaml("limits: {request_timeout_ms: 2000, body_read_timeout_ms: 1000, concurrency: 8}")
            .yaml(&silent_idp(&silent)),
    );
    let _stalled = stalled_request(&fast.api);
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    assert_eq!(get(&client(), &format!("{}/openapi.json", fast.api)).0, 200);
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "a free slot answered after {:?}",
        start.elapsed()
    );
}

#[test]
fn readiness_requires_lists_unless_configured_otherwise() {
    let empty = tmpdir("nolists");
    let s = Server::start(&Spec::new(&support::sqlite_url("ready")).lists(empty.clone()));
    let (st, body) = get(&client(), &format!("{}/readyz", s.admin));
    assert_eq!(st, 503);
    assert_eq!(
        parse(&body)["reasons"],
        json!(["no reference list is loaded"])
    );
    let s = Server::start(
        &Spec::new(&support::sqlite_url("ready"))
            .lists(empty)
            .env("PROOF_READINESS_REQUIRE_LISTS", "false"),
    );
    assert_eq!(get(&client(), &format!("{}/readyz", s.admin)).0, 200);
}

#[test]
fn log_level_and_format_take_effect() {
    let quiet = Server::start(
        &Spec::new(&support::sqlite_url("log")).env("PROOF_LOG_LEVEL", "warn,proof::serve=info"),
    );
    get(&client(), &format!("{}/lists", quiet.api));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !quiet.log_lines().iter().any(|l| l.contains("\"request\"")),
        "warn for proof_server hides request lines"
    );
    // text format: not JSON, so read the first line directly
    let dir = tmpdir("logtext");
    let cfg = dir.join("c.yaml");
    std::fs::write(&cfg, format!("api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"{}\"}}\nlists_dir: {}\nauth: {{mode: off}}\nlog: {{format: text}}\n", support::sqlite_url("log"), root().join("lists").display())).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--config", cfg.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    // The first lines may be startup warnings (auth is off here); find `listening`.
    for _ in 0..5 {
        first.clear();
        std::io::BufRead::read_line(&mut out, &mut first).unwrap();
        if first.contains("listening") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.contains("listening") && !first.trim_start().starts_with('{'),
        "text format: {first}"
    );
}

#[test]
fn cache_capacity_and_latest_ttl_take_effect() {
    let db = PgDb::create("cache");
    let small =
        Server::start(&Spec::new(&db.url).yaml("cache: {capacity: 1, latest_ttl_ms: 60000}"));
    let c = client();
    let policy = |id: &str, v: &str, days: u32| json!({"policy_yaml": format!("id: {id}\nversion: \"{v}\"\nlegal_basis: [{{directive: LkSG, article: \"5\"}}]\ninputs: {{d: {{type: array, items: date}}}}\nrules: [{{id: r, op: range_max, lhs: \"now() - max(d)\", rhs: P{days}D}}]\n")});
    let ctx = json!({"as_of": "2025-06-30T00:00:00Z", "d": ["2025-01-01"]});
    post_json(&c, &format!("{}/cache/flush", small.admin), &json!({}));
    post_json(
        &c,
        &format!("{}/policy/compile", small.api),
        &policy("a", "1", 365),
    );
    post_json(
        &c,
        &format!("{}/policy/compile", small.api),
        &policy("b", "1", 365),
    );
    for id in ["a", "b", "a", "b"] {
        let (st, _) = post_json(
            &c,
            &format!("{}/verify", small.api),
            &json!({"policy_id": id, "version": "1", "context": ctx}),
        );
        assert_eq!(st, 200);
    }
    let scrape = get(&c, &format!("{}/metrics", small.admin)).1;
    assert_eq!(
        metric(&scrape, "proof_cache_entries"),
        1.0,
        "capacity 1 holds one IR"
    );
    assert_eq!(
        metric(&scrape, r#"proof_cache_requests_total{result="hit"}"#),
        0.0,
        "alternating policies always miss with capacity 1"
    );

    // latest_ttl_ms: a second replica remembers `a`'s latest version for 60 s
    let other = Server::start(&Spec::new(&db.url));
    let (_, before) = post_json(
        &c,
        &format!("{}/verify", small.api),
        &json!({"policy_id": "a", "context": ctx}),
    );
    post_json(
        &c,
        &format!("{}/policy/compile", other.api),
        &policy("a", "2", 30),
    );
    let (_, after) = post_json(
        &c,
        &format!("{}/verify", small.api),
        &json!({"policy_id": "a", "context": ctx}),
    );
    assert_eq!(
        parse(&after)["version"],
        parse(&before)["version"],
        "within latest_ttl_ms the remembered latest is used"
    );
    let fresh = Server::start(&Spec::new(&db.url).yaml("cache: {latest_ttl_ms: 0}"));
    let (_, now) = post_json(
        &c,
        &format!("{}/verify", fresh.api),
        &json!({"policy_id": "a", "context": ctx}),
    );
    assert_eq!(parse(&now)["version"], "2");
}

#[test]
fn store_pool_size_bounds_postgres_connections() {
    let db = PgDb::create("pool");
    let s = Server::start(&Spec::new(&db.url).env("PROOF_STORE_MAX_CONNECTIONS", "2"));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let api = s.api.clone();
            std::thread::spawn(move || {
                let body = json!({"policy_yaml": format!("id: q{i}\nversion: \"1\"\nlegal_basis: [{{directive: LkSG, article: \"5\"}}]\ninputs: {{n: {{type: number}}}}\nrules: [{{id: r, op: eq, lhs: n, rhs: 1}}]\n")});
                post_json(&client(), &format!("{api}/policy/compile"), &body).0
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let n: usize = support::psql_query(
        "test",
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}'",
            db.name
        ),
    )
    .parse()
    .unwrap();
    assert!(
        (1..=2).contains(&n),
        "{n} connections open with max_connections 2"
    );
}

#[test]
fn an_invalid_policy_in_the_policy_dir_stops_startup() {
    let dir = tmpdir("badpol");
    std::fs::write(dir.join("broken.yml"), "id: x\nversion: \"1\"\nrules: []\n").unwrap();
    let cfg = dir.join("c.yaml");
    std::fs::write(&cfg, format!("api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"{}\"}}\nlists_dir: {}\nauth: {{mode: off}}\npolicy_dir: {}\n", support::sqlite_url("badpol"), root().join("lists").display(), dir.display())).unwrap();
    let out = proof(&["serve", "--config", cfg.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("broken.yml") && err.contains("does not compile"),
        "{err}"
    );
}

#[test]
fn adapt_settings_are_validated() {
    let out = proof(
        &["serve", "--dev", "--check-config"],
        &[("PROOF_ADAPT_SELECTOR", "weighted")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("`adapt.selector: weighted` needs `adapt.weights_file`")
    );
    let out = proof(
        &["serve", "--dev", "--check-config"],
        &[("PROOF_ADAPT_SELECTOR", "fancy")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("unknown variant `fancy`")
    );
    let bad = tmpdir("w").join("w.yaml");
    std::fs::write(&bad, "weights: {a: -1}\n").unwrap();
    let dir = tmpdir("adaptcfg");
    let cfg = dir.join("c.yaml");
    std::fs::write(&cfg, format!("api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"{}\"}}\nlists_dir: {}\nauth: {{mode: off}}\nadapt: {{selector: weighted, weights_file: {}}}\n", support::sqlite_url("adaptcfg"), root().join("lists").display(), bad.display())).unwrap();
    let out = proof(&["serve", "--config", cfg.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("must be a whole number")
    );
}

#[test]
fn every_setting_is_documented_and_in_the_sample_config() {
    use proof_server::config::{LEAVES, env_name};
    let doc = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let sample = std::fs::read_to_string(root().join("config/server.yaml")).unwrap()
        + &std::fs::read_to_string(root().join("config/auth.yaml")).unwrap();
    for leaf in LEAVES {
        assert!(
            doc.contains(&format!("| `{leaf}` |")),
            "{leaf} not in docs/configuration.md"
        );
        assert!(
            doc.contains(&format!("`{}`", env_name(leaf))),
            "{leaf}: no variable in docs"
        );
        let key = leaf.rsplit('.').next().unwrap();
        assert!(
            sample.contains(&format!("{key}:")),
            "{leaf} not in config/server.yaml or config/auth.yaml"
        );
    }
}

#[test]
fn per_ip_rate_limit_applies_without_authentication() {
    let limited = Server::start(
        &Spec::new(&support::sqlite_url("iprate")).yaml("limits: {ip_rps: 0.2, ip_burst: 2}"),
    );
    let c = client();
    let codes: Vec<u16> = (0..4)
        .map(|_| get(&c, &format!("{}/lists", limited.api)).0)
        .collect();
    assert_eq!(codes, [200, 200, 429, 429]);
    let scrape = get(&c, &format!("{}/metrics", limited.admin)).1;
    assert_eq!(
        metric(&scrape, "proof_rate_limited_total{kind=\"ip\"}"),
        2.0
    );
    // The admin listener is never limited, and without limits nothing is refused.
    let open = Server::start(&Spec::new(&support::sqlite_url("noiprate")));
    assert!((0..10).all(|_| get(&c, &format!("{}/lists", open.api)).0 == 200));
    // Bad values are refused.
    let out = proof(
        &["serve", "--dev", "--check-config"],
        &[("PROOF_LIMITS_IP_RPS", "-1")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`limits.ip_rps` must be 0"));
}

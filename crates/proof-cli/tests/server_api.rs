//! The HTTP API suite, run twice: on SQLite and on PostgreSQL. Plus two replicas sharing one
//! PostgreSQL database, and bad input that must get the right 4xx while the server keeps
//! serving.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/server.rs"]
mod support;

use serde_json::{Value, json};
use support::{PgDb, Server, Spec, client, get, json as parse, metric, post_json, root};

fn policy(id: &str, version: &str, max_days: u32) -> String {
    format!(
        "id: {id}\nversion: \"{version}\"\nlegal_basis: [{{directive: LkSG, article: \"§ 5\"}}]\ninputs:\n  audit_dates: {{type: array, items: date}}\nrules:\n  - {{id: audit_fresh, op: range_max, lhs: \"now() - max(audit_dates)\", rhs: P{max_days}D}}\n"
    )
}

fn context() -> Value {
    json!({"as_of": "2025-06-30T00:00:00Z", "audit_dates": ["2025-01-01"]})
}

fn api_suite(store_url: &str) {
    let s = Server::start(&Spec::new(store_url).yaml("features: {allow_embedded_ir: true}"));
    let c = client();
    let api = &s.api;

    // compile: stored, then idempotent, then a conflicting version is 409
    let (st, body) = post_json(
        &c,
        &format!("{api}/policy/compile"),
        &json!({"policy_yaml": policy("audit", "1", 365)}),
    );
    assert_eq!(st, 201, "{body}");
    let first = parse(&body);
    assert_eq!(first["stored"], true);
    assert!(
        first["policy_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let (st, body) = post_json(
        &c,
        &format!("{api}/policy/compile"),
        &json!({"policy_yaml": policy("audit", "1", 365)}),
    );
    assert_eq!(st, 200, "{body}");
    assert_eq!(parse(&body)["stored"], false);
    assert_eq!(parse(&body)["ir_hash"], first["ir_hash"]);
    let (st, body) = post_json(
        &c,
        &format!("{api}/policy/compile"),
        &json!({"policy_yaml": policy("audit", "1", 30)}),
    );
    assert_eq!(st, 409, "{body}");
    assert_eq!(parse(&body)["code"], "policy_conflict");
    assert_eq!(parse(&body)["existing_policy_hash"], first["policy_hash"]);
    // the JSON form of a policy compiles too
    let as_json: Value = serde_saphyr::from_str(&policy("audit", "2", 30)).unwrap();
    let (st, body) = post_json(
        &c,
        &format!("{api}/policy/compile"),
        &json!({"policy": as_json, "lint_mode": "relaxed"}),
    );
    assert_eq!(st, 201, "{body}");
    let second = parse(&body);

    // read back: latest, by version, by hash, unknown
    let (st, body) = get(&c, &format!("{api}/policy/audit"));
    assert_eq!(st, 200);
    assert_eq!(parse(&body)["version"], "2");
    let (_, body) = get(&c, &format!("{api}/policy/audit?version=1"));
    assert_eq!(parse(&body)["policy_hash"], first["policy_hash"]);
    let (_, body) = get(
        &c,
        &format!(
            "{api}/policy/audit?hash={}",
            second["policy_hash"].as_str().unwrap()
        ),
    );
    assert_eq!(parse(&body)["ir"], second["ir"]);
    let (st, body) = get(&c, &format!("{api}/policy/nope"));
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (404, json!("policy_not_found"))
    );
    let (st, body) = get(&c, &format!("{api}/policy/%FF"));
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (400, json!("invalid_path"))
    );
    let (st, body) = get(&c, &format!("{api}/policy/audit?version=1&hash=x"));
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (422, json!("invalid_request"))
    );

    // pagination: lksg.v1, lksg.v1.1, lksg.v1.2 and lksg.v2 from the policy directory
    // plus two audit versions
    let (_, body) = get(&c, &format!("{api}/policies?limit=4"));
    let page1 = parse(&body);
    assert_eq!(page1["items"].as_array().unwrap().len(), 4);
    let cursor = page1["next_cursor"].as_i64().expect("a next page");
    let (_, body) = get(&c, &format!("{api}/policies?limit=4&cursor={cursor}"));
    let page2 = parse(&body);
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert!(page2.get("next_cursor").is_none());
    let (st, _) = get(&c, &format!("{api}/policies?limit=0"));
    assert_eq!(st, 422);

    // verify: latest, pinned version, pinned hash, embedded IR; all the CLI's bytes
    let verify = |body: Value| post_json(&c, &format!("{api}/verify"), &body);
    let (st, latest) = verify(json!({"policy_id": "audit", "context": context()}));
    assert_eq!(st, 200, "{latest}");
    assert_eq!(
        parse(&latest)["verdict"],
        "FAIL",
        "version 2 allows 30 days"
    );
    let (_, v1) = verify(json!({"policy_id": "audit", "version": "1", "context": context()}));
    assert_eq!(parse(&v1)["verdict"], "OK");
    let (_, by_hash) = verify(
        json!({"policy_id": "audit", "policy_hash": first["policy_hash"], "context": context()}),
    );
    assert_eq!(by_hash, v1);
    let (st, embedded) = verify(json!({"ir": first["ir"], "context": context()}));
    assert_eq!(st, 200, "{embedded}");
    assert_eq!(embedded, v1);
    let mut tampered = first["ir"].clone();
    tampered["rules"][0]["rhs"]["lit"] = json!("P9999D");
    let (st, body) = verify(json!({"ir": tampered, "context": context()}));
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (422, json!("ir_hash_mismatch"))
    );
    // Member order and layout do not change the answer. `/verify` reads a body with
    // `policy_id` before `context` in one pass, and any other the general way; both must give
    // the same bytes and errors, and look the policy up once.
    let raw = |body: &str| {
        let r = c
            .post(format!("{api}/verify"))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let ctx = r#"{ "audit_dates" : [ "2025-01-01" ] , "as_of":"2025-06-30T00:00:00Z" }"#;
    for body in [
        format!(r#"{{"policy_id":"audit","version":"1","context":{ctx}}}"#),
        format!(r#"{{"context":{ctx},"version":"1","policy_id":"audit"}}"#),
        format!(r#"{{"policy_id":"audit","context":{ctx},"version":"1"}}"#),
        // An escape stops the one-pass reader inside the context, before it sees `version`:
        // the lookup it made (the latest version) must not be used.
        format!(
            r#"{{"policy_id":"audit","context":{},"version":"1"}}"#,
            ctx.replace("00Z", "00\\u005a")
        ),
        format!(
            "{{\n \"version\": \"1\",\n \"policy_id\": \"audit\", \"options\": {{}},\n \"context\": {ctx}\n}}\n"
        ),
    ] {
        assert_eq!(raw(&body), (200, v1.clone()), "{body}");
    }
    let opts = r#""options":{"fail_fast":true,"adaptive":true,"as_of":"2025-01-02T00:00:00Z"}"#;
    let one_pass = raw(&format!(
        r#"{{"policy_id":"audit",{opts},"context":{ctx}}}"#
    ));
    assert_eq!(one_pass.0, 200, "{}", one_pass.1);
    assert_eq!(parse(&one_pass.1)["as_of"], "2025-01-02T00:00:00Z");
    assert_eq!(
        one_pass,
        raw(&format!(
            r#"{{"context":{ctx},{opts},"policy_id":"audit"}}"#
        ))
    );
    let cache = |result: &str| {
        let scrape = get(&c, &format!("{}/metrics", s.admin)).1;
        metric(
            &scrape,
            &format!("proof_cache_requests_total{{result=\"{result}\"}}"),
        )
    };
    // (body, status, code, cache hits and misses it counts: a policy that is not stored is
    // never cached, and a lookup made before the body turned out bad still counts)
    let head = r#""policy_id":"audit","version":"1""#;
    for (body, status, code, lookups) in [
        (
            format!(r#"{{"policy_id":"nope","context":{ctx}}}"#),
            404,
            "policy_not_found",
            (0.0, 0.0),
        ),
        (
            format!(r#"{{{head},"context":{{"audit_dates":"2025-01-01"}}}}"#),
            422,
            "invalid_context",
            (1.0, 0.0),
        ),
        (
            format!(r#"{{{head},"context":{{"audit_dates":[]}},"options":{{"as_of":"soon"}}}}"#),
            422,
            "invalid_request",
            (1.0, 0.0),
        ),
        (
            format!(r#"{{{head},"context":{ctx},"bogus":1}}"#),
            422,
            "invalid_request",
            (1.0, 0.0),
        ),
        (
            format!(r#"{{{head},"context":{ctx}}} trailing"#),
            400,
            "invalid_json",
            (1.0, 0.0),
        ),
        (
            format!(r#"{{{head},"policy_id":"audit","context":{ctx}}}"#),
            400,
            "invalid_json",
            (0.0, 0.0),
        ),
        (
            format!(r#"{{{head},"context":{ctx},"ir":{{}}}}"#),
            422,
            "invalid_request",
            (1.0, 0.0),
        ),
    ] {
        let before = (cache("hit"), cache("miss"));
        let (st, answer) = raw(&body);
        assert_eq!(
            (st, parse(&answer)["code"].clone()),
            (status, json!(code)),
            "{body}: {answer}"
        );
        assert_eq!(
            (cache("hit") - before.0, cache("miss") - before.1),
            lookups,
            "{body}"
        );
    }
    let ctx = std::fs::read_to_string(root().join("examples/context_warn.json")).unwrap();
    let (st, report) = verify(json!({"policy_id": "lksg.v1", "context": parse(&ctx)}));
    assert_eq!(st, 200);
    assert_eq!(
        report,
        std::fs::read_to_string(root().join("examples/report_warn.json")).unwrap()
    );

    // lists, OpenAPI
    let (_, body) = get(&c, &format!("{api}/lists"));
    let lists = parse(&body)["lists"].as_array().unwrap().clone();
    assert_eq!(lists.len(), 2);
    assert!(lists.iter().any(|l| l["name"] == "sanctions-demo"
        && l["distinct"] == 1200
        && l["meta"]["synthetic"] == "true"));
    let (st, body) = get(&c, &format!("{api}/openapi.json"));
    assert_eq!(st, 200);
    assert!(parse(&body)["paths"]["/verify"].is_object());

    // admin: health, readiness, metrics, cache flush
    let (st, body) = get(&c, &format!("{}/readyz", s.admin));
    assert_eq!(st, 200, "{body}");
    let scrape = get(&c, &format!("{}/metrics", s.admin)).1;
    assert!(
        metric(&scrape, r#"proof_verify_total{verdict="OK"}"#) >= 3.0,
        "{scrape}"
    );
    assert!(metric(&scrape, r#"proof_compile_total{result="conflict"}"#) >= 1.0);
    assert!(
        metric(
            &scrape,
            r#"proof_http_requests_total{route="/policy/{id}",method="GET",status="404"}"#
        ) >= 1.0
    );
    assert!(metric(&scrape, r#"proof_cache_requests_total{result="hit"}"#) >= 1.0);
    assert!(metric(&scrape, "proof_cache_entries") >= 1.0);
    for name in [
        "proof_http_request_duration_seconds_bucket",
        "proof_verify_duration_seconds_count",
        "proof_compile_duration_seconds_sum",
        "proof_store_errors_total",
    ] {
        assert!(scrape.contains(name), "{name} missing from {scrape}");
    }
    let (st, body) = post_json(&c, &format!("{}/cache/flush", s.admin), &json!({}));
    assert_eq!(st, 200);
    assert!(parse(&body)["flushed"].as_u64().unwrap() >= 1);
    assert_eq!(
        metric(
            &get(&c, &format!("{}/metrics", s.admin)).1,
            "proof_cache_entries"
        ),
        0.0
    );
    assert_eq!(get(&c, &format!("{}/healthz", s.admin)).0, 200);
}

#[test]
fn api_suite_on_sqlite() {
    api_suite(&support::sqlite_url("api"));
}

#[test]
fn api_suite_on_postgres() {
    let db = PgDb::create("api");
    api_suite(&db.url);
}

/// Posts `len` bytes to `/verify` over a raw connection, reading the response on this
/// thread while another writes the body (write errors end the writer).
fn oversized_post(api: &str, len: usize) -> String {
    use std::io::{Read, Write};
    let mut t = std::net::TcpStream::connect(api.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    );
    t.write_all(head.as_bytes()).unwrap();
    let mut w = t.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 64 << 10];
        for _ in 0..len / chunk.len() {
            if w.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = t.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"}") {
            break;
        }
    }
    let _ = t.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn bad_input_gets_the_right_4xx_and_the_server_keeps_serving() {
    let s = Server::start(&Spec::new(&support::sqlite_url("bad")));
    let c = client();
    let url = format!("{}/verify", s.api);
    let send = |ct: &str, body: Vec<u8>| {
        let r = c
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap();
        let st = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        (st, ctype, parse(&r.text().unwrap()))
    };
    let ctx = std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap();
    let deep = format!(
        "{{\"policy_id\":\"lksg.v1\",\"context\":{}1{}}}",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "text/plain",
            br#"{"policy_id":"lksg.v1","context":{}}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        ("application/json", deep.into_bytes(), 400, "json_too_deep"),
        (
            "application/json",
            br#"{"policy_id":"lksg.v1","context":{},"colour":"red"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"policy_id":"lksg.v1","policy_id":"x","context":{}}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "application/json",
            format!(r#"{{"policy_id":"nope","context":{ctx}}}"#).into_bytes(),
            404,
            "policy_not_found",
        ),
        (
            "application/json",
            br#"{"context":{}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"policy_id":"lksg.v1","ir":{},"context":{}}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"ir":{},"context":{}}"#.to_vec(),
            403,
            "embedded_ir_disabled",
        ),
        (
            "application/json",
            br#"{"policy_id":"lksg.v1","context":{"supplier_hashes":"x"}}"#.to_vec(),
            422,
            "invalid_context",
        ),
        (
            "application/json",
            format!(
                r#"{{"policy_id":"lksg.v1","context":{}}}"#,
                ctx.replace("6ac61fd9", "00000000")
            )
            .into_bytes(),
            422,
            "unknown_list_root",
        ),
        (
            "application/json",
            format!(r#"{{"policy_id":"lksg.v1","context":{ctx},"options":{{"as_of":"soon"}}}}"#)
                .into_bytes(),
            422,
            "invalid_request",
        ),
    ];
    for (ct, body, want_status, want_code) in cases {
        let (st, ctype, doc) = send(ct, body);
        assert_eq!(
            (st, doc["code"].as_str().unwrap()),
            (want_status, want_code),
            "{doc}"
        );
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(doc["status"], want_status);
        assert!(doc["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // 10 MiB: the server answers 413 before the body is sent, then closes; a client that
    // is still writing may see a broken pipe first, so read the answer while writing.
    let resp = oversized_post(&s.api, 10 << 20);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(
        resp.contains("application/problem+json") && resp.contains("\"code\":\"body_too_large\""),
        "{resp}"
    );
    let (st, _, doc) = send(
        "application/json",
        format!(
            r#"{{"policy_id":"lksg.v1","context":{}}}"#,
            ctx.replace("6ac61fd9", "00000000")
        )
        .into_bytes(),
    );
    assert_eq!(
        (st, doc["path"].as_str().unwrap()),
        (422, "$.sanctions_root")
    );
    let r = c.get(format!("{}/no/such/route", s.api)).send().unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = c.delete(format!("{}/verify", s.api)).send().unwrap();
    assert_eq!(r.status().as_u16(), 405);
    // still serving, and the context was never logged
    let (st, report) = post_json(
        &c,
        &url,
        &json!({"policy_id": "lksg.v1", "context": parse(&ctx)}),
    );
    assert_eq!(st, 200, "{report}");
    let a_supplier_hash = parse(&ctx)["supplier_hashes"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let verified = s
        .wait_for_log(|l| l.contains("\"context_hash\""))
        .expect("verifications log the context hash");
    // The access-log line itself carries them (fields of the event, not of the span).
    let line = parse(&verified);
    assert_eq!(line["route"], "/verify", "{verified}");
    assert_eq!(line["policy_id"], "lksg.v1", "{verified}");
    assert_eq!(line["verdict"], parse(&report)["verdict"], "{verified}");
    assert_eq!(line["ir_hash"], parse(&report)["ir_hash"], "{verified}");
    assert_eq!(
        line["context_hash"],
        parse(&report)["context_hash"],
        "{verified}"
    );
    assert!(line["failed_rules"].is_string(), "{verified}");
    assert!(line["span"]["request_id"].is_string(), "{verified}");
    assert!(!verified.contains(&a_supplier_hash));
    assert!(
        !s.log_lines().iter().any(|l| l.contains(&a_supplier_hash)),
        "a context value reached the logs"
    );
}

#[test]
fn request_ids_are_honoured_or_generated_and_logged() {
    let s = Server::start(&Spec::new(&support::sqlite_url("rid")));
    let c = client();
    let r = c
        .get(format!("{}/lists", s.api))
        .header("x-request-id", "abc-123")
        .send()
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = c
        .get(format!("{}/lists", s.api))
        .header("x-request-id", "bad id with spaces")
        .send()
        .unwrap();
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 32);
    let line = s
        .wait_for_log(|l| l.contains("abc-123") && l.contains("\"route\":\"/lists\""))
        .expect("an access log line with the request id");
    let v = parse(&line);
    assert_eq!(v["status"], 200);
    assert_eq!(v["span"]["request_id"], "abc-123", "{line}");
}

#[test]
fn two_replicas_share_postgres_and_survive_restarts() {
    let db = PgDb::create("replicas");
    let spec = Spec::new(&db.url).yaml("cache: {latest_ttl_ms: 0}");
    let (a, b) = (Server::start(&spec), Server::start(&spec));
    let c = client();
    let (st, body) = post_json(
        &c,
        &format!("{}/policy/compile", a.api),
        &json!({"policy_yaml": policy("shared", "1", 365)}),
    );
    assert_eq!(st, 201, "{body}");
    let hash = parse(&body)["policy_hash"].clone();
    let (st, body) = get(&c, &format!("{}/policy/shared", b.api));
    assert_eq!(
        (st, parse(&body)["policy_hash"].clone()),
        (200, hash.clone())
    );
    let (st, via_b) = post_json(
        &c,
        &format!("{}/verify", b.api),
        &json!({"policy_id": "shared", "context": context()}),
    );
    assert_eq!(st, 200);
    // a new version stored through B is what A verifies next (latest_ttl_ms is 0 here)
    post_json(
        &c,
        &format!("{}/policy/compile", b.api),
        &json!({"policy_yaml": policy("shared", "2", 30)}),
    );
    let (_, via_a) = post_json(
        &c,
        &format!("{}/verify", a.api),
        &json!({"policy_id": "shared", "context": context()}),
    );
    assert_eq!(parse(&via_a)["version"], "2");
    a.kill();
    b.kill();
    let (a, b) = (Server::start(&spec), Server::start(&spec));
    for s in [&a, &b] {
        let (_, body) = get(&c, &format!("{}/policy/shared?version=1", s.api));
        assert_eq!(parse(&body)["policy_hash"], hash);
        let (_, again) = post_json(
            &c,
            &format!("{}/verify", s.api),
            &json!({"policy_id": "shared", "version": "1", "context": context()}),
        );
        assert_eq!(again, via_b);
    }
}

#[test]
fn proof_adapt_returns_the_cli_plan_and_counts_orchestrator_metrics() {
    let weights = root().join("examples/rules.yaml");
    let s = Server::start(&Spec::new(&support::sqlite_url("adapt")).yaml(&format!(
        "adapt: {{selector: weighted, weights_file: {}}}",
        weights.display()
    )));
    let c = client();
    let ctx = |f: &str| parse(&std::fs::read_to_string(root().join(f)).unwrap());
    let (st, plan) = post_json(
        &c,
        &format!("{}/proof/adapt", s.api),
        &json!({"policy_id": "lksg.v1", "context": ctx("examples/context_ok.json")}),
    );
    assert_eq!(st, 200, "{plan}");
    assert_eq!(
        plan,
        std::fs::read_to_string(root().join("examples/plan_ok.json")).unwrap()
    );
    // adaptive /verify gives the plain report; fail_fast keeps the verdict
    let (_, adaptive) = post_json(
        &c,
        &format!("{}/verify", s.api),
        &json!({"policy_id": "lksg.v1", "context": ctx("examples/context_warn.json"), "options": {"adaptive": true}}),
    );
    assert_eq!(
        adaptive,
        std::fs::read_to_string(root().join("examples/report_warn.json")).unwrap()
    );
    let (_, ff) = post_json(
        &c,
        &format!("{}/verify", s.api),
        &json!({"policy_id": "lksg.v1", "context": ctx("examples/context_fail.json"), "options": {"adaptive": true, "fail_fast": true}}),
    );
    assert_eq!(parse(&ff)["verdict"], "FAIL");
    // weights that do not fit the policy, options that do not apply
    post_json(
        &c,
        &format!("{}/policy/compile", s.api),
        &json!({"policy_yaml": policy("audit", "1", 365)}),
    );
    let (st, body) = post_json(
        &c,
        &format!("{}/proof/adapt", s.api),
        &json!({"policy_id": "audit", "context": context()}),
    );
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (422, json!("weights_mismatch")),
        "{body}"
    );
    let (st, _) = post_json(
        &c,
        &format!("{}/proof/adapt", s.api),
        &json!({"policy_id": "lksg.v1", "context": {}, "options": {"adaptive": true}}),
    );
    assert_eq!(st, 422);
    let (st, body) = post_json(
        &c,
        &format!("{}/proof/adapt", s.api),
        &json!({"policy_id": "lksg.v1", "context": {"supplier_hashes": 1}}),
    );
    assert_eq!(
        (st, parse(&body)["code"].clone()),
        (422, json!("invalid_context"))
    );
    let scrape = get(&c, &format!("{}/metrics", s.admin)).1;
    assert!(
        metric(&scrape, r#"adapt_plans_total{selector="weighted"}"#) >= 3.0,
        "{scrape}"
    );
    assert!(metric(&scrape, "adapt_selected_rules_total") >= 7.0);
    assert!(metric(&scrape, "adapt_selection_failures_total") >= 2.0);
    assert!(
        scrape.contains(r#"adapt_selection_latency_seconds_bucket{le="1e-6"}"#)
            || scrape.contains(r#"adapt_selection_latency_seconds_bucket{le="1e-06"}"#),
        "buckets start at 1 µs"
    );
    let line = s
        .wait_for_log(|l| {
            l.contains("/proof/adapt") && l.contains("active_rules") && l.contains("\"status\":200")
        })
        .expect("an access line with the active rules");
    assert!(
        line.contains("no_conflict_regions,no_sanctions,audit_fresh"),
        "{line}"
    );
}

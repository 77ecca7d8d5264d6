//! Lists as versioned objects in the store: `proof lists publish` / `POST /lists`,
//! `GET /lists` with superseded versions, the superseded-root rule (grace period, `warn`
//! or `pass`, refusal after), the list metrics, the separate body limit, bad input, and
//! two replicas on PostgreSQL taking up a new version under load with no failed request.
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

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{
    PgDb, Server, Spec, client, get, json as parse, metric, post_json, root, sqlite_url, tmpdir,
};

const UN_ROOT: &str = "50f81366d1de53e15238203d30e167bf6b83f2221595b7306e03fd8f25e6d5b5";

fn proof(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .current_dir(dir)
        .env("PROOF_POLICY_DIR", root().join("policies"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// S-2002's IMO company number is on the UN list (KPe.020); S-2001 is clean.
const SUPPLIERS_HIT: &str = "\
supplier_id,name,country,lei,imo_company,last_audit
S-2001,Nordlicht Logistik GmbH,DE,5299007NTWCC3U23WM81,,2026-10-01
S-2002,Pacific Shipping Agency Ltd,SG,,1790183,2026-09-15
";
const SUPPLIERS_CLEAN: &str = "\
supplier_id,name,country,lei,last_audit
S-2001,Nordlicht Logistik GmbH,DE,5299007NTWCC3U23WM81,2026-10-01
";

/// A folder with `un.csv` (the real UN list, imported), `un-v2.csv` (the same without the
/// IMO row of KPe.020 and without the now wrong `# root:` line), `un-v2-stale-root.csv`
/// (the same with the `# root:` line kept), `lists/` with the shipped high-risk regions,
/// and contexts built against `un.csv`.
fn workspace(tag: &str) -> PathBuf {
    let d = tmpdir(tag);
    std::fs::create_dir_all(d.join("lists")).unwrap();
    std::fs::copy(
        root().join("lists/high-risk-regions.csv"),
        d.join("lists/high-risk-regions.csv"),
    )
    .unwrap();
    real_lists::import_un(&d, "un.csv");
    let v1 = std::fs::read_to_string(d.join("un.csv")).unwrap();
    let stale: String = v1
        .lines()
        .filter(|l| !l.starts_with("imo-company,1790183,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(stale.len() < v1.len());
    std::fs::write(d.join("un-v2-stale-root.csv"), &stale).unwrap();
    let v2: String = stale
        .lines()
        .filter(|l| !l.starts_with("# root:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join("un-v2.csv"), v2).unwrap();
    for (name, csv) in [("hit", SUPPLIERS_HIT), ("clean", SUPPLIERS_CLEAN)] {
        std::fs::write(d.join(format!("{name}.csv")), csv).unwrap();
        let r = proof(
            &d,
            &[
                "context",
                "build",
                "--policy",
                "lksg.v1.1",
                "--suppliers",
                &format!("{name}.csv"),
                "--list",
                "sanctions_root=un.csv",
                "--list",
                "high_risk_root=lists/high-risk-regions.csv",
                "--as-of",
                "2026-12-01T00:00:00Z",
                "-o",
                &format!("ctx-{name}.json"),
            ],
        );
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    }
    d
}

fn ctx(d: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(d.join(format!("ctx-{name}.json"))).unwrap())
        .unwrap()
}

fn verify(s: &Server, ctx: &Value) -> (u16, Value) {
    let (st, body) = post_json(
        &client(),
        &format!("{}/verify", s.api),
        &json!({"policy_id": "lksg.v1.1", "context": ctx}),
    );
    (st, parse(&body))
}

fn publish(d: &Path, s: &Server, file: &str, version: &str) -> Output {
    proof(
        d,
        &[
            "lists",
            "publish",
            file,
            "--version",
            version,
            "--server",
            &s.api,
        ],
    )
}

fn served(s: &Server, name: &str) -> Value {
    let (st, body) = get(&client(), &format!("{}/lists", s.api));
    assert_eq!(st, 200, "{body}");
    parse(&body)["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Waits until `s` serves `root` as the current version of `name`.
fn wait_for_root(s: &Server, name: &str, root: &str) {
    let start = std::time::Instant::now();
    while served(s, name)["root"] != root {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{name} {root} not served: {}",
            served(s, name)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn rule<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == id)
        .unwrap()
}

#[test]
fn published_versions_are_served_and_superseded_ones_noted_then_refused() {
    let d = workspace("lstore");
    let db = sqlite_url("lstore");
    let spec = |extra: &str| {
        Spec::new(&db).lists(d.join("lists")).yaml(&format!(
            "lists: {{poll_interval_ms: 200, max_age_s: 3600{extra}}}"
        ))
    };
    let a = Server::start(&spec(", superseded_grace_s: 3600, within_grace: warn"));

    // Before the list is published its root is unknown.
    let (st, err) = verify(&a, &ctx(&d, "hit"));
    assert_eq!((st, err["code"].as_str()), (422, Some("unknown_list_root")));

    // Publish v1 with the CLI; the same version again is refused.
    let r = publish(&d, &a, "un.csv", "2026-11-30");
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        text(&r.stdout).contains(&format!(
            "published list `un` version `2026-11-30`: 7202 leaves, root {UN_ROOT}"
        )),
        "{}",
        text(&r.stdout)
    );
    let r = publish(&d, &a, "un.csv", "2026-11-30");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("409 list_version_exists"),
        "{}",
        text(&r.stderr)
    );
    let un = served(&a, "un");
    assert_eq!(
        (&un["origin"], &un["version"], &un["root"], &un["distinct"]),
        (
            &json!("store"),
            &json!("2026-11-30"),
            &json!(UN_ROOT),
            &json!(7202)
        )
    );
    assert_eq!(un["meta"]["format"], "un-sc-xml");
    assert_eq!(served(&a, "high-risk-regions-demo")["origin"], "file");

    // The publishing replica serves it at once: FAIL naming the designation, as locally.
    let (st, report) = verify(&a, &ctx(&d, "hit"));
    assert_eq!(st, 200, "{report}");
    assert_eq!(report["verdict"], "FAIL");
    assert!(
        rule(&report, "no_sanctions")["detail"]
            .as_str()
            .unwrap()
            .contains("un:KPe.020 via imo-company")
    );
    assert!(report.get("superseded").is_none());
    let (st, clean) = verify(&a, &ctx(&d, "clean"));
    assert_eq!((st, &clean["verdict"]), (200, &json!("OK")), "{clean}");

    // A file whose leaves no longer give its `# root:` line is refused; then v2.
    let r = publish(&d, &a, "un-v2-stale-root.csv", "2026-12-01");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("422 root_mismatch"),
        "{}",
        text(&r.stderr)
    );
    let r = publish(&d, &a, "un-v2.csv", "2026-12-01");
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let v2_root = served(&a, "un")["root"].as_str().unwrap().to_owned();
    assert_ne!(v2_root, UN_ROOT);
    let un = served(&a, "un");
    assert_eq!(un["version"], "2026-12-01");
    let old = &un["superseded"][0];
    assert_eq!(
        (
            &old["version"],
            &old["root"],
            &old["superseded_by"],
            &old["evaluated"]
        ),
        (
            &json!("2026-11-30"),
            &json!(UN_ROOT),
            &json!("2026-12-01"),
            &json!(true)
        ),
        "{un}"
    );
    assert_eq!(old["superseded_at"], un["published_at"]);

    // Within the grace period a context naming v1 is evaluated, and the report says which
    // version it was, when it was superseded and by what; `warn` makes OK a WARN.
    let (st, report) = verify(&a, &ctx(&d, "clean"));
    assert_eq!(st, 200, "{report}");
    assert_eq!(report["verdict"], "WARN");
    let note = &report["superseded"][0];
    assert_eq!(
        (
            &note["list"],
            &note["version"],
            &note["superseded_by"],
            &note["superseded_by_root"],
            &note["effect"]
        ),
        (
            &json!("un"),
            &json!("2026-11-30"),
            &json!("2026-12-01"),
            &json!(v2_root),
            &json!("warn")
        ),
        "{report}"
    );
    assert_eq!(note["root"], UN_ROOT);
    // A FAIL stays a FAIL.
    assert_eq!(verify(&a, &ctx(&d, "hit")).1["verdict"], "FAIL");

    // Another replica on the same store with `pass`: the verdict stands, the note stays.
    let b = Server::start(&spec(", superseded_grace_s: 3600, within_grace: pass"));
    let (st, report) = verify(&b, &ctx(&d, "clean"));
    assert_eq!((st, &report["verdict"]), (200, &json!("OK")), "{report}");
    assert_eq!(report["superseded"][0]["effect"], "pass");
    // With no grace, a superseded root is refused, naming the version and its successor.
    let c = Server::start(&spec(", superseded_grace_s: 0"));
    let (st, err) = verify(&c, &ctx(&d, "clean"));
    assert_eq!(
        (st, err["code"].as_str()),
        (422, Some("list_superseded")),
        "{err}"
    );
    assert_eq!(
        (&err["version"], &err["superseded_by"], &err["path"]),
        (
            &json!("2026-11-30"),
            &json!("2026-12-01"),
            &json!("$.sanctions_root")
        )
    );
    assert!(err["detail"].as_str().unwrap().contains("superseded at"));
    assert_eq!(served(&c, "un")["superseded"][0]["evaluated"], false);

    // The metrics the dashboard and alert use.
    let scrape = get(&client(), &format!("{}/metrics", a.admin)).1;
    let v2_size = served(&a, "un")["distinct"].as_f64().unwrap();
    assert_eq!(metric(&scrape, "proof_list_entries{list=\"un\"}"), v2_size);
    assert_eq!(
        metric(&scrape, "proof_list_max_age_seconds{list=\"un\"}"),
        3600.0
    );
    let age = metric(&scrape, "proof_list_age_seconds{list=\"un\"}");
    assert!((0.0..60.0).contains(&age), "{age}");
    assert_eq!(
        metric(
            &scrape,
            "proof_list_entries{list=\"high-risk-regions-demo\"}"
        ),
        13.0
    );
    assert!(metric(&scrape, "proof_list_updates_total{result=\"applied\"}") >= 2.0);
    assert_eq!(
        metric(&scrape, "proof_list_updates_total{result=\"failed\"}"),
        0.0
    );
}

#[test]
fn bad_list_uploads_get_clear_errors_and_store_nothing() {
    let d = workspace("lbad");
    let db = sqlite_url("lbad");
    // `body_bytes` far below the list's size does not limit a list upload...
    let s = Server::start(
        &Spec::new(&db)
            .lists(d.join("lists"))
            .yaml("limits: {body_bytes: 65536, lists_body_bytes: 4000000}"),
    );
    let c = client();
    let post = |query: &str, ct: &str, body: Vec<u8>| {
        let r = c
            .post(format!("{}/lists?{query}", s.api))
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap();
        let st = r.status().as_u16();
        (st, parse(&r.text().unwrap()))
    };
    let un = std::fs::read(d.join("un.csv")).unwrap();
    assert!(un.len() > 65536);
    let (st, ok) = post("version=1", "text/csv", un.clone());
    assert_eq!(st, 201, "{ok}");
    assert_eq!(ok["root"], UN_ROOT);
    // ...and `lists_body_bytes` does.
    let small = Server::start(
        &Spec::new(&sqlite_url("lbad-small"))
            .lists(d.join("lists"))
            .yaml("limits: {lists_body_bytes: 1000}"),
    );
    let r = c
        .post(format!("{}/lists?version=1", small.api))
        .header("content-type", "text/csv")
        .body(un.clone())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.text().unwrap().contains("exceeds 1000 bytes"));

    // (query, content type, body, status, code, a part of the detail)
    type Case = (
        &'static str,
        &'static str,
        Vec<u8>,
        u16,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "version=1",
            "text/csv",
            un.clone(),
            409,
            "list_version_exists",
            "already has version `1`",
        ),
        (
            "version=2",
            "application/json",
            un.clone(),
            415,
            "unsupported_media_type",
            "text/csv",
        ),
        (
            "version=bad%20version",
            "text/csv",
            un.clone(),
            422,
            "invalid_request",
            "version `bad version`",
        ),
        (
            "name=x",
            "text/csv",
            un.clone(),
            400,
            "invalid_query",
            "version",
        ),
        (
            "version=2&name=other",
            "text/csv",
            un.clone(),
            422,
            "invalid_list",
            "`# name:` header says `un`",
        ),
        (
            "version=2&name=x",
            "text/csv",
            format!("{}\nnot-a-hash\n", "ab".repeat(32)).into_bytes(),
            422,
            "invalid_list",
            "line",
        ),
        (
            "version=2&name=x",
            "text/csv",
            b"scheme,value,key,designation,source\nlei,5299007NTWCC3U23WM82,,d,s\n".to_vec(),
            422,
            "invalid_list",
            "check",
        ),
        (
            "version=2&name=x",
            "text/csv",
            vec![0xff, 0xfe, 0x00],
            422,
            "invalid_list",
            "not UTF-8",
        ),
        (
            "version=2",
            "text/csv",
            b"entity_id\nA\n".to_vec(),
            422,
            "invalid_list",
            "name the list",
        ),
        (
            "version=2&name=high-risk-regions-demo",
            "text/csv",
            b"region\nDE\n".to_vec(),
            409,
            "list_name_taken",
            "lists directory",
        ),
        (
            "version=2&name=un",
            "text/csv",
            b"# name: un\nentity_id\nA\n".to_vec(),
            409,
            "list_kind_changed",
            "`id` leaves",
        ),
    ];
    for (query, ct, body, status, code, detail) in cases {
        let (st, err) = post(query, ct, body);
        assert_eq!(
            (st, err["code"].as_str()),
            (status, Some(code)),
            "{query}: {err}"
        );
        assert!(
            err["detail"].as_str().unwrap().contains(detail),
            "{query}: {err}"
        );
    }
    // Nothing but the first upload was stored.
    let un = served(&s, "un");
    assert_eq!(un["version"], "1");
    assert_eq!(un["superseded"], json!([]));
    assert!(served(&s, "x").is_null());

    // The CLI checks the file before sending it and needs a version.
    std::fs::write(
        d.join("broken.csv"),
        "scheme,value,key,designation,source\nimo,1234568,,d,s\n",
    )
    .unwrap();
    let r = proof(
        &d,
        &[
            "lists",
            "publish",
            "broken.csv",
            "--version",
            "1",
            "--server",
            &s.api,
        ],
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(text(&r.stderr).contains("line 2"), "{}", text(&r.stderr));
    std::fs::write(d.join("plain.csv"), "# name: plain\nentity_id\nA\n").unwrap();
    let r = proof(&d, &["lists", "publish", "plain.csv", "--server", &s.api]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("give --version"),
        "{}",
        text(&r.stderr)
    );
    let r = proof(&d, &["lists", "publish", "plain.csv", "--version", "1"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("needs --server"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn two_replicas_on_postgresql_take_up_a_new_version_under_load_without_a_failed_request() {
    let d = workspace("lswap");
    let db = PgDb::create("lswap");
    let poll_ms = 500;
    let spec = Spec::new(&db.url).lists(d.join("lists")).yaml(&format!(
        "lists: {{poll_interval_ms: {poll_ms}, within_grace: pass}}"
    ));
    let a = Server::start(&spec);
    let b = Server::start(&spec);
    let r = publish(&d, &a, "un.csv", "2026-11-30");
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    wait_for_root(&b, "un", UN_ROOT);
    std::fs::write(
        d.join("verify.json"),
        json!({"policy_id": "lksg.v1.1", "context": ctx(&d, "hit")}).to_string(),
    )
    .unwrap();

    let out = Command::new("python3")
        .arg(root().join("scripts/list-swap-load.py"))
        .args(["--server", &a.api, "--server", &b.api])
        .args(["--body", d.join("verify.json").to_str().unwrap()])
        .args(["--publish", d.join("un-v2.csv").to_str().unwrap()])
        .args([
            "--version",
            "2026-12-01",
            "--seconds",
            "6",
            "--publish-after",
            "2",
        ])
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", text(&out.stdout), text(&out.stderr)));
    assert!(out.status.success(), "{result} {}", text(&out.stderr));
    eprintln!("list swap under load: {result}");
    assert_eq!(result["failed"], 0, "{result}");
    assert!(result["requests"].as_u64().unwrap() > 100, "{result}");
    // The replica that took the publish serves the version before it answers; the other
    // takes it up at its next poll, once it has read and parsed the body (the time its log
    // line reports as `load_ms`). The probe's own latency and the scheduling of two
    // replicas and the load on two cores are allowed for by `SLACK_MS`.
    const SLACK_MS: u64 = 500;
    let took = |s: &Server| result["served_after_ms"][&s.api].as_u64().unwrap();
    assert!(
        took(&a) <= SLACK_MS,
        "{} took {} ms: {result}",
        a.api,
        took(&a)
    );
    let loaded = b
        .wait_for_log(|l| l.contains("\"list version loaded\"") && l.contains("\"2026-12-01\""))
        .expect("the second replica logs the version it loaded");
    let load_ms = serde_json::from_str::<Value>(&loaded).unwrap()["load_ms"]
        .as_u64()
        .unwrap_or_else(|| panic!("no load_ms in {loaded}"));
    assert!(
        took(&b) <= poll_ms + load_ms + SLACK_MS,
        "{} took {} ms, polling every {poll_ms} ms and loading in {load_ms} ms: {result}",
        b.api,
        took(&b)
    );
    for s in [&a, &b] {
        assert_eq!(served(s, "un")["version"], "2026-12-01");
    }
    // Both replicas now evaluate the old root as superseded, and the new one as current.
    for s in [&a, &b] {
        let (st, report) = verify(s, &ctx(&d, "hit"));
        assert_eq!(st, 200, "{report}");
        assert_eq!(report["superseded"][0]["superseded_by"], "2026-12-01");
    }
}

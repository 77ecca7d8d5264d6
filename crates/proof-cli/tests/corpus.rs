//! The shared case corpus (`testdata/cases/*.yaml`) through three front doors: the library,
//! the `proof` binary, and the HTTP service (`proof serve` as a separate process). Each case
//! states the expected outcome; every door must produce it, and verify reports must be
//! byte-identical.
//!
//! Context values may use placeholders, resolved before either door sees the context:
//! `@root:NAME` (root of `testdata/lists/NAME.*`), `@entity:ID` and `@region:CODE`
//! (what `proof commit` prints for them).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test harness: a failed step should abort the test loudly"
)]

#[path = "support/server.rs"]
mod support;

use proof_core::lists::{Kind, Registry, commit, parse_list};
use proof_core::policy::{self, LintMode};
use proof_core::{eval, temporal};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Lists {
    registry: Registry,
    roots: BTreeMap<String, String>,
}

fn lists() -> Lists {
    let dir = root().join("testdata/lists");
    let mut registry = Registry::default();
    let mut roots = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        let list = parse_list(&stem, &std::fs::read_to_string(&f).unwrap()).unwrap();
        roots.insert(stem, list.root_hex().to_owned());
        registry.insert(list).unwrap();
    }
    Lists { registry, roots }
}

fn resolve(v: &Value, lists: &Lists) -> Value {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("@root:") {
                return Value::String(
                    lists
                        .roots
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| "0".repeat(64).replace('0', "e")),
                );
            }
            if let Some(id) = s.strip_prefix("@entity:") {
                return Value::String(hex::encode(commit(Kind::Entity, id).unwrap()));
            }
            if let Some(code) = s.strip_prefix("@region:") {
                return Value::String(hex::encode(commit(Kind::Region, code).unwrap()));
            }
            v.clone()
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| resolve(x, lists)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), resolve(x, lists)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What one door produced, in a form both can be compared on.
#[derive(Debug, PartialEq)]
enum Outcome {
    Lint { codes: Vec<String>, exit: i32 },
    Report { bytes: String, exit: i32 },
    Error { message: String },
}

struct Case {
    file: String,
    name: String,
    policy: String,
    mode: LintMode,
    as_of: Option<String>,
    context: Option<String>,
    expect: Value,
}

fn load_cases() -> Vec<Case> {
    let lists = lists();
    let dir = root().join("testdata/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let doc: Value = serde_saphyr::from_str(&std::fs::read_to_string(&f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let file = f.file_name().unwrap().to_string_lossy().into_owned();
        let shared_policy = doc.get("policy").and_then(Value::as_str).map(str::to_owned);
        let shared_file = doc
            .get("policy_file")
            .and_then(Value::as_str)
            .map(|p| std::fs::read_to_string(root().join(p)).unwrap());
        for c in doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no cases"))
        {
            let policy = c
                .get("policy")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| shared_policy.clone())
                .or_else(|| shared_file.clone())
                .unwrap_or_else(|| panic!("{file}: case without policy"));
            let context = match (c.get("context"), c.get("context_raw")) {
                (Some(v), _) => Some(serde_json::to_string(&resolve(v, &lists)).unwrap()),
                (None, Some(Value::String(raw))) => Some(raw.clone()),
                _ => None,
            };
            out.push(Case {
                file: file.clone(),
                name: c["name"].as_str().unwrap().to_owned(),
                policy,
                mode: if c.get("mode").and_then(Value::as_str) == Some("relaxed") {
                    LintMode::Relaxed
                } else {
                    LintMode::Strict
                },
                as_of: c.get("as_of").and_then(Value::as_str).map(str::to_owned),
                context,
                expect: c["expect"].clone(),
            });
        }
    }
    out
}

fn exit_for(diags: &[proof_core::diag::Diagnostic]) -> i32 {
    use proof_core::diag::Level;
    if diags.iter().any(|d| d.level == Level::Error) {
        3
    } else if diags.iter().any(|d| d.level == Level::Warning) {
        2
    } else {
        0
    }
}

fn library(case: &Case, lists: &Registry) -> Outcome {
    let Some(ctx_text) = &case.context else {
        let diags = policy::lint(&case.policy, case.mode);
        return Outcome::Lint {
            codes: diags.iter().map(|d| d.code.as_str().to_owned()).collect(),
            exit: exit_for(&diags),
        };
    };
    let ir = match policy::compile(&case.policy, case.mode) {
        Ok(c) => c.ir,
        Err(e) => {
            return Outcome::Error {
                message: e.to_string(),
            };
        }
    };
    let ctx: Value = match proof_core::json::from_str_strict(ctx_text) {
        Ok(v) => v,
        Err(e) => {
            return Outcome::Error {
                message: format!("not valid JSON: {e}"),
            };
        }
    };
    let as_of = case
        .as_of
        .as_deref()
        .map(|s| temporal::parse_timestamp(s).unwrap());
    match eval::verify(&ir, &ctx, as_of, lists) {
        Ok(r) => {
            let exit = match r.verdict {
                eval::Verdict::Ok => 0,
                eval::Verdict::Warn => 2,
                eval::Verdict::Fail => 3,
            };
            Outcome::Report {
                bytes: r.to_pretty_json().unwrap(),
                exit,
            }
        }
        Err(e) => Outcome::Error {
            message: e.to_string(),
        },
    }
}

fn cli(case: &Case, dir: &Path) -> Outcome {
    let policy = dir.join("policy.yml");
    std::fs::write(&policy, &case.policy).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proof"));
    let Some(ctx) = &case.context else {
        cmd.args(["policy", "lint", "--format", "json"])
            .arg(&policy);
        if case.mode == LintMode::Relaxed {
            cmd.arg("--relaxed");
        }
        let out = cmd.output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect();
        return Outcome::Lint {
            codes,
            exit: out.status.code().unwrap(),
        };
    };
    let context = dir.join("context.json");
    std::fs::write(&context, ctx).unwrap();
    cmd.args(["verify", "--policy"])
        .arg(&policy)
        .arg("--context")
        .arg(&context);
    cmd.arg("--lists-dir").arg(root().join("testdata/lists"));
    if let Some(t) = &case.as_of {
        cmd.args(["--as-of", t]);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    if code == 1 {
        return Outcome::Error {
            message: String::from_utf8(out.stderr).unwrap(),
        };
    }
    Outcome::Report {
        bytes: String::from_utf8(out.stdout).unwrap(),
        exit: code,
    }
}

/// The HTTP door: compile the case's policy through `POST /policy/compile`, then verify
/// the stored policy by id and hash through `POST /verify`.
fn http(case: &Case, base: &str, c: &reqwest::blocking::Client) -> Outcome {
    let mode = if case.mode == LintMode::Relaxed {
        "relaxed"
    } else {
        "strict"
    };
    let (status, body) = support::post_json(
        c,
        &format!("{base}/policy/compile"),
        &serde_json::json!({"policy_yaml": case.policy, "lint_mode": mode}),
    );
    let doc = support::json(&body);
    let Some(ctx) = &case.context else {
        assert!(
            matches!(status, 200 | 201 | 422),
            "compile answered {status}: {body}"
        );
        let lints = doc["lints"].as_array().cloned().unwrap_or_default();
        let codes = lints
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect();
        let level = |l: &str| lints.iter().any(|d| d["level"] == l);
        let exit = if level("error") {
            3
        } else if level("warning") {
            2
        } else {
            0
        };
        return Outcome::Lint { codes, exit };
    };
    if !matches!(status, 200 | 201) {
        return Outcome::Error { message: body };
    }
    let as_of = case
        .as_of
        .as_ref()
        .map_or_else(String::new, |t| format!(r#","options":{{"as_of":"{t}"}}"#));
    // The context is embedded as raw text, so malformed contexts reach the server as sent.
    let req = format!(
        r#"{{"policy_id":{},"policy_hash":{},"context":{ctx}{as_of}}}"#,
        doc["policy_id"], doc["policy_hash"]
    );
    let r = c
        .post(format!("{base}/verify"))
        .header("content-type", "application/json")
        .body(req)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    match status {
        200 => {
            let verdict = support::json(&text)["verdict"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            let exit = match verdict.as_str() {
                "OK" => 0,
                "WARN" => 2,
                _ => 3,
            };
            Outcome::Report { bytes: text, exit }
        }
        _ => Outcome::Error {
            message: support::json(&text)["detail"]
                .as_str()
                .unwrap_or(&text)
                .to_owned(),
        },
    }
}

fn check_expectation(case: &Case, o: &Outcome) -> Result<(), String> {
    let e = &case.expect;
    match o {
        Outcome::Lint { codes, exit } => {
            let want: Vec<String> = e["lint"]
                .as_array()
                .ok_or("expected no lint outcome")?
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect();
            let (mut got_sorted, mut want_sorted) = (codes.clone(), want.clone());
            got_sorted.sort();
            want_sorted.sort();
            if got_sorted != want_sorted {
                return Err(format!("lint codes {codes:?}, expected {want:?}"));
            }
            if let Some(x) = e
                .get("exit")
                .and_then(Value::as_i64)
                .filter(|x| *x != i64::from(*exit))
            {
                return Err(format!("lint exit {exit}, expected {x}"));
            }
        }
        Outcome::Report { bytes, exit } => {
            let r: Value = serde_json::from_str(bytes)
                .map_err(|err| format!("report is not JSON: {err}: {bytes}"))?;
            let verdict = e["verdict"]
                .as_str()
                .ok_or_else(|| format!("unexpected report {bytes}"))?;
            if r["verdict"] != verdict {
                return Err(format!("verdict {}, expected {verdict}", r["verdict"]));
            }
            let want_exit = match verdict {
                "OK" => 0,
                "WARN" => 2,
                _ => 3,
            };
            if *exit != want_exit {
                return Err(format!("exit {exit}, expected {want_exit}"));
            }
            let statuses: BTreeMap<&str, &str> = r["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x["rule_id"].as_str().unwrap(),
                        x["status"].as_str().unwrap(),
                    )
                })
                .collect();
            for (rule, want) in e
                .get("results")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if statuses.get(rule.as_str()).copied() != want.as_str() {
                    return Err(format!(
                        "rule `{rule}` is {:?}, expected {want}",
                        statuses.get(rule.as_str())
                    ));
                }
            }
            for (rule, want) in e
                .get("detail")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let d = r["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["rule_id"] == rule.as_str())
                    .and_then(|x| x["detail"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                if !d.contains(want.as_str().unwrap()) {
                    return Err(format!(
                        "detail of `{rule}` is {d}, expected to contain {want}"
                    ));
                }
            }
        }
        Outcome::Error { message } => {
            let want = e["error"]
                .as_str()
                .ok_or_else(|| format!("unexpected error: {message}"))?;
            if !message.contains(want) {
                return Err(format!("error {message:?} does not contain {want:?}"));
            }
        }
    }
    Ok(())
}

/// The adaptive path through all three doors: the report must be the non-adaptive one
/// (same verdict, same results), and with fail_fast the verdict must not change.
fn adaptive(
    case: &Case,
    reg: &Registry,
    base: &str,
    c: &reqwest::blocking::Client,
    dir: &Path,
    plain: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let ir = policy::compile(&case.policy, case.mode).unwrap().ir;
    let ctx: Value = proof_core::json::from_str_strict(case.context.as_deref().unwrap()).unwrap();
    let as_of = case
        .as_of
        .as_deref()
        .map(|s| temporal::parse_timestamp(s).unwrap());
    let sel = proof_core::orchestrator::BasicSelector;
    for fail_fast in [false, true] {
        let opts = eval::RunOptions {
            selector: Some(&sel),
            fail_fast,
        };
        let v = eval::verify_with(&ir, &ctx, as_of, reg, opts).unwrap();
        let lib = v.report.to_pretty_json().unwrap();
        if !fail_fast && lib != plain {
            problems.push("library: adaptive report differs from the plain one".to_owned());
        }
        if support::json(&lib)["verdict"] != support::json(plain)["verdict"] {
            problems.push(format!(
                "library: verdict changed with fail_fast={fail_fast}"
            ));
        }
    }
    // CLI: proof adapt (evaluating) prints {plan, report}
    let policy = dir.join("policy.yml");
    let context = dir.join("context.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proof"));
    cmd.args(["adapt", "--policy"])
        .arg(&policy)
        .arg("--context")
        .arg(&context)
        .arg("--lists-dir")
        .arg(root().join("testdata/lists"));
    if let Some(t) = &case.as_of {
        cmd.args(["--as-of", t]);
    }
    let out = cmd.output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    if doc["report"] != support::json(plain) {
        problems.push(format!(
            "cli: `proof adapt` report differs: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if doc["plan"]["order"].as_array().map_or(0, Vec::len)
        + doc["plan"]["skipped"].as_array().map_or(0, Vec::len)
        != ir.rules.len()
    {
        problems.push("cli: the plan does not account for every rule".to_owned());
    }
    // HTTP: /verify with options.adaptive
    let (st, body) = support::post_json(
        c,
        &format!("{base}/policy/compile"),
        &serde_json::json!({"policy_yaml": case.policy, "lint_mode": if case.mode == LintMode::Relaxed { "relaxed" } else { "strict" }}),
    );
    assert!(matches!(st, 200 | 201), "{body}");
    let hash = support::json(&body)["policy_hash"].clone();
    let mut options = serde_json::json!({"adaptive": true});
    if let Some(t) = &case.as_of {
        options["as_of"] = serde_json::json!(t);
    }
    let (st, web) = support::post_json(
        c,
        &format!("{base}/verify"),
        &serde_json::json!({"policy_id": ir.policy_id, "policy_hash": hash, "context": ctx, "options": options}),
    );
    if st != 200 || web != plain {
        problems.push(format!("http: adaptive /verify differs ({st})"));
    }
    problems
}

#[test]
fn corpus_agrees_across_library_and_cli() {
    let cases = load_cases();
    assert!(
        cases.len() >= 40,
        "the corpus has {} cases; it should have at least 40",
        cases.len()
    );
    let reg = lists().registry;
    let server = support::Server::start(
        &support::Spec::new(&support::sqlite_url("corpus"))
            .lists(support::root().join("testdata/lists")),
    );
    let client = support::client();
    let tmp = std::env::temp_dir().join(format!("proof-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let lib = library(case, &reg);
        let bin = cli(case, &tmp);
        let web = http(case, &server.api, &client);
        let id = format!("{} / {}", case.file, case.name);
        if let Err(m) = check_expectation(case, &web) {
            failures.push(format!("{id}: http: {m}"));
        }
        if !matches!(lib, Outcome::Error { .. }) && lib != web {
            failures.push(format!("{id}: library and http differ:\n{lib:?}\n{web:?}"));
        }
        if let Err(m) = check_expectation(case, &lib) {
            failures.push(format!("{id}: library: {m}"));
        }
        if let Err(m) = check_expectation(case, &bin) {
            failures.push(format!("{id}: cli: {m}"));
        }
        if let (Outcome::Report { bytes, .. }, Some(_)) = (&lib, &case.context) {
            for p in adaptive(case, &reg, &server.api, &client, &tmp, bytes) {
                failures.push(format!("{id}: adaptive: {p}"));
            }
        }
        match (&lib, &bin) {
            (Outcome::Error { message: l }, Outcome::Error { message: b })
                if !b.contains(l.as_str()) =>
            {
                failures.push(format!(
                    "{id}: cli error {b:?} does not contain the library's {l:?}"
                ));
            }
            (Outcome::Error { .. }, Outcome::Error { .. }) => {}
            (l, b) if l != b => {
                failures.push(format!("{id}: library and cli differ:\n{l:?}\n{b:?}"))
            }
            _ => {}
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!(
        "{} corpus cases agree across library, CLI and HTTP",
        cases.len()
    );
}

/// The digest of what the library gives for a case: the IR's canonical bytes (when the
/// policy compiles) and the outcome (report bytes, lint codes and exit, or the error).
fn outcome_digest(case: &Case, reg: &Registry) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    if let Ok(c) = policy::compile(&case.policy, case.mode) {
        h.update(c.ir.canonical_bytes().unwrap());
    }
    h.update(b"\n");
    match library(case, reg) {
        Outcome::Report { bytes, exit } => h.update(format!("report {exit}\n{bytes}")),
        Outcome::Lint { codes, exit } => h.update(format!("lint {exit} {}", codes.join(","))),
        Outcome::Error { message } => h.update(format!("error {message}")),
    }
    hex::encode(h.finalize())
}

/// Every case of the corpus as it was before IR v1.1 gives the same IR bytes and the same
/// report bytes (or lint codes, or error) it gave then: `testdata/corpus-v1-digests.json`
/// was written by this test on the code without records, macros and `each`
/// (`PROOF_WRITE_V1_DIGESTS=FILE` writes it).
#[test]
fn v1_cases_give_the_bytes_they_always_gave() {
    let reg = lists().registry;
    let cases = load_cases();
    let digests: BTreeMap<String, String> = cases
        .iter()
        .map(|c| (format!("{} / {}", c.file, c.name), outcome_digest(c, &reg)))
        .collect();
    if let Ok(path) = std::env::var("PROOF_WRITE_V1_DIGESTS") {
        std::fs::write(path, serde_json::to_string_pretty(&digests).unwrap() + "\n").unwrap();
        return;
    }
    let want: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/corpus-v1-digests.json")).unwrap(),
    )
    .unwrap();
    assert!(want.len() >= 80, "{} recorded cases", want.len());
    let mut differ = Vec::new();
    for (id, d) in &want {
        match digests.get(id) {
            Some(got) if got == d => {}
            Some(_) => differ.push(format!("{id}: other bytes")),
            None => differ.push(format!("{id}: the case is gone")),
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

//! `proof policy test`: the shipped policies' test files pass, a wrong expectation fails
//! with its reason, JSON output and coverage, and malformed test files are refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn proof(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .current_dir(dir)
        .env_remove("PROOF_LISTS_DIR")
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("proof-policy-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A test file of lksg.v1 (by absolute path) with the repository's lists and `cases`.
fn test_file(dir: &Path, cases: &str) -> PathBuf {
    let r = repo();
    let f = dir.join("t.test.yml");
    std::fs::write(
        &f,
        format!(
            "policy: {}\nlists_dir: {}\ncases:\n{cases}",
            r.join("policies/lksg.v1.yml").display(),
            r.join("lists").display()
        ),
    )
    .unwrap();
    f
}

#[test]
fn the_shipped_policies_pass_their_tests_with_coverage_of_every_rule() {
    let o = proof(&repo(), &["policy", "test"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    for f in [
        "lksg.v1.test.yml",
        "lksg.v1.1.test.yml",
        "lksg.v1.2.test.yml",
    ] {
        assert!(text.contains(f), "{text}");
    }
    assert!(text.contains(" 0 failed"), "{text}");
    let o = proof(&repo(), &["policy", "test", "policies", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["failed"], 0);
    assert!(v["summary"]["cases"].as_u64().unwrap() >= 15, "{v:#}");
    // Every rule of every shipped policy is seen passing and failing.
    for (policy, rules) in v["coverage"].as_object().unwrap() {
        for (rule, seen) in rules.as_object().unwrap() {
            assert!(
                seen["pass"].as_u64().unwrap_or(0) > 0 && seen["fail"].as_u64().unwrap_or(0) > 0,
                "{policy} {rule}: {seen}"
            );
        }
    }
}

#[test]
fn a_wrong_expectation_fails_and_says_what_differs() {
    let d = tmp("wrong");
    let ctx = repo().join("examples/context_fail.json");
    let f = test_file(
        &d,
        &format!(
            "  - name: expects OK of a sanctioned supplier\n    context: {}\n    expect:\n      verdict: OK\n      rules: {{no_sanctions: pass}}\n  - name: right\n    context: {}\n    expect: {{verdict: FAIL}}\n  - name: a wrong found hash\n    context: {}\n    expect:\n      rules:\n        no_sanctions: {{status: fail, found: [\"{}\"]}}\n  - name: an error that does not come\n    context: {}\n    expect: {{error: no such thing}}\n",
            ctx.display(),
            ctx.display(),
            ctx.display(),
            "0".repeat(64),
            ctx.display()
        ),
    );
    let o = proof(&d, &["policy", "test", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("FAIL  expects OK of a sanctioned supplier"),
        "{text}"
    );
    assert!(text.contains("verdict: expected OK, got FAIL"), "{text}");
    assert!(
        text.contains("rule `no_sanctions`: expected pass, got fail"),
        "{text}"
    );
    assert!(text.contains("ok    right (FAIL)"), "{text}");
    assert!(text.contains("expected found"), "{text}");
    assert!(
        text.contains("expected an error with `no such thing`, got verdict FAIL"),
        "{text}"
    );
    assert!(text.contains("4 cases: 1 passed, 3 failed"), "{text}");
    let o = proof(
        &d,
        &["policy", "test", f.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["failed"], 3);
    assert_eq!(v["files"][0]["cases"][1]["passed"], true);
    assert_eq!(v["coverage"]["lksg.v1"]["no_sanctions"]["fail"], 4);
}

#[test]
fn malformed_test_files_are_refused_before_anything_runs() {
    let d = tmp("bad");
    let ctx = repo().join("examples/context_ok.json");
    let case = |expect: &str| {
        format!(
            "  - name: c\n    context: {}\n    expect: {expect}\n",
            ctx.display()
        )
    };
    for (cases, want) in [
        (
            case("{rules: {no_such_rule: pass}}"),
            "no rule `no_such_rule` (its rules: no_sanctions",
        ),
        (
            case("{rules: {no_sanctions: passed}}"),
            "status `passed` is not one of pass, fail, skipped",
        ),
        (case("{verdict: GOOD}"), "verdict `GOOD`"),
        (case("{}"), "names no verdict, rule or error"),
        (
            case("{verdict: OK, error: x}"),
            "either an error or a verdict",
        ),
        (case("{verdicts: OK}"), "not a valid policy test file"),
        (
            format!("{}{}", case("{verdict: OK}"), case("{verdict: OK}")),
            "two cases have this name",
        ),
        (
            "  - name: c\n    context: missing.json\n    expect: {verdict: OK}\n".to_owned(),
            "missing.json",
        ),
        (
            "  - name: c\n    context: [1]\n    expect: {verdict: OK}\n".to_owned(),
            "a file name or an inline object",
        ),
    ] {
        let f = test_file(&d, &cases);
        let o = proof(&d, &["policy", "test", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{cases}: {}", out(&o));
        assert!(out(&o).contains(want), "want `{want}`: {}", out(&o));
        assert!(o.stdout.is_empty(), "nothing runs: {}", out(&o));
    }
    let o = proof(&d, &["policy", "test", "nowhere"]);
    assert_eq!(o.status.code(), Some(1));
    let empty = tmp("empty");
    let o = proof(&empty, &["policy", "test", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("holds no policy test file"), "{}", out(&o));
}

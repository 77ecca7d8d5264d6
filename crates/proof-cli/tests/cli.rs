//! The `proof` binary as a user runs it: the README's commands, golden files, exit codes
//! and the errors bad input gets.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: failures should abort loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn proof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs `proof ARGS`, which must exit 1 (input error) with `want` in its stderr.
fn fails_with(args: &[&str], want: &str) {
    let out = proof(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(want),
        "{args:?}: stderr {:?} lacks {want:?}",
        stderr(&out)
    );
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proof-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn verify_examples_exit_with_their_verdicts_and_match_the_golden_reports() {
    for (ctx, code, verdict) in [("ok", 0, "OK"), ("warn", 2, "WARN"), ("fail", 3, "FAIL")] {
        let out = proof(&[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            &format!("examples/context_{ctx}.json"),
        ]);
        assert_eq!(out.status.code(), Some(code), "{ctx}: {}", stderr(&out));
        let report = stdout(&out);
        assert!(
            report.contains(&format!("\"verdict\": \"{verdict}\"")),
            "{report}"
        );
        let golden =
            std::fs::read_to_string(root().join(format!("examples/report_{ctx}.json"))).unwrap();
        assert_eq!(report, golden, "examples/report_{ctx}.json is out of date");
    }
}

#[test]
fn the_fail_example_fails_on_no_sanctions_only() {
    let out = proof(&[
        "verify",
        "--policy",
        "lksg.v1",
        "--context",
        "examples/context_fail.json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] == "fail")
        .map(|x| x["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["no_sanctions"]);
}

#[test]
fn compiling_twice_gives_the_golden_bytes() {
    let a = proof(&["policy", "compile", "policies/lksg.v1.yml"]);
    let b = proof(&["policy", "compile", "policies/lksg.v1.yml"]);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let golden = std::fs::read(root().join("examples/lksg.v1.ir.json")).unwrap();
    assert_eq!(a.stdout, golden, "examples/lksg.v1.ir.json is out of date");
}

#[test]
fn verify_accepts_the_compiled_ir_and_gives_the_same_report() {
    let from_yaml = proof(&[
        "verify",
        "--policy",
        "lksg.v1",
        "--context",
        "examples/context_warn.json",
    ]);
    let from_ir = proof(&[
        "verify",
        "--policy",
        "examples/lksg.v1.ir.json",
        "--context",
        "examples/context_warn.json",
    ]);
    assert_eq!(from_ir.status.code(), Some(2), "{}", stderr(&from_ir));
    assert_eq!(from_yaml.stdout, from_ir.stdout);
}

#[test]
fn tampered_ir_is_refused_with_the_hash_mismatch() {
    let ir = std::fs::read_to_string(root().join("examples/lksg.v1.ir.json")).unwrap();
    let tampered = tmp("tampered.ir.json", &ir.replace("\"P365D\"", "\"P999D\""));
    let t = tampered.to_str().unwrap();
    fails_with(
        &[
            "verify",
            "--policy",
            t,
            "--context",
            "examples/context_warn.json",
        ],
        "ir_hash mismatch",
    );
}

#[test]
fn list_roots_printed_by_the_cli_are_the_ones_the_examples_name() {
    let ctx: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap(),
    )
    .unwrap();
    let out = proof(&["lists", "root", "lists/sanctions-demo.csv"]);
    assert_eq!(stdout(&out).trim(), ctx["sanctions_root"]);
    let out = proof(&["lists", "root", "lists/high-risk-regions.csv", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["root"], ctx["high_risk_root"]);
    assert_eq!(doc["kind"], "region");
    assert!(doc["meta"]["source"].as_str().unwrap().contains("CAHRA"));
    let demo = proof(&["lists", "root", "lists/sanctions-demo.csv", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&demo.stdout).unwrap();
    assert!(doc["distinct"].as_u64().unwrap() >= 1000);
    assert_eq!(doc["meta"]["synthetic"], "true");
}

#[test]
fn commit_prints_one_hash_per_line_or_json() {
    let input = tmp("ids.txt", "# suppliers\nACME GmbH\n\n acme   gmbh \n");
    let text = proof(&["commit", "--kind", "entity", input.to_str().unwrap()]);
    let lines: Vec<&str> = std::str::from_utf8(&text.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0], lines[1],
        "normalisation makes both spellings one entity"
    );
    let json = proof(&[
        "commit",
        "--kind",
        "entity",
        input.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let arr: Vec<String> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(arr, lines);
}

#[test]
fn bad_input_is_named_with_file_and_location_and_exits_1() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "verify".into(),
                "--policy".into(),
                "nope.v9".into(),
                "--context".into(),
                "examples/context_ok.json".into(),
            ],
            "no policy `nope.v9`",
        ),
        (
            vec![
                "verify".into(),
                "--policy".into(),
                "lksg.v1".into(),
                "--context".into(),
                "missing.json".into(),
            ],
            "cannot read `missing.json`",
        ),
        (
            vec![
                "verify".into(),
                "--policy".into(),
                "lksg.v1".into(),
                "--context".into(),
                "examples/context_ok.json".into(),
                "--as-of".into(),
                "soon".into(),
            ],
            "--as-of: `soon` is not an RFC 3339 timestamp",
        ),
        (
            vec![
                "verify".into(),
                "--policy".into(),
                "lksg.v1".into(),
                "--context".into(),
                "examples/context_ok.json".into(),
                "--lists-dir".into(),
                "no-such-dir".into(),
            ],
            "lists directory `no-such-dir` does not exist",
        ),
        (
            vec![
                "lists".into(),
                "root".into(),
                tmp("bad.csv", "region\nDE\nZZ\n").to_str().unwrap().into(),
            ],
            "line 3: `ZZ` is not an assigned ISO 3166-1 alpha-2 code",
        ),
        (
            vec![
                "commit".into(),
                "--kind".into(),
                "region".into(),
                tmp("regions.txt", "DE\nGermany\n").to_str().unwrap().into(),
            ],
            "regions.txt:2: `Germany` is not an assigned",
        ),
        (
            vec!["policy".into(), "lint".into(), "no-such-policy.yml".into()],
            "cannot read `no-such-policy.yml`",
        ),
        (
            vec!["verify".into(), "--policy".into(), "lksg.v1".into()],
            "--context",
        ),
        (vec!["frobnicate".into()], "unrecognized subcommand"),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_with(&args, want);
    }
}

#[test]
fn malformed_context_json_names_the_file_line_and_column() {
    let ctx = tmp(
        "broken.json",
        "{\n  \"supplier_hashes\": [\n    \"abc\",\n  ]\n}\n",
    );
    let c = ctx.to_str().unwrap();
    fails_with(
        &["verify", "--policy", "lksg.v1", "--context", c],
        "broken.json` is not valid JSON",
    );
    fails_with(&["verify", "--policy", "lksg.v1", "--context", c], "line 4");
}

#[test]
fn duplicate_context_keys_and_deep_nesting_are_refused() {
    let dup = tmp(
        "dup.json",
        "{\"supplier_hashes\": [],\n \"supplier_hashes\": []}",
    );
    let deep = tmp(
        "deep.json",
        &format!("{{\"a\": {}{}}}", "[".repeat(1000), "]".repeat(1000)),
    );
    for (file, want) in [
        (dup, "duplicate key `supplier_hashes` at line 2"),
        (deep, "recursion limit exceeded"),
    ] {
        fails_with(
            &[
                "verify",
                "--policy",
                "lksg.v1",
                "--context",
                file.to_str().unwrap(),
            ],
            want,
        );
    }
}

#[test]
fn a_policy_with_errors_is_not_compiled_and_nothing_is_written() {
    let src = tmp(
        "broken.yml",
        "id: x\nversion: \"1\"\nlegal_basis: [{directive: LkSG, article: \"5\"}]\ninputs: {a: {type: number}}\nrules:\n  - {id: r, op: range_max, lhs: b, rhs: 1}\n",
    );
    let out_file = src.with_extension("ir.json");
    let out = proof(&[
        "policy",
        "compile",
        src.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!out_file.exists());
    let err = stderr(&out);
    assert!(err.contains("broken.yml:6:33: error[P103 unknown-input]: `b` is not a declared input; did you mean `a`?"), "{err}");
    assert!(
        err.contains("^"),
        "the text format points at the span: {err}"
    );
    let src = src.to_str().unwrap();
    fails_with(
        &[
            "verify",
            "--policy",
            src,
            "--context",
            "examples/context_ok.json",
        ],
        "does not compile",
    );
}

#[test]
fn a_policy_id_that_disagrees_with_its_file_name_is_refused() {
    let dir = tmp("policies/other.v1.yml", "")
        .parent()
        .unwrap()
        .to_path_buf();
    let src = std::fs::read_to_string(root().join("policies/lksg.v1.yml")).unwrap();
    std::fs::write(dir.join("other.v1.yml"), src).unwrap();
    let out = proof(&[
        "verify",
        "--policy",
        "other.v1",
        "--policy-dir",
        dir.to_str().unwrap(),
        "--context",
        "examples/context_ok.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("declares id `lksg.v1`, not `other.v1`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_lists_every_subcommand_and_the_exit_codes() {
    let out = proof(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for word in ["policy", "lists", "commit", "verify", "Exit codes"] {
        assert!(help.contains(word), "--help lacks {word}: {help}");
    }
}

#[test]
fn policy_and_lists_directories_come_from_the_environment() {
    let base = tmp(
        "envdirs/policies/lksg.v1.yml",
        &std::fs::read_to_string(root().join("policies/lksg.v1.yml")).unwrap(),
    );
    let policies = base.parent().unwrap().to_path_buf();
    let lists = policies.parent().unwrap().join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    let ctx = root().join("examples/context_ok.json");
    let run = |lists_dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_proof"))
            .args([
                "verify",
                "--policy",
                "lksg.v1",
                "--context",
                ctx.to_str().unwrap(),
            ])
            .env("PROOF_POLICY_DIR", &policies)
            .env("PROOF_LISTS_DIR", lists_dir)
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    };
    // An empty lists directory: the policy is found through PROOF_POLICY_DIR, and the
    // context's roots are unknown, which is an error naming the root's JSON path.
    let out = run(&lists);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("$.sanctions_root: unknown list root"),
        "{}",
        stderr(&out)
    );
    // The error says where lists were looked for, so that a wrong directory shows.
    assert!(
        stderr(&out).contains(&format!("no list was loaded from `{}`", lists.display()))
            && stderr(&out).contains("--lists-dir"),
        "{}",
        stderr(&out)
    );
    // With one of the two lists there, the error names the one that was loaded.
    let partial = policies.parent().unwrap().join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::copy(
        root().join("lists/high-risk-regions.csv"),
        partial.join("high-risk-regions.csv"),
    )
    .unwrap();
    let out = run(&partial);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "loaded from `{}`: `high-risk-regions-demo` b5c1827c",
            partial.display()
        )),
        "{}",
        stderr(&out)
    );
    // The shipped lists directory through PROOF_LISTS_DIR: the example verifies OK.
    let out = run(&root().join("lists"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn adapt_dry_run_prints_the_golden_plans() {
    for (ctx, golden) in [
        ("examples/context_ok.json", "examples/plan_ok.json"),
        (
            "examples/context_fail.json",
            "examples/plan_low_exposure.json",
        ),
    ] {
        let out = proof(&[
            "adapt",
            "--policy",
            "lksg.v1",
            "--context",
            ctx,
            "--selector",
            "weighted",
            "--weights",
            "examples/rules.yaml",
            "--dry-run",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let want = std::fs::read_to_string(root().join(golden)).unwrap();
        assert_eq!(stdout(&out), want, "{golden} is out of date");
    }
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/plan_ok.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        plan["cost"],
        serde_json::json!({"no_sanctions": 1, "no_conflict_regions": 1, "audit_fresh": 3})
    );
    assert_eq!(plan["cost_sum"], 5);
    assert_eq!(plan["order"][2], "audit_fresh");
    let low: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/plan_low_exposure.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(low["skipped"], serde_json::json!(["audit_fresh"]));
}

#[test]
fn adapt_evaluates_the_plan_and_exits_with_the_verdict() {
    let out = proof(&[
        "adapt",
        "--policy",
        "lksg.v1",
        "--context",
        "examples/context_warn.json",
        "--selector",
        "weighted",
        "--weights",
        "examples/rules.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/report_warn.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(doc["report"], golden);
    assert_eq!(doc["plan"]["selector"], "weighted");
    // no_sanctions (failing) runs first, so fail_fast skips what would come after it
    let first = tmp("sanctions-first.yaml", "weights: {no_sanctions: 0}\n");
    let ff = proof(&[
        "adapt",
        "--policy",
        "lksg.v1",
        "--context",
        "examples/context_fail.json",
        "--fail-fast",
        "--selector",
        "weighted",
        "--weights",
        first.to_str().unwrap(),
    ]);
    assert_eq!(ff.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&ff.stdout).unwrap();
    let skipped: Vec<&str> = doc["report"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "skipped")
        .map(|r| r["detail"].as_str().unwrap())
        .collect();
    assert!(
        skipped
            .iter()
            .any(|d| d.contains("fail_fast stopped after `no_sanctions` failed")),
        "{skipped:?}"
    );
}

#[test]
fn adapt_refuses_bad_selectors_weights_and_policies() {
    let bad_weights = tmp("bad-weights.yaml", "weights:\n  no_sanctions: lots\n");
    let unknown = tmp(
        "unknown-weights.yaml",
        "weights: {no_sanctions: 1, speed_check: 2}\n",
    );
    let bad_pred = tmp(
        "bad-pred.yml",
        &std::fs::read_to_string(root().join("policies/lksg.v1.yml"))
            .unwrap()
            .replace("len(supplier_hashes) >= 50", "len(supplier_hashes) + 50"),
    );
    let ctx = "examples/context_ok.json";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "adapt",
                "--policy",
                "lksg.v1",
                "--context",
                ctx,
                "--selector",
                "fancy",
            ],
            "invalid value 'fancy'",
        ),
        (
            vec![
                "adapt",
                "--policy",
                "lksg.v1",
                "--context",
                ctx,
                "--selector",
                "weighted",
                "--weights",
                bad_weights.to_str().unwrap(),
            ],
            "line 2: the cost of `no_sanctions` must be a whole number",
        ),
        (
            vec![
                "adapt",
                "--policy",
                "lksg.v1",
                "--context",
                ctx,
                "--selector",
                "weighted",
                "--weights",
                unknown.to_str().unwrap(),
                "--dry-run",
            ],
            "weights for rules that `lksg.v1` does not have: speed_check",
        ),
        (
            vec![
                "adapt",
                "--policy",
                "lksg.v1",
                "--context",
                ctx,
                "--selector",
                "weighted",
            ],
            "--selector weighted needs --weights FILE",
        ),
        (
            vec![
                "adapt",
                "--policy",
                bad_pred.to_str().unwrap(),
                "--context",
                ctx,
            ],
            "predicate `high_exposure` must be `bool`",
        ),
    ];
    for (args, want) in cases {
        fails_with(&args, want);
    }
}

#[test]
fn files_with_a_byte_order_mark_read_like_files_without() {
    let ctx = std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap();
    let with_bom = tmp("bom-context.json", &format!("\u{feff}{ctx}"));
    let out = proof(&[
        "verify",
        "--policy",
        "lksg.v1",
        "--context",
        with_bom.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = std::fs::read_to_string(root().join("lists/high-risk-regions.csv")).unwrap();
    let bom_list = tmp("bom-list.csv", &format!("\u{feff}{list}"));
    let a = proof(&["lists", "root", "lists/high-risk-regions.csv", "--json"]);
    let b = proof(&["lists", "root", bom_list.to_str().unwrap(), "--json"]);
    assert_eq!(
        stdout(&a),
        stdout(&b),
        "same root and the same provenance header"
    );
}

/// The lksg.v2 examples: the IR and each report are the golden bytes.
#[test]
fn lksg_v2_examples_give_their_golden_ir_and_reports() {
    let dir = root().join("examples/lksg.v2");
    let a = proof(&["policy", "compile", "policies/lksg.v2.yml"]);
    assert_eq!(
        a.stdout,
        std::fs::read(dir.join("lksg.v2.ir.json")).unwrap(),
        "examples/lksg.v2/lksg.v2.ir.json is out of date"
    );
    for (name, exit) in [("ok", 0), ("warn", 2), ("fail", 3)] {
        let ctx = format!("examples/lksg.v2/context_{name}.json");
        let r = proof(&["verify", "--policy", "lksg.v2", "--context", &ctx]);
        assert_eq!(r.status.code(), Some(exit), "{name}");
        assert_eq!(
            r.stdout,
            std::fs::read(dir.join(format!("report_{name}.json"))).unwrap(),
            "examples/lksg.v2/report_{name}.json is out of date"
        );
    }
}

#[test]
fn a_refused_huge_expression_is_reported_in_a_few_lines() {
    let policy = |lhs: &str| {
        format!(
            "id: big\nversion: \"1\"\nlegal_basis: [{{directive: LkSG, article: \"§ 6\"}}]\ninputs:\n  x: {{type: number}}\nrules:\n  - id: r\n    op: eq\n    lhs: \"{lhs}\"\n    rhs: true\n"
        )
    };
    // 10,000 terms and 10,000 levels of parentheses: refused by the documented limits
    // (docs/policy-language.md), and the report quotes neither in full.
    let chain = vec!["x > 0"; 10_000].join(" or ");
    let parens = format!("{}x > 0{}", "(".repeat(10_000), ")".repeat(10_000));
    let nested = format!("{}x > 0{}", "(".repeat(60), ")".repeat(60));
    for (name, lhs, want) in [
        ("chain.yml", chain.as_str(), "the limit is 4096"),
        ("parens.yml", parens.as_str(), "the limit is 4096"),
        ("nested.yml", nested.as_str(), "nested more than 48 levels"),
    ] {
        let file = tmp(name, &policy(lhs));
        let out = proof(&["policy", "compile", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3), "{name}");
        let err = stderr(&out);
        assert!(err.contains("P108") && err.contains(want), "{name}: {err}");
        assert!(err.len() < 1_000, "{name}: {} bytes: {err}", err.len());
        assert_eq!(err.lines().count(), 4, "{name}: {err}");
    }
}

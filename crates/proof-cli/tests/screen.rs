//! `proof screen` against the real lists (UN, OFAC, and the EU, UK and OpenSanctions
//! samples): the evaluation set of
//! `scripts/screening-eval.py` (recall and false positives at the default threshold),
//! determinism, clearances and re-screening, and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/real_lists.rs"]
mod real_lists;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "proof-screen-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The real UN list imported into `dir/lists/un.csv`.
fn un_lists(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    real_lists::import_un(dir, "lists/un.csv");
    dir.join("lists")
}

/// The screening file of `args` (exit code checked).
fn screen(dir: &Path, args: &[&str], code: i32) -> Value {
    let o = proof(dir, &[&["screen"], args].concat());
    assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

const SUPPLIERS: &str = "supplier_id,name,country\n\
    S-1,Korea Mining Development Trading Corp,KP\n\
    S-2,Al Qaeda Org.,\n\
    S-3,Müller Maschinenbau GmbH,DE\n\
    S-4,Nordstern Logistik GmbH & Co. KG,DE\n\
    S-5,Green Pine Asociated Corporation,\n\
    S-6,Tanchon Commercial Bank,\n";

#[test]
fn the_evaluation_set_meets_the_recall_and_false_positive_targets() {
    let dir = tmpdir("eval");
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    real_lists::import_un(&dir, "lists/un.csv");
    let full = real_lists::real("ofac-sdn-csv/full-2019/sdn.csv");
    let alt = full.with_file_name("alt.csv");
    let o = proof(
        &dir,
        &[
            "lists",
            "import",
            "--format",
            "ofac-sdn-csv",
            "--skip-invalid",
            full.to_str().unwrap(),
            alt.to_str().unwrap(),
            "-o",
            "lists/ofac.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The EU, UK and OpenSanctions samples, small files below the full lists' floors.
    for (format, file, out) in [
        ("eu-fsf-xml", "eu-fsf-xml/sample_eu_fsf.xml", "lists/eu.csv"),
        (
            "uk-fcdo-xml",
            "uk-fcdo-xml/sample_uk_sanctions.xml",
            "lists/uk.csv",
        ),
        (
            "opensanctions-ftm",
            "opensanctions-ftm/t1_eu_fsf_entities.ftm.json",
            "lists/os-t1.csv",
        ),
        (
            "opensanctions-ftm",
            "opensanctions-ftm/zala_entities.ftm.json",
            "lists/os-zala.csv",
        ),
    ] {
        let f = real_lists::real(file);
        let o = proof(
            &dir,
            &[
                "lists",
                "import",
                "--format",
                format,
                "--min-entries",
                "1",
                f.to_str().unwrap(),
                "-o",
                out,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
    }
    let real = full.parent().unwrap().parent().unwrap().parent().unwrap();
    let o = Command::new("python3")
        .arg(repo().join("scripts/screening-eval.py"))
        .arg("--real-lists")
        .arg(real)
        .arg("--out")
        .arg(dir.join("eval"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let s = screen(
        &dir,
        &["--suppliers", "eval/suppliers.csv", "--lists-dir", "lists"],
        2,
    );
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in s["candidates"].as_array().unwrap() {
        found
            .entry(c["supplier_id"].as_str().unwrap().to_owned())
            .or_default()
            .insert(c["entry"].as_str().unwrap().to_owned());
    }
    let truth = std::fs::read_to_string(dir.join("eval/truth.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(truth.as_bytes());
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut pos, mut hit, mut neg, mut fp) = (0, 0, 0, 0);
    for r in rdr.records() {
        let r = r.unwrap();
        let (id, kind, expected) = (&r[0], &r[1], &r[2]);
        let e = per_kind.entry(kind.to_owned()).or_default();
        e.0 += 1;
        let theirs = found.get(id);
        if expected.is_empty() {
            neg += 1;
            if theirs.is_some() {
                fp += 1;
                e.1 += 1;
            }
        } else {
            pos += 1;
            if theirs.is_some_and(|f| f.contains(expected)) {
                hit += 1;
                e.1 += 1;
            }
        }
    }
    println!("| kind | rows | found | rate |\n|---|---:|---:|---:|");
    for (k, (n, h)) in &per_kind {
        #[allow(clippy::cast_precision_loss, reason = "counts")]
        let rate = *h as f64 / *n as f64;
        println!("| {k} | {n} | {h} | {:.2}% |", 100.0 * rate);
    }
    #[allow(clippy::cast_precision_loss, reason = "counts")]
    let (recall, fpr) = (hit as f64 / pos as f64, fp as f64 / neg as f64);
    println!(
        "recall {:.2}% ({hit} of {pos} variants), false positives {:.2}% ({fp} of {neg} negatives) at the default threshold",
        100.0 * recall,
        100.0 * fpr
    );
    assert!(
        pos > 10_000 && neg >= 3_000,
        "{pos} variants, {neg} negatives"
    );
    assert!(recall >= 0.95, "recall {recall}");
    assert!(fpr <= 0.01, "false positives {fpr}");
}

/// The screening without the fields that name the order of rows or the file's bytes.
fn order_free(mut v: Value) -> Value {
    v["suppliers"]["sha256"] = Value::Null;
    for c in v["candidates"].as_array_mut().unwrap() {
        c["supplier_line"] = Value::Null;
    }
    v
}

#[test]
fn shuffled_suppliers_and_list_rows_change_only_order_free_fields() {
    let dir = tmpdir("determinism");
    un_lists(&dir);
    std::fs::write(dir.join("s.csv"), SUPPLIERS).unwrap();
    let args = ["--suppliers", "s.csv", "--lists-dir", "lists"];
    let a = screen(&dir, &args, 2);
    let again = proof(&dir, &[&["screen"], &args[..]].concat());
    assert_eq!(serde_json::to_vec(&a).unwrap(), {
        let v: Value = serde_json::from_slice(&again.stdout).unwrap();
        serde_json::to_vec(&v).unwrap()
    });
    assert!(a["counts"]["candidates"].as_u64().unwrap() >= 4, "{a:#}");
    let ids: BTreeSet<&str> = a["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["supplier_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains("S-1") && ids.contains("S-2") && ids.contains("S-5"),
        "{ids:?}"
    );
    assert!(!ids.contains("S-3") && !ids.contains("S-4"), "{ids:?}");

    // The supplier rows reversed, with CRLF and a byte order mark; the list's data rows
    // reversed.
    let mut lines: Vec<&str> = SUPPLIERS.lines().collect();
    lines[1..].reverse();
    std::fs::write(
        dir.join("s.csv"),
        format!("\u{feff}{}\r\n", lines.join("\r\n")),
    )
    .unwrap();
    let list = std::fs::read_to_string(dir.join("lists/un.csv")).unwrap();
    let (head, data): (Vec<&str>, Vec<&str>) = list.lines().partition(|l| l.starts_with('#'));
    let mut data = data;
    data[1..].reverse();
    std::fs::write(
        dir.join("lists/un.csv"),
        format!("{}\n{}\n", head.join("\n"), data.join("\n")),
    )
    .unwrap();
    let b = screen(&dir, &args, 2);
    assert_ne!(a["suppliers"]["sha256"], b["suppliers"]["sha256"]);
    assert_eq!(order_free(a.clone()), order_free(b.clone()));
    assert_eq!(a["statement_digest"], b["statement_digest"]);
}

#[test]
fn a_clearance_holds_until_the_entry_changes_and_a_rescreen_reports_what_changed() {
    let dir = tmpdir("clearance");
    un_lists(&dir);
    std::fs::write(
        dir.join("s.csv"),
        "supplier_id,name\nS-1,Korea Mining Development Trading Corp\nS-9,Tanchon Comercial Bank\n",
    )
    .unwrap();
    let args = ["--suppliers", "s.csv", "--lists-dir", "lists"];
    let first = screen(&dir, &args, 2);
    let cands = first["candidates"].as_array().unwrap();
    let kmd = cands
        .iter()
        .find(|c| c["entry"] == "un:KPe.001")
        .expect("un:KPe.001");
    assert_eq!(kmd["status"], "open");
    let features: Vec<&str> = kmd["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert!(
        features.contains(&"token") && features.contains(&"legal_form"),
        "{kmd:#}"
    );
    // Every candidate is cleared (each with the hash of its entry).
    let mut yaml = String::from("clearances:\n");
    for c in cands {
        yaml.push_str(&format!(
            "  - supplier_id: {}\n    entry: {}\n    entry_hash: {}\n    reviewer: A. Auditor\n    date: 2026-11-30\n    reason: reviewed\n",
            c["supplier_id"].as_str().unwrap(),
            c["entry"].as_str().unwrap(),
            c["entry_hash"].as_str().unwrap()
        ));
    }
    std::fs::write(dir.join("clearances.yaml"), &yaml).unwrap();
    let cleared_args = [&args[..], &["--clearances", "clearances.yaml"]].concat();
    let cleared = screen(&dir, &cleared_args, 0);
    assert_eq!(cleared["counts"]["open"], 0, "{cleared:#}");
    assert_eq!(cleared["counts"]["cleared"], first["counts"]["candidates"]);
    assert!(
        cleared["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "cleared")
    );
    // Unchanged list, unchanged result.
    assert_eq!(screen(&dir, &cleared_args, 0), cleared);

    // A new list version: un:KPe.001 gains an alias; everything else is unchanged.
    let old = dir.join("un-old.csv");
    std::fs::copy(dir.join("lists/un.csv"), &old).unwrap();
    let mut list = std::fs::read_to_string(dir.join("lists/un.csv")).unwrap();
    list.push_str("name,kmdtc,full,un:KPe.001,ALIAS_NAME,\n");
    std::fs::write(dir.join("lists/un.csv"), list).unwrap();
    let after = screen(&dir, &cleared_args, 2);
    assert_eq!(after["counts"]["lapsed"], 1, "{after:#}");
    assert_eq!(after["lapsed"][0]["entry"], "un:KPe.001");
    let kmd = after["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entry"] == "un:KPe.001")
        .unwrap();
    assert_eq!(kmd["status"], "open");
    assert_ne!(after["lists"][0]["root"], first["lists"][0]["root"]);

    // Re-screening since the old version: only the changed entry is matched.
    let since = screen(
        &dir,
        &[&cleared_args[..], &["--since", old.to_str().unwrap()]].concat(),
        2,
    );
    let s = &since["lists"][0]["since"];
    assert_eq!(
        (
            s["added"].as_u64(),
            s["changed"].as_u64(),
            s["removed"].as_u64()
        ),
        (Some(0), Some(1), Some(0))
    );
    let entries: BTreeSet<&str> = since["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["entry"].as_str().unwrap())
        .collect();
    assert_eq!(entries, BTreeSet::from(["un:KPe.001"]));
    assert_eq!(since["counts"]["lapsed"], 1);
    assert_eq!(since["statement"]["scope"], "since");
    // The table for a compliance officer names the same.
    let o = proof(
        &dir,
        &[&["screen"], &cleared_args[..], &["--format", "text"]].concat(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("OPEN") && text.contains("un:KPe.001"),
        "{text}"
    );
    assert!(text.contains("LAPSED   clearance of S-1"), "{text}");
    assert!(text.contains("cleared by A. Auditor"), "{text}");
}

#[test]
fn bad_input_is_an_error_or_a_reported_warning_and_writes_nothing() {
    let dir = tmpdir("bad");
    un_lists(&dir);
    let run = |csv: &str, extra: &[&str]| {
        std::fs::write(dir.join("s.csv"), csv).unwrap();
        let _ = std::fs::remove_file(dir.join("out.json"));
        let o = proof(
            &dir,
            &[
                &[
                    "screen",
                    "--suppliers",
                    "s.csv",
                    "--lists-dir",
                    "lists",
                    "-o",
                    "out.json",
                ],
                extra,
            ]
            .concat(),
        );
        (o.status.code(), stderr(&o), dir.join("out.json").exists())
    };
    let refused = |csv: &str, extra: &[&str], want: &str| {
        let (code, err, written) = run(csv, extra);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains(want), "want `{want}` in: {err}");
        assert!(!written, "nothing is written on an error");
    };
    refused(
        "supplier_id,firma
S-1,ACME
",
        &[],
        "no `name` column",
    );
    refused(
        "supplier_id,name
S-1,
",
        &[],
        "line 2, column `name`",
    );
    refused(
        "supplier_id,name
S-1,ACME
S-1,Other
",
        &[],
        "supplier `S-1` is also on line 2",
    );
    refused(
        "supplier_id,name
S-1,ACME
",
        &["--threshold", "1.5"],
        "--threshold",
    );
    refused(
        "supplier_id,name
S-1,ACME
",
        &["--since", "s.csv"],
        "s.csv",
    );
    std::fs::write(
        dir.join("c.yaml"),
        "clearances:
  - supplier_id: S-1
    entry: un:XXe.999
",
    )
    .unwrap();
    refused(
        "supplier_id,name
S-1,ACME
",
        &["--clearances", "c.yaml"],
        "not a valid clearances file",
    );
    // A clearance of an entry that is on no list is a warning, in the output and on stderr.
    std::fs::write(
        dir.join("c.yaml"),
        format!(
            "clearances:\n  - supplier_id: S-1\n    entry: un:XXe.999\n    entry_hash: {}\n    reviewer: R\n    date: 2026-11-30\n    reason: x\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    let (code, err, written) = run(
        "\u{feff}supplier_id,name\r\nS-1,ACME\r\n",
        &["--clearances", "c.yaml"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        written && err.contains("entry `un:XXe.999` is on none of the lists"),
        "{err}"
    );
    let out: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(out["warnings"].as_array().unwrap().len(), 1, "{out:#}");
    assert_eq!(out["counts"]["suppliers"], 1);
    // A lists directory with no imported list is refused; a demo list is skipped with a note.
    let demo = tmpdir("demo");
    std::fs::create_dir_all(demo.join("lists")).unwrap();
    std::fs::copy(
        repo().join("lists/sanctions-demo.csv"),
        demo.join("lists/sanctions-demo.csv"),
    )
    .unwrap();
    std::fs::write(demo.join("s.csv"), "supplier_id,name\nS-1,ACME\n").unwrap();
    let args = ["screen", "--suppliers", "s.csv", "--lists-dir", "lists"];
    let o = proof(&demo, &args);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("not an imported list") && err.contains("holds no imported list"),
        "{err}"
    );
    // A malformed list is an error naming its file and line, not a list skipped.
    std::fs::write(
        demo.join("lists/broken.csv"),
        "scheme,value,key,designation,source\nlei,NOT-AN-LEI,,un:X,id\n",
    )
    .unwrap();
    let o = proof(&demo, &args);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("broken.csv") && err.contains("line 2"),
        "{err}"
    );
}

//! From supplier master data to a verdict: `proof lists import` of the real UN list,
//! `proof context build`, `proof verify` (locally and through `proof serve`) and
//! `proof report explain`.
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
use support::{Server, Spec, client, post_json, root, sqlite_url, tmpdir};

fn proof(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .current_dir(dir)
        .env("PROOF_POLICY_DIR", root().join("policies"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// S-1002's IMO company number is on the UN list (KPe.020, from that entry's COMMENTS1);
/// S-1003 is named like a designated person (a name-key candidate); S-1001 is clean.
const SUPPLIERS: &str = "\
supplier_id,name,country,lei,vat,imo_company,register_country,register_no,last_audit
S-1001,Müller Maschinenbau GmbH,DE,5299007NTWCC3U23WM81,DE 123 456 789,,DE,Amtsgericht München HRB 12345,2026-10-01
S-1002,Pacific Shipping Agency Ltd,SG,,,1790183,,,2026-09-15
S-1003,ERIC BADEGE,FR,,,,,,15.08.2026
";

/// A folder with the imported UN list, the shipped high-risk regions and the suppliers.
fn workspace(tag: &str) -> PathBuf {
    let d = tmpdir(tag);
    std::fs::create_dir_all(d.join("lists")).unwrap();
    real_lists::import_un(&d, "lists/un.csv");
    std::fs::copy(
        root().join("lists/high-risk-regions.csv"),
        d.join("lists/high-risk-regions.csv"),
    )
    .unwrap();
    std::fs::write(d.join("suppliers.csv"), SUPPLIERS).unwrap();
    d
}

fn build(d: &Path, suppliers: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "context",
        "build",
        "--policy",
        "lksg.v1.1",
        "--suppliers",
        suppliers,
        "--list",
        "sanctions_root=lists/un.csv",
        "--list",
        "high_risk_root=lists/high-risk-regions.csv",
        "--as-of",
        "2026-12-01T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    proof(d, &args)
}

#[test]
fn a_designated_identifier_fails_naming_the_designation_and_the_supplier() {
    let d = workspace("ctx-e2e");
    let r = build(
        &d,
        "suppliers.csv",
        &["-o", "ctx.json", "--index", "idx.json"],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let ctx: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("ctx.json")).unwrap()).unwrap();
    // LEI, VAT and register number of S-1001 and the IMO company number of S-1002.
    assert_eq!(ctx["supplier_hashes"].as_array().unwrap().len(), 4);
    assert_eq!(ctx["supplier_regions"].as_array().unwrap().len(), 3);
    assert_eq!(
        ctx["audit_dates"],
        json!(["2026-08-15", "2026-09-15", "2026-10-01"])
    );
    assert_eq!(
        ctx["sanctions_root"],
        "50f81366d1de53e15238203d30e167bf6b83f2221595b7306e03fd8f25e6d5b5"
    );

    let r = proof(
        &d,
        &[
            "verify",
            "--policy",
            "lksg.v1.1",
            "--context",
            "ctx.json",
            "--lists-dir",
            "lists",
            "-o",
            "report.json",
        ],
    );
    assert_eq!(
        r.status.code(),
        Some(3),
        "FAIL exits 3: {}",
        text(&r.stderr)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "FAIL");
    let rule = |id: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == id)
            .unwrap()
            .clone()
    };
    let imo_hash = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(b"proof:id:v1:imo-company:1790183"))
    };
    let sanctions = rule("no_sanctions");
    assert_eq!(sanctions["status"], "fail");
    assert_eq!(sanctions["evidence"]["found"], json!([imo_hash]));
    assert_eq!(
        sanctions["evidence"]["matched"],
        json!([{"designations": ["un:KPe.020 via imo-company"], "hash": imo_hash}])
    );
    assert!(
        sanctions["detail"]
            .as_str()
            .unwrap()
            .contains("un:KPe.020 via imo-company")
    );
    // The name of S-1003 is a designated person's: a candidate, a failed rule of severity
    // warn.
    let names = rule("no_name_matches");
    assert_eq!(
        (&names["status"], &names["severity"]),
        (&json!("fail"), &json!("warn")),
        "{names}"
    );
    assert!(
        names["evidence"]["matched"]
            .to_string()
            .contains("un:CDi.001 via name/full"),
        "{names}"
    );
    assert_eq!(rule("no_conflict_regions")["status"], "pass");

    // The report alone names the designation; with the index, also the supplier.
    let r = proof(&d, &["report", "explain", "report.json"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let alone = text(&r.stdout);
    assert!(
        alone.contains("designation  un:KPe.020 via imo-company"),
        "{alone}"
    );
    assert!(!alone.contains("S-1002"), "{alone}");
    assert!(alone.contains("give --index"), "{alone}");
    let r = proof(
        &d,
        &["report", "explain", "report.json", "--index", "idx.json"],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    assert!(
        out.contains("supplier     S-1002 \"Pacific Shipping Agency Ltd\" (line 3, imo-company `imo_company` = 1790183)"),
        "{out}"
    );
    assert!(out.contains("WARN no_name_matches"), "{out}");
    assert!(out.contains("S-1003 \"ERIC BADEGE\""), "{out}");

    // The same context through `proof serve` gives the same report.
    let s = Server::start(&Spec::new(&sqlite_url("ctx-serve")).lists(d.join("lists")));
    let (st, body) = post_json(
        &client(),
        &format!("{}/verify", s.api),
        &json!({"policy_id": "lksg.v1.1", "context": ctx}),
    );
    assert_eq!(st, 200, "{body}");
    let served: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(served, report);
}

#[test]
fn lksg_v1_contexts_leave_name_keys_out_and_builds_are_deterministic() {
    let d = workspace("ctx-det");
    // lksg.v1 declares no supplier_name_keys: name keys are left out, with a note.
    let r = proof(
        &d,
        &[
            "context",
            "build",
            "--policy",
            "lksg.v1",
            "--suppliers",
            "suppliers.csv",
            "--list",
            "sanctions_root=lists/un.csv",
            "--list",
            "high_risk_root=lists/high-risk-regions.csv",
            "--as-of",
            "2026-12-01T00:00:00Z",
            "-o",
            "v1.json",
        ],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains("declares no `supplier_name_keys`"),
        "{}",
        text(&r.stderr)
    );
    let v1: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("v1.json")).unwrap()).unwrap();
    assert!(v1.get("supplier_name_keys").is_none());
    // Rows in another order, CRLF line ends and a BOM give the same bytes.
    let mut lines: Vec<&str> = SUPPLIERS.lines().collect();
    lines[1..].reverse();
    std::fs::write(
        d.join("shuffled.csv"),
        format!("\u{feff}{}\r\n", lines.join("\r\n")),
    )
    .unwrap();
    assert_eq!(
        build(&d, "suppliers.csv", &["-o", "a.json"]).status.code(),
        Some(0)
    );
    let r = build(&d, "shuffled.csv", &["-o", "b.json"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(
        std::fs::read(d.join("a.json")).unwrap(),
        std::fs::read(d.join("b.json")).unwrap()
    );
}

#[test]
fn an_erp_export_with_other_columns_reads_through_a_mapping_file() {
    let d = workspace("ctx-map");
    std::fs::write(
        d.join("export.csv"),
        "Kreditor;Name 1;Land;Handelsregister;Registerland;Letztes Audit\n\
         70001;Pacific Shipping Agency Ltd;SG;;;01.09.2026\n\
         70002;Beispiel AG;DE;HRB 4711 B;DE;2026-05-02\n",
    )
    .unwrap();
    std::fs::write(
        d.join("map.yaml"),
        "columns:\n  supplier_id: Kreditor\n  name: Name 1\n  country: Land\n  register_no: Handelsregister\n  register_country: Registerland\n  last_audit: Letztes Audit\n",
    )
    .unwrap();
    let r = build(
        &d,
        "export.csv",
        &["--map", "map.yaml", "-o", "ctx.json", "--index", "idx.json"],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let ctx: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("ctx.json")).unwrap()).unwrap();
    assert_eq!(ctx["audit_dates"], json!(["2026-05-02", "2026-09-01"]));
    let idx = std::fs::read_to_string(d.join("idx.json")).unwrap();
    assert!(
        idx.contains("\"reg:DE\", \"HRB4711B\", \"Handelsregister\"]"),
        "{idx}"
    );
    assert!(
        idx.contains("\"strict:DE\", \"HRB4711B\", \"Handelsregister\"]"),
        "{idx}"
    );
}

/// A build that must fail with exit 1 and `want`, writing neither context nor index.
fn build_fails(d: &Path, suppliers: &str, extra: &[&str], want: &str) {
    let _ = std::fs::remove_file(d.join("bad.json"));
    let _ = std::fs::remove_file(d.join("bad-idx.json"));
    let mut args = extra.to_vec();
    args.extend_from_slice(&["-o", "bad.json", "--index", "bad-idx.json"]);
    let r = build(d, suppliers, &args);
    assert_eq!(r.status.code(), Some(1), "{suppliers}: {}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains(want),
        "{suppliers}: {:?} lacks {want:?}",
        text(&r.stderr)
    );
    assert!(!d.join("bad.json").exists() && !d.join("bad-idx.json").exists());
}

#[test]
fn bad_supplier_data_is_named_by_line_and_column_and_nothing_is_written() {
    let d = workspace("ctx-bad");
    let csv = |name: &str, body: &str| {
        std::fs::write(d.join(name), body).unwrap();
        name.to_owned()
    };
    let head = "supplier_id,name,country,lei,imo,register_country,register_no,last_audit\n";
    build_fails(
        &d,
        &csv(
            "lei.csv",
            &format!("{head}S1,A GmbH,DE,5299007NTWCC3U23WM82,,,,\n"),
        ),
        &[],
        "line 2, column `lei`: `5299007NTWCC3U23WM82` is not an LEI: its ISO 7064 mod 97-10 check digits are wrong",
    );
    build_fails(
        &d,
        &csv("imo.csv", &format!("{head}S1,A GmbH,DE,,IMO 1790184,,,\n")),
        &[],
        "line 2, column `imo`: `1790184` is not an IMO ship number",
    );
    build_fails(
        &d,
        &csv("country.csv", &format!("{head}S1,A GmbH,XX,,,,,\n")),
        &[],
        "line 2, column `country`",
    );
    build_fails(
        &d,
        &csv("reg.csv", &format!("{head}S1,A GmbH,DE,,,,HRB 1,\n")),
        &[],
        "a register number needs its country",
    );
    build_fails(
        &d,
        &csv("date.csv", &format!("{head}S1,A GmbH,DE,,,,,31.02.2026\n")),
        &[],
        "column `last_audit`: `31.02.2026` is not a date",
    );
    build_fails(
        &d,
        &csv(
            "dup.csv",
            &format!("{head}S1,A GmbH,DE,,,,,\nS1,B GmbH,DE,,,,,\n"),
        ),
        &[],
        "supplier `S1` is also on line 2",
    );
    build_fails(
        &d,
        &csv("noname.csv", "supplier_id,country\nS1,DE\n"),
        &[],
        "no `name` column (the header has: supplier_id, country)",
    );
    build_fails(
        &d,
        &csv("emptyname.csv", &format!("{head}S1,--,DE,,,,,\n")),
        &[],
        "has no letters or digits",
    );
    build_fails(&d, &csv("empty.csv", head), &[], "no supplier rows");
    std::fs::write(d.join("badmap.yaml"), "columns: {supplierid: Nr}\n").unwrap();
    build_fails(
        &d,
        "suppliers.csv",
        &["--map", "badmap.yaml"],
        "unknown field `supplierid`",
    );
    build_fails(
        &d,
        "suppliers.csv",
        &["--list", "blocked_root=lists/un.csv"],
        "has no input `blocked_root`",
    );
    build_fails(
        &d,
        "suppliers.csv",
        &["--list", "sanctions_root=lists/nope.csv"],
        "nope.csv",
    );
    // An entity list takes no typed identifiers: built, with a note saying so.
    let demo = format!(
        "sanctions_root={}",
        root().join("lists/sanctions-demo.csv").display()
    );
    let r = proof(
        &d,
        &[
            "context",
            "build",
            "--policy",
            "lksg.v1.1",
            "--suppliers",
            "suppliers.csv",
            "--list",
            &demo,
            "--list",
            "high_risk_root=lists/high-risk-regions.csv",
            "-o",
            "entity.json",
        ],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains("is an `entity` list"),
        "{}",
        text(&r.stderr)
    );
}

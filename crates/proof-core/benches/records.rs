//! Criterion benchmarks for supplier records (IR v1.1, see docs/benchmarks.md): compile
//! `lksg.v2`; evaluate it on 100,000 supplier records with 3 identifiers each against a
//! 100,000-entry sanctions list, from the decoded context and end to end from the context's
//! JSON text; and, as the baseline measured in the same run, `lksg.v1` on the same 300,000
//! identifiers as one flat array.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark harness"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proof_core::eval::{self, Verdict, context};
use proof_core::hash::sha256;
use proof_core::json;
use proof_core::lists::{Kind, LeafKind, RefList, Registry, commit};
use proof_core::policy::{self, LintMode};
use proof_core::temporal::parse_timestamp;
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::Duration;

const V1: &str = include_str!("../../../policies/lksg.v1.yml");
const V2: &str = include_str!("../../../policies/lksg.v2.yml");
const SUPPLIERS: u64 = 100_000;

fn leaf(tag: &str, i: u64) -> [u8; 32] {
    sha256(format!("{tag}{i}").as_bytes())
}

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("records");
    g.bench_function("compile/lksg.v2", |b| {
        b.iter(|| policy::compile(black_box(V2), LintMode::Strict).unwrap());
    });
    g.bench_function("compile/lksg.v1", |b| {
        b.iter(|| policy::compile(black_box(V1), LintMode::Strict).unwrap());
    });
    g.finish();
}

/// The lists, and a 100,000-supplier context for lksg.v2: every supplier has 3 identifiers
/// (none sanctioned), one in ten is in a high-risk region, every one audited recently.
fn setup() -> (Registry, Value, Value) {
    let sanctions = RefList::from_leaves(
        "sanctions",
        LeafKind::Hash,
        (0..100_000).map(|i| leaf("s", i)).collect(),
    );
    let regions = ["AF", "CD", "SY", "YE"].map(|r| commit(Kind::Region, r).unwrap());
    let regions = RefList::from_leaves("regions", LeafKind::Region, regions.to_vec());
    let (s_root, r_root) = (
        sanctions.root_hex().to_owned(),
        regions.root_hex().to_owned(),
    );
    let mut reg = Registry::default();
    reg.insert(sanctions).unwrap();
    reg.insert(regions).unwrap();
    let de = hex::encode(commit(Kind::Region, "DE").unwrap());
    let cd = hex::encode(commit(Kind::Region, "CD").unwrap());
    let suppliers: Vec<Value> = (0..SUPPLIERS)
        .map(|i| {
            json!({
                "id": hex::encode(leaf("id", i)),
                "ids": [hex::encode(leaf("a", i)), hex::encode(leaf("b", i)), hex::encode(leaf("c", i))],
                "region": if i % 10 == 0 { &cd } else { &de },
                "last_audit": "2025-05-01",
            })
        })
        .collect();
    let v2 = json!({"suppliers": suppliers, "sanctions_root": s_root, "high_risk_root": r_root});
    let flat: Vec<String> = (0..SUPPLIERS)
        .flat_map(|i| [leaf("a", i), leaf("b", i), leaf("c", i)])
        .map(hex::encode)
        .collect();
    let v1 = json!({
        "supplier_hashes": flat,
        "supplier_regions": [de],
        "sanctions_root": s_root,
        "high_risk_root": r_root,
        "audit_dates": ["2025-05-01"],
    });
    (reg, v2, v1)
}

fn evaluate(c: &mut Criterion) {
    let (reg, v2_json, v1_json) = setup();
    let as_of = parse_timestamp("2025-06-30T00:00:00Z").unwrap();
    let v2 = policy::compile(V2, LintMode::Strict).unwrap().ir;
    let v1 = policy::compile(V1, LintMode::Strict).unwrap().ir;
    let v2_ctx = context::decode(&v2.inputs, &v2_json).unwrap();
    let v1_ctx = context::decode(&v1.inputs, &v1_json).unwrap();
    let v2_text = serde_json::to_string(&v2_json).unwrap();
    let v1_text = serde_json::to_string(&v1_json).unwrap();
    let r = eval::evaluate(&v2, &v2_ctx, as_of, &reg).unwrap();
    assert!(eval::verdict(&r) == Verdict::Ok, "{r:?}");
    // Both ways from the text give the same report.
    let doc = json::doc_from_str_strict_depth(&v2_text, 64).unwrap();
    assert_eq!(
        scan_and_report(&v2, &v2_text, as_of, &reg),
        eval::verify(&v2, &doc, Some(as_of), &reg).unwrap()
    );
    let mut g = c.benchmark_group("records");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(SUPPLIERS));
    g.bench_function("rules/lksg.v2/100000", |b| {
        b.iter(|| eval::evaluate(&v2, black_box(&v2_ctx), as_of, &reg).unwrap());
    });
    g.bench_function("verify_text/lksg.v2/100000", |b| {
        b.iter(|| {
            let doc = json::doc_from_str_strict_depth(black_box(&v2_text), 64).unwrap();
            eval::verify(&v2, &doc, Some(as_of), &reg).unwrap()
        });
    });
    // The service's path (`POST /verify`): decoded and hashed in one pass over the text.
    g.bench_function("scan_text/lksg.v2/100000", |b| {
        b.iter(|| scan_and_report(&v2, black_box(&v2_text), as_of, &reg));
    });
    g.bench_function("rules/lksg.v1-flat/100000", |b| {
        b.iter(|| eval::evaluate(&v1, black_box(&v1_ctx), as_of, &reg).unwrap());
    });
    g.bench_function("verify_text/lksg.v1-flat/100000", |b| {
        b.iter(|| {
            let doc = json::doc_from_str_strict_depth(black_box(&v1_text), 64).unwrap();
            eval::verify(&v1, &doc, Some(as_of), &reg).unwrap()
        });
    });
    g.bench_function("scan_text/lksg.v1-flat/100000", |b| {
        b.iter(|| scan_and_report(&v1, black_box(&v1_text), as_of, &reg));
    });
    g.finish();
}

/// What `POST /verify` does with a context: reads it from its text in one pass (decoding
/// and hashing), then evaluates it.
fn scan_and_report(
    ir: &proof_core::ir::Ir,
    text: &str,
    as_of: time::OffsetDateTime,
    reg: &Registry,
) -> eval::Report {
    let mut cur = json::Cursor::new(text);
    let s = context::scan(&ir.inputs, &mut cur, 63).expect("the fast path takes the context");
    assert!(cur.at_end());
    eval::report(ir, &s.context, s.hash, as_of, reg, None, false).unwrap()
}

criterion_group!(benches, compile, evaluate);
criterion_main!(benches);

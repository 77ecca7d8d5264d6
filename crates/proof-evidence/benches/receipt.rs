//! Criterion benchmarks of what a receipt costs the CPU (see docs/benchmarks.md,
//! "Evidence"): the evaluation of lksg.v1 for 100 suppliers from context JSON (the
//! baseline), one Ed25519 signature over a receipt's DSSE bytes, a receipt drafted and
//! signed for that report (statement, bundle, both signatures; no log), and the same with
//! 100 proofs against a 1,000,000-leaf list.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark harness"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use proof_core::eval::{self, context};
use proof_core::hash::sha256;
use proof_core::lists::{LeafKind, RefList, Registry};
use proof_core::policy::{self, LintMode};
use proof_core::temporal::parse_timestamp;
use proof_evidence::dsse;
use proof_evidence::keys::SigningKey;
use proof_evidence::receipt::{self, LogPosition, PAYLOAD_TYPE};
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;

const POLICY: &str = include_str!("../../../policies/lksg.v1.yml");

fn leaf(tag: &str, i: u64) -> [u8; 32] {
    sha256(format!("{tag}{i}").as_bytes())
}

fn receipts(c: &mut Criterion) {
    let ir = policy::compile(POLICY, LintMode::Strict).unwrap().ir;
    let (key, _) = SigningKey::generate().unwrap();
    let as_of = parse_timestamp("2025-06-30T00:00:00Z").unwrap();
    let log = LogPosition {
        origin: "proof.example/log".into(),
        index: 123_456,
    };
    let regions = RefList::from_leaves(
        "regions",
        LeafKind::Hash,
        (0..20).map(|i| leaf("r", i)).collect(),
    );
    let r_root = regions.root_hex().to_owned();
    let mut reg = Registry::default();
    reg.insert(regions).unwrap();
    for (name, size) in [("sanctions", 100_000u64), ("big", 1_000_000)] {
        let list = RefList::from_leaves(
            name,
            LeafKind::Hash,
            (0..size).map(|i| leaf(name, i)).collect(),
        );
        let root = list.root_hex().to_owned();
        reg.insert(list).unwrap();
        let hashes: Vec<String> = (0..100).map(|i| hex::encode(leaf("c", i))).collect();
        let ctx_json = json!({
            "supplier_hashes": hashes,
            "supplier_regions": [hex::encode(leaf("x", 1))],
            "sanctions_root": root,
            "high_risk_root": r_root,
            "audit_dates": ["2025-01-01"],
        });
        let report = eval::verify(&ir, &ctx_json, Some(as_of), &reg).unwrap();
        let mut g = c.benchmark_group(format!("receipt/{name}_{size}"));
        g.sample_size(30).measurement_time(Duration::from_secs(6));
        if name == "sanctions" {
            g.bench_function("verify_json/100", |b| {
                b.iter(|| eval::verify(&ir, black_box(&ctx_json), Some(as_of), &reg).unwrap());
            });
            let statement = receipt::draft(&report, &reg, None)
                .unwrap()
                .sign(&key, Some(&log))
                .statement;
            let pae = dsse::pae(PAYLOAD_TYPE, &statement);
            g.bench_function("ed25519/statement", |b| {
                b.iter(|| key.sign(black_box(&pae)));
            });
            g.bench_function("draft_and_sign/100", |b| {
                b.iter(|| {
                    receipt::draft(black_box(&report), &reg, None)
                        .unwrap()
                        .sign(&key, Some(&log))
                });
            });
        } else {
            let ctx = context::decode(&ir.inputs, &ctx_json).unwrap();
            g.bench_function("draft_and_sign_with_proofs/100", |b| {
                b.iter(|| {
                    let checked = eval::membership_inputs(&ir, &ctx, as_of);
                    receipt::draft(black_box(&report), &reg, Some(&checked))
                        .unwrap()
                        .sign(&key, Some(&log))
                });
            });
        }
        g.finish();
    }
}

criterion_group!(benches, receipts);
criterion_main!(benches);

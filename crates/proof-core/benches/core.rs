//! Criterion benchmarks for the core targets (see docs/benchmarks.md):
//! compile `lksg.v1`; evaluate it with 100, 10,000 and 1,000,000 supplier hashes against a
//! 100,000-entry sanctions list (evaluation alone, and end to end from context JSON);
//! build a 1,000,000-entry list; select and plan lksg.v1 for 1,000 suppliers; prove 100
//! hashes on or off a 1,000,000-leaf list, beside a plain lookup of the same hashes.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark harness"
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proof_core::eval::{self, context};
use proof_core::hash::sha256;
use proof_core::lists::{LeafKind, RefList, Registry, parse_list};
use proof_core::orchestrator::{self, BasicSelector, WeightedSelector, Weights};
use proof_core::policy::{self, LintMode};
use proof_core::temporal::parse_timestamp;
use serde_json::json;
use std::hint::black_box;
use std::time::Duration;

const POLICY: &str = include_str!("../../../policies/lksg.v1.yml");

fn leaf(tag: &str, i: u64) -> [u8; 32] {
    sha256(format!("{tag}{i}").as_bytes())
}

fn compile(c: &mut Criterion) {
    c.bench_function("compile/lksg.v1", |b| {
        b.iter(|| policy::compile(black_box(POLICY), LintMode::Strict).unwrap());
    });
}

fn evaluate(c: &mut Criterion) {
    let ir = policy::compile(POLICY, LintMode::Strict).unwrap().ir;
    let sanctions = RefList::from_leaves(
        "sanctions",
        LeafKind::Hash,
        (0..100_000).map(|i| leaf("s", i)).collect(),
    );
    let regions = RefList::from_leaves(
        "regions",
        LeafKind::Hash,
        (0..20).map(|i| leaf("r", i)).collect(),
    );
    let (s_root, r_root) = (
        sanctions.root_hex().to_owned(),
        regions.root_hex().to_owned(),
    );
    let mut reg = Registry::default();
    reg.insert(sanctions).unwrap();
    reg.insert(regions).unwrap();
    let as_of = parse_timestamp("2025-06-30T00:00:00Z").unwrap();
    let mut g = c.benchmark_group("evaluate");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for n in [100u64, 10_000, 1_000_000] {
        let hashes: Vec<String> = (0..n).map(|i| hex::encode(leaf("c", i))).collect();
        let ctx_json = json!({
            "supplier_hashes": hashes,
            "supplier_regions": [hex::encode(leaf("x", 1))],
            "sanctions_root": s_root,
            "high_risk_root": r_root,
            "audit_dates": ["2025-01-01"],
        });
        let ctx = context::decode(&ir.inputs, &ctx_json).unwrap();
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new("rules", n), &ctx, |b, ctx| {
            b.iter(|| eval::evaluate(&ir, black_box(ctx), as_of, &reg).unwrap());
        });
        g.bench_with_input(
            BenchmarkId::new("verify_json", n),
            &ctx_json,
            |b, ctx_json| {
                b.iter(|| eval::verify(&ir, black_box(ctx_json), Some(as_of), &reg).unwrap());
            },
        );
    }
    g.finish();
}

fn build_list(c: &mut Criterion) {
    let leaves: Vec<[u8; 32]> = (0..1_000_000).map(|i| leaf("l", i)).collect();
    let csv: String = std::iter::once("entity_id,name\n".to_owned())
        .chain((0..1_000_000).map(|i| format!("DE-HRB-{i},Company {i} GmbH\n")))
        .collect();
    let mut g = c.benchmark_group("list_build");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("from_leaves/1000000", |b| {
        b.iter(|| RefList::from_leaves("l", LeafKind::Hash, black_box(leaves.clone())));
    });
    g.bench_function("parse_csv/1000000", |b| {
        b.iter(|| parse_list("l", black_box(&csv)).unwrap())
    });
    g.finish();
}

fn proofs(c: &mut Criterion) {
    let list = RefList::from_leaves(
        "l",
        LeafKind::Hash,
        (0..1_000_000).map(|i| leaf("l", i)).collect(),
    );
    // 99 hashes not on the list and one on it, as a supplier file would give them.
    let probes: Vec<[u8; 32]> = (0..99)
        .map(|i| leaf("p", i))
        .chain(std::iter::once(leaf("l", 4242)))
        .collect();
    let mut g = c.benchmark_group("proofs");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("absence/100_of_1000000", |b| {
        b.iter(|| {
            for p in &probes {
                black_box(list.prove(black_box(p)));
            }
        });
    });
    g.bench_function("lookup/100_of_1000000", |b| {
        b.iter(|| {
            for p in &probes {
                black_box(list.contains(black_box(p)));
            }
        });
    });
    g.finish();
}

fn adapt(c: &mut Criterion) {
    let ir = policy::compile(POLICY, LintMode::Strict).unwrap().ir;
    let hashes: Vec<String> = (0..1000).map(|i| hex::encode(leaf("c", i))).collect();
    let ctx_json = json!({
        "supplier_hashes": hashes,
        "supplier_regions": [hex::encode(leaf("x", 1))],
        "sanctions_root": hex::encode(leaf("s", 0)),
        "high_risk_root": hex::encode(leaf("r", 0)),
        "audit_dates": ["2025-01-01"],
    });
    let ctx = context::decode(&ir.inputs, &ctx_json).unwrap();
    let as_of = parse_timestamp("2025-06-30T00:00:00Z").unwrap();
    let weights =
        Weights::parse("weights: {no_sanctions: 1, no_conflict_regions: 1, audit_fresh: 3}")
            .unwrap();
    let weighted = WeightedSelector { weights: weights.0 };
    c.bench_function("adapt/select_plan/weighted/1000", |b| {
        b.iter(|| orchestrator::plan(&ir, black_box(&ctx), as_of, &weighted).unwrap());
    });
    c.bench_function("adapt/select_plan/basic/1000", |b| {
        b.iter(|| orchestrator::plan(&ir, black_box(&ctx), as_of, &BasicSelector).unwrap());
    });
}

criterion_group!(benches, compile, evaluate, build_list, proofs, adapt);
criterion_main!(benches);

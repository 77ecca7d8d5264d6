//! Reads one `/verify` context (lksg.v1) into the decoded context and its canonical hash in
//! five ways: proof-core's one-pass cursor (`context::scan`, the service's usual path), its
//! borrowed tree (`doc_from_str_strict_depth`, the fallback), serde_json into a `Value`, and
//! sonic-rs and simd-json into the same `Value` (serde), each followed by the same
//! `context::decode` and `value_sha256`. Every reader is checked to give the same context
//! and hash before it is timed. Sizes: 100 suppliers (the load scripts' request) and 10,000.
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proof_core::eval::{Context, context};
use proof_core::hash::{sha256, value_sha256};
use proof_core::json::{Cursor, doc_from_str_strict_depth};
use proof_core::policy::{self, LintMode};
use std::hint::black_box;
use std::time::Duration;

const POLICY: &str = include_str!("../../../policies/lksg.v1.yml");

fn leaf(tag: &str, i: u64) -> String {
    hex::encode(sha256(format!("{tag}{i}").as_bytes()))
}

fn text(n: u64) -> String {
    let hashes: Vec<String> = (0..n).map(|i| leaf("c", i)).collect();
    let regions: Vec<String> = (0..n.min(20)).map(|i| leaf("r", i)).collect();
    let dates: Vec<String> = (0..n).map(|i| format!("2025-0{}-1{}", 1 + i % 9, i % 10)).collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "supplier_hashes": hashes,
        "supplier_regions": regions,
        "sanctions_root": leaf("s", 0),
        "high_risk_root": leaf("h", 0),
        "audit_dates": dates,
    }))
    .unwrap()
}

fn readers(c: &mut Criterion) {
    let ir = policy::compile(POLICY, LintMode::Strict).unwrap().ir;
    let inputs = &ir.inputs;
    let via_value = |v: &serde_json::Value| -> (Context, String) {
        (context::decode(inputs, v).unwrap(), value_sha256(v).unwrap())
    };
    let mut g = c.benchmark_group("read_context");
    g.sample_size(30).measurement_time(Duration::from_secs(5));
    for n in [100u64, 10_000] {
        let s = text(n);
        let expect = via_value(&serde_json::from_str(&s).unwrap());
        let scan = || {
            let got = context::scan(inputs, &mut Cursor::new(&s), 64).unwrap();
            (got.context, got.hash)
        };
        let tree = || {
            let doc = doc_from_str_strict_depth(&s, 64).unwrap();
            (context::decode(inputs, &doc).unwrap(), value_sha256(&doc).unwrap())
        };
        let serde = || via_value(&serde_json::from_str(&s).unwrap());
        let sonic = || via_value(&sonic_rs::from_str::<serde_json::Value>(&s).unwrap());
        let simd = || {
            let mut bytes = s.as_bytes().to_vec();
            via_value(&simd_json::serde::from_slice::<serde_json::Value>(&mut bytes).unwrap())
        };
        for (name, f) in [
            ("scan (proof-core cursor)", &scan as &dyn Fn() -> (Context, String)),
            ("tree (proof-core Doc)", &tree),
            ("serde_json Value", &serde),
            ("sonic-rs into Value", &sonic),
            ("simd-json into Value", &simd),
        ] {
            assert_eq!(f(), expect, "{name} reads a different context or hash");
            g.throughput(Throughput::Bytes(s.len() as u64));
            g.bench_function(BenchmarkId::new(name, n), |b| b.iter(|| black_box(f())));
        }
    }
    g.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);

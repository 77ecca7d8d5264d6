//! Verification-log appends per second on a store (docs/benchmarks.md): CLIENTS tasks
//! append receipts of `examples/context_fail.json` (lksg.v1) concurrently, first with
//! `receipt_log.max_batch: 1` (the baseline: one transaction per receipt), then with the
//! default group commit, in the same run against the same store.
//!
//! ```console
//! $ cargo run --release -p proof-server --example log_appends -- sqlite:///tmp/log.db 20000 64
//! $ cargo run --release -p proof-server --example log_appends -- postgres://postgres@127.0.0.1/test 20000 64
//! ```
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness"
)]

use proof_core::eval;
use proof_core::lists::{Registry, parse_list};
use proof_core::policy::{self, LintMode};
use proof_evidence::keys::{KeySet, SigningKey};
use proof_evidence::receipt;
use proof_server::config::ReceiptLogSettings;
use proof_server::metrics::Metrics;
use proof_server::receipt_log::ReceiptLog;
use proof_server::store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .expect("usage: log_appends STORE_URL [RECEIPTS] [CLIENTS]");
    let n: usize = args.get(2).map_or(20_000, |a| a.parse().unwrap());
    let clients: usize = args.get(3).map_or(64, |a| a.parse().unwrap());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ir = policy::compile(
        &std::fs::read_to_string(root.join("policies/lksg.v1.yml")).unwrap(),
        LintMode::Strict,
    )
    .unwrap()
    .ir;
    let mut lists = Registry::default();
    for f in ["sanctions-demo.csv", "high-risk-regions.csv"] {
        let text = std::fs::read_to_string(root.join("lists").join(f)).unwrap();
        lists.insert(parse_list(f, &text).unwrap()).unwrap();
    }
    let ctx: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("examples/context_fail.json")).unwrap(),
    )
    .unwrap();
    let report = Arc::new(eval::verify(&ir, &ctx, None, &lists).unwrap());
    let lists = Arc::new(lists);
    let store = Store::connect(url, 16).await.unwrap();
    let keys = Arc::new(KeySet::new(SigningKey::generate().unwrap().0, Vec::new()));
    println!("| store | max_batch | receipts | clients | seconds | appends/s | transactions |");
    println!("|---|---|---|---|---|---|---|");
    for (max_batch, count) in [(1, n / 4), (ReceiptLogSettings::default().max_batch, n)] {
        let metrics = Metrics::new();
        let settings = ReceiptLogSettings {
            max_batch,
            ..ReceiptLogSettings::default()
        };
        let log = ReceiptLog::open(
            store.clone(),
            Arc::clone(&keys),
            &settings,
            metrics.receipt_log.clone(),
        )
        .await
        .unwrap();
        let start = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let (log, report, lists) = (Arc::clone(&log), report.clone(), lists.clone());
                let share = count / clients + usize::from(c < count % clients);
                tokio::spawn(async move {
                    for _ in 0..share {
                        let d = receipt::draft(&report, &lists, None).unwrap();
                        log.append(d).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let scrape = metrics.encode().unwrap();
        let txs = scrape
            .lines()
            .find_map(|l| l.strip_prefix("proof_log_append_duration_seconds_count "))
            .unwrap_or("?")
            .trim()
            .to_owned();
        println!(
            "| {} | {max_batch} | {count} | {clients} | {secs:.2} | **{:.0}** | {txs} |",
            store.kind(),
            count as f64 / secs
        );
    }
}

//! Arbitrary bytes as a context for the shipped lksg.v1 policy, with the shipped lists.
//! Must never panic; a report's verdict must agree with its results.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proof_core::eval::{self, Status};
use proof_core::ir::Ir;
use proof_core::lists::{Registry, parse_list};
use proof_core::policy::{self, LintMode};
use std::sync::OnceLock;

fn setup() -> &'static (Ir, Registry) {
    static S: OnceLock<(Ir, Registry)> = OnceLock::new();
    S.get_or_init(|| {
        let ir = policy::compile(include_str!("../../policies/lksg.v1.yml"), LintMode::Strict).expect("shipped policy compiles").ir;
        let mut reg = Registry::default();
        reg.insert(parse_list("s", include_str!("../../lists/sanctions-demo.csv")).expect("list")).expect("insert");
        reg.insert(parse_list("r", include_str!("../../lists/high-risk-regions.csv")).expect("list")).expect("insert");
        (ir, reg)
    })
}

fuzz_target!(|data: &[u8]| {
    let (ir, reg) = setup();
    let Ok(ctx) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(report) = eval::verify(ir, &ctx, None, reg) {
        let any_fail = report.results.iter().any(|r| r.status == Status::Fail);
        assert_eq!(any_fail, report.verdict != eval::Verdict::Ok);
    }
});

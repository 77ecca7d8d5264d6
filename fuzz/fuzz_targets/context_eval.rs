//! Arbitrary bytes as a context for the shipped lksg.v1 policy and for lksg.v2 (supplier
//! records, macros, `on_list`, `each`), with the shipped lists. Must never panic; a report's
//! verdict must agree with its results; an `each` rule reports no more items than it
//! applied to; and the service's own
//! parser (`json::doc_from_str_strict_depth`) must accept exactly what the serde_json one
//! accepts, with the same value and the same report; and where the one-pass reader
//! (`eval::context::scan`) takes the text, it must decode and hash it as the parsers do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proof_core::eval::{self, Status};
use proof_core::json;
use proof_core::ir::Ir;
use proof_core::lists::{Registry, parse_list};
use proof_core::policy::{self, LintMode};
use std::sync::OnceLock;

fn setup() -> &'static ([Ir; 2], Registry) {
    static S: OnceLock<([Ir; 2], Registry)> = OnceLock::new();
    S.get_or_init(|| {
        let compile = |src: &str| policy::compile(src, LintMode::Strict).expect("shipped policy compiles").ir;
        let irs = [
            compile(include_str!("../../policies/lksg.v1.yml")),
            compile(include_str!("../../policies/lksg.v2.yml")),
        ];
        let mut reg = Registry::default();
        reg.insert(parse_list("s", include_str!("../../lists/sanctions-demo.csv")).expect("list")).expect("insert");
        reg.insert(parse_list("r", include_str!("../../lists/high-risk-regions.csv")).expect("list")).expect("insert");
        (irs, reg)
    })
}

fuzz_target!(|data: &[u8]| {
    let (irs, reg) = setup();
    for ir in irs {
        one(ir, reg, data);
    }
});

fn one(ir: &Ir, reg: &Registry, data: &[u8]) {
    let at = proof_core::temporal::parse_timestamp("2025-06-30T00:00:00Z").ok();
    if let Ok(text) = std::str::from_utf8(data) {
        let doc = json::doc_from_str_strict_depth(text, 64);
        let val = json::from_slice_strict_depth(data, 64);
        assert_eq!(doc.is_ok(), val.is_ok(), "the two parsers disagree on {text:?}");
        let mut cur = json::Cursor::new(text);
        if let Some(scanned) = eval::context::scan(&ir.inputs, &mut cur, 64).filter(|_| cur.at_end()) {
            let v = val.as_ref().expect("the one-pass reader took a text serde_json refuses");
            assert_eq!(Some(&scanned.context), eval::context::decode(&ir.inputs, v).ok().as_ref());
            assert_eq!(Some(scanned.hash), proof_core::hash::value_sha256(v).ok());
        }
        if let (Ok(d), Ok(v)) = (doc, val) {
            assert_eq!(d.to_value(), v);
            let show = |r: Result<eval::Report, eval::EvalError>| r.map(|r| r.to_pretty_json().ok()).map_err(|e| e.to_string());
            assert_eq!(show(eval::verify(ir, &d, at, reg)), show(eval::verify(ir, &v, at, reg)));
        }
    }
    let Ok(ctx) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(report) = eval::verify(ir, &ctx, None, reg) {
        let any_fail = report.results.iter().any(|r| r.status == Status::Fail);
        assert_eq!(any_fail, report.verdict != eval::Verdict::Ok);
        for r in &report.results {
            if let Some(eval::Evidence::Each { applied, failed, items, total }) = &r.evidence {
                assert!(failed <= applied && applied <= total && items.len() <= *failed);
                assert!(items.len() <= eval::MAX_ITEMS);
                assert_eq!(*failed == 0, r.status == Status::Pass);
            }
        }
    }
}

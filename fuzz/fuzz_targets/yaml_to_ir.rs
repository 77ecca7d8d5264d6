//! Policy text → lint → IR → JSON → IR. Must never panic; a compiled IR must survive its
//! own JSON round trip with the same hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proof_core::ir::Ir;
use proof_core::policy::{self, LintMode};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    for mode in [LintMode::Strict, LintMode::Relaxed] {
        if let Ok(c) = policy::compile(src, mode) {
            let json = c.ir.to_pretty_json().expect("compiled IR serialises");
            let back = Ir::from_json_str(&json).expect("compiled IR reads back");
            assert_eq!(back.ir_hash, c.ir.ir_hash);
        }
    }
});

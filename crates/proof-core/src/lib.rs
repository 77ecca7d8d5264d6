//! `proof-core`: the pure library behind `proof`.
//!
//! # Layout
//!
//! The pipeline runs policy text to report, one module per step:
//!
//! - [`policy`]: YAML text → spanned document → policy AST → lints and type check → [`ir::Ir`]
//! - [`ir`]: the IR v1 model, its canonical JSON bytes and its hashes
//! - [`eval`]: context JSON → validated context → evaluation → [`eval::Report`]
//! - [`lists`]: reference lists as Merkle sets, identifier normalisation, the root registry
//! - [`ids`]: typed identifier commitments (LEI, IMO, BIC, VAT, register numbers, name keys)
//! - [`orchestrator`]: rule selection and deterministic, cost-ordered plans (`proof adapt`)
//!
//! Shared pieces: [`diag`] (diagnostics with spans and stable codes), [`hash`] (RFC 8785
//! canonical JSON and `sha256:` digests), [`json`] (strict JSON reading), [`types`] (the value types of the language) and
//! [`temporal`] (dates, durations and timestamps).
//!
//! The crate does no I/O: callers read files and pass text, and pass the evaluation time.
//!
//! # Example
//!
//! ```
//! use proof_core::{policy, eval, lists::Registry};
//!
//! let src = r#"
//! id: demo.v1
//! version: "1"
//! legal_basis: [{directive: LkSG, article: "§ 5"}]
//! inputs:
//!   audit_dates: {type: array, items: date}
//! rules:
//!   - {id: audit_fresh, op: range_max, lhs: "now() - max(audit_dates)", rhs: P365D}
//! "#;
//! let compiled = policy::compile(src, policy::LintMode::Strict).expect("no errors");
//! let ctx: serde_json::Value = serde_json::json!({"audit_dates": ["2024-03-01"]});
//! let as_of = proof_core::temporal::parse_timestamp("2025-03-01T00:00:00Z").expect("valid");
//! let report = eval::verify(&compiled.ir, &ctx, Some(as_of), &Registry::default()).expect("valid context");
//! assert_eq!(report.verdict, eval::Verdict::Ok);
//! ```
#![deny(missing_docs)]

pub mod diag;
pub mod eval;
pub mod hash;
pub mod ids;
pub mod ir;
pub mod json;
pub mod lists;
pub mod orchestrator;
pub mod policy;
pub mod temporal;
pub mod types;

//! The policy compiler: YAML text to IR v1.
//!
//! Steps, one module each: [`yaml`] (text → spanned tree), [`decode`] (tree → policy syntax
//! tree in [`ast`], structural diagnostics), [`expr`] (expression text → syntax tree), [`check`]
//! (types, semantic lints, lowering to [`Ir`]). The language is specified in
//! `docs/policy-language.md`.

pub mod ast;
pub mod check;
pub mod decode;
pub mod expr;
pub mod yaml;

use crate::diag::{Diagnostic, has_errors};
use crate::ir::Ir;
use std::fmt;

/// How strict the lints are. See [`crate::diag::Code::level`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LintMode {
    /// Hygiene findings are errors (the default, and what services use).
    #[default]
    Strict,
    /// Hygiene findings are warnings; type and reference errors stay errors.
    Relaxed,
}

/// A successful compilation.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The IR.
    pub ir: Ir,
    /// Warnings and infos (never errors).
    pub diagnostics: Vec<Diagnostic>,
}

/// A failed compilation: at least one diagnostic is an error.
#[derive(Clone, Debug)]
pub struct CompileError {
    /// All findings, errors first by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<String> = self
            .diagnostics
            .iter()
            .filter(|d| d.level == crate::diag::Level::Error)
            .map(|d| d.render("policy"))
            .collect();
        write!(
            f,
            "policy has {} error(s): {}",
            errors.len(),
            errors.join("; ")
        )
    }
}

impl std::error::Error for CompileError {}

/// Runs every lint and returns the findings, ordered by position then code.
#[must_use]
pub fn lint(src: &str, mode: LintMode) -> Vec<Diagnostic> {
    match run(src, mode) {
        Ok(c) => c.diagnostics,
        Err(e) => e.diagnostics,
    }
}

/// Compiles a policy.
///
/// # Errors
/// [`CompileError`] with every finding when any of them is an error.
pub fn compile(src: &str, mode: LintMode) -> Result<Compiled, CompileError> {
    run(src, mode)
}

fn run(src: &str, mode: LintMode) -> Result<Compiled, CompileError> {
    let relaxed = mode == LintMode::Relaxed;
    let doc = yaml::parse(src).map_err(|d| CompileError {
        diagnostics: vec![d],
    })?;
    let mut d = decode::Decoder::new(src, relaxed);
    let ast = d.policy(&doc);
    let ir = check::check(&mut d, &ast, &doc);
    let mut diagnostics = d.diags;
    diagnostics.sort_by(|a, b| {
        let pos = |x: &Diagnostic| x.span.map_or(0, |s| s.offset);
        pos(a)
            .cmp(&pos(b))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
    });
    match ir {
        Some(ir) if !has_errors(&diagnostics) => Ok(Compiled { ir, diagnostics }),
        _ => Err(CompileError { diagnostics }),
    }
}

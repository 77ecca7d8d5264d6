//! `proof verify`: a context against a policy, to a report.

use crate::exit::Exit;
use crate::load::Inputs;
use anyhow::{Context as _, Result};
use clap::Args;
use proof_core::eval;

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    inputs: Inputs,
}

pub fn run(a: &VerifyArgs) -> Result<Exit> {
    let i = &a.inputs;
    let as_of = i.as_of()?;
    let ir = i.ir()?;
    let lists = i.lists()?;
    let (file, ctx) = i.context_json()?;
    let report = eval::verify(&ir, &ctx, as_of, &lists).with_context(|| format!("`{file}`"))?;
    i.write(&report.to_pretty_json()?)?;
    Ok(report.verdict.into())
}

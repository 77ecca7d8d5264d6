//! `proof verify`: a context against a policy, to a report.

use crate::exit::Exit;
use crate::load::{Dirs, policy_ir, read_text, registry, write_out};
use anyhow::{Context as _, Result, anyhow};
use clap::Args;
use proof_core::eval::{self, Verdict};
use proof_core::temporal::parse_timestamp;
use std::path::PathBuf;

#[derive(Args)]
pub struct VerifyArgs {
    /// A policy id (looked up as DIR/ID.yml) or a policy file (YAML, or compiled IR `.json`).
    #[arg(long)]
    policy: String,
    /// The context JSON file (`-` for standard input).
    #[arg(long)]
    context: PathBuf,
    /// Evaluation time (RFC 3339). Default: the context's `as_of`, else the clock.
    #[arg(long)]
    as_of: Option<String>,
    /// Write the report here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    dirs: Dirs,
}

pub fn run(a: &VerifyArgs) -> Result<Exit> {
    let as_of = a
        .as_of
        .as_deref()
        .map(parse_timestamp)
        .transpose()
        .map_err(|m| anyhow!("--as-of: {m}"))?;
    let ir = policy_ir(&a.policy, &a.dirs.policy_dir)?;
    let lists = registry(a.dirs.lists_dir.as_deref())?;
    let file = a.context.display().to_string();
    let text = read_text(&a.context)?;
    let ctx = proof_core::json::from_str_strict(&text)
        .with_context(|| format!("`{file}` is not valid JSON"))?;
    let report = eval::verify(&ir, &ctx, as_of, &lists).with_context(|| format!("`{file}`"))?;
    write_out(a.output.as_deref(), &report.to_pretty_json()?)?;
    Ok(match report.verdict {
        Verdict::Ok => Exit::Ok,
        Verdict::Warn => Exit::Warn,
        Verdict::Fail => Exit::Fail,
    })
}

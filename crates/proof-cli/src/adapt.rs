//! `proof adapt`: plan which rules a context needs and in which order; with `--dry-run`
//! print the plan, otherwise also evaluate it and print `{plan, report}`.

use crate::exit::Exit;
use crate::load::{Dirs, policy_ir, read_text, registry, write_out};
use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use proof_core::eval::{self, RunOptions, Verdict, context};
use proof_core::orchestrator::{self, BasicSelector, RuleSelector, WeightedSelector, Weights};
use proof_core::temporal::parse_timestamp;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum SelectorArg {
    /// Predicates only; default cost per op.
    Basic,
    /// Predicates, with costs from `--weights`.
    Weighted,
}

#[derive(Args)]
pub struct AdaptArgs {
    /// A policy id (looked up as DIR/ID.yml) or a policy file (YAML or compiled IR `.json`).
    #[arg(long)]
    policy: String,
    /// The context JSON file (`-` for standard input).
    #[arg(long)]
    context: PathBuf,
    /// How rules are selected and priced.
    #[arg(long, value_enum, default_value = "basic")]
    selector: SelectorArg,
    /// Weights file for `--selector weighted`: `weights: {rule_id: cost}`.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Print the plan only; do not evaluate it.
    #[arg(long)]
    dry_run: bool,
    /// Stop at the first failing rule of severity `fail` (the rest are skipped).
    #[arg(long)]
    fail_fast: bool,
    /// Evaluation time (RFC 3339). Default: the context's `as_of`, else the clock.
    #[arg(long)]
    as_of: Option<String>,
    /// Write the output here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    dirs: Dirs,
}

#[derive(Serialize)]
struct Adapted<'a> {
    plan: &'a orchestrator::Plan,
    report: &'a eval::Report,
}

fn selector(a: &AdaptArgs) -> Result<Box<dyn RuleSelector>> {
    match (a.selector, &a.weights) {
        (SelectorArg::Basic, None) => Ok(Box::new(BasicSelector)),
        (SelectorArg::Basic, Some(_)) => bail!("--weights applies to --selector weighted"),
        (SelectorArg::Weighted, None) => bail!("--selector weighted needs --weights FILE"),
        (SelectorArg::Weighted, Some(p)) => {
            let w = Weights::parse(&read_text(p)?).with_context(|| format!("`{}`", p.display()))?;
            Ok(Box::new(WeightedSelector { weights: w.0 }))
        }
    }
}

pub fn run(a: &AdaptArgs) -> Result<Exit> {
    let as_of = a
        .as_of
        .as_deref()
        .map(parse_timestamp)
        .transpose()
        .map_err(|m| anyhow!("--as-of: {m}"))?;
    let sel = selector(a)?;
    let ir = policy_ir(&a.policy, &a.dirs.policy_dir)?;
    let file = a.context.display().to_string();
    let ctx_json = proof_core::json::from_str_strict(&read_text(&a.context)?)
        .with_context(|| format!("`{file}` is not valid JSON"))?;
    if a.dry_run {
        let ctx = context::decode(&ir.inputs, &ctx_json)
            .map_err(|e| anyhow!("`{file}`: invalid context at {e}"))?;
        let at = as_of.or(ctx.as_of).unwrap_or_else(time_now);
        let plan = orchestrator::plan(&ir, &ctx, at, sel.as_ref())?;
        write_out(a.output.as_deref(), &plan.to_pretty_json()?)?;
        return Ok(Exit::Ok);
    }
    let lists = registry(a.dirs.lists_dir.as_deref())?;
    let opts = RunOptions {
        selector: Some(sel.as_ref()),
        fail_fast: a.fail_fast,
    };
    let v = eval::verify_with(&ir, &ctx_json, as_of, &lists, opts)
        .with_context(|| format!("`{file}`"))?;
    let plan = v.plan.as_ref().ok_or_else(|| anyhow!("no plan was made"))?;
    let mut out = serde_json::to_string_pretty(&Adapted {
        plan,
        report: &v.report,
    })?;
    out.push('\n');
    write_out(a.output.as_deref(), &out)?;
    Ok(match v.report.verdict {
        Verdict::Ok => Exit::Ok,
        Verdict::Warn => Exit::Warn,
        Verdict::Fail => Exit::Fail,
    })
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

//! `proof adapt`: plan which rules a context needs and in which order; with `--dry-run`
//! print the plan, otherwise also evaluate it and print `{plan, report}`.

use crate::exit::Exit;
use crate::load::{Inputs, read_text};
use crate::remote::Remote;
use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use proof_core::eval::{self, RunOptions, context};
use proof_core::orchestrator::{self, BasicSelector, RuleSelector, WeightedSelector, Weights};
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
    #[command(flatten)]
    inputs: Inputs,
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
    #[command(flatten)]
    remote: Remote,
}

/// With `--server`: the plan from `POST /proof/adapt`, and unless `--dry-run` the report of
/// `POST /verify` with `options.adaptive` (the server's configured selector decides).
fn remote(a: &AdaptArgs) -> Result<Exit> {
    if a.weights.is_some() || matches!(a.selector, SelectorArg::Weighted) {
        bail!(
            "with --server the server's own selector (adapt.selector) plans; drop --selector/--weights"
        );
    }
    let i = &a.inputs;
    let mut opts = serde_json::Map::new();
    opts.insert("fail_fast".into(), serde_json::json!(a.fail_fast));
    let body = crate::verify::request(i, opts.clone())?;
    let plan = a.remote.post("/proof/adapt", &body, "verify:run")?;
    if a.dry_run {
        i.write(&plan.body)?;
        return Ok(Exit::Ok);
    }
    opts.insert("adaptive".into(), serde_json::json!(true));
    let report = a
        .remote
        .post("/verify", &crate::verify::request(i, opts)?, "verify:run")?;
    let plan: serde_json::Value = serde_json::from_str(&plan.body)?;
    let report: serde_json::Value = serde_json::from_str(&report.body)?;
    let mut out =
        serde_json::to_string_pretty(&serde_json::json!({"plan": plan, "report": report}))?;
    out.push('\n');
    i.write(&out)?;
    crate::verify::verdict_of(&report)
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
    if a.remote.server.is_some() {
        return remote(a);
    }
    let i = &a.inputs;
    let as_of = i.as_of()?;
    let sel = selector(a)?;
    let ir = i.ir()?;
    let (file, ctx_json) = i.context_json()?;
    if a.dry_run {
        let ctx = context::decode(&ir.inputs, &ctx_json)
            .map_err(|e| anyhow!("`{file}`: invalid context at {e}"))?;
        let plan = orchestrator::plan(&ir, &ctx, eval::resolve_as_of(as_of, &ctx), sel.as_ref())?;
        i.write(&plan.to_pretty_json()?)?;
        return Ok(Exit::Ok);
    }
    let lists = i.lists()?;
    let opts = RunOptions {
        selector: Some(sel.as_ref()),
        fail_fast: a.fail_fast,
    };
    let v = eval::verify_with(&ir, &ctx_json, as_of, &lists, opts)
        .map_err(|e| i.eval_error(&file, e, &lists))?;
    let plan = v.plan.as_ref().ok_or_else(|| anyhow!("no plan was made"))?;
    let mut out = serde_json::to_string_pretty(&Adapted {
        plan,
        report: &v.report,
    })?;
    out.push('\n');
    i.write(&out)?;
    Ok(v.report.verdict.into())
}

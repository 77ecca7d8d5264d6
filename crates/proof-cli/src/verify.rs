//! `proof verify`: a context against a policy, to a report.

use crate::exit::Exit;
use crate::load::Inputs;
use crate::remote::Remote;
use anyhow::{Context as _, Result, anyhow};
use clap::Args;
use proof_core::eval;
use serde_json::{Value, json};

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    remote: Remote,
    #[command(flatten)]
    sign: crate::receipt::SignArgs,
}

/// The request body `/verify` and `/proof/adapt` take: a policy id, or (for a policy file)
/// its IR embedded, which the server accepts only with `features.allow_embedded_ir`.
pub fn request(i: &Inputs, options: serde_json::Map<String, Value>) -> Result<Value> {
    let (_, ctx) = i.context_json()?;
    let mut body = serde_json::Map::new();
    if std::path::Path::new(&i.policy).is_file() {
        body.insert("ir".into(), serde_json::to_value(i.ir()?)?);
    } else {
        body.insert("policy_id".into(), json!(i.policy));
    }
    body.insert("context".into(), ctx);
    let mut options = options;
    if let Some(t) = &i.as_of {
        options.insert("as_of".into(), json!(t));
    }
    body.insert("options".into(), Value::Object(options));
    Ok(Value::Object(body))
}

/// The exit code for a report the server sent.
pub fn verdict_of(report: &Value) -> Result<Exit> {
    match report.get("verdict").and_then(Value::as_str) {
        Some("OK") => Ok(Exit::Ok),
        Some("WARN") => Ok(Exit::Warn),
        Some("FAIL") => Ok(Exit::Fail),
        _ => Err(anyhow!("the server's answer has no verdict")),
    }
}

pub fn run(a: &VerifyArgs) -> Result<Exit> {
    let i = &a.inputs;
    a.sign.note_without_disclosure();
    if a.remote.server.is_some() {
        if a.sign.signing_key.is_some() {
            anyhow::bail!(
                "--signing-key signs a local verification; with --server the server signs (its keys are at GET /keys)"
            );
        }
        let mut options = serde_json::Map::new();
        if a.sign.wanted() {
            options.insert("receipt".into(), json!(true));
        }
        if a.sign.proofs {
            options.insert("proofs".into(), json!(true));
        }
        let answer = a
            .remote
            .post("/verify", &request(i, options)?, "verify:run")?;
        if a.sign.wanted() {
            let report = a.sign.write_served(&answer.body)?;
            i.write(&(serde_json::to_string_pretty(&report)? + "\n"))?;
            return verdict_of(&report);
        }
        i.write(&answer.body)?;
        return verdict_of(&serde_json::from_str(&answer.body)?);
    }
    let key = a.sign.key()?;
    let as_of = i.as_of()?;
    let ir = i.ir()?;
    let lists = i.lists()?;
    let (file, ctx) = i.context_json()?;
    let report =
        eval::verify(&ir, &ctx, as_of, &lists).map_err(|e| i.eval_error(&file, e, &lists))?;
    if let Some(key) = &key {
        let c = eval::context::decode(&ir.inputs, &ctx).with_context(|| format!("`{file}`"))?;
        let checked = a
            .sign
            .proofs
            .then(|| eval::membership_inputs(&ir, &c, eval::resolve_as_of(as_of, &c)));
        let stated = eval::stated_inputs(&c);
        a.sign
            .write(key, &report, &lists, checked.as_deref(), stated)?;
    }
    i.write(&report.to_pretty_json()?)?;
    Ok(report.verdict.into())
}

//! `proof report explain`: a report's failed and warned rules, with the designations each
//! found hash matched and, given the private index, the suppliers behind the hashes.

use crate::exit::Exit;
use crate::load::read_text;
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Explain a report: per failed or warned rule, what was found and who it is.
    #[command(after_help = "\
Examples:
  proof report explain report.json
  proof report explain report.json --index idx.json

Without --index the designations each found hash matched are shown (the report carries
them); with the index `proof context build --index` wrote, also the supplier rows.")]
    Explain(ExplainArgs),
}

#[derive(Args)]
pub struct ExplainArgs {
    /// The report (JSON, as `proof verify` or `POST /verify` return it).
    report: PathBuf,
    /// The private index of the context the report is about.
    #[arg(long)]
    index: Option<PathBuf>,
}

pub fn run(c: ReportCommand) -> Result<Exit> {
    match c {
        ReportCommand::Explain(a) => {
            print!("{}", explain(&a)?);
            Ok(Exit::Ok)
        }
    }
}

fn json_file(path: &std::path::Path) -> Result<Value> {
    proof_core::json::from_str_strict(&read_text(path)?)
        .with_context(|| format!("`{}` is not valid JSON", path.display()))
}

/// hash -> (supplier, commitment) rows of an index.
type ByHash<'a> = HashMap<&'a str, Vec<(&'a Value, &'a Vec<Value>)>>;

/// hash -> (supplier, commitment) of an index, or `None` when it is not one.
fn by_hash(idx: &Value) -> Option<ByHash<'_>> {
    if idx.get("index").and_then(Value::as_str) != Some("proof-supplier-index/v1") {
        return None;
    }
    let mut map = ByHash::new();
    for sup in idx.get("suppliers")?.as_array()? {
        for c in sup.get("commitments")?.as_array()? {
            let c = c.as_array()?;
            map.entry(c.first()?.as_str()?).or_default().push((sup, c));
        }
    }
    Some(map)
}

fn explain(a: &ExplainArgs) -> Result<String> {
    let report = json_file(&a.report)?;
    let (Some(verdict), Some(results)) = (
        report.get("verdict").and_then(Value::as_str),
        report.get("results").and_then(Value::as_array),
    ) else {
        bail!(
            "`{}` is not a report (no `verdict` and `results`)",
            a.report.display()
        );
    };
    let index_json = a.index.as_deref().map(json_file).transpose()?;
    let index = match (&index_json, &a.index) {
        (Some(idx), Some(path)) => Some(by_hash(idx).ok_or_else(|| {
            anyhow::anyhow!(
                "`{}` is not a supplier index (`proof context build --index`)",
                path.display()
            )
        })?),
        _ => None,
    };
    // record id -> supplier, for the items of rules over supplier records.
    let records: HashMap<&str, &Value> = index_json
        .iter()
        .filter_map(|idx| idx.get("suppliers").and_then(Value::as_array))
        .flatten()
        .filter_map(|sup| Some((sup.get("record_id")?.as_str()?, sup)))
        .collect();
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut out = String::new();
    writeln!(
        out,
        "{verdict}: policy {} {} at {}",
        s(&report, "policy_id"),
        s(&report, "version"),
        s(&report, "as_of")
    )?;
    let mut shown = 0;
    for r in results {
        if s(r, "status") != "fail" {
            continue;
        }
        shown += 1;
        // A failed rule of severity warn makes the verdict WARN: say it as the verdict does.
        let label = if s(r, "severity") == "warn" {
            "WARN"
        } else {
            "FAIL"
        };
        writeln!(out, "\n{label} {}: {}", s(r, "rule_id"), s(r, "detail"))?;
        let Some(ev) = r.get("evidence") else {
            continue;
        };
        let matched: Vec<&Value> = ev
            .get("matched")
            .and_then(Value::as_array)
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        let found: Vec<String> = ev
            .get("found")
            .and_then(Value::as_array)
            .map(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for h in &found {
            writeln!(out, "  {h}")?;
            let designations = matched
                .iter()
                .find(|m| m.get("hash").and_then(Value::as_str) == Some(h))
                .and_then(|m| m.get("designations"))
                .and_then(Value::as_array);
            match designations {
                Some(ds) => {
                    for d in ds.iter().filter_map(Value::as_str) {
                        writeln!(out, "    designation  {d}")?;
                    }
                }
                None => writeln!(out, "    designation  (the list records none)")?,
            }
            let Some(idx) = &index else { continue };
            match idx.get(h.as_str()) {
                Some(rows) => {
                    for (sup, c) in rows {
                        let field = |i: usize| c.get(i).and_then(Value::as_str).unwrap_or("");
                        writeln!(
                            out,
                            "    supplier     {} {:?} (line {}, {} `{}` = {})",
                            s(sup, "supplier_id"),
                            s(sup, "name"),
                            sup.get("line").and_then(Value::as_u64).unwrap_or(0),
                            field(2),
                            field(4),
                            field(3),
                        )?;
                    }
                }
                None => writeln!(
                    out,
                    "    supplier     not in this index (another context's hash?)"
                )?,
            }
        }
        let items = ev.get("items").and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            let i = item.get("index").and_then(Value::as_u64).unwrap_or(0);
            let key = item.get("key").and_then(Value::as_str);
            let sup = key.and_then(|k| records.get(k));
            match (sup, key) {
                (Some(sup), _) => writeln!(
                    out,
                    "  item [{i}]     supplier {} {:?} (line {})",
                    s(sup, "supplier_id"),
                    s(sup, "name"),
                    sup.get("line").and_then(Value::as_u64).unwrap_or(0),
                )?,
                (None, Some(k)) => writeln!(out, "  item [{i}]     {k}")?,
                (None, None) => writeln!(out, "  item [{i}]")?,
            }
        }
        let failed = ev.get("failed").and_then(Value::as_u64).unwrap_or(0);
        let listed = items.map_or(0, Vec::len) as u64;
        if failed > listed {
            writeln!(
                out,
                "  and {} more items (the report lists the first {listed})",
                failed - listed
            )?;
        }
        if (!found.is_empty() || items.is_some_and(|i| !i.is_empty())) && index.is_none() {
            writeln!(out, "  (give --index to name the suppliers)")?;
        }
    }
    if shown == 0 {
        writeln!(out, "\nno rule failed or warned")?;
    }
    Ok(out)
}

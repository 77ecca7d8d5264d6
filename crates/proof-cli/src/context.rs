//! `proof context build`: supplier master data and list files to a context, and the
//! private index behind its hashes (`docs/suppliers.md`).

use crate::exit::Exit;
use crate::load::{list_file, policy_ir, write_atomic};
use crate::suppliers::{self, Supplier, Target};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use proof_core::types::{Scalar, Type};
use serde_json::{Map as JsonMap, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ContextCommand {
    /// Build a context from a supplier CSV and list files; optionally the private index.
    #[command(after_help = "\
Examples:
  proof context build --policy lksg.v2 --suppliers suppliers.csv \\
      --list sanctions_root=lists/un.csv --list high_risk_root=lists/high-risk-regions.csv \\
      -o ctx.json --index idx.json
  proof context build --policy lksg.v1.1 --suppliers suppliers.csv \\
      --list sanctions_root=lists/un.csv --list high_risk_root=lists/high-risk-regions.csv \\
      -o ctx.json --index idx.json
  proof context build --policy lksg.v1.1 --suppliers export.csv --map map.yaml ...
  proof screen --suppliers suppliers.csv --lists-dir lists -o screening.json
  proof context build --policy lksg.v1.2 --suppliers suppliers.csv --screening screening.json \\
      --list sanctions_root=lists/un.csv --list high_risk_root=lists/high-risk-regions.csv -o ctx.json

Supplier columns (docs/suppliers.md): supplier_id and name (required), country, lei, vat,
imo, imo_company, bic, register_country with register_no, last_audit. A mapping file names other
columns. Identifier hashes go to supplier_hashes, name and strict keys (candidates for
review) to supplier_name_keys, countries to supplier_regions, audits to audit_dates; only
the inputs the policy declares are written. A policy whose input is an array of supplier
records (lksg.v2) gets one record per supplier instead: id (the committed supplier_id), ids,
name_keys, region, last_audit, as its record type declares them; the index then maps each
record id back to its supplier. A policy with screening_* inputs (lksg.v1.2)
takes them from --screening: a full `proof screen` of the same supplier file that covered
the sanctions_root list (docs/screening.md). The index maps every hash back to its
supplier: keep it inside the company, it undoes the commitments.

Nothing is written when a value is invalid (exit 1).")]
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// The policy the context is for (an id looked up in --policy-dir, or a file).
    #[arg(long)]
    policy: String,
    /// Where policy ids are looked up.
    #[arg(long, env = "PROOF_POLICY_DIR", default_value = "policies")]
    policy_dir: PathBuf,
    /// The supplier master data (CSV with a header line).
    #[arg(long)]
    suppliers: PathBuf,
    /// A mapping file (YAML): `columns: {FIELD: HEADER, ...}` and `delimiter`.
    #[arg(long)]
    map: Option<PathBuf>,
    /// INPUT=FILE: fill the policy's hex input INPUT with the root of the list FILE
    /// (repeat for each list).
    #[arg(long = "list", value_name = "INPUT=FILE")]
    lists: Vec<String>,
    /// The context's `as_of` (RFC 3339). Default: the clock.
    #[arg(long)]
    as_of: Option<String>,
    /// The context file to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Also write the private index: hash -> supplier rows.
    #[arg(long)]
    index: Option<PathBuf>,
    /// A screening of the same supplier file (`proof screen -o`): fills the policy's
    /// `screening_*` inputs (statement digest, root, matcher, threshold, open candidates).
    #[arg(long)]
    screening: Option<PathBuf>,
}

pub fn run(c: ContextCommand) -> Result<Exit> {
    match c {
        ContextCommand::Build(a) => build(&a),
    }
}

/// Sorted, distinct hashes as a JSON array value.
fn hexs(mut v: Vec<[u8; 32]>) -> Value {
    v.sort_unstable();
    v.dedup();
    Value::Array(v.iter().map(|h| Value::String(hex::encode(h))).collect())
}

fn build(a: &BuildArgs) -> Result<Exit> {
    let ir = policy_ir(&a.policy, &a.policy_dir)?;
    let (rows, source_sha256) = suppliers::read_file(&a.suppliers, a.map.as_deref())?;
    let as_of = match &a.as_of {
        Some(t) => {
            proof_core::temporal::parse_timestamp(t).map_err(|m| anyhow::anyhow!("--as-of: {m}"))?
        }
        None => time::OffsetDateTime::now_utc().replace_nanosecond(0)?,
    };
    let mut filled: BTreeMap<String, Value> = BTreeMap::new();
    let mut sets: BTreeMap<Target, Vec<[u8; 32]>> = BTreeMap::new();
    let mut audits: Vec<String> = Vec::new();
    for s in &rows {
        for c in &s.commitments {
            sets.entry(c.target).or_default().push(c.hash);
        }
        audits.extend(s.last_audit.clone());
    }
    audits.sort();
    for t in [Target::Ids, Target::NameKeys, Target::Regions] {
        filled.insert(t.input().into(), hexs(sets.remove(&t).unwrap_or_default()));
    }
    filled.insert("audit_dates".into(), json!(audits));
    let mut records = false;
    let mut record_keys = false;
    for (name, decl) in &ir.inputs {
        if let Some(v) = supplier_records(name, &decl.ty, &rows)? {
            filled.insert(name.clone(), v);
            records = true;
            record_keys |=
                matches!(decl.ty.item(), Some(Type::Record(r)) if r.field("name_keys").is_some());
        }
    }
    if records {
        // The records carry the commitments; the parallel arrays are for policies without
        // records.
        let keys = filled.remove(Target::NameKeys.input());
        for t in [Target::Ids, Target::Regions] {
            filled.remove(t.input());
        }
        filled.remove("audit_dates");
        if !record_keys
            && keys
                .as_ref()
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        {
            eprintln!(
                "note: the policy's supplier records declare no `name_keys`, so the suppliers' name keys are not in the context and not checked"
            );
        }
    }
    let mut list_sources = Vec::new();
    for spec in &a.lists {
        let Some((input, file)) = spec.split_once('=') else {
            bail!("--list `{spec}`: INPUT=FILE expected, e.g. sanctions_root=lists/un.csv");
        };
        let Some(decl) = ir.inputs.get(input) else {
            bail!(
                "--list `{spec}`: the policy `{}` has no input `{input}`",
                ir.policy_id
            );
        };
        if decl.ty != Type::Scalar(Scalar::Hex) {
            bail!("--list `{spec}`: `{input}` is not a hex input (a list root)");
        }
        let list = list_file(&PathBuf::from(file))?;
        // Entity leaves (`proof commit --kind entity`) are never a typed identifier, a name
        // key or a region: a rule checking supplier commitments against them cannot hit.
        if list.kind == proof_core::lists::LeafKind::Entity {
            eprintln!(
                "note: `{file}` is an `entity` list; no typed identifier, name key or region of a supplier can be on it (import official lists with `proof lists import`)"
            );
        }
        filled.insert(input.into(), json!(list.root_hex()));
        list_sources.push((input.to_owned(), file.to_owned(), list.name.clone()));
    }
    let wants_screening = ir
        .inputs
        .keys()
        .any(|k| k.starts_with(proof_core::eval::STATED_PREFIX));
    match &a.screening {
        Some(path) if wants_screening => {
            for (k, v) in screening_inputs(path, &source_sha256, &filled)? {
                filled.insert(k, v);
            }
        }
        Some(path) => eprintln!(
            "note: the policy `{}` declares no screening inputs, so `{}` is not in the context",
            ir.policy_id,
            path.display()
        ),
        None if wants_screening => bail!(
            "the policy `{}` states a name screening (its `screening_*` inputs): give --screening FILE, written by `proof screen` for the same supplier file",
            ir.policy_id
        ),
        None => {}
    }
    let mut ctx = JsonMap::new();
    let mut unchecked = Vec::new();
    for (name, decl) in &ir.inputs {
        match filled.remove(name) {
            Some(v) => {
                ctx.insert(name.clone(), v);
            }
            None if decl.ty == Type::Scalar(Scalar::Hex) => {
                bail!("the policy's input `{name}` is a list root: give --list {name}=FILE")
            }
            None => bail!(
                "the policy's input `{name}` is not one `proof context build` fills (it fills {}, and list roots with --list)",
                [Target::Ids, Target::NameKeys, Target::Regions]
                    .map(Target::input)
                    .join(", ")
                    + ", audit_dates, an array of supplier records, and list roots with --list"
            ),
        }
    }
    for (name, v) in &filled {
        if v.as_array().is_some_and(|a| !a.is_empty()) {
            unchecked.push(name.clone());
        }
    }
    ctx.insert(
        "as_of".into(),
        json!(proof_core::temporal::format_timestamp(as_of)),
    );
    let text = serde_json::to_string_pretty(&Value::Object(ctx))? + "\n";
    let index = a
        .index
        .as_ref()
        .map(|_| index_json(&a.suppliers, &source_sha256, &rows, &list_sources, records))
        .transpose()?;
    write_atomic(&a.output, &text)?;
    if let (Some(path), Some(idx)) = (&a.index, index) {
        write_atomic(path, &idx)?;
    }
    let ids = rows.iter().map(|s| s.commitments.len()).sum::<usize>();
    eprintln!(
        "{}: {} suppliers, {ids} commitments, for policy {} {}",
        a.output.display(),
        rows.len(),
        ir.policy_id,
        ir.version
    );
    for name in unchecked {
        eprintln!(
            "note: the policy declares no `{name}`, so those commitments are not in the context and not checked"
        );
    }
    Ok(Exit::Ok)
}

/// The record fields `proof context build` fills, with their types (`docs/suppliers.md`).
const RECORD_FIELDS: [(&str, &str); 5] = [
    ("id", "hex"),
    ("ids", "array<hex>"),
    ("name_keys", "array<hex>"),
    ("region", "hex"),
    ("last_audit", "date"),
];

/// A supplier's `id` in a record: the entity commitment of its `supplier_id`, which the
/// index maps back.
fn record_id(s: &Supplier) -> Result<[u8; 32]> {
    proof_core::lists::commit(proof_core::lists::Kind::Entity, &s.id)
        .map_err(|m| anyhow::anyhow!("line {}: supplier_id `{}`: {m}", s.line, s.id))
}

/// For an input that is an array of records: one record per supplier, sorted by `id`,
/// with the fields the record type declares. `None` for other inputs.
fn supplier_records(input: &str, ty: &Type, rows: &[Supplier]) -> Result<Option<Value>> {
    let Some(Type::Record(rec)) = ty.item() else {
        return Ok(None);
    };
    for f in &rec.fields {
        let want = RECORD_FIELDS.iter().find(|(n, _)| *n == f.name);
        match want {
            Some((_, t)) if f.ty.to_string() == *t => {}
            Some((n, t)) => bail!(
                "the policy's `{input}` records declare `{n}` as `{}`; `proof context build` writes it as `{t}`",
                f.ty
            ),
            None => bail!(
                "the policy's `{input}` records declare `{}`, which `proof context build` does not fill (it fills {})",
                f.name,
                RECORD_FIELDS.map(|(n, t)| format!("{n}: {t}")).join(", ")
            ),
        }
    }
    let wants = |n: &str| rec.field(n).map(|(_, f)| f.optional);
    let mut out: Vec<([u8; 32], JsonMap<String, Value>)> = Vec::with_capacity(rows.len());
    for s in rows {
        let id = record_id(s)?;
        let mut r = JsonMap::new();
        let of = |t: Target| -> Vec<[u8; 32]> {
            s.commitments
                .iter()
                .filter(|c| c.target == t)
                .map(|c| c.hash)
                .collect()
        };
        if wants("id").is_some() {
            r.insert("id".into(), json!(hex::encode(id)));
        }
        if wants("ids").is_some() {
            r.insert("ids".into(), hexs(of(Target::Ids)));
        }
        if wants("name_keys").is_some() {
            r.insert("name_keys".into(), hexs(of(Target::NameKeys)));
        }
        let region = of(Target::Regions).first().copied();
        for (field, value) in [
            ("region", region.map(|h| json!(hex::encode(h)))),
            ("last_audit", s.last_audit.as_ref().map(|d| json!(d))),
        ] {
            match (wants(field), value) {
                (None, _) => {}
                (Some(_), Some(v)) => {
                    r.insert(field.into(), v);
                }
                (Some(true), None) => {}
                (Some(false), None) => bail!(
                    "line {}: supplier `{}` has no `{field}`, which the policy's `{input}` records require",
                    s.line,
                    s.id
                ),
            }
        }
        out.push((id, r));
    }
    out.sort_by_key(|r| r.0);
    Ok(Some(Value::Array(
        out.into_iter().map(|(_, r)| Value::Object(r)).collect(),
    )))
}

/// The `screening_*` inputs from a screening file (`docs/screening.md`, "The screening
/// statement"): it must be a full screening of the same supplier file (by SHA-256), its
/// statement must have the digest it carries, and it must cover the list given for
/// `sanctions_root`, whose root becomes `screening_root`.
#[allow(
    clippy::indexing_slicing,
    reason = "a serde_json::Value indexed by a key is Null when the key is absent; it never panics"
)]
fn screening_inputs(
    path: &std::path::Path,
    suppliers_sha256: &str,
    filled: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>> {
    let shown = path.display();
    let s = crate::load::read_json(path, "a screening written by `proof screen`")?;
    if s["screening"] != proof_screen::FORMAT {
        bail!(
            "`{shown}` is not a screening file (`screening: {}` expected)",
            proof_screen::FORMAT
        );
    }
    if s["statement"]["scope"] != "full" {
        bail!(
            "`{shown}` is a re-screen (--since): it reports only what changed; build the context from a full screening"
        );
    }
    if s["suppliers"]["sha256"] != suppliers_sha256 {
        bail!(
            "`{shown}` screened another supplier file (sha256 {}, this one is {suppliers_sha256}): screen this file",
            s["suppliers"]["sha256"]
        );
    }
    let digest = proof_screen::screen::digest(&s["statement"]);
    if s["statement_digest"] != digest.as_str() {
        bail!(
            "`{shown}`: the statement does not have the digest it carries (edited?): {} vs {digest}",
            s["statement_digest"]
        );
    }
    let candidates = s["candidates"].as_array().cloned().unwrap_or_default();
    let open = candidates.iter().filter(|c| c["status"] == "open").count();
    let counts = &s["statement"]["counts"];
    if counts["open"].as_u64() != u64::try_from(open).ok()
        || counts["candidates"].as_u64() != u64::try_from(candidates.len()).ok()
    {
        bail!(
            "`{shown}`: the statement counts {} candidates, {} open, but the file lists {} candidates, {open} open",
            counts["candidates"],
            counts["open"],
            candidates.len()
        );
    }
    let Some(sanctions) = filled.get("sanctions_root").and_then(Value::as_str) else {
        bail!("a screening is checked against the sanctions list: give --list sanctions_root=FILE");
    };
    let lists = s["statement"]["lists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !lists.iter().any(|l| l["root"] == sanctions) {
        let covered: Vec<String> = lists
            .iter()
            .map(|l| {
                format!(
                    "{} {}",
                    l["name"].as_str().unwrap_or("?"),
                    l["root"].as_str().unwrap_or("?")
                )
            })
            .collect();
        bail!(
            "`{shown}` did not screen against the list given for sanctions_root (root {sanctions}); it covered: {}. Screen against the same list file",
            covered.join(", ")
        );
    }
    let mut out = BTreeMap::new();
    out.insert("screening_statement".into(), json!(digest));
    out.insert("screening_root".into(), json!(sanctions));
    out.insert(
        "screening_matcher".into(),
        s["statement"]["matcher"].clone(),
    );
    out.insert(
        "screening_threshold".into(),
        s["statement"]["threshold"].clone(),
    );
    out.insert(
        "screening_open_candidates".into(),
        s["statement"]["counts"]["open"].clone(),
    );
    Ok(out)
}

/// A JSON string literal.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The private index: every supplier row with its commitments (hash, input, scheme,
/// canonical value, column), in file order. Written directly rather than through a JSON
/// tree: an index of 100,000 suppliers has close to a million commitments.
fn index_json(
    file: &std::path::Path,
    sha256: &str,
    rows: &[Supplier],
    lists: &[(String, String, String)],
    records: bool,
) -> Result<String> {
    let mut out = String::with_capacity(rows.len() * 1_000);
    out.push_str("{\n  \"index\": \"proof-supplier-index/v1\",\n");
    out.push_str("  \"warning\": \"private: maps commitments back to suppliers; do not hand out with a context or report\",\n");
    let name = file.file_name().map(|f| f.to_string_lossy().into_owned());
    writeln!(
        out,
        "  \"source\": {{\"file\": {}, \"sha256\": \"{}\", \"rows\": {}}},",
        q(name.as_deref().unwrap_or("")),
        sha256,
        rows.len()
    )?;
    let lists: Vec<String> = lists
        .iter()
        .map(|(input, file, name)| {
            format!(
                "{{\"input\": {}, \"file\": {}, \"name\": {}}}",
                q(input),
                q(file),
                q(name)
            )
        })
        .collect();
    writeln!(out, "  \"lists\": [{}],", lists.join(", "))?;
    out.push_str("  \"columns\": [\"hash\", \"input\", \"scheme\", \"value\", \"column\"],\n");
    out.push_str("  \"suppliers\": [");
    for (i, s) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let record_id = if records {
            format!(", \"record_id\": \"{}\"", hex::encode(record_id(s)?))
        } else {
            String::new()
        };
        write!(
            out,
            "\n    {{\"supplier_id\": {}, \"name\": {}, \"line\": {}{record_id}, \"commitments\": [",
            q(&s.id),
            q(&s.name),
            s.line
        )?;
        for (j, c) in s.commitments.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            write!(
                out,
                "\n      [\"{}\", \"{}\", {}, {}, {}]",
                hex::encode(c.hash),
                c.target.input(),
                q(&c.scheme),
                q(&c.value),
                q(&c.column)
            )?;
        }
        out.push_str("\n    ]}");
    }
    out.push_str("\n  ]\n}\n");
    Ok(out)
}

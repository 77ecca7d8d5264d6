//! `proof lists root` and `proof lists import`.

use crate::exit::Exit;
use crate::load::{list_file, write_atomic};
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use proof_import::{Format, Input, Options, import, output};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ListsCommand {
    /// Print a list file's Merkle root (64 hex digits), the value a context names it by.
    Root(RootArgs),
    /// Import official list files into a list file `proof` loads (docs/lists.md).
    #[command(after_help = "\
Examples:
  proof lists import --format un-sc-xml consolidated.xml -o lists/un-sc.csv
  proof lists import --format ofac-sdn-csv sdn.csv alt.csv sdn_comments.csv -o lists/ofac-sdn.csv
  proof lists import --format eu-fsf-xml 20260805-FULL-1_1.xml -o lists/eu-fsf.csv --skip-invalid

Nothing is written when the import fails (exit 1).")]
    Import(ImportArgs),
}

#[derive(Args)]
pub struct RootArgs {
    /// A list file: CSV with an `entity_id` or `region` column, a typed-identifier list
    /// (`scheme,value,...`), or one hash per line.
    file: PathBuf,
    /// Print name, kind, sizes, provenance and root as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The official format: eu-fsf-xml, un-sc-xml, ofac-sdn-csv, uk-fcdo-xml,
    /// opensanctions-ftm.
    #[arg(long)]
    format: String,
    /// The official file(s). ofac-sdn-csv takes sdn.csv with alt.csv, sdn_comments.csv
    /// and add.csv, recognised by name.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The list file to write (the list is named after its stem unless --name).
    #[arg(short, long)]
    output: PathBuf,
    /// The list's name (default: the output file's stem).
    #[arg(long)]
    name: Option<String>,
    /// Keep weak aliases (EU strong="false", UN QUALITY Low, UK low-quality a.k.a.,
    /// OpenSanctions weakAlias).
    #[arg(long)]
    weak_aliases: bool,
    /// Leave out malformed identifiers (and designations without a valid id or name)
    /// instead of failing; each is counted and listed in the file's header.
    #[arg(long)]
    skip_invalid: bool,
    /// Fail when fewer designations are read (default: the format's floor for a complete
    /// official file, docs/lists.md).
    #[arg(long)]
    min_entries: Option<usize>,
}

pub fn run(cmd: ListsCommand) -> Result<Exit> {
    match cmd {
        ListsCommand::Root(a) => root(&a),
        ListsCommand::Import(a) => import_files(&a),
    }
}

fn root(a: &RootArgs) -> Result<Exit> {
    let list = list_file(&a.file)?;
    if a.json {
        let doc = serde_json::json!({
            "name": list.name,
            "kind": list.kind.name(),
            "entries": list.entries,
            "distinct": list.len(),
            "root": list.root_hex(),
            "meta": list.meta,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("{}", list.root_hex());
    }
    Ok(Exit::Ok)
}

fn import_files(a: &ImportArgs) -> Result<Exit> {
    let format = Format::parse(&a.format).map_err(anyhow::Error::msg)?;
    let mut inputs = Vec::with_capacity(a.files.len());
    for f in &a.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read `{}`", f.display()))?;
        let name = f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        inputs.push(Input { name, bytes });
    }
    let opts = Options {
        weak_aliases: a.weak_aliases,
        skip_invalid: a.skip_invalid,
        min_entries: a.min_entries,
    };
    let imp = import(format, &inputs, &opts)?;
    let name = match &a.name {
        Some(n) => n.clone(),
        None => a
            .output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format.label().to_owned()),
    };
    if name.trim().is_empty() || name.contains(['\n', '\r']) {
        bail!("--name must be a non-empty single line");
    }
    let text = output::render(&name, &imp)?;
    // The file must load back to the root its header states: what is written is what an
    // auditor rebuilds and the verifier serves.
    let list = proof_core::lists::parse_list(&name, &text)
        .map_err(|e| anyhow::anyhow!("the imported list does not load back: {e}"))?;
    let stated = list.meta.get("root").map_or("", String::as_str);
    if list.root_hex() != stated {
        bail!(
            "the imported list loads back to root {}, not the {stated} its header states; nothing written",
            list.root_hex()
        );
    }
    write_atomic(&a.output, &text)?;
    eprintln!(
        "{}: {} designations read, {} emitted, {} left out whole, {} identifiers left out; {} rows, {} leaves; root {}",
        a.output.display(),
        imp.read,
        imp.emitted,
        imp.entries_rejected,
        imp.values_rejected,
        imp.rows.len(),
        list.len(),
        list.root_hex()
    );
    Ok(Exit::Ok)
}

//! `proof lists root`, `proof lists import` and `proof lists publish`.

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
    /// Publish a list file to a running `proof serve` as a new version of that list: every
    /// replica serves it within a poll interval (docs/lists-service.md).
    #[command(after_help = "\
Examples:
  proof lists publish lists/un.csv --server https://proof.example.com \\
      --token-url https://idp.example.com/token --client-id list-publisher
  proof lists publish lists/eu-fsf.csv --version 2026-12-01 --server http://127.0.0.1:8080

The server recomputes the root; a version that already exists is refused (exit 1).
Needs the scope lists:write.")]
    Publish(PublishArgs),
}

#[derive(Args)]
pub struct PublishArgs {
    /// The list file (as `proof lists import` writes it).
    file: PathBuf,
    /// The version to publish it as, unique per list (default: the file's
    /// `# publisher_date:` header).
    #[arg(long)]
    version: Option<String>,
    /// The list's name (default: the file's `# name:` header, else its stem).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    remote: crate::remote::Remote,
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
        ListsCommand::Publish(a) => publish(&a),
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

fn publish(a: &PublishArgs) -> Result<Exit> {
    if a.remote.server.is_none() {
        bail!("`proof lists publish` needs --server (or PROOF_SERVER)");
    }
    // Checked here first, so that a broken file gets its line number without a round trip.
    let list = list_file(&a.file)?;
    let version = match (&a.version, list.meta.get("publisher_date")) {
        (Some(v), _) => v.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => bail!(
            "`{}` has no `# publisher_date:` header; give --version",
            a.file.display()
        ),
    };
    let name = a.name.clone().unwrap_or_else(|| list.name.clone());
    let body =
        std::fs::read(&a.file).with_context(|| format!("cannot read `{}`", a.file.display()))?;
    let path = format!(
        "/lists?name={}&version={}",
        query_escape(&name),
        query_escape(&version)
    );
    let answer = a
        .remote
        .post_bytes(&path, "text/csv", body, "lists:write")?;
    let v: serde_json::Value =
        serde_json::from_str(&answer.body).context("the server did not answer JSON")?;
    let field = |k: &str| match v.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    println!(
        "published list `{}` version `{}`: {} leaves, root {}",
        field("name"),
        field("version"),
        field("size"),
        field("root")
    );
    Ok(Exit::Ok)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

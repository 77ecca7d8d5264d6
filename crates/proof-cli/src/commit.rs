//! `proof commit`: identifiers to the hashes a context carries.

use crate::exit::Exit;
use crate::load::read_text;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use proof_core::lists::{Kind, commit};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// Company or person identifiers (normalised: NFKC, lowercase, whitespace collapsed).
    Entity,
    /// ISO 3166-1 alpha-2 codes.
    Region,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutFormat {
    /// One hash per line, in input order.
    Text,
    /// A JSON array of hashes, ready to paste into a context.
    Json,
}

#[derive(Args)]
pub struct CommitArgs {
    /// What the lines are.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// One identifier per line (`-` or nothing: standard input). Blank lines and lines
    /// starting with `#` are skipped.
    file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutFormat,
}

pub fn run(a: &CommitArgs) -> Result<Exit> {
    let path = a.file.clone().unwrap_or_else(|| PathBuf::from("-"));
    let text = read_text(&path)?;
    let kind = match a.kind {
        KindArg::Entity => Kind::Entity,
        KindArg::Region => Kind::Region,
    };
    let mut hashes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match commit(kind, t) {
            Ok(h) => hashes.push(hex::encode(h)),
            Err(m) => bail!("{}:{}: {m}", path.display(), i + 1),
        }
    }
    match a.format {
        OutFormat::Text => hashes.iter().for_each(|h| println!("{h}")),
        OutFormat::Json => println!("{}", serde_json::to_string_pretty(&hashes)?),
    }
    Ok(Exit::Ok)
}

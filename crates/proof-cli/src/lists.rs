//! `proof lists root`.

use crate::exit::Exit;
use crate::load::list_file;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ListsCommand {
    /// Print a list file's Merkle root (64 hex digits), the value a context names it by.
    Root(RootArgs),
}

#[derive(Args)]
pub struct RootArgs {
    /// A list file: CSV with an `entity_id` or `region` column, or one hash per line.
    file: PathBuf,
    /// Print name, kind, sizes, provenance and root as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: ListsCommand) -> Result<Exit> {
    let ListsCommand::Root(a) = cmd;
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

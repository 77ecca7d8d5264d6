//! `proof log`: the verification log from the outside (docs/log.md). `checkpoint` fetches
//! the latest signed checkpoint, `verify` checks that two checkpoints are consistent,
//! `export` writes a self-verifying bundle of a range of entries for the archive, and
//! `verify-bundle` checks one offline.

use crate::exit::{Exit, report_checks};
use crate::keys::read_public_keys;
use crate::load::{read_json, read_text};
use crate::remote::Remote;
use anyhow::{Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use proof_core::lists::merkle;
use proof_evidence::note::Checkpoint;
use proof_evidence::{dsse, receipt, tlog};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The `_type` of an exported bundle.
pub const BUNDLE_TYPE: &str = "urn:proof:log-bundle:v1";

#[derive(Subcommand)]
pub enum LogCommand {
    /// Fetch the log's latest signed checkpoint (C2SP tlog-checkpoint).
    #[command(
        after_help = "Example:\n  proof log checkpoint --server https://proof.example.com -o cp-1.txt"
    )]
    Checkpoint(CheckpointArgs),
    /// Check that an older checkpoint is a prefix of a newer one (no fork, nothing removed).
    #[command(after_help = "\
Examples:
  proof log verify cp-1.txt cp-2.txt --keys keys.json --server https://proof.example.com
  proof log verify cp-1.txt cp-2.txt --keys keys.json --proof consistency.json

The consistency proof comes from the server (GET /log/proof/consistency) or a file.
Exit 0: consistent; 3: not (the reason is printed); 1: an input cannot be read.")]
    Verify(VerifyArgs),
    /// Write the entries FROM..TO (receipts with inclusion proofs against the latest
    /// checkpoint) as one self-verifying bundle, for the archive.
    #[command(
        after_help = "Example:\n  proof log export --server https://proof.example.com --from 0 --to 1000 -o log-0-1000.json"
    )]
    Export(ExportArgs),
    /// Check an exported bundle offline: the checkpoint's signature, every receipt's
    /// signature and log position, every inclusion proof.
    #[command(after_help = "\
Example:
  proof log verify-bundle log-0-1000.json --keys keys.json

Exit 0: valid; 3: not valid (the reason is printed); 1: an input cannot be read.")]
    VerifyBundle(VerifyBundleArgs),
}

#[derive(Args)]
pub struct CheckpointArgs {
    #[command(flatten)]
    remote: Remote,
    /// Write it here (default: stdout).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The older checkpoint (a signed note).
    old: PathBuf,
    /// The newer checkpoint.
    new: PathBuf,
    /// The published public keys (a JWK set, as `proof keys export` prints it).
    #[arg(long)]
    keys: PathBuf,
    /// The consistency proof (JSON `{from, to, hashes}`, as GET /log/proof/consistency
    /// answers); without it, it is fetched with --server.
    #[arg(long)]
    proof: Option<PathBuf>,
    #[command(flatten)]
    remote: Remote,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    remote: Remote,
    /// The first entry.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// One past the last entry (default: the log's size).
    #[arg(long)]
    to: Option<u64>,
    /// The bundle file.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Args)]
pub struct VerifyBundleArgs {
    /// The bundle (from `proof log export`).
    bundle: PathBuf,
    /// The published public keys (a JWK set).
    #[arg(long)]
    keys: PathBuf,
}

pub fn run(cmd: LogCommand) -> Result<Exit> {
    match cmd {
        LogCommand::Checkpoint(a) => {
            let note = a.remote.get("/log/checkpoint", "log:read")?.body;
            match &a.output {
                Some(p) => crate::load::write_atomic(p, &note)?,
                None => print!("{note}"),
            }
            Ok(Exit::Ok)
        }
        LogCommand::Verify(a) => verify(&a),
        LogCommand::Export(a) => export(&a),
        LogCommand::VerifyBundle(a) => verify_bundle(&a),
    }
}

/// A checkpoint file: its note and the checkpoint in it (not yet verified).
pub fn checkpoint_file(path: &Path) -> Result<(String, Checkpoint)> {
    let text = read_text(path)?;
    let c = Checkpoint::of_note(&text).map_err(|e| anyhow!("`{}`: {e}", path.display()))?;
    Ok((text, c))
}

/// The hashes of a `{from, to, hashes}` proof answer, checked to be for `from` and `to`.
pub fn consistency_hashes(v: &Value, from: u64, to: u64) -> Result<Vec<merkle::Hash>, String> {
    if v.get("from").and_then(Value::as_u64) != Some(from)
        || v.get("to").and_then(Value::as_u64) != Some(to)
    {
        return Err(format!("the consistency proof is not from {from} to {to}"));
    }
    tlog::hashes_in(v.get("hashes").unwrap_or(&Value::Null))
}

fn verify(a: &VerifyArgs) -> Result<Exit> {
    let keys = read_public_keys(&a.keys)?;
    let (old_note, old) = checkpoint_file(&a.old)?;
    let (new_note, new) = checkpoint_file(&a.new)?;
    let proof = match &a.proof {
        Some(p) => read_json(p, "a consistency proof")?,
        None if a.remote.server.is_some() => serde_json::from_str(
            &a.remote
                .get(
                    &format!("/log/proof/consistency?from={}&to={}", old.size, new.size),
                    "log:read",
                )?
                .body,
        )?,
        None => bail!("give the consistency proof with --proof, or --server to fetch it"),
    };
    let mut held = Vec::new();
    for (what, text, c) in [("old", &old_note, &old), ("new", &new_note, &new)] {
        if let Err(e) = Checkpoint::open(text, &old.origin, &keys) {
            return Ok(report_checks(
                &held,
                Some(&format!("{what} checkpoint: {e}")),
            ));
        }
        held.push(format!(
            "{what} checkpoint: `{}` size {}, signed by a published key",
            c.origin, c.size
        ));
    }
    let result = consistency_hashes(&proof, old.size, new.size)
        .and_then(|h| tlog::consistent(&old, &new, &h));
    match result {
        Ok(()) => {
            held.push(format!(
                "consistent: the tree of size {} is a prefix of the tree of size {}",
                old.size, new.size
            ));
            Ok(report_checks(&held, None))
        }
        Err(e) => Ok(report_checks(&held, Some(&e))),
    }
}

fn export(a: &ExportArgs) -> Result<Exit> {
    let note = a.remote.get("/log/checkpoint", "log:read")?.body;
    let c = Checkpoint::of_note(&note).map_err(|e| anyhow!("the checkpoint: {e}"))?;
    let to = a.to.unwrap_or(c.size);
    if a.from > to {
        bail!(
            "--from {} is beyond --to {to}: the range is FROM..TO, FROM included",
            a.from
        );
    }
    if to > c.size {
        bail!(
            "the range {}..{to} is not within the log's {} entries",
            a.from,
            c.size
        );
    }
    let mut entries = Vec::new();
    for index in a.from..to {
        let e: Value = serde_json::from_str(
            &a.remote
                .get(&format!("/log/entries/{index}"), "log:read")?
                .body,
        )?;
        let p: Value = serde_json::from_str(
            &a.remote
                .get(
                    &format!("/log/proof/inclusion?index={index}&size={}", c.size),
                    "log:read",
                )?
                .body,
        )?;
        entries.push(json!({
            "index": index,
            "created_at": e.get("created_at"),
            "receipt": e.get("receipt"),
            "proof": p.get("hashes"),
        }));
    }
    let bundle = json!({
        "_type": BUNDLE_TYPE,
        "origin": c.origin,
        "checkpoint": note,
        "from": a.from,
        "to": to,
        "entries": entries,
    });
    crate::load::write_atomic(&a.output, &(serde_json::to_string_pretty(&bundle)? + "\n"))?;
    eprintln!(
        "wrote `{}`: entries {}..{to} with proofs against the checkpoint of size {}",
        a.output.display(),
        a.from,
        c.size
    );
    Ok(Exit::Ok)
}

#[allow(clippy::indexing_slicing, reason = "Value's read index returns Null")]
fn verify_bundle(a: &VerifyBundleArgs) -> Result<Exit> {
    let keys = read_public_keys(&a.keys)?;
    let b = read_json(&a.bundle, "a log bundle")?;
    if b["_type"] != BUNDLE_TYPE {
        bail!(
            "`{}` is not a log bundle (`_type` {BUNDLE_TYPE})",
            a.bundle.display()
        );
    }
    let (Some(origin), Some(note), Some(from), Some(to), Some(entries)) = (
        b["origin"].as_str(),
        b["checkpoint"].as_str(),
        b["from"].as_u64(),
        b["to"].as_u64(),
        b["entries"].as_array(),
    ) else {
        bail!(
            "`{}`: a bundle has origin, checkpoint, from, to and entries",
            a.bundle.display()
        );
    };
    let mut held = Vec::new();
    let c = match Checkpoint::open(note, origin, &keys) {
        Ok(c) => c,
        Err(e) => return Ok(report_checks(&held, Some(&e))),
    };
    held.push(format!(
        "checkpoint: `{origin}` size {} (root {}), signed by a published key",
        c.size,
        STANDARD.encode(c.root)
    ));
    if to > c.size || from > to || entries.len() as u64 != to - from {
        return Ok(report_checks(
            &held,
            Some(&format!(
                "the bundle claims entries {from}..{to} but holds {} (checkpoint size {})",
                entries.len(),
                c.size
            )),
        ));
    }
    for (k, e) in entries.iter().enumerate() {
        let index = from + k as u64;
        if e["index"].as_u64() != Some(index) {
            return Ok(report_checks(
                &held,
                Some(&format!("entry {index} is missing or out of order")),
            ));
        }
        let v = match dsse::verify(&e["receipt"], receipt::PAYLOAD_TYPE, &keys) {
            Ok(v) => v,
            Err(err) => return Ok(report_checks(&held, Some(&format!("entry {index}: {err}")))),
        };
        let statement: Value = serde_json::from_slice(&v.payload).unwrap_or(Value::Null);
        let log = &statement["predicate"]["log"];
        if log["index"].as_u64() != Some(index) || log["origin"] != origin {
            return Ok(report_checks(
                &held,
                Some(&format!(
                    "entry {index}: the receipt says it is entry {} of {}",
                    log["index"], log["origin"]
                )),
            ));
        }
        let ok = tlog::hashes_in(&e["proof"]).is_ok_and(|p| {
            merkle::verify_inclusion(&merkle::leaf_hash(&v.payload), index, c.size, &p, &c.root)
        });
        if !ok {
            return Ok(report_checks(
                &held,
                Some(&format!(
                    "entry {index}: its inclusion proof does not give the checkpoint's root"
                )),
            ));
        }
    }
    held.push(format!(
        "entries {from}..{to}: {} receipts, each signed by a published key, at its index, included in the checkpoint",
        entries.len()
    ));
    Ok(report_checks(&held, None))
}

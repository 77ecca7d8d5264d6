//! `proof receipt verify`: checks a receipt (and its disclosure bundle, and the context)
//! offline against a published key set; and the signing of receipts for `proof verify
//! --receipt` (docs/evidence.md).

use crate::exit::{Exit, report_checks};
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use proof_core::eval::{CheckedHashes, Report};
use proof_core::lists::Registry;
use proof_evidence::keys::{PublicKey, SigningKey};
use proof_evidence::note::Checkpoint;
use proof_evidence::{receipt, tlog};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum ReceiptCommand {
    /// Check a receipt offline: signature and key, statement, verdict; with --disclosure
    /// the bundle that opens its context commitment; with --context that context.
    #[command(after_help = "\
Examples:
  proof receipt verify receipt.json --keys keys.json
  proof receipt verify receipt.json --keys keys.json --disclosure disclosure.json --context ctx.json
  proof receipt verify receipt.json --keys keys.json --checkpoint cp.txt --consistency c.json

A receipt from the service carries its verification-log entry's inclusion proof and the
checkpoint it is proven against (`log_proof`); --checkpoint ties that checkpoint to one
obtained from the log independently (GET /log/checkpoint), with --consistency when the
given one is newer (GET /log/proof/consistency?from=RECEIPT_SIZE&to=SIZE).

Prints each property that holds. Exit 0: valid; 3: not valid (the reason is printed);
1: an input cannot be read.")]
    Verify(VerifyReceiptArgs),
}

#[derive(Args)]
pub struct VerifyReceiptArgs {
    /// The receipt (a DSSE envelope, as `proof verify --receipt` writes it).
    receipt: PathBuf,
    /// The published public keys (a JWK set, as `proof keys export` prints it).
    #[arg(long)]
    keys: PathBuf,
    /// The disclosure bundle of the receipt.
    #[arg(long)]
    disclosure: Option<PathBuf>,
    /// The context the receipt is said to be about (needs --disclosure).
    #[arg(long, requires = "disclosure")]
    context: Option<PathBuf>,
    /// A checkpoint of the log obtained independently: the receipt's checkpoint must be
    /// it, or (with --consistency) a prefix of it.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// The consistency proof from the receipt's checkpoint to --checkpoint.
    #[arg(long, requires = "checkpoint")]
    consistency: Option<PathBuf>,
}

/// Signing options of `proof verify`.
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "Receipt (sign the verification; docs/evidence.md)")]
pub struct SignArgs {
    /// Write a signed receipt of the verification here: signed locally with --signing-key,
    /// or by the server with --server (its keys are at GET /keys).
    #[arg(long)]
    pub receipt: Option<PathBuf>,
    /// Write the receipt's disclosure bundle here (salt and context hash; for auditors).
    #[arg(long, requires = "receipt")]
    pub disclosure: Option<PathBuf>,
    /// Put into the disclosure bundle, for every hash a membership rule checked, its
    /// inclusion proof or its absence proof against the list (needs --disclosure).
    #[arg(long, requires = "disclosure")]
    pub proofs: bool,
    /// The Ed25519 signing key (PKCS#8 PEM, from `proof keys generate`).
    #[arg(long, requires = "receipt")]
    pub signing_key: Option<PathBuf>,
}

impl SignArgs {
    /// Whether a receipt is asked for.
    pub const fn wanted(&self) -> bool {
        self.receipt.is_some()
    }

    /// Says on stderr that a receipt without its bundle can never be tied to its
    /// context (the salt is not kept).
    pub fn note_without_disclosure(&self) {
        if self.receipt.is_some() && self.disclosure.is_none() {
            eprintln!(
                "note: without --disclosure the receipt's salt is not kept; the receipt can then never be tied to its context"
            );
        }
    }

    /// The signing key of a local verification, read before the verification so that a
    /// bad key fails early.
    pub fn key(&self) -> Result<Option<SigningKey>> {
        let Some(path) = &self.signing_key else {
            if self.receipt.is_some() {
                bail!("--receipt needs --signing-key to sign a local verification (or --server)");
            }
            return Ok(None);
        };
        crate::keys::read_key(path).map(Some)
    }

    /// Signs and writes the receipt (and the bundle, with the proofs of `checked`) for
    /// `report`, stating the context's `stated` inputs.
    pub fn write(
        &self,
        key: &SigningKey,
        report: &Report,
        lists: &Registry,
        checked: Option<&[CheckedHashes]>,
        stated: std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<()> {
        let issued = receipt::draft(report, lists, checked)?
            .state(stated)
            .sign(key, None);
        if let Some(p) = &self.receipt {
            write_json(p, &issued.receipt)?;
        }
        if let Some(p) = &self.disclosure {
            write_json(p, &issued.disclosure)?;
        }
        Ok(())
    }

    /// Writes the receipt and bundle of a server's `{report, receipt, disclosure}` answer
    /// and returns the report.
    pub fn write_served(&self, answer: &str) -> Result<Value> {
        let mut v: Value =
            serde_json::from_str(answer).context("the server's answer is not JSON")?;
        let (Some(report), Some(receipt), Some(disclosure)) = (
            v.get_mut("report").map(Value::take),
            v.get("receipt"),
            v.get("disclosure"),
        ) else {
            bail!("the server's answer has no `report`, `receipt` and `disclosure`");
        };
        if let Some(p) = &self.receipt {
            write_json(p, receipt)?;
        }
        if let Some(p) = &self.disclosure {
            write_json(p, disclosure)?;
        }
        Ok(report)
    }
}

/// Ties the receipt's checkpoint `e` to the independently obtained `t` (its `note`).
fn tie(
    e: &Checkpoint,
    note: &str,
    t: &Checkpoint,
    keys: &[PublicKey],
    consistency: Option<&Value>,
) -> Result<String, String> {
    Checkpoint::open(note, &e.origin, keys).map_err(|err| format!("checkpoint: {err}"))?;
    if t.size < e.size {
        return Err(format!(
            "checkpoint: the given one (size {}) is older than the receipt's (size {}); give a newer one",
            t.size, e.size
        ));
    }
    if t.size == e.size {
        return if t.root == e.root {
            Ok(format!(
                "checkpoint: the receipt's checkpoint is the given one (size {})",
                t.size
            ))
        } else {
            Err(format!(
                "checkpoint: the log shows two trees of size {}: the receipt's and the given checkpoint differ",
                t.size
            ))
        };
    }
    let Some(c) = consistency else {
        return Err(format!(
            "checkpoint: the given one has size {}, the receipt's {}: give --consistency (GET /log/proof/consistency?from={}&to={})",
            t.size, e.size, e.size, t.size
        ));
    };
    let hashes = crate::log::consistency_hashes(c, e.size, t.size)
        .map_err(|err| format!("checkpoint: {err}"))?;
    tlog::consistent(e, t, &hashes).map_err(|err| format!("checkpoint: {err}"))?;
    Ok(format!(
        "checkpoint: the receipt's checkpoint (size {}) is a prefix of the given one (size {})",
        e.size, t.size
    ))
}

fn write_json(path: &Path, v: &Value) -> Result<()> {
    crate::load::write_atomic(path, &(serde_json::to_string_pretty(v)? + "\n"))
}

pub fn run(cmd: ReceiptCommand) -> Result<Exit> {
    match cmd {
        ReceiptCommand::Verify(a) => verify(&a),
    }
}

fn verify(a: &VerifyReceiptArgs) -> Result<Exit> {
    let receipt = crate::load::read_json(&a.receipt, "a DSSE envelope")?;
    let keys = crate::keys::read_public_keys(&a.keys)?;
    let disclosure = a
        .disclosure
        .as_deref()
        .map(|p| crate::load::read_json(p, "a DSSE envelope"))
        .transpose()?;
    let context_hash = a
        .context
        .as_deref()
        .map(|p| -> Result<String> {
            let ctx = crate::load::read_json(p, "a context")?;
            Ok(proof_core::hash::value_sha256(&ctx)?)
        })
        .transpose()?;
    let trusted = a
        .checkpoint
        .as_deref()
        .map(crate::log::checkpoint_file)
        .transpose()?;
    let consistency = a
        .consistency
        .as_deref()
        .map(|p| crate::load::read_json(p, "a consistency proof"))
        .transpose()?;
    match receipt::check(
        &receipt,
        &keys,
        disclosure.as_ref(),
        context_hash.as_deref(),
    ) {
        Ok(c) => {
            let mut held = c.held;
            let tied = match (&trusted, &c.checkpoint) {
                (None, _) => Ok(()),
                (Some(_), None) => {
                    Err("checkpoint: the receipt is not in a verification log".to_owned())
                }
                (Some((note, t)), Some(e)) => {
                    tie(e, note, t, &keys, consistency.as_ref()).map(|line| held.push(line))
                }
            };
            Ok(report_checks(&held, tied.err().as_deref()))
        }
        Err(inv) => Ok(report_checks(&inv.held, Some(&inv.reason))),
    }
}

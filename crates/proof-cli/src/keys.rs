//! `proof keys generate` and `proof keys export`: Ed25519 signing keys as PKCS#8 PEM files
//! and their public JWK set (docs/keys.md).

use crate::exit::Exit;
use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use proof_evidence::keys::{KeySet, PublicKey, SigningKey, public_keys_in};
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Write a new Ed25519 signing key (PKCS#8 PEM, mode 0600) and print its key id.
    #[command(after_help = "\
Example:
  proof keys generate -o /etc/proof/signing/2026-12.pem

The file is refused if it exists. Keep it where only the service reads it (a Kubernetes
secret); publish the public half with `proof keys export`.")]
    Generate(GenerateArgs),
    /// Print the public JWK set of an active key and any retired ones.
    #[command(after_help = "\
Examples:
  proof keys export active.pem > keys.json
  proof keys export 2026-12.pem 2026-06.pem old-keys.json > keys.json

The first file is the active key; every further file is a retired key, given as its PEM
file or as a JWK set (or single JWK) holding its public half.")]
    Export(ExportArgs),
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Where to write the private key.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The active key (PKCS#8 PEM).
    active: PathBuf,
    /// Retired keys: PEM files, JWK sets or JWKs.
    retired: Vec<PathBuf>,
}

pub fn run(cmd: KeysCommand) -> Result<Exit> {
    match cmd {
        KeysCommand::Generate(a) => generate(&a.output),
        KeysCommand::Export(a) => export(&a),
    }
}

fn generate(out: &Path) -> Result<Exit> {
    let (key, pem) = SigningKey::generate()?;
    write_private(out, &pem)?;
    println!("{}", key.kid());
    eprintln!(
        "wrote `{}` (kid {}); publish its public key with `proof keys export {}`",
        out.display(),
        key.kid(),
        out.display()
    );
    Ok(Exit::Ok)
}

/// Creates `path` with mode 0600 and writes `pem`; an existing file is never replaced.
fn write_private(path: &Path, pem: &str) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| {
        if path.exists() {
            format!(
                "`{}` exists; a signing key is never overwritten (choose a new file name)",
                path.display()
            )
        } else {
            format!("cannot create `{}`", path.display())
        }
    })?;
    f.write_all(pem.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// The signing key in a PKCS#8 PEM file, errors naming the file.
pub fn read_key(path: &Path) -> Result<SigningKey> {
    let text = crate::load::read_text(path)?;
    SigningKey::from_pem(&text).with_context(|| format!("`{}`", path.display()))
}

/// The Ed25519 keys of a published JWK set file (`proof keys export` output); none is an
/// error.
pub fn read_public_keys(path: &Path) -> Result<Vec<PublicKey>> {
    let text = crate::load::read_text(path)?;
    if text.trim_start().starts_with("-----BEGIN") {
        anyhow::bail!(
            "`{}` is a PEM file, not a published JWK set: verification takes the public keys, `proof keys export {}` writes them",
            path.display(),
            path.display()
        );
    }
    let jwks = crate::load::parse_json(path, &text, "a JWK set")?;
    let keys = proof_evidence::keys::public_keys(&jwks)
        .with_context(|| format!("`{}`", path.display()))?;
    if keys.is_empty() {
        anyhow::bail!("`{}` holds no Ed25519 key", path.display());
    }
    Ok(keys)
}

/// A retired key's public half: from its PEM file, a JWK set or one JWK.
fn read_retired(path: &Path) -> Result<Vec<PublicKey>> {
    let text = crate::load::read_text(path)?;
    public_keys_in(&text).with_context(|| format!("`{}`", path.display()))
}

fn export(a: &ExportArgs) -> Result<Exit> {
    let active = read_key(&a.active)?;
    let mut retired = Vec::new();
    for p in &a.retired {
        retired.extend(read_retired(p)?);
    }
    let set = KeySet::new(active, retired);
    println!("{}", serde_json::to_string_pretty(&set.jwks())?);
    Ok(Exit::Ok)
}

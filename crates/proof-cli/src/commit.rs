//! `proof commit`: identifiers to the hashes a context carries.

use crate::exit::Exit;
use crate::load::read_text;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use proof_core::ids::{self, Scheme, name};
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
#[command(after_help = "\
Examples:
  printf 'ACME Trading GmbH\\n' | proof commit --kind entity
  proof commit --scheme lei leis.txt --format json
  printf 'IMO 9187629\\n' | proof commit --scheme imo
  printf 'HRB 12345 B\\n' | proof commit --scheme reg:DE
  printf 'Müller GmbH\\n' | proof commit --scheme name      # one hash per name key

Schemes (docs/lists.md): lei, imo, imo-company, bic, vat, reg:<ISO2>, strict:<ISO2>, name,
eu-fsf, un, ofac, gb-fcdo, opensanctions. An invalid value (bad check digit, unknown
country) is an error naming its line.")]
pub struct CommitArgs {
    /// Demo identifiers: `entity` or `region` (lists with an `entity_id` or `region`
    /// column).
    #[arg(
        long,
        value_enum,
        conflicts_with = "scheme",
        required_unless_present = "scheme"
    )]
    kind: Option<KindArg>,
    /// A typed identifier scheme (`lei`, `imo`, `vat`, `reg:DE`, `name`, ...), the leaves
    /// of lists imported from official files.
    #[arg(long)]
    scheme: Option<String>,
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
    let scheme = a
        .scheme
        .as_deref()
        .map(Scheme::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--scheme: {e}"))?;
    let mut hashes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let at = |m: String| anyhow::anyhow!("{}:{}: {m}", path.display(), i + 1);
        match (scheme, a.kind) {
            (Some(Scheme::Name), _) => {
                for k in name::keys(t).map_err(|e| at(e.0))? {
                    hashes.push(hex::encode(ids::leaf(Scheme::Name, &k.text)));
                }
            }
            (Some(s), _) => hashes.push(hex::encode(ids::commit(s, t).map_err(|e| at(e.0))?)),
            (None, Some(k)) => {
                let kind = match k {
                    KindArg::Entity => Kind::Entity,
                    KindArg::Region => Kind::Region,
                };
                hashes.push(hex::encode(commit(kind, t).map_err(at)?));
            }
            (None, None) => bail!("give --kind or --scheme"),
        }
    }
    match a.format {
        OutFormat::Text => hashes.iter().for_each(|h| println!("{h}")),
        OutFormat::Json => println!("{}", serde_json::to_string_pretty(&hashes)?),
    }
    Ok(Exit::Ok)
}

//! Supplier master data as an ERP exports it (CSV), to the commitments a context carries
//! (`docs/suppliers.md`).
//!
//! Each supplier row gives typed-identifier hashes (LEI, VAT, IMO, BIC, register number),
//! name keys and strict keys (candidates for review), a region hash and an audit date.
//! A value that is not valid for its scheme is an error naming the row's line and
//! column: a supplier is never silently committed to a different hash.

use anyhow::{Context as _, Result, bail};
use proof_core::ids::{self, Country, Scheme, name};
use proof_core::lists::{Kind, commit};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

/// The fields a supplier row can have, in the order `--help` and the docs list them.
pub const FIELDS: [&str; 11] = [
    "supplier_id",
    "name",
    "country",
    "lei",
    "vat",
    "imo",
    "imo_company",
    "bic",
    "register_country",
    "register_no",
    "last_audit",
];

/// A mapping file: which column holds each field, and the CSV delimiter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    /// The delimiter, one ASCII character (default: `;` when the header has `;` and no
    /// `,`, else `,`).
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Field → column header.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl Map {
    /// Reads a mapping file (YAML).
    pub fn read(path: &Path) -> Result<Self> {
        let text = crate::load::read_text(path)?;
        let map: Self = serde_saphyr::from_str(&text)
            .with_context(|| format!("`{}` is not a valid mapping file", path.display()))?;
        for k in map.columns.keys() {
            if !FIELDS.contains(&k.as_str()) {
                bail!(
                    "`{}`: unknown field `{k}` in `columns`; fields: {}",
                    path.display(),
                    FIELDS.join(", ")
                );
            }
        }
        Ok(map)
    }
}

/// Where a commitment goes in the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// `supplier_hashes`: identifier matches.
    Ids,
    /// `supplier_name_keys`: name and strict keys, candidates for review.
    NameKeys,
    /// `supplier_regions`.
    Regions,
}

impl Target {
    /// The context input.
    pub const fn input(self) -> &'static str {
        match self {
            Self::Ids => "supplier_hashes",
            Self::NameKeys => "supplier_name_keys",
            Self::Regions => "supplier_regions",
        }
    }
}

/// One commitment of one supplier: what the index records behind a hash.
#[derive(Clone, Debug)]
pub struct Commitment {
    /// The hash.
    pub hash: [u8; 32],
    /// The input it goes into.
    pub target: Target,
    /// The scheme (`lei`, `name`, `region`, ...), with the name key's kind.
    pub scheme: String,
    /// The canonical value that was hashed.
    pub value: String,
    /// The column it came from.
    pub column: Rc<str>,
}

/// One supplier row.
#[derive(Clone, Debug)]
pub struct Supplier {
    /// Its `supplier_id`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its line in the file.
    pub line: u64,
    /// Its commitments.
    pub commitments: Vec<Commitment>,
    /// Its last audit (`YYYY-MM-DD`), if given.
    pub last_audit: Option<String>,
}

/// Reads a supplier file with its optional mapping file: the rows, and the SHA-256 (hex)
/// of the file's bytes, read once, so both describe the same file.
pub fn read_file(path: &Path, map: Option<&Path>) -> Result<(Vec<Supplier>, String)> {
    let map = map.map(Map::read).transpose()?.unwrap_or_default();
    let bytes = crate::load::read_bytes(path)?;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let text = crate::load::text_of(path, bytes)?;
    Ok((read(&path.display().to_string(), &text, &map)?, sha256))
}

/// Reads a supplier CSV: `text` as read from `file`.
pub fn read(file: &str, text: &str, map: &Map) -> Result<Vec<Supplier>> {
    let header = text.lines().next().unwrap_or("");
    let delimiter = match map.delimiter.as_deref() {
        Some(d) if d.len() == 1 && d.is_ascii() => d.as_bytes().first().copied().unwrap_or(b','),
        Some(d) => bail!("delimiter `{d}`: one ASCII character expected"),
        None if header.contains(';') && !header.contains(',') => b';',
        None => b',',
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .with_context(|| format!("`{file}`: bad CSV header"))?
        .clone();
    let mut col: BTreeMap<&str, (usize, Rc<str>)> = BTreeMap::new();
    for f in FIELDS {
        let want = map.columns.get(f).map_or(f, String::as_str);
        if let Some(i) = headers.iter().position(|h| h == want) {
            col.insert(f, (i, Rc::from(want)));
        } else if map.columns.contains_key(f) {
            bail!(
                "`{file}`: the mapping names column `{want}` for `{f}`, but the header has no such column"
            );
        }
    }
    for required in ["supplier_id", "name"] {
        if !col.contains_key(required) {
            let named = map.columns.get(required).map_or(required, String::as_str);
            bail!(
                "`{file}`: no `{named}` column (the header has: {}); name the column in a mapping file (--map)",
                headers.iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("`{file}`: bad CSV record"))?;
        let line = rec.position().map_or(0, csv::Position::line);
        let get = |f: &str| -> (&str, Rc<str>) {
            col.get(f).map_or(("", Rc::from("")), |(i, name)| {
                (rec.get(*i).unwrap_or(""), Rc::clone(name))
            })
        };
        let at = |column: &Rc<str>| format!("`{file}` line {line}, column `{column}`");
        let (id, id_col) = get("supplier_id");
        if id.is_empty() {
            bail!("{}: empty supplier id", at(&id_col));
        }
        if let Some(first) = seen.insert(id.to_owned(), line) {
            bail!("{}: supplier `{id}` is also on line {first}", at(&id_col));
        }
        let (nm, name_col) = get("name");
        let mut s = Supplier {
            id: id.to_owned(),
            name: nm.to_owned(),
            line,
            commitments: Vec::new(),
            last_audit: None,
        };
        let keys = name::keys(nm).with_context(|| at(&name_col))?;
        for k in keys {
            s.commitments.push(Commitment {
                hash: ids::leaf(Scheme::Name, &k.text),
                target: Target::NameKeys,
                scheme: format!("name/{}", k.kind.label()),
                value: k.text,
                column: Rc::clone(&name_col),
            });
        }
        for (field, scheme) in [
            ("lei", Scheme::Lei),
            ("vat", Scheme::Vat),
            ("imo", Scheme::Imo),
            ("imo_company", Scheme::ImoCompany),
            ("bic", Scheme::Bic),
        ] {
            let (v, c) = get(field);
            if !v.is_empty() {
                s.id_commitment(scheme, v, &c).with_context(|| at(&c))?;
            }
        }
        let (reg, reg_col) = get("register_no");
        if !reg.is_empty() {
            let (rc, rc_col) = get("register_country");
            if rc.is_empty() {
                bail!(
                    "{}: a register number needs its country (`register_country`)",
                    at(&reg_col)
                );
            }
            let country = Country::parse(rc).with_context(|| at(&rc_col))?;
            s.id_commitment(Scheme::Reg(country), reg, &reg_col)
                .with_context(|| at(&reg_col))?;
        }
        let (cc, cc_col) = get("country");
        if !cc.is_empty() {
            let hash = commit(Kind::Region, cc)
                .map_err(anyhow::Error::msg)
                .with_context(|| at(&cc_col))?;
            s.commitments.push(Commitment {
                hash,
                target: Target::Regions,
                scheme: "region".into(),
                value: cc.to_ascii_uppercase(),
                column: Rc::clone(&cc_col),
            });
        }
        let (audit, audit_col) = get("last_audit");
        if !audit.is_empty() {
            s.last_audit = Some(audit_date(audit).with_context(|| at(&audit_col))?);
        }
        out.push(s);
    }
    if out.is_empty() {
        bail!("`{file}`: no supplier rows");
    }
    Ok(out)
}

impl Supplier {
    /// An identifier's hash, and the strict key a register number also gives.
    fn id_commitment(&mut self, scheme: Scheme, value: &str, column: &Rc<str>) -> Result<()> {
        let c = ids::canonical(scheme, value).map_err(|e| anyhow::anyhow!(e.0))?;
        if let Some((strict, v)) = ids::strict_key(scheme, &c) {
            self.commitments.push(Commitment {
                hash: ids::leaf(strict, &v),
                target: Target::NameKeys,
                scheme: strict.to_string(),
                value: v,
                column: Rc::clone(column),
            });
        }
        self.commitments.push(Commitment {
            hash: ids::leaf(scheme, &c),
            target: Target::Ids,
            scheme: scheme.to_string(),
            value: c,
            column: Rc::clone(column),
        });
        Ok(())
    }
}

/// `YYYY-MM-DD`, or `DD.MM.YYYY` as German exports write it, to `YYYY-MM-DD`.
fn audit_date(v: &str) -> Result<String> {
    let iso = match v.split('.').collect::<Vec<_>>().as_slice() {
        [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => {
            format!("{y}-{m:0>2}-{d:0>2}")
        }
        _ => v.to_owned(),
    };
    proof_core::temporal::parse_date(&iso)
        .map_err(|e| anyhow::anyhow!("`{v}` is not a date (YYYY-MM-DD or DD.MM.YYYY): {e}"))?;
    Ok(iso)
}

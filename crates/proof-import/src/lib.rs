//! `proof-import`: official sanctions-list files to `proof`'s typed-identifier lists.
//!
//! Each format module reads one official format into designations ([`entry`]): the list's
//! own id, names and strong aliases, and typed identifiers. [`import`] turns them into
//! canonical rows (one per leaf, naming the designation and the field it came from), and
//! [`output::render`] writes the list file that `proof` loads, with provenance header
//! lines (source files and their SHA-256, the publisher's date, counts). What becomes a
//! leaf, per format, is specified in `docs/lists.md` so that an auditor can rebuild a
//! root from the official file without this program.
//!
//! The crate does no I/O: callers pass file names and bytes.

pub mod countries;
pub mod entry;
mod eu;
mod ftm;
mod ofac;
pub mod output;
mod remarks;
mod uk;
mod un;
mod xml;

use entry::{Entry, Row};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The importer's name and version, written into every list it makes.
pub const IMPORTER: &str = concat!("proof-import ", env!("CARGO_PKG_VERSION"));

/// An official list format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// EU Financial Sanctions Files, XML 1.1 (`xmlFullSanctionsList_1_1`).
    EuFsfXml,
    /// UN Security Council consolidated list, XML.
    UnScXml,
    /// OFAC SDN legacy CSV files (`sdn.csv`, with `alt.csv` and `sdn_comments.csv`).
    OfacSdnCsv,
    /// UK Sanctions List (FCDO), XML.
    UkFcdoXml,
    /// OpenSanctions FollowTheMoney entities, JSON lines.
    OpenSanctionsFtm,
}

impl Format {
    /// Every format.
    pub const ALL: [Self; 5] = [
        Self::EuFsfXml,
        Self::UnScXml,
        Self::OfacSdnCsv,
        Self::UkFcdoXml,
        Self::OpenSanctionsFtm,
    ];

    /// The name on the command line and in the list header.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::EuFsfXml => "eu-fsf-xml",
            Self::UnScXml => "un-sc-xml",
            Self::OfacSdnCsv => "ofac-sdn-csv",
            Self::UkFcdoXml => "uk-fcdo-xml",
            Self::OpenSanctionsFtm => "opensanctions-ftm",
        }
    }

    /// The fewest designations a complete official file of this format holds; an import
    /// with fewer fails unless [`Options::min_entries`] lowers the floor. The values are a
    /// little under half the size of each list in 2026 (`docs/lists.md`).
    #[must_use]
    pub const fn default_floor(self) -> usize {
        match self {
            Self::EuFsfXml => 2_000,
            Self::UnScXml => 500,
            Self::OfacSdnCsv => 5_000,
            Self::UkFcdoXml => 2_000,
            Self::OpenSanctionsFtm => 1_000,
        }
    }

    /// Parses a label.
    ///
    /// # Errors
    /// Naming the known formats.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.label() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|f| f.label()).collect();
                format!("unknown list format `{s}`; known: {}", known.join(", "))
            })
    }
}

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep weak aliases (EU `strong="false"`, UN `QUALITY` Low, UK "Low quality a.k.a",
    /// OpenSanctions `weakAlias`).
    pub weak_aliases: bool,
    /// Leave out a malformed identifier, or a designation without a valid id or name,
    /// instead of failing; each is counted and listed in the header.
    pub skip_invalid: bool,
    /// The floor of designations read; `None` is the format's [`Format::default_floor`].
    pub min_entries: Option<usize>,
}

/// One input file: its name (as written into the provenance) and its bytes.
pub struct Input {
    /// The file name, without directories.
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl Input {
    /// The text without a UTF-8 byte order mark.
    fn text(&self) -> Result<&str, ImportError> {
        let b = self
            .bytes
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or(&self.bytes);
        std::str::from_utf8(b).map_err(|e| ImportError::Malformed {
            file: self.name.clone(),
            at: format!("byte {}", e.valid_up_to()),
            message: "not UTF-8".into(),
        })
    }
}

/// Why an import failed. Nothing is written when it does.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not what the format says, or one designation is malformed.
    #[error("{file}: {at}: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// Where: a line, an element path, a designation.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// The files given do not make up an input of the format.
    #[error("{0}")]
    Inputs(String),
    /// Fewer designations than the floor: a broken parser or a partial file.
    #[error(
        "only {read} designations read, below the floor of {floor} for a complete {format} file; a partial or misparsed file must not replace a list (lower the floor with --min-entries if the file is meant to be small)"
    )]
    TooFew {
        /// Designations read.
        read: usize,
        /// The floor.
        floor: usize,
        /// The format.
        format: &'static str,
    },
}

/// The result of an import: rows sorted and de-duplicated, with provenance and counts.
#[derive(Debug)]
pub struct Import {
    /// The format read.
    pub format: Format,
    /// (file name, SHA-256 hex) of each input, by file name.
    pub sources: Vec<(String, String)>,
    /// The publisher's own file metadata (`publisher_date`, `publisher_file_id`).
    pub publisher: Vec<(&'static str, String)>,
    /// Whether weak aliases were kept.
    pub weak_aliases: bool,
    /// Designations read.
    pub read: usize,
    /// Designations that gave rows.
    pub emitted: usize,
    /// Designations left out whole with `skip_invalid`.
    pub entries_rejected: usize,
    /// Malformed identifiers left out with `skip_invalid`.
    pub values_rejected: usize,
    /// Everything left out with `skip_invalid`: (where, why).
    pub rejected: Vec<(String, String)>,
    /// Counted facts the header reports (`identifiers_without_country`, ...).
    pub notes: BTreeMap<&'static str, usize>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// Collects designations as a format module reads them.
pub(crate) struct Sink<'o> {
    opts: &'o Options,
    imp: Import,
    /// Designations read, with their file, until [`Sink::finish`] turns them into rows.
    pending: Vec<(String, Entry)>,
}

impl Sink<'_> {
    /// Adds a designation; [`Sink::finish`] makes its rows.
    pub(crate) fn add(&mut self, file: &str, e: Entry) {
        self.pending.push((file.to_owned(), e));
    }

    /// The rows of every designation added, in the order added (on two threads: the name
    /// keys and canonical forms cost about as much as reading the file), or the error of the
    /// first malformed one. With `skip_invalid`, a malformed identifier is left out (the
    /// designation keeps its other leaves) and an unusable designation is left out whole;
    /// both are listed.
    fn finish(&mut self) -> Result<(), ImportError> {
        let pending = std::mem::take(&mut self.pending);
        let half = pending.len() / 2;
        let (a, b) = pending.split_at(half);
        let rows_of = |part: &[(String, Entry)]| -> Vec<entry::Rows> {
            part.iter().map(|(_, e)| entry::rows(e)).collect()
        };
        let results = std::thread::scope(|scope| {
            let second = scope.spawn(|| rows_of(b));
            let mut first = rows_of(a);
            first.extend(second.join().unwrap_or_else(|_| rows_of(b)));
            first
        });
        for ((file, e), result) in pending.iter().zip(results) {
            self.imp.read += 1;
            let fail = |message: String| ImportError::Malformed {
                file: file.clone(),
                at: e.at.clone(),
                message: format!(
                    "{message} (--skip-invalid leaves such values out and lists them)"
                ),
            };
            match result {
                Ok((rows, bad)) => {
                    if let Some(first) = bad.first()
                        && !self.opts.skip_invalid
                    {
                        return Err(fail(first.clone()));
                    }
                    for why in bad {
                        self.imp.values_rejected += 1;
                        self.imp.rejected.push((format!("{file} {}", e.at), why));
                    }
                    self.imp.emitted += 1;
                    self.imp.rows.extend(rows);
                }
                Err(message) if self.opts.skip_invalid => {
                    self.imp.entries_rejected += 1;
                    self.imp
                        .rejected
                        .push((format!("{file} {}", e.at), message));
                }
                Err(message) => return Err(fail(message)),
            }
        }
        Ok(())
    }

    pub(crate) fn note(&mut self, key: &'static str) {
        *self.imp.notes.entry(key).or_default() += 1;
    }

    pub(crate) fn publisher(&mut self, key: &'static str, value: &str) {
        if !value.trim().is_empty() {
            self.imp.publisher.push((key, value.trim().to_owned()));
        }
    }

    pub(crate) const fn weak(&self) -> bool {
        self.opts.weak_aliases
    }
}

/// Imports official files of one format.
///
/// # Errors
/// [`ImportError`]: a malformed file or designation (naming the file and where), inputs
/// that do not fit the format, or fewer designations than the floor.
pub fn import(format: Format, inputs: &[Input], opts: &Options) -> Result<Import, ImportError> {
    if inputs.is_empty() {
        return Err(ImportError::Inputs("no input file".into()));
    }
    // The sources' SHA-256 on the second core while the first parses.
    std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            let mut sources: Vec<(String, String)> = inputs
                .iter()
                .map(|i| (i.name.clone(), hex::encode(Sha256::digest(&i.bytes))))
                .collect();
            sources.sort();
            sources
        });
        let parsed = parse(format, inputs, opts);
        let sources = hashing.join().unwrap_or_default();
        parsed.map(|mut imp| {
            imp.sources = sources;
            imp
        })
    })
}

fn parse(format: Format, inputs: &[Input], opts: &Options) -> Result<Import, ImportError> {
    let mut sink = Sink {
        opts,
        imp: Import {
            format,
            sources: Vec::new(),
            publisher: Vec::new(),
            weak_aliases: opts.weak_aliases,
            read: 0,
            emitted: 0,
            entries_rejected: 0,
            values_rejected: 0,
            rejected: Vec::new(),
            notes: BTreeMap::new(),
            rows: Vec::new(),
        },
        pending: Vec::new(),
    };
    let one = || -> Result<&Input, ImportError> {
        match inputs {
            [one] => Ok(one),
            _ => Err(ImportError::Inputs(format!(
                "{} reads one file, {} given",
                format.label(),
                inputs.len()
            ))),
        }
    };
    match format {
        Format::UnScXml => {
            let i = one()?;
            un::read(&i.name, i.text()?, &mut sink)?;
        }
        Format::EuFsfXml => {
            let i = one()?;
            eu::read(&i.name, i.text()?, &mut sink)?;
        }
        Format::UkFcdoXml => {
            let i = one()?;
            uk::read(&i.name, i.text()?, &mut sink)?;
        }
        Format::OpenSanctionsFtm => {
            let i = one()?;
            ftm::read(&i.name, i.text()?, &mut sink)?;
        }
        Format::OfacSdnCsv => ofac::read(inputs, &mut sink)?,
    }
    sink.finish()?;
    let mut imp = sink.imp;
    let floor = opts.min_entries.unwrap_or(format.default_floor());
    if imp.read < floor {
        return Err(ImportError::TooFew {
            read: imp.read,
            floor,
            format: format.label(),
        });
    }
    imp.rows = sorted(std::mem::take(&mut imp.rows));
    imp.rows.dedup();
    Ok(imp)
}

/// `rows` sorted: each half on its own thread, then merged.
fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    let mid = rows.len() / 2;
    let (a, b) = rows.split_at_mut(mid);
    std::thread::scope(|scope| {
        scope.spawn(|| b.sort_unstable());
        a.sort_unstable();
    });
    let second = rows.split_off(mid);
    merge(rows, second)
}

/// Two sorted vectors as one.
fn merge(a: Vec<Row>, b: Vec<Row>) -> Vec<Row> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x <= y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return out,
        };
        let next = if take_a { a.next() } else { b.next() };
        out.extend(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_in_two_halves_and_merging_is_a_sort() {
        let row = |i: u32| Row {
            scheme: format!("s{}", i % 3),
            value: format!("{}", (i * 7919) % 101),
            key: "",
            designation: format!("d{}", i % 5),
            source: "x",
            subject: "",
        };
        for n in [0, 1, 2, 3, 100, 101] {
            let rows: Vec<Row> = (0..n).map(row).collect();
            let mut want = rows.clone();
            want.sort_unstable();
            assert_eq!(sorted(rows), want, "{n} rows");
        }
    }
}

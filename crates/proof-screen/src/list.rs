//! Imported list files (`proof lists import`) read back as designations with their names
//! in clear text, identifiers and a content hash (`docs/screening.md`, "Lists").

use crate::text::Subject;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Why a list file cannot be screened against.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ListFileError {
    /// The file.
    pub file: String,
    /// What is wrong.
    pub message: String,
    /// True when the file is a valid list, but not one `proof lists import` wrote (a
    /// hand-made or demo list, high-risk regions): it holds no names.
    pub not_imported: bool,
}

/// One name or strong alias of a designation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListName {
    /// The name's `full` key: its canonical form.
    pub text: String,
    /// The field of the official file it came from (`SDN_Name`, `alt_name`, ...).
    pub source: String,
}

/// One designation of a list.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `SOURCE:ID`, the list's own id (`un:KPe.020`).
    pub designation: String,
    /// What the list says it is.
    pub subject: Subject,
    /// Its names and strong aliases, sorted.
    pub names: Vec<ListName>,
    /// Its typed identifiers (`scheme`, canonical value), sorted.
    pub ids: Vec<(String, String)>,
    /// The countries its identifiers name (register country, VAT prefix, BIC country).
    pub countries: Vec<String>,
    /// SHA-256 of its rows: what a clearance is bound to.
    pub hash: [u8; 32],
}

/// An imported list file.
#[derive(Clone, Debug)]
pub struct ListFile {
    /// The list's name (`# name:`, or the file stem).
    pub name: String,
    /// The file it was read from, as given.
    pub file: String,
    /// The Merkle root of its leaves (hex), as the verifier computes it.
    pub root: String,
    /// The number of distinct leaves.
    pub leaves: usize,
    /// The publisher's date of the official file (`# publisher_date:`), if any.
    pub publisher_date: Option<String>,
    /// Its designations, by designation.
    pub entries: Vec<Entry>,
}

/// Schemes that are identifiers a supplier can also have.
const ID_SCHEMES: [&str; 5] = ["lei", "imo", "imo-company", "bic", "vat"];

/// Reads an imported list file: `text` as read from `file`.
///
/// # Errors
/// When the file is not a valid list ([`proof_core::lists::parse_list`]'s error, with its
/// line), or not a typed-identifier list with designations (a hand-made or demo list
/// holds no names to screen against).
pub fn read(file: &str, text: &str) -> Result<ListFile, ListFileError> {
    let err = |message: String| ListFileError {
        file: file.to_owned(),
        message,
        not_imported: false,
    };
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file);
    let list = proof_core::lists::parse_list(stem, text).map_err(|e| err(e.to_string()))?;
    if !list.has_designations() {
        return Err(ListFileError {
            not_imported: true,
            ..err(
                "not an imported list: screening needs the names and designations that `proof lists import` writes"
                    .into(),
            )
        });
    }
    let data: String = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(data.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| err(format!("bad CSV header: {e}")))?
        .clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(si), Some(vi), Some(di)) = (col("scheme"), col("value"), col("designation")) else {
        return Err(err(
            "the header needs `scheme`, `value` and `designation`".into()
        ));
    };
    let (ki, oi, ji) = (col("key"), col("source"), col("subject"));
    let mut rows: BTreeMap<String, Vec<[String; 5]>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| err(format!("bad CSV record: {e}")))?;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_owned();
        let designation = get(Some(di));
        if designation.is_empty() {
            continue;
        }
        rows.entry(designation).or_default().push([
            get(Some(si)),
            get(Some(vi)),
            get(ki),
            get(oi),
            get(ji),
        ]);
    }
    let entries = rows.into_iter().filter_map(|(d, r)| entry(d, r)).collect();
    Ok(ListFile {
        name: list.name.clone(),
        file: file.to_owned(),
        root: list.root_hex().to_owned(),
        leaves: list.len(),
        publisher_date: list.meta.get("publisher_date").cloned(),
        entries,
    })
}

/// A designation from its rows (`scheme`, `value`, `key`, `source`, `subject`); `None`
/// when it has no name.
fn entry(designation: String, mut rows: Vec<[String; 5]>) -> Option<Entry> {
    rows.sort();
    rows.dedup();
    let mut h = Sha256::new();
    h.update(b"proof-screen-entry/v1\n");
    h.update(designation.as_bytes());
    for r in &rows {
        h.update(b"\n");
        h.update(r.join(",").as_bytes());
    }
    let hash: [u8; 32] = h.finalize().into();
    let mut subject = Subject::Unknown;
    let mut names = Vec::new();
    let mut ids = Vec::new();
    let mut countries = Vec::new();
    for [scheme, value, key, source, subj] in rows {
        if !subj.is_empty() {
            subject = Subject::parse(&subj);
        }
        if scheme == "name" {
            if key == "full" {
                names.push(ListName {
                    text: value,
                    source,
                });
            }
            continue;
        }
        if let Some(cc) = country_of(&scheme, &value) {
            countries.push(cc);
        }
        if ID_SCHEMES.contains(&scheme.as_str()) || scheme.starts_with("reg:") {
            ids.push((scheme, value));
        }
    }
    if names.is_empty() {
        return None;
    }
    names.sort();
    names.dedup_by(|a, b| a.text == b.text);
    ids.sort();
    ids.dedup();
    countries.sort();
    countries.dedup();
    Some(Entry {
        designation,
        subject,
        names,
        ids,
        countries,
        hash,
    })
}

/// The country an identifier names: `reg:CC` and `strict:CC`, a VAT prefix (`EL` is
/// Greece, `XI` Northern Ireland, `CHE` Switzerland), a BIC's country code.
#[must_use]
pub fn country_of(scheme: &str, value: &str) -> Option<String> {
    if let Some(cc) = scheme
        .strip_prefix("reg:")
        .or_else(|| scheme.strip_prefix("strict:"))
    {
        return Some(cc.to_owned());
    }
    match scheme {
        "vat" if value.starts_with("CHE") => Some("CH".into()),
        "vat" => match value.get(..2)? {
            "EL" => Some("GR".into()),
            "XI" => Some("GB".into()),
            p => Some(p.to_owned()),
        },
        "bic" => value.get(4..6).map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    const FILE: &str = "# name: un\n\
        scheme,value,key,designation,source,subject\n\
        imo-company,1790183,,un:KPe.020,COMMENTS1,\n\
        name,ocean maritime management,full,un:KPe.020,FIRST_NAME..FOURTH_NAME,\n\
        name,ocean maritime management,base,un:KPe.020,FIRST_NAME..FOURTH_NAME,\n\
        name,maritime management ocean,sorted,un:KPe.020,FIRST_NAME..FOURTH_NAME,\n\
        reg:GB,06527449,,un:KPe.020,COMMENTS1,\n\
        strict:GB,06527449,,un:KPe.020,COMMENTS1,\n\
        un,KPe.020,,un:KPe.020,id,organisation\n";

    #[test]
    fn a_list_file_gives_its_designations_with_names_ids_and_countries() {
        let l = read("un.csv", FILE).unwrap();
        assert_eq!(l.name, "un");
        assert_eq!(l.entries.len(), 1);
        let e = &l.entries[0];
        assert_eq!(e.designation, "un:KPe.020");
        assert_eq!(e.subject, Subject::Organisation);
        assert_eq!(e.names.len(), 1);
        assert_eq!(e.names[0].text, "ocean maritime management");
        assert_eq!(e.countries, ["GB"]);
        assert!(e.ids.contains(&("imo-company".into(), "1790183".into())));
        // The order of rows does not change the entry's hash; its content does.
        let mut lines: Vec<&str> = FILE.lines().collect();
        lines[2..].reverse();
        let shuffled = read("un.csv", &lines.join("\n")).unwrap();
        assert_eq!(shuffled.entries[0].hash, e.hash);
        assert_eq!(shuffled.root, l.root);
        let changed = read("un.csv", &FILE.replace("06527449", "06527448")).unwrap();
        assert_ne!(changed.entries[0].hash, e.hash);
    }

    #[test]
    fn a_list_without_designations_is_refused() {
        let e = read("demo.csv", "entity_id,name\nX-1,Someone\n").unwrap_err();
        assert!(e.to_string().contains("not an imported list"), "{e}");
        assert!(e.not_imported);
        let e = read("bad.csv", "scheme,value,designation\nlei,nonsense,x\n").unwrap_err();
        assert!(!e.not_imported && e.to_string().contains("line 2"), "{e}");
    }
}

//! OFAC SDN legacy CSV files (`docs/lists.md`, "ofac-sdn-csv").
//!
//! `sdn.csv` (required): one designation per row, id `ent_num`, name `SDN_Name`,
//! identifiers from `Remarks`; `sdn_comments.csv` continues a row's remarks (appended
//! as written: OFAC splits them mid-token); `alt.csv` adds aliases. `add.csv` (addresses)
//! is accepted and not read. The files have no header; `-0-` is empty.

use crate::entry::Entry;
use crate::remarks::{Found, ofac};
use crate::{ImportError, Input, Sink};
use proof_core::ids::Source;
use std::collections::BTreeMap;

fn field(rec: &csv::StringRecord, i: usize) -> &str {
    let v = rec.get(i).unwrap_or("").trim();
    if v == "-0-" { "" } else { v }
}

fn records(
    input: &Input,
    min_fields: usize,
) -> Result<Vec<(usize, csv::StringRecord)>, ImportError> {
    let text = input.text()?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ImportError::Malformed {
            file: input.name.clone(),
            at: format!("line {}", e.position().map_or(0, csv::Position::line)),
            message: format!("bad CSV record: {e}"),
        })?;
        let line = usize::try_from(rec.position().map_or(0, csv::Position::line)).unwrap_or(0);
        // The files end with a DOS end-of-file character on a line of its own.
        if rec.len() == 1
            && rec
                .get(0)
                .is_some_and(|f| f.trim_matches(['\u{1a}', ' ']).is_empty())
        {
            continue;
        }
        if rec.len() < min_fields {
            return Err(ImportError::Malformed {
                file: input.name.clone(),
                at: format!("line {line}"),
                message: format!(
                    "{} fields, expected at least {min_fields} (is this the right file for --format ofac-sdn-csv?)",
                    rec.len()
                ),
            });
        }
        out.push((line, rec));
    }
    Ok(out)
}

pub(crate) fn read(inputs: &[Input], sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut by_role: BTreeMap<&str, &Input> = BTreeMap::new();
    for i in inputs {
        let lower = i.name.to_ascii_lowercase();
        let role = match lower.trim_end_matches(".csv") {
            "sdn" => "sdn",
            "alt" => "alt",
            "sdn_comments" => "comments",
            "add" => "add",
            _ => {
                return Err(ImportError::Inputs(format!(
                    "`{}`: ofac-sdn-csv reads files named sdn.csv, alt.csv, sdn_comments.csv and add.csv",
                    i.name
                )));
            }
        };
        if by_role.insert(role, i).is_some() {
            return Err(ImportError::Inputs(format!("two files for `{}`", i.name)));
        }
    }
    let Some(sdn) = by_role.get("sdn") else {
        return Err(ImportError::Inputs(
            "ofac-sdn-csv needs sdn.csv (alt.csv and sdn_comments.csv are optional)".into(),
        ));
    };
    let mut more_remarks: BTreeMap<String, String> = BTreeMap::new();
    if let Some(c) = by_role.get("comments") {
        for (_, rec) in records(c, 2)? {
            more_remarks
                .entry(field(&rec, 0).to_owned())
                .or_default()
                .push_str(rec.get(1).unwrap_or(""));
        }
    }
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(a) = by_role.get("alt") {
        for (_, rec) in records(a, 4)? {
            aliases
                .entry(field(&rec, 0).to_owned())
                .or_default()
                .push(field(&rec, 3).to_owned());
        }
    }
    for (line, rec) in records(sdn, 12)? {
        let id = field(&rec, 0);
        let kind = field(&rec, 2);
        let mut e = Entry::new(Source::Ofac, format!("line {line} (ent_num {id})"));
        e.id = id.to_owned();
        e.subject = match kind {
            "individual" => "person",
            "vessel" => "vessel",
            "aircraft" => "aircraft",
            _ => "organisation",
        };
        e.name(field(&rec, 1), "SDN_Name");
        for a in aliases.get(id).into_iter().flatten() {
            e.name(a, "alt_name");
        }
        let mut remarks = rec.get(11).unwrap_or("").trim().to_owned();
        if remarks == "-0-" {
            remarks.clear();
        }
        if let Some(more) = more_remarks.get(id) {
            remarks.push_str(more);
        }
        for f in ofac(&remarks, kind == "vessel", kind == "individual") {
            match f {
                Found::Id(s, v, field) => e.ids.push((s, v, field)),
                Found::NoCountry => sink.note("identifiers_without_country"),
            }
        }
        sink.add(&sdn.name, e);
    }
    Ok(())
}

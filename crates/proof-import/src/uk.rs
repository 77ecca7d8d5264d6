//! UK Sanctions List (FCDO), XML (`docs/lists.md`, "uk-fcdo-xml").
//!
//! One designation per `Designation`: id `UniqueID`; names from `Names/Name` (`Name1` …
//! `Name6` joined by spaces) without `AliasStrength` "Low quality a.k.a", and
//! `NonLatinNames/NonLatinName/NameNonLatinScript`; `IMONumbers/IMONumber` (a ship's for
//! `IndividualEntityShip` Ship, else a company number); `BusinessRegistrationNumbers`
//! (`UK Company no.` as `reg:GB`).

use crate::entry::Entry;
use crate::xml::{Step, walk};
use crate::{ImportError, Sink};
use proof_core::ids::{Country, Scheme, Source};

#[derive(Default)]
struct Current {
    entry: Option<Entry>,
    kind: String,
    parts: Vec<String>,
    weak: bool,
    imos: Vec<String>,
}

pub(crate) fn read(file: &str, src: &str, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut c = Current::default();
    let mut count = 0usize;
    let mut done: Vec<(Entry, String, Vec<String>)> = Vec::new();
    walk(file, src, None, |step, at| {
        match step {
            Step::Open { name, local, .. } => match (at.depth, name) {
                (1, "Designations") => {}
                (1, _) => {
                    return Err(format!(
                        "the root element is <{local}>, not <Designations>: not a uk-fcdo-xml file"
                    ));
                }
                (2, "Designation") => {
                    count += 1;
                    c = Current {
                        entry: Some(Entry::new(
                            Source::GbFcdo,
                            format!("Designation #{count} (line {})", at.line),
                        )),
                        ..Current::default()
                    };
                }
                (_, "Name") => {
                    c.parts.clear();
                    c.weak = false;
                }
                _ => {}
            },
            Step::Close { name, text } => {
                if at.depth == 2 && name == "DateGenerated" {
                    sink.publisher("publisher_date", text);
                    return Ok(());
                }
                let Some(e) = c.entry.as_mut() else {
                    return Ok(());
                };
                match name {
                    "UniqueID" if at.depth == 3 => e.id = text.to_owned(),
                    "IndividualEntityShip" => c.kind = text.to_owned(),
                    "Name1" | "Name2" | "Name3" | "Name4" | "Name5" | "Name6"
                        if !text.is_empty() =>
                    {
                        c.parts.push(text.to_owned());
                    }
                    "AliasStrength" => c.weak = text.to_ascii_lowercase().starts_with("low"),
                    "Name" if !c.weak || sink.weak() => {
                        e.name(&c.parts.join(" "), "Name1..Name6");
                    }
                    "NameNonLatinScript" => e.name(text, "NameNonLatinScript"),
                    "IMONumber" if !text.is_empty() => c.imos.push(text.to_owned()),
                    "BusinessRegistrationNumber" if !text.is_empty() => {
                        business_number(e, text, sink);
                    }
                    "Designation" if at.depth == 2 => {
                        if let Some(e) = c.entry.take() {
                            done.push((
                                e,
                                std::mem::take(&mut c.kind),
                                std::mem::take(&mut c.imos),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    for (mut e, kind, imos) in done {
        e.subject = match kind.as_str() {
            "Individual" => "person",
            "Entity" => "organisation",
            "Ship" => "vessel",
            _ => "",
        };
        let scheme = if kind == "Ship" {
            Scheme::Imo
        } else {
            Scheme::ImoCompany
        };
        for imo in imos {
            e.ids.push((scheme, imo, "IMONumber"));
        }
        sink.add(file, e);
    }
    Ok(())
}

/// `UK Company no. 06527449` is a Companies House number; other texts name no country.
fn business_number(e: &mut Entry, text: &str, sink: &mut Sink<'_>) {
    let lower = text.to_ascii_lowercase();
    for prefix in [
        "uk company no.",
        "uk company number",
        "company no.",
        "company number",
    ] {
        if lower.starts_with(prefix)
            && let (Some(v), Ok(gb)) = (text.get(prefix.len()..), Country::parse("GB"))
        {
            let field = "BusinessRegistrationNumber";
            e.ids.push((Scheme::Reg(gb), v.trim().to_owned(), field));
            return;
        }
    }
    sink.note("identifiers_without_country");
}

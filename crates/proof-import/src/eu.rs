//! EU Financial Sanctions Files, XML 1.1 (`docs/lists.md`, "eu-fsf-xml").
//!
//! Namespace `http://eu.europa.ec/fpi/fsd/export`. One designation per `sanctionEntity`:
//! id `euReferenceNumber` (or `logicalId` when that is empty); names from `nameAlias`
//! (`wholeName`, else first, middle and last name), without `strong="false"`; identifiers
//! from `identification` by `identificationTypeCode`.

use crate::entry::Entry;
use crate::xml::{Step, walk};
use crate::{ImportError, Sink};
use proof_core::ids::{Country, Scheme, Source};

/// The namespace of the EU FSF export.
pub(crate) const NS: &str = "http://eu.europa.ec/fpi/fsd/export";

fn attr<'a>(attrs: &'a [(String, String)], k: &str) -> &'a str {
    attrs
        .iter()
        .find(|(n, _)| n == k)
        .map_or("", |(_, v)| v.trim())
}

pub(crate) fn read(file: &str, src: &str, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut cur: Option<(Entry, bool)> = None;
    let mut count = 0usize;
    let mut done: Vec<Entry> = Vec::new();
    walk(file, src, Some(NS), |step, at| {
        match step {
            Step::Open { name, local, attrs } => match (at.depth, name) {
                (1, "export") => {
                    sink.publisher("publisher_date", attr(attrs, "generationDate"));
                    sink.publisher("publisher_file_id", attr(attrs, "globalFileId"));
                }
                (1, _) => {
                    return Err(format!(
                        "the root element is <{local}> (or in another namespace), not <export> in namespace {NS}: not an eu-fsf-xml file"
                    ));
                }
                (2, "sanctionEntity") => {
                    count += 1;
                    let mut e = Entry::new(
                        Source::EuFsf,
                        format!("sanctionEntity #{count} (line {})", at.line),
                    );
                    e.id = match attr(attrs, "euReferenceNumber") {
                        "" => attr(attrs, "logicalId").to_owned(),
                        r => r.to_owned(),
                    };
                    cur = Some((e, false));
                }
                (3, "subjectType") => {
                    if let Some((e, person)) = cur.as_mut() {
                        *person = attr(attrs, "code") == "person";
                        e.subject = match attr(attrs, "code") {
                            "person" => "person",
                            "enterprise" => "organisation",
                            _ => "",
                        };
                    }
                }
                (3, "nameAlias") => {
                    if let Some((e, _)) = cur.as_mut()
                        && (attr(attrs, "strong") != "false" || sink.weak())
                    {
                        let whole = attr(attrs, "wholeName");
                        if whole.is_empty() {
                            let parts: Vec<&str> = ["firstName", "middleName", "lastName"]
                                .iter()
                                .map(|k| attr(attrs, k))
                                .filter(|p| !p.is_empty())
                                .collect();
                            e.name(&parts.join(" "), "nameAlias");
                        } else {
                            e.name(whole, "nameAlias/@wholeName");
                        }
                    }
                }
                (3, "identification") => {
                    if let Some((e, person)) = cur.as_mut() {
                        identification(e, *person, attrs, sink);
                    }
                }
                _ => {}
            },
            Step::Close { name, .. } => {
                if at.depth == 2
                    && name == "sanctionEntity"
                    && let Some((e, _)) = cur.take()
                {
                    done.push(e);
                }
            }
        }
        Ok(())
    })?;
    for e in done {
        sink.add(file, e);
    }
    Ok(())
}

fn identification(e: &mut Entry, person: bool, attrs: &[(String, String)], sink: &mut Sink<'_>) {
    let number = match attr(attrs, "latinNumber") {
        "" => attr(attrs, "number"),
        n => n,
    };
    if number.is_empty() {
        return;
    }
    let field = "identification/@number";
    let country = Country::parse(attr(attrs, "countryIso2Code")).ok();
    match attr(attrs, "identificationTypeCode") {
        "imo" => {
            let s = if attr(attrs, "identificationTypeDescription")
                .to_ascii_lowercase()
                .contains("company")
            {
                Scheme::ImoCompany
            } else {
                Scheme::Imo
            };
            e.ids.push((s, number.into(), field));
        }
        "swiftbic" | "bic" => e.ids.push((Scheme::Bic, number.into(), field)),
        "lei" => e.ids.push((Scheme::Lei, number.into(), field)),
        "regnumber" | "tin" | "fiscalcode" | "vat" if !person => {
            let code = attr(attrs, "identificationTypeCode");
            if code == "vat" && proof_core::ids::canonical(Scheme::Vat, number).is_ok() {
                e.ids.push((Scheme::Vat, number.into(), field));
                return;
            }
            let Some(c) = country else {
                sink.note("identifiers_without_country");
                return;
            };
            // A register number also gives its `strict:` key (`ids::strict_key`); a tax
            // number, or a German number not in register form, is only a `strict:` key.
            let reg = code == "regnumber"
                && (c.as_str() != "DE"
                    || proof_core::ids::canonical(Scheme::Reg(c), number).is_ok());
            let scheme = if reg {
                Scheme::Reg(c)
            } else {
                Scheme::Strict(c)
            };
            e.ids.push((scheme, number.into(), field));
        }
        _ => {}
    }
}

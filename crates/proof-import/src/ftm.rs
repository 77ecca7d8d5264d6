//! OpenSanctions FollowTheMoney entities, JSON lines (`docs/lists.md`,
//! "opensanctions-ftm").
//!
//! One designation per line whose entity has `"target": true`: id `id`, `referents` as
//! further designation ids; names from `name`, `alias`, `previousName` (and `weakAlias`
//! with weak aliases); identifiers from the typed properties.

use crate::entry::Entry;
use crate::{ImportError, Sink};
use proof_core::ids::{Country, Scheme, Source};
use serde_json::Value;

fn strings<'a>(props: &'a Value, k: &str) -> impl Iterator<Item = &'a str> {
    props
        .get(k)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

pub(crate) fn read(file: &str, src: &str, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    for (i, line) in src.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |m: String| ImportError::Malformed {
            file: file.to_owned(),
            at: format!("line {line_no}"),
            message: m,
        };
        let v: Value =
            serde_json::from_str(line).map_err(|e| bad(format!("not a JSON object: {e}")))?;
        if v.get("op").is_some() && v.get("entity").is_some() {
            return Err(bad(
                "a delta operation (`op`, `entity`): import a full entities.ftm.json export".into(),
            ));
        }
        let (Some(schema), Some(props)) =
            (v.get("schema").and_then(Value::as_str), v.get("properties"))
        else {
            return Err(bad(
                "not a FollowTheMoney entity (`schema` and `properties` expected)".into(),
            ));
        };
        if v.get("target").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let mut e = Entry::new(Source::OpenSanctions, format!("line {line_no}"));
        e.subject = match schema {
            "Person" => "person",
            "Vessel" => "vessel",
            "Airplane" => "aircraft",
            "Company" | "Organization" | "LegalEntity" | "PublicBody" => "organisation",
            _ => "",
        };
        e.id = v.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
        e.also = v
            .get("referents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        for (k, field) in [
            ("name", "name"),
            ("alias", "alias"),
            ("previousName", "previousName"),
        ] {
            for n in strings(props, k) {
                e.name(n, field);
            }
        }
        if sink.weak() {
            for n in strings(props, "weakAlias") {
                e.name(n, "weakAlias");
            }
        }
        let imo = if schema == "Vessel" {
            Scheme::Imo
        } else {
            Scheme::ImoCompany
        };
        for (k, s) in [
            ("leiCode", Scheme::Lei),
            ("imoNumber", imo),
            ("swiftBic", Scheme::Bic),
        ] {
            for x in strings(props, k) {
                e.ids.push((s, x.to_owned(), k_static(k)));
            }
        }
        let countries: Vec<&str> = strings(props, "jurisdiction")
            .chain(strings(props, "country"))
            .collect();
        let country = match countries.as_slice() {
            [one, rest @ ..] if rest.iter().all(|c| c == one) => Country::parse(one).ok(),
            _ => None,
        };
        for x in strings(props, "vatCode") {
            if proof_core::ids::canonical(Scheme::Vat, x).is_ok() {
                e.ids.push((Scheme::Vat, x.to_owned(), "vatCode"));
            } else if let Some(c) = country {
                e.ids.push((Scheme::Strict(c), x.to_owned(), "vatCode"));
            } else {
                sink.note("identifiers_without_country");
            }
        }
        if schema != "Person" {
            for k in [
                "registrationNumber",
                "taxNumber",
                "innCode",
                "ogrnCode",
                "kppCode",
            ] {
                for x in strings(props, k) {
                    match country {
                        Some(c) => e.ids.push((Scheme::Strict(c), x.to_owned(), k_static(k))),
                        None => sink.note("identifiers_without_country"),
                    }
                }
            }
        }
        sink.add(file, e);
    }
    Ok(())
}

fn k_static(k: &str) -> &'static str {
    match k {
        "leiCode" => "leiCode",
        "imoNumber" => "imoNumber",
        "swiftBic" => "swiftBic",
        "registrationNumber" => "registrationNumber",
        "taxNumber" => "taxNumber",
        "innCode" => "innCode",
        "ogrnCode" => "ogrnCode",
        "kppCode" => "kppCode",
        _ => "properties",
    }
}

//! Identifiers in free text: OFAC SDN `Remarks` and UN `COMMENTS1` (`docs/lists.md`).

use crate::countries::code_of;
use proof_core::ids::{Country, Scheme};

/// Every 7-digit number that follows `IMO` within 30 characters that are not digits (so
/// `IMO number: 5342883`, `(IMO) Number: 1790183`, `IMO 9187629`).
pub(crate) fn imo_mentions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("IMO") {
        let after = rest.get(i + 3..).unwrap_or("");
        let lead = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit())
            .map(|(j, _)| j);
        if let Some(j) = lead.filter(|j| *j <= 30) {
            let digits: String = after
                .get(j..)
                .unwrap_or("")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if digits.len() == 7 {
                out.push(digits);
            }
        }
        rest = after;
    }
    out
}

/// What an OFAC remark item names.
#[derive(Clone, Copy)]
enum Kind {
    /// An IMO number: a ship's (vessels) or a company's (others), whatever the label.
    Imo,
    Lei,
    Bic,
    /// A VAT number; `strict:<country>` when it has no EU, GB or CHE prefix.
    Vat,
    /// A company register number of a named country (`reg:`), plus its strict key.
    Register,
    /// A UK Companies House number.
    UkCompany,
    /// A register or tax number of unclear type (`strict:`).
    Strict,
}

/// Remark labels, longest first where one starts another.
const LABELS: &[(&str, Kind)] = &[
    ("Vessel Registration Identification IMO ", Kind::Imo),
    ("Company Number IMO ", Kind::Imo),
    ("Identification Number IMO ", Kind::Imo),
    ("IMO ", Kind::Imo),
    ("Legal Entity Number ", Kind::Lei),
    ("SWIFT/BIC ", Kind::Bic),
    ("V.A.T. Number ", Kind::Vat),
    ("UK Company Number ", Kind::UkCompany),
    ("Company Number ", Kind::Register),
    ("Business Registration Number ", Kind::Strict),
    ("Commercial Registry Number ", Kind::Strict),
    ("Public Registration Number ", Kind::Strict),
    ("Chamber of Commerce Number ", Kind::Strict),
    ("Certificate of Incorporation Number ", Kind::Strict),
    ("Economic Register Number (CBLS) ", Kind::Strict),
    ("Registration Number ", Kind::Strict),
    ("Registration ID ", Kind::Strict),
    ("Registration No. ", Kind::Strict),
    ("Trade License No. ", Kind::Strict),
    ("Tax ID No. ", Kind::Strict),
    ("Matricula Mercantil No ", Kind::Strict),
    ("Enterprise Number ", Kind::Strict),
    ("Business Number ", Kind::Strict),
    ("Identification Number ", Kind::Strict),
    ("National ID No. ", Kind::Strict),
    ("Italian Fiscal Code ", Kind::Strict),
    ("NIT # ", Kind::Strict),
    ("RUC # ", Kind::Strict),
    ("RFC ", Kind::Strict),
];

/// An identifier found in a remark, or one that names no country its scheme needs.
pub(crate) enum Found {
    Id(Scheme, String, &'static str),
    NoCountry,
}

/// The identifiers of an OFAC `Remarks` text (items separated by `;`, an `alt.` prefix
/// ignored, the country in a trailing parenthesis). `vessel` decides whether a bare IMO
/// number is a ship's; person documents of individuals (`person`) are not read.
pub(crate) fn ofac(remarks: &str, vessel: bool, person: bool) -> Vec<Found> {
    let mut out = Vec::new();
    for item in remarks.split(';') {
        let item = item.trim().trim_end_matches('.');
        let item = item.strip_prefix("alt. ").unwrap_or(item);
        let Some((label, kind)) = LABELS.iter().find(|(l, _)| item.starts_with(l)) else {
            continue;
        };
        let body = item.get(label.len()..).unwrap_or("").trim();
        let (value, country) = match body.rfind(" (") {
            Some(i) if body.ends_with(')') => (
                body.get(..i).unwrap_or("").trim(),
                body.get(i + 2..body.len() - 1).and_then(code_of),
            ),
            _ => (body, None),
        };
        if value.is_empty() {
            continue;
        }
        let field = "Remarks";
        match kind {
            Kind::Imo if vessel => out.push(Found::Id(Scheme::Imo, value.into(), field)),
            Kind::Imo => out.push(Found::Id(Scheme::ImoCompany, value.into(), field)),
            Kind::Lei => out.push(Found::Id(Scheme::Lei, value.into(), field)),
            Kind::Bic => out.push(Found::Id(Scheme::Bic, value.into(), field)),
            Kind::UkCompany => {
                if let Ok(gb) = Country::parse("GB") {
                    out.push(Found::Id(Scheme::Reg(gb), value.into(), field));
                }
            }
            _ if person => {}
            Kind::Vat if proof_core::ids::canonical(Scheme::Vat, value).is_ok() => {
                out.push(Found::Id(Scheme::Vat, value.into(), field));
            }
            Kind::Vat | Kind::Register | Kind::Strict => {
                let Some(c) = country.and_then(|c| Country::parse(c).ok()) else {
                    out.push(Found::NoCountry);
                    continue;
                };
                let reg = matches!(kind, Kind::Register)
                    || (c.as_str() == "DE"
                        && proof_core::ids::canonical(Scheme::Reg(c), value).is_ok());
                // A register number also gives its `strict:` key (`ids::strict_key`).
                let scheme = if reg {
                    Scheme::Reg(c)
                } else {
                    Scheme::Strict(c)
                };
                out.push(Found::Id(scheme, value.into(), field));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// The labels of `docs/lists.md`, "OFAC remark labels", in order, are these labels.
    #[test]
    fn the_documented_labels_are_these_labels() {
        let doc = include_str!("../../../docs/lists.md");
        let at = doc.find("#### OFAC remark labels").unwrap();
        let documented: Vec<&str> = doc[at..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .filter_map(|l| l.strip_prefix("| `")?.split_once("` |").map(|(a, _)| a))
            .collect();
        let ours: Vec<&str> = LABELS.iter().map(|(l, _)| *l).collect();
        assert_eq!(documented, ours);
    }

    use super::*;

    fn ids(r: &str, vessel: bool) -> Vec<String> {
        ofac(r, vessel, false)
            .into_iter()
            .map(|f| match f {
                Found::Id(s, v, _) => format!("{s}={v}"),
                Found::NoCountry => "no-country".into(),
            })
            .collect()
    }

    #[test]
    fn remark_items_become_typed_identifiers() {
        assert_eq!(
            ids(
                "Company Number 07486049 (Czech Republic); Legal Entity Number 5299007NTWCC3U23WM81 (Czech Republic); a.k.a. 'X'.",
                false
            ),
            ["reg:CZ=07486049", "lei=5299007NTWCC3U23WM81"]
        );
        assert_eq!(
            ids(
                "Vessel Registration Identification IMO 9187629; MMSI 1",
                true
            ),
            ["imo=9187629"]
        );
        assert_eq!(ids("IMO 9187629", false), ["imo-company=9187629"]);
        assert_eq!(
            ids(
                "V.A.T. Number CHE-267.936.404 (Switzerland); Registration ID 123 (Jalisco)",
                false
            ),
            ["vat=CHE-267.936.404", "no-country"]
        );
        assert_eq!(
            ids("alt. Registration ID HRB 12345 (Germany)", false),
            ["reg:DE=HRB 12345"]
        );
        assert!(ofac("National ID No. 123 (Iran)", false, true).is_empty());
    }

    #[test]
    fn imo_numbers_are_found_in_prose() {
        assert_eq!(
            imo_mentions(
                "International Maritime Organization (IMO) Number: 1790183. IMO number: 5342883; IMO 12"
            ),
            ["1790183", "5342883"]
        );
    }
}

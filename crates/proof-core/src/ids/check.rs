//! Canonical forms and validation of the identifier schemes (`docs/lists.md`, "Typed
//! identifiers").

use super::{Country, IdError, name, shown};

/// Upper case with every character in `drop` and all whitespace removed.
fn squeeze(value: &str, drop: &[char]) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !drop.contains(c))
        .flat_map(char::to_uppercase)
        .collect()
}

fn all_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// ISO 17442 LEI: whitespace removed, upper case, 20 of `A-Z0-9`, ISO 7064 mod 97-10
/// check (the number read with `A`=10 … `Z`=35 is 1 modulo 97).
pub(super) fn lei(value: &str) -> Result<String, IdError> {
    let v = squeeze(value, &[]);
    if v.len() != 20 || !all_alnum(&v) {
        return Err(IdError::new(format!(
            "`{}` is not an LEI: 20 letters and digits expected",
            shown(value.trim())
        )));
    }
    let mut rem: u32 = 0;
    for b in v.bytes() {
        let d = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if d >= 10 {
            (rem * 100 + d) % 97
        } else {
            (rem * 10 + d) % 97
        };
    }
    if rem != 1 {
        return Err(IdError::new(format!(
            "`{v}` is not an LEI: its ISO 7064 mod 97-10 check digits are wrong"
        )));
    }
    Ok(v)
}

/// IMO number: a leading `IMO` (any case) and the separators ` :.-` removed, then exactly 7
/// digits whose last is the check digit: the sum of the first six digits weighted 7, 6, 5,
/// 4, 3, 2, modulo 10.
pub(super) fn imo(value: &str) -> Result<String, IdError> {
    let v = imo_digits(value)?;
    let digits: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .zip([7, 6, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum();
    if digits.last() != Some(&(sum % 10)) {
        return Err(IdError::new(format!(
            "`{v}` is not an IMO ship number: its check digit is wrong (an IMO company number has none: scheme `imo-company`)"
        )));
    }
    Ok(v)
}

/// IMO company and registered owner number: as [`imo`], without a check digit.
pub(super) fn imo_company(value: &str) -> Result<String, IdError> {
    imo_digits(value)
}

fn imo_digits(value: &str) -> Result<String, IdError> {
    let t = value.trim();
    let body = if t.len() >= 3 && t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("imo")) {
        t.get(3..).unwrap_or("")
    } else {
        t
    };
    let v = squeeze(body, &[':', '.', '-']);
    let digits: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
    if v.len() != 7 || digits.len() != 7 {
        return Err(IdError::new(format!(
            "`{}` is not an IMO number: 7 digits expected",
            shown(t)
        )));
    }
    Ok(v)
}

/// ISO 9362 BIC: whitespace removed, upper case, 8 or 11 of `A-Z0-9` with an assigned
/// country code (or `XK`) in positions 5–6; the canonical form is the first 8 characters,
/// so a branch BIC matches its institution.
pub(super) fn bic(value: &str) -> Result<String, IdError> {
    let v = squeeze(value, &[]);
    let bad = || {
        IdError::new(format!(
            "`{}` is not a BIC: 8 or 11 letters and digits with a country code in positions 5-6",
            shown(value.trim())
        ))
    };
    if !(v.len() == 8 || v.len() == 11) || !all_alnum(&v) {
        return Err(bad());
    }
    let country = v.get(4..6).ok_or_else(bad)?;
    if country != "XK" && Country::parse(country).is_err() {
        return Err(bad());
    }
    Ok(v.get(..8).ok_or_else(bad)?.to_owned())
}

/// The VAT prefixes accepted: EU member states (Greece is `EL`), Northern Ireland (`XI`),
/// the United Kingdom (`GB`) and Switzerland's `CHE` (UID with VAT).
pub const VAT_PREFIXES: &str =
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI GB";

/// VAT number: every character but `A-Z0-9` removed after upper-casing; a country prefix
/// from [`VAT_PREFIXES`] or `CHE`, then 2 to 13 letters and digits, at least one a digit.
/// A trailing Swiss `MWST`/`TVA`/`IVA` is dropped.
pub(super) fn vat(value: &str) -> Result<String, IdError> {
    let mut v: String = value
        .chars()
        .flat_map(char::to_uppercase)
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let (prefix, rest) = if v.starts_with("CHE") {
        for tail in ["MWST", "TVA", "IVA"] {
            if let Some(s) = v.strip_suffix(tail) {
                v = s.to_owned();
            }
        }
        ("CHE", v.get(3..).unwrap_or(""))
    } else {
        (v.get(..2).unwrap_or(""), v.get(2..).unwrap_or(""))
    };
    if prefix == "GR" {
        return Err(IdError::new(format!(
            "`{}`: Greek VAT numbers use the prefix EL, not GR",
            shown(value.trim())
        )));
    }
    if !(prefix == "CHE" || VAT_PREFIXES.split(' ').any(|p| p == prefix)) {
        return Err(IdError::new(format!(
            "`{}` is not a VAT number: it must start with an EU country prefix (DE, FR, EL, ...), XI, GB or CHE",
            shown(value.trim())
        )));
    }
    if !(2..=13).contains(&rest.len()) || !rest.bytes().any(|b| b.is_ascii_digit()) {
        return Err(IdError::new(format!(
            "`{}` is not a VAT number: 2 to 13 letters and digits expected after the prefix",
            shown(value.trim())
        )));
    }
    Ok(format!("{prefix}{rest}"))
}

/// German register types (Handelsregister A/B, Genossenschafts-, Partnerschafts-,
/// Vereins-, Gesellschaftsregister).
pub const DE_REGISTER_TYPES: [&str; 6] = ["HRA", "HRB", "GNR", "PR", "VR", "GSR"];

/// A national register number. For `DE`: `[court] TYPE NUMBER [SUFFIX]` (for example
/// `Amtsgericht Berlin (Charlottenburg) HRB 12345 B`) becomes `[COURT:]TYPENUMBER[SUFFIX]`
/// (`BERLINCHARLOTTENBURG:HRB12345B`). For other countries, the [`strict`] form.
pub(super) fn register(country: Country, value: &str) -> Result<String, IdError> {
    if country.as_str() == "DE" {
        return german_register(value);
    }
    strict(value)
}

fn german_register(value: &str) -> Result<String, IdError> {
    let bad = |why: &str| {
        IdError::new(format!(
            "`{}` is not a German register number: {why} (expected e.g. `HRB 12345 B` or `Amtsgericht München HRB 12345`)",
            shown(value.trim())
        ))
    };
    // Tokens of letters and of digits, upper case, umlauts as AE/OE/UE.
    let folded = name::ascii_upper(value);
    let mut tokens: Vec<String> = Vec::new();
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut cur = String::new();
        for ch in word.chars() {
            if !cur.is_empty() && cur.chars().all(|c| c.is_ascii_digit()) != ch.is_ascii_digit() {
                tokens.push(std::mem::take(&mut cur));
            }
            cur.push(ch);
        }
        if !cur.is_empty() {
            tokens.push(cur);
        }
    }
    let Some(at) = tokens
        .iter()
        .position(|t| DE_REGISTER_TYPES.contains(&t.as_str()))
    else {
        return Err(bad("no register type (HRA, HRB, GnR, PR, VR, GsR)"));
    };
    let (before, after) = tokens.split_at(at);
    let mut after = after.iter();
    let kind = after.next().ok_or_else(|| bad("no register type"))?;
    let number = after
        .next()
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| bad("no number after the register type"))?;
    let suffix: Vec<&String> = after.collect();
    if suffix.len() > 1 || suffix.iter().any(|s| s.len() > 2 || !all_alnum(s)) {
        return Err(bad("unexpected text after the number"));
    }
    let court: String = before
        .iter()
        .map(String::as_str)
        .skip_while(|t| ["AMTSGERICHT", "AG", "REGISTERGERICHT"].contains(t))
        .collect();
    let number = number.trim_start_matches('0');
    let body = format!(
        "{kind}{}{}",
        if number.is_empty() { "0" } else { number },
        suffix.first().map_or("", |s| s.as_str())
    );
    Ok(if court.is_empty() {
        body
    } else {
        format!("{court}:{body}")
    })
}

/// A register or tax number of unclear type: upper case ASCII (umlauts as AE/OE/UE,
/// other marks removed), every character but `A-Z0-9` removed; at least one character.
pub(super) fn strict(value: &str) -> Result<String, IdError> {
    let v: String = name::ascii_upper(value)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if v.is_empty() {
        return Err(IdError::new(format!(
            "`{}` has no letters or digits",
            shown(value.trim())
        )));
    }
    Ok(v)
}

/// A list's designation id: trimmed, non-empty, printable ASCII without whitespace, case
/// kept.
pub(super) fn designation(value: &str) -> Result<String, IdError> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IdError::new(format!(
            "`{}` is not a designation id: printable ASCII without spaces expected",
            shown(v)
        )));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lei_check_digits_are_verified() {
        assert_eq!(
            lei("5299 007N TWCC 3U23 WM81").unwrap(),
            "5299007NTWCC3U23WM81"
        );
        assert!(lei("5299007NTWCC3U23WM82").unwrap_err().0.contains("check"));
        assert!(lei("5299007NTWCC3U23WM8").unwrap_err().0.contains("20"));
        assert!(lei("5299007NTWCC3U23WM8!").is_err());
    }

    #[test]
    fn imo_numbers_lose_their_prefix_and_keep_their_check_digit() {
        assert_eq!(imo("IMO 9176187").unwrap(), "9176187");
        assert_eq!(imo("imo: 1790183").unwrap(), "1790183");
        assert!(imo("9176188").unwrap_err().0.contains("check digit"));
        assert!(imo("917618").is_err());
        assert!(imo("IMO 91761870").is_err());
        assert_eq!(imo_company("5342883").unwrap(), "5342883");
        assert!(imo("5342883").unwrap_err().0.contains("imo-company"));
    }

    #[test]
    fn bic_branches_compare_on_the_institution() {
        assert_eq!(bic("DEUT DE FF 500").unwrap(), "DEUTDEFF");
        assert_eq!(bic("deutdeff").unwrap(), "DEUTDEFF");
        assert!(bic("DEUTZZFF").is_err());
        assert!(bic("DEUTDEF").is_err());
    }

    #[test]
    fn vat_numbers_need_a_known_prefix() {
        assert_eq!(vat("DE 123 456 789").unwrap(), "DE123456789");
        assert_eq!(vat("CHE-267.936.404 MWST").unwrap(), "CHE267936404");
        assert!(vat("GR123456789").unwrap_err().0.contains("EL"));
        assert!(vat("US123456789").is_err());
        assert!(vat("DE").is_err());
    }

    #[test]
    fn german_register_numbers_keep_type_number_suffix_and_court() {
        assert_eq!(german_register("HRB 12345 B").unwrap(), "HRB12345B");
        assert_eq!(german_register("hrb12345").unwrap(), "HRB12345");
        assert_eq!(
            german_register("Amtsgericht Berlin (Charlottenburg), HRB 12345 B").unwrap(),
            "BERLINCHARLOTTENBURG:HRB12345B"
        );
        assert_eq!(
            german_register("AG München HRB 007").unwrap(),
            "MUENCHEN:HRB7"
        );
        assert!(german_register("12345").unwrap_err().0.contains("type"));
        assert!(german_register("HRB").unwrap_err().0.contains("number"));
        assert!(german_register("HRB 1 foo bar").is_err());
    }

    #[test]
    fn strict_keys_keep_only_letters_and_digits() {
        assert_eq!(strict("CH-660.0.699.004-7").unwrap(), "CH66006990047");
        assert!(strict(" -./ ").is_err());
        assert_eq!(designation(" QDe.004 ").unwrap(), "QDe.004");
        assert!(designation("a b").is_err());
    }
}

//! Identifier normalisation and commitment: the one function that turns an entity
//! identifier or a region code into the 32-byte hash that lists and contexts share.
//!
//! - entity: Unicode NFKC, then lowercase, then every run of whitespace becomes one space
//!   and leading/trailing whitespace is dropped; hash = SHA-256(`proof:entity:v1:` ‖ UTF-8).
//! - region: ASCII letters uppercased after trimming; must be an assigned ISO 3166-1
//!   alpha-2 code; hash = SHA-256(`proof:region:v1:` ‖ code).

use crate::hash::sha256;
use unicode_normalization::UnicodeNormalization;

/// What kind of identifier a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A company or person identifier (register number, LEI, name).
    Entity,
    /// An ISO 3166-1 alpha-2 country or territory code.
    Region,
}

impl Kind {
    /// `entity` or `region`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Entity => "entity",
            Self::Region => "region",
        }
    }

    const fn domain(self) -> &'static [u8] {
        match self {
            Self::Entity => b"proof:entity:v1:",
            Self::Region => b"proof:region:v1:",
        }
    }
}

/// Normalises an entity identifier.
///
/// # Errors
/// When nothing is left after normalisation.
pub fn normalize_entity(id: &str) -> Result<String, String> {
    let folded: String = id.nfkc().collect::<String>().to_lowercase();
    let out = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.is_empty() {
        return Err("entity identifier is empty".into());
    }
    Ok(out)
}

/// Normalises a region code to its uppercase ISO 3166-1 alpha-2 form.
///
/// # Errors
/// When the code is not an assigned alpha-2 code.
pub fn normalize_region(code: &str) -> Result<String, String> {
    let c = code.trim().to_ascii_uppercase();
    if c.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|x| x == c) {
        Ok(c)
    } else {
        Err(format!(
            "`{}` is not an assigned ISO 3166-1 alpha-2 code",
            code.trim()
        ))
    }
}

/// The hash a context and a list use for `value` of `kind`.
///
/// # Errors
/// When `value` does not normalise.
pub fn commit(kind: Kind, value: &str) -> Result<[u8; 32], String> {
    let norm = match kind {
        Kind::Entity => normalize_entity(value)?,
        Kind::Region => normalize_region(value)?,
    };
    let mut buf = kind.domain().to_vec();
    buf.extend_from_slice(norm.as_bytes());
    Ok(sha256(&buf))
}

/// The 249 officially assigned ISO 3166-1 alpha-2 codes.
pub const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ \
EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_table_has_249_unique_codes() {
        let mut codes: Vec<&str> = ISO_3166_ALPHA2.split(' ').collect();
        assert_eq!(codes.len(), 249);
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 249);
    }

    #[test]
    fn entity_spelling_variants_commit_to_one_hash() {
        let a = commit(Kind::Entity, "ACME  Trading\tGmbH").unwrap();
        let b = commit(Kind::Entity, " acme trading gmbh ").unwrap();
        let c = commit(Kind::Entity, "ＡＣＭＥ Trading GmbH").unwrap(); // fullwidth, NFKC folds it
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, commit(Kind::Entity, "acme trading ag").unwrap());
        assert!(commit(Kind::Entity, " \t ").is_err());
    }

    #[test]
    fn regions_are_case_insensitive_and_must_be_assigned() {
        assert_eq!(commit(Kind::Region, "de"), commit(Kind::Region, " DE "));
        assert!(normalize_region("XX").unwrap_err().contains("`XX`"));
        assert!(normalize_region("DEU").is_err());
        // entity and region domains are separated
        assert_ne!(
            commit(Kind::Region, "DE").unwrap(),
            commit(Kind::Entity, "de").unwrap()
        );
    }
}

//! Typed identifier commitments: the leaves that official lists and supplier master data
//! share.
//!
//! A leaf is `SHA-256("proof:id:v1:" ‖ scheme ‖ ":" ‖ canonical(value))`. Each scheme has
//! its own canonical form and validation ([`canonical`]); an invalid value is an error,
//! never a silently different hash. Names are not identifiers: a name gives several keys
//! ([`name::keys`]), and a hit on one is a candidate for review, not a match
//! ([`Scheme::is_candidate`]). The exact rules, precise enough to reimplement, are in
//! `docs/lists.md`.

pub mod check;
pub mod name;

use crate::hash::sha256;
use crate::lists::normalize::ISO_3166_ALPHA2;
use std::fmt;

/// The domain prefix of every typed identifier leaf.
pub const DOMAIN: &str = "proof:id:v1:";

/// A list that publishes its own designation ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// EU Financial Sanctions Files (`logicalId` / EU reference number).
    EuFsf,
    /// UN Security Council consolidated list (`REFERENCE_NUMBER`).
    Un,
    /// OFAC SDN list (`ent_num`).
    Ofac,
    /// UK Sanctions List (the unique id, e.g. `RUS0001`).
    GbFcdo,
    /// OpenSanctions (entity id).
    OpenSanctions,
}

impl Source {
    /// Every source, in label order.
    pub const ALL: [Self; 5] = [
        Self::EuFsf,
        Self::GbFcdo,
        Self::Ofac,
        Self::OpenSanctions,
        Self::Un,
    ];

    /// The scheme label: `eu-fsf`, `un`, `ofac`, `gb-fcdo` or `opensanctions`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::EuFsf => "eu-fsf",
            Self::Un => "un",
            Self::Ofac => "ofac",
            Self::GbFcdo => "gb-fcdo",
            Self::OpenSanctions => "opensanctions",
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// Parses an assigned alpha-2 code, in either case.
    ///
    /// # Errors
    /// When the code is not assigned.
    pub fn parse(code: &str) -> Result<Self, IdError> {
        let c = code.trim().to_ascii_uppercase();
        match c.as_bytes() {
            [a, b] if ISO_3166_ALPHA2.split(' ').any(|x| x == c) => Ok(Self([*a, *b])),
            _ => Err(IdError::new(format!(
                "`{}` is not an assigned ISO 3166-1 alpha-2 country code",
                shown(code.trim())
            ))),
        }
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// An identifier scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Legal Entity Identifier (ISO 17442).
    Lei,
    /// IMO ship identification number (with its check digit).
    Imo,
    /// IMO unique company and registered owner number (7 digits, no check digit).
    ImoCompany,
    /// Business Identifier Code (ISO 9362), compared on its first 8 characters.
    Bic,
    /// VAT identification number with its country prefix.
    Vat,
    /// A national register number of a country.
    Reg(Country),
    /// A register or tax number of unclear type: a candidate, like a name key.
    Strict(Country),
    /// A list's own designation id.
    Designation(Source),
    /// A name key ([`name::keys`]): a candidate for review.
    Name,
}

impl Scheme {
    /// Parses a scheme label: `lei`, `imo`, `bic`, `vat`, `reg:DE`, `strict:DE`, `name`,
    /// `eu-fsf`, `un`, `ofac`, `gb-fcdo`, `opensanctions`.
    ///
    /// # Errors
    /// An unknown scheme or country, naming the known schemes.
    pub fn parse(label: &str) -> Result<Self, IdError> {
        let l = label.trim();
        if let Some(c) = l.strip_prefix("reg:") {
            return Ok(Self::Reg(Country::parse(c)?));
        }
        if let Some(c) = l.strip_prefix("strict:") {
            return Ok(Self::Strict(Country::parse(c)?));
        }
        Ok(match l {
            "lei" => Self::Lei,
            "imo" => Self::Imo,
            "imo-company" => Self::ImoCompany,
            "bic" => Self::Bic,
            "vat" => Self::Vat,
            "name" => Self::Name,
            "reg" | "strict" => {
                return Err(IdError::new(format!(
                    "scheme `{l}` needs a country: `{l}:DE`, `{l}:GB`, ..."
                )));
            }
            other => {
                if let Some(s) = Source::ALL.iter().find(|s| s.label() == other) {
                    Self::Designation(*s)
                } else {
                    return Err(IdError::new(format!(
                        "unknown identifier scheme `{}`; known: lei, imo, imo-company, bic, vat, reg:<ISO2>, strict:<ISO2>, name, eu-fsf, un, ofac, gb-fcdo, opensanctions",
                        shown(other)
                    )));
                }
            }
        })
    }

    /// True for schemes whose hits are candidates for review (names, strict keys), false
    /// for identifiers whose hits are matches.
    #[must_use]
    pub const fn is_candidate(self) -> bool {
        matches!(self, Self::Name | Self::Strict(_))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lei => f.write_str("lei"),
            Self::Imo => f.write_str("imo"),
            Self::ImoCompany => f.write_str("imo-company"),
            Self::Bic => f.write_str("bic"),
            Self::Vat => f.write_str("vat"),
            Self::Reg(c) => write!(f, "reg:{}", c.as_str()),
            Self::Strict(c) => write!(f, "strict:{}", c.as_str()),
            Self::Designation(s) => f.write_str(s.label()),
            Self::Name => f.write_str("name"),
        }
    }
}

/// A value that is not a valid identifier of its scheme.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

impl IdError {
    pub(crate) fn new(m: impl Into<String>) -> Self {
        Self(m.into())
    }
}

/// At most 60 characters of a value, for error messages.
pub(crate) fn shown(v: &str) -> String {
    v.chars().take(60).collect()
}

/// The canonical form of `value` in `scheme`. For [`Scheme::Name`] this is the full key
/// ([`name::full`]); the other keys come from [`name::keys`].
///
/// # Errors
/// When the value is not valid in the scheme (bad check digit, wrong length, ...).
pub fn canonical(scheme: Scheme, value: &str) -> Result<String, IdError> {
    match scheme {
        Scheme::Lei => check::lei(value),
        Scheme::Imo => check::imo(value),
        Scheme::ImoCompany => check::imo_company(value),
        Scheme::Bic => check::bic(value),
        Scheme::Vat => check::vat(value),
        Scheme::Reg(c) => check::register(c, value),
        Scheme::Strict(_) => check::strict(value),
        Scheme::Designation(_) => check::designation(value),
        Scheme::Name => name::full(value),
    }
}

/// The leaf of an already canonical value.
#[must_use]
pub fn leaf(scheme: Scheme, canonical: &str) -> [u8; 32] {
    let label = scheme.to_string();
    let mut buf = Vec::with_capacity(DOMAIN.len() + label.len() + 1 + canonical.len());
    buf.extend_from_slice(DOMAIN.as_bytes());
    buf.extend_from_slice(label.as_bytes());
    buf.push(b':');
    buf.extend_from_slice(canonical.as_bytes());
    sha256(&buf)
}

/// The `strict:CC` key that a `reg:CC` value also gives, so that a register number whose
/// type one side leaves unclear still meets it as a candidate: the canonical value, for
/// Germany without the court (`MUENCHEN:HRB12345` gives `HRB12345`). `None` for other
/// schemes.
#[must_use]
pub fn strict_key(scheme: Scheme, canonical: &str) -> Option<(Scheme, String)> {
    let Scheme::Reg(c) = scheme else { return None };
    let body = canonical.rsplit(':').next().unwrap_or(canonical);
    Some((Scheme::Strict(c), body.to_owned()))
}

/// Canonicalises `value` and returns its leaf.
///
/// # Errors
/// As [`canonical`].
pub fn commit(scheme: Scheme, value: &str) -> Result<[u8; 32], IdError> {
    Ok(leaf(scheme, &canonical(scheme, value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_round_trip_through_their_labels() {
        for l in [
            "lei",
            "imo",
            "imo-company",
            "bic",
            "vat",
            "reg:DE",
            "strict:CH",
            "name",
            "eu-fsf",
            "un",
            "ofac",
            "gb-fcdo",
            "opensanctions",
        ] {
            assert_eq!(Scheme::parse(l).unwrap().to_string(), l);
        }
        assert_eq!(Scheme::parse("reg:de").unwrap().to_string(), "reg:DE");
        assert!(Scheme::parse("reg").unwrap_err().0.contains("reg:DE"));
        assert!(Scheme::parse("reg:XX").unwrap_err().0.contains("`XX`"));
        assert!(Scheme::parse("duns").unwrap_err().0.contains("unknown"));
    }

    #[test]
    fn a_leaf_is_the_sha256_of_domain_scheme_and_canonical_value() {
        let expected = sha256(b"proof:id:v1:lei:529900T8BM49AURSDO55");
        assert_eq!(
            commit(Scheme::Lei, " 529900t8bm49aursdo55 ").unwrap(),
            expected
        );
        let reg = sha256(b"proof:id:v1:reg:GB:03632365");
        assert_eq!(
            commit(Scheme::Reg(Country::parse("gb").unwrap()), "03632365").unwrap(),
            reg
        );
        // One value in two schemes gives two leaves.
        assert_ne!(
            commit(Scheme::Strict(Country::parse("GB").unwrap()), "03632365").unwrap(),
            reg
        );
    }
}

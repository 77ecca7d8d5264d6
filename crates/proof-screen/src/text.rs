//! Names to the tokens the matcher compares (`docs/screening.md`, "Normalisation").

use proof_core::ids::name;

/// Words that say little about who a party is: they weigh [`NOISE_WEIGHT`] of a word
/// that is on no list. Kept in the canonical form (lower case, ASCII).
pub const NOISE_WORDS: &[&str] = &[
    "the",
    "and",
    "und",
    "of",
    "for",
    "fur",
    "der",
    "die",
    "das",
    "de",
    "du",
    "des",
    "la",
    "le",
    "group",
    "gruppe",
    "holding",
    "holdings",
    "international",
    "intl",
    "trading",
    "trade",
    "handel",
    "handels",
    "import",
    "export",
    "services",
    "service",
    "industries",
    "industry",
    "enterprise",
    "enterprises",
    "global",
    "general",
    "worldwide",
    "org",
    "organization",
    "organisation",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "herr",
    "frau",
];

/// The weight of a [`NOISE_WORDS`] token, relative to the weight of a token on no list.
pub const NOISE_WEIGHT: f64 = 0.2;

/// What a list says a designation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// A natural person.
    Person,
    /// A company, organisation or other body.
    Organisation,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
    /// The list does not say.
    Unknown,
}

impl Subject {
    /// From the `subject` column of an imported list.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "person" => Self::Person,
            "organisation" => Self::Organisation,
            "vessel" => Self::Vessel,
            "aircraft" => Self::Aircraft,
            _ => Self::Unknown,
        }
    }

    /// `person`, `organisation`, `vessel`, `aircraft` or `unknown`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Organisation => "organisation",
            Self::Vessel => "vessel",
            Self::Aircraft => "aircraft",
            Self::Unknown => "unknown",
        }
    }

    /// True for a person.
    #[must_use]
    pub const fn is_person(self) -> bool {
        matches!(self, Self::Person)
    }
}

/// Spelling variants of transliteration folded to one form, in this order, in every
/// token: `dzh` (Russian `дж` for J), `zh`, `kh`, `ph`, `ck`, `q`, `y`, `ou`, `oo`, `ee`,
/// `w`; then every run of a repeated letter becomes one letter. `Qaida` and `Kaida`,
/// `Mohammed` and `Mohamed`, `Yusuf` and `Iusuf` fold to one form.
pub const FOLDS: [(&str, &str); 11] = [
    ("dzh", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("y", "i"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("w", "v"),
];

/// A token with [`FOLDS`] applied and repeated letters collapsed. Digits are kept.
#[must_use]
pub fn fold(token: &str) -> String {
    let mut t = token.to_owned();
    for (from, to) in FOLDS {
        if t.contains(from) {
            t = t.replace(from, to);
        }
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if out.ends_with(c) && c.is_ascii_alphabetic() {
            continue;
        }
        out.push(c);
    }
    out
}

/// A name as the matcher compares it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    /// The tokens, in the order of the name.
    pub tokens: Vec<String>,
    /// Each token [`fold`]ed: what is compared and indexed.
    pub folded: Vec<String>,
    /// The legal form removed from the end or the start (organisations only), as written
    /// in canonical form; empty when there was none.
    pub legal_form: String,
}

/// The ASCII form of a name: the canonical form of the name keys (`docs/lists.md`, "Name
/// keys": NFC, fold table, lower case, marks removed, punctuation to spaces), then every
/// remaining non-ASCII character transliterated (`any_ascii`: Cyrillic, Greek, Arabic,
/// CJK, ...), lower-cased and split again at every character that is not a letter or
/// digit.
#[must_use]
pub fn ascii(value: &str) -> String {
    let canonical = name::canonical(value, false);
    if canonical.is_ascii() {
        return canonical;
    }
    let translit = any_ascii::any_ascii(&canonical).to_ascii_lowercase();
    let mut out = String::with_capacity(translit.len());
    for word in translit.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The tokens of a name. For anything but a person, the legal form is removed with the
/// table of the name keys ([`name::without_legal_form`]) and kept aside; a person's name
/// keeps every token.
#[must_use]
pub fn tokens(value: &str, subject: Subject) -> Tokens {
    let full = ascii(value);
    let (base, legal_form) = if subject.is_person() {
        (full.clone(), String::new())
    } else {
        let base = name::without_legal_form(&full);
        let legal = removed(&full, &base);
        (base, legal)
    };
    let tokens: Vec<String> = base
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    Tokens {
        folded: tokens.iter().map(|t| fold(t)).collect(),
        tokens,
        legal_form,
    }
}

/// The tokens of `full` that `base` (a contiguous run of them) does not have.
fn removed(full: &str, base: &str) -> String {
    if base == full || base.is_empty() {
        return String::new();
    }
    let Some(at) = full.find(base) else {
        return String::new();
    };
    let before = full.get(..at).unwrap_or("").trim();
    let after = full.get(at + base.len()..).unwrap_or("").trim();
    [before, after]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// True for a [`NOISE_WORDS`] token, and for a token of a legal form (`ltd`, `co`, the
/// `b` and `v` of `B.V.`) that was not removed because it is not at the end or the start
/// of the name.
#[must_use]
pub fn is_noise(token: &str) -> bool {
    // Weighing a supplier's tokens asks this for each of them: the set is built once.
    static NOISE: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            NOISE_WORDS
                .iter()
                .copied()
                .chain(
                    name::LEGAL_FORM_SUFFIXES
                        .iter()
                        .chain(name::LEGAL_FORM_PREFIXES)
                        .flat_map(|f| f.split(' ')),
                )
                .collect()
        });
    NOISE.contains(token)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn names_become_ascii_tokens_without_legal_forms() {
        let t = tokens("Müller Maschinenbau GmbH & Co. KG", Subject::Organisation);
        assert_eq!(t.tokens, ["muller", "maschinenbau"]);
        assert_eq!(t.legal_form, "gmbh co kg");
        let t = tokens("OOO Romashka", Subject::Unknown);
        assert_eq!(t.tokens, ["romashka"]);
        assert_eq!(t.legal_form, "ooo");
        assert_eq!(ascii("Аль-Каида"), "al kaida");
        assert_eq!(ascii("Ελληνική Εταιρεία"), "elliniki etaireia");
        // A person keeps every token, including one that is a legal form elsewhere.
        assert_eq!(tokens("Ali AG", Subject::Person).tokens, ["ali", "ag"]);
        assert_eq!(
            tokens("Bank 2", Subject::Organisation).tokens,
            ["bank", "2"]
        );
        assert_eq!(fold("qaida"), fold("kaida"));
        assert_eq!(fold("mohammed"), fold("mohamed"));
        assert_eq!(fold("dzhamil"), fold("jamil"));
        assert_eq!(fold("khan"), "han");
        assert_eq!(fold("1100"), "1100");
    }
}

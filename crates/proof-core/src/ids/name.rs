//! Name keys: the leaves a name gives (`docs/lists.md`, "Name keys").
//!
//! A name gives up to six keys, each hashed under the scheme `name`:
//! `full` (the canonical form), `base` (the same with a legal form removed) and `sorted`
//! (the base tokens in byte order), each computed twice, with German umlauts folded to
//! the plain vowel (`ü` → `u`) and to the two-letter form (`ü` → `ue`). Keys with equal
//! text are one key. A hit on a name key is a candidate for review, not a match.

use super::{IdError, shown};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Letters that Unicode decomposition does not reduce to ASCII, and what they become.
pub const FOLD: [(char, &str); 22] = [
    ('ß', "ss"),
    ('ẞ', "ss"),
    ('ø', "o"),
    ('Ø', "o"),
    ('ł', "l"),
    ('Ł', "l"),
    ('æ', "ae"),
    ('Æ', "ae"),
    ('œ', "oe"),
    ('Œ', "oe"),
    ('đ', "d"),
    ('Đ', "d"),
    ('ð', "d"),
    ('Ð', "d"),
    ('þ', "th"),
    ('Þ', "th"),
    ('ı', "i"),
    ('ħ', "h"),
    ('Ħ', "h"),
    ('ŀ', "l"),
    ('Ŀ', "l"),
    ('ĸ', "k"),
];

/// German umlauts in the `ue` variant.
pub const UMLAUTS: [(char, &str); 6] = [
    ('ä', "ae"),
    ('ö', "oe"),
    ('ü', "ue"),
    ('Ä', "ae"),
    ('Ö', "oe"),
    ('Ü', "ue"),
];

/// Legal forms removed at the end of a name for the `base` key, as canonical token
/// sequences. The longest one that matches the end is removed, once, and only if a token
/// is left.
pub const LEGAL_FORM_SUFFIXES: &[&str] = &[
    // German
    "gmbh co kgaa",
    "gmbh co kg",
    "gmbh co ohg",
    "ag co kgaa",
    "ag co kg",
    "se co kgaa",
    "se co kg",
    "ug haftungsbeschrankt co kg",
    "ug haftungsbeschraenkt co kg",
    "ug haftungsbeschrankt",
    "ug haftungsbeschraenkt",
    "ggmbh",
    "gmbh",
    "mbh",
    "ag",
    "kgaa",
    "kg",
    "ohg",
    "gbr",
    "e k",
    "ek",
    "e kfm",
    "e kfr",
    "e v",
    "ev",
    "e g",
    "eg",
    "se",
    "ug",
    "partg mbb",
    "partg",
    // International
    "co ltd",
    "company limited",
    "company ltd",
    "pte ltd",
    "pvt ltd",
    "private limited",
    "pty ltd",
    "sdn bhd",
    "ltd",
    "limited",
    "llc",
    "l l c",
    "llp",
    "lp",
    "plc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "sa",
    "s a",
    "sarl",
    "s a r l",
    "sas",
    "srl",
    "s r l",
    "spa",
    "s p a",
    "bv",
    "b v",
    "nv",
    "n v",
    "oy",
    "oyj",
    "ab",
    "as",
    "a s",
    "asa",
    "aps",
    "kft",
    "zrt",
    "sro",
    "s r o",
    "sp z o o",
    "doo",
    "d o o",
    "jsc",
    "ojsc",
    "cjsc",
    "pjsc",
    "fze",
    "fzco",
    "fzc",
    "fz llc",
];

/// Legal forms removed at the start of a name for the `base` key (forms written before
/// the name).
pub const LEGAL_FORM_PREFIXES: &[&str] = &[
    "ooo", "oao", "zao", "pao", "ao", "jsc", "ojsc", "cjsc", "pjsc", "tov", "pt",
];

/// Which key of a name a leaf is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// The canonical form.
    Full,
    /// The canonical form without a legal form.
    Base,
    /// The base tokens, sorted.
    Sorted,
}

impl KeyKind {
    /// `full`, `base` or `sorted`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Base => "base",
            Self::Sorted => "sorted",
        }
    }
}

/// One key of a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameKey {
    /// Which key.
    pub kind: KeyKind,
    /// Its text (the value hashed under the scheme `name`).
    pub text: String,
}

/// The canonical form with umlauts as plain vowels: [`canonical`] with `umlaut_e` false.
///
/// # Errors
/// When no letter or digit is left.
pub fn full(value: &str) -> Result<String, IdError> {
    let out = canonical(value, false);
    if out.is_empty() {
        return Err(IdError::new(format!(
            "the name `{}` has no letters or digits",
            shown(value.trim())
        )));
    }
    Ok(out)
}

/// The canonical form of a name: NFC; German umlauts to `ae`/`oe`/`ue` when `umlaut_e`;
/// the [`FOLD`] table; lower case; NFKD with combining marks removed; every character
/// that is not alphanumeric becomes a space; runs of spaces become one, none at the ends.
#[must_use]
pub fn canonical(value: &str, umlaut_e: bool) -> String {
    let mut pre = String::with_capacity(value.len());
    for c in value.nfc() {
        if let Some((_, r)) = umlaut_e
            .then(|| UMLAUTS.iter().find(|(u, _)| *u == c))
            .flatten()
        {
            pre.push_str(r);
        } else if let Some((_, r)) = FOLD.iter().find(|(f, _)| *f == c) {
            pre.push_str(r);
        } else {
            pre.push(c);
        }
    }
    let lower = pre.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut space = false;
    for c in lower.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// Upper-case ASCII letters and digits of a value with umlauts as `AE`/`OE`/`UE`, for
/// register numbers and strict keys (other characters stay, separated by spaces).
#[must_use]
pub fn ascii_upper(value: &str) -> String {
    canonical(value, true).to_uppercase()
}

fn without_legal_form(full: &str) -> String {
    let tokens: Vec<&str> = full.split(' ').collect();
    let mut start = 0;
    let mut end = tokens.len();
    let matches = |form: &str, at: &[&str]| {
        let f: Vec<&str> = form.split(' ').collect();
        (f.len() < at.len() && at.ends_with(&f)).then_some(f.len())
    };
    if let Some(n) = LEGAL_FORM_SUFFIXES
        .iter()
        .filter_map(|f| matches(f, &tokens))
        .max()
    {
        end -= n;
    }
    let rest = tokens.get(..end).unwrap_or(&[]);
    if let Some(first) = rest.first()
        && rest.len() > 1
        && LEGAL_FORM_PREFIXES.contains(first)
    {
        start = 1;
    }
    tokens.get(start..end).unwrap_or(&[]).join(" ")
}

/// Every key of a name, sorted by kind then text, equal texts given once (under the first
/// kind that produced them).
///
/// # Errors
/// When no letter or digit is left.
pub fn keys(value: &str) -> Result<Vec<NameKey>, IdError> {
    full(value)?;
    let mut out: Vec<NameKey> = Vec::with_capacity(6);
    for umlaut_e in [false, true] {
        let f = canonical(value, umlaut_e);
        let base = without_legal_form(&f);
        let mut sorted: Vec<&str> = base.split(' ').collect();
        sorted.sort_unstable();
        let sorted = sorted.join(" ");
        for (kind, text) in [
            (KeyKind::Full, f.clone()),
            (KeyKind::Base, base),
            (KeyKind::Sorted, sorted),
        ] {
            out.push(NameKey { kind, text });
        }
    }
    out.sort();
    let mut seen = std::collections::HashSet::new();
    out.retain(|k| seen.insert(k.text.clone()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// The first column of each row of the table under `heading` in `docs/lists.md`,
    /// backticks removed.
    fn documented(heading: &str) -> Vec<Vec<String>> {
        let doc = include_str!("../../../../docs/lists.md");
        let at = doc.find(heading).unwrap();
        doc[at..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                l.trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().trim_matches('`').to_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_documented_tables_are_these_tables() {
        let pairs = |t: &[(char, &str)]| -> Vec<Vec<String>> {
            t.iter()
                .map(|(c, s)| vec![c.to_string(), (*s).to_owned()])
                .collect()
        };
        let words =
            |t: &[&str]| -> Vec<Vec<String>> { t.iter().map(|s| vec![(*s).to_owned()]).collect() };
        assert_eq!(documented("#### Fold table"), pairs(&FOLD));
        assert_eq!(documented("#### Umlaut table"), pairs(&UMLAUTS));
        assert_eq!(
            documented("#### Legal-form suffixes"),
            words(LEGAL_FORM_SUFFIXES)
        );
        assert_eq!(
            documented("#### Legal-form prefixes"),
            words(LEGAL_FORM_PREFIXES)
        );
    }

    use super::*;

    fn texts(v: &str) -> Vec<(String, &'static str)> {
        keys(v)
            .unwrap()
            .into_iter()
            .map(|k| (k.text, k.kind.label()))
            .collect()
    }

    #[test]
    fn the_canonical_form_folds_case_marks_and_punctuation() {
        assert_eq!(full("  AL-QAIDA ").unwrap(), "al qaida");
        assert_eq!(
            full("Straße Łódź Ørsted Æther").unwrap(),
            "strasse lodz orsted aether"
        );
        assert_eq!(
            full("ＡＣＭＥ  Trading\tGmbH").unwrap(),
            "acme trading gmbh"
        );
        assert_eq!(full("Café Nº 5").unwrap(), "cafe no 5");
        assert_eq!(full("D'S SUPERMARKET").unwrap(), "d s supermarket");
        assert!(full(" -- ").is_err());
    }

    #[test]
    fn decomposed_and_precomposed_umlauts_give_the_same_keys() {
        assert_eq!(
            keys("Mu\u{308}ller GmbH").unwrap(),
            keys("Müller GmbH").unwrap()
        );
    }

    #[test]
    fn a_name_gives_full_base_sorted_and_umlaut_variants() {
        assert_eq!(
            texts("Müller Maschinenbau GmbH & Co. KG"),
            vec![
                ("mueller maschinenbau gmbh co kg".into(), "full"),
                ("muller maschinenbau gmbh co kg".into(), "full"),
                ("mueller maschinenbau".into(), "base"),
                ("muller maschinenbau".into(), "base"),
                ("maschinenbau mueller".into(), "sorted"),
                ("maschinenbau muller".into(), "sorted"),
            ]
        );
        assert_eq!(
            texts("Bäckerei Schmidt UG (haftungsbeschränkt)")
                .iter()
                .filter(|(_, k)| *k == "base")
                .count(),
            2
        );
        assert!(texts("OOO Romashka").contains(&("romashka".into(), "base")));
        // A name that is only a legal form keeps it.
        assert_eq!(texts("AG"), vec![("ag".into(), "full")]);
    }
}

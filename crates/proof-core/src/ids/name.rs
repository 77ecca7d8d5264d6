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
    // ASCII is unchanged by NFC, NFKD, the umlaut and fold tables: the same result without
    // the Unicode passes.
    if value.is_ascii() {
        return canonical_ascii(value);
    }
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

fn canonical_ascii(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut space = false;
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(char::from(b.to_ascii_lowercase()));
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

/// The number of tokens of `form` when `full` ends with them and has more tokens before.
fn ends_with_tokens(full: &str, form: &str) -> Option<usize> {
    let head = full.strip_suffix(form)?.strip_suffix(' ')?;
    (!head.is_empty()).then(|| form.bytes().filter(|b| *b == b' ').count() + 1)
}

/// A canonical form without its legal form: the longest [`LEGAL_FORM_SUFFIXES`] entry
/// that equals its last tokens (if a token is left), then a [`LEGAL_FORM_PREFIXES`] entry
/// that is its first token (if another is left). The `base` key of a name.
#[must_use]
pub fn without_legal_form(full: &str) -> String {
    let tokens: Vec<&str> = full.split(' ').collect();
    let mut start = 0;
    let mut end = tokens.len();
    if let Some(n) = LEGAL_FORM_SUFFIXES
        .iter()
        .filter_map(|f| ends_with_tokens(full, f))
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
    let plain = full(value)?;
    let mut out: Vec<NameKey> = Vec::with_capacity(6);
    // The `ue` variant differs only when the name has a character outside ASCII.
    let variants: &[bool] = if value.is_ascii() {
        &[false]
    } else {
        &[false, true]
    };
    for &umlaut_e in variants {
        let f = if umlaut_e {
            canonical(value, true)
        } else {
            plain.clone()
        };
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
    // At most six keys: a linear scan keeps the first of equal texts without a set.
    let mut kept: Vec<NameKey> = Vec::with_capacity(out.len());
    for k in out {
        if !kept.iter().any(|x| x.text == k.text) {
            kept.push(k);
        }
    }
    Ok(kept)
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

//! `proof-screen`: screening supplier names against the imported sanctions lists, on the
//! company's machine, in clear text (`docs/screening.md`).
//!
//! The verifier only sees hashes, so it can find exact identifiers and name keys but not
//! a name with a typo, another transliteration or reordered tokens. The lists are public:
//! the company screens its suppliers' names against the same list versions (the same
//! roots) the verifier checks, reviews the candidates, records false positives as
//! clearances, and commits to what it found in a screening statement.
//!
//! - [`list`] reads imported list files back into designations with their names;
//! - [`text`] turns names into tokens (transliteration, legal forms, noise words);
//! - [`index`] finds candidate names by token;
//! - [`score`] scores a candidate and explains each feature;
//! - [`clearance`] reads reviewed false positives;
//! - [`screen`] runs it all; [`output`] is the screening file and its statement.

pub mod clearance;
pub mod index;
pub mod list;
pub mod output;
pub mod score;
pub mod screen;
pub mod text;

/// The matcher's id and version. Any change to normalisation, weights, the score or its
/// constants changes the version.
pub const MATCHER: &str = "proof-name-v1";

/// The format of a screening file.
pub const FORMAT: &str = "proof-screening/v1";

/// The default threshold: candidates score at least this (`docs/screening.md`).
pub const DEFAULT_THRESHOLD: f64 = 0.85;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use crate::{index, score, text};

    const DOC: &str = include_str!("../../../docs/screening.md");

    #[test]
    fn the_documented_constants_are_the_constants() {
        let at = DOC.find("#### Constants").unwrap();
        let rows: Vec<(String, f64)> = DOC[at..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                (
                    cells[0].trim_matches('`').to_owned(),
                    cells[1].parse().unwrap(),
                )
            })
            .collect();
        let code = [
            ("TOKEN_MIN", score::TOKEN_MIN),
            ("UNMATCHED_PENALTY", score::UNMATCHED_PENALTY),
            ("FIRST_LETTER_PENALTY", score::FIRST_LETTER_PENALTY),
            ("INITIAL_SIMILARITY", score::INITIAL_SIMILARITY),
            ("COUNTRY", score::COUNTRY),
            ("ID_AGREES", score::ID_AGREES),
            ("ID_DISAGREES", score::ID_DISAGREES),
            ("NOISE_WEIGHT", text::NOISE_WEIGHT),
            ("MIN_COVER", index::MIN_COVER),
            ("DEFAULT_THRESHOLD", crate::DEFAULT_THRESHOLD),
        ];
        let code: Vec<(String, f64)> = code.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        assert_eq!(rows, code);
    }

    #[test]
    fn the_documented_noise_words_and_folds_are_the_tables() {
        let at = DOC
            .find("weighs\n0.2 of a word that is on no list: `")
            .unwrap();
        let rest = &DOC[at..];
        let start = rest.find('`').unwrap() + 1;
        let words: Vec<&str> = rest[start..rest[start..].find('`').unwrap() + start]
            .split_whitespace()
            .collect();
        assert_eq!(words, text::NOISE_WORDS);
        let folds: String = text::FOLDS
            .iter()
            .map(|(a, b)| format!("`{a}`→`{b}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let flat = DOC.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&folds), "{folds}");
    }
}

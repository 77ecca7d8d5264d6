//! The score of a supplier name against a list name, with what each feature contributed
//! (`docs/screening.md`, "The score").

use crate::index::IndexedName;
use crate::list::Entry;
use serde::Serialize;

/// Two tokens are paired when their similarity is at least this.
pub const TOKEN_MIN: f64 = 0.84;
/// How much of the unmatched share of the weight the name score loses.
pub const UNMATCHED_PENALTY: f64 = 0.5;
/// Subtracted when the supplier name's first token is paired with a token that begins
/// with another letter (after folding).
pub const FIRST_LETTER_PENALTY: f64 = 0.05;
/// The similarity of a person's initial to a token with the same first letter.
pub const INITIAL_SIMILARITY: f64 = 0.9;
/// Added when the supplier's country is one the entry's identifiers name; subtracted
/// when the entry's identifiers name only other countries.
pub const COUNTRY: f64 = 0.05;
/// Added when the supplier and the entry share an identifier.
pub const ID_AGREES: f64 = 0.2;
/// Subtracted when both have an identifier of a scheme and none is shared.
pub const ID_DISAGREES: f64 = 0.1;

/// A supplier as the matcher sees it.
#[derive(Clone, Debug)]
pub struct Query {
    /// Its name's tokens.
    pub tokens: Vec<String>,
    /// The tokens folded ([`crate::text::fold`]).
    pub folded: Vec<String>,
    /// The weight of each token.
    pub weights: Vec<f64>,
    /// The legal form removed from its name.
    pub legal_form: String,
    /// Its country (ISO 3166-1 alpha-2, upper case), if given.
    pub country: Option<String>,
    /// Its identifiers (`scheme`, canonical value).
    pub ids: Vec<(String, String)>,
}

/// What one feature compared and contributed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Feature {
    /// `token`, `unmatched`, `first_letter`, `legal_form`, `country` or `identifier`.
    pub feature: &'static str,
    /// The supplier's value ("" when the supplier has none).
    pub supplier: String,
    /// The list's value ("" when the entry has none).
    pub list: String,
    /// For `token`: the two tokens' similarity (Jaro-Winkler, 1 for equal tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// What it added to the score (negative: what it took away).
    pub contribution: f64,
}

/// A score and its features; the score is the sum of the contributions, clamped to
/// `[0, 1]`, then both are rounded to four decimals ([`round4`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scored {
    /// The score.
    pub score: f64,
    /// The features, in a fixed order: token pairs (in the supplier name's order),
    /// unmatched tokens (supplier's, then list's), first letter, legal form, country,
    /// identifiers.
    pub features: Vec<Feature>,
}

/// Rounds to four decimals: scores and contributions are reported, compared with the
/// threshold and hashed in that form, so the same inputs give the same bytes everywhere.
#[must_use]
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The similarity of two tokens: equal tokens 1; a token with a digit only meets an
/// equal token; for a person, an initial meets a token with its first letter at
/// [`INITIAL_SIMILARITY`]; otherwise Jaro-Winkler.
fn similarity(a: &str, b: &str, person: bool) -> f64 {
    if a == b {
        return 1.0;
    }
    let digit = |s: &str| s.bytes().any(|c| c.is_ascii_digit());
    if digit(a) || digit(b) {
        return 0.0;
    }
    if person && (a.len() == 1 || b.len() == 1) {
        return if a.as_bytes().first() == b.as_bytes().first() {
            INITIAL_SIMILARITY
        } else {
            0.0
        };
    }
    strsim::jaro_winkler(a, b)
}

/// The score of `q` against the list name `n` of `entry`. Token pairs are chosen greedily,
/// most similar first (ties by position), each token in at most one pair. A pair weighs
/// twice its list token's weight `w_l`; it contributes `similarity × 2 w_l / P`, where `P`
/// is the summed weight of the pairs; each unpaired token takes away
/// `UNMATCHED_PENALTY × w / W`, where `W` is `P` plus the weight of every unpaired token.
#[must_use]
pub fn score(q: &Query, n: &IndexedName, entry: &Entry) -> Scored {
    let person = n.subject.is_person();
    let c = &n.tokens.tokens;
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, a) in q.folded.iter().enumerate() {
        for (j, b) in n.tokens.folded.iter().enumerate() {
            let s = similarity(a, b, person);
            if s >= TOKEN_MIN {
                pairs.push((s, i, j));
            }
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut used_q = vec![false; q.tokens.len()];
    let mut used_c = vec![false; c.len()];
    let mut chosen: Vec<(f64, usize, usize)> = Vec::new();
    for (s, i, j) in pairs {
        if used_q.get(i).copied().unwrap_or(true) || used_c.get(j).copied().unwrap_or(true) {
            continue;
        }
        if let Some(u) = used_q.get_mut(i) {
            *u = true;
        }
        if let Some(u) = used_c.get_mut(j) {
            *u = true;
        }
        chosen.push((s, i, j));
    }
    chosen.sort_by_key(|p| (p.1, p.2));
    let wq = |i: usize| q.weights.get(i).copied().unwrap_or(1.0);
    let wc = |j: usize| n.weights.get(j).copied().unwrap_or(1.0);
    // A paired supplier token weighs what its list token weighs: a misspelt token is on no
    // list, and its own weight would be that of a rare word.
    let paired: f64 = chosen.iter().map(|&(_, _, j)| 2.0 * wc(j)).sum();
    let unpaired_q: f64 = (0..q.tokens.len())
        .filter(|&i| !used_q.get(i).copied().unwrap_or(false))
        .map(wq)
        .sum();
    let unpaired_c: f64 = (0..c.len())
        .filter(|&j| !used_c.get(j).copied().unwrap_or(false))
        .map(wc)
        .sum();
    let total = paired + unpaired_q + unpaired_c;
    let mut features = Vec::new();
    if chosen.is_empty() || total <= 0.0 {
        return Scored {
            score: 0.0,
            features,
        };
    }
    for &(s, i, j) in &chosen {
        features.push(Feature {
            feature: "token",
            supplier: q.tokens.get(i).cloned().unwrap_or_default(),
            list: c.get(j).cloned().unwrap_or_default(),
            similarity: Some(round4(s)),
            contribution: s * 2.0 * wc(j) / paired,
        });
    }
    let unmatched = |supplier: bool, t: &String, w: f64| Feature {
        feature: "unmatched",
        supplier: if supplier { t.clone() } else { String::new() },
        list: if supplier { String::new() } else { t.clone() },
        similarity: None,
        contribution: -UNMATCHED_PENALTY * w / total,
    };
    for (i, t) in q.tokens.iter().enumerate() {
        if !used_q.get(i).copied().unwrap_or(false) {
            features.push(unmatched(true, t, wq(i)));
        }
    }
    for (j, t) in c.iter().enumerate() {
        if !used_c.get(j).copied().unwrap_or(false) {
            features.push(unmatched(false, t, wc(j)));
        }
    }
    // The supplier name's first token, paired with a token that begins with another
    // letter: a typo at the start is more often another name.
    let first = |t: Option<&String>| t.and_then(|s| s.chars().next());
    if let Some(&(_, 0, j)) = chosen.first()
        && let (Some(a), Some(b)) = (first(q.folded.first()), first(n.tokens.folded.get(j)))
        && a != b
    {
        features.push(Feature {
            feature: "first_letter",
            supplier: q.tokens.first().cloned().unwrap_or_default(),
            list: c.get(j).cloned().unwrap_or_default(),
            similarity: None,
            contribution: -FIRST_LETTER_PENALTY,
        });
    }
    if !q.legal_form.is_empty() || !n.tokens.legal_form.is_empty() {
        features.push(Feature {
            feature: "legal_form",
            supplier: q.legal_form.clone(),
            list: n.tokens.legal_form.clone(),
            similarity: None,
            contribution: 0.0,
        });
    }
    if let Some(cc) = &q.country
        && !entry.countries.is_empty()
    {
        let agrees = entry.countries.contains(cc);
        features.push(Feature {
            feature: "country",
            supplier: cc.clone(),
            list: entry.countries.join(" "),
            similarity: None,
            contribution: if agrees { COUNTRY } else { -COUNTRY },
        });
    }
    id_features(q, entry, &mut features);
    let sum: f64 = features.iter().map(|f| f.contribution).sum();
    for f in &mut features {
        f.contribution = round4(f.contribution);
    }
    Scored {
        score: round4(sum.clamp(0.0, 1.0)),
        features,
    }
}

/// One `identifier` feature per scheme that both have: [`ID_AGREES`] when a value is
/// shared, minus [`ID_DISAGREES`] when none is.
fn id_features(q: &Query, entry: &Entry, features: &mut Vec<Feature>) {
    let mut schemes: Vec<&str> = q.ids.iter().map(|(s, _)| s.as_str()).collect();
    schemes.sort_unstable();
    schemes.dedup();
    for s in schemes {
        let theirs: Vec<&str> = entry
            .ids
            .iter()
            .filter(|(x, _)| x == s)
            .map(|(_, v)| v.as_str())
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let ours: Vec<&str> = q
            .ids
            .iter()
            .filter(|(x, _)| x == s)
            .map(|(_, v)| v.as_str())
            .collect();
        let shared = ours.iter().find(|v| theirs.contains(v)).copied();
        let (mine, listed) = match shared {
            Some(v) => (v.to_owned(), v.to_owned()),
            None => (ours.join(" "), theirs.join(" ")),
        };
        features.push(Feature {
            feature: "identifier",
            supplier: format!("{s} {mine}"),
            list: format!("{s} {listed}"),
            similarity: None,
            contribution: if shared.is_some() {
                ID_AGREES
            } else {
                -ID_DISAGREES
            },
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use crate::index::Index;
    use crate::list;
    use crate::screen::{Supplier, query};

    const LIST: &str = "# name: t\n\
        scheme,value,key,designation,source,subject\n\
        name,acme trading gmbh,full,un:T1,name,\n\
        lei,5299007NTWCC3U23WM81,,un:T1,lei,\n\
        reg:DE,HRB12345,,un:T1,reg,\n\
        un,T1,,un:T1,id,organisation\n\
        name,bank 1,full,un:T2,name,\n\
        un,T2,,un:T2,id,organisation\n\
        name,j smith,full,un:T3,name,\n\
        un,T3,,un:T3,id,person\n";

    /// The best score of `name` alone against designation `d`.
    pub(super) fn best_of(name: &str, d: &str) -> Option<super::Scored> {
        best(name, None, &[], d)
    }

    /// The best score of `name` (with `country` and `ids`) against designation `d`.
    fn best(
        name: &str,
        country: Option<&str>,
        ids: &[(&str, &str)],
        d: &str,
    ) -> Option<super::Scored> {
        let lists = vec![list::read("t.csv", LIST).unwrap()];
        let index = Index::build(&lists);
        let s = Supplier {
            id: "S".into(),
            name: name.into(),
            line: 2,
            country: country.map(str::to_owned),
            ids: ids
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        };
        let q = query(&index, &s);
        index
            .names
            .iter()
            .filter(|n| lists[0].entries[n.entry].designation == d)
            .map(|n| super::score(&q, n, &lists[0].entries[n.entry]))
            .max_by(|a, b| a.score.total_cmp(&b.score))
    }

    fn contribution(s: &super::Scored, feature: &str) -> f64 {
        s.features
            .iter()
            .filter(|f| f.feature == feature)
            .map(|f| f.contribution)
            .sum()
    }

    #[test]
    fn identifiers_and_countries_move_the_score_both_ways() {
        let plain = best("Acme Tradin GmbH", None, &[], "un:T1").unwrap();
        let agrees = best(
            "Acme Tradin GmbH",
            Some("DE"),
            &[("lei", "5299007NTWCC3U23WM81")],
            "un:T1",
        )
        .unwrap();
        let disagrees = best(
            "Acme Tradin GmbH",
            Some("FR"),
            &[("lei", "529900T8BM49AURSDO55")],
            "un:T1",
        )
        .unwrap();
        assert!(
            agrees.score > plain.score && plain.score > disagrees.score,
            "{plain:?} {agrees:?} {disagrees:?}"
        );
        assert!((contribution(&agrees, "identifier") - super::ID_AGREES).abs() < 1e-9);
        assert!((contribution(&disagrees, "identifier") + super::ID_DISAGREES).abs() < 1e-9);
        assert!((contribution(&agrees, "country") - super::COUNTRY).abs() < 1e-9);
        assert!((contribution(&disagrees, "country") + super::COUNTRY).abs() < 1e-9);
        // The score is the sum of the contributions (each rounded to four decimals).
        let sum: f64 = plain.features.iter().map(|f| f.contribution).sum();
        assert!((sum - plain.score).abs() < 1e-3, "{plain:?}");
    }

    #[test]
    fn digits_must_agree_and_a_persons_initial_meets_a_name() {
        let one = best("Bank 1", None, &[], "un:T2").unwrap();
        let two = best("Bank 2", None, &[], "un:T2").unwrap();
        assert!(
            (one.score - 1.0).abs() < 1e-9 && two.score < 0.85,
            "{one:?} {two:?}"
        );
        let john = best("John Smith", None, &[], "un:T3").unwrap();
        assert!(
            john.features
                .iter()
                .any(|f| f.feature == "token" && f.similarity == Some(super::INITIAL_SIMILARITY)),
            "{john:?}"
        );
        // A legal form is shown and contributes nothing; a different first letter costs.
        let ltd = best("Acme Trading Ltd", None, &[], "un:T1").unwrap();
        assert!(ltd.features.iter().any(|f| f.feature == "legal_form"
            && f.supplier == "ltd"
            && f.list == "gmbh"
            && f.contribution == 0.0));
        assert!((ltd.score - 1.0).abs() < 1e-9);
        let ecme = best("Xacme Trading", None, &[], "un:T1").unwrap();
        assert!(
            (contribution(&ecme, "first_letter") + super::FIRST_LETTER_PENALTY).abs() < 1e-9,
            "{ecme:?}"
        );
    }
}

#[cfg(test)]
mod pinned {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::tests::best_of;

    /// Scores of `proof-name-v1` on fixed inputs. A change to the normalisation, the
    /// tables, the weights or the constants changes them: then the matcher is a new
    /// version (`crate::MATCHER`), and these values are updated with it.
    #[test]
    fn the_matcher_version_pins_its_scores() {
        let got: Vec<(String, f64)> = [
            ("Acme Tradin GmbH", "un:T1"),
            ("ACME TRADING", "un:T1"),
            ("Xacme Trading Ltd", "un:T1"),
            ("Acme", "un:T1"),
            ("Bank 2", "un:T2"),
            ("John Smith", "un:T3"),
            ("Smith J.", "un:T3"),
        ]
        .iter()
        .map(|(n, d)| ((*n).to_owned(), best_of(n, d).map_or(0.0, |s| s.score)))
        .collect();
        assert_eq!(crate::MATCHER, "proof-name-v1");
        assert_eq!(
            got,
            PINNED
                .iter()
                .map(|(n, s)| ((*n).to_owned(), *s))
                .collect::<Vec<_>>()
        );
    }

    const PINNED: [(&str, f64); 7] = [
        ("Acme Tradin GmbH", 0.9937),
        ("ACME TRADING", 1.0),
        ("Xacme Trading Ltd", 0.898),
        ("Acme", 0.9382),
        ("Bank 2", 0.7268),
        ("John Smith", 0.95),
        ("Smith J.", 1.0),
    ];
}

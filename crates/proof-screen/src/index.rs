//! The token index over every name of the lists screened against: candidates for a
//! supplier's name in a few lookups (`docs/screening.md`, "Candidates").

use crate::list::ListFile;
use crate::text::{self, NOISE_WEIGHT, Subject, Tokens};
use std::collections::HashMap;

/// Tokens of at least this many letters are also indexed under each of their one-letter
/// deletions, so a name with one typo in a token still meets it.
pub const DELETE_MIN_LEN: usize = 4;

/// A list name is scored only when the supplier tokens that share a lookup key with it
/// carry at least this share of the supplier name's weight.
pub const MIN_COVER: f64 = 0.5;

/// A name of a list entry, tokenised and weighed.
#[derive(Clone, Debug)]
pub struct IndexedName {
    /// Which list (index into the lists given to [`Index::build`]).
    pub list: usize,
    /// Which entry of that list.
    pub entry: usize,
    /// Which name of that entry.
    pub name: usize,
    /// What the list says the entry is.
    pub subject: Subject,
    /// Its tokens and legal form.
    pub tokens: Tokens,
    /// The weight of each token.
    pub weights: Vec<f64>,
}

/// The index.
#[derive(Debug)]
pub struct Index {
    /// Every name.
    pub names: Vec<IndexedName>,
    /// Token or one-letter deletion of a token → names that have it (ascending, unique).
    keys: HashMap<String, Vec<u32>>,
    /// Token → number of names that have it.
    df: HashMap<String, u32>,
    /// The weight of a token on no list.
    max_weight: f64,
}

impl Index {
    /// Indexes every name of every entry of `lists`.
    #[must_use]
    pub fn build(lists: &[ListFile]) -> Self {
        let mut names = Vec::new();
        for (li, l) in lists.iter().enumerate() {
            for (ei, e) in l.entries.iter().enumerate() {
                for (ni, n) in e.names.iter().enumerate() {
                    let tokens = text::tokens(&n.text, e.subject);
                    if tokens.tokens.is_empty() {
                        continue;
                    }
                    names.push(IndexedName {
                        list: li,
                        entry: ei,
                        name: ni,
                        subject: e.subject,
                        tokens,
                        weights: Vec::new(),
                    });
                }
            }
        }
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut keys: HashMap<String, Vec<u32>> = HashMap::new();
        for (id, n) in names.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            let mut seen: Vec<&str> = Vec::with_capacity(n.tokens.folded.len());
            for t in &n.tokens.folded {
                if seen.contains(&t.as_str()) {
                    continue;
                }
                seen.push(t);
                *df.entry(t.clone()).or_default() += 1;
                for k in lookup_keys(t) {
                    let ids = keys.entry(k).or_default();
                    if ids.last() != Some(&id) {
                        ids.push(id);
                    }
                }
            }
        }
        let max_weight = weight_of(names.len(), 0);
        let mut index = Self {
            names,
            keys,
            df,
            max_weight,
        };
        let weights: Vec<Vec<f64>> = index
            .names
            .iter()
            .map(|n| {
                n.tokens
                    .tokens
                    .iter()
                    .zip(&n.tokens.folded)
                    .map(|(t, f)| index.weight(t, f))
                    .collect()
            })
            .collect();
        for (n, w) in index.names.iter_mut().zip(weights) {
            n.weights = w;
        }
        index
    }

    /// The weight of a token (and its folded form): `1 + ln((N + 1) / (df + 1))` when
    /// `df` of the index's `N` names have the folded token; [`NOISE_WEIGHT`] of the
    /// weight of a token on no list for a noise word.
    #[must_use]
    pub fn weight(&self, token: &str, folded: &str) -> f64 {
        if text::is_noise(token) {
            return NOISE_WEIGHT * self.max_weight;
        }
        weight_of(self.names.len(), self.df.get(folded).copied().unwrap_or(0))
    }

    /// The names worth scoring against a supplier name of `folded` tokens with `weights`:
    /// those that share a lookup key (the folded token or a one-letter deletion of it)
    /// with supplier tokens of at least [`MIN_COVER`] of the name's weight; ascending.
    /// `scratch` is [`Index::scratch`], one per thread.
    pub fn candidates(
        &self,
        folded: &[String],
        weights: &[f64],
        scratch: &mut Scratch,
    ) -> Vec<u32> {
        for &id in &scratch.touched {
            if let Some(a) = scratch.cover.get_mut(id as usize) {
                *a = 0.0;
            }
        }
        scratch.touched.clear();
        let total: f64 = weights.iter().sum();
        for (i, t) in folded.iter().enumerate() {
            if folded.get(..i).is_some_and(|before| before.contains(t)) {
                continue;
            }
            let w = weights.get(i).copied().unwrap_or(1.0);
            scratch.round = scratch.round.wrapping_add(1);
            if scratch.round == 0 {
                scratch.stamp.fill(0);
                scratch.round = 1;
            }
            for k in lookup_keys(t) {
                let Some(ids) = self.keys.get(&k) else {
                    continue;
                };
                for &id in ids {
                    let at = id as usize;
                    let (Some(s), Some(c)) = (scratch.stamp.get_mut(at), scratch.cover.get_mut(at))
                    else {
                        continue;
                    };
                    if *s == scratch.round {
                        continue;
                    }
                    *s = scratch.round;
                    if *c == 0.0 {
                        scratch.touched.push(id);
                    }
                    *c += w;
                }
            }
        }
        let need = MIN_COVER * total;
        let mut out: Vec<u32> = scratch
            .touched
            .iter()
            .copied()
            .filter(|&id| scratch.cover.get(id as usize).is_some_and(|c| *c >= need))
            .collect();
        out.sort_unstable();
        out
    }

    /// Scratch space for [`Index::candidates`], one per thread.
    #[must_use]
    pub fn scratch(&self) -> Scratch {
        Scratch {
            stamp: vec![0; self.names.len()],
            cover: vec![0.0; self.names.len()],
            touched: Vec::new(),
            round: 0,
        }
    }

    /// The number of distinct lookup keys.
    #[must_use]
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

/// Per name: the supplier token that last reached it, and the weight of the supplier
/// tokens that reached it.
#[derive(Debug)]
pub struct Scratch {
    stamp: Vec<u32>,
    cover: Vec<f64>,
    touched: Vec<u32>,
    round: u32,
}

#[allow(
    clippy::cast_precision_loss,
    reason = "counts of names are far below 2^52"
)]
fn weight_of(n: usize, df: u32) -> f64 {
    1.0 + ((n as f64 + 1.0) / (f64::from(df) + 1.0)).ln()
}

/// A token and, when it has at least [`DELETE_MIN_LEN`] characters and no digit, each of
/// its one-character deletions. A token with a digit is looked up as it is: `Bank 1` and
/// `Bank 2` are different names.
fn lookup_keys(token: &str) -> Vec<String> {
    let chars: Vec<char> = token.chars().collect();
    let mut out = vec![token.to_owned()];
    if chars.len() >= DELETE_MIN_LEN && !chars.iter().any(char::is_ascii_digit) {
        for i in 0..chars.len() {
            let k: String = chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect();
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::lookup_keys;

    #[test]
    fn a_typo_shares_a_deletion_key() {
        let a = lookup_keys("qaida");
        let b = lookup_keys("qiada");
        assert!(a.iter().any(|k| b.contains(k)));
        assert_eq!(lookup_keys("bank2"), ["bank2"]);
    }
}

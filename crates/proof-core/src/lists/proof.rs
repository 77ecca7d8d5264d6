//! Proofs that a hash is, or is not, among a list's committed leaves.
//!
//! A list's leaves are sorted, so a hash `x` that is not on it lies between two adjacent
//! leaves `L[i] < x < L[i+1]`: their RFC 6962 inclusion proofs at indices `i` and `i+1` show
//! that no leaf between them exists. Before the first leaf one proof (index 0) suffices,
//! after the last one proof (index `size - 1`); the empty list is proven by its root and
//! size 0. A hash on the list carries its own inclusion proof. Every proof is checked
//! against the root **and** the size a receipt signs: a root alone does not say where the
//! tree ends, and so where its last leaf is.

use super::RefList;
use super::merkle::{self, Hash};
use serde::{Deserialize, Serialize};

/// A leaf of the list with its index and audit path (hashes written as hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Neighbour {
    /// Its index among the sorted leaves.
    pub index: u64,
    /// The leaf value.
    #[serde(with = "hex32")]
    pub leaf: Hash,
    /// Its audit path, leaf side first.
    #[serde(with = "hex32::many")]
    pub path: Vec<Hash>,
    /// A right neighbour: its path goes on with the last `shared` hashes of the left
    /// neighbour's path (adjacent leaves share every node above their common parent).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shared: usize,
}

const fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Whether one hash is on a list, with the proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashProof {
    /// The hash checked.
    #[serde(with = "hex32")]
    pub hash: Hash,
    /// True when the hash is a leaf of the list.
    pub on_list: bool,
    /// On the list: the hash's own index and audit path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Neighbour>,
    /// Not on the list: the greatest leaf below the hash (absent before the first leaf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Neighbour>,
    /// Not on the list: the least leaf above the hash (absent after the last leaf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<Neighbour>,
}

impl RefList {
    /// The proof for `x`: its inclusion proof when it is a leaf, else its neighbours'. Only
    /// lookups: a binary search and the tree's stored subtree hashes.
    #[must_use]
    pub fn prove(&self, x: &Hash) -> HashProof {
        let size = self.leaves.len() as u64;
        let neighbour = |i: usize| {
            let leaf = *self.leaves.get(i)?;
            let index = i as u64;
            let path = self.tree.inclusion(index, size)?;
            Some(Neighbour {
                index,
                leaf,
                path,
                shared: 0,
            })
        };
        match self.leaves.binary_search(x) {
            Ok(i) => HashProof {
                hash: *x,
                on_list: true,
                at: neighbour(i),
                left: None,
                right: None,
            },
            Err(i) => {
                let left = i.checked_sub(1).and_then(neighbour);
                let mut right = neighbour(i);
                if let (Some(l), Some(r)) = (&left, &mut right) {
                    let common = l
                        .path
                        .iter()
                        .rev()
                        .zip(r.path.iter().rev())
                        .take_while(|(a, b)| a == b)
                        .count();
                    r.path.truncate(r.path.len() - common);
                    r.shared = common;
                }
                HashProof {
                    hash: *x,
                    on_list: false,
                    at: None,
                    left,
                    right,
                }
            }
        }
    }
}

/// Hashes as 64 lowercase hex digits in JSON.
mod hex32 {
    use super::Hash;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 64];
        match hex::encode_to_slice(h, &mut buf) {
            Ok(()) => s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default()),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        crate::lists::decode_hex32(s.as_bytes())
            .ok_or_else(|| D::Error::custom(format!("`{s}` is not 64 hex digits")))
    }

    pub mod many {
        use super::Hash;
        use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

        pub fn serialize<S: Serializer>(v: &[Hash], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(v.len()))?;
            for h in v {
                seq.serialize_element(&hex::encode(h))?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|s| {
                    crate::lists::decode_hex32(s.as_bytes())
                        .ok_or_else(|| D::Error::custom(format!("`{s}` is not 64 hex digits")))
                })
                .collect()
        }
    }
}

fn included(
    n: &Neighbour,
    tail: &[Hash],
    size: u64,
    root: &Hash,
    what: &str,
) -> Result<Hash, String> {
    let path: Vec<Hash> = n.path.iter().chain(tail).copied().collect();
    if !merkle::verify_inclusion(&merkle::leaf_hash(&n.leaf), n.index, size, &path, root) {
        return Err(format!(
            "the inclusion proof of {what} {} at index {} does not give the root for size {size}",
            hex::encode(n.leaf),
            n.index
        ));
    }
    Ok(n.leaf)
}

/// Checks `p` against a list's `root` and `size`; returns whether the hash is on the list.
///
/// # Errors
/// Why the proof does not hold.
pub fn check(p: &HashProof, root: &Hash, size: u64) -> Result<bool, String> {
    let x = p.hash;
    if p.on_list {
        let Some(at) = &p.at else {
            return Err("a hash on the list without its inclusion proof".into());
        };
        if at.shared > 0 {
            return Err("a hash on the list shares no path".into());
        }
        let leaf = included(at, &[], size, root, "the hash")?;
        if leaf != x {
            return Err(format!(
                "the proven leaf {} is not the hash",
                hex::encode(at.leaf)
            ));
        }
        return Ok(true);
    }
    if p.at.is_some() {
        return Err("a hash not on the list carries an inclusion proof of its own".into());
    }
    if size == 0 {
        return if *root == merkle::empty_root() && p.left.is_none() && p.right.is_none() {
            Ok(false)
        } else {
            Err("size 0 but the root is not the empty tree's, or neighbours are given".into())
        };
    }
    if p.left.as_ref().is_some_and(|n| n.shared > 0) {
        return Err("the left neighbour shares no path".into());
    }
    let left = p
        .left
        .as_ref()
        .map(|n| included(n, &[], size, root, "the left neighbour").map(|l| (n.index, l)))
        .transpose()?;
    let tail: &[Hash] = match (&p.left, &p.right) {
        (_, None) => &[],
        (_, Some(r)) if r.shared == 0 => &[],
        (Some(l), Some(r)) if r.shared <= l.path.len() => {
            l.path.get(l.path.len() - r.shared..).unwrap_or_default()
        }
        _ => {
            return Err("the right neighbour shares more path than a left neighbour gives".into());
        }
    };
    let right = p
        .right
        .as_ref()
        .map(|n| included(n, tail, size, root, "the right neighbour").map(|l| (n.index, l)))
        .transpose()?;
    if left.is_some_and(|(_, l)| l >= x) || right.is_some_and(|(_, r)| r <= x) {
        return Err("the hash does not lie strictly between its neighbours".into());
    }
    match (left, right) {
        (Some((i, _)), Some((j, _))) if i.checked_add(1) == Some(j) => Ok(false),
        (Some((i, _)), Some((j, _))) => Err(format!(
            "the neighbours at indices {i} and {j} are not adjacent"
        )),
        (None, Some((0, _))) => Ok(false),
        (None, Some((j, _))) => Err(format!(
            "only a right neighbour, at index {j}, not the first leaf"
        )),
        (Some((i, _)), None) if i + 1 == size => Ok(false),
        (Some((i, _)), None) => Err(format!(
            "only a left neighbour, at index {i}, not the last leaf of {size}"
        )),
        (None, None) => Err("no neighbours for a hash said not to be on a non-empty list".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::LeafKind;

    fn list(n: u8) -> RefList {
        RefList::from_leaves(
            "t",
            LeafKind::Hash,
            (0..n).map(|i| [2 * i + 2; 32]).collect(),
        )
    }

    #[test]
    fn every_probe_proves_what_the_list_holds() {
        for n in 0..9u8 {
            let l = list(n);
            let size = l.len() as u64;
            for b in 0..=2 * n + 3 {
                let x = [b; 32];
                let p = l.prove(&x);
                assert_eq!(check(&p, &l.root(), size), Ok(l.contains(&x)), "{b} in {n}");
                if b > 2 * n && size > 0 {
                    // After the last leaf: the size says where the last leaf is.
                    assert!(check(&p, &l.root(), size + 1).is_err(), "{b} size+1");
                }
            }
        }
    }

    #[test]
    fn forged_proofs_fail() {
        let l = list(6);
        let (root, size) = (l.root(), 6);
        // A hash on the list presented as absent, with the neighbours of a nearby gap.
        let mut p = l.prove(&[5; 32]);
        p.hash = [6u8; 32];
        assert!(check(&p, &root, size).is_err());
        // Neighbours that are not adjacent.
        let mut q = l.prove(&[5; 32]);
        q.right = l.prove(&[9; 32]).right;
        assert!(check(&q, &root, size).unwrap_err().contains("adjacent"));
        // An edge claim in the middle: without the left neighbour the right one's path is
        // short, and with its full path its index is not the first.
        let mut e = l.prove(&[5; 32]);
        e.left = None;
        assert!(
            check(&e, &root, size)
                .unwrap_err()
                .contains("shares more path")
        );
        e.right = l.prove(&[6; 32]).at;
        assert!(check(&e, &root, size).unwrap_err().contains("first leaf"));
        // Absent claimed for a hash on the list: no honest neighbours bracket it.
        let mut on = l.prove(&[4; 32]);
        on.on_list = false;
        on.left = l.prove(&[3; 32]).left;
        on.right = l.prove(&[5; 32]).right;
        on.at = None;
        assert!(check(&on, &root, size).is_err());
    }
}

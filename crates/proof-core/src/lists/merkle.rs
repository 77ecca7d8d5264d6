//! RFC 6962 / RFC 9162 Merkle trees: the lists' roots and the verification log share them.
//!
//! Leaf node `H(0x00 ‖ data)`, inner node `H(0x01 ‖ left ‖ right)`, the split at the
//! largest power of two below the leaf count, and `H("")` for the empty tree. A [`Tree`]
//! keeps the hash of every complete subtree (level by level), so inclusion and consistency
//! proofs for any size up to its own are lookups plus at most a logarithmic number of
//! hashes along the right edge: 64 bytes per leaf in memory.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 node hash.
pub type Hash = [u8; 32];

/// The leaf hash `H(0x00 ‖ data)`.
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The inner node hash `H(0x01 ‖ left ‖ right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `H("")`.
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The root over `leaves` (each a 32-byte leaf value, hashed as a leaf); for lists, sorted
/// and de-duplicated.
#[must_use]
pub fn root(leaves: &[Hash]) -> Hash {
    Tree::from_values(leaves).root()
}

/// Hashes of every complete subtree: `levels[k][j]` covers leaves `j·2^k .. (j+1)·2^k`.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
    /// The incomplete subtrees along the right edge of the whole tree, `(first leaf,
    /// hash)`, so that proofs in a tree that no longer grows hash nothing; empty after a
    /// [`Tree::push`].
    edge: Vec<(u64, Hash)>,
}

impl Tree {
    /// The tree over 32-byte leaf values (each hashed as a leaf).
    #[must_use]
    pub fn from_values(values: &[Hash]) -> Self {
        Self::from_leaf_hashes(values.iter().map(|v| leaf_hash(v)).collect())
    }

    /// The tree over already hashed leaves.
    #[must_use]
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Self {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() >= 2) {
            let up: Vec<Hash> = below
                .chunks_exact(2)
                .map(|p| match p {
                    [l, r] => node_hash(l, r),
                    _ => empty_root(),
                })
                .collect();
            levels.push(up);
        }
        let mut tree = Self {
            levels,
            edge: Vec::new(),
        };
        tree.edge = tree.right_edge();
        tree
    }

    fn right_edge(&self) -> Vec<(u64, Hash)> {
        let size = self.size();
        let mut edge = Vec::new();
        let mut lo = 0;
        while size - lo > 1 && !((size - lo).is_power_of_two() && lo.is_multiple_of(size - lo)) {
            lo += split_point(size - lo);
            if let Some(h) = self.mth(lo, size) {
                edge.push((lo, h));
            }
        }
        edge.reverse();
        edge
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.edge.clear();
        let mut node = leaf;
        let mut k = 0;
        loop {
            if self.levels.len() == k {
                self.levels.push(Vec::new());
            }
            let Some(level) = self.levels.get_mut(k) else {
                return;
            };
            level.push(node);
            if level.len() % 2 == 1 {
                return;
            }
            let [.., l, r] = level.as_slice() else { return };
            node = node_hash(l, r);
            k += 1;
        }
    }

    /// Drops every leaf from `size` on (a batch that was not committed).
    pub fn truncate(&mut self, size: u64) {
        self.edge.clear();
        for (k, level) in self.levels.iter_mut().enumerate() {
            level.truncate(usize::try_from(size >> k).unwrap_or(usize::MAX));
        }
    }

    /// The number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hash at `index`.
    #[must_use]
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        self.levels.first()?.get(usize::try_from(index).ok()?)
    }

    /// The root of the whole tree.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.root_at(self.size()).unwrap_or_else(empty_root)
    }

    /// The root of the tree's first `size` leaves; `None` when `size` exceeds the tree.
    #[must_use]
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            s if s <= self.size() => self.mth(0, s),
            _ => None,
        }
    }

    /// The hash of leaves `lo..hi` (non-empty; `lo` is aligned as every RFC 6962 split
    /// leaves it).
    fn mth(&self, lo: u64, hi: u64) -> Option<Hash> {
        let n = hi.checked_sub(lo)?;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let k = n.trailing_zeros() as usize;
            let j = usize::try_from(lo >> k).ok()?;
            return self.levels.get(k)?.get(j).copied();
        }
        if hi == self.size()
            && let Some((_, h)) = self.edge.iter().find(|(l, _)| *l == lo)
        {
            return Some(*h);
        }
        let k = split_point(n);
        Some(node_hash(&self.mth(lo, lo + k)?, &self.mth(lo + k, hi)?))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162
    /// §2.1.3.1), leaf side first; `None` when `index >= size` or `size` exceeds the tree.
    #[must_use]
    pub fn inclusion(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path)?;
        Some(path)
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) -> Option<()> {
        let n = hi - lo;
        if n <= 1 {
            return Some(());
        }
        let k = split_point(n);
        if m < lo + k {
            self.path(m, lo, lo + k, out)?;
            out.push(self.mth(lo + k, hi)?);
        } else {
            self.path(m, lo + k, hi, out)?;
            out.push(self.mth(lo, lo + k)?);
        }
        Some(())
    }

    /// The consistency proof from the tree of the first `old` leaves to that of the first
    /// `new` (RFC 9162 §2.1.4.1); empty when `old` is 0 or equals `new`; `None` when
    /// `old > new` or `new` exceeds the tree.
    #[must_use]
    pub fn consistency(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old > new || new > self.size() {
            return None;
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut out)?;
        }
        Some(out)
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Hash>) -> Option<()> {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(self.mth(lo, hi)?);
            }
            return Some(());
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, lo, lo + k, whole, out)?;
            out.push(self.mth(lo + k, hi)?);
        } else {
            self.subproof(m - k, lo + k, hi, false, out)?;
            out.push(self.mth(lo, lo + k)?);
        }
        Some(())
    }
}

/// Checks an audit path (RFC 9162 §2.1.3.2): that `leaf` (a leaf hash) is at `index` in the
/// tree of `size` leaves whose root is `root`. A path of the wrong length fails.
#[must_use]
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of `old` leaves with root
/// `old_root` is a prefix of the tree of `new` leaves with root `new_root`.
#[must_use]
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}

/// Largest power of two strictly below `n` (n >= 2).
const fn split_point(n: u64) -> u64 {
    let p = n.next_power_of_two();
    if p == n { n / 2 } else { p / 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(parts: &[&[u8]]) -> Hash {
        let mut s = Sha256::new();
        for p in parts {
            s.update(p);
        }
        s.finalize().into()
    }

    #[test]
    fn root_follows_rfc6962_shape_for_three_leaves() {
        let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let la = h(&[&[0], &a]);
        let lb = h(&[&[0], &b]);
        let lc = h(&[&[0], &c]);
        let ab = h(&[&[1], &la, &lb]);
        assert_eq!(root(&[a, b, c]), h(&[&[1], &ab, &lc]));
        assert_eq!(root(&[a]), la);
        assert_eq!(root(&[]), h(&[]));
    }

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(1_000_000), 524_288);
    }

    fn values(n: u8) -> Vec<Hash> {
        (0..n).map(|i| [i; 32]).collect()
    }

    #[test]
    fn pushing_gives_the_tree_built_at_once_and_truncating_undoes_it() {
        let v = values(37);
        let mut t = Tree::default();
        for (i, x) in v.iter().enumerate() {
            t.push(leaf_hash(x));
            assert_eq!(t.root(), root(v.get(..=i).unwrap_or_default()));
        }
        for size in [37u64, 33, 32, 17, 1, 0] {
            t.truncate(size);
            assert_eq!(t.size(), size);
            assert_eq!(t.root(), root(v.get(..size as usize).unwrap_or_default()));
        }
    }

    #[test]
    fn every_inclusion_and_consistency_proof_verifies_and_a_wrong_one_does_not() {
        let v = values(21);
        let t = Tree::from_values(&v);
        for size in 1..=21u64 {
            let r = t.root_at(size).unwrap_or_default();
            for i in 0..size {
                let p = t.inclusion(i, size).unwrap_or_default();
                let leaf = *t.leaf(i).unwrap_or(&[0; 32]);
                assert!(verify_inclusion(&leaf, i, size, &p, &r), "{i} in {size}");
                assert!(!verify_inclusion(&leaf, (i + 1) % size, size, &p, &r) || size == 1);
                assert!(!verify_inclusion(&leaf, i, size, &p, &empty_root()));
            }
            for old in 0..=size {
                let o = t.root_at(old).unwrap_or_default();
                let p = t.consistency(old, size).unwrap_or_default();
                assert!(verify_consistency(old, size, &o, &r, &p), "{old}->{size}");
                if old > 0 && old < size {
                    assert!(!verify_consistency(old, size, &r, &r, &p));
                    assert!(!verify_consistency(old, size, &o, &o, &p));
                }
            }
        }
        assert_eq!(t.inclusion(3, 22), None);
        assert_eq!(t.consistency(5, 4), None);
    }
}

//! Merkle roots over sorted, de-duplicated 32-byte leaves, with RFC 6962 domain separation:
//! leaf node `H(0x00 ‖ x)`, inner node `H(0x01 ‖ l ‖ r)`, the split at the largest power of
//! two below the leaf count, and `H("")` for the empty set.

use sha2::{Digest, Sha256};

/// The root of `leaves`, which must already be sorted and de-duplicated.
#[must_use]
pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.is_empty() {
        return Sha256::digest([]).into();
    }
    subtree(leaves)
}

fn subtree(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [one] => {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(one);
            h.finalize().into()
        }
        _ => {
            let k = split_point(leaves.len());
            let (l, r) = leaves.split_at(k);
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(subtree(l));
            h.update(subtree(r));
            h.finalize().into()
        }
    }
}

/// Largest power of two strictly below `n` (n >= 2).
const fn split_point(n: usize) -> usize {
    let p = n.next_power_of_two();
    if p == n { n / 2 } else { p / 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(parts: &[&[u8]]) -> [u8; 32] {
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
}

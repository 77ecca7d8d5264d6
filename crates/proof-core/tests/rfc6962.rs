//! The Merkle code against an independent RFC 6962 implementation (the `ct-merkle`
//! crate): the same roots, and each side's inclusion and consistency proofs verify with
//! the other side's code, for every size up to 70 and for random sizes up to 5,000.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use proof_core::lists::merkle::{self, Hash, Tree};
use proptest::prelude::*;
use sha2::Sha256;

fn value(i: u64) -> Hash {
    let mut v = [0u8; 32];
    v[..8].copy_from_slice(&i.to_be_bytes());
    v[31] = 7;
    v
}

fn both(n: u64) -> (Tree, MemoryBackedTree<Sha256, Hash>) {
    let values: Vec<Hash> = (0..n).map(value).collect();
    let ours = Tree::from_values(&values);
    let mut theirs = MemoryBackedTree::new();
    for v in values {
        theirs.push(v);
    }
    (ours, theirs)
}

fn flat(path: &[Hash]) -> Vec<u8> {
    path.concat()
}

fn check_size(n: u64, ours: &Tree, theirs: &MemoryBackedTree<Sha256, Hash>) {
    let root = theirs.root();
    assert_eq!(
        root.as_bytes().as_slice(),
        ours.root().as_slice(),
        "root at {n}"
    );
    for i in 0..n {
        // Ours verified by theirs.
        let p = InclusionProof::<Sha256>::from_bytes(flat(&ours.inclusion(i, n).unwrap()));
        root.verify_inclusion(&value(i), i, &p)
            .unwrap_or_else(|e| panic!("ct-merkle rejects our proof of {i} in {n}: {e:?}"));
        // Theirs verified by ours.
        let t = theirs.prove_inclusion(i as usize);
        let path: Vec<Hash> = t
            .as_bytes()
            .chunks(32)
            .map(|c| c.try_into().unwrap())
            .collect();
        assert!(merkle::verify_inclusion(
            &merkle::leaf_hash(&value(i)),
            i,
            n,
            &path,
            &ours.root()
        ));
    }
}

fn check_consistency(old: u64, n: u64, ours: &Tree, theirs: &MemoryBackedTree<Sha256, Hash>) {
    let new_root = theirs.root();
    let old_root: RootHash<Sha256> = RootHash::new(ours.root_at(old).unwrap().into(), old);
    let p = ConsistencyProof::<Sha256>::try_from_bytes(flat(&ours.consistency(old, n).unwrap()))
        .unwrap();
    new_root
        .verify_consistency(&old_root, &p)
        .unwrap_or_else(|e| panic!("ct-merkle rejects our proof {old} -> {n}: {e:?}"));
    let t = theirs.prove_consistency((n - old) as usize);
    let path: Vec<Hash> = t
        .as_bytes()
        .chunks(32)
        .map(|c| c.try_into().unwrap())
        .collect();
    assert!(merkle::verify_consistency(
        old,
        n,
        &ours.root_at(old).unwrap(),
        &ours.root(),
        &path
    ));
}

#[test]
fn every_size_to_70_agrees_with_ct_merkle() {
    for n in 1..=70 {
        let (ours, theirs) = both(n);
        check_size(n, &ours, &theirs);
        for old in 1..n {
            check_consistency(old, n, &ours, &theirs);
        }
    }
}

#[test]
fn a_tree_grown_leaf_by_leaf_gives_ct_merkle_proofs_for_older_sizes() {
    let mut ours = Tree::default();
    let mut theirs: MemoryBackedTree<Sha256, Hash> = MemoryBackedTree::new();
    for i in 0..300 {
        ours.push(merkle::leaf_hash(&value(i)));
        theirs.push(value(i));
    }
    let (small, _) = both(100);
    for old in [1, 2, 3, 64, 99, 100] {
        assert_eq!(ours.root_at(old).unwrap(), small.root_at(old).unwrap());
        check_consistency(old, 300, &ours, &theirs);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_sizes_agree(n in 71u64..5_000, pick in any::<u64>()) {
        let (ours, theirs) = both(n);
        let root = theirs.root();
        let r = ours.root();
        prop_assert_eq!(root.as_bytes().as_slice(), r.as_slice());
        let i = pick % n;
        let p = InclusionProof::<Sha256>::from_bytes(flat(&ours.inclusion(i, n).unwrap()));
        prop_assert!(root.verify_inclusion(&value(i), i, &p).is_ok());
        let old = 1 + pick % (n - 1);
        check_consistency(old, n, &ours, &theirs);
    }
}

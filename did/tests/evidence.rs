//! Evidence anchoring: the Merkle tree (every leaf's proof verifies, tampering fails) and the
//! `evidence` module on a real node (anchor, signer-only revocation, revoked batch readable).

use proptest::prelude::*;
use serde_json::json;
use weft_chain::Keypair;
use weft_did::evidence::{
    self, credential_hash, leaf_hash, node_hash, verify, Batch, EvidenceCall, EvidenceQuery,
    InclusionProof, MerkleError, MerkleTree,
};

mod common;
use common::Env;

fn hashes(n: usize, seed: u8) -> Vec<[u8; 32]> {
    (0..n)
        .map(|i| {
            let mut h = [seed; 32];
            h[..8].copy_from_slice(&(i as u64).to_be_bytes());
            h
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn every_leaf_verifies_and_tampering_fails(n in 1usize..200, seed in any::<u8>(), pick in any::<prop::sample::Index>()) {
        let leaves = hashes(n, seed);
        let tree = MerkleTree::new(&leaves).unwrap();
        let root = tree.root();
        for (i, leaf) in leaves.iter().enumerate() {
            let proof = tree.proof(i as u32).unwrap();
            prop_assert!(verify(&root, leaf, &proof), "leaf {}", i);
        }
        let i = pick.index(n);
        let proof = tree.proof(i as u32).unwrap();
        // Tampered leaf.
        let mut bad = leaves[i];
        bad[31] ^= 1;
        prop_assert!(!verify(&root, &bad, &proof));
        // Tampered path element.
        if !proof.path.is_empty() {
            let mut p = proof.clone();
            p.path[0][0] ^= 0x80;
            prop_assert!(!verify(&root, &leaves[i], &p));
            // Truncated and extended paths.
            let mut p = proof.clone();
            p.path.pop();
            prop_assert!(!verify(&root, &leaves[i], &p));
        }
        let mut p = proof.clone();
        p.path.push([0; 32]);
        prop_assert!(!verify(&root, &leaves[i], &p));
        // Wrong index (when there is another leaf).
        if n > 1 {
            let mut p = proof.clone();
            p.index = ((i + 1) % n) as u32;
            prop_assert!(!verify(&root, &leaves[i], &p));
        }
        // Wrong count, out-of-range index.
        let mut p = proof.clone();
        p.index = n as u32;
        prop_assert!(!verify(&root, &leaves[i], &p));
        // Wrong root.
        let mut r = root;
        r[0] ^= 1;
        prop_assert!(!verify(&r, &leaves[i], &proof));
        // JSON round trip.
        prop_assert_eq!(InclusionProof::from_json(&proof.to_json()).unwrap(), proof);
    }
}

#[test]
fn tree_shape_is_as_documented() {
    let l = hashes(3, 7);
    let tree = MerkleTree::new(&l).unwrap();
    let expected = node_hash(
        &node_hash(&leaf_hash(&l[0]), &leaf_hash(&l[1])),
        &leaf_hash(&l[2]),
    );
    assert_eq!(tree.root(), expected);
    // One leaf: the root is the leaf hash, and the proof is empty.
    let one = MerkleTree::new(&l[..1]).unwrap();
    assert_eq!(one.root(), leaf_hash(&l[0]));
    assert!(one.proof(0).unwrap().path.is_empty());
    assert!(one.proof(1).is_none());
    // A leaf is never confused with a node: a proof for an inner node as a "leaf" fails.
    let two = MerkleTree::new(&l[..2]).unwrap();
    let inner = node_hash(&leaf_hash(&l[0]), &leaf_hash(&l[1]));
    let fake = InclusionProof {
        index: 0,
        count: 1,
        path: vec![],
    };
    assert!(!verify(&two.root(), &inner, &fake));
    assert_eq!(MerkleTree::new(&[]).unwrap_err(), MerkleError::Empty);
    let zero = InclusionProof {
        index: 0,
        count: 0,
        path: vec![],
    };
    assert!(!verify(&one.root(), &l[0], &zero));
}

#[test]
fn credential_hash_is_sha256_of_jcs() {
    use sha2::Digest;
    let a = json!({"b": 1, "a": [true, null], "proof": {"type": "DataIntegrityProof"}});
    let b = json!({"proof": {"type": "DataIntegrityProof"}, "a": [true, null], "b": 1});
    assert_eq!(credential_hash(&a), credential_hash(&b));
    let expected: [u8; 32] =
        sha2::Sha256::digest(br#"{"a":[true,null],"b":1,"proof":{"type":"DataIntegrityProof"}}"#)
            .into();
    assert_eq!(credential_hash(&a), expected);
    let c = json!({"b": 2, "a": [true, null], "proof": {"type": "DataIntegrityProof"}});
    assert_ne!(credential_hash(&a), credential_hash(&c));
}

impl Env {
    fn batch(&self, id: u64) -> Option<Batch> {
        let (m, a) = EvidenceQuery::Batch { batch: id }.args();
        borsh::from_slice(&self.node.call(evidence::NAME, m, &a, None).unwrap()).unwrap()
    }
}

#[test]
fn anchor_and_revoke_by_signer_only() {
    let env = Env::new();
    let signer = Keypair::from_seed(&[1; 32]);
    let other = Keypair::from_seed(&[2; 32]);
    let leaves = hashes(10, 3);
    let tree = MerkleTree::new(&leaves).unwrap();
    env.exec(
        &signer,
        EvidenceCall::Anchor {
            root: tree.root(),
            count: tree.count(),
        }
        .call(),
    )
    .unwrap();
    env.exec(
        &other,
        EvidenceCall::Anchor {
            root: [5; 32],
            count: 1,
        }
        .call(),
    )
    .unwrap();
    let b0 = env.batch(0).unwrap();
    assert_eq!(b0.root, tree.root());
    assert_eq!(b0.count, 10);
    assert_eq!(b0.signer, signer.address());
    assert_eq!(b0.timestamp_ms, 1_001_000);
    assert!(b0.revoked.is_none());
    assert_eq!(env.batch(1).unwrap().signer, other.address());
    assert!(env.batch(2).is_none());
    let (m, a) = EvidenceQuery::Count.args();
    let n: u64 = borsh::from_slice(&env.node.call(evidence::NAME, m, &a, None).unwrap()).unwrap();
    assert_eq!(n, 2);

    // Zero / oversized counts refused.
    let err = env
        .exec(
            &signer,
            EvidenceCall::Anchor {
                root: [0; 32],
                count: 0,
            }
            .call(),
        )
        .unwrap_err();
    assert!(err.starts_with("invalid arguments"), "{err}");

    // Another account may not revoke.
    let err = env
        .exec(&other, EvidenceCall::Revoke { batch: 0 }.call())
        .unwrap_err();
    assert!(err.starts_with("unauthorized"), "{err}");
    assert!(env.batch(0).unwrap().revoked.is_none());
    // Unknown batch.
    let err = env
        .exec(&signer, EvidenceCall::Revoke { batch: 9 }.call())
        .unwrap_err();
    assert!(err.starts_with("not found"), "{err}");
    // The signer may, once; the batch stays readable.
    env.exec(&signer, EvidenceCall::Revoke { batch: 0 }.call())
        .unwrap();
    let b0 = env.batch(0).unwrap();
    assert_eq!(b0.root, tree.root());
    let rev = b0.revoked.unwrap();
    assert!(rev.height > b0.height);
    let err = env
        .exec(&signer, EvidenceCall::Revoke { batch: 0 }.call())
        .unwrap_err();
    assert!(err.contains("already revoked"), "{err}");
    // Proofs against a revoked batch's root still verify (revocation is a separate fact).
    assert!(verify(&b0.root, &leaves[4], &tree.proof(4).unwrap()));
}

//! Tests of the membership API: completeness, soundness on the negative side, encodings.

use std::sync::OnceLock;

use ark_bn254::{Fq, Fq2, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, One, UniformRand};
use ark_serialize::CanonicalSerialize;
use proptest::prelude::*;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::*;

const DEPTH: usize = 4;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn params() -> &'static MembershipParams {
    static PARAMS: OnceLock<MembershipParams> = OnceLock::new();
    PARAMS.get_or_init(|| MembershipParams::setup_with_rng(DEPTH, &mut rng(1)).unwrap())
}

fn pvk() -> &'static PreparedMembershipVerifyingKey {
    static PVK: OnceLock<PreparedMembershipVerifyingKey> = OnceLock::new();
    PVK.get_or_init(|| params().verifying_key().prepare())
}

/// A tree of `n` members; returns their secrets and the tree.
fn members(depth: usize, n: usize, seed: u64) -> (Vec<MembershipSecret>, MerkleTree) {
    let mut r = rng(seed);
    let secrets: Vec<_> = (0..n)
        .map(|_| MembershipSecret::random_with_rng(&mut r))
        .collect();
    let tree =
        MerkleTree::from_leaves(depth, secrets.iter().map(MembershipSecret::commitment)).unwrap();
    (secrets, tree)
}

struct Fixture {
    tree: MerkleTree,
    secrets: Vec<MembershipSecret>,
    witness: MembershipWitness,
    statement: MembershipStatement,
    proof: MembershipProof,
}

/// Member 5 of 7 votes in poll "poll-1" with ballot "ballot-A".
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let (secrets, tree) = members(DEPTH, 7, 2);
        let witness = MembershipWitness::new(secrets[5].clone(), tree.path(5).unwrap());
        let statement = witness.statement(
            Scope::from_context(b"poll-1"),
            Signal::from_message(b"ballot-A"),
        );
        let proof =
            prove_with_rng(params().proving_key(), &witness, &statement, &mut rng(3)).unwrap();
        Fixture {
            tree,
            secrets,
            witness,
            statement,
            proof,
        }
    })
}

#[test]
fn completeness() {
    let f = fixture();
    assert_eq!(f.statement.root, f.tree.root());
    assert_eq!(verify(pvk(), &f.statement, &f.proof), Ok(()));
    // Every member can prove, wherever their leaf sits.
    for i in [0usize, 1, 6] {
        let w = MembershipWitness::new(f.secrets[i].clone(), f.tree.path(i as u64).unwrap());
        let s = w.statement(
            Scope::from_context(b"poll-1"),
            Signal::from_message(b"ballot-B"),
        );
        let p = prove_with_rng(params().proving_key(), &w, &s, &mut rng(10 + i as u64)).unwrap();
        assert_eq!(verify(pvk(), &s, &p), Ok(()));
    }
}

#[test]
fn a_proof_fails_for_any_other_statement() {
    let f = fixture();
    let s = f.statement;
    let other_root = MerkleTree::from_leaves(DEPTH, [f.secrets[0].commitment()])
        .unwrap()
        .root();
    let variants = [
        MembershipStatement {
            root: other_root,
            ..s
        },
        MembershipStatement {
            nullifier: f.secrets[0].nullifier(&s.scope),
            ..s
        },
        MembershipStatement {
            scope: Scope::from_context(b"poll-2"),
            ..s
        },
        MembershipStatement {
            signal: Signal::from_message(b"ballot-B"),
            ..s
        },
    ];
    for bad in variants {
        assert_eq!(
            verify(pvk(), &bad, &f.proof),
            Err(VerificationError::InvalidProof)
        );
    }
}

#[test]
fn a_proof_fails_under_another_verifying_key() {
    let f = fixture();
    let other = MembershipParams::setup_with_rng(DEPTH, &mut rng(99)).unwrap();
    assert_eq!(
        verify(&other.verifying_key().prepare(), &f.statement, &f.proof),
        Err(VerificationError::InvalidProof)
    );
}

#[test]
fn every_flipped_bit_position_fails() {
    let f = fixture();
    let bytes = f.proof.to_bytes();
    assert_eq!(bytes.len(), MembershipProof::ENCODED_LEN);
    for i in 0..bytes.len() {
        for bit in [0, 7] {
            let mut tampered = bytes.clone();
            tampered[i] ^= 1 << bit;
            if let Ok(p) = MembershipProof::from_bytes(&tampered) {
                assert_eq!(
                    verify(pvk(), &f.statement, &p),
                    Err(VerificationError::InvalidProof),
                    "byte {i}"
                );
            }
        }
    }
}

#[test]
fn bad_witnesses_leave_the_circuit_unsatisfied() {
    let f = fixture();
    let s = &f.statement;
    let good = MembershipCircuit::new(s, &f.witness).unwrap();
    assert!(good.is_satisfied().unwrap());

    // Wrong secret, right path.
    let wrong_secret = MembershipWitness::new(f.secrets[4].clone(), f.tree.path(5).unwrap());
    // Right secret, another leaf's path.
    let wrong_path = MembershipWitness::new(f.secrets[5].clone(), f.tree.path(4).unwrap());
    // Right secret and siblings, wrong direction bits.
    let mut flipped = f.tree.path(5).unwrap();
    flipped.index ^= 0b10;
    let wrong_dirs = MembershipWitness::new(f.secrets[5].clone(), flipped);
    // Right secret, a tampered sibling.
    let mut tampered = f.tree.path(5).unwrap();
    tampered.siblings[2] += Fr::one();
    let wrong_sibling = MembershipWitness::new(f.secrets[5].clone(), tampered);

    for (name, w) in [
        ("secret", &wrong_secret),
        ("path", &wrong_path),
        ("directions", &wrong_dirs),
        ("sibling", &wrong_sibling),
    ] {
        let c = MembershipCircuit::new(s, w).unwrap();
        assert!(
            !c.is_satisfied().unwrap(),
            "wrong {name} satisfied the circuit"
        );
        assert!(matches!(
            prove_with_rng(params().proving_key(), w, s, &mut rng(4)),
            Err(ProveError::RootMismatch | ProveError::NullifierMismatch)
        ));
    }

    // A right witness for a wrong nullifier.
    let bad = MembershipStatement {
        nullifier: f.secrets[4].nullifier(&s.scope),
        ..*s
    };
    assert!(!MembershipCircuit::new(&bad, &f.witness)
        .unwrap()
        .is_satisfied()
        .unwrap());
    assert!(matches!(
        prove_with_rng(params().proving_key(), &f.witness, &bad, &mut rng(5)),
        Err(ProveError::NullifierMismatch)
    ));

    // A path of the wrong depth.
    let (secrets, tree) = members(DEPTH + 1, 2, 6);
    let deep = MembershipWitness::new(secrets[0].clone(), tree.path(0).unwrap());
    let st = deep.statement(s.scope, s.signal);
    assert!(matches!(
        prove_with_rng(params().proving_key(), &deep, &st, &mut rng(7)),
        Err(ProveError::DepthMismatch {
            expected: DEPTH,
            found: 5
        })
    ));
}

#[test]
fn nullifiers_are_deterministic_per_scope_and_differ_across_scopes() {
    let mut r = rng(8);
    let a = MembershipSecret::random_with_rng(&mut r);
    let b = MembershipSecret::random_with_rng(&mut r);
    let s1 = Scope::from_context(b"poll-1");
    let s2 = Scope::from_context(b"poll-2");
    assert_eq!(a.nullifier(&s1), a.nullifier(&s1));
    assert_eq!(
        a.nullifier(&s1),
        a.clone().nullifier(&Scope::from_context(b"poll-1"))
    );
    assert_ne!(a.nullifier(&s1), a.nullifier(&s2));
    assert_ne!(a.nullifier(&s1), b.nullifier(&s1));
    // Two proofs by one member in one scope carry the same nullifier, whatever the signal.
    let f = fixture();
    let again = f
        .witness
        .statement(f.statement.scope, Signal::from_message(b"another ballot"));
    assert_eq!(again.nullifier, f.statement.nullifier);
}

#[test]
fn hash_to_field_is_domain_separated() {
    assert_ne!(Scope::from_context(b"x").0, Signal::from_message(b"x").0);
    assert_ne!(Signal::from_message(b"x"), Signal::from_message(b"y"));
    assert_eq!(Signal::from_message(b"x"), Signal::from_message(b"x"));
}

#[test]
fn batch_verification_accepts_valid_and_rejects_any_invalid() {
    let f = fixture();
    let vk = params().verifying_key();
    let mut r = rng(9);
    let mut items = vec![(f.statement, f.proof.clone())];
    for i in [0usize, 3] {
        let w = MembershipWitness::new(f.secrets[i].clone(), f.tree.path(i as u64).unwrap());
        let s = w.statement(
            Scope::from_context(b"poll-3"),
            Signal::from_message(&[i as u8]),
        );
        items.push((
            s,
            prove_with_rng(params().proving_key(), &w, &s, &mut r).unwrap(),
        ));
    }
    for _ in 0..5 {
        items.push((f.statement, f.proof.rerandomize_with_rng(&vk, &mut r)));
    }
    assert_eq!(batch_verify_with_rng(pvk(), refs(&items), &mut r), Ok(()));
    assert_eq!(batch_verify_with_rng(pvk(), refs(&[][..]), &mut r), Ok(()));

    for k in [0, 4, items.len() - 1] {
        let mut bad = items.clone();
        bad[k].0.signal = Signal::from_message(b"swapped");
        assert_eq!(
            batch_verify_with_rng(pvk(), refs(&bad), &mut r),
            Err(VerificationError::InvalidProof)
        );
    }
    // Swapping proofs between two statements breaks both.
    let mut swapped = items.clone();
    let p0 = swapped[0].1.clone();
    swapped[0].1 = swapped[1].1.clone();
    swapped[1].1 = p0;
    assert_eq!(
        batch_verify_with_rng(pvk(), refs(&swapped), &mut r),
        Err(VerificationError::InvalidProof)
    );
}

#[test]
fn constraint_count_snapshot() {
    // Changing the circuit changes this number; update it deliberately (and BENCHMARKS.md).
    assert_eq!(constraint_count(20).unwrap(), DEPTH_20_CONSTRAINTS);
    let per_level = constraint_count(5).unwrap() - constraint_count(4).unwrap();
    assert_eq!(
        constraint_count(20).unwrap() - constraint_count(19).unwrap(),
        per_level
    );
    assert!(matches!(
        constraint_count(0),
        Err(SetupError::UnsupportedDepth { .. })
    ));
    assert!(matches!(
        constraint_count(MAX_DEPTH + 1),
        Err(SetupError::UnsupportedDepth { .. })
    ));
}

const DEPTH_20_CONSTRAINTS: usize = 5716;

#[test]
fn depth_20_end_to_end() {
    let mut r = rng(20);
    let params = MembershipParams::setup_with_rng(DEFAULT_DEPTH, &mut r).unwrap();
    let (secrets, tree) = members(DEFAULT_DEPTH, 300, 21);
    let w = MembershipWitness::new(secrets[277].clone(), tree.path(277).unwrap());
    let s = w.statement(
        Scope::from_context(b"poll-20"),
        Signal::from_message(b"ballot"),
    );
    let proof = prove_with_rng(params.proving_key(), &w, &s, &mut r).unwrap();
    let pvk = params.verifying_key().prepare();
    assert_eq!(verify(&pvk, &s, &proof), Ok(()));
    let bad = MembershipStatement {
        scope: Scope::from_context(b"poll-21"),
        ..s
    };
    assert_eq!(
        verify(&pvk, &bad, &proof),
        Err(VerificationError::InvalidProof)
    );
}

// ---- encodings ----

#[test]
fn keys_round_trip_and_reject_tampering() {
    let vk = params().verifying_key();
    let vk_bytes = vk.to_bytes();
    assert_eq!(MembershipVerifyingKey::from_bytes(&vk_bytes).unwrap(), vk);
    assert_eq!(vk_bytes[2] as usize, DEPTH);

    let pk = params().proving_key();
    let pk_bytes = pk.to_bytes();
    assert_eq!(&MembershipProvingKey::from_bytes(&pk_bytes).unwrap(), pk);

    // A key is not a proof, a proof is not a key.
    assert!(matches!(
        MembershipProof::from_bytes(&vk_bytes),
        Err(DecodeError::WrongKind { .. })
    ));
    assert!(matches!(
        MembershipVerifyingKey::from_bytes(&fixture().proof.to_bytes()),
        Err(DecodeError::WrongKind { .. })
    ));
    assert!(matches!(
        MembershipVerifyingKey::from_bytes(&pk_bytes),
        Err(DecodeError::WrongKind { .. })
    ));

    let mut trailing = vk_bytes.clone();
    trailing.push(0);
    assert_eq!(
        MembershipVerifyingKey::from_bytes(&trailing),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    let mut depth0 = vk_bytes.clone();
    depth0[2] = 0;
    assert_eq!(
        MembershipVerifyingKey::from_bytes(&depth0),
        Err(DecodeError::UnsupportedDepth { found: 0 })
    );
    assert!(MembershipVerifyingKey::from_bytes(&vk_bytes[..vk_bytes.len() - 1]).is_err());
}

#[test]
fn proving_keys_of_the_wrong_shape_are_rejected() {
    let pk = params().proving_key();
    let shape = circuit::key_shape(DEPTH).unwrap();
    assert_eq!(shape.instance, 5);
    assert_eq!(pk.clone().inner_mut().l_query.len(), shape.witness);
    assert_eq!(pk.clone().inner_mut().h_query.len() + 1, shape.domain);

    let mut short = pk.clone();
    short.inner_mut().l_query.pop();
    assert_eq!(
        MembershipProvingKey::from_bytes(&short.to_bytes()),
        Err(DecodeError::ShapeMismatch)
    );
    let mut short = pk.clone();
    short.inner_mut().h_query.pop();
    assert_eq!(
        MembershipProvingKey::from_bytes(&short.to_bytes()),
        Err(DecodeError::ShapeMismatch)
    );
    // A depth-4 key relabelled as depth 5.
    let mut relabelled = pk.to_bytes();
    relabelled[2] = 5;
    assert_eq!(
        MembershipProvingKey::from_bytes(&relabelled),
        Err(DecodeError::ShapeMismatch)
    );
}

/// Proof bytes with `B` replaced by `b` (serialised without any check).
fn proof_with_b(b: &G2Affine) -> Vec<u8> {
    let mut bytes = fixture().proof.to_bytes();
    let mut enc = Vec::new();
    b.serialize_compressed(&mut enc).unwrap();
    bytes[2 + 32..2 + 32 + 64].copy_from_slice(&enc);
    bytes
}

#[test]
fn points_outside_the_subgroup_are_rejected() {
    // A point on the twist but (with overwhelming probability) not in the r-order subgroup.
    let mut r = rng(11);
    let off_subgroup = loop {
        let x = Fq2::rand(&mut r);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                break p;
            }
        }
    };
    assert_eq!(
        MembershipProof::from_bytes(&proof_with_b(&off_subgroup)),
        Err(DecodeError::Malformed)
    );
    // Sanity: the same path accepts an honest B.
    assert!(MembershipProof::from_bytes(&proof_with_b(&fixture().proof.proof_b())).is_ok());
}

#[test]
fn non_canonical_coordinates_are_rejected() {
    // An x-coordinate >= p in A.
    let mut bytes = fixture().proof.to_bytes();
    let mut p_plus = Vec::new();
    use ark_ff::PrimeField;
    Fq::MODULUS.serialize_compressed(&mut p_plus).unwrap();
    bytes[2..34].copy_from_slice(&p_plus);
    assert!(MembershipProof::from_bytes(&bytes).is_err());
    // The point at infinity with stray bits.
    let mut inf = Vec::new();
    G2Affine::zero().serialize_compressed(&mut inf).unwrap();
    inf[0] |= 1;
    let mut bytes = fixture().proof.to_bytes();
    bytes[34..98].copy_from_slice(&inf);
    assert!(MembershipProof::from_bytes(&bytes).is_err());
}

#[test]
fn serde_goes_through_the_canonical_bytes() {
    let f = fixture();
    let json = serde_json::to_string(&f.proof).unwrap();
    let back: MembershipProof = serde_json::from_str(&json).unwrap();
    assert_eq!(back, f.proof);
    let json = serde_json::to_string(&f.statement).unwrap();
    assert_eq!(
        serde_json::from_str::<MembershipStatement>(&json).unwrap(),
        f.statement
    );
    let vk = params().verifying_key();
    let json = serde_json::to_string(&vk).unwrap();
    assert_eq!(
        serde_json::from_str::<MembershipVerifyingKey>(&json).unwrap(),
        vk
    );
    // Garbage is rejected by serde exactly as by from_bytes.
    assert!(serde_json::from_str::<MembershipProof>("[1,1,0,0]").is_err());
    assert!(serde_json::from_str::<MerkleRoot>(&format!("{:?}", [0xffu8; 32].to_vec())).is_err());
}

#[test]
fn secrets_are_not_printed() {
    let f = fixture();
    let secret_hex = format!("{:?}", MerkleRoot(f.secrets[5].0));
    for printed in [format!("{:?}", f.secrets[5]), format!("{:?}", f.witness)] {
        assert!(!printed.contains(&secret_hex[12..40]), "{printed}");
        assert!(!printed.contains("index"), "{printed}");
    }
    assert!(bool::from(f.secrets[5].ct_eq(&f.secrets[5].clone())));
    assert!(!bool::from(f.secrets[5].ct_eq(&f.secrets[4])));
}

#[test]
fn a_zero_member_secret_is_refused() {
    assert_eq!(
        MembershipSecret::from_bytes(&[0u8; 32]).err(),
        Some(DecodeError::ZeroSecret)
    );
    let mut one = [0u8; 32];
    one[0] = 1;
    assert!(MembershipSecret::from_bytes(&one).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn field_encodings_round_trip(seed: u64) {
        let x = Fr::rand(&mut rng(seed));
        let root = MerkleRoot(x);
        prop_assert_eq!(MerkleRoot::from_bytes(&root.to_bytes()), Ok(root));
        let secret = MembershipSecret(x);
        prop_assert!(bool::from(MembershipSecret::from_bytes(&secret.to_bytes()).unwrap().ct_eq(&secret)));
    }

    #[test]
    fn field_decoding_accepts_exactly_the_canonical_range(bytes: [u8; 32]) {
        match Nullifier::from_bytes(&bytes) {
            Ok(n) => prop_assert_eq!(n.to_bytes(), bytes),
            Err(e) => {
                prop_assert_eq!(e, DecodeError::Malformed);
                let mut le = bytes;
                le.reverse();
                let p_be = {
                    let mut v = Fr::MODULUS.to_bytes_le();
                    v.reverse();
                    v
                };
                prop_assert!(le.as_slice() >= p_be.as_slice());
            }
        }
    }

    #[test]
    fn statements_round_trip(seed: u64) {
        let mut r = rng(seed);
        let s = MembershipStatement {
            root: MerkleRoot(Fr::rand(&mut r)),
            nullifier: Nullifier(Fr::rand(&mut r)),
            scope: Scope(Fr::rand(&mut r)),
            signal: Signal(Fr::rand(&mut r)),
        };
        prop_assert_eq!(MembershipStatement::from_bytes(&s.to_bytes()), Ok(s));
    }

    #[test]
    fn garbage_is_rejected_or_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        // Anything accepted must be the canonical encoding of what it decodes to.
        if let Ok(p) = MembershipProof::from_bytes(&bytes) {
            prop_assert_eq!(p.to_bytes(), bytes.clone());
        }
        if let Ok(s) = MembershipStatement::from_bytes(&bytes) {
            prop_assert_eq!(s.to_bytes(), bytes.clone());
        }
        if let Ok(vk) = MembershipVerifyingKey::from_bytes(&bytes) {
            prop_assert_eq!(vk.to_bytes(), bytes);
        }
    }

    #[test]
    fn proofs_round_trip_and_prefixed_garbage_fails(seed: u64, junk in proptest::collection::vec(any::<u8>(), 1..8)) {
        let f = fixture();
        let p = f.proof.rerandomize_with_rng(&params().verifying_key(), &mut rng(seed));
        let bytes = p.to_bytes();
        prop_assert_eq!(MembershipProof::from_bytes(&bytes), Ok(p));
        let mut longer = bytes.clone();
        longer.extend(&junk);
        prop_assert_eq!(MembershipProof::from_bytes(&longer), Err(DecodeError::TrailingBytes { count: junk.len() }));
        prop_assert!(MembershipProof::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}

fn refs(
    items: &[(MembershipStatement, MembershipProof)],
) -> Vec<(&MembershipStatement, &MembershipProof)> {
    items.iter().map(|(s, p)| (s, p)).collect()
}

// ---- proving-key loading (fast path and its refusals) ----

#[test]
fn proving_keys_load_checked_and_by_digest() {
    let pk = params().proving_key();
    let bytes = pk.to_bytes();
    assert_eq!(bytes[1], 0x08, "keys are written uncompressed");
    let digest = pk.digest();
    assert_eq!(digest, ProvingKeyDigest::of_bytes(&bytes));
    assert_eq!(ProvingKeyDigest::from_hex(&digest.to_hex()), Ok(digest));
    assert_eq!(&MembershipProvingKey::from_bytes(&bytes).unwrap(), pk);
    assert_eq!(
        &MembershipProvingKey::from_bytes_checked_by_digest(&bytes, &digest).unwrap(),
        pk
    );
    // The older compressed encoding (kind 0x03) still loads, by both paths.
    let legacy = encoding::encode(encoding::Kind::ProvingKey, Some(DEPTH as u8), pk.inner());
    assert_eq!(&MembershipProvingKey::from_bytes(&legacy).unwrap(), pk);
    let legacy_digest = ProvingKeyDigest::of_bytes(&legacy);
    assert_eq!(
        &MembershipProvingKey::from_bytes_checked_by_digest(&legacy, &legacy_digest).unwrap(),
        pk
    );
}

#[test]
fn a_wrong_digest_or_tampered_key_is_refused() {
    let pk = params().proving_key();
    let bytes = pk.to_bytes();
    let digest = pk.digest();
    // Another key's digest.
    let other = MembershipParams::setup_with_rng(DEPTH, &mut rng(99)).unwrap();
    assert_eq!(
        MembershipProvingKey::from_bytes_checked_by_digest(&bytes, &other.proving_key().digest()),
        Err(DecodeError::DigestMismatch)
    );
    // One flipped bit anywhere: the digest path refuses it, whatever the bit does.
    let mut r = rng(5);
    for _ in 0..16 {
        let mut tampered = bytes.clone();
        let i = (r.next_u64() as usize) % tampered.len();
        tampered[i] ^= 1 << (r.next_u64() % 8);
        let err = MembershipProvingKey::from_bytes_checked_by_digest(&tampered, &digest)
            .expect_err("a tampered key must not load by digest");
        assert_eq!(err.code(), "digest_mismatch");
    }
    // A point of `b_g2_query` replaced by one outside the prime-order subgroup (canonically
    // encoded): the checked path refuses it.
    let mut tampered_inner = pk.clone();
    let q = &mut tampered_inner.inner_mut().b_g2_query;
    let i = q.len() / 2;
    q[i] = off_subgroup_g2(12);
    assert_eq!(
        MembershipProvingKey::from_bytes(&tampered_inner.to_bytes()),
        Err(DecodeError::Malformed)
    );
    // `delta_g1` the identity: proofs would not be randomised, so the key is refused.
    let mut bad = pk.clone();
    bad.inner_mut().delta_g1 = ark_bn254::G1Affine::zero();
    assert_eq!(
        MembershipProvingKey::from_bytes(&bad.to_bytes()),
        Err(DecodeError::Malformed)
    );
}

/// A point on the twist that is not in the `r`-order subgroup.
fn off_subgroup_g2(seed: u64) -> G2Affine {
    let mut r = rng(seed);
    loop {
        let x = Fq2::rand(&mut r);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
    }
}

#[test]
fn truncated_or_garbage_keys_are_errors_not_panics() {
    let pk = params().proving_key();
    let bytes = pk.to_bytes();
    let digest = pk.digest();
    let mut cuts: Vec<usize> = (0..8).collect();
    cuts.extend([
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 64,
        bytes.len() - 1,
    ]);
    for cut in cuts {
        let short = &bytes[..cut];
        assert!(
            MembershipProvingKey::from_bytes(short).is_err(),
            "cut {cut}"
        );
        assert!(
            MembershipProvingKey::from_bytes_checked_by_digest(
                short,
                &ProvingKeyDigest::of_bytes(short)
            )
            .is_err(),
            "cut {cut}"
        );
        assert_eq!(
            MembershipProvingKey::from_bytes_checked_by_digest(short, &digest),
            Err(DecodeError::DigestMismatch)
        );
    }
    // A header claiming a huge first vector: an error, no allocation of that size.
    let mut huge = bytes[..3].to_vec();
    huge.extend([0xff; 64]);
    assert!(MembershipProvingKey::from_bytes(&huge).is_err());
    assert!(MembershipProvingKey::from_bytes(&[1, 0x08, 0]).is_err());
    assert_eq!(
        MembershipProvingKey::from_bytes(&[1, 0x08, 99]),
        Err(DecodeError::UnsupportedDepth { found: 99 })
    );
    assert!(matches!(
        MembershipProvingKey::from_bytes(&[1, 0x02, 4, 0]),
        Err(DecodeError::WrongKind { .. })
    ));
}

/// Counts the spans opened on this thread.
struct SpanCounter(std::sync::atomic::AtomicU64);

impl tracing::Subscriber for &'static SpanCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::span::Id::from_u64(n + 1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn synthesis_opens_no_tracing_spans_under_a_verbose_subscriber() {
    // Regression test for the 73 s / 4.96 GB `weft vote params`: under a subscriber that
    // enables everything, arkworks' gadget spans would Debug-print the whole constraint
    // system on every call. Synthesis must open none of them.
    static COUNTER: SpanCounter = SpanCounter(std::sync::atomic::AtomicU64::new(0));
    let f = fixture();
    tracing::subscriber::with_default(&COUNTER, || {
        // The subscriber works: a span opened here is counted.
        drop(tracing::info_span!("probe"));
        assert_eq!(COUNTER.0.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert!(constraint_count(DEPTH).unwrap() > 0);
        MembershipCircuit::new(&f.statement, &f.witness)
            .unwrap()
            .is_satisfied()
            .unwrap();
        prove_with_rng(
            params().proving_key(),
            &f.witness,
            &f.statement,
            &mut rng(4),
        )
        .unwrap();
    });
    assert_eq!(COUNTER.0.load(std::sync::atomic::Ordering::Relaxed), 1);
}

//! Review regressions: edge cases and cross-protocol replays of the ristretto255 proofs.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_zk::sigma::dleq::{DleqProof, DleqStatement};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::sigma::schnorr::SchnorrProof;
use weft_zk::sigma::sum::{AllowedTotal, SumProof, SumStatement};
use weft_zk::{Context, IntervalProof, Opening, ProofError, SecretKey, VerificationError};

const CTX: Context<'static> = Context::new(b"poll-42");
const OTHER: Context<'static> = Context::new(b"poll-43");

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn one_of_a_single_value() {
    let mut rng = rng(1);
    let pk = SecretKey::random_with_rng(&mut rng).public_key();
    let (ct, r) = pk.encrypt_with_rng(7, &mut rng);
    let st = OneOfStatement {
        context: CTX,
        public_key: pk,
        ciphertext: ct,
        allowed: &[7],
    };
    let proof = OneOfProof::prove_with_rng(&st, 7, &r, &mut rng).unwrap();
    proof.verify_with_rng(&st, &mut rng).unwrap();
    // k = 1 is a plain DLEQ: it proves the plaintext is exactly 7, not 8.
    let (eight, r8) = pk.encrypt_with_rng(8, &mut rng);
    let st8 = OneOfStatement {
        ciphertext: eight,
        ..st
    };
    assert_eq!(
        OneOfProof::prove_with_rng(&st8, 8, &r8, &mut rng).err(),
        Some(ProofError::WitnessMismatch)
    );
    assert!(proof.verify_with_rng(&st8, &mut rng).is_err());
    assert!(proof
        .verify_with_rng(
            &OneOfStatement {
                allowed: &[8],
                ..st
            },
            &mut rng
        )
        .is_err());
    // A one-branch proof is no proof for a two-value set, and vice versa.
    assert!(proof
        .verify_with_rng(
            &OneOfStatement {
                allowed: &[7, 8],
                ..st
            },
            &mut rng
        )
        .is_err());
    // Duplicates in the allowed set are refused by verifier as well as prover.
    let dup = OneOfStatement {
        allowed: &[7, 7],
        ..st
    };
    assert_eq!(
        OneOfProof::prove_with_rng(&dup, 7, &r, &mut rng).err(),
        Some(ProofError::InvalidAllowedSet)
    );
    assert_eq!(
        proof.verify_with_rng(&dup, &mut rng),
        Err(VerificationError::Invalid)
    );
}

#[test]
fn a_sum_proof_does_not_replay_as_a_one_of_proof() {
    let mut rng = rng(2);
    let pk = SecretKey::random_with_rng(&mut rng).public_key();
    let (ct, r) = pk.encrypt_with_rng(1, &mut rng);
    let allowed = [0u64, 1];
    let sum = SumStatement {
        context: CTX,
        public_key: pk,
        ciphertexts: &[ct],
        total: AllowedTotal::OneOf(&allowed),
    };
    let proof = SumProof::prove_with_rng(&sum, &[1], &[r], &mut rng).unwrap();
    proof.verify_with_rng(&sum, &mut rng).unwrap();
    let SumProof::OneOf(inner) = proof else {
        panic!("a set total gives a one-of proof");
    };
    // Same key, same (sum) ciphertext, same set, same context: only the domain differs.
    let bit = OneOfStatement::bit(CTX, pk, ct);
    assert_eq!(
        inner.verify_with_rng(&bit, &mut rng),
        Err(VerificationError::Invalid)
    );
}

#[test]
fn batches_keep_contexts_apart_and_dleq_bases_are_ordered() {
    let mut rng = rng(3);
    let sk = SecretKey::random_with_rng(&mut rng);
    let pk = sk.public_key();
    let proof = SchnorrProof::prove_with_rng(&CTX, &sk, &mut rng);
    // Each proof in a batch is checked under its own context: one swapped context fails
    // the whole batch, even when all the others are right.
    let mut items: Vec<_> = (0..6)
        .map(|_| {
            let sk = SecretKey::random_with_rng(&mut rng);
            (
                CTX,
                sk.public_key(),
                SchnorrProof::prove_with_rng(&CTX, &sk, &mut rng),
            )
        })
        .collect();
    items.push((CTX, pk, proof));
    SchnorrProof::verify_batch_with_rng(&items, &mut rng).unwrap();
    items[6].0 = OTHER;
    assert_eq!(
        SchnorrProof::verify_batch_with_rng(&items, &mut rng),
        Err(VerificationError::Invalid)
    );

    // A DLEQ batch, too, checks each item under its own context.
    let h = curve25519_dalek::RistrettoPoint::mul_base(&curve25519_dalek::Scalar::from(99u64));
    let g = curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    let st = DleqStatement {
        g,
        h,
        a: *pk.as_point(),
        b: h * sk_scalar(&sk),
    };
    let dleq = DleqProof::prove_with_rng(&CTX, &st, &sk, &mut rng).unwrap();
    let batch = [(CTX, st, dleq), (OTHER, st, dleq)];
    assert!(DleqProof::verify_batch_with_rng(&batch[..1], &mut rng).is_ok());
    assert!(DleqProof::verify_batch_with_rng(&batch, &mut rng).is_err());
    // Swapping the two bases is another statement.
    let swapped = DleqStatement { g: h, h: g, ..st };
    assert!(dleq.verify(&CTX, &swapped).is_err());
}

/// The secret scalar of `sk`, through its public encoding (version, tag, 32 bytes).
fn sk_scalar(sk: &SecretKey) -> curve25519_dalek::Scalar {
    let bytes = sk.to_secret_bytes();
    let mut s = [0u8; 32];
    s.copy_from_slice(&bytes[2..]);
    curve25519_dalek::Scalar::from_canonical_bytes(s).unwrap()
}

#[test]
fn intervals_at_the_edges_of_u64() {
    let mut rng = rng(4);
    for (lower, upper, v) in [
        (0, u64::MAX, u64::MAX),
        (1, u64::MAX, 1),
        (u64::MAX, u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX, u64::MAX - 1),
    ] {
        let opening = Opening::random_with_rng(v, &mut rng);
        let (proof, st) =
            IntervalProof::prove_with_rng(&CTX, lower, upper, &opening, &mut rng).unwrap();
        proof.verify_with_rng(&st, &mut rng).unwrap();
    }
    // A commitment to 0 is not in [1, 2^64 - 1]; the prover refuses, and a proof for [0, 2^64 - 1]
    // does not verify for [1, 2^64 - 1].
    let zero = Opening::random_with_rng(0, &mut rng);
    assert_eq!(
        IntervalProof::prove_with_rng(&CTX, 1, u64::MAX, &zero, &mut rng).err(),
        Some(ProofError::ValueOutOfRange)
    );
    let (proof, st) = IntervalProof::prove_with_rng(&CTX, 0, u64::MAX, &zero, &mut rng).unwrap();
    assert!(proof
        .verify_with_rng(&weft_zk::IntervalStatement { lower: 1, ..st }, &mut rng)
        .is_err());
    // Reversed bounds are refused by both sides.
    assert_eq!(
        IntervalProof::prove_with_rng(&CTX, 5, 4, &zero, &mut rng).err(),
        Some(ProofError::EmptyInterval)
    );
    assert!(proof
        .verify_with_rng(
            &weft_zk::IntervalStatement {
                lower: u64::MAX,
                upper: 0,
                ..st
            },
            &mut rng
        )
        .is_err());
}

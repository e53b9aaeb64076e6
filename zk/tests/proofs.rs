//! Completeness and soundness of the ristretto255 proofs through the public API:
//! wrong statement, wrong context, flipped bytes, batches with one bad proof.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use weft_zk::sigma::dleq::{DleqProof, DleqStatement};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::sigma::schnorr::SchnorrProof;
use weft_zk::sigma::sum::{AllowedTotal, SumProof, SumStatement};
use weft_zk::{
    AggregatedRangeProof, AggregatedRangeStatement, BitSize, Commitment, IntervalProof,
    IntervalStatement, Opening, ProofError, RangeProof, RangeStatement, SecretKey,
    VerificationError,
};

const CTX: weft_zk::Context<'static> = weft_zk::Context::new(b"verifier-challenge-1");
const OTHER: weft_zk::Context<'static> = weft_zk::Context::new(b"verifier-challenge-2");

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Flips every bit position of `bytes` in turn (sampling every `stride`-th byte) and checks
/// that `check` rejects every variant, by decode error or verification error.
fn every_flip_fails(bytes: &[u8], stride: usize, check: impl Fn(&[u8]) -> bool) {
    assert!(check(bytes), "the untampered encoding must pass");
    for i in (0..bytes.len()).step_by(stride) {
        for bit in [0u8, 3, 7] {
            let mut b = bytes.to_vec();
            b[i] ^= 1 << bit;
            assert!(!check(&b), "flip of byte {i} bit {bit} was accepted");
        }
    }
    assert!(!check(&bytes[..bytes.len() - 1]), "truncation accepted");
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(!check(&longer), "trailing byte accepted");
}

#[test]
fn range_proofs_of_every_size() {
    let mut rng = rng(1);
    for bits in [
        BitSize::Bits8,
        BitSize::Bits16,
        BitSize::Bits32,
        BitSize::Bits64,
    ] {
        let max = if bits == BitSize::Bits64 {
            u64::MAX
        } else {
            (1u64 << bits.bits()) - 1
        };
        for v in [0, 1, max] {
            let opening = Opening::random_with_rng(v, &mut rng);
            let (proof, commitment) =
                RangeProof::prove_with_rng(&CTX, bits, &opening, &mut rng).unwrap();
            assert_eq!(commitment, opening.commit());
            let st = RangeStatement {
                context: CTX,
                bits,
                commitment,
            };
            proof.verify(&st).unwrap();
            assert_eq!(
                proof.verify(&RangeStatement {
                    context: OTHER,
                    ..st
                }),
                Err(VerificationError::Invalid)
            );
        }
        if bits != BitSize::Bits64 {
            let too_big = Opening::random_with_rng(1u64 << bits.bits(), &mut rng);
            assert_eq!(
                RangeProof::prove_with_rng(&CTX, bits, &too_big, &mut rng).err(),
                Some(ProofError::ValueOutOfRange)
            );
        }
    }
}

#[test]
fn range_proof_flipped_bytes_fail() {
    let mut rng = rng(2);
    let opening = Opening::random_with_rng(1234, &mut rng);
    let (proof, commitment) =
        RangeProof::prove_with_rng(&CTX, BitSize::Bits16, &opening, &mut rng).unwrap();
    let st = RangeStatement {
        context: CTX,
        bits: BitSize::Bits16,
        commitment,
    };
    every_flip_fails(&proof.to_bytes(), 1, |b| {
        RangeProof::from_bytes(b).is_ok_and(|p| p.verify(&st).is_ok())
    });
    // The commitment's encoding too.
    every_flip_fails(&commitment.to_bytes(), 1, |b| {
        Commitment::from_bytes(b).is_ok_and(|c| {
            proof
                .verify(&RangeStatement {
                    commitment: c,
                    ..st
                })
                .is_ok()
        })
    });
}

#[test]
fn aggregated_range_proofs() {
    let mut rng = rng(3);
    for m in [1usize, 2, 3, 4, 5, 8] {
        let openings: Vec<_> = (0..m)
            .map(|i| Opening::random_with_rng(i as u64 * 1000, &mut rng))
            .collect();
        let (proof, commitments) =
            AggregatedRangeProof::prove_with_rng(&CTX, BitSize::Bits32, &openings, &mut rng)
                .unwrap();
        let st = AggregatedRangeStatement {
            context: CTX,
            bits: BitSize::Bits32,
            commitments: commitments.clone(),
        };
        proof.verify(&st).unwrap();
        let decoded = AggregatedRangeProof::from_bytes(&proof.to_bytes()).unwrap();
        decoded.verify(&st).unwrap();
        // Reordered, dropped or replaced commitments fail.
        if m > 1 {
            let mut swapped = commitments.clone();
            swapped.swap(0, 1);
            assert!(proof
                .verify(&AggregatedRangeStatement {
                    commitments: swapped,
                    ..st.clone()
                })
                .is_err());
            assert!(proof
                .verify(&AggregatedRangeStatement {
                    commitments: commitments[1..].to_vec(),
                    ..st.clone()
                })
                .is_err());
        }
        let mut replaced = commitments.clone();
        replaced[m - 1] = Opening::random_with_rng(7, &mut rng).commit();
        assert!(proof
            .verify(&AggregatedRangeStatement {
                commitments: replaced,
                ..st.clone()
            })
            .is_err());
        assert!(proof
            .verify(&AggregatedRangeStatement {
                context: OTHER,
                ..st
            })
            .is_err());
    }
    let too_big = vec![
        Opening::random_with_rng(1, &mut rng),
        Opening::random_with_rng(1 << 40, &mut rng),
    ];
    assert_eq!(
        AggregatedRangeProof::prove_with_rng(&CTX, BitSize::Bits32, &too_big, &mut rng).err(),
        Some(ProofError::ValueOutOfRange)
    );
    assert_eq!(
        AggregatedRangeProof::prove_with_rng(&CTX, BitSize::Bits32, &[], &mut rng).err(),
        Some(ProofError::InvalidAggregation { m: 0 })
    );
}

#[test]
fn interval_proofs() {
    let mut rng = rng(4);
    // (a, b, v) including the edges and full-width intervals.
    for (a, b, v) in [
        (18, u64::MAX, 18),
        (18, u64::MAX, 65),
        (0, 17, 17),
        (30_000, 60_000, 45_000),
        (5, 5, 5),
        (0, u64::MAX, u64::MAX),
        (1 << 40, (1 << 40) + 255, (1 << 40) + 255),
    ] {
        let opening = Opening::random_with_rng(v, &mut rng);
        let (proof, st) = IntervalProof::prove_with_rng(&CTX, a, b, &opening, &mut rng).unwrap();
        assert_eq!(st.commitment, opening.commit());
        proof.verify(&st).unwrap();
        let decoded = IntervalProof::from_bytes(&proof.to_bytes()).unwrap();
        decoded.verify(&st).unwrap();
        // Another context, bound or commitment fails.
        assert!(proof
            .verify(&IntervalStatement {
                context: OTHER,
                ..st
            })
            .is_err());
        if a > 0 {
            assert!(proof
                .verify(&IntervalStatement { lower: a - 1, ..st })
                .is_err());
        }
        if b < u64::MAX {
            assert!(proof
                .verify(&IntervalStatement { upper: b + 1, ..st })
                .is_err());
        }
        let other = Opening::random_with_rng(v, &mut rng).commit();
        assert!(proof
            .verify(&IntervalStatement {
                commitment: other,
                ..st
            })
            .is_err());
    }
    // v outside [a, b] is refused by the prover.
    for (a, b, v) in [(18, 120, 17), (18, 120, 121), (18, u64::MAX, 0)] {
        let opening = Opening::random_with_rng(v, &mut rng);
        assert_eq!(
            IntervalProof::prove_with_rng(&CTX, a, b, &opening, &mut rng).err(),
            Some(ProofError::ValueOutOfRange)
        );
    }
}

#[test]
fn interval_proof_flipped_bytes_fail() {
    let mut rng = rng(5);
    let opening = Opening::random_with_rng(40, &mut rng);
    let (proof, st) = IntervalProof::prove_with_rng(&CTX, 18, 120, &opening, &mut rng).unwrap();
    every_flip_fails(&proof.to_bytes(), 1, |b| {
        IntervalProof::from_bytes(b).is_ok_and(|p| p.verify(&st).is_ok())
    });
}

#[test]
fn range_parallel_verification_rejects_one_bad_proof() {
    let mut rng = rng(6);
    let mut batch: Vec<_> = (0..16u64)
        .map(|v| {
            let o = Opening::random_with_rng(v, &mut rng);
            let (p, c) = RangeProof::prove_with_rng(&CTX, BitSize::Bits64, &o, &mut rng).unwrap();
            (
                p,
                RangeStatement {
                    context: CTX,
                    bits: BitSize::Bits64,
                    commitment: c,
                },
            )
        })
        .collect();
    RangeProof::verify_parallel(&batch).unwrap();
    batch[11].1.commitment = Opening::random_with_rng(11, &mut rng).commit();
    assert_eq!(
        RangeProof::verify_parallel(&batch),
        Err(VerificationError::Invalid)
    );
}

#[test]
fn schnorr_and_dleq_flipped_bytes_fail() {
    let mut rng = rng(7);
    let sk = SecretKey::random_with_rng(&mut rng);
    let pk = sk.public_key();
    let proof = SchnorrProof::prove_with_rng(&CTX, &sk, &mut rng);
    every_flip_fails(&proof.to_bytes(), 1, |b| {
        SchnorrProof::from_bytes(b).is_ok_and(|p| p.verify(&CTX, &pk).is_ok())
    });

    let h = curve25519_dalek::RistrettoPoint::mul_base(&curve25519_dalek::Scalar::from(99u64));
    let x = SecretKey::random_with_rng(&mut rng);
    let xs = x.public_key();
    // x*h = -(decryption of (h, 0)).
    let xh = -x.decrypt_to_point(&weft_zk::Ciphertext::from_points(h, Default::default()));
    let st = DleqStatement {
        g: curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        h,
        a: *xs.as_point(),
        b: xh,
    };
    let proof = DleqProof::prove_with_rng(&CTX, &st, &x, &mut rng).unwrap();
    every_flip_fails(&proof.to_bytes(), 1, |b| {
        DleqProof::from_bytes(b).is_ok_and(|p| p.verify(&CTX, &st).is_ok())
    });
    assert!(proof.verify(&OTHER, &st).is_err());
    assert!(proof
        .verify(&CTX, &DleqStatement { h: st.g, ..st })
        .is_err());
}

#[test]
fn bit_proofs_batch_and_tamper() {
    let mut rng = rng(8);
    let pk = SecretKey::random_with_rng(&mut rng).public_key();
    let items: Vec<_> = (0..20u64)
        .map(|i| {
            let bit = i % 2;
            let (ct, r) = pk.encrypt_with_rng(bit, &mut rng);
            let st = OneOfStatement::bit(CTX, pk, ct);
            let proof = OneOfProof::prove_with_rng(&st, bit, &r, &mut rng).unwrap();
            (st, proof)
        })
        .collect();
    OneOfProof::verify_batch_with_rng(&items, &mut rng).unwrap();
    // One proof moved onto another ciphertext: the batch fails.
    let mut bad = items.clone();
    bad[7].0.ciphertext = items[8].0.ciphertext;
    assert_eq!(
        OneOfProof::verify_batch_with_rng(&bad, &mut rng),
        Err(VerificationError::Invalid)
    );
    // One proof under another context.
    let mut bad = items.clone();
    bad[3].0.context = OTHER;
    assert_eq!(
        OneOfProof::verify_batch_with_rng(&bad, &mut rng),
        Err(VerificationError::Invalid)
    );
    // An encryption of 2 cannot be proven a bit, and a bit proof does not transfer to it.
    let (two, r2) = pk.encrypt_with_rng(2, &mut rng);
    let st2 = OneOfStatement::bit(CTX, pk, two);
    assert_eq!(
        OneOfProof::prove_with_rng(&st2, 2, &r2, &mut rng).err(),
        Some(ProofError::WitnessMismatch)
    );
    assert!(items[1].1.verify(&st2).is_err());

    let (st, proof) = &items[0];
    every_flip_fails(&proof.to_bytes(), 1, |b| {
        OneOfProof::from_bytes(b).is_ok_and(|p| p.verify(st).is_ok())
    });
}

#[test]
fn one_of_k_and_sum_proofs() {
    let mut rng = rng(9);
    let pk = SecretKey::random_with_rng(&mut rng).public_key();
    // An approval ballot over 5 choices: each entry 0/1, total in {1, 2}.
    let votes = [0u64, 1, 0, 1, 0];
    let (cts, rs): (Vec<_>, Vec<_>) = votes
        .iter()
        .map(|&v| pk.encrypt_with_rng(v, &mut rng))
        .unzip();
    let allowed = [1u64, 2];
    let st = SumStatement {
        context: CTX,
        public_key: pk,
        ciphertexts: &cts,
        total: AllowedTotal::OneOf(&allowed),
    };
    let proof = SumProof::prove_with_rng(&st, &votes, &rs, &mut rng).unwrap();
    proof.verify(&st).unwrap();
    every_flip_fails(&proof.to_bytes(), 3, |b| {
        SumProof::from_bytes(b).is_ok_and(|p| p.verify(&st).is_ok())
    });
    assert!(proof
        .verify(&SumStatement {
            context: OTHER,
            ..st
        })
        .is_err());
    assert!(proof
        .verify(&SumStatement {
            total: AllowedTotal::OneOf(&[1]),
            ..st
        })
        .is_err());
    assert!(proof
        .verify(&SumStatement {
            total: AllowedTotal::Exactly(2),
            ..st
        })
        .is_err());
    let mut swapped = cts.clone();
    swapped.swap(0, 1);
    assert!(proof
        .verify(&SumStatement {
            ciphertexts: &swapped,
            ..st
        })
        .is_err());

    // A ballot with three approvals cannot prove a total in {1, 2}.
    let over = [1u64, 1, 1, 0, 0];
    let (cts3, rs3): (Vec<_>, Vec<_>) = over
        .iter()
        .map(|&v| pk.encrypt_with_rng(v, &mut rng))
        .unzip();
    let st3 = SumStatement {
        ciphertexts: &cts3,
        ..st
    };
    assert_eq!(
        SumProof::prove_with_rng(&st3, &over, &rs3, &mut rng).err(),
        Some(ProofError::WitnessMismatch)
    );

    // Exact total (single-choice ballot sums to 1).
    let st1 = SumStatement {
        total: AllowedTotal::Exactly(2),
        ..st
    };
    let exact = SumProof::prove_with_rng(&st1, &votes, &rs, &mut rng).unwrap();
    exact.verify(&st1).unwrap();
    every_flip_fails(&exact.to_bytes(), 1, |b| {
        SumProof::from_bytes(b).is_ok_and(|p| p.verify(&st1).is_ok())
    });
    assert!(exact
        .verify(&SumStatement {
            total: AllowedTotal::Exactly(1),
            ..st
        })
        .is_err());
}

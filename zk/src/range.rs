//! Bulletproofs range proofs over [`Commitment`]s: single n-bit, aggregated n-bit, and the
//! interval `[a, b]`.
//!
//! Every proof runs on a transcript that starts with a versioned domain separator, the
//! caller's [`Context`] and the full statement (bit size, bounds, commitments), so a proof
//! cannot be replayed for another statement or context.
//!
//! # The interval proof and its soundness condition
//!
//! For a commitment `C = v*B + r*B'` and public `a <= b`, let `n` be the least of 8, 16, 32, 64
//! with `b - a < 2^n`. Both sides derive `C_lo = C - a*B` (opens to `v - a`, blinding `r`) and
//! `C_hi = b*B - C` (opens to `b - v`, blinding `-r`), and the prover gives one aggregated
//! Bulletproof that both open to values `x, y` in `[0, 2^n)`.
//!
//! Soundness: `x + y = b - a (mod l)`. Because `x, y < 2^n` and `2^(n+1) <= 2^65 < l`, the sum
//! does not wrap, so `x + y = b - a` over the integers, hence `0 <= x <= b - a` and
//! `v = a + x` lies in `[a, b]`. The condition is `2^(n+1) <= l`, which holds for every
//! supported `n`; `b - a < 2^n` is only needed for completeness (an honest prover's `x, y`
//! fit in n bits), which is why `n` is derived from the interval and not chosen by the prover.
//!
//! # Batch verification
//!
//! bulletproofs 5 exposes no batch verifier (the proof internals are private), so
//! [`RangeProof::verify_parallel`] verifies proofs independently across threads with rayon.
//! It is parallel verification, not a single combined multiscalar check.

use bulletproofs::RangeProof as BpRangeProof;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{EncodingError, ProofError, VerificationError};
use crate::pedersen::{bulletproof_gens, pedersen_gens, Commitment, Opening, MAX_AGGREGATION};
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// Supported range sizes: a proof shows a value lies in `[0, 2^n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BitSize {
    /// `[0, 2^8)`
    Bits8,
    /// `[0, 2^16)`
    Bits16,
    /// `[0, 2^32)`
    Bits32,
    /// `[0, 2^64)`
    Bits64,
}

impl BitSize {
    /// The number of bits `n`.
    pub const fn bits(self) -> usize {
        match self {
            BitSize::Bits8 => 8,
            BitSize::Bits16 => 16,
            BitSize::Bits32 => 32,
            BitSize::Bits64 => 64,
        }
    }

    /// The bit size for `n`, if supported.
    pub const fn from_bits(n: usize) -> Option<Self> {
        match n {
            8 => Some(BitSize::Bits8),
            16 => Some(BitSize::Bits16),
            32 => Some(BitSize::Bits32),
            64 => Some(BitSize::Bits64),
            _ => None,
        }
    }

    /// Whether `v < 2^n`.
    pub const fn contains(self, v: u64) -> bool {
        self.bits() == 64 || v < (1u64 << self.bits())
    }

    /// The smallest supported size `n` with `width < 2^n`.
    pub const fn for_width(width: u64) -> Self {
        if width < 1 << 8 {
            BitSize::Bits8
        } else if width < 1 << 16 {
            BitSize::Bits16
        } else if width < 1 << 32 {
            BitSize::Bits32
        } else {
            BitSize::Bits64
        }
    }
}

/// Byte length of a bulletproofs range proof over `n * m` bits (`2 lg(nm) + 9` 32-byte words).
fn bp_proof_len(n: usize, m: usize) -> usize {
    (2 * (n * m).trailing_zeros() as usize + 9) * 32
}

fn decode_bp(bytes: &[u8], n: usize, m: usize) -> Result<BpRangeProof, EncodingError> {
    if bytes.len() != bp_proof_len(n, m) {
        return Err(EncodingError::InvalidLength);
    }
    // Scalars are checked for canonicity here; points are decompressed (and rejected if
    // invalid) by the verifier.
    BpRangeProof::from_bytes(bytes).map_err(|_| EncodingError::NonCanonicalScalar)
}

/// Public statement of a single range proof: `commitment` opens to a value in `[0, 2^bits)`.
#[derive(Clone, Copy, Debug)]
pub struct RangeStatement<'a> {
    /// Context the proof is bound to.
    pub context: Context<'a>,
    /// The claimed range.
    pub bits: BitSize,
    /// The commitment.
    pub commitment: Commitment,
}

/// A proof that one committed value lies in `[0, 2^n)`.
#[derive(Clone, Debug)]
pub struct RangeProof {
    bits: BitSize,
    proof: BpRangeProof,
}

fn single_transcript(context: &Context<'_>, bits: BitSize, c: &CompressedRistretto) -> Transcript {
    let mut t = new_transcript(ds::RANGE, context);
    t.append_u64(label::BITS, bits.bits() as u64);
    t.append_compressed(label::COMMITMENT, c);
    t
}

impl RangeProof {
    /// Proves that `opening` commits to a value in `[0, 2^bits)`; returns the proof and the
    /// commitment it is about.
    pub fn prove_with_rng(
        context: &Context<'_>,
        bits: BitSize,
        opening: &Opening,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(Self, Commitment), ProofError> {
        if !bits.contains(opening.value()) {
            return Err(ProofError::ValueOutOfRange);
        }
        let commitment = opening.commit();
        let mut t = single_transcript(context, bits, commitment.compressed());
        let (proof, _) = BpRangeProof::prove_single_with_rng(
            bulletproof_gens(),
            pedersen_gens(),
            &mut t,
            opening.value(),
            opening.blinding(),
            bits.bits(),
            rng,
        )
        .map_err(|_| ProofError::Bulletproofs)?;
        Ok((Self { bits, proof }, commitment))
    }

    /// [`RangeProof::prove_with_rng`] with the OS RNG.
    pub fn prove(
        context: &Context<'_>,
        bits: BitSize,
        opening: &Opening,
    ) -> Result<(Self, Commitment), ProofError> {
        Self::prove_with_rng(context, bits, opening, &mut OsRng)
    }

    /// Verifies the proof against `statement`. The verifier's batching scalar comes from `rng`.
    pub fn verify_with_rng(
        &self,
        statement: &RangeStatement<'_>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        if self.bits != statement.bits {
            return Err(VerificationError::Invalid);
        }
        let c = statement.commitment.compressed();
        let mut t = single_transcript(&statement.context, statement.bits, c);
        self.proof
            .verify_single_with_rng(
                bulletproof_gens(),
                pedersen_gens(),
                &mut t,
                c,
                self.bits.bits(),
                rng,
            )
            .map_err(|_| VerificationError::Invalid)
    }

    /// [`RangeProof::verify_with_rng`] with the thread RNG.
    pub fn verify(&self, statement: &RangeStatement<'_>) -> Result<(), VerificationError> {
        self.verify_with_rng(statement, &mut rand::thread_rng())
    }

    /// Verifies many independent proofs in parallel (rayon). Succeeds only if every proof
    /// verifies. This is parallel, not batched, verification: see the module docs.
    pub fn verify_parallel(
        batch: &[(RangeProof, RangeStatement<'_>)],
    ) -> Result<(), VerificationError> {
        batch
            .par_iter()
            .try_for_each(|(proof, statement)| proof.verify(statement))
    }

    /// The bit size the proof claims.
    pub fn bits(&self) -> BitSize {
        self.bits
    }

    /// Canonical encoding: header, bit size, bulletproofs bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.proof.to_bytes();
        let mut w = Writer::new(tag::RANGE_PROOF, 1 + body.len());
        w.u8(self.bits.bits() as u8).raw(&body);
        w.finish()
    }

    /// Decodes [`RangeProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::RANGE_PROOF)?;
        let bits = BitSize::from_bits(r.u8()? as usize).ok_or(EncodingError::InvalidParameter)?;
        let proof = decode_bp(r.rest(), bits.bits(), 1)?;
        Ok(Self { bits, proof })
    }
}

serde_via_bytes!(RangeProof);

/// Public statement of an aggregated range proof: every commitment opens to a value in
/// `[0, 2^bits)`.
#[derive(Clone, Debug)]
pub struct AggregatedRangeStatement<'a> {
    /// Context the proof is bound to.
    pub context: Context<'a>,
    /// The claimed range, shared by all values.
    pub bits: BitSize,
    /// The commitments, in the prover's order.
    pub commitments: Vec<Commitment>,
}

/// One proof that `m` committed values each lie in `[0, 2^n)`; `m` is padded internally to a
/// power of two with commitments to zero (the identity), which both sides add identically.
#[derive(Clone, Debug)]
pub struct AggregatedRangeProof {
    bits: BitSize,
    count: u8,
    proof: BpRangeProof,
}

fn aggregated_transcript(
    context: &Context<'_>,
    bits: BitSize,
    commitments: &[CompressedRistretto],
) -> Transcript {
    let mut t = new_transcript(ds::RANGE_AGGREGATED, context);
    t.append_u64(label::BITS, bits.bits() as u64);
    t.append_u64(label::COUNT, commitments.len() as u64);
    for c in commitments {
        t.append_compressed(label::COMMITMENT, c);
    }
    t
}

fn check_aggregation(m: usize) -> Result<usize, ProofError> {
    if m == 0 || m > MAX_AGGREGATION {
        return Err(ProofError::InvalidAggregation { m });
    }
    Ok(m.next_power_of_two())
}

impl AggregatedRangeProof {
    /// Proves that every opening commits to a value in `[0, 2^bits)`; returns the proof and
    /// the commitments in order.
    pub fn prove_with_rng(
        context: &Context<'_>,
        bits: BitSize,
        openings: &[Opening],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(Self, Vec<Commitment>), ProofError> {
        let padded = check_aggregation(openings.len())?;
        if openings.iter().any(|o| !bits.contains(o.value())) {
            return Err(ProofError::ValueOutOfRange);
        }
        let commitments: Vec<Commitment> = openings.iter().map(Opening::commit).collect();
        let compressed: Vec<_> = commitments.iter().map(|c| *c.compressed()).collect();
        let mut t = aggregated_transcript(context, bits, &compressed);
        // The values and blindings are secrets: erased when these buffers drop.
        let mut values = Zeroizing::new(openings.iter().map(Opening::value).collect::<Vec<u64>>());
        let mut blindings = Zeroizing::new(
            openings
                .iter()
                .map(|o| *o.blinding())
                .collect::<Vec<Scalar>>(),
        );
        values.resize(padded, 0);
        blindings.resize(padded, Scalar::ZERO);
        let result = BpRangeProof::prove_multiple_with_rng(
            bulletproof_gens(),
            pedersen_gens(),
            &mut t,
            &values,
            &blindings,
            bits.bits(),
            rng,
        );
        let (proof, _) = result.map_err(|_| ProofError::Bulletproofs)?;
        let count = openings.len() as u8;
        Ok((Self { bits, count, proof }, commitments))
    }

    /// [`AggregatedRangeProof::prove_with_rng`] with the OS RNG.
    pub fn prove(
        context: &Context<'_>,
        bits: BitSize,
        openings: &[Opening],
    ) -> Result<(Self, Vec<Commitment>), ProofError> {
        Self::prove_with_rng(context, bits, openings, &mut OsRng)
    }

    /// Verifies the proof against `statement`.
    pub fn verify_with_rng(
        &self,
        statement: &AggregatedRangeStatement<'_>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        let m = statement.commitments.len();
        if self.bits != statement.bits || usize::from(self.count) != m {
            return Err(VerificationError::Invalid);
        }
        let padded = check_aggregation(m).map_err(|_| VerificationError::Invalid)?;
        let mut compressed: Vec<_> = statement
            .commitments
            .iter()
            .map(|c| *c.compressed())
            .collect();
        let mut t = aggregated_transcript(&statement.context, self.bits, &compressed);
        compressed.resize(padded, CompressedRistretto::identity());
        self.proof
            .verify_multiple_with_rng(
                bulletproof_gens(),
                pedersen_gens(),
                &mut t,
                &compressed,
                self.bits.bits(),
                rng,
            )
            .map_err(|_| VerificationError::Invalid)
    }

    /// [`AggregatedRangeProof::verify_with_rng`] with the thread RNG.
    pub fn verify(
        &self,
        statement: &AggregatedRangeStatement<'_>,
    ) -> Result<(), VerificationError> {
        self.verify_with_rng(statement, &mut rand::thread_rng())
    }

    /// Canonical encoding: header, bit size, value count, bulletproofs bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.proof.to_bytes();
        let mut w = Writer::new(tag::AGGREGATED_RANGE_PROOF, 2 + body.len());
        w.u8(self.bits.bits() as u8).u8(self.count).raw(&body);
        w.finish()
    }

    /// Decodes [`AggregatedRangeProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::AGGREGATED_RANGE_PROOF)?;
        let bits = BitSize::from_bits(r.u8()? as usize).ok_or(EncodingError::InvalidParameter)?;
        let count = r.u8()?;
        let padded =
            check_aggregation(usize::from(count)).map_err(|_| EncodingError::InvalidParameter)?;
        let proof = decode_bp(r.rest(), bits.bits(), padded)?;
        Ok(Self { bits, count, proof })
    }
}

serde_via_bytes!(AggregatedRangeProof);

/// Public statement of an interval proof: `commitment` opens to `v` with
/// `lower <= v <= upper`.
#[derive(Clone, Copy, Debug)]
pub struct IntervalStatement<'a> {
    /// Context the proof is bound to (for credentials: the verifier's challenge).
    pub context: Context<'a>,
    /// Inclusive lower bound `a`.
    pub lower: u64,
    /// Inclusive upper bound `b`.
    pub upper: u64,
    /// The commitment to `v` (for credentials: the issuer-signed commitment).
    pub commitment: Commitment,
}

impl IntervalStatement<'_> {
    /// The bit size derived from the interval width (see the module docs).
    pub fn bits(&self) -> BitSize {
        BitSize::for_width(self.upper.wrapping_sub(self.lower))
    }

    /// `C - a*B` and `b*B - C`, derived homomorphically from the one commitment.
    fn derived_commitments(&self) -> [CompressedRistretto; 2] {
        let b = pedersen_gens().B;
        let c = self.commitment.as_point();
        [
            (c - Scalar::from(self.lower) * b).compress(),
            (Scalar::from(self.upper) * b - c).compress(),
        ]
    }

    fn transcript(&self) -> Transcript {
        let mut t = new_transcript(ds::RANGE_INTERVAL, &self.context);
        t.append_u64(label::LOWER, self.lower);
        t.append_u64(label::UPPER, self.upper);
        t.append_u64(label::BITS, self.bits().bits() as u64);
        t.append_compressed(label::COMMITMENT, self.commitment.compressed());
        t
    }
}

/// A proof that a committed value lies in `[a, b]` (use `a = 0` for "at most b" and
/// `b = u64::MAX` for "at least a").
#[derive(Clone, Debug)]
pub struct IntervalProof {
    proof: BpRangeProof,
}

impl IntervalProof {
    /// Proves `lower <= v <= upper` for the value of `opening`; returns the proof and the
    /// statement it verifies against.
    pub fn prove_with_rng<'a>(
        context: &Context<'a>,
        lower: u64,
        upper: u64,
        opening: &Opening,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(Self, IntervalStatement<'a>), ProofError> {
        if lower > upper {
            return Err(ProofError::EmptyInterval);
        }
        let v = opening.value();
        if v < lower || v > upper {
            return Err(ProofError::ValueOutOfRange);
        }
        let statement = IntervalStatement {
            context: *context,
            lower,
            upper,
            commitment: opening.commit(),
        };
        let mut t = statement.transcript();
        let r = opening.blinding();
        let values = Zeroizing::new([v - lower, upper - v]);
        let blindings = Zeroizing::new([*r, -r]);
        let result = BpRangeProof::prove_multiple_with_rng(
            bulletproof_gens(),
            pedersen_gens(),
            &mut t,
            &values[..],
            &blindings[..],
            statement.bits().bits(),
            rng,
        );
        let (proof, _) = result.map_err(|_| ProofError::Bulletproofs)?;
        Ok((Self { proof }, statement))
    }

    /// [`IntervalProof::prove_with_rng`] with the OS RNG.
    pub fn prove<'a>(
        context: &Context<'a>,
        lower: u64,
        upper: u64,
        opening: &Opening,
    ) -> Result<(Self, IntervalStatement<'a>), ProofError> {
        Self::prove_with_rng(context, lower, upper, opening, &mut OsRng)
    }

    /// Verifies the proof against `statement`.
    pub fn verify_with_rng(
        &self,
        statement: &IntervalStatement<'_>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        if statement.lower > statement.upper {
            return Err(VerificationError::Invalid);
        }
        let mut t = statement.transcript();
        self.proof
            .verify_multiple_with_rng(
                bulletproof_gens(),
                pedersen_gens(),
                &mut t,
                &statement.derived_commitments(),
                statement.bits().bits(),
                rng,
            )
            .map_err(|_| VerificationError::Invalid)
    }

    /// [`IntervalProof::verify_with_rng`] with the thread RNG.
    pub fn verify(&self, statement: &IntervalStatement<'_>) -> Result<(), VerificationError> {
        self.verify_with_rng(statement, &mut rand::thread_rng())
    }

    /// Canonical encoding: header, bulletproofs bytes. The bit size is not encoded: it is
    /// derived from the statement.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.proof.to_bytes();
        let mut w = Writer::new(tag::INTERVAL_PROOF, body.len());
        w.raw(&body);
        w.finish()
    }

    /// Decodes [`IntervalProof::to_bytes`]. The length must be that of a two-value proof of
    /// one of the supported bit sizes; the verifier checks it matches the statement's.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::INTERVAL_PROOF)?;
        let body = r.rest();
        let n = [8, 16, 32, 64]
            .into_iter()
            .find(|&n| bp_proof_len(n, 2) == body.len())
            .ok_or(EncodingError::InvalidLength)?;
        Ok(Self {
            proof: decode_bp(body, n, 2)?,
        })
    }
}

serde_via_bytes!(IntervalProof);

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Context<'static> = Context::new(b"credential-7/challenge-abc");

    #[test]
    fn width_picks_the_smallest_size() {
        assert_eq!(BitSize::for_width(0), BitSize::Bits8);
        assert_eq!(BitSize::for_width(255), BitSize::Bits8);
        assert_eq!(BitSize::for_width(256), BitSize::Bits16);
        assert_eq!(BitSize::for_width(u64::MAX), BitSize::Bits64);
        assert!(BitSize::Bits8.contains(255) && !BitSize::Bits8.contains(256));
    }

    #[test]
    fn single_proof_roundtrip_and_tamper() {
        let opening = Opening::random(200);
        let (proof, commitment) = RangeProof::prove(&CTX, BitSize::Bits8, &opening).unwrap();
        let st = RangeStatement {
            context: CTX,
            bits: BitSize::Bits8,
            commitment,
        };
        proof.verify(&st).unwrap();
        let other = Context::new(b"credential-7/challenge-abd");
        assert!(proof
            .verify(&RangeStatement {
                context: other,
                ..st
            })
            .is_err());
        assert!(proof
            .verify(&RangeStatement {
                bits: BitSize::Bits16,
                ..st
            })
            .is_err());
        let c2 = Opening::random(200).commit();
        assert!(proof
            .verify(&RangeStatement {
                commitment: c2,
                ..st
            })
            .is_err());
    }

    #[test]
    fn out_of_range_value_is_refused() {
        let opening = Opening::random(256);
        assert_eq!(
            RangeProof::prove(&CTX, BitSize::Bits8, &opening).err(),
            Some(ProofError::ValueOutOfRange)
        );
    }

    /// A prover that skips our range check: bulletproofs itself does not refuse, but the
    /// proof must not verify.
    #[test]
    fn out_of_range_value_cannot_verify() {
        let mut rng = rand::thread_rng();
        for (bits, v) in [
            (BitSize::Bits8, 256u64),
            (BitSize::Bits8, u64::MAX),
            (BitSize::Bits32, 1 << 32),
        ] {
            let opening = Opening::random(v);
            let commitment = opening.commit();
            let mut t = single_transcript(&CTX, bits, commitment.compressed());
            let (proof, _) = BpRangeProof::prove_single_with_rng(
                bulletproof_gens(),
                pedersen_gens(),
                &mut t,
                v,
                opening.blinding(),
                bits.bits(),
                &mut rng,
            )
            .unwrap();
            let proof = RangeProof { bits, proof };
            let st = RangeStatement {
                context: CTX,
                bits,
                commitment,
            };
            assert_eq!(proof.verify(&st), Err(VerificationError::Invalid));
        }
    }

    /// A cheating interval prover with `v < a` must claim openings for the derived
    /// commitments that it does not have; the proof does not verify.
    #[test]
    fn interval_with_value_below_lower_bound_cannot_verify() {
        let mut rng = rand::thread_rng();
        let opening = Opening::random(17);
        let st = IntervalStatement {
            context: CTX,
            lower: 18,
            upper: 120,
            commitment: opening.commit(),
        };
        let r = *opening.blinding();
        for values in [[0u64, 102], [u64::MAX, 103], [0, 0]] {
            let mut t = st.transcript();
            let (proof, _) = BpRangeProof::prove_multiple_with_rng(
                bulletproof_gens(),
                pedersen_gens(),
                &mut t,
                &values,
                &[r, -r],
                st.bits().bits(),
                &mut rng,
            )
            .unwrap();
            assert_eq!(
                IntervalProof { proof }.verify(&st),
                Err(VerificationError::Invalid)
            );
        }
    }

    #[test]
    fn interval_edges() {
        for v in [18, 19, 120] {
            let o = Opening::random(v);
            let (p, st) = IntervalProof::prove(&CTX, 18, 120, &o).unwrap();
            p.verify(&st).unwrap();
        }
        let o = Opening::random(17);
        assert_eq!(
            IntervalProof::prove(&CTX, 18, 120, &o).err(),
            Some(ProofError::ValueOutOfRange)
        );
        assert_eq!(
            IntervalProof::prove(&CTX, 5, 4, &o).err(),
            Some(ProofError::EmptyInterval)
        );
    }
}

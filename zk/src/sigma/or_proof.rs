//! Disjunctive proof that an exponential-ElGamal ciphertext `(c1, c2)` under key `Y` encrypts
//! one of the public values `m_0, ..., m_{k-1}` (0/1 is the case `{0, 1}`).
//!
//! Branch `j` claims that `(G, Y, c1, c2 - m_j*G)` is a Diffie-Hellman tuple with witness `r`.
//! The prover simulates every branch but the true one with random `(c_j, s_j)`, takes
//! `A_j = s_j*G - c_j*c1`, `B_j = s_j*Y - c_j*(c2 - m_j*G)`; for the true branch it commits
//! `A = k*G`, `B = k*Y`. With `c = H(transcript, statement, all A_j, B_j)` it sets the true
//! challenge to `c - sum of the others` and answers `s = k + c_true*r`.
//! The verifier checks `sum c_j = c` and, for every j, `s_j*G = A_j + c_j*c1` and
//! `s_j*Y = B_j + c_j*(c2 - m_j*G)`.
//!
//! The prover handles every branch with the same operations and selects the true branch's
//! values with constant-time conditional selection, so its running time does not depend on
//! which value was encrypted.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::MultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::elgamal::{encode_plaintext, Ciphertext, EncryptionRandomness, PublicKey};
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{EncodingError, ProofError, VerificationError};
use crate::sigma::{batch_weight, BatchVerifier};
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// The largest allowed set a one-of-k proof may cover.
pub const MAX_ALLOWED_VALUES: usize = 1024;

/// The allowed set of a 0/1 proof.
pub const BIT_VALUES: &[u64] = &[0, 1];

/// Public statement: `ciphertext` under `public_key` encrypts a value of `allowed`.
#[derive(Clone, Copy, Debug)]
pub struct OneOfStatement<'a> {
    /// Context the proof is bound to (the poll id).
    pub context: Context<'a>,
    /// The encryption key.
    pub public_key: PublicKey,
    /// The ciphertext.
    pub ciphertext: Ciphertext,
    /// The allowed plaintexts: non-empty, distinct, at most [`MAX_ALLOWED_VALUES`].
    pub allowed: &'a [u64],
}

impl<'a> OneOfStatement<'a> {
    /// The statement "`ciphertext` encrypts 0 or 1".
    pub fn bit(context: Context<'a>, public_key: PublicKey, ciphertext: Ciphertext) -> Self {
        Self {
            context,
            public_key,
            ciphertext,
            allowed: BIT_VALUES,
        }
    }
}

pub(crate) fn check_allowed(allowed: &[u64]) -> bool {
    if allowed.is_empty() || allowed.len() > MAX_ALLOWED_VALUES {
        return false;
    }
    let mut sorted = allowed.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).all(|w| w[0] != w[1])
}

fn absorb(t: &mut Transcript, pk: &PublicKey, ct: &Ciphertext, allowed: &[u64]) {
    t.append_point(label::PUBLIC_KEY, pk.as_point());
    t.append_point(label::CIPHERTEXT_C1, ct.c1());
    t.append_point(label::CIPHERTEXT_C2, ct.c2());
    t.append_u64(label::COUNT, allowed.len() as u64);
    for m in allowed {
        t.append_u64(label::ALLOWED, *m);
    }
}

/// One branch `(A_j, B_j, c_j, s_j)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Branch {
    a: RistrettoPoint,
    b: RistrettoPoint,
    c: Scalar,
    s: Scalar,
}

/// A one-of-k proof: one branch per allowed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOfProof {
    branches: Vec<Branch>,
}

impl OneOfProof {
    /// Proves that `statement.ciphertext` encrypts `value` (a member of `statement.allowed`)
    /// with `randomness`. Fails with [`ProofError::WitnessMismatch`] otherwise.
    pub fn prove_with_rng(
        statement: &OneOfStatement<'_>,
        value: u64,
        randomness: &EncryptionRandomness,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, ProofError> {
        let mut t = new_transcript(ds::ONE_OF, &statement.context);
        Self::prove_in(
            &mut t,
            &statement.public_key,
            &statement.ciphertext,
            statement.allowed,
            value,
            randomness,
            rng,
        )
    }

    /// [`OneOfProof::prove_with_rng`] with the OS RNG.
    pub fn prove(
        statement: &OneOfStatement<'_>,
        value: u64,
        randomness: &EncryptionRandomness,
    ) -> Result<Self, ProofError> {
        Self::prove_with_rng(statement, value, randomness, &mut OsRng)
    }

    /// Verifies the proof (the two equations per branch are combined with random weights).
    pub fn verify_with_rng(
        &self,
        statement: &OneOfStatement<'_>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        Self::verify_batch_with_rng(std::slice::from_ref(&(*statement, self.clone())), rng)
    }

    /// [`OneOfProof::verify_with_rng`] with the thread RNG.
    pub fn verify(&self, statement: &OneOfStatement<'_>) -> Result<(), VerificationError> {
        self.verify_with_rng(statement, &mut rand::thread_rng())
    }

    /// Verifies many proofs with one multiscalar multiplication and 128-bit random weights.
    pub fn verify_batch_with_rng(
        items: &[(OneOfStatement<'_>, OneOfProof)],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        let points: usize = items.iter().map(|(_, p)| 2 * p.branches.len() + 3).sum();
        let mut batch = BatchVerifier::with_capacity(points);
        for (statement, proof) in items {
            let mut t = new_transcript(ds::ONE_OF, &statement.context);
            proof.batch_in(
                &mut t,
                &statement.public_key,
                &statement.ciphertext,
                statement.allowed,
                rng,
                &mut batch,
            )?;
        }
        batch.verify()
    }

    /// [`OneOfProof::verify_batch_with_rng`] with the thread RNG.
    pub fn verify_batch(
        items: &[(OneOfStatement<'_>, OneOfProof)],
    ) -> Result<(), VerificationError> {
        Self::verify_batch_with_rng(items, &mut rand::thread_rng())
    }

    pub(crate) fn prove_in(
        t: &mut Transcript,
        pk: &PublicKey,
        ct: &Ciphertext,
        allowed: &[u64],
        value: u64,
        randomness: &EncryptionRandomness,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, ProofError> {
        if !check_allowed(allowed) {
            return Err(ProofError::InvalidAllowedSet);
        }
        let r = &randomness.0;
        if *ct != pk.encrypt_with_randomness(value, randomness) {
            return Err(ProofError::WitnessMismatch);
        }
        let mut found = Choice::from(0);
        for m in allowed {
            found |= m.ct_eq(&value);
        }
        if !bool::from(found) {
            return Err(ProofError::WitnessMismatch);
        }

        absorb(t, pk, ct, allowed);
        let mut trng = t
            .build_rng()
            .rekey_with_witness_bytes(b"r", r.as_bytes())
            .rekey_with_witness_bytes(b"m", &value.to_le_bytes())
            .finalize(rng);
        let k = Scalar::random(&mut trng);
        let mut branches = Vec::with_capacity(allowed.len());
        let mut is_real = Vec::with_capacity(allowed.len());
        for m in allowed {
            let real = m.ct_eq(&value);
            let c_j = Scalar::random(&mut trng);
            let s_j = Scalar::random(&mut trng);
            // Real branch: (k, 0); simulated branch: (s_j, -c_j).
            let x = Scalar::conditional_select(&s_j, &k, real);
            let y = Scalar::conditional_select(&-c_j, &Scalar::ZERO, real);
            let shifted = ct.c2() - encode_plaintext(*m);
            let a = RistrettoPoint::multiscalar_mul([x, y], [G, *ct.c1()]);
            let b = RistrettoPoint::multiscalar_mul([x, y], [*pk.as_point(), shifted]);
            branches.push(Branch {
                a,
                b,
                c: c_j,
                s: s_j,
            });
            is_real.push(real);
        }
        for br in &branches {
            t.append_point(label::POINT_A, &br.a);
            t.append_point(label::POINT_B, &br.b);
        }
        let c = t.challenge_scalar(label::CHALLENGE);
        let mut simulated_sum = Scalar::ZERO;
        for (br, real) in branches.iter().zip(&is_real) {
            simulated_sum += Scalar::conditional_select(&br.c, &Scalar::ZERO, *real);
        }
        let c_real = c - simulated_sum;
        let s_real = k + c_real * r;
        for (br, real) in branches.iter_mut().zip(&is_real) {
            br.c = Scalar::conditional_select(&br.c, &c_real, *real);
            br.s = Scalar::conditional_select(&br.s, &s_real, *real);
        }
        Ok(Self { branches })
    }

    /// Checks the challenge sum and adds the weighted branch equations to `batch`.
    pub(crate) fn batch_in(
        &self,
        t: &mut Transcript,
        pk: &PublicKey,
        ct: &Ciphertext,
        allowed: &[u64],
        rng: &mut (impl RngCore + CryptoRng),
        batch: &mut BatchVerifier,
    ) -> Result<(), VerificationError> {
        if self.branches.len() != allowed.len() || !check_allowed(allowed) {
            return Err(VerificationError::Invalid);
        }
        absorb(t, pk, ct, allowed);
        for br in &self.branches {
            t.append_point(label::POINT_A, &br.a);
            t.append_point(label::POINT_B, &br.b);
        }
        let c = t.challenge_scalar(label::CHALLENGE);
        let sum: Scalar = self.branches.iter().map(|br| br.c).sum();
        if sum != c {
            return Err(VerificationError::Invalid);
        }
        // s_j*G - A_j - c_j*c1 = 0 and s_j*Y - B_j - c_j*c2 + c_j*m_j*G = 0, weighted; the
        // coefficients of c1, c2 and Y are merged across branches.
        let (mut coef_c1, mut coef_c2, mut coef_y) = (Scalar::ZERO, Scalar::ZERO, Scalar::ZERO);
        for (br, m) in self.branches.iter().zip(allowed) {
            let w1 = batch_weight(rng);
            let w2 = batch_weight(rng);
            batch.add_base(w1 * br.s + w2 * br.c * Scalar::from(*m));
            batch.add(-w1, br.a);
            batch.add(-w2, br.b);
            coef_c1 -= w1 * br.c;
            coef_c2 -= w2 * br.c;
            coef_y += w2 * br.s;
        }
        batch.add(coef_c1, *ct.c1());
        batch.add(coef_c2, *ct.c2());
        batch.add(coef_y, *pk.as_point());
        Ok(())
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u32(self.branches.len() as u32);
        for br in &self.branches {
            w.point(&br.a).point(&br.b).scalar(&br.c).scalar(&br.s);
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, EncodingError> {
        let k = r.u32()? as usize;
        if k == 0 || k > MAX_ALLOWED_VALUES {
            return Err(EncodingError::InvalidLength);
        }
        let mut branches = Vec::with_capacity(k);
        for _ in 0..k {
            branches.push(Branch {
                a: r.point()?,
                b: r.point()?,
                c: r.scalar()?,
                s: r.scalar()?,
            });
        }
        Ok(Self { branches })
    }

    /// Canonical encoding: header, branch count (u32), then `A_j, B_j, c_j, s_j` per branch.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::ONE_OF_PROOF, 4 + 128 * self.branches.len());
        self.write(&mut w);
        w.finish()
    }

    /// Decodes [`OneOfProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::ONE_OF_PROOF)?;
        let p = Self::read(&mut r)?;
        r.finish()?;
        Ok(p)
    }
}

serde_via_bytes!(OneOfProof);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::SecretKey;

    #[test]
    fn bits_and_sets() {
        let ctx = Context::new(b"poll-9");
        let pk = SecretKey::random().public_key();
        for bit in [0u64, 1] {
            let (ct, r) = pk.encrypt(bit);
            let st = OneOfStatement::bit(ctx, pk, ct);
            let proof = OneOfProof::prove(&st, bit, &r).unwrap();
            proof.verify(&st).unwrap();
            // The same proof does not verify for the ciphertext plus an encryption of 1.
            let bumped = OneOfStatement {
                ciphertext: ct + pk.encrypt(1).0,
                ..st
            };
            assert!(proof.verify(&bumped).is_err());
        }
        let (ct, r) = pk.encrypt(2);
        let st = OneOfStatement::bit(ctx, pk, ct);
        assert_eq!(
            OneOfProof::prove(&st, 2, &r).err(),
            Some(ProofError::WitnessMismatch)
        );
        // A lie about the plaintext is refused, too.
        assert_eq!(
            OneOfProof::prove(&st, 1, &r).err(),
            Some(ProofError::WitnessMismatch)
        );

        let allowed = [0u64, 5, 10, 20];
        let st = OneOfStatement {
            allowed: &allowed,
            ..OneOfStatement::bit(ctx, pk, pk.encrypt(10).0)
        };
        let (ct, r) = pk.encrypt(10);
        let st = OneOfStatement {
            ciphertext: ct,
            ..st
        };
        let proof = OneOfProof::prove(&st, 10, &r).unwrap();
        proof.verify(&st).unwrap();
        assert!(proof
            .verify(&OneOfStatement {
                allowed: &[0, 5, 10, 21],
                ..st
            })
            .is_err());
        assert_eq!(
            OneOfProof::prove(
                &OneOfStatement {
                    allowed: &[1, 1],
                    ..st
                },
                10,
                &r
            )
            .err(),
            Some(ProofError::InvalidAllowedSet)
        );
    }
}

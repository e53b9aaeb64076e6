//! Proof that a vector of ciphertexts `ct_1..ct_n` under key `Y` sums to an allowed total.
//!
//! The sum `(C1, C2) = (sum c1_i, sum c2_i)` encrypts `sum m_i` with randomness `R = sum r_i`.
//! - Exact total `T`: a DLEQ proof that `log_G(C1) = log_Y(C2 - T*G)` (witness `R`), i.e. the
//!   sum minus `T` is an encryption of zero.
//! - Total in a set: a one-of-k proof ([`crate::sigma::or_proof`]) on the sum.
//!
//! Either way the transcript absorbs every ciphertext of the vector, not only the sum, so the
//! proof is bound to the exact ballot.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::elgamal::{encode_plaintext, Ciphertext, EncryptionRandomness, PublicKey};
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{EncodingError, ProofError, VerificationError};
use crate::sigma::dleq::{DleqProof, DleqStatement};
use crate::sigma::or_proof::OneOfProof;
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// The largest vector a sum proof may cover.
pub const MAX_CIPHERTEXTS: usize = 1 << 16;

/// What the total must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowedTotal<'a> {
    /// Exactly this value.
    Exactly(u64),
    /// One of these values (non-empty, distinct).
    OneOf(&'a [u64]),
}

/// Public statement: `ciphertexts` under `public_key` sum to an allowed total.
#[derive(Clone, Copy, Debug)]
pub struct SumStatement<'a> {
    /// Context the proof is bound to (the poll id).
    pub context: Context<'a>,
    /// The encryption key.
    pub public_key: PublicKey,
    /// The ciphertext vector (one per choice).
    pub ciphertexts: &'a [Ciphertext],
    /// The allowed total.
    pub total: AllowedTotal<'a>,
}

impl SumStatement<'_> {
    fn transcript(&self) -> Result<Transcript, ()> {
        if self.ciphertexts.is_empty() || self.ciphertexts.len() > MAX_CIPHERTEXTS {
            return Err(());
        }
        let domain = match self.total {
            AllowedTotal::Exactly(_) => ds::SUM_EQUALS,
            AllowedTotal::OneOf(_) => ds::SUM_IN_SET,
        };
        let mut t = new_transcript(domain, &self.context);
        t.append_u64(label::COUNT, self.ciphertexts.len() as u64);
        for ct in self.ciphertexts {
            t.append_point(label::CIPHERTEXT_C1, ct.c1());
            t.append_point(label::CIPHERTEXT_C2, ct.c2());
        }
        if let AllowedTotal::Exactly(total) = self.total {
            t.append_u64(label::VALUE, total);
        }
        Ok(t)
    }

    fn dleq_statement(&self, sum: &Ciphertext, total: u64) -> DleqStatement {
        DleqStatement {
            g: G,
            h: *self.public_key.as_point(),
            a: *sum.c1(),
            b: sum.c2() - encode_plaintext(total),
        }
    }
}

/// A proof that a ciphertext vector sums to an allowed total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SumProof {
    /// For [`AllowedTotal::Exactly`] (boxed: a DLEQ proof holds two uncompressed points).
    Exactly(Box<DleqProof>),
    /// For [`AllowedTotal::OneOf`].
    OneOf(OneOfProof),
}

impl SumProof {
    /// Proves the statement. `values` and `randomness` are the plaintexts and encryption
    /// randomness of `statement.ciphertexts`, in order.
    pub fn prove_with_rng(
        statement: &SumStatement<'_>,
        values: &[u64],
        randomness: &[EncryptionRandomness],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, ProofError> {
        let n = statement.ciphertexts.len();
        if values.len() != n || randomness.len() != n {
            return Err(ProofError::WitnessMismatch);
        }
        let mut t = statement.transcript().map_err(|_| ProofError::EmptyInput)?;
        let total = values
            .iter()
            .try_fold(0u64, |acc, v| acc.checked_add(*v))
            .ok_or(ProofError::WitnessMismatch)?;
        let sum: Ciphertext = statement.ciphertexts.iter().sum();
        let r = EncryptionRandomness::sum(randomness);
        match statement.total {
            AllowedTotal::Exactly(expected) => {
                if total != expected {
                    return Err(ProofError::WitnessMismatch);
                }
                let st = statement.dleq_statement(&sum, expected);
                DleqProof::prove_in(&mut t, &st, &r.0, rng).map(|p| SumProof::Exactly(Box::new(p)))
            }
            AllowedTotal::OneOf(allowed) => {
                OneOfProof::prove_in(&mut t, &statement.public_key, &sum, allowed, total, &r, rng)
                    .map(SumProof::OneOf)
            }
        }
    }

    /// [`SumProof::prove_with_rng`] with the OS RNG.
    pub fn prove(
        statement: &SumStatement<'_>,
        values: &[u64],
        randomness: &[EncryptionRandomness],
    ) -> Result<Self, ProofError> {
        Self::prove_with_rng(statement, values, randomness, &mut OsRng)
    }

    /// Verifies the proof against `statement`.
    pub fn verify_with_rng(
        &self,
        statement: &SumStatement<'_>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        let mut t = statement
            .transcript()
            .map_err(|_| VerificationError::Invalid)?;
        let sum: Ciphertext = statement.ciphertexts.iter().sum();
        match (self, statement.total) {
            (SumProof::Exactly(p), AllowedTotal::Exactly(total)) => {
                p.verify_in(&mut t, &statement.dleq_statement(&sum, total))
            }
            (SumProof::OneOf(p), AllowedTotal::OneOf(allowed)) => {
                let mut batch = crate::sigma::BatchVerifier::with_capacity(2 * allowed.len() + 3);
                p.batch_in(
                    &mut t,
                    &statement.public_key,
                    &sum,
                    allowed,
                    rng,
                    &mut batch,
                )?;
                batch.verify()
            }
            _ => Err(VerificationError::Invalid),
        }
    }

    /// [`SumProof::verify_with_rng`] with the thread RNG.
    pub fn verify(&self, statement: &SumStatement<'_>) -> Result<(), VerificationError> {
        self.verify_with_rng(statement, &mut rand::thread_rng())
    }

    /// Canonical encoding: header, kind byte (0 exact, 1 set), inner proof body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::SUM_PROOF, 100);
        match self {
            SumProof::Exactly(p) => {
                w.u8(0);
                p.write(&mut w);
            }
            SumProof::OneOf(p) => {
                w.u8(1);
                p.write(&mut w);
            }
        }
        w.finish()
    }

    /// Decodes [`SumProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::SUM_PROOF)?;
        let p = match r.u8()? {
            0 => SumProof::Exactly(Box::new(DleqProof::read(&mut r)?)),
            1 => SumProof::OneOf(OneOfProof::read(&mut r)?),
            _ => return Err(EncodingError::InvalidParameter),
        };
        r.finish()?;
        Ok(p)
    }
}

serde_via_bytes!(SumProof);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::SecretKey;

    #[test]
    fn exact_and_set_totals() {
        let ctx = Context::new(b"poll-3");
        let pk = SecretKey::random().public_key();
        let values = [1u64, 0, 1, 0];
        let (cts, rs): (Vec<_>, Vec<_>) = values.iter().map(|&v| pk.encrypt(v)).unzip();
        let st = SumStatement {
            context: ctx,
            public_key: pk,
            ciphertexts: &cts,
            total: AllowedTotal::Exactly(2),
        };
        let proof = SumProof::prove(&st, &values, &rs).unwrap();
        proof.verify(&st).unwrap();
        assert!(proof
            .verify(&SumStatement {
                total: AllowedTotal::Exactly(1),
                ..st
            })
            .is_err());
        assert!(proof
            .verify(&SumStatement {
                ciphertexts: &cts[..3],
                ..st
            })
            .is_err());
        assert_eq!(
            SumProof::prove(
                &SumStatement {
                    total: AllowedTotal::Exactly(3),
                    ..st
                },
                &values,
                &rs
            )
            .err(),
            Some(ProofError::WitnessMismatch)
        );

        let allowed = [0u64, 1, 2];
        let st = SumStatement {
            total: AllowedTotal::OneOf(&allowed),
            ..st
        };
        let proof = SumProof::prove(&st, &values, &rs).unwrap();
        proof.verify(&st).unwrap();
        assert!(proof
            .verify(&SumStatement {
                total: AllowedTotal::OneOf(&[0, 1, 3]),
                ..st
            })
            .is_err());
        assert_eq!(SumProof::from_bytes(&proof.to_bytes()).unwrap(), proof);
    }
}

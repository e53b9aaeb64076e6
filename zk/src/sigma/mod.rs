//! Sigma protocols on ristretto255, made non-interactive with merlin transcripts.
//!
//! - [`schnorr`]: knowledge of `x` with `X = x*G`.
//! - [`dleq`]: Chaum-Pedersen, `log_g(a) = log_h(b)`.
//! - [`or_proof`]: an ElGamal ciphertext encrypts one of k public values (0/1 as the k = 2
//!   case), Cramer-Damgård-Schoenmakers OR composition, prover constant-time in the secret
//!   branch.
//! - [`sum`]: a vector of ciphertexts sums to a public value, or to one of a public set.
//!
//! Every proof carries its first-move commitments (not only the challenge), so many proofs
//! can be checked with one multiscalar multiplication: each verification equation
//! `sum_k a_k * P_k = 0` is scaled by an independent 128-bit random weight and all are added.
//! A batch containing an invalid proof passes with probability at most about 2^-128.

pub mod dleq;
pub mod or_proof;
pub mod schnorr;
pub mod sum;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};

use crate::errors::VerificationError;

/// A random 128-bit weight for one equation of a batch.
pub(crate) fn batch_weight(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    Scalar::from(u128::from_le_bytes(bytes))
}

/// Accumulates weighted verification equations `sum_k a_k * P_k = 0` into one multiscalar
/// multiplication. Coefficients of the basepoint are merged into one term.
#[derive(Debug, Default)]
pub(crate) struct BatchVerifier {
    base: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl BatchVerifier {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            base: Scalar::ZERO,
            scalars: Vec::with_capacity(n),
            points: Vec::with_capacity(n),
        }
    }

    /// Adds `a * G` for the basepoint `G`.
    pub fn add_base(&mut self, a: Scalar) {
        self.base += a;
    }

    /// Adds `a * P`; merges into the basepoint term when `P` is the basepoint.
    pub fn add(&mut self, a: Scalar, p: RistrettoPoint) {
        if p == RISTRETTO_BASEPOINT_POINT {
            self.base += a;
        } else {
            self.scalars.push(a);
            self.points.push(p);
        }
    }

    /// Checks that the accumulated combination is the identity.
    pub fn verify(self) -> Result<(), VerificationError> {
        let total = RistrettoPoint::vartime_multiscalar_mul(
            self.scalars.iter().chain(std::iter::once(&self.base)),
            self.points
                .iter()
                .chain(std::iter::once(&RISTRETTO_BASEPOINT_POINT)),
        );
        if total.is_identity() {
            Ok(())
        } else {
            Err(VerificationError::Invalid)
        }
    }
}

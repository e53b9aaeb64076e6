//! Pedersen commitments `C = v * B + r * B_blinding` with the Bulletproofs generators.
//!
//! `B` is the ristretto255 basepoint and `B_blinding` is a hash-derived point with unknown
//! discrete logarithm (bulletproofs' `PedersenGens::default()`), so commitments are perfectly
//! hiding and computationally binding. These are the commitments an issuer signs and the range
//! proofs in [`crate::range`] talk about.

use std::fmt;
use std::sync::OnceLock;

use bulletproofs::{BulletproofGens, PedersenGens};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::EncodingError;

/// The largest number of values one aggregated range proof may cover.
pub const MAX_AGGREGATION: usize = 64;

/// The Pedersen generators used by every commitment of this crate.
pub fn pedersen_gens() -> &'static PedersenGens {
    static GENS: OnceLock<PedersenGens> = OnceLock::new();
    GENS.get_or_init(PedersenGens::default)
}

/// Bulletproofs generators for 64-bit proofs aggregating up to [`MAX_AGGREGATION`] values,
/// built once on first use.
pub(crate) fn bulletproof_gens() -> &'static BulletproofGens {
    static GENS: OnceLock<BulletproofGens> = OnceLock::new();
    GENS.get_or_init(|| BulletproofGens::new(64, MAX_AGGREGATION))
}

/// A Pedersen commitment to a `u64` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment {
    point: RistrettoPoint,
    compressed: CompressedRistretto,
}

impl Commitment {
    /// Wraps a point as a commitment.
    pub fn from_point(point: RistrettoPoint) -> Self {
        Self {
            point,
            compressed: point.compress(),
        }
    }

    /// The committed point.
    pub fn as_point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The compressed form, as absorbed into transcripts.
    pub fn compressed(&self) -> &CompressedRistretto {
        &self.compressed
    }

    /// Canonical encoding: header, then the compressed point.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::COMMITMENT, 32);
        w.compressed(&self.compressed);
        w.finish()
    }

    /// Decodes [`Commitment::to_bytes`]; rejects non-canonical point encodings.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::COMMITMENT)?;
        let point = r.point()?;
        r.finish()?;
        Ok(Self::from_point(point))
    }
}

serde_via_bytes!(Commitment);

/// The secret opening `(v, r)` of a commitment. Zeroized on drop; `Debug` prints nothing
/// secret.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Opening {
    value: u64,
    blinding: Scalar,
}

impl fmt::Debug for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Opening(..)")
    }
}

impl Opening {
    /// An opening with a caller-chosen blinding factor.
    pub fn new(value: u64, blinding: Scalar) -> Self {
        Self { value, blinding }
    }

    /// An opening of `value` with a fresh uniformly random blinding factor.
    pub fn random_with_rng(value: u64, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self {
            value,
            blinding: Scalar::random(rng),
        }
    }

    /// [`Opening::random_with_rng`] with the OS RNG.
    pub fn random(value: u64) -> Self {
        Self::random_with_rng(value, &mut OsRng)
    }

    /// The committed value.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The blinding factor.
    pub fn blinding(&self) -> &Scalar {
        &self.blinding
    }

    /// Canonical encoding for the holder's wallet: header, value (u64 big-endian), blinding.
    /// Zeroized when dropped; no serde, so it cannot reach a log by accident.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new(tag::OPENING, 40);
        w.u32((self.value >> 32) as u32)
            .u32(self.value as u32)
            .scalar(&self.blinding);
        Zeroizing::new(w.finish())
    }

    /// Decodes [`Opening::to_secret_bytes`]; rejects a non-canonical blinding.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::OPENING)?;
        let value = (u64::from(r.u32()?) << 32) | u64::from(r.u32()?);
        let blinding = r.scalar()?;
        r.finish()?;
        Ok(Self { value, blinding })
    }

    /// The commitment this opens.
    pub fn commit(&self) -> Commitment {
        Commitment::from_point(pedersen_gens().commit(Scalar::from(self.value), self.blinding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitments_are_additively_homomorphic() {
        let a = Opening::random(20);
        let b = Opening::random(22);
        let sum = Opening::new(42, a.blinding() + b.blinding()).commit();
        assert_eq!(
            a.commit().as_point() + b.commit().as_point(),
            *sum.as_point()
        );
    }

    #[test]
    fn opening_bytes_roundtrip() {
        for v in [0, 1, u64::from(u32::MAX) + 7, u64::MAX] {
            let o = Opening::random(v);
            let back = Opening::from_secret_bytes(&o.to_secret_bytes()).unwrap();
            assert_eq!(back.value(), v);
            assert_eq!(back.commit(), o.commit());
        }
    }

    #[test]
    fn opening_debug_hides_secrets() {
        assert_eq!(format!("{:?}", Opening::random(7)), "Opening(..)");
    }
}

//! Exponential ElGamal on ristretto255.
//!
//! With `G` the basepoint and key pair `(x, Y = x*G)`, a plaintext `m` encrypts as
//! `(c1, c2) = (r*G, m*G + r*Y)`. Ciphertexts add component-wise and the plaintexts add with
//! them, which is what a homomorphic tally needs. Decryption yields `m*G`; recovering `m`
//! needs a bounded discrete log ([`crate::dlog::DlogTable`]), so plaintexts must be small.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::dlog::DlogTable;
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{DlogError, EncodingError};

/// `m * G` for a small plaintext.
pub(crate) fn encode_plaintext(m: u64) -> RistrettoPoint {
    RistrettoPoint::mul_base(&Scalar::from(m))
}

/// An ElGamal public key `Y = x*G`; never the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub(crate) RistrettoPoint);

impl PublicKey {
    /// The key as a point.
    pub fn as_point(&self) -> &RistrettoPoint {
        &self.0
    }

    /// Encrypts `m` with fresh randomness; returns the ciphertext and the randomness (needed
    /// by the proofs in [`crate::sigma`]).
    pub fn encrypt_with_rng(
        &self,
        m: u64,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> (Ciphertext, EncryptionRandomness) {
        let r = EncryptionRandomness(Scalar::random(rng));
        (self.encrypt_with_randomness(m, &r), r)
    }

    /// [`PublicKey::encrypt_with_rng`] with the OS RNG.
    pub fn encrypt(&self, m: u64) -> (Ciphertext, EncryptionRandomness) {
        self.encrypt_with_rng(m, &mut OsRng)
    }

    /// Deterministic encryption with caller-supplied randomness.
    pub fn encrypt_with_randomness(&self, m: u64, r: &EncryptionRandomness) -> Ciphertext {
        Ciphertext {
            c1: RistrettoPoint::mul_base(&r.0),
            c2: encode_plaintext(m) + r.0 * self.0,
        }
    }

    /// Canonical encoding: header, compressed point.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::PUBLIC_KEY, 32);
        w.point(&self.0);
        w.finish()
    }

    /// Decodes [`PublicKey::to_bytes`]; rejects invalid encodings and the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::PUBLIC_KEY)?;
        let p = r.nonidentity_point()?;
        r.finish()?;
        Ok(Self(p))
    }
}

serde_via_bytes!(PublicKey);

/// An ElGamal secret key. Zeroized on drop; `Debug` prints nothing secret.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(pub(crate) Scalar);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// A uniformly random non-zero key.
    pub fn random_with_rng(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        loop {
            let x = Scalar::random(rng);
            if x != Scalar::ZERO {
                return Self(x);
            }
        }
    }

    /// [`SecretKey::random_with_rng`] with the OS RNG.
    pub fn random() -> Self {
        Self::random_with_rng(&mut OsRng)
    }

    /// Canonical encoding for the holder's own storage: header, scalar. Zeroized when
    /// dropped; no serde, so it cannot reach a log by accident.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new(tag::SECRET_KEY, 32);
        w.scalar(&self.0);
        Zeroizing::new(w.finish())
    }

    /// Decodes [`SecretKey::to_secret_bytes`]; rejects non-canonical and zero scalars.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::SECRET_KEY)?;
        let x = r.scalar()?;
        r.finish()?;
        if x == Scalar::ZERO {
            return Err(EncodingError::InvalidParameter);
        }
        Ok(Self(x))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(RistrettoPoint::mul_base(&self.0))
    }

    /// Decrypts to the point `m*G`.
    pub fn decrypt_to_point(&self, ct: &Ciphertext) -> RistrettoPoint {
        ct.c2 - self.0 * ct.c1
    }

    /// Decrypts and solves the discrete log with `table`.
    pub fn decrypt(&self, ct: &Ciphertext, table: &DlogTable) -> Result<u64, DlogError> {
        table.solve(&self.decrypt_to_point(ct))
    }
}

/// The randomness `r` of one encryption. Zeroized on drop; `Debug` prints nothing secret.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EncryptionRandomness(pub(crate) Scalar);

impl fmt::Debug for EncryptionRandomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionRandomness(..)")
    }
}

impl EncryptionRandomness {
    /// The randomness of a sum of ciphertexts is the sum of their randomness.
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a EncryptionRandomness>) -> Self {
        Self(items.into_iter().map(|r| r.0).sum())
    }
}

/// An exponential-ElGamal ciphertext `(r*G, m*G + r*Y)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    pub(crate) c1: RistrettoPoint,
    pub(crate) c2: RistrettoPoint,
}

impl Ciphertext {
    /// A ciphertext from its two components.
    pub fn from_points(c1: RistrettoPoint, c2: RistrettoPoint) -> Self {
        Self { c1, c2 }
    }

    /// The encryption of 0 with randomness 0; the neutral element of `+`.
    pub fn zero() -> Self {
        Self {
            c1: RistrettoPoint::identity(),
            c2: RistrettoPoint::identity(),
        }
    }

    /// The first component `r*G`.
    pub fn c1(&self) -> &RistrettoPoint {
        &self.c1
    }

    /// The second component `m*G + r*Y`.
    pub fn c2(&self) -> &RistrettoPoint {
        &self.c2
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.point(&self.c1).point(&self.c2);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, EncodingError> {
        Ok(Self {
            c1: r.point()?,
            c2: r.point()?,
        })
    }

    /// Canonical encoding: header, `c1`, `c2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::CIPHERTEXT, 64);
        self.write(&mut w);
        w.finish()
    }

    /// Decodes [`Ciphertext::to_bytes`]; rejects non-canonical points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::CIPHERTEXT)?;
        let ct = Self::read(&mut r)?;
        r.finish()?;
        Ok(ct)
    }
}

serde_via_bytes!(Ciphertext);

impl Add for Ciphertext {
    type Output = Ciphertext;
    fn add(self, rhs: Ciphertext) -> Ciphertext {
        Ciphertext {
            c1: self.c1 + rhs.c1,
            c2: self.c2 + rhs.c2,
        }
    }
}

impl AddAssign for Ciphertext {
    fn add_assign(&mut self, rhs: Ciphertext) {
        self.c1 += rhs.c1;
        self.c2 += rhs.c2;
    }
}

impl Sum for Ciphertext {
    fn sum<I: Iterator<Item = Ciphertext>>(iter: I) -> Ciphertext {
        iter.fold(Ciphertext::zero(), Add::add)
    }
}

impl<'a> Sum<&'a Ciphertext> for Ciphertext {
    fn sum<I: Iterator<Item = &'a Ciphertext>>(iter: I) -> Ciphertext {
        iter.copied().sum()
    }
}

/// Adds ciphertext vectors element-wise (a tally of per-choice ballots). Returns `None` if
/// the vectors have different lengths.
pub fn add_vectors(a: &[Ciphertext], b: &[Ciphertext]) -> Option<Vec<Ciphertext>> {
    (a.len() == b.len()).then(|| a.iter().zip(b).map(|(x, y)| *x + *y).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homomorphic_sum_decrypts() {
        let sk = SecretKey::random();
        let pk = sk.public_key();
        let table = DlogTable::new(1000).unwrap();
        let cts: Vec<_> = [3u64, 0, 1, 996].iter().map(|&m| pk.encrypt(m).0).collect();
        let sum: Ciphertext = cts.iter().sum();
        assert_eq!(sk.decrypt(&sum, &table), Ok(1000));
        assert_eq!(
            sk.decrypt(&(sum + pk.encrypt(1).0), &table),
            Err(DlogError::OutOfRange { bound: 1000 })
        );
        assert_eq!(format!("{sk:?}"), "SecretKey(..)");
        let back = SecretKey::from_secret_bytes(&sk.to_secret_bytes()).unwrap();
        assert_eq!(back.public_key(), pk);
        let mut zero = sk.to_secret_bytes().to_vec();
        zero[2..].fill(0);
        assert_eq!(
            SecretKey::from_secret_bytes(&zero).err(),
            Some(EncodingError::InvalidParameter)
        );
    }

    #[test]
    fn vectors_add_elementwise() {
        let pk = SecretKey::random().public_key();
        let a = vec![pk.encrypt(1).0, pk.encrypt(2).0];
        assert!(add_vectors(&a, &a[..1]).is_none());
        let s = add_vectors(&a, &a).unwrap();
        assert_eq!(s[1], a[1] + a[1]);
    }
}

//! Schnorr proof of knowledge of `x` with `X = x*G`.
//!
//! Prover: `R = k*G`, `c = H(transcript, X, R)`, `s = k + c*x`. Verifier: `s*G = R + c*X`.
//! The nonce `k` is derived from the transcript, the witness and fresh randomness (merlin's
//! transcript RNG), so a weak RNG alone does not leak `x`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::elgamal::{PublicKey, SecretKey};
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{EncodingError, VerificationError};
use crate::sigma::{batch_weight, BatchVerifier};
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// A Schnorr proof `(R, s)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrProof {
    r: RistrettoPoint,
    s: Scalar,
}

impl SchnorrProof {
    /// Proves knowledge of `secret` under `context`.
    pub fn prove_with_rng(
        context: &Context<'_>,
        secret: &SecretKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        let mut t = new_transcript(ds::SCHNORR, context);
        Self::prove_in(&mut t, secret, &secret.public_key(), rng)
    }

    /// [`SchnorrProof::prove_with_rng`] with the OS RNG.
    pub fn prove(context: &Context<'_>, secret: &SecretKey) -> Self {
        Self::prove_with_rng(context, secret, &mut OsRng)
    }

    /// Verifies knowledge of the secret key of `public` under `context`.
    pub fn verify(
        &self,
        context: &Context<'_>,
        public: &PublicKey,
    ) -> Result<(), VerificationError> {
        let mut t = new_transcript(ds::SCHNORR, context);
        self.verify_in(&mut t, public)
    }

    /// Verifies many proofs with one multiscalar multiplication and 128-bit random weights.
    pub fn verify_batch_with_rng(
        items: &[(Context<'_>, PublicKey, SchnorrProof)],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        let mut batch = BatchVerifier::with_capacity(2 * items.len());
        for (context, public, proof) in items {
            let mut t = new_transcript(ds::SCHNORR, context);
            proof.batch_in(&mut t, public, batch_weight(rng), &mut batch);
        }
        batch.verify()
    }

    /// [`SchnorrProof::verify_batch_with_rng`] with the thread RNG.
    pub fn verify_batch(
        items: &[(Context<'_>, PublicKey, SchnorrProof)],
    ) -> Result<(), VerificationError> {
        Self::verify_batch_with_rng(items, &mut rand::thread_rng())
    }

    /// Proves on a transcript the caller has already bound to its statement.
    pub(crate) fn prove_in(
        t: &mut Transcript,
        secret: &SecretKey,
        public: &PublicKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        t.append_point(label::PUBLIC_KEY, public.as_point());
        let mut trng = t
            .build_rng()
            .rekey_with_witness_bytes(b"x", secret.0.as_bytes())
            .finalize(rng);
        let k = Scalar::random(&mut trng);
        let r = RistrettoPoint::mul_base(&k);
        t.append_point(label::NONCE_R, &r);
        let c = t.challenge_scalar(label::CHALLENGE);
        Self {
            r,
            s: k + c * secret.0,
        }
    }

    fn challenge_in(&self, t: &mut Transcript, public: &PublicKey) -> Scalar {
        t.append_point(label::PUBLIC_KEY, public.as_point());
        t.append_point(label::NONCE_R, &self.r);
        t.challenge_scalar(label::CHALLENGE)
    }

    /// Verifies on a transcript the caller has already bound to its statement.
    pub(crate) fn verify_in(
        &self,
        t: &mut Transcript,
        public: &PublicKey,
    ) -> Result<(), VerificationError> {
        let c = self.challenge_in(t, public);
        if RistrettoPoint::vartime_double_scalar_mul_basepoint(&c, public.as_point(), &-self.s)
            == -self.r
        {
            Ok(())
        } else {
            Err(VerificationError::Invalid)
        }
    }

    /// Adds this proof's equation `s*G - R - c*X = 0`, scaled by `w`, to a batch.
    pub(crate) fn batch_in(
        &self,
        t: &mut Transcript,
        public: &PublicKey,
        w: Scalar,
        batch: &mut BatchVerifier,
    ) {
        let c = self.challenge_in(t, public);
        batch.add_base(w * self.s);
        batch.add(-w, self.r);
        batch.add(-(w * c), *public.as_point());
    }

    /// Canonical encoding: header, `R`, `s`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::SCHNORR_PROOF, 64);
        self.write(&mut w);
        w.finish()
    }

    /// Decodes [`SchnorrProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::SCHNORR_PROOF)?;
        let p = Self::read(&mut r)?;
        r.finish()?;
        Ok(p)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.point(&self.r).scalar(&self.s);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, EncodingError> {
        Ok(Self {
            r: r.point()?,
            s: r.scalar()?,
        })
    }
}

serde_via_bytes!(SchnorrProof);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_and_binding() {
        let ctx = Context::new(b"ctx");
        let sk = SecretKey::random();
        let pk = sk.public_key();
        let proof = SchnorrProof::prove(&ctx, &sk);
        proof.verify(&ctx, &pk).unwrap();
        assert!(proof.verify(&Context::new(b"ctx2"), &pk).is_err());
        assert!(proof
            .verify(&ctx, &SecretKey::random().public_key())
            .is_err());
        let decoded = SchnorrProof::from_bytes(&proof.to_bytes()).unwrap();
        assert_eq!(decoded, proof);

        let mut items: Vec<_> = (0..5)
            .map(|_| {
                let sk = SecretKey::random();
                (ctx, sk.public_key(), SchnorrProof::prove(&ctx, &sk))
            })
            .collect();
        SchnorrProof::verify_batch(&items).unwrap();
        items[3].1 = pk;
        assert!(SchnorrProof::verify_batch(&items).is_err());
    }
}

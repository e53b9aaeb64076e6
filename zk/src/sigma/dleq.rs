//! Chaum-Pedersen proof that `log_g(a) = log_h(b)`.
//!
//! Prover with `x` (`a = x*g`, `b = x*h`): `R1 = k*g`, `R2 = k*h`,
//! `c = H(transcript, g, h, a, b, R1, R2)`, `s = k + c*x`.
//! Verifier: `s*g = R1 + c*a` and `s*h = R2 + c*b`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::elgamal::SecretKey;
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{EncodingError, ProofError, VerificationError};
use crate::sigma::{batch_weight, BatchVerifier};
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// The public statement `a = x*g`, `b = x*h` for one unknown `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqStatement {
    /// First base.
    pub g: RistrettoPoint,
    /// Second base.
    pub h: RistrettoPoint,
    /// `x*g`.
    pub a: RistrettoPoint,
    /// `x*h`.
    pub b: RistrettoPoint,
}

impl DleqStatement {
    fn absorb(&self, t: &mut Transcript) {
        t.append_point(label::BASE_G, &self.g);
        t.append_point(label::BASE_H, &self.h);
        t.append_point(label::POINT_A, &self.a);
        t.append_point(label::POINT_B, &self.b);
    }
}

/// A DLEQ proof `(R1, R2, s)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    r1: RistrettoPoint,
    r2: RistrettoPoint,
    s: Scalar,
}

impl DleqProof {
    /// Proves the statement with witness `secret` under `context`. Fails if `secret` is not a
    /// witness.
    pub fn prove_with_rng(
        context: &Context<'_>,
        statement: &DleqStatement,
        secret: &SecretKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, ProofError> {
        let mut t = new_transcript(ds::DLEQ, context);
        Self::prove_in(&mut t, statement, &secret.0, rng)
    }

    /// [`DleqProof::prove_with_rng`] with the OS RNG.
    pub fn prove(
        context: &Context<'_>,
        statement: &DleqStatement,
        secret: &SecretKey,
    ) -> Result<Self, ProofError> {
        Self::prove_with_rng(context, statement, secret, &mut OsRng)
    }

    /// Verifies the proof for `statement` under `context`.
    pub fn verify(
        &self,
        context: &Context<'_>,
        statement: &DleqStatement,
    ) -> Result<(), VerificationError> {
        let mut t = new_transcript(ds::DLEQ, context);
        self.verify_in(&mut t, statement)
    }

    /// Verifies many proofs at once with 128-bit random weights; fails if any proof fails.
    pub fn verify_batch_with_rng(
        items: &[(Context<'_>, DleqStatement, DleqProof)],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        let mut batch = BatchVerifier::with_capacity(items.len() * 6);
        for (context, statement, proof) in items {
            let mut t = new_transcript(ds::DLEQ, context);
            proof.batch_in(&mut t, statement, rng, &mut batch);
        }
        batch.verify()
    }

    /// [`DleqProof::verify_batch_with_rng`] with the thread RNG.
    pub fn verify_batch(
        items: &[(Context<'_>, DleqStatement, DleqProof)],
    ) -> Result<(), VerificationError> {
        Self::verify_batch_with_rng(items, &mut rand::thread_rng())
    }

    pub(crate) fn prove_in(
        t: &mut Transcript,
        statement: &DleqStatement,
        x: &Scalar,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self, ProofError> {
        if x * statement.g != statement.a || x * statement.h != statement.b {
            return Err(ProofError::WitnessMismatch);
        }
        Ok(Self::prove_in_unchecked(t, statement, x, rng))
    }

    /// [`DleqProof::prove_in`] for callers that built `statement` from `x` themselves.
    pub(crate) fn prove_in_unchecked(
        t: &mut Transcript,
        statement: &DleqStatement,
        x: &Scalar,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        statement.absorb(t);
        let mut trng = t
            .build_rng()
            .rekey_with_witness_bytes(b"x", x.as_bytes())
            .finalize(rng);
        let k = Scalar::random(&mut trng);
        let r1 = k * statement.g;
        let r2 = k * statement.h;
        t.append_point(label::NONCE_R1, &r1);
        t.append_point(label::NONCE_R2, &r2);
        let c = t.challenge_scalar(label::CHALLENGE);
        Self {
            r1,
            r2,
            s: k + c * x,
        }
    }

    fn challenge_in(&self, t: &mut Transcript, statement: &DleqStatement) -> Scalar {
        statement.absorb(t);
        t.append_point(label::NONCE_R1, &self.r1);
        t.append_point(label::NONCE_R2, &self.r2);
        t.challenge_scalar(label::CHALLENGE)
    }

    pub(crate) fn verify_in(
        &self,
        t: &mut Transcript,
        statement: &DleqStatement,
    ) -> Result<(), VerificationError> {
        let c = self.challenge_in(t, statement);
        let minus_c = -c;
        let e1 =
            RistrettoPoint::vartime_multiscalar_mul([self.s, minus_c], [statement.g, statement.a]);
        let e2 =
            RistrettoPoint::vartime_multiscalar_mul([self.s, minus_c], [statement.h, statement.b]);
        if e1 == self.r1 && e2 == self.r2 {
            Ok(())
        } else {
            Err(VerificationError::Invalid)
        }
    }

    /// Adds both equations, each with its own 128-bit weight, to a batch.
    pub(crate) fn batch_in(
        &self,
        t: &mut Transcript,
        statement: &DleqStatement,
        rng: &mut (impl RngCore + CryptoRng),
        batch: &mut BatchVerifier,
    ) {
        let c = self.challenge_in(t, statement);
        for (w, base, nonce, image) in [
            (batch_weight(rng), statement.g, self.r1, statement.a),
            (batch_weight(rng), statement.h, self.r2, statement.b),
        ] {
            batch.add(w * self.s, base);
            batch.add(-w, nonce);
            batch.add(-(w * c), image);
        }
    }

    /// Canonical encoding: header, `R1`, `R2`, `s`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::DLEQ_PROOF, 96);
        self.write(&mut w);
        w.finish()
    }

    /// Decodes [`DleqProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::DLEQ_PROOF)?;
        let p = Self::read(&mut r)?;
        r.finish()?;
        Ok(p)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.point(&self.r1).point(&self.r2).scalar(&self.s);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, EncodingError> {
        Ok(Self {
            r1: r.point()?,
            r2: r.point()?,
            s: r.scalar()?,
        })
    }
}

serde_via_bytes!(DleqProof);

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;

    fn statement(x: &SecretKey) -> DleqStatement {
        let h = RistrettoPoint::mul_base(&Scalar::from(12345u64));
        DleqStatement {
            g: G,
            h,
            a: x.0 * G,
            b: x.0 * h,
        }
    }

    #[test]
    fn completeness_soundness_and_batch() {
        let ctx = Context::new(b"poll-1");
        let x = SecretKey::random();
        let st = statement(&x);
        let proof = DleqProof::prove(&ctx, &st, &x).unwrap();
        proof.verify(&ctx, &st).unwrap();
        assert!(proof.verify(&Context::new(b"poll-2"), &st).is_err());
        let wrong = DleqStatement { b: st.b + G, ..st };
        assert!(proof.verify(&ctx, &wrong).is_err());
        assert_eq!(
            DleqProof::prove(&ctx, &wrong, &x).err(),
            Some(ProofError::WitnessMismatch)
        );

        let mut items: Vec<_> = (0..8)
            .map(|_| {
                let x = SecretKey::random();
                let st = statement(&x);
                (ctx, st, DleqProof::prove(&ctx, &st, &x).unwrap())
            })
            .collect();
        DleqProof::verify_batch(&items).unwrap();
        items[5].1 = DleqStatement {
            a: items[5].1.a + G,
            ..items[5].1
        };
        assert!(DleqProof::verify_batch(&items).is_err());
    }
}

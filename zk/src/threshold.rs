//! Threshold decryption of exponential-ElGamal ciphertexts under a DKG [`GroupKey`].
//!
//! Participant `i` with share `x_i` publishes `D_i = x_i * c1` and a DLEQ proof that
//! `log_G(Y_i) = log_c1(D_i)`, where `Y_i` is its public verification share. The transcript
//! binds the caller's context (the poll id), the index `i` and the ciphertext. Any `t` valid
//! shares from a set `S` of distinct qualified participants give
//! `m*G = c2 - sum_{i in S} lambda_i * D_i` with Lagrange coefficients at zero
//! `lambda_i = prod_{j in S, j != i} j / (j - i)`. With fewer than `t` shares the secret
//! polynomial is not determined, and [`GroupKey::combine`] refuses.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::dkg::{GroupKey, KeyShare};
use crate::dlog::DlogTable;
use crate::elgamal::Ciphertext;
use crate::encoding::{serde_via_bytes, tag, Reader, Writer};
use crate::errors::{EncodingError, ThresholdError, VerificationError};
use crate::sigma::dleq::{DleqProof, DleqStatement};
use crate::sigma::BatchVerifier;
use crate::transcript::{ds, label, new_transcript, Context, TranscriptExt};

/// A partial decryption `D_i = x_i * c1` with its DLEQ proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecryptionShare {
    index: u32,
    point: RistrettoPoint,
    proof: DleqProof,
}

fn share_transcript(context: &Context<'_>, index: u32, ct: &Ciphertext) -> Transcript {
    let mut t = new_transcript(ds::DECRYPTION_SHARE, context);
    t.append_u64(label::INDEX, u64::from(index));
    t.append_point(label::CIPHERTEXT_C1, ct.c1());
    t.append_point(label::CIPHERTEXT_C2, ct.c2());
    t
}

impl KeyShare {
    /// Computes this participant's decryption share of `ct` with a DLEQ proof bound to
    /// `context`.
    pub fn decryption_share_with_rng(
        &self,
        context: &Context<'_>,
        ct: &Ciphertext,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> DecryptionShare {
        let sk = self.as_secret_key();
        let point = sk.0 * ct.c1();
        let statement = DleqStatement {
            g: G,
            h: *ct.c1(),
            a: sk.public_key().0,
            b: point,
        };
        let mut t = share_transcript(context, self.index(), ct);
        let proof = DleqProof::prove_in_unchecked(&mut t, &statement, &sk.0, rng);
        DecryptionShare {
            index: self.index(),
            point,
            proof,
        }
    }

    /// [`KeyShare::decryption_share_with_rng`] with the OS RNG.
    pub fn decryption_share(&self, context: &Context<'_>, ct: &Ciphertext) -> DecryptionShare {
        self.decryption_share_with_rng(context, ct, &mut OsRng)
    }
}

impl DecryptionShare {
    /// The participant who made the share.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Canonical encoding: header, index, `D_i`, DLEQ proof body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(tag::DECRYPTION_SHARE, 4 + 32 + 96);
        w.u32(self.index).point(&self.point);
        self.proof.write(&mut w);
        w.finish()
    }

    /// Decodes [`DecryptionShare::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let mut r = Reader::new(bytes, tag::DECRYPTION_SHARE)?;
        let index = r.u32()?;
        let point = r.point()?;
        let proof = DleqProof::read(&mut r)?;
        r.finish()?;
        Ok(Self {
            index,
            point,
            proof,
        })
    }
}

serde_via_bytes!(DecryptionShare);

/// Lagrange coefficients at zero for the distinct non-zero indices `set`.
fn lagrange_at_zero(set: &[u32]) -> Vec<Scalar> {
    set.iter()
        .map(|&i| {
            let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
            for &j in set.iter().filter(|&&j| j != i) {
                num *= Scalar::from(j);
                den *= Scalar::from(j) - Scalar::from(i);
            }
            num * den.invert()
        })
        .collect()
}

/// `c2 - sum lambda_i D_i` over exactly the given shares, without any check. Used by
/// [`GroupKey::combine`] and by tests showing that `t - 1` shares give the wrong point.
pub(crate) fn interpolate(ct: &Ciphertext, shares: &[DecryptionShare]) -> RistrettoPoint {
    let indices: Vec<u32> = shares.iter().map(|s| s.index).collect();
    let lambdas = lagrange_at_zero(&indices);
    ct.c2() - RistrettoPoint::vartime_multiscalar_mul(&lambdas, shares.iter().map(|s| s.point))
}

impl GroupKey {
    /// Checks one decryption share: the index is qualified and the DLEQ proof holds against
    /// the participant's verification share.
    pub fn verify_share(
        &self,
        context: &Context<'_>,
        ct: &Ciphertext,
        share: &DecryptionShare,
    ) -> Result<(), VerificationError> {
        let statement = self.share_statement(ct, share)?;
        let mut t = share_transcript(context, share.index, ct);
        share.proof.verify_in(&mut t, &statement)
    }

    /// The DLEQ statement a share proves: `log_G(Y_i) == log_{c1}(D_i)`, where `Y_i` is the
    /// qualified participant's verification share.
    fn share_statement(
        &self,
        ct: &Ciphertext,
        share: &DecryptionShare,
    ) -> Result<DleqStatement, VerificationError> {
        let y_i = self
            .verification_share(share.index)
            .ok_or(VerificationError::Invalid)?;
        Ok(DleqStatement {
            g: G,
            h: *ct.c1(),
            a: y_i,
            b: share.point,
        })
    }

    /// Checks many decryption shares (for example every counter's share of every choice of a
    /// tally) with one multiscalar multiplication and 128-bit random weights. Fails if any
    /// share is invalid or from a non-qualified index; use [`GroupKey::verify_share`] to find
    /// which.
    pub fn verify_shares_batch_with_rng(
        &self,
        context: &Context<'_>,
        items: &[(Ciphertext, DecryptionShare)],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), VerificationError> {
        let mut batch = BatchVerifier::with_capacity(items.len() * 5);
        for (ct, share) in items {
            let statement = self.share_statement(ct, share)?;
            let mut t = share_transcript(context, share.index, ct);
            share.proof.batch_in(&mut t, &statement, rng, &mut batch);
        }
        batch.verify()
    }

    /// [`GroupKey::verify_shares_batch_with_rng`] with the thread RNG.
    pub fn verify_shares_batch(
        &self,
        context: &Context<'_>,
        items: &[(Ciphertext, DecryptionShare)],
    ) -> Result<(), VerificationError> {
        self.verify_shares_batch_with_rng(context, items, &mut rand::thread_rng())
    }

    /// Verifies every share and combines the first `t` from distinct participants into
    /// `m*G`. Any invalid share is an error naming its index (filter shares with
    /// [`GroupKey::verify_share`] first to tolerate bad ones); fewer than `t` distinct valid
    /// shares is [`ThresholdError::NotEnoughShares`].
    pub fn combine(
        &self,
        context: &Context<'_>,
        ct: &Ciphertext,
        shares: &[DecryptionShare],
    ) -> Result<RistrettoPoint, ThresholdError> {
        let t = self.params().threshold();
        let mut chosen: Vec<DecryptionShare> = Vec::with_capacity(t as usize);
        for share in shares {
            if !self.is_qualified(share.index) {
                return Err(ThresholdError::NotQualified { index: share.index });
            }
            self.verify_share(context, ct, share)
                .map_err(|_| ThresholdError::InvalidShare { index: share.index })?;
            if chosen.len() < t as usize && chosen.iter().all(|c| c.index != share.index) {
                chosen.push(*share);
            }
        }
        if chosen.len() < t as usize {
            return Err(ThresholdError::NotEnoughShares {
                valid: chosen.len(),
                threshold: t,
            });
        }
        Ok(interpolate(ct, &chosen))
    }

    /// [`GroupKey::combine`], then the bounded discrete log.
    pub fn decrypt(
        &self,
        context: &Context<'_>,
        ct: &Ciphertext,
        shares: &[DecryptionShare],
        table: &DlogTable,
    ) -> Result<u64, ThresholdError> {
        Ok(table.solve(&self.combine(context, ct, shares)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkg::{DkgParameters, DkgRound1};

    #[test]
    fn t_minus_1_shares_interpolate_to_the_wrong_point() {
        let ctx = Context::new(b"poll-1");
        let params = DkgParameters::new(3, 4).unwrap();
        let (r1, bs): (Vec<_>, Vec<_>) = (1..=4)
            .map(|i| DkgRound1::new(params, i, &ctx).unwrap())
            .unzip();
        let (r2, msgs): (Vec<_>, Vec<_>) = r1
            .into_iter()
            .map(|p| p.receive_broadcasts(&bs).unwrap())
            .unzip();
        let msgs: Vec<_> = msgs.into_iter().flatten().collect();
        let outputs: Vec<_> = r2
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let mine: Vec<_> = msgs
                    .iter()
                    .filter(|m| m.to() == i as u32 + 1)
                    .cloned()
                    .collect();
                let (r3, complaints) = p.receive_shares(&mine).unwrap();
                assert!(complaints.is_empty());
                r3.finish(&[], &[]).unwrap()
            })
            .collect();
        let group = &outputs[0].group;
        let (ct, _) = group.public_key().encrypt(12);
        let expected = crate::elgamal::encode_plaintext(12);
        let ds: Vec<_> = outputs
            .iter()
            .map(|o| o.share.decryption_share(&ctx, &ct))
            .collect();
        for pair in [[0usize, 1], [1, 3], [2, 3]] {
            let two = [ds[pair[0]], ds[pair[1]]];
            assert_ne!(interpolate(&ct, &two), expected);
        }
        for triple in [[0usize, 1, 2], [0, 2, 3], [1, 2, 3]] {
            let three = [ds[triple[0]], ds[triple[1]], ds[triple[2]]];
            assert_eq!(interpolate(&ct, &three), expected);
        }

        // Batch check of all shares of two ciphertexts; one swapped share breaks it.
        let (ct2, _) = group.public_key().encrypt(3);
        let mut items: Vec<_> = ds.iter().map(|d| (ct, *d)).collect();
        items.extend(
            outputs
                .iter()
                .map(|o| (ct2, o.share.decryption_share(&ctx, &ct2))),
        );
        group.verify_shares_batch(&ctx, &items).unwrap();
        items[5].1 = items[1].1;
        assert_eq!(
            group.verify_shares_batch(&ctx, &items),
            Err(VerificationError::Invalid)
        );
    }

    #[test]
    fn lagrange_reconstructs_a_line() {
        // f(z) = 5 + 3z: f(1) = 8, f(4) = 17.
        let l = lagrange_at_zero(&[1, 4]);
        assert_eq!(
            l[0] * Scalar::from(8u64) + l[1] * Scalar::from(17u64),
            Scalar::from(5u64)
        );
    }
}

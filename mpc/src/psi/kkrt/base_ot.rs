//! Base OTs on ristretto255: the "simplest OT" of Chou and Orlandi (CO15), run `w = 512` times
//! in parallel with one sender key. Semi-honest; the key derivation absorbs the session id, the
//! OT index and both parties' points, so keys of one OT, session or direction are unrelated to
//! any other's.
//!
//! With `G` the base point: the OT sender draws `a`, sends `A = a·G`. For choice bit `c_i` the
//! receiver draws `b_i`, sends `B_i = b_i·G + c_i·A` (a constant-time select) and keeps
//! `k_i = KDF(i, A, B_i, b_i·A)`. The sender derives `k_i^0 = KDF(i, A, B_i, a·B_i)` and
//! `k_i^1 = KDF(i, A, B_i, a·B_i − a·A)`; `k_i^{c_i} = k_i` and the other is unknown to the
//! receiver under CDH (KDF a random oracle). `B_i` is uniform whatever `c_i`, so the sender
//! learns nothing of the choice bits.
//!
//! In the KKRT extension the roles are reversed: the PSI *sender* is the OT receiver (its
//! choice bits are the secret `s`), the PSI *receiver* the OT sender.

use curve25519_dalek_5::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek_5::scalar::Scalar;
use curve25519_dalek_5::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use subtle::{Choice, ConditionallySelectable};
use zeroize::{Zeroize, Zeroizing};

use super::super::error::PsiError;
use super::super::transcript;

/// A 128-bit OT key (an AES key for the PRG).
pub(crate) type OtKey = [u8; 16];

fn random_scalar(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    wide.zeroize();
    s
}

fn decode(bytes: &[u8; 32], what: &str) -> Result<RistrettoPoint, PsiError> {
    let p = CompressedRistretto(*bytes).decompress().ok_or_else(|| {
        PsiError::Malformed(format!("{what}: not a canonical ristretto255 point"))
    })?;
    if p == RistrettoPoint::identity() {
        return Err(PsiError::Malformed(format!("{what}: identity point")));
    }
    Ok(p)
}

fn kdf(sid: &[u8; 32], i: usize, a: &[u8; 32], b: &[u8; 32], p: &RistrettoPoint) -> OtKey {
    let mut shared = p.compress().to_bytes();
    let h = transcript::hash_parts(
        transcript::KKRT_BASE_OT,
        &[sid, &(i as u64).to_le_bytes(), a, b, &shared],
    );
    shared.zeroize();
    let mut k = [0u8; 16];
    k.copy_from_slice(&h[..16]);
    k
}

/// The OT sender after its first message. Its scalar is zeroized on drop.
pub(crate) struct OtSender {
    a: Scalar,
    a_enc: [u8; 32],
}

impl Drop for OtSender {
    fn drop(&mut self) {
        self.a.zeroize();
    }
}

impl OtSender {
    /// Draws `a`; returns the state and the encoding of `A = a·G`.
    pub(crate) fn new_with_rng(rng: &mut (impl RngCore + CryptoRng)) -> (OtSender, [u8; 32]) {
        let a = random_scalar(rng);
        let a_enc = (&a * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
        (OtSender { a, a_enc }, a_enc)
    }

    /// Both keys of every OT from the receiver's points.
    pub(crate) fn finish(
        self,
        sid: &[u8; 32],
        points: &[[u8; 32]],
    ) -> Result<Zeroizing<Vec<(OtKey, OtKey)>>, PsiError> {
        let big_a = decode(&self.a_enc, "own base-OT point")?;
        let t = self.a * big_a;
        let keys = points
            .par_iter()
            .enumerate()
            .map(|(i, enc)| {
                let b = decode(enc, "base-OT point")?;
                let ab = self.a * b;
                Ok((
                    kdf(sid, i, &self.a_enc, enc, &ab),
                    kdf(sid, i, &self.a_enc, enc, &(ab - t)),
                ))
            })
            .collect::<Result<Vec<_>, PsiError>>()?;
        Ok(Zeroizing::new(keys))
    }
}

/// The receiver's points `B_i` (to send) and its chosen keys `k_i^{c_i}`.
pub(crate) type OtReceived = (Vec<[u8; 32]>, Zeroizing<Vec<OtKey>>);

/// The OT receiver's single message: `B_i` for each choice bit, and the chosen keys.
pub(crate) fn receive_with_rng(
    sid: &[u8; 32],
    a_enc: &[u8; 32],
    choices: &[bool],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<OtReceived, PsiError> {
    let big_a = decode(a_enc, "peer base-OT point")?;
    let table = RistrettoBasepointTable::create(&big_a);
    let mut scalars: Zeroizing<Vec<Scalar>> =
        Zeroizing::new(choices.iter().map(|_| random_scalar(rng)).collect());
    let out: Vec<([u8; 32], OtKey)> = scalars
        .par_iter()
        .zip(choices.par_iter())
        .enumerate()
        .map(|(i, (b, &c))| {
            let bg = b * RISTRETTO_BASEPOINT_TABLE;
            let with_a = bg + big_a;
            let p = RistrettoPoint::conditional_select(&bg, &with_a, Choice::from(c as u8));
            let enc = p.compress().to_bytes();
            let key = kdf(sid, i, a_enc, &enc, &(b * &table));
            (enc, key)
        })
        .collect();
    scalars.iter_mut().for_each(Zeroize::zeroize);
    let (points, keys): (Vec<_>, Vec<_>) = out.into_iter().unzip();
    Ok((points, Zeroizing::new(keys)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn chosen_key_matches_and_other_differs() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let sid = [9; 32];
        let choices: Vec<bool> = (0..64).map(|i| i % 3 == 0).collect();
        let (snd, a) = OtSender::new_with_rng(&mut rng);
        let (points, keys) = receive_with_rng(&sid, &a, &choices, &mut rng).unwrap();
        let both = snd.finish(&sid, &points).unwrap();
        for i in 0..choices.len() {
            let (k0, k1) = both[i];
            assert_ne!(k0, k1);
            assert_eq!(keys[i], if choices[i] { k1 } else { k0 });
        }
        // Another session derives unrelated keys from the same messages.
        let (snd2, _) = OtSender::new_with_rng(&mut ChaCha20Rng::seed_from_u64(4));
        let other = snd2.finish(&[8; 32], &points).unwrap();
        assert_ne!(other[0], both[0]);
    }

    #[test]
    fn refuses_bad_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let (snd, a) = OtSender::new_with_rng(&mut rng);
        assert!(receive_with_rng(&[0; 32], &[0; 32], &[true], &mut rng).is_err());
        assert!(receive_with_rng(&[0; 32], &[0xff; 32], &[true], &mut rng).is_err());
        let (mut points, _) = receive_with_rng(&[0; 32], &a, &[true, false], &mut rng).unwrap();
        points[1] = [0xff; 32];
        assert!(snd.finish(&[0; 32], &points).is_err());
    }
}

//! ristretto255 operations shared by every PSI mode: hash-to-group, blinding with a secret
//! scalar, strict decoding of peer points, and truncated comparison tags.
//!
//! Costs per item (the floor, measured by `weft-mpc`'s `psi` bench): one hash-to-group (SHA-512
//! and two Elligator maps), one variable-base scalar multiplication, and one compression. The
//! compression's field inversion is amortised by computing `(k/2)·P` and using
//! [`RistrettoPoint::double_and_compress_batch`] (one inversion per batch).
//!
//! This and `kkrt/base_ot.rs` (the base OTs) are the only library files that name the curve
//! crate: PSI uses curve25519-dalek 5
//! (renamed `curve25519_dalek_5`), whose AVX-512 IFMA backend is used when built for a CPU
//! that has it; the encodings are identical to dalek 4's (tested below).

use curve25519_dalek_5::ristretto::RistrettoPoint;
use curve25519_dalek_5::scalar::Scalar;
use curve25519_dalek_5::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroize;

use super::error::PsiError;

/// A compressed ristretto255 point (curve25519-dalek 5, which PSI uses; see the crate manifest).
pub use curve25519_dalek_5::ristretto::CompressedRistretto;

/// Length of a compressed ristretto255 point.
pub const POINT_LEN: usize = 32;

/// Items per rayon task: large enough to amortise the batch inversion, small enough to keep
/// both cores busy on modest batches.
const CHUNK: usize = 256;

/// Hashes `item` into the group, bound to `domain` and `context` (a session, filter or table id).
pub fn hash_to_group(domain: &[u8], context: &[u8; 32], item: &[u8]) -> RistrettoPoint {
    let mut h = Sha512::new();
    h.update((domain.len() as u64).to_le_bytes());
    h.update(domain);
    h.update(context);
    h.update((item.len() as u64).to_le_bytes());
    h.update(item);
    let wide: [u8; 64] = h.finalize().into();
    // Two Elligator maps of the two halves, added: what `RistrettoPoint::from_hash` does.
    RistrettoPoint::from_uniform_bytes(&wide)
}

/// A secret blinding scalar `k`, kept as `k/2` (see the module docs). Zeroized on drop, never
/// printed.
pub struct BlindingKey {
    half: Scalar,
}

impl std::fmt::Debug for BlindingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindingKey(..)")
    }
}

impl Drop for BlindingKey {
    fn drop(&mut self) {
        self.half.zeroize();
    }
}

impl BlindingKey {
    /// A fresh uniformly random non-zero key.
    pub fn random_with_rng(rng: &mut (impl RngCore + CryptoRng)) -> BlindingKey {
        loop {
            // 64 uniform bytes reduced mod ℓ: statistically uniform (what `Scalar::random` does).
            let mut wide = [0u8; 64];
            rng.fill_bytes(&mut wide);
            let k = Scalar::from_bytes_mod_order_wide(&wide);
            wide.zeroize();
            if k != Scalar::ZERO {
                return BlindingKey::from_scalar(k);
            }
        }
    }

    /// The key `k` (must be non-zero; callers draw it at random).
    pub(crate) fn from_scalar(mut k: Scalar) -> BlindingKey {
        let half = k * Scalar::from(2u8).invert();
        k.zeroize();
        BlindingKey { half }
    }

    /// The key `k⁻¹` (used to unblind OPRF answers).
    pub(crate) fn inverse(&self) -> BlindingKey {
        let mut k = self.half + self.half;
        let out = BlindingKey::from_scalar(k.invert());
        k.zeroize();
        out
    }

    /// `k·P` for every point, compressed; parallel over chunks.
    pub fn blind(&self, points: &[RistrettoPoint]) -> Vec<CompressedRistretto> {
        points
            .par_chunks(CHUNK)
            .flat_map_iter(|chunk| {
                let halves: Vec<RistrettoPoint> = chunk.iter().map(|p| p * self.half).collect();
                RistrettoPoint::double_and_compress_batch(&halves)
            })
            .collect()
    }

    /// `k·H(item)` for every item, compressed; parallel over chunks.
    pub fn hash_and_blind<T: AsRef<[u8]> + Sync>(
        &self,
        domain: &[u8],
        context: &[u8; 32],
        items: &[T],
    ) -> Vec<CompressedRistretto> {
        items
            .par_chunks(CHUNK)
            .flat_map_iter(|chunk| {
                let halves: Vec<RistrettoPoint> = chunk
                    .iter()
                    .map(|x| hash_to_group(domain, context, x.as_ref()) * self.half)
                    .collect();
                RistrettoPoint::double_and_compress_batch(&halves)
            })
            .collect()
    }

    /// Decodes the peer's points strictly and returns `k·P` for each, compressed.
    pub fn decode_and_blind(
        &self,
        batch: u64,
        points: &[[u8; POINT_LEN]],
    ) -> Result<Vec<CompressedRistretto>, PsiError> {
        // One pass per chunk (decode, multiply, batch-compress) rather than decoding the whole
        // batch into a vector of points first.
        let chunks: Vec<Vec<CompressedRistretto>> = points
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let halves = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, bytes)| Ok(decode_point(batch, c * CHUNK + i, bytes)? * self.half))
                    .collect::<Result<Vec<RistrettoPoint>, PsiError>>()?;
                Ok(RistrettoPoint::double_and_compress_batch(&halves))
            })
            .collect::<Result<_, PsiError>>()?;
        Ok(chunks.into_iter().flatten().collect())
    }
}

/// Decodes points, rejecting non-canonical encodings and the identity; parallel.
pub fn decode_points(
    batch: u64,
    points: &[[u8; POINT_LEN]],
) -> Result<Vec<RistrettoPoint>, PsiError> {
    points
        .par_iter()
        .enumerate()
        .map(|(index, bytes)| decode_point(batch, index, bytes))
        .collect()
}

/// Decodes one point strictly: a canonical encoding of a point other than the identity.
fn decode_point(
    batch: u64,
    index: usize,
    bytes: &[u8; POINT_LEN],
) -> Result<RistrettoPoint, PsiError> {
    let p = CompressedRistretto(*bytes)
        .decompress()
        .ok_or(PsiError::InvalidPoint { batch, index })?;
    if p == RistrettoPoint::identity() {
        return Err(PsiError::IdentityPoint { batch, index });
    }
    Ok(p)
}

/// The comparison tag of an encoded point: the first `len` bytes (8..=16) of
/// `SHA-256(domain || context || point)`, big-endian in a `u128`.
pub fn tag(domain: &[u8], context: &[u8; 32], point: &CompressedRistretto, len: usize) -> u128 {
    let mut h = Sha256::new();
    h.update((domain.len() as u64).to_le_bytes());
    h.update(domain);
    h.update(context);
    h.update(point.as_bytes());
    let d = h.finalize();
    let mut out = [0u8; 16];
    out[..len].copy_from_slice(&d[..len]);
    u128::from_be_bytes(out)
}

/// The tag length in bytes for comparing `n` values against `m`: the expected number of false
/// matches, at most `n·m·2^(-8·len)`, stays below `2^-40`. Between 8 and 16 bytes.
pub fn tag_len(n: u64, m: u64) -> usize {
    let bits = |x: u64| 64 - x.max(1).leading_zeros() as usize; // ceil-ish log2, >= log2
    let needed = bits(n) + bits(m) + 40;
    needed.div_ceil(8).clamp(8, 16)
}

/// Appends the `len`-byte encoding of `tag` to `out`.
pub fn push_tag(out: &mut Vec<u8>, tag: u128, len: usize) {
    out.extend_from_slice(&tag.to_be_bytes()[..len]);
}

/// Reads `len`-byte tags back into `u128`s.
pub fn read_tags(bytes: &[u8], len: usize) -> Result<Vec<u128>, PsiError> {
    if len == 0 || len > 16 || bytes.len() % len != 0 {
        return Err(PsiError::Malformed(format!(
            "{} tag bytes is not a multiple of the tag length {len}",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(len)
        .map(|c| {
            let mut out = [0u8; 16];
            out[..len].copy_from_slice(c);
            u128::from_be_bytes(out)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn blinding_commutes_and_half_trick_is_exact() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let a = BlindingKey::random_with_rng(&mut rng);
        let b = BlindingKey::random_with_rng(&mut rng);
        let ctx = [7u8; 32];
        let items = [b"alice".to_vec(), b"bob".to_vec()];
        let ah = a.hash_and_blind(b"d", &ctx, &items);
        let bh = b.hash_and_blind(b"d", &ctx, &items);
        let ab: Vec<[u8; 32]> = ah.iter().map(|c| c.0).collect();
        let ba: Vec<[u8; 32]> = bh.iter().map(|c| c.0).collect();
        assert_eq!(
            b.decode_and_blind(0, &ab).unwrap(),
            a.decode_and_blind(0, &ba).unwrap()
        );
        // k·P through the half trick equals the plain multiplication.
        let p = hash_to_group(b"d", &ctx, b"alice");
        let k = a.half + a.half;
        assert_eq!(a.blind(&[p])[0], (p * k).compress());
        // The inverse unblinds.
        let inv = a.inverse();
        let back = inv.decode_and_blind(0, &[ah[0].0]).unwrap();
        assert_eq!(back[0], p.compress());
    }

    #[test]
    fn rejects_non_canonical_and_identity() {
        // 2^255 - 1 is not a canonical field element encoding.
        let mut bad = [0xffu8; 32];
        bad[31] = 0x7f;
        let err = decode_points(3, &[[0u8; 32], bad]).unwrap_err();
        assert!(matches!(
            err,
            PsiError::IdentityPoint { batch: 3, index: 0 }
                | PsiError::InvalidPoint { batch: 3, index: 1 }
        ));
        assert_eq!(
            decode_points(0, &[bad]).unwrap_err(),
            PsiError::InvalidPoint { batch: 0, index: 0 }
        );
        assert_eq!(
            decode_points(0, &[[0u8; 32]]).unwrap_err(),
            PsiError::IdentityPoint { batch: 0, index: 0 }
        );
        // A negative (odd) field element is not a canonical ristretto encoding.
        let mut neg = hash_to_group(b"d", &[0; 32], b"x").compress().0;
        neg[0] |= 1;
        assert!(decode_points(0, &[neg]).is_err());
    }

    #[test]
    fn same_group_elements_as_dalek_4() {
        // PSI runs on curve25519-dalek 5, the rest of the workspace on dalek 4: the encodings
        // must agree bit for bit (hash-to-group, scalar reduction, multiplication), so that a
        // peer built against either computes the same values.
        use curve25519_dalek::ristretto::RistrettoPoint as P4;
        use curve25519_dalek::scalar::Scalar as S4;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        for i in 0..32u32 {
            let item = format!("item-{i}");
            let ctx = [i as u8; 32];
            let mine = hash_to_group(b"dom", &ctx, item.as_bytes());
            let mut h = Sha512::new();
            h.update(3u64.to_le_bytes());
            h.update(b"dom");
            h.update(ctx);
            h.update((item.len() as u64).to_le_bytes());
            h.update(item.as_bytes());
            let theirs = P4::from_hash(h);
            assert_eq!(mine.compress().0, theirs.compress().0);

            let mut wide = [0u8; 64];
            rng.fill_bytes(&mut wide);
            let (k5, k4) = (
                Scalar::from_bytes_mod_order_wide(&wide),
                S4::from_bytes_mod_order_wide(&wide),
            );
            assert_eq!(k5.to_bytes(), k4.to_bytes());
            assert_eq!((mine * k5).compress().0, (theirs * k4).compress().0);
            let key = BlindingKey::from_scalar(k5);
            assert_eq!(key.blind(&[mine])[0].0, (theirs * k4).compress().0);
        }
    }

    #[test]
    fn decode_and_blind_reports_the_bad_index_across_chunks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let key = BlindingKey::random_with_rng(&mut rng);
        let items: Vec<Vec<u8>> = (0..CHUNK as u32 * 2 + 10)
            .map(|i| i.to_le_bytes().to_vec())
            .collect();
        let mut pts: Vec<[u8; 32]> = key
            .hash_and_blind(b"d", &[1; 32], &items)
            .iter()
            .map(|c| c.0)
            .collect();
        let good = key.decode_and_blind(5, &pts).unwrap();
        assert_eq!(good.len(), pts.len());
        let bad = CHUNK + 3;
        pts[bad][0] |= 1; // negative field element: non-canonical
        assert_eq!(
            key.decode_and_blind(5, &pts).unwrap_err(),
            PsiError::InvalidPoint {
                batch: 5,
                index: bad
            }
        );
        pts[bad] = [0; 32];
        assert_eq!(
            key.decode_and_blind(5, &pts).unwrap_err(),
            PsiError::IdentityPoint {
                batch: 5,
                index: bad
            }
        );
    }

    #[test]
    fn tag_len_bound() {
        assert_eq!(tag_len(1, 1), 8);
        assert_eq!(tag_len(1 << 20, 1 << 20), 11);
        assert_eq!(tag_len(10_000_000, 10_000_000), 11);
        assert!(tag_len(u64::MAX, u64::MAX) <= 16);
    }
}

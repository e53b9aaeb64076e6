//! The ring Z_{2^k} of the additive shares, k in {64, 128}.
//!
//! Elements are held in a `u128` and reduced modulo 2^k after every operation. A signed value
//! v with |v| < 2^(k-1) is encoded as v mod 2^k and decoded back to the representative in
//! [-2^(k-1), 2^(k-1)); the job spec check ([`super::spec`]) guarantees that every
//! reconstructed aggregate lies in that interval, so decoding is exact.

use rand_core::{CryptoRng, RngCore};
use serde::Serialize;

/// Z_{2^k}, with k = 64 or 128.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ring {
    bits: u32,
}

impl Ring {
    /// Z_{2^64}.
    pub const R64: Ring = Ring { bits: 64 };
    /// Z_{2^128}.
    pub const R128: Ring = Ring { bits: 128 };

    /// The smallest supported ring holding every signed value of magnitude at most `bound`,
    /// or `None` if even Z_{2^128} cannot.
    pub fn for_bound(bound: u128) -> Option<Ring> {
        if bound < (1u128 << 63) {
            Some(Ring::R64)
        } else if bound < (1u128 << 127) {
            Some(Ring::R128)
        } else {
            None
        }
    }

    /// k.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Bytes per element on the wire (k / 8).
    pub fn width(&self) -> usize {
        (self.bits / 8) as usize
    }

    fn mask(&self) -> u128 {
        if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        }
    }

    /// v mod 2^k.
    pub fn encode(&self, v: i128) -> u128 {
        (v as u128) & self.mask()
    }

    /// The signed representative in [-2^(k-1), 2^(k-1)).
    pub fn decode(&self, x: u128) -> i128 {
        if self.bits == 128 {
            x as i128
        } else {
            (x as u64) as i64 as i128
        }
    }

    /// a + b mod 2^k.
    pub fn add(&self, a: u128, b: u128) -> u128 {
        a.wrapping_add(b) & self.mask()
    }

    /// a - b mod 2^k.
    pub fn sub(&self, a: u128, b: u128) -> u128 {
        a.wrapping_sub(b) & self.mask()
    }

    /// A uniform element.
    pub fn random<R: RngCore + CryptoRng>(&self, rng: &mut R) -> u128 {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        u128::from_le_bytes(b) & self.mask()
    }

    /// Little-endian encoding of `x` in `width()` bytes.
    pub fn write(&self, x: u128, out: &mut Vec<u8>) {
        out.extend_from_slice(&x.to_le_bytes()[..self.width()]);
    }

    /// Reads one element from exactly `width()` bytes (higher bits are zero by construction).
    pub fn read(&self, b: &[u8]) -> u128 {
        let mut buf = [0u8; 16];
        buf[..b.len()].copy_from_slice(b);
        u128::from_le_bytes(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip_at_the_edges() {
        for r in [Ring::R64, Ring::R128] {
            let half = 1i128 << (r.bits() - 2);
            for v in [0, 1, -1, half, -half, i64::MAX as i128, i64::MIN as i128] {
                assert_eq!(r.decode(r.encode(v)), v);
            }
        }
        assert_eq!(Ring::R128.decode(Ring::R128.encode(i128::MIN)), i128::MIN);
        assert_eq!(Ring::for_bound((1 << 63) - 1), Some(Ring::R64));
        assert_eq!(Ring::for_bound(1 << 63), Some(Ring::R128));
        assert_eq!(Ring::for_bound(1 << 127), None);
    }

    #[test]
    fn sharing_wraps_correctly() {
        let r = Ring::R64;
        let a = r.encode(-5);
        let s = r.encode(i64::MAX as i128);
        let t = r.sub(a, s);
        assert_eq!(r.decode(r.add(t, s)), -5);
    }
}

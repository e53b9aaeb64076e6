//! Bounded discrete logarithm by baby-step giant-step.
//!
//! For a bound `N`, pick `m` baby steps and store `compress(j*G) -> j` for `j` in `[0, m)`.
//! To solve `P = x*G` with `x <= N`, walk giant steps `P - i*(m*G)` for
//! `i = 0..=N/m` until one is in the table; then `x = i*m + j`. Both walks compress points in
//! batches with one field inversion per batch (`double_and_compress_batch` on halved points).
//!
//! The table is independent of any key and is built once per bound; with the default
//! `m = ceil(sqrt(N + 1))` both the build and a worst-case solve do about `sqrt(N)` steps
//! (about 3,200 for a tally bound of 10^7).

use std::collections::HashMap;
use std::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

use crate::errors::DlogError;

/// The most baby steps a table may hold (64 MiB of keys and more): guards memory.
pub const MAX_BABY_STEPS: u64 = 1 << 22;

const BATCH: usize = 256;

/// A precomputed baby-step table for discrete logs in `[0, bound]`.
#[derive(Clone)]
pub struct DlogTable {
    bound: u64,
    baby_steps: u64,
    table: HashMap<[u8; 32], u32>,
    /// `-(m*G) / 2`: one giant step on the halved walk.
    giant_step_half: RistrettoPoint,
}

impl fmt::Debug for DlogTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DlogTable")
            .field("bound", &self.bound)
            .field("baby_steps", &self.baby_steps)
            .finish_non_exhaustive()
    }
}

fn ceil_sqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r.saturating_mul(r) < n {
        r += 1;
    }
    while r > 0 && (r - 1).saturating_mul(r - 1) >= n {
        r -= 1;
    }
    r
}

fn half() -> Scalar {
    Scalar::from(2u64).invert()
}

impl DlogTable {
    /// A table for `[0, bound]` with `ceil(sqrt(bound + 1))` baby steps.
    pub fn new(bound: u64) -> Result<Self, DlogError> {
        Self::with_baby_steps(bound, ceil_sqrt(bound.saturating_add(1)).max(1))
    }

    /// A table for `[0, bound]` with `baby_steps` entries: more entries make solving faster
    /// (about `(bound + 1) / baby_steps` giant steps) at the cost of build time and memory.
    pub fn with_baby_steps(bound: u64, baby_steps: u64) -> Result<Self, DlogError> {
        let baby_steps = baby_steps.clamp(1, bound.saturating_add(1));
        if baby_steps > MAX_BABY_STEPS || (bound / baby_steps) > MAX_BABY_STEPS * 16 {
            return Err(DlogError::BoundTooLarge { bound });
        }
        let half_g = half() * RISTRETTO_BASEPOINT_POINT;
        let mut table = HashMap::with_capacity(baby_steps as usize);
        let mut current = RistrettoPoint::identity();
        let mut j: u64 = 0;
        let mut chunk = Vec::with_capacity(BATCH);
        while j < baby_steps {
            chunk.clear();
            for _ in 0..BATCH.min((baby_steps - j) as usize) {
                chunk.push(current);
                current += half_g;
            }
            for (k, c) in RistrettoPoint::double_and_compress_batch(&chunk)
                .into_iter()
                .enumerate()
            {
                // j < MAX_BABY_STEPS < 2^32, so the cast is lossless.
                table.entry(c.to_bytes()).or_insert((j + k as u64) as u32);
            }
            j += chunk.len() as u64;
        }
        let giant_step_half = -(Scalar::from(baby_steps) * half_g);
        Ok(Self {
            bound,
            baby_steps,
            table,
            giant_step_half,
        })
    }

    /// The inclusive upper bound.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// Finds `x` in `[0, bound]` with `point = x*G`.
    pub fn solve(&self, point: &RistrettoPoint) -> Result<u64, DlogError> {
        let giant_steps = self.bound / self.baby_steps + 1;
        let mut current = half() * point;
        let mut i: u64 = 0;
        let mut chunk = Vec::with_capacity(BATCH);
        while i < giant_steps {
            chunk.clear();
            for _ in 0..BATCH.min((giant_steps - i) as usize) {
                chunk.push(current);
                current += self.giant_step_half;
            }
            for (k, c) in RistrettoPoint::double_and_compress_batch(&chunk)
                .into_iter()
                .enumerate()
            {
                if let Some(&j) = self.table.get(c.as_bytes()) {
                    let x = (i + k as u64) * self.baby_steps + u64::from(j);
                    if x <= self.bound {
                        return Ok(x);
                    }
                }
            }
            i += chunk.len() as u64;
        }
        Err(DlogError::OutOfRange { bound: self.bound })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: u64) -> RistrettoPoint {
        RistrettoPoint::mul_base(&Scalar::from(x))
    }

    #[test]
    fn small_bounds_exhaustively() {
        for bound in [0u64, 1, 2, 3, 10, 17] {
            let t = DlogTable::new(bound).unwrap();
            for x in 0..=bound {
                assert_eq!(t.solve(&g(x)), Ok(x), "bound {bound}");
            }
            assert_eq!(t.solve(&g(bound + 1)), Err(DlogError::OutOfRange { bound }));
        }
    }

    #[test]
    fn ceil_sqrt_is_exact() {
        for n in [0u64, 1, 2, 4, 5, 99, 100, 101, u64::MAX] {
            let r = ceil_sqrt(n);
            assert!(r.saturating_mul(r) >= n);
            assert!(r == 0 || (r - 1) * (r - 1) < n);
        }
    }

    #[test]
    fn negative_values_are_out_of_range() {
        let t = DlogTable::with_baby_steps(1000, 7).unwrap();
        assert_eq!(t.solve(&-g(1)), Err(DlogError::OutOfRange { bound: 1000 }));
        assert_eq!(t.solve(&g(999)), Ok(999));
        assert_eq!(t.solve(&g(1000)), Ok(1000));
    }
}

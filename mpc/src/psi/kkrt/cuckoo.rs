//! Cuckoo hashing of the receiver's items into `m` bins with 3 hash functions and no stash.
//!
//! Insertion is a random walk (bounded), then, if an item is still homeless, an exact
//! breadth-first search for an augmenting path. The search finds a placement whenever one
//! exists, so the table fails only when no placement of all items exists at all — the event
//! bounded by [`bins`] (see `mpc/docs/notes-psi-kkrt.md`, "Cuckoo parameters").

use std::collections::{HashMap, VecDeque};

use super::super::error::PsiError;

/// Number of hash functions.
pub(crate) const HASHES: usize = 3;
/// An empty bin.
pub(crate) const EMPTY: u32 = u32::MAX;
/// Bins are a multiple of this (the OT-extension task size).
pub(crate) const BIN_ALIGN: u64 = 1024;
/// Smallest table: below it the two-item obstruction dominates the failure bound.
pub(crate) const MIN_BINS: u64 = 8192;
/// Evictions tried before the exact search.
const WALK: usize = 64;

/// The number of bins for `n` receiver items: `max(⌈1.6·n⌉, 8192)` rounded up to a multiple
/// of 1024. The probability that no placement exists is at most `2^-41` for every `n`
/// (Hall-obstruction union bound, derived in the notes).
pub fn bins(n: u64) -> u64 {
    (n * 8).div_ceil(5).max(MIN_BINS).div_ceil(BIN_ALIGN) * BIN_ALIGN
}

/// The bin a 64-bit hash word selects among `m` (multiply-shift; bias at most `m/2^64`).
pub(crate) fn bin_of(word: u64, m: u64) -> u32 {
    ((word as u128 * m as u128) >> 64) as u32
}

/// Places every item (`positions[i]` are its three candidate bins) into a table of `m` bins.
/// Each entry is `item << 2 | k`, `k` the hash function used, or [`EMPTY`].
pub(crate) fn build(positions: &[[u32; HASHES]], m: usize) -> Result<Vec<u32>, PsiError> {
    let mut table = vec![EMPTY; m];
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    'items: for i in 0..positions.len() {
        let mut cur = i as u32;
        let mut prev = EMPTY;
        for _ in 0..WALK {
            let pos = positions[cur as usize];
            for (k, &b) in pos.iter().enumerate() {
                if table[b as usize] == EMPTY {
                    table[b as usize] = cur << 2 | k as u32;
                    continue 'items;
                }
            }
            // Evict from a random candidate, not the bin we were just pushed out of.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mut k = (rng % HASHES as u64) as usize;
            if pos[k] == prev {
                k = (k + 1) % HASHES;
            }
            let b = pos[k] as usize;
            let evicted = table[b];
            table[b] = cur << 2 | k as u32;
            prev = b as u32;
            cur = evicted >> 2;
        }
        if !augment(&mut table, positions, cur) {
            return Err(PsiError::CuckooFailed);
        }
    }
    Ok(table)
}

/// Breadth-first search for an augmenting path from homeless item `x`; applies it.
fn augment(table: &mut [u32], positions: &[[u32; HASHES]], x: u32) -> bool {
    // parent[bin] = (previous bin on the path or EMPTY, entry that moves into `bin`).
    let mut parent: HashMap<u32, (u32, u32)> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut visit = |from: u32, item: u32, queue: &mut VecDeque<u32>, table: &mut [u32]| {
        for (k, &b) in positions[item as usize].iter().enumerate() {
            if parent.contains_key(&b) {
                continue;
            }
            parent.insert(b, (from, item << 2 | k as u32));
            if table[b as usize] == EMPTY {
                let mut cur = b;
                loop {
                    let (prev, entry) = parent[&cur];
                    table[cur as usize] = entry;
                    if prev == EMPTY {
                        return true;
                    }
                    cur = prev;
                }
            }
            queue.push_back(b);
        }
        false
    };
    if visit(EMPTY, x, &mut queue, table) {
        return true;
    }
    while let Some(b) = queue.pop_front() {
        let occupant = table[b as usize] >> 2;
        if visit(b, occupant, &mut queue, table) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(table: &[u32], positions: &[[u32; HASHES]]) {
        let mut seen = vec![false; positions.len()];
        for (b, &e) in table.iter().enumerate() {
            if e != EMPTY {
                let (i, k) = ((e >> 2) as usize, (e & 3) as usize);
                assert_eq!(positions[i][k] as usize, b);
                assert!(!seen[i]);
                seen[i] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn bins_rule() {
        assert_eq!(bins(0), 8192);
        assert_eq!(bins(5120), 8192);
        assert_eq!(bins(1 << 20), 1_678_336);
        assert_eq!(bins(1 << 20) % BIN_ALIGN, 0);
    }

    #[test]
    fn places_everything_at_full_load_factor_of_the_rule() {
        let n = 20_000usize;
        let m = bins(n as u64);
        let mut x = 1u64;
        let positions: Vec<[u32; 3]> = (0..n)
            .map(|_| {
                std::array::from_fn(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    bin_of(x ^ (x >> 29), m)
                })
            })
            .collect();
        let table = build(&positions, m as usize).unwrap();
        check(&table, &positions);
    }

    #[test]
    fn exact_search_fills_a_tight_table_and_detects_impossible_ones() {
        // 4 items, 4 bins, crafted so that the random walk needs the search: a chain.
        let positions = vec![[0, 0, 1], [1, 1, 2], [2, 2, 3], [0, 1, 0]];
        let table = build(&positions, 4).unwrap();
        check(&table, &positions);
        // Three items confined to two bins: no placement exists.
        let positions = vec![[0, 1, 0], [1, 0, 1], [0, 0, 1]];
        assert_eq!(build(&positions, 8), Err(PsiError::CuckooFailed));
    }
}

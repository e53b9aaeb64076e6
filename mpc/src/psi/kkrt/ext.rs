//! The KKRT OT extension on the `m × w` matrix, in tasks of [`TASK_ROWS`] rows across all
//! cores. Column `i` of a matrix is the AES-CTR stream of base-OT seed `i`; block `c` of it
//! covers rows `128c .. 128c+127`, so each task expands its own counters and transposes
//! `128 × 128` tiles into rows.
//!
//! Receiver (OT-extension receiver, holds both seeds `k_i^0, k_i^1`): `t^i = G(k_i^0)`,
//! `u_j = t_j ⊕ G(k^1)_j ⊕ C(r_j)` (rows), output `H(j, t_j)`.
//! Sender (holds `k_i^{s_i}` and `s`): `q_j = G(k^{s})_j ⊕ (u_j ∧ s) = t_j ⊕ (C(r_j) ∧ s)`.

use rayon::prelude::*;
use zeroize::Zeroizing;

use super::cuckoo::EMPTY;
use super::prim::{transpose128, Code, Prg, Row, RowHash, WIDTH, W_BLOCKS};

/// Rows per task (a multiple of 128 dividing every table size).
pub(crate) const TASK_ROWS: usize = 1024;
const TILES: usize = TASK_ROWS / 128;
/// Bytes of one matrix row on the wire.
pub(crate) const ROW_BYTES: usize = 16 * W_BLOCKS;

/// Expands the columns of `prgs` for task `task` and transposes them into `rows`.
fn expand_rows(prgs: &[Prg], task: usize, cols: &mut [[u128; TILES]], rows: &mut [Row]) {
    for (prg, col) in prgs.iter().zip(cols.iter_mut()) {
        prg.fill((task * TILES) as u64, col);
    }
    let mut tile = [0u128; 128];
    for s in 0..TILES {
        for g in 0..W_BLOCKS {
            for (r, t) in tile.iter_mut().enumerate() {
                *t = cols[g * 128 + r][s];
            }
            transpose128(&mut tile);
            for (r, t) in tile.iter().enumerate() {
                rows[s * 128 + r][g] = *t;
            }
        }
    }
}

fn xor_cols(a: &mut [[u128; TILES]], b: &[[u128; TILES]]) {
    for (x, y) in a.iter_mut().zip(b) {
        for (p, q) in x.iter_mut().zip(y) {
            *p ^= q;
        }
    }
}

/// The receiver's matrix message (`m` rows of [`ROW_BYTES`]) and its hash outputs for the
/// occupied bins (zero for empty bins). `prg0`/`prg1` expand the base-OT seeds `k_i^0`/`k_i^1`,
/// `table` is the cuckoo table, `ids` the item ids.
pub(crate) fn receiver_matrix(
    prg0: &[Prg],
    prg1: &[Prg],
    table: &[u32],
    ids: &[u128],
    code: &Code,
    hash: &RowHash,
) -> (Vec<u8>, Zeroizing<Vec<[u8; 32]>>) {
    let m = table.len();
    debug_assert_eq!(m % TASK_ROWS, 0);
    debug_assert_eq!(prg0.len(), WIDTH);
    let mut u = vec![0u8; m * ROW_BYTES];
    let mut outs = Zeroizing::new(vec![[0u8; 32]; m]);
    u.par_chunks_mut(TASK_ROWS * ROW_BYTES)
        .zip(outs.par_chunks_mut(TASK_ROWS))
        .enumerate()
        .for_each(|(task, (ubuf, obuf))| {
            let base = task * TASK_ROWS;
            let mut cols0 = Zeroizing::new(vec![[0u128; TILES]; WIDTH]);
            let mut cols1 = Zeroizing::new(vec![[0u128; TILES]; WIDTH]);
            let mut t_rows = Zeroizing::new(vec![[0u128; W_BLOCKS]; TASK_ROWS]);
            let mut d_rows = Zeroizing::new(vec![[0u128; W_BLOCKS]; TASK_ROWS]);
            expand_rows(prg0, task, &mut cols0, &mut t_rows);
            // G(k^0) ⊕ G(k^1), by columns, then transposed.
            for (prg, col) in prg1.iter().zip(cols1.iter_mut()) {
                prg.fill((task * TILES) as u64, col);
            }
            xor_cols(&mut cols1, &cols0);
            let mut tile = [0u128; 128];
            for s in 0..TILES {
                for g in 0..W_BLOCKS {
                    for (r, t) in tile.iter_mut().enumerate() {
                        *t = cols1[g * 128 + r][s];
                    }
                    transpose128(&mut tile);
                    for (r, t) in tile.iter().enumerate() {
                        d_rows[s * 128 + r][g] = *t;
                    }
                }
            }
            let inputs: Vec<(u128, u8)> = table[base..base + TASK_ROWS]
                .iter()
                .map(|&e| {
                    if e == EMPTY {
                        (0, 3)
                    } else {
                        (ids[(e >> 2) as usize], (e & 3) as u8)
                    }
                })
                .collect();
            let mut codes = vec![[0u128; W_BLOCKS]; TASK_ROWS];
            code.encode_many(&inputs, &mut codes);
            for r in 0..TASK_ROWS {
                for g in 0..W_BLOCKS {
                    let w = d_rows[r][g] ^ codes[r][g];
                    ubuf[r * ROW_BYTES + 16 * g..r * ROW_BYTES + 16 * (g + 1)]
                        .copy_from_slice(&w.to_le_bytes());
                }
                if table[base + r] != EMPTY {
                    obuf[r] = hash.hash((base + r) as u64, &t_rows[r]);
                }
            }
        });
    (u, outs)
}

/// The sender's rows `q_j = G(k^{s})_j ⊕ (u_j ∧ s)` for every bin. `u` has exactly
/// `m · ROW_BYTES` bytes (checked by the caller).
pub(crate) fn sender_rows(chosen: &[Prg], s: &Row, u: &[u8]) -> Zeroizing<Vec<Row>> {
    let m = u.len() / ROW_BYTES;
    debug_assert_eq!(m % TASK_ROWS, 0);
    let mut q = Zeroizing::new(vec![[0u128; W_BLOCKS]; m]);
    q.par_chunks_mut(TASK_ROWS)
        .zip(u.par_chunks(TASK_ROWS * ROW_BYTES))
        .enumerate()
        .for_each(|(task, (qbuf, ubuf))| {
            let mut cols = Zeroizing::new(vec![[0u128; TILES]; WIDTH]);
            expand_rows(chosen, task, &mut cols, qbuf);
            for (r, row) in qbuf.iter_mut().enumerate() {
                for (g, w) in row.iter_mut().enumerate() {
                    let off = r * ROW_BYTES + 16 * g;
                    let mut b = [0u8; 16];
                    b.copy_from_slice(&ubuf[off..off + 16]);
                    *w ^= u128::from_le_bytes(b) & s[g];
                }
            }
        });
    q
}

//! Symmetric building blocks of KKRT-PSI: the AES-128 counter-mode PRG that expands base-OT
//! seeds into matrix columns, the 512-bit pseudorandom code, the 128×128 bit-matrix transpose,
//! the row hash `H` and the payload keystream.
//!
//! AES comes from the RustCrypto `aes` crate, which selects AES-NI at run time (and a
//! constant-time bitsliced fallback elsewhere); SHA-256 from `sha2` (SHA-NI at run time).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use sha2::{Digest, Sha256};

/// Code width in 128-bit blocks (`w = 512` bits; see the notes for why 512).
pub(crate) const W_BLOCKS: usize = 4;
/// Code width in bits: the number of base OTs.
pub(crate) const WIDTH: usize = 128 * W_BLOCKS;
/// One row of the OT-extension matrix (`w` bits).
pub(crate) type Row = [u128; W_BLOCKS];

/// Blocks encrypted per `encrypt_blocks` call (lets AES-NI pipeline independent blocks).
const PAR: usize = 8;

fn to_block(x: u128) -> aes::Block {
    aes::Block::from(x.to_le_bytes())
}

fn from_block(b: &aes::Block) -> u128 {
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    u128::from_le_bytes(a)
}

/// AES-128 in counter mode under a secret seed: `block(i) = AES_seed(i)`. The key schedule is
/// zeroized on drop (the `aes` crate's `zeroize` feature).
pub(crate) struct Prg(Aes128);

impl Prg {
    pub(crate) fn new(seed: &[u8; 16]) -> Prg {
        Prg(Aes128::new(&aes::Block::from(*seed)))
    }

    /// `out[i] = AES_seed(start + i)`.
    pub(crate) fn fill(&self, start: u64, out: &mut [u128]) {
        let mut buf = [aes::Block::default(); PAR];
        let mut ctr = start as u128;
        for chunk in out.chunks_mut(PAR) {
            for b in buf.iter_mut().take(chunk.len()) {
                *b = to_block(ctr);
                ctr += 1;
            }
            self.0.encrypt_blocks(&mut buf[..chunk.len()]);
            for (o, b) in chunk.iter_mut().zip(&buf) {
                *o = from_block(b);
            }
        }
    }

    /// XORs the keystream `AES_seed(0), AES_seed(1), ...` into `data` (payload encryption; each
    /// key encrypts exactly one payload).
    pub(crate) fn apply_keystream(&self, data: &mut [u8]) {
        let mut ks = [0u128; PAR];
        for (c, chunk) in data.chunks_mut(16 * PAR).enumerate() {
            let n = chunk.len().div_ceil(16);
            self.fill((c * PAR) as u64, &mut ks[..n]);
            for (i, byte) in chunk.iter_mut().enumerate() {
                *byte ^= ks[i / 16].to_le_bytes()[i % 16];
            }
        }
    }
}

/// The pseudorandom code `C(x, k) = AES_kc(x ⊕ τ(k,0)) ‖ … ‖ AES_kc(x ⊕ τ(k,3))`, where `x` is
/// an item's 128-bit identifier, `k` the cuckoo hash index (3 marks the dummy of an empty bin)
/// and `τ` puts the pair in the top byte. `kc` is chosen by the sender after both inputs are
/// fixed and sent in the clear.
pub(crate) struct Code(Aes128);

impl Code {
    pub(crate) fn new(key: &[u8; 16]) -> Code {
        Code(Aes128::new(&aes::Block::from(*key)))
    }

    fn tweak(k: u8, blk: usize) -> u128 {
        (((k as u128) << 2) | blk as u128) << 120
    }

    /// Encodes each `(id, k)` into a row.
    pub(crate) fn encode_many(&self, inputs: &[(u128, u8)], out: &mut [Row]) {
        debug_assert_eq!(inputs.len(), out.len());
        const ITEMS: usize = 8;
        let mut buf = [aes::Block::default(); ITEMS * W_BLOCKS];
        for (ins, outs) in inputs.chunks(ITEMS).zip(out.chunks_mut(ITEMS)) {
            for (i, &(id, k)) in ins.iter().enumerate() {
                for blk in 0..W_BLOCKS {
                    buf[i * W_BLOCKS + blk] = to_block(id ^ Self::tweak(k, blk));
                }
            }
            let used = ins.len() * W_BLOCKS;
            self.0.encrypt_blocks(&mut buf[..used]);
            for (i, o) in outs.iter_mut().enumerate() {
                for (blk, w) in o.iter_mut().enumerate() {
                    *w = from_block(&buf[i * W_BLOCKS + blk]);
                }
            }
        }
    }
}

/// Transposes a 128×128 bit matrix in place: bit `c` of `m[r]` moves to bit `r` of `m[c]`
/// (recursive block swap, seven rounds of masked shifts; no table lookups, no secret-dependent
/// branches).
pub(crate) fn transpose128(m: &mut [u128; 128]) {
    let mut j = 64usize;
    let mut mask: u128 = u64::MAX as u128;
    while j != 0 {
        let mut k = 0usize;
        while k < 128 {
            let t = ((m[k] >> j) ^ m[k + j]) & mask;
            m[k] ^= t << j;
            m[k + j] ^= t;
            k = ((k | j) + 1) & !j;
        }
        j >>= 1;
        mask ^= mask << j;
    }
}

/// The row hash `H(j, v) = SHA-256(salt ‖ j ‖ v)` (a random oracle, as KKRT models it), where
/// `salt` binds the session id and the parameters. Its 32 bytes are split into a comparison tag
/// (the first `tag_len` bytes) and a payload key (the last 16).
pub(crate) struct RowHash {
    prefix: Sha256,
}

impl RowHash {
    pub(crate) fn new(salt: &[u8; 32]) -> RowHash {
        let mut prefix = Sha256::new();
        prefix.update(salt);
        RowHash { prefix }
    }

    pub(crate) fn hash(&self, bin: u64, row: &Row) -> [u8; 32] {
        let mut buf = [0u8; 8 + 16 * W_BLOCKS];
        buf[..8].copy_from_slice(&bin.to_le_bytes());
        for (i, w) in row.iter().enumerate() {
            buf[8 + 16 * i..24 + 16 * i].copy_from_slice(&w.to_le_bytes());
        }
        let mut h = self.prefix.clone();
        h.update(buf);
        h.finalize().into()
    }
}

/// The comparison tag of a hash output: its first `len` bytes, little-endian in a `u128`.
pub(crate) fn tag_of(h: &[u8; 32], len: usize) -> u128 {
    let mut t = [0u8; 16];
    t[..len].copy_from_slice(&h[..len]);
    u128::from_le_bytes(t)
}

/// The payload key of a hash output.
pub(crate) fn key_of(h: &[u8; 32]) -> [u8; 16] {
    let mut k = [0u8; 16];
    k.copy_from_slice(&h[16..]);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn transpose_matches_naive() {
        let mut m = [0u128; 128];
        let mut x = 0x9e3779b97f4a7c15f39cc0605cedc834u128;
        for r in m.iter_mut() {
            x = x
                .wrapping_mul(0x2545f4914f6cdd1d)
                .wrapping_add(1442695040888963407);
            *r = x ^ (x >> 61);
        }
        let orig = m;
        transpose128(&mut m);
        for r in 0..128 {
            for c in 0..128 {
                assert_eq!((orig[r] >> c) & 1, (m[c] >> r) & 1, "({r},{c})");
            }
        }
        transpose128(&mut m);
        assert_eq!(m, orig);
    }

    #[test]
    fn prg_is_counter_mode_and_keystream_round_trips() {
        let p = Prg::new(&[7; 16]);
        let mut a = [0u128; 20];
        p.fill(0, &mut a);
        let mut b = [0u128; 5];
        p.fill(15, &mut b);
        assert_eq!(&a[15..], &b);
        assert_ne!(a[0], a[1]);
        let msg = b"a payload longer than one block, with more".to_vec();
        let mut c = msg.clone();
        p.apply_keystream(&mut c);
        assert_ne!(c, msg);
        p.apply_keystream(&mut c);
        assert_eq!(c, msg);
    }

    #[test]
    fn code_separates_hash_indices_and_batches_consistently() {
        let code = Code::new(&[3; 16]);
        let ins: Vec<(u128, u8)> = (0..19u128).map(|i| (i * 77, (i % 4) as u8)).collect();
        let mut out = vec![[0u128; W_BLOCKS]; ins.len()];
        code.encode_many(&ins, &mut out);
        for (i, inp) in ins.iter().enumerate() {
            let mut one = [[0u128; W_BLOCKS]];
            code.encode_many(std::slice::from_ref(inp), &mut one);
            assert_eq!(one[0], out[i]);
        }
        let mut two = [[0u128; W_BLOCKS]; 2];
        code.encode_many(&[(5, 0), (5, 1)], &mut two);
        assert_ne!(two[0], two[1]);
    }
}

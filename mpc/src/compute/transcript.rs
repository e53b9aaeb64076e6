//! Every domain-separation label of the joint-computation protocols, in one place.
//!
//! Each label is versioned. Every hash below also absorbs the job hash (except the job hash
//! itself), so a value from one job is useless in any other.

/// Canonical hash of a validated job spec (what the chain registers).
pub const JOB_HASH: &[u8] = b"weft/compute/job/v1";
/// Hash commitment of a party to its local aggregate vector.
pub const INPUT_COMMITMENT: &[u8] = b"weft/compute/input-commitment/v1";
/// Result digest every party signs and the chain records.
pub const RESULT_DIGEST: &[u8] = b"weft/compute/result/v1";
/// Version tag at the start of every encoded protocol message.
pub const WIRE_MAGIC: &[u8; 4] = b"WFC1";

/// SHA-256 over length-prefixed parts: `len(label) || label || (len(part) || part)*`.
pub fn hash_parts(label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update((label.len() as u64).to_le_bytes());
    h.update(label);
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

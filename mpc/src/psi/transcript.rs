//! Every domain-separation label of the PSI protocols, in one place.
//!
//! Each label is versioned. Every hash that touches items or points also absorbs the session id
//! (ECDH-PSI) or the filter/table id (OPRF modes), so values from one context are useless in any
//! other.

/// Hash-to-group of an item in an ECDH-PSI session (bound to the session id).
pub const HASH_TO_GROUP: &[u8] = b"weft/psi/ecdh/h2g/v1";
/// Hash-to-group of an item for the OPRF modes (bound to the filter or table id).
pub const OPRF_HASH_TO_GROUP: &[u8] = b"weft/psi/oprf/h2g/v1";
/// Truncated comparison tag of a doubly-blinded point.
pub const TAG: &[u8] = b"weft/psi/ecdh/tag/v1";
/// Truncated comparison tag of an OPRF output (unbalanced filter).
pub const OPRF_TAG: &[u8] = b"weft/psi/oprf/tag/v1";
/// Keyword lookup: row identifier derived from the OPRF output.
pub const KEYWORD_ID: &[u8] = b"weft/psi/keyword/id/v1";
/// Keyword lookup: AEAD key derived from the OPRF output.
pub const KEYWORD_KEY: &[u8] = b"weft/psi/keyword/key/v1";
/// Per-step transcript hash of exchanged messages.
pub const STEP_TRANSCRIPT: &[u8] = b"weft/psi/ecdh/step/v1";
/// Result digest both parties sign and the chain records.
pub const RESULT_DIGEST: &[u8] = b"weft/psi/result/v1";
/// Signed peer-to-peer message envelope.
pub const WIRE: &[u8] = b"weft/psi/wire/v1";
/// Signature over a result digest (what the on-chain module verifies).
pub const RESULT_SIGNATURE: &[u8] = b"weft/psi/result-sig/v1";
/// Transcript digest of one OPRF query session (unbalanced PSI or keyword lookup).
pub const OPRF_QUERY_DIGEST: &[u8] = b"weft/psi/oprf/query-digest/v1";
/// KKRT-PSI: digest of the session parameters.
pub const KKRT_PARAMS: &[u8] = b"weft/psi/kkrt/params/v1";
/// KKRT-PSI: base-OT key derivation.
pub const KKRT_BASE_OT: &[u8] = b"weft/psi/kkrt/base-ot/v1";
/// KKRT-PSI: item id and cuckoo bins of an item.
pub const KKRT_ITEM: &[u8] = b"weft/psi/kkrt/item/v1";
/// KKRT-PSI: the row hash `H` (OPRF output).
pub const KKRT_ROW_HASH: &[u8] = b"weft/psi/kkrt/row-hash/v1";
/// KKRT-PSI: result digest both parties sign.
pub const KKRT_RESULT: &[u8] = b"weft/psi/kkrt/result/v1";
/// Commitment to a set size.
pub const SIZE_COMMITMENT: &[u8] = b"weft/psi/size-commitment/v1";

/// SHA-256 over length-prefixed parts: `label || (len(part) || part)*`, unambiguous.
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

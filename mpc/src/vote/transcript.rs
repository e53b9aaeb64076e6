//! Every domain separator and proof context of the voting layer, in one place.
//!
//! All proofs of a poll are bound to its [`PollId`], which itself is a hash of the organiser,
//! the organiser's poll sequence number and the whole poll specification:
//!
//! | what | context / input |
//! |---|---|
//! | poll id | `SHA-256(POLL_ID || organiser || be64(seq) || borsh(spec))` |
//! | DKG proofs of possession | `DKG || poll id` |
//! | a counter's share-encryption key proof | `SHARE_KEY || poll id || be32(index)` |
//! | share encryption pad | `SHA-512(SHARE_PAD || poll id || be32(from) || be32(to) || E || K)` |
//! | ballot 0/1 (or 0/w) and total proofs | `BALLOT || poll id || nullifier` |
//! | Groth16 scope | `Scope::from_context(SCOPE || poll id)` |
//! | Groth16 signal | `Signal::from_message(ballot hash)` |
//! | ballot hash | `SHA-256(BALLOT_HASH || borsh(ballot without its membership proof))` |
//! | in-module batch weights | ChaCha20 seeded by `SHA-256(BATCH_SEED || ballot hash || membership proof)` |
//! | decryption shares | `TALLY || poll id` |

use sha2::{Digest, Sha256};

use super::PollId;

/// Poll identifiers.
pub(crate) const POLL_ID: &[u8] = b"weft/vote/poll-id/v1";
/// The DKG run of a poll.
pub(crate) const DKG: &[u8] = b"weft/vote/dkg/v1";
/// A counter's key for receiving encrypted DKG shares.
pub(crate) const SHARE_KEY: &[u8] = b"weft/vote/dkg-share-key/v1";
/// The one-time pad that encrypts a DKG share.
pub(crate) const SHARE_PAD: &[u8] = b"weft/vote/dkg-share-pad/v1";
/// Ballot validity proofs (per-choice and total).
pub(crate) const BALLOT: &[u8] = b"weft/vote/ballot/v1";
/// The ballot hash that the Groth16 proof signs as its signal.
pub(crate) const BALLOT_HASH: &[u8] = b"weft/vote/ballot-hash/v1";
/// The membership (nullifier) scope of a poll.
pub(crate) const SCOPE: &[u8] = b"weft/vote/scope/v1";
/// Deterministic batch-verification weights inside the module.
pub(crate) const BATCH_SEED: &[u8] = b"weft/vote/batch-seed/v1";
/// Threshold decryption of the tally.
pub(crate) const TALLY: &[u8] = b"weft/vote/tally/v1";

/// `label || poll id || extra`.
pub(crate) fn context(label: &[u8], poll: &PollId, extra: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + 32 + extra.len());
    out.extend_from_slice(label);
    out.extend_from_slice(&poll.0);
    out.extend_from_slice(extra);
    out
}

/// SHA-256 over length-prefixed parts (so part boundaries are unambiguous).
pub(crate) fn hash_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

//! Authenticated state: a Jellyfish Merkle tree (jmt, SHA-256) over all module state, with
//! inclusion and absence proofs a light client checks against a block header alone.
//!
//! The tree key of `(namespace, key)` is `KeyHash = SHA-256(namespace || 0x00 || key)`; the
//! tree version is the block height, and every version is kept, so proofs work at any height.

use jmt::proof::SparseMerkleProof;
use jmt::{KeyHash, RootHash};
use serde::{Deserialize, Serialize};

use crate::block::BlockHeader;
use crate::crypto::{hex_bytes, hex_opt_bytes};
use crate::error::ProofError;
use crate::module::state_key;

/// The JMT key hash of a full state key.
pub fn key_hash(full_key: &[u8]) -> KeyHash {
    KeyHash::with::<sha2::Sha256>(full_key)
}

/// A Merkle proof that `module`'s `key` has `value` (or is absent) in the state at `height`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProof {
    /// Height of the state.
    pub height: u64,
    /// Header of that block; the proof is checked against its `state_root`.
    pub header: BlockHeader,
    /// Module (namespace).
    pub module: String,
    /// Key within the module's namespace.
    #[serde(with = "hex_bytes")]
    pub key: Vec<u8>,
    /// The value, or `None` for a proof of absence.
    #[serde(with = "hex_opt_bytes")]
    pub value: Option<Vec<u8>>,
    /// Borsh-encoded sparse Merkle proof.
    #[serde(with = "hex_bytes")]
    pub proof: Vec<u8>,
}

impl StateProof {
    /// Verifies the proof against `self.header.state_root`.
    ///
    /// A light client must also check that it trusts `header` (for example through the block's
    /// commit certificate) and that `header.height == self.height`.
    pub fn verify(&self) -> Result<(), ProofError> {
        if self.header.height != self.height {
            return Err(ProofError::VerificationFailed);
        }
        verify_state_proof(
            &self.header,
            &self.module,
            &self.key,
            self.value.as_deref(),
            &self.proof,
        )
    }
}

/// Verifies that `module`'s `key` has `value` (`None`: is absent) under `header.state_root`.
/// A module name containing a NUL byte is refused as [`ProofError::Malformed`].
pub fn verify_state_proof(
    header: &BlockHeader,
    module: &str,
    key: &[u8],
    value: Option<&[u8]>,
    proof: &[u8],
) -> Result<(), ProofError> {
    // `namespace || 0x00 || key` is injective only if the namespace has no NUL (module names
    // never do): otherwise module "a\0b" key "c" would verify as module "a" key "b\0c".
    if module.as_bytes().contains(&0) {
        return Err(ProofError::Malformed);
    }
    let proof: SparseMerkleProof<sha2::Sha256> =
        borsh::from_slice(proof).map_err(|_| ProofError::Malformed)?;
    let kh = key_hash(&state_key(module, key));
    proof
        .verify(RootHash(header.state_root.0), kh, value)
        .map_err(|_| ProofError::VerificationFailed)
}

//! A credential's status proved against the chain: the bit of a `credentialStatus` entry read
//! from a [`StatusProof`] (two JMT state proofs and the block's commit certificate) instead of
//! from a node the verifier has to trust.
//!
//! # What [`verify`] checks, in order
//!
//! 1. The header is of the trusted chain and its [`CommitCertificate`] is for that header and
//!    signed by validators of the trusted set holding more than two thirds of its voting power
//!    ([`StatusProofError::BadCertificate`]).
//! 2. Both state proofs are at that header's height and embed that very header
//!    ([`StatusProofError::HeaderMismatch`]).
//! 3. The proofs are of the right keys: the list's metadata `status`/`l/<id>` and the chunk
//!    `status`/`c/<id><chunk>` that holds the entry's index ([`StatusProofError::WrongKey`]).
//! 4. Each proof binds its value (or absence) to the header's `state_root`
//!    ([`StatusProofError::ProofMismatch`]).
//! 5. The metadata decodes, the list exists, the entry's index is in range and its purpose is
//!    the list's; the chunk has the length the list implies (an absent chunk is all zero).
//! 6. With a maximum age, the header is not older than that (the verifier passes its clock, so
//!    the check stays pure) ([`StatusProofError::Stale`]).
//!
//! The caller chooses the trusted validator set: the set that committed the block (for block
//! `h`, the set in force after block `h - 1`). Trusting a set the prover hands over proves
//! nothing. The list's owner is returned so the caller can compare it with the issuer.

use serde::{Deserialize, Serialize};
use weft_chain::{Address, BlockHeader, CommitCertificate, Hash, PublicKey, StateProof};

use crate::status::{self, check_entry, ListMeta, StatusEntry, StatusError, StatusOutcome};

/// The proof bundle a node serves for one status index (`GET /status-lists/{id}/proof`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusProof {
    /// The list id.
    pub list: Hash,
    /// The index the bundle was requested for.
    pub index: u64,
    /// The chunk holding `index`.
    pub chunk_number: u32,
    /// The header of the proved state.
    pub header: BlockHeader,
    /// The certificate that committed `header`.
    pub certificate: CommitCertificate,
    /// Proof of the list's metadata (`l/<id>`).
    pub meta: StateProof,
    /// Proof of the chunk (`c/<id><chunk>`; absence means all zero).
    pub chunk: StateProof,
}

/// What the verifier trusts and how fresh the state must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofPolicy {
    /// The chain id the header must carry.
    pub chain_id: String,
    /// The validator set that committed the block: `(public key, voting power)`.
    pub validators: Vec<(PublicKey, u64)>,
    /// The verifier's clock (ms since the epoch), for `max_age_ms`.
    pub now_ms: u64,
    /// Refuse a header older than this (ms) if set.
    pub max_age_ms: Option<u64>,
}

/// A proven status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvenStatus {
    /// The entry's status.
    pub outcome: StatusOutcome,
    /// Height of the proved state.
    pub height: u64,
    /// Block time of that state (ms).
    pub timestamp_ms: u64,
    /// The list's owner account (compare with the credential's issuer).
    pub owner: Address,
}

/// Why a status proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusProofError {
    /// The entry is malformed, of another purpose or out of the list's range.
    #[error(transparent)]
    Entry(#[from] StatusError),
    /// The bundle is for another list than the entry's.
    #[error("proof is for list {found}, expected {expected}")]
    WrongList {
        /// The entry's list.
        expected: Hash,
        /// The bundle's list.
        found: Hash,
    },
    /// The header is of another chain.
    #[error("header of chain {found:?}, expected {expected:?}")]
    WrongChain {
        /// The trusted chain id.
        expected: String,
        /// The header's chain id.
        found: String,
    },
    /// The commit certificate is not for the header, has an unknown or duplicate signer, a bad
    /// signature, or not more than two thirds of the trusted voting power.
    #[error("commit certificate does not certify the header")]
    BadCertificate,
    /// A state proof is not of the certified header.
    #[error("state proof is not of the certified header")]
    HeaderMismatch,
    /// A state proof is of another module or key than the entry needs.
    #[error("state proof is for {found}, expected {expected}")]
    WrongKey {
        /// `module/hex key` expected.
        expected: String,
        /// `module/hex key` found.
        found: String,
    },
    /// A state proof does not bind its value to the header's state root.
    #[error("state proof does not match the state root")]
    ProofMismatch,
    /// The metadata proof proves the list absent.
    #[error("no status list {0} at the proved height")]
    UnknownList(Hash),
    /// A proved value does not decode (or a chunk has the wrong length).
    #[error("malformed proved value: {0}")]
    Malformed(String),
    /// The header is older than the maximum age.
    #[error("state at height {height} is {age_ms} ms old (at most {max_age_ms} ms)")]
    Stale {
        /// The proved height.
        height: u64,
        /// Its age.
        age_ms: u64,
        /// The limit.
        max_age_ms: u64,
    },
}

fn key_label(module: &str, key: &[u8]) -> String {
    format!("{module}/{}", hex::encode(key))
}

fn check_key(proof: &StateProof, key: &[u8]) -> Result<(), StatusProofError> {
    if proof.module != status::NAME || proof.key != key {
        return Err(StatusProofError::WrongKey {
            expected: key_label(status::NAME, key),
            found: key_label(&proof.module, &proof.key),
        });
    }
    Ok(())
}

/// Verifies `proof` for `entry` on list `list` under `policy`: see the module docs.
pub fn verify(
    entry: &StatusEntry,
    list: &Hash,
    proof: &StatusProof,
    policy: &ProofPolicy,
) -> Result<ProvenStatus, StatusProofError> {
    if proof.list != *list {
        return Err(StatusProofError::WrongList {
            expected: *list,
            found: proof.list,
        });
    }
    let header = &proof.header;
    if header.chain_id != policy.chain_id {
        return Err(StatusProofError::WrongChain {
            expected: policy.chain_id.clone(),
            found: header.chain_id.clone(),
        });
    }
    if !proof.certificate.verify(header, &policy.validators) {
        return Err(StatusProofError::BadCertificate);
    }
    for p in [&proof.meta, &proof.chunk] {
        if p.height != header.height || p.header != *header {
            return Err(StatusProofError::HeaderMismatch);
        }
    }
    let (chunk_number, local) = status::chunk_of(entry.index);
    check_key(&proof.meta, &status::meta_key(list))?;
    check_key(&proof.chunk, &status::chunk_key(list, chunk_number))?;
    proof
        .meta
        .verify()
        .map_err(|_| StatusProofError::ProofMismatch)?;
    proof
        .chunk
        .verify()
        .map_err(|_| StatusProofError::ProofMismatch)?;
    if let Some(max_age_ms) = policy.max_age_ms {
        let age_ms = policy.now_ms.saturating_sub(header.timestamp_ms);
        if age_ms > max_age_ms {
            return Err(StatusProofError::Stale {
                height: header.height,
                age_ms,
                max_age_ms,
            });
        }
    }
    let meta: ListMeta = match proof.meta.value.as_deref() {
        None => return Err(StatusProofError::UnknownList(*list)),
        Some(bytes) => borsh::from_slice(bytes)
            .map_err(|e| StatusProofError::Malformed(format!("list metadata: {e}")))?,
    };
    if meta.id != *list {
        return Err(StatusProofError::Malformed(
            "list metadata of another id".into(),
        ));
    }
    if entry.index >= meta.length {
        return Err(StatusError::OutOfRange {
            index: entry.index,
            length: meta.length,
        }
        .into());
    }
    let want = status::chunk_len(meta.length, chunk_number);
    let chunk = match proof.chunk.value.as_deref() {
        None => vec![0u8; want],
        Some(bytes) if bytes.len() == want => bytes.to_vec(),
        Some(bytes) => {
            return Err(StatusProofError::Malformed(format!(
                "chunk of {} bytes, expected {want}",
                bytes.len()
            )))
        }
    };
    let local_entry = StatusEntry {
        index: local,
        ..entry.clone()
    };
    let outcome = check_entry(&local_entry, meta.purpose, &chunk)?;
    Ok(ProvenStatus {
        outcome,
        height: header.height,
        timestamp_ms: header.timestamp_ms,
        owner: meta.owner,
    })
}

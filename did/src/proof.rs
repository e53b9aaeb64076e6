//! Verifiable DID reads: a DID document proved against a block header with the chain's JMT
//! state proofs, so a light verifier that trusts a header needs no trust in the resolver.
//!
//! A [`DocumentProof`] holds two proofs at one height: the DID's head (`h/<address>`, which
//! gives the latest version and the deactivated flag) and the resolved version record
//! (`v/<address>/<version>`). [`verify`] checks both against the header's state root, checks
//! that they are the keys of the claimed DID, and returns the decoded records; the verifier
//! then renders the document itself ([`crate::document::render`]) rather than trusting the
//! resolver's JSON.

use serde::{Deserialize, Serialize};
use weft_chain::{Address, StateProof};

use crate::error::DidError;
use crate::registry::{self, Head, VersionRecord};

/// Proofs of a DID's head and one of its versions, at one height.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentProof {
    /// Proof of `h/<address>`.
    pub head: StateProof,
    /// Proof of `v/<address>/<version>`.
    pub version: StateProof,
}

/// A verified DID version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The head at the proved height.
    pub head: Head,
    /// The version proved.
    pub version: u32,
    /// Its record.
    pub record: VersionRecord,
}

/// Verifies `proof` for the DID at `did` against its embedded header. The caller must separately
/// trust that header (its commit certificate, or a header it already holds at that height).
pub fn verify(proof: &DocumentProof, did: &Address) -> Result<Verified, DidError> {
    let (h, v) = (&proof.head, &proof.version);
    if h.height != v.height || h.header != v.header {
        return Err(DidError::ProofFailed);
    }
    if h.module != registry::NAME || v.module != registry::NAME {
        return Err(DidError::ProofFailed);
    }
    if h.key != registry::head_key(did) {
        return Err(DidError::ProofFailed);
    }
    h.verify().map_err(|_| DidError::ProofFailed)?;
    v.verify().map_err(|_| DidError::ProofFailed)?;
    let head: Head = h
        .value
        .as_deref()
        .and_then(|b| borsh::from_slice(b).ok())
        .ok_or(DidError::ProofFailed)?;
    let version = (1..=head.version)
        .rev()
        .find(|n| v.key == registry::version_key(did, *n))
        .ok_or(DidError::ProofFailed)?;
    let record: VersionRecord = v
        .value
        .as_deref()
        .and_then(|b| borsh::from_slice(b).ok())
        .ok_or(DidError::ProofFailed)?;
    Ok(Verified {
        head,
        version,
        record,
    })
}

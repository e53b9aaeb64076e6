//! `weft-mpc`: the privacy-computing protocols — private set intersection, anonymous voting and
//! secure aggregation — and their on-chain modules.
//!
//! Depends on `weft-chain` (for its on-chain modules, via the module interface only),
//! `weft-zk` (proofs, threshold ElGamal, membership circuits) and `weft-did` (credential checks
//! for credential-gated polls). It never talks HTTP or SQL: the service layer (`weft-service`)
//! and the HTTP layer (`weft-api`) drive these protocols over the network.
//!
//! - [`psi`]: private set intersection — KKRT16 ([`psi::kkrt`]: OT extension on fixed-key AES,
//!   base OTs on ristretto255, 3-way cuckoo hashing; intersection to one or both sides, with
//!   payloads) as the fast default; ECDH-PSI on ristretto255 (one side, both sides,
//!   cardinality); unbalanced PSI and keyword lookup over a DH-OPRF; signed peer envelopes, the
//!   request/response session protocol, and the `psi` on-chain module.
//! - [`vote`]: anonymous, verifiable voting — poll specs, counters' DKG, ballots with Groth16
//!   membership proofs and nullifiers, the homomorphic tally with DLEQ-proved decryption
//!   shares, the audit, the voter's booth (parameters, key loading, ballot building) and the
//!   `vote` on-chain module.
//! - [`compute`]: joint computation between data partners — declarative jobs, N-party secure
//!   aggregation (sum, count, mean, variance, histogram, group-by) over additive shares with
//!   input commitments, overflow-checked rings and a result digest. No on-chain module yet.
//!
//! FHE jobs (issue 24) are not built yet: an uncompiled draft sits in `mpc/drafts/fhe/`,
//! outside the build.

use std::sync::Arc;

use weft_chain::Module;

pub mod compute;
pub mod psi;
pub mod vote;

/// The on-chain modules of this crate, for the node's registry.
pub fn modules() -> Vec<Arc<dyn Module>> {
    let mut modules = psi::modules();
    modules.extend(vote::modules());
    modules
}

//! `weft-mpc`: private set intersection, anonymous voting, secure aggregation and
//! FHE jobs.
//!
//! Depends on `weft-chain` (for its on-chain modules, via the module interface
//! only) and `weft-zk` (proofs, threshold ElGamal, membership circuits). It must
//! never talk HTTP or SQL: those belong to `weft-api`.
//!
//! - [`psi`]: private set intersection — ECDH-PSI on ristretto255 (one-side, both-sides,
//!   cardinality), unbalanced PSI and keyword lookup over a DH-OPRF, signed peer envelopes,
//!   the request/response session protocol, and the `psi` on-chain module.
//! - [`vote`]: anonymous, verifiable voting (filled by the voting issue).
//! - [`compute`]: joint computation between data partners — declarative jobs, N-party
//!   secure aggregation (sum, count, mean, variance, histogram, group-by) over additive shares
//!   with input commitments, overflow-checked rings and a signed result digest.

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

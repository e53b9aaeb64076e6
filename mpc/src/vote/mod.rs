//! Anonymous, verifiable voting: library and the on-chain `vote` module.
//!
//! An organiser (governance permission `vote.organiser`) creates a poll; its counters run the
//! t-of-n DKG of weft-zk through the chain and the module records the joint key; the organiser
//! publishes the eligibility leaves (Poseidon commitments to voters' secrets) and seals the
//! roots; voters cast ballots from one-time accounts; the module verifies every proof and
//! keeps a running homomorphic sum; after the window any `t` counters' decryption shares
//! finish the tally; [`audit`] re-checks everything from chain data.
//!
//! - `types`: poll spec, ballot, calls, queries, recorded state ([`PollSpec`], [`Ballot`],
//!   [`VoteCall`], [`VoteQuery`], [`PollState`], [`PollRecord`]).
//! - `ballot`: making and verifying ballots ([`BallotVerifier`], [`Voter`]).
//! - `booth`: parameters and the booth for the CLI and HTTP layers: [`generate_params`],
//!   [`load_proving_key`] (checked) and [`load_by_digest`] (fast reload), [`build_ballot`]
//!   from recorded state ([`EligibilityTree`], [`BoothError`]).
//! - [`counter`]: the counters' DKG steps over the chain and their decryption shares.
//! - `module`: the on-chain module ([`VoteModule`]) and its rules.
//! - `audit`: [`audit`] of a [`PollRecord`].
//! - `transcript`: every domain separator and proof context (all bound to the poll id).
//!
//! Protocol notes, trust assumptions and limits: `mpc/docs/notes-vote.md`.

use std::sync::Arc;

use weft_chain::Module;

mod audit;
mod ballot;
mod booth;
pub mod counter;
mod errors;
mod module;
mod transcript;
mod types;

pub use audit::{audit, AuditReport, Check};
pub use ballot::{nullifier, scope, BallotVerifier, Voter};
pub use booth::{
    build_ballot, build_ballot_with_rng, generate_params, generate_params_with_rng, load_by_digest,
    load_proving_key, BoothError, EligibilityTree, GeneratedParams,
};
pub use errors::{BallotError, CounterError};
pub use module::{
    call, combine_tally, counter_did_address, query_args, validate_spec, VoteModule, NAME,
    ORGANISER_PERMISSION,
};
pub use types::*;

/// Protocol notes (render with `cargo doc -p weft-mpc --document-private-items`).
#[doc = include_str!("../../docs/notes-vote.md")]
mod notes {}

/// The on-chain modules of this part of the crate.
pub(crate) fn modules() -> Vec<Arc<dyn Module>> {
    vec![Arc::new(VoteModule::new())]
}

#[cfg(test)]
mod tests;

//! Private set intersection between two organisations.
//!
//! - [`kkrt`]: the default fast protocol — KKRT16 batched OPRF from OT extension (base OTs on
//!   ristretto255, fixed-key AES) with 3-way cuckoo hashing; intersection to one or both sides,
//!   with payloads.
//! - [`ecdh`]: ECDH-PSI on ristretto255 as a typestate machine per role — one-side, both-sides
//!   and cardinality-only modes, streamed in batches across all cores (rayon).
//! - [`oprf`]: a Diffie–Hellman OPRF, unbalanced PSI with a compact reusable filter, and
//!   keyword lookup (the client fetches the payload for its key; the server learns nothing).
//! - [`wire`]: signed, session-bound, sequenced envelopes between the parties' servers, and
//!   `did:key` resolution.
//! - [`ledger`]: the `psi` on-chain module (session record, size commitments, the result
//!   digest signed by both parties, failures).
//! - [`input`]: CSV columns and identifier normalisation.
//! - `group` (hash-to-group, blinding, strict decoding, truncated tags) and [`transcript`]
//!   (every domain-separation label) are shared by all of them.
//!
//! This module does no network IO: the transport (HTTP between two Weft servers) lives in
//! `weft-api`, which moves [`Message`]s inside [`wire::Envelope`]s.
//!
//! Protocol notes: `mpc/docs/notes-psi.md`.

use std::sync::Arc;

use weft_chain::Module;

pub mod ecdh;
mod error;
pub mod group;
pub mod input;
pub mod kkrt;
pub mod ledger;
pub mod oprf;
pub mod session;
pub mod transcript;
pub mod wire;

#[cfg(test)]
mod tests;

pub use ecdh::{
    InitiatorAwaitingTags, InitiatorBlinding, InitiatorComparing, InputSet, InputSetBuilder,
    Limits, LocalRun, Message, Mode, Outcome, ResponderBlinding, ResponderDoubling,
    ResponderFinishing, Revealed, SessionParams,
};
pub use error::PsiError;

/// The on-chain modules of this part of the crate.
pub(crate) fn modules() -> Vec<Arc<dyn Module>> {
    vec![Arc::new(ledger::PsiModule)]
}

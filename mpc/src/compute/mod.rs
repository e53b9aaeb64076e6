//! Joint computation between data partners: N-party secure aggregation over additive secret
//! shares, driven by a declarative job.
//!
//! - [`spec`]: the JSON job ([`JobSpec`]), its validation into a [`Job`] with the public
//!   aggregate layout, the overflow bound and ring choice, and the canonical job hash.
//! - [`input`]: a bounded CSV column reader that refuses malformed rows and out-of-range
//!   values, and local aggregation ([`LocalData::aggregate`]).
//! - [`protocol`]: the per-party typestate machine [`Committed`] -> [`Shared`] -> [`Partial`]
//!   -> [`Finished`], its public [`Message`] type and wire encoding, input commitments and the
//!   result digest.
//! - [`result`]: exact results (integers and reduced rationals).
//! - [`driver`]: every party in one process, for tests and benches.
//! - `ring` (Z_{2^64} or Z_{2^128}) and [`transcript`] (every domain-separation label).
//!
//! No network IO here: the transport (signed, authenticated messages between Weft servers) and
//! the chain records (job hash, consents, commitments, signed result digest) are wired by the
//! service layer. Protocol notes: `mpc/docs/notes-compute.md`.

pub mod driver;
mod error;
pub mod input;
pub mod protocol;
pub mod result;
mod ring;
pub mod spec;
pub mod transcript;

#[cfg(test)]
mod tests;

pub use error::ComputeError;
pub use input::{LocalAggregate, LocalData};
pub use protocol::{
    result_digest, verify_opening, Committed, Finished, Message, Opening, Outcome, Partial, Round,
    Shared,
};
pub use result::{ComputationResult, JobResult, Rational};
pub use ring::Ring;
pub use spec::{Computation, Job, JobSpec, Stat};

//! `weft-zk`: the proof systems Weft's credentials and voting stand on.
//!
//! (Module map to be completed as the modules land.)
//!
//! Ristretto255 side (Bulletproofs, sigma protocols, threshold ElGamal):
//! see `transcript`, `range`, `sigma`, `elgamal`, `dkg`, `dlog`.
//!
//! BN254 side (Groth16 membership circuit): see `membership`.
//!
//! **Invariant:** this crate does no IO and knows nothing of the chain.

// -- ristretto255 side --

pub mod dkg;
mod dlog;
mod elgamal;
mod encoding;
mod errors;
mod pedersen;
mod range;
pub mod sigma;
mod threshold;
mod transcript;

pub use dkg::{DkgParameters, GroupKey, KeyShare};
pub use dlog::DlogTable;
pub use elgamal::{add_vectors, Ciphertext, EncryptionRandomness, PublicKey, SecretKey};
pub use encoding::ENCODING_VERSION;
pub use errors::{DkgError, DlogError, EncodingError, ProofError, ThresholdError, VerificationError};
pub use pedersen::{pedersen_gens, Commitment, Opening, MAX_AGGREGATION};
pub use range::{
    AggregatedRangeProof, AggregatedRangeStatement, BitSize, IntervalProof, IntervalStatement,
    RangeProof, RangeStatement,
};
pub use threshold::DecryptionShare;
pub use transcript::Context;

// -- BN254 / Groth16 side --

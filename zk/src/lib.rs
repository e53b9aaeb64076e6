//! `weft-zk`: the proof systems Weft's credentials and voting stand on.
//!
//! Ristretto255 side (Bulletproofs, sigma protocols, threshold ElGamal). Every proof takes a
//! caller-supplied [`Context`] (poll id, credential id, verifier challenge) bound into its
//! transcript, and every verifier returns `Result<(), VerificationError>`.
//!
//! - `transcript`: the one place listing every merlin label and versioned domain separator.
//! - `encoding`: canonical versioned bytes (`version || tag || body`), strict decoding, serde.
//! - `pedersen`: [`Commitment`] / [`Opening`] over the Bulletproofs generators.
//! - `range`: [`RangeProof`] (8/16/32/64-bit), [`AggregatedRangeProof`], [`IntervalProof`]
//!   (`a <= v <= b` against one commitment), parallel verification.
//! - [`sigma`]: Schnorr, DLEQ, one-of-k / 0-1 ElGamal proofs, sum proofs; batch verification
//!   with 128-bit weights.
//! - `elgamal`: exponential ElGamal keys and ciphertexts ([`PublicKey`], [`Ciphertext`]).
//! - [`dkg`]: t-of-n Pedersen/Feldman DKG as typestate rounds, proofs of possession,
//!   complaints; [`GroupKey`] and [`KeyShare`].
//! - `threshold`: [`DecryptionShare`] with DLEQ proofs, Lagrange combination.
//! - `dlog`: [`DlogTable`], baby-step giant-step over `[0, bound]`.
//! - `errors`: one enum per layer; verification failures are opaque.
//!
//! **Invariant:** secrets ([`SecretKey`], [`Opening`], [`KeyShare`], DKG polynomials and
//! shares) are zeroized on drop, never print in `Debug`, and have no serde impls.
//!
//! BN254 side (Groth16 membership circuit): `membership` — Poseidon (BN254 `Fr`, t = 4, x^5,
//! 8 + 56 rounds), a sparse Poseidon Merkle tree, the R1CS circuit (root, nullifier, scope,
//! signal public), typed Groth16 setup (single-party, or a multi-party powers-of-tau + delta ceremony),
//! prove/verify/batch-verify, and canonical encodings.
//! Notes: `zk/docs/notes-membership.md`.
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
pub use errors::{
    DkgError, DlogError, EncodingError, ProofError, ThresholdError, VerificationError,
};
pub use pedersen::{pedersen_gens, Commitment, Opening, MAX_AGGREGATION};
pub use range::{
    AggregatedRangeProof, AggregatedRangeStatement, BitSize, IntervalProof, IntervalStatement,
    RangeProof, RangeStatement,
};
pub use threshold::DecryptionShare;
pub use transcript::Context;

/// Protocol notes of the ristretto255 side: notation, what the code does and why it is sound
/// (render with `cargo doc -p weft-zk --document-private-items`).
mod notes_ristretto {
    #[doc = include_str!("../docs/notes-range.md")]
    mod range {}
    #[doc = include_str!("../docs/notes-sigma.md")]
    mod sigma {}
    #[doc = include_str!("../docs/notes-threshold.md")]
    mod threshold {}
}

// -- BN254 / Groth16 side --

pub mod membership;

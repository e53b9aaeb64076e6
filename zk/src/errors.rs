//! Errors of the ristretto255 side, one enum per API layer.
//!
//! Verification failures are deliberately opaque ([`VerificationError`]): a verifier learns
//! "no" and nothing about which equation failed, so error paths cannot be used as an oracle.

use thiserror::Error;

/// A proof, share or batch did not verify.
///
/// Opaque on purpose: the reason (wrong statement, wrong context, tampered proof) is not
/// reported.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum VerificationError {
    /// The proof is not valid for the given statement and context.
    #[error("proof verification failed")]
    Invalid,
}

/// Decoding of a canonical byte encoding failed.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum EncodingError {
    /// The leading version byte is not one this build understands.
    #[error("unsupported encoding version {found}")]
    UnsupportedVersion {
        /// The version byte found.
        found: u8,
    },
    /// The type tag names a different kind of object than the one being decoded.
    #[error("wrong type tag: expected {expected:#04x}, found {found:#04x}")]
    WrongType {
        /// The tag of the type being decoded.
        expected: u8,
        /// The tag found in the input.
        found: u8,
    },
    /// The input ended before the object was complete.
    #[error("input truncated")]
    Truncated,
    /// Bytes remain after the object was decoded.
    #[error("trailing bytes after the encoded object")]
    TrailingBytes,
    /// A 32-byte string is not the canonical encoding of a ristretto255 point.
    #[error("invalid ristretto255 point encoding")]
    InvalidPoint,
    /// A point that must not be the identity is the identity.
    #[error("identity point where a non-identity point is required")]
    IdentityPoint,
    /// A 32-byte string is not a canonical (reduced) scalar.
    #[error("non-canonical scalar encoding")]
    NonCanonicalScalar,
    /// A length or count field is out of the allowed range.
    #[error("length field out of range")]
    InvalidLength,
    /// A parameter field (bit size, index, threshold) has a value that is not allowed.
    #[error("invalid parameter field")]
    InvalidParameter,
}

/// A prover could not produce a proof: the witness does not satisfy the statement or the
/// parameters are not supported. Never returned for a valid witness.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum ProofError {
    /// The committed value is outside the range the proof would claim.
    #[error("value is outside the claimed range")]
    ValueOutOfRange,
    /// The interval `[a, b]` is empty (`a > b`).
    #[error("empty interval: lower bound above upper bound")]
    EmptyInterval,
    /// Aggregation size is zero or above [`crate::MAX_AGGREGATION`].
    #[error("aggregation size {m} is not supported")]
    InvalidAggregation {
        /// The requested number of values.
        m: usize,
    },
    /// The witness does not match the public statement (for example an ElGamal plaintext
    /// that is not in the allowed set, or randomness that does not open the ciphertext).
    #[error("witness does not satisfy the statement")]
    WitnessMismatch,
    /// The allowed set of plaintexts is empty, too large or has duplicates.
    #[error("invalid set of allowed values")]
    InvalidAllowedSet,
    /// An input vector is empty where at least one element is needed.
    #[error("empty input")]
    EmptyInput,
    /// The Bulletproofs prover failed for an internal reason.
    #[error("bulletproofs prover failed")]
    Bulletproofs,
}

/// Errors of the bounded discrete logarithm (baby-step giant-step).
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum DlogError {
    /// The point is not `x * G` for any `x` in `[0, bound]`.
    #[error("discrete logarithm is not in [0, {bound}]")]
    OutOfRange {
        /// The table's inclusive upper bound.
        bound: u64,
    },
    /// The requested bound needs a table larger than supported.
    #[error("bound {bound} is too large for a baby-step giant-step table")]
    BoundTooLarge {
        /// The requested bound.
        bound: u64,
    },
}

/// Errors of the distributed key generation.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum DkgError {
    /// `t` and `n` must satisfy `1 <= t <= n <= MAX_PARTICIPANTS`.
    #[error("invalid parameters: threshold {threshold} of {participants}")]
    InvalidParameters {
        /// The requested threshold.
        threshold: u32,
        /// The requested number of participants.
        participants: u32,
    },
    /// A participant index is outside `1..=n`.
    #[error("participant index {index} is outside 1..=n")]
    UnknownParticipant {
        /// The offending index.
        index: u32,
    },
    /// Fewer than `t` participants remain qualified; the run must be restarted.
    #[error("only {qualified} qualified participants, threshold is {threshold}")]
    NotEnoughQualified {
        /// Number of qualified participants.
        qualified: usize,
        /// The threshold `t`.
        threshold: u32,
    },
    /// Our own contribution was disqualified by the others' complaints.
    #[error("this participant was disqualified")]
    SelfDisqualified,
    /// A qualified dealer's share to us is neither received nor revealed (only possible if
    /// the public complaint list given to `finish` differs from what the others used).
    #[error("no valid share from qualified dealer {dealer}")]
    MissingShare {
        /// The dealer.
        dealer: u32,
    },
    /// The qualified contributions sum to the identity, which is not a usable key. Happens
    /// with negligible probability when at least one contributor is honest.
    #[error("the joint public key is the identity")]
    DegenerateKey,
}

/// Errors of threshold decryption.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum ThresholdError {
    /// Fewer than `t` valid decryption shares from distinct participants were supplied.
    #[error("{valid} valid decryption shares, {threshold} needed")]
    NotEnoughShares {
        /// Valid shares from distinct qualified participants.
        valid: usize,
        /// The threshold `t`.
        threshold: u32,
    },
    /// The decryption share of this participant failed its DLEQ check.
    #[error("invalid decryption share from participant {index}")]
    InvalidShare {
        /// The participant whose share was rejected.
        index: u32,
    },
    /// The share comes from an index that is not in the qualified set.
    #[error("participant {index} is not a qualified key holder")]
    NotQualified {
        /// The offending index.
        index: u32,
    },
    /// The combined plaintext is outside the discrete-log table's range.
    #[error(transparent)]
    Dlog(#[from] DlogError),
}

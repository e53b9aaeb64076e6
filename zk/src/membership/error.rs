//! One error enum per API layer of the membership circuit.

use ark_relations::gr1cs::SynthesisError;

/// Errors from the native Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The depth is outside `1..=MAX_DEPTH`.
    #[error("unsupported tree depth {depth} (supported: 1..={max})")]
    UnsupportedDepth {
        /// The depth asked for.
        depth: usize,
        /// The largest supported depth.
        max: usize,
    },
    /// Every leaf slot is taken.
    #[error("tree is full ({capacity} leaves)")]
    Full {
        /// Number of leaves the tree holds.
        capacity: u64,
    },
    /// No leaf has been inserted at this index.
    #[error("leaf index {index} out of range (tree has {len} leaves)")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// Number of leaves inserted so far.
        len: u64,
    },
}

/// Errors from parameter generation.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The depth is outside `1..=MAX_DEPTH`.
    #[error("unsupported tree depth {depth} (supported: 1..={max})")]
    UnsupportedDepth {
        /// The depth asked for.
        depth: usize,
        /// The largest supported depth.
        max: usize,
    },
    /// arkworks failed to synthesise the circuit or build the keys (an internal error).
    #[error("parameter generation failed: {0}")]
    Synthesis(#[from] SynthesisError),
}

/// Errors from proving. The prover checks the witness natively first, so a bad witness is
/// reported here instead of producing a proof that cannot verify.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The authentication path has a different length from the proving key's tree depth.
    #[error("path has depth {found}, proving key expects {expected}")]
    DepthMismatch {
        /// The proving key's depth.
        expected: usize,
        /// The path's depth.
        found: usize,
    },
    /// The secret and path do not hash to the statement's root.
    #[error("witness does not open to the statement's root")]
    RootMismatch,
    /// The secret and scope do not hash to the statement's nullifier.
    #[error("witness does not produce the statement's nullifier")]
    NullifierMismatch,
    /// arkworks failed to synthesise the circuit or build the proof (an internal error).
    #[error("proof generation failed: {0}")]
    Synthesis(#[from] SynthesisError),
}

/// A proof did not verify. Deliberately opaque: the verifier learns nothing about why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// The proof (or, for batch verification, at least one proof in the batch) is invalid for
    /// the statement and verifying key.
    #[error("membership proof verification failed")]
    InvalidProof,
}

/// Errors decoding canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is shorter than the fixed header.
    #[error("input too short")]
    Truncated,
    /// The version byte is not one this build understands.
    #[error("unknown encoding version {found}")]
    UnknownVersion {
        /// The version byte found.
        found: u8,
    },
    /// The kind byte names a different object (e.g. a verifying key where a proof was expected).
    #[error("wrong object kind: expected {expected:#04x}, found {found:#04x}")]
    WrongKind {
        /// The kind expected.
        expected: u8,
        /// The kind found.
        found: u8,
    },
    /// The depth byte is outside the supported range.
    #[error("unsupported tree depth {found}")]
    UnsupportedDepth {
        /// The depth byte found.
        found: u8,
    },
    /// The payload is not a valid arkworks encoding: bad length, a field element out of range,
    /// a point off the curve or outside the prime-order subgroup.
    #[error("malformed payload")]
    Malformed,
    /// A member secret is zero: its leaf `Poseidon(DOMAIN_LEAF, 0)` is public knowledge, so
    /// anyone could prove membership with it (an all-zero buffer is not a secret).
    #[error("zero member secret")]
    ZeroSecret,
    /// A key's sizes do not match the circuit at the depth it claims.
    #[error("key does not match the circuit at its depth")]
    ShapeMismatch,
    /// Bytes remain after a complete object.
    #[error("{count} trailing bytes")]
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
    /// The payload decodes, but is not the unique canonical encoding of its value.
    #[error("non-canonical encoding")]
    NonCanonical,
    /// The bytes do not hash to the expected proving-key digest (tampered, truncated, or
    /// another key).
    #[error("proving key digest mismatch")]
    DigestMismatch,
}

impl DecodeError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Truncated => "truncated",
            DecodeError::UnknownVersion { .. } => "unknown_version",
            DecodeError::WrongKind { .. } => "wrong_kind",
            DecodeError::UnsupportedDepth { .. } => "unsupported_depth",
            DecodeError::Malformed => "malformed",
            DecodeError::ZeroSecret => "zero_secret",
            DecodeError::ShapeMismatch => "shape_mismatch",
            DecodeError::TrailingBytes { .. } => "trailing_bytes",
            DecodeError::NonCanonical => "non_canonical",
            DecodeError::DigestMismatch => "digest_mismatch",
        }
    }
}

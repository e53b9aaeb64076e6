//! Errors of the voting layer.

use thiserror::Error;

/// A ballot could not be made, or was refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum BallotError {
    /// The ballot names another poll.
    #[error("the ballot is for another poll")]
    WrongPoll,
    /// The ballot has the wrong number of ciphertexts or proofs.
    #[error("expected {expected} choices, found {found}")]
    ChoiceCount {
        /// Choices of the poll.
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// The ballot names an eligibility class the poll does not have.
    #[error("unknown eligibility class {0}")]
    UnknownClass(u32),
    /// A field does not decode.
    #[error("malformed ballot: {0}")]
    Malformed(String),
    /// Some choice's ciphertext is not proven to encrypt 0 or the class weight.
    #[error("a choice is out of range (its 0/1 proof does not verify)")]
    ChoiceOutOfRange,
    /// The total is not proven to obey the poll's rule.
    #[error("the ballot's total breaks the poll's rule")]
    RuleViolated,
    /// The membership proof does not verify for this ballot (wrong, replayed or moved).
    #[error("the membership proof does not verify for this ballot")]
    Membership,
    /// Making a proof failed (client side).
    #[error("could not make the ballot: {0}")]
    Prove(String),
}

/// A counter's DKG step failed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CounterError {
    /// The underlying DKG failed.
    #[error("dkg: {0}")]
    Dkg(#[from] weft_zk::DkgError),
    /// A recorded object does not decode.
    #[error("malformed DKG record: {0}")]
    Malformed(String),
    /// This account is not a counter of the poll.
    #[error("not a counter of this poll")]
    NotACounter,
}

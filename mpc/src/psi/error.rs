//! Errors of the PSI protocol layer.

/// Why a PSI step failed. Every variant is a clear, final verdict on the session: the state
/// machine that returned it is consumed or must be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PsiError {
    /// A message carried another session's id (replayed or misrouted).
    #[error("message belongs to session {found}, expected {expected}")]
    WrongSession {
        /// Session id of this session (hex).
        expected: String,
        /// Session id in the message (hex).
        found: String,
    },
    /// A message arrived for a step this state does not accept, or out of order.
    #[error("unexpected message: expected {expected}, found {found}")]
    UnexpectedMessage {
        /// What this state expects.
        expected: String,
        /// What arrived.
        found: String,
    },
    /// A point encoding was not a canonical ristretto255 encoding.
    #[error("item {index} of batch {batch} is not a canonical ristretto255 point")]
    InvalidPoint {
        /// Batch sequence number.
        batch: u64,
        /// Index inside the batch.
        index: usize,
    },
    /// A point was the identity (it would match every other identity and carries no item).
    #[error("item {index} of batch {batch} is the identity point")]
    IdentityPoint {
        /// Batch sequence number.
        batch: u64,
        /// Index inside the batch.
        index: usize,
    },
    /// The peer sent more items than it declared (or than the limits allow).
    #[error("too many items: {found} received, at most {limit} allowed")]
    TooManyItems {
        /// Items received so far, including this batch.
        found: u64,
        /// Declared or configured limit.
        limit: u64,
    },
    /// The peer finished a step with fewer items than declared.
    #[error("incomplete step: {found} items received, {expected} declared")]
    Incomplete {
        /// Items received.
        found: u64,
        /// Items declared.
        expected: u64,
    },
    /// A batch exceeded the negotiated batch size.
    #[error("batch of {found} items exceeds the limit of {limit}")]
    BatchTooLarge {
        /// Items in the batch.
        found: usize,
        /// Limit.
        limit: usize,
    },
    /// A message could not be decoded.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Session parameters are invalid (sizes over the limit, zero batch size, ...).
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// A message signature did not verify against the peer's pinned key.
    #[error("message signature does not verify against the peer's key")]
    BadSignature,
    /// A message sequence number was not the next one (replay, reordering or loss).
    #[error("message sequence {found}, expected {expected}")]
    BadSequence {
        /// Next expected sequence number.
        expected: u64,
        /// Sequence number found.
        found: u64,
    },
    /// A DID could not be resolved to an Ed25519 key locally.
    #[error("unsupported or malformed DID {0:?}")]
    BadDid(String),
    /// A keyword-lookup table held the same key twice.
    #[error("duplicate key in keyword table")]
    DuplicateKey,
    /// Authenticated decryption of a keyword-lookup payload failed.
    #[error("keyword payload failed to decrypt")]
    Decrypt,
    /// Reading or parsing an input file failed.
    #[error("input: {0}")]
    Input(String),
    /// A CSV row has another number of fields than the header row (a ragged row). Lines are
    /// numbered from 1, the header being line 1; blank lines count.
    #[error("CSV line {line}: {found} fields, but the header has {expected}")]
    RaggedRow {
        /// The 1-based line number.
        line: u64,
        /// Fields in the header row.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// The CSV header row has no column of this name.
    #[error("CSV line 1: no column {0:?} in the header")]
    NoColumn(String),
    /// A message field had another length than the agreed parameters imply.
    #[error("{what}: expected {expected}, found {found}")]
    BadLength {
        /// Which field.
        what: &'static str,
        /// Length the parameters imply.
        expected: u64,
        /// Length found.
        found: u64,
    },
    /// The peer runs the session with other parameters than ours (sizes, mode, payload).
    #[error("the peer's session parameters differ from ours")]
    ParamsMismatch,
    /// The receiver's items admit no cuckoo placement (probability below 2^-41 per session;
    /// retry with a fresh session id).
    #[error("cuckoo hashing found no placement; retry with a new session id")]
    CuckooFailed,
}

impl PsiError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            PsiError::WrongSession { .. } => "psi.wrong_session",
            PsiError::UnexpectedMessage { .. } => "psi.unexpected_message",
            PsiError::InvalidPoint { .. } => "psi.invalid_point",
            PsiError::IdentityPoint { .. } => "psi.identity_point",
            PsiError::TooManyItems { .. } => "psi.too_many_items",
            PsiError::Incomplete { .. } => "psi.incomplete",
            PsiError::BatchTooLarge { .. } => "psi.batch_too_large",
            PsiError::Malformed(_) => "psi.malformed",
            PsiError::InvalidParams(_) => "psi.invalid_params",
            PsiError::BadSignature => "psi.bad_signature",
            PsiError::BadSequence { .. } => "psi.bad_sequence",
            PsiError::BadDid(_) => "psi.bad_did",
            PsiError::DuplicateKey => "psi.duplicate_key",
            PsiError::Decrypt => "psi.decrypt",
            PsiError::Input(_) => "psi.input",
            PsiError::RaggedRow { .. } => "psi.ragged_row",
            PsiError::NoColumn(_) => "psi.no_column",
            PsiError::BadLength { .. } => "psi.bad_length",
            PsiError::ParamsMismatch => "psi.params_mismatch",
            PsiError::CuckooFailed => "psi.cuckoo_failed",
        }
    }
}

pub(crate) fn hex32(b: &[u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

//! Error types, one per API layer.
//!
//! - [`DecodeError`]: canonical (borsh) or hex decoding failed.
//! - [`TxRejection`]: why the pool refused a transaction; each has a stable [`TxRejection::code`].
//! - [`CallError`]: a read-only module query failed.
//! - [`ProofError`]: a state proof did not verify.
//! - [`ChainError`]: node-level failures (storage, corruption, startup checks).
//! - [`BlockRejection`]: why a proposed, decided or synced block was refused.

use crate::crypto::Hash;

/// A canonical binary or hex encoding could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not a valid borsh encoding of the expected type (or have trailing bytes).
    #[error("malformed encoding: {0}")]
    Malformed(String),
    /// The encoding carries a version this node does not understand.
    #[error("unsupported encoding version {0}")]
    UnsupportedVersion(u8),
    /// The hex text is invalid or has the wrong length.
    #[error("invalid hex: {0}")]
    Hex(String),
}

/// Why the transaction pool refused a transaction. Clients see the message and the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxRejection {
    /// The transaction bytes could not be decoded.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// The transaction encoding version is unknown.
    #[error("unsupported transaction version {0}")]
    UnsupportedVersion(u8),
    /// The transaction is for another chain.
    #[error("wrong chain id: expected {expected:?}, got {got:?}")]
    WrongChainId {
        /// This node's chain id.
        expected: String,
        /// The transaction's chain id.
        got: String,
    },
    /// The signature does not verify against the sender key.
    #[error("bad signature")]
    BadSignature,
    /// The nonce was already used by a committed or pooled transaction of this sender.
    #[error("nonce already used: expected at least {expected_at_least}, got {got}")]
    NonceAlreadyUsed {
        /// The lowest nonce that could still be accepted.
        expected_at_least: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The nonce is too far ahead of the sender's next nonce.
    #[error("nonce gap too large: next nonce is {next}, got {got} (max gap {max_gap})")]
    NonceGapTooLarge {
        /// The sender's next expected nonce.
        next: u64,
        /// The transaction's nonce.
        got: u64,
        /// The largest gap the pool accepts.
        max_gap: u64,
    },
    /// This exact transaction is already pooled or committed.
    #[error("duplicate transaction")]
    Duplicate,
    /// The pool holds its maximum number of transactions; retry later.
    #[error("transaction pool full (capacity {capacity})")]
    PoolFull {
        /// The pool capacity.
        capacity: usize,
    },
    /// The sender already has the maximum number of pooled transactions.
    #[error("sender has too many pending transactions")]
    SenderQuotaExceeded,
    /// The encoded transaction exceeds the size limit.
    #[error("transaction too large: {size} bytes (max {max})")]
    Oversized {
        /// Encoded size.
        size: usize,
        /// Size limit.
        max: usize,
    },
    /// The call names a module this chain does not run.
    #[error("unknown module {0:?}")]
    UnknownModule(String),
    /// The node could not make the transaction durable (storage failure); retry later.
    #[error("node storage unavailable: {0}")]
    Unavailable(String),
}

impl TxRejection {
    /// A stable numeric code for clients (never reused for another meaning).
    pub fn code(&self) -> i32 {
        match self {
            TxRejection::Malformed(_) => 1,
            TxRejection::UnsupportedVersion(_) => 2,
            TxRejection::WrongChainId { .. } => 3,
            TxRejection::BadSignature => 4,
            TxRejection::NonceAlreadyUsed { .. } => 5,
            TxRejection::NonceGapTooLarge { .. } => 6,
            TxRejection::Duplicate => 7,
            TxRejection::PoolFull { .. } => 8,
            TxRejection::SenderQuotaExceeded => 9,
            TxRejection::Oversized { .. } => 10,
            TxRejection::UnknownModule(_) => 11,
            TxRejection::Unavailable(_) => 12,
        }
    }
}

impl From<DecodeError> for TxRejection {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::UnsupportedVersion(v) => TxRejection::UnsupportedVersion(v),
            other => TxRejection::Malformed(other.to_string()),
        }
    }
}

/// A read-only module query (`call`) failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No module with this name is registered.
    #[error("unknown module {0:?}")]
    UnknownModule(String),
    /// The requested height is above the chain head.
    #[error("height {requested} not available (head is {head})")]
    HeightUnavailable {
        /// Requested height.
        requested: u64,
        /// Current head.
        head: u64,
    },
    /// The module refused or failed the query.
    #[error(transparent)]
    Module(#[from] crate::module::ModuleError),
    /// Reading state failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// A state proof did not verify. Deliberately opaque about which part failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof bytes could not be decoded.
    #[error("malformed proof")]
    Malformed,
    /// The proof does not bind the claimed key and value to the header's state root.
    #[error("state proof verification failed")]
    VerificationFailed,
}

/// A storage-engine failure (redb), kept opaque above the store.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StorageError(pub String);

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self { StorageError(e.to_string()) }
        }
        impl From<$t> for ChainError {
            fn from(e: $t) -> Self { ChainError::Storage(StorageError(e.to_string())) }
        }
    )*};
}
storage_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    std::io::Error
);

/// Node-level failures.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Stored data could not be decoded or is inconsistent.
    #[error("corrupt ledger data: {0}")]
    Corrupt(String),
    /// On open, the stored state root differs from the head header's state root.
    #[error("state root mismatch at height {height}: header has {expected}, state has {got}")]
    StateRootMismatch {
        /// Head height.
        height: u64,
        /// Root in the head header.
        expected: Hash,
        /// Root recomputed from stored state.
        got: Hash,
    },
    /// The data directory belongs to another chain (different genesis).
    #[error("data directory holds chain {stored}, but genesis is for {expected}")]
    GenesisMismatch {
        /// Genesis hash or chain id given.
        expected: String,
        /// What the data directory holds.
        stored: String,
    },
    /// The genesis document is invalid.
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    /// A module failed while applying genesis.
    #[error("module {module} failed at genesis: {message}")]
    GenesisModule {
        /// Module name.
        module: String,
        /// Its error.
        message: String,
    },
    /// The requested height is above the head.
    #[error("height {requested} not available (head is {head})")]
    HeightUnavailable {
        /// Requested height.
        requested: u64,
        /// Current head.
        head: u64,
    },
    /// The signing key is not a validator of this chain.
    #[error("key {0} is not a validator")]
    NotValidator(crate::crypto::PublicKey),
    /// The authenticated state tree failed.
    #[error("state tree: {0}")]
    Tree(String),
    /// A proposed or received block is not valid on top of this node's head.
    #[error("invalid block: {0}")]
    InvalidBlock(#[from] BlockRejection),
}

/// Why a proposed, decided or synced block was refused (checked before voting and committing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockRejection {
    /// The block is not for the next height.
    #[error("block height {got} is not the next height {expected}")]
    WrongHeight {
        /// Head height + 1.
        expected: u64,
        /// The block's height.
        got: u64,
    },
    /// The block does not extend this node's head.
    #[error("block does not extend the head (parent hash mismatch)")]
    WrongParent,
    /// The header names another chain.
    #[error("block is for chain {0:?}")]
    WrongChainId(String),
    /// The timestamp goes back in time or is too far in the future.
    #[error("block timestamp {got} outside [{min}, {max}]")]
    BadTimestamp {
        /// The block's timestamp.
        got: u64,
        /// Parent timestamp.
        min: u64,
        /// Local clock plus the allowed drift.
        max: u64,
    },
    /// The proposer is not in the validator set.
    #[error("proposer {0} is not a validator")]
    NotAValidator(String),
    /// A transaction's signature does not verify (strict check).
    #[error("transaction {0} has a bad signature")]
    BadTransactionSignature(usize),
    /// Re-execution left out a transaction the proposer included.
    #[error("transaction {index} is not executable: {reason}")]
    NotExecutable {
        /// Position in the block.
        index: usize,
        /// Why the executor left it out.
        reason: String,
    },
    /// Re-executing the transactions gives another header (state root, roots, validators...).
    #[error("header differs from re-execution: {0}")]
    HeaderMismatch(String),
    /// Too many transactions or bytes.
    #[error("block exceeds the size limits")]
    TooLarge,
    /// The commit certificate does not verify against the validator set.
    #[error("commit certificate does not verify")]
    BadCertificate,
}

impl ChainError {
    pub(crate) fn corrupt(e: impl std::fmt::Display) -> Self {
        ChainError::Corrupt(e.to_string())
    }
}

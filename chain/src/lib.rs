//! `weft-chain`: the Weft ledger core — transactions, blocks, authenticated state, storage,
//! modules and the node that ties them together.
//!
//! # Boundaries
//!
//! - **Ordering (consensus)**: the [`mempool`] is the ordering source; the `SingleValidator`
//!   driver ([`single`]) takes ready transactions, executes, signs a commit certificate and
//!   commits. BFT consensus ([`consensus`], Malachite) uses `Node::build_proposal`,
//!   `Node::check_proposal` (full checks and re-execution before voting) and
//!   `Node::commit_block` (2f+1 certificate verified before committing) instead.
//! - **Execution (state machine)**: [`executor`] runs a block's transactions through
//!   [`Module`]s against a snapshot of committed state and returns an `ExecutedBlock`
//!   (header, receipts, pending writes, tree update). It writes nothing.
//! - **Storage**: [`store`] (`LedgerStore`, redb implementation) commits an executed block in one
//!   write transaction; [`state`] holds the authenticated-state (JMT) proofs.
//!
//! # Invariants
//!
//! - Execution is deterministic: modules see only the transaction, its signer, block height and
//!   timestamp, and state — no clock, randomness or IO.
//! - One redb write transaction (one fsync) per block; a crash loses no committed block and a
//!   restart reaches the same state root (checked on open).
//! - Nothing accepted is dropped silently: `submit` returns only once the transaction is durable
//!   in the pool journal; an eviction is recorded as `Dropped` with a reason.
//! - This crate knows nothing of HTTP, DIDs, PSI or SQL.
//!
//! # Module map
//!
//! - `crypto`: hashes, addresses, Ed25519 keys and signatures.
//! - `tx`: transactions and their versioned signed encoding; parallel strict signature checks.
//! - `block`: headers, blocks, receipts, commit certificates, Merkle roots.
//! - `genesis`: the genesis document.
//! - [`module`]: the module interface; [`governance`]: the first module.
//! - [`state`]: state proofs; [`store`]: the redb ledger store; [`executor`]: the state machine.
//! - [`mempool`]: the transaction pool and its journal; `node`: the node API; [`single`]: the
//!   single-validator driver; [`consensus`]: the BFT driver (Malachite: context, signing, WAL codec,
//!   durable proposals, the app loop).
//! - `error`: one error enum per layer.

mod block;
pub mod consensus;
mod crypto;
mod error;
pub mod executor;
mod genesis;
pub mod governance;
pub mod mempool;
pub mod module;
mod node;
pub mod single;
pub mod state;
pub mod store;
pub mod tx;

pub use block::{
    merkle_root, Block, BlockHeader, CommitCertificate, CommittedBlock, Event, Receipt,
    ReceiptStatus, TxError, TxErrorKind, ValidatorSignature,
};
pub use crypto::{Address, Hash, Keypair, PublicKey, Signature};
pub use error::{
    BlockRejection, CallError, ChainError, DecodeError, ProofError, StorageError, TxRejection,
};
pub use genesis::{is_valid_chain_id, Genesis, GenesisValidator};
pub use module::{Module, ModuleError, ModuleRegistry, ReadContext, TxContext};
pub use node::{
    BlockConfig, Node, NodeConfig, PoolConfig, SyncStatus, TxRecord, TxStatus, Validator,
};
pub use single::{SingleValidator, SingleValidatorHandle};
pub use state::{verify_state_proof, StateProof};
pub use tx::{Call, SignedTransaction, Transaction};

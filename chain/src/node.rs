//! The node: ties the mempool (ordering source), the executor (state machine) and the ledger
//! store together behind one API used by the RPC server and the consensus driver.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::block::{Block, CommittedBlock, Receipt};
use crate::crypto::{Address, Hash, PublicKey};
use crate::error::{CallError, ChainError, TxRejection};
use crate::genesis::Genesis;
use crate::module::ModuleRegistry;
use crate::state::StateProof;
use crate::tx::SignedTransaction;

/// Transaction pool limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolConfig {
    /// Maximum number of pooled transactions.
    pub capacity: usize,
    /// Largest accepted distance between a nonce and the sender's next nonce.
    pub max_nonce_gap: u64,
    /// Maximum encoded transaction size in bytes.
    pub max_tx_bytes: usize,
    /// Maximum pooled transactions per sender.
    pub per_sender_quota: usize,
    /// A transaction waiting this long behind a nonce gap is dropped (with a recorded reason).
    #[serde(with = "duration_ms")]
    pub gap_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            capacity: 200_000,
            max_nonce_gap: 64,
            max_tx_bytes: 64 * 1024,
            per_sender_quota: 1024,
            gap_timeout: Duration::from_secs(600),
        }
    }
}

/// Block production parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockConfig {
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// How long to wait for more transactions once the first one arrives.
    #[serde(with = "duration_ms")]
    pub batch_delay: Duration,
    /// An empty block is committed after this long without transactions (heartbeat).
    #[serde(with = "duration_ms")]
    pub max_block_interval: Duration,
}

impl Default for BlockConfig {
    fn default() -> Self {
        BlockConfig {
            max_block_txs: 5000,
            batch_delay: Duration::from_millis(5),
            max_block_interval: Duration::from_secs(10),
        }
    }
}

/// Node configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeConfig {
    /// Directory holding the ledger database and the pool journal.
    pub data_dir: PathBuf,
    /// Pool limits.
    pub pool: PoolConfig,
    /// Block production.
    pub block: BlockConfig,
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// A committed transaction and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction.
    pub tx: SignedTransaction,
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// Block hash.
    pub block_hash: Hash,
}

/// Where a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// Accepted and durable in the pool, not yet in a block.
    Pending,
    /// In a committed block.
    Committed {
        /// Block height.
        height: u64,
    },
    /// Accepted, then evicted from the pool without being committed.
    Dropped {
        /// Why.
        reason: String,
    },
    /// Never seen by this node.
    Unknown,
}

/// Chain head and pool summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Chain id.
    pub chain_id: String,
    /// Head height.
    pub latest_height: u64,
    /// Head block hash.
    pub latest_hash: Hash,
    /// Head timestamp.
    pub latest_timestamp_ms: u64,
    /// Whether the node is catching up (always false for a single validator).
    pub syncing: bool,
    /// Pooled transactions.
    pub pool_size: usize,
}

/// A member of the validator set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    /// Name.
    pub name: String,
    /// Consensus key.
    pub public_key: PublicKey,
    /// Address of the key.
    pub address: Address,
    /// Voting power.
    pub power: u64,
}

/// A ledger node. Cheap to share as `Arc<Node>`; every method takes `&self`.
#[derive(Debug)]
pub struct Node {
    genesis: Genesis,
}

impl Node {
    /// Opens the node's data directory, creating the genesis block on first start, checking the
    /// stored state root against the head header, and replaying the pool journal.
    pub fn open(
        config: NodeConfig,
        genesis: Genesis,
        modules: ModuleRegistry,
    ) -> Result<Arc<Node>, ChainError> {
        let _ = (config, modules);
        Ok(Arc::new(Node { genesis }))
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    /// The genesis document.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// Admits a transaction; `Ok` means it is durable in the pool journal.
    pub fn submit(&self, tx: SignedTransaction) -> Result<Hash, TxRejection> {
        let _ = tx;
        unimplemented!()
    }

    /// Admits many transactions with one batch signature check and one journal fsync.
    pub fn submit_batch(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash, TxRejection>> {
        let _ = txs;
        unimplemented!()
    }

    /// Head height.
    pub fn height(&self) -> u64 {
        unimplemented!()
    }

    /// The block at `height`.
    pub fn block_by_number(&self, height: u64) -> Result<Option<Block>, ChainError> {
        let _ = height;
        unimplemented!()
    }

    /// The block with this hash.
    pub fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, ChainError> {
        let _ = hash;
        unimplemented!()
    }

    /// A committed transaction.
    pub fn transaction(&self, hash: &Hash) -> Result<Option<TxRecord>, ChainError> {
        let _ = hash;
        unimplemented!()
    }

    /// The receipt of a committed transaction.
    pub fn receipt(&self, hash: &Hash) -> Result<Option<Receipt>, ChainError> {
        let _ = hash;
        unimplemented!()
    }

    /// Where a transaction stands.
    pub fn tx_status(&self, hash: &Hash) -> Result<TxStatus, ChainError> {
        let _ = hash;
        unimplemented!()
    }

    /// The next nonce `address` should use (committed nonce plus pooled transactions).
    pub fn next_nonce(&self, address: &Address) -> Result<u64, ChainError> {
        let _ = address;
        unimplemented!()
    }

    /// A read-only module query at `height` (head if `None`).
    pub fn call(
        &self,
        module: &str,
        method: &str,
        args: &[u8],
        height: Option<u64>,
    ) -> Result<Vec<u8>, CallError> {
        let _ = (module, method, args, height);
        unimplemented!()
    }

    /// A proof of `module`'s `key` (inclusion or absence) at `height` (head if `None`).
    pub fn state_proof(
        &self,
        module: &str,
        key: &[u8],
        height: Option<u64>,
    ) -> Result<StateProof, ChainError> {
        let _ = (module, key, height);
        unimplemented!()
    }

    /// The validator set at `height` (head if `None`).
    pub fn validators(&self, height: Option<u64>) -> Result<Vec<Validator>, ChainError> {
        let _ = height;
        unimplemented!()
    }

    /// Head and pool summary.
    pub fn sync_status(&self) -> SyncStatus {
        unimplemented!()
    }

    /// Committed blocks, as they are committed.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<CommittedBlock>> {
        unimplemented!()
    }
}

//! The ledger store: blocks, transactions, receipts and the authenticated state in redb.
//!
//! **Invariant:** a block is committed in exactly one redb write transaction (one fsync) holding
//! the header, certificate, transactions and their index, receipts, the JMT nodes and versioned
//! values of its state writes, and the head pointer. A crash leaves either all of it or none.

use std::path::Path;

use jmt::storage::{LeafNode, Node as JmtNode, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, RootHash, Version};
use redb::{Database, ReadOnlyTable, ReadableDatabase, TableDefinition};

use crate::block::{Block, BlockHeader, CommitCertificate, Receipt};
use crate::crypto::Hash;
use crate::error::{ChainError, StorageError};
use crate::executor::ExecutedBlock;
use crate::module::StateRead;
use crate::state::key_hash;
use crate::tx::SignedTransaction;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// height -> borsh (header, certificate)
const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
/// block hash -> height
const BLOCK_HASHES: TableDefinition<[u8; 32], u64> = TableDefinition::new("block_hashes");
/// (height, index) -> encoded signed transaction
const BLOCK_TXS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("block_txs");
/// (height, index) -> borsh receipt
const RECEIPTS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("receipts");
/// tx hash -> (height, index)
const TX_INDEX: TableDefinition<[u8; 32], (u64, u32)> = TableDefinition::new("tx_index");
/// borsh NodeKey -> borsh Node
const JMT_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
/// (key hash, version) -> [0] (deleted) or [1] || value
const JMT_VALUES: TableDefinition<([u8; 32], u64), &[u8]> = TableDefinition::new("jmt_values");

const HEAD_KEY: &str = "head";
const GENESIS_KEY: &str = "genesis";

/// Where committed blocks live: the block/receipt read side and the atomic commit.
///
/// State reads and the JMT go through [`Snapshot`] (redb-backed today); a second backend would
/// provide both this trait and a snapshot type.
pub trait LedgerStore: Send + Sync {
    /// The head header, or `None` for an empty store.
    fn head(&self) -> Result<Option<BlockHeader>, ChainError>;
    /// Atomically and durably commits an executed block with its certificate.
    fn commit(
        &self,
        executed: &ExecutedBlock,
        certificate: &CommitCertificate,
    ) -> Result<(), ChainError>;
    /// The block at `height`.
    fn block(&self, height: u64) -> Result<Option<Block>, ChainError>;
    /// Header and certificate at `height`.
    fn header(&self, height: u64) -> Result<Option<(BlockHeader, CommitCertificate)>, ChainError>;
    /// Height of the block with this hash.
    fn height_of(&self, block_hash: &Hash) -> Result<Option<u64>, ChainError>;
    /// Location `(height, index)` of a committed transaction.
    fn tx_location(&self, tx_hash: &Hash) -> Result<Option<(u64, u32)>, ChainError>;
    /// The transaction at a location.
    fn tx_at(&self, height: u64, index: u32) -> Result<Option<SignedTransaction>, ChainError>;
    /// The receipt at a location.
    fn receipt_at(&self, height: u64, index: u32) -> Result<Option<Receipt>, ChainError>;
}

/// The redb implementation of [`LedgerStore`].
pub struct RedbStore {
    db: Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

fn corrupt<E: std::fmt::Display>(e: E) -> ChainError {
    ChainError::corrupt(e)
}

impl RedbStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, ChainError> {
        let db = Database::builder()
            .set_cache_size(256 * 1024 * 1024)
            .create(path)?;
        let w = db.begin_write()?;
        {
            w.open_table(META)?;
            w.open_table(HEADERS)?;
            w.open_table(BLOCK_HASHES)?;
            w.open_table(BLOCK_TXS)?;
            w.open_table(RECEIPTS)?;
            w.open_table(TX_INDEX)?;
            w.open_table(JMT_NODES)?;
            w.open_table(JMT_VALUES)?;
        }
        w.commit()?;
        Ok(RedbStore { db })
    }

    /// The genesis hash recorded in the store.
    pub fn genesis_hash(&self) -> Result<Option<Hash>, ChainError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(META)?;
        match t.get(GENESIS_KEY)? {
            Some(v) => {
                let b: [u8; 32] = v.value().try_into().map_err(corrupt)?;
                Ok(Some(Hash(b)))
            }
            None => Ok(None),
        }
    }

    /// Commits the genesis block and records the genesis hash, in one transaction.
    pub fn commit_genesis(
        &self,
        executed: &ExecutedBlock,
        certificate: &CommitCertificate,
        genesis_hash: Hash,
    ) -> Result<(), ChainError> {
        self.commit_inner(executed, certificate, Some(genesis_hash))
    }

    /// A read-only snapshot of the whole store (state at every version).
    pub fn snapshot(&self) -> Result<Snapshot, ChainError> {
        let r = self.db.begin_read()?;
        Ok(Snapshot {
            nodes: r.open_table(JMT_NODES)?,
            values: r.open_table(JMT_VALUES)?,
        })
    }

    fn commit_inner(
        &self,
        ex: &ExecutedBlock,
        certificate: &CommitCertificate,
        genesis: Option<Hash>,
    ) -> Result<(), ChainError> {
        let height = ex.header.height;
        let block_hash = ex.header.hash();
        let w = self.db.begin_write()?;
        {
            let mut headers = w.open_table(HEADERS)?;
            let hc = borsh::to_vec(&(&ex.header, certificate)).expect("write to Vec");
            headers.insert(height, hc.as_slice())?;
            w.open_table(BLOCK_HASHES)?.insert(block_hash.0, height)?;

            let mut txs = w.open_table(BLOCK_TXS)?;
            let mut index = w.open_table(TX_INDEX)?;
            let mut receipts = w.open_table(RECEIPTS)?;
            for (i, (tx, receipt)) in ex.transactions.iter().zip(&ex.receipts).enumerate() {
                let i = u32::try_from(i).map_err(corrupt)?;
                let bytes = tx.encode();
                txs.insert((height, i), bytes.as_slice())?;
                index.insert(receipt.tx_hash.0, (height, i))?;
                let rb = borsh::to_vec(receipt).expect("write to Vec");
                receipts.insert((height, i), rb.as_slice())?;
            }

            let mut nodes = w.open_table(JMT_NODES)?;
            for (key, node) in ex.tree_update.node_batch.nodes() {
                let k = borsh::to_vec(key).expect("write to Vec");
                let v = borsh::to_vec(node).expect("write to Vec");
                nodes.insert(k.as_slice(), v.as_slice())?;
            }
            let mut values = w.open_table(JMT_VALUES)?;
            let mut buf = Vec::new();
            for ((version, kh), value) in ex.tree_update.node_batch.values() {
                buf.clear();
                match value {
                    Some(v) => {
                        buf.push(1);
                        buf.extend_from_slice(v);
                    }
                    None => buf.push(0),
                }
                values.insert((kh.0, *version), buf.as_slice())?;
            }

            let mut meta = w.open_table(META)?;
            meta.insert(HEAD_KEY, height.to_be_bytes().as_slice())?;
            if let Some(g) = genesis {
                meta.insert(GENESIS_KEY, g.0.as_slice())?;
            }
        }
        w.commit()?;
        Ok(())
    }
}

impl LedgerStore for RedbStore {
    fn head(&self) -> Result<Option<BlockHeader>, ChainError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let Some(h) = meta.get(HEAD_KEY)? else {
            return Ok(None);
        };
        let bytes: [u8; 8] = h.value().try_into().map_err(corrupt)?;
        let height = u64::from_be_bytes(bytes);
        drop(h);
        match self.header(height)? {
            Some((header, _)) => Ok(Some(header)),
            None => Err(ChainError::Corrupt(format!("head {height} has no header"))),
        }
    }

    fn commit(
        &self,
        executed: &ExecutedBlock,
        certificate: &CommitCertificate,
    ) -> Result<(), ChainError> {
        self.commit_inner(executed, certificate, None)
    }

    fn block(&self, height: u64) -> Result<Option<Block>, ChainError> {
        let Some((header, certificate)) = self.header(height)? else {
            return Ok(None);
        };
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCK_TXS)?;
        let mut transactions = Vec::new();
        for item in t.range((height, 0)..=(height, u32::MAX))? {
            let (_, v) = item?;
            transactions.push(SignedTransaction::decode(v.value()).map_err(corrupt)?);
        }
        Ok(Some(Block {
            header,
            transactions,
            certificate,
        }))
    }

    fn header(&self, height: u64) -> Result<Option<(BlockHeader, CommitCertificate)>, ChainError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(HEADERS)?;
        match t.get(height)? {
            Some(v) => Ok(Some(borsh::from_slice(v.value()).map_err(corrupt)?)),
            None => Ok(None),
        }
    }

    fn height_of(&self, block_hash: &Hash) -> Result<Option<u64>, ChainError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCK_HASHES)?;
        Ok(t.get(block_hash.0)?.map(|v| v.value()))
    }

    fn tx_location(&self, tx_hash: &Hash) -> Result<Option<(u64, u32)>, ChainError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(TX_INDEX)?;
        Ok(t.get(tx_hash.0)?.map(|v| v.value()))
    }

    fn tx_at(&self, height: u64, index: u32) -> Result<Option<SignedTransaction>, ChainError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCK_TXS)?;
        match t.get((height, index))? {
            Some(v) => Ok(Some(SignedTransaction::decode(v.value()).map_err(corrupt)?)),
            None => Ok(None),
        }
    }

    fn receipt_at(&self, height: u64, index: u32) -> Result<Option<Receipt>, ChainError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(RECEIPTS)?;
        match t.get((height, index))? {
            Some(v) => Ok(Some(borsh::from_slice(v.value()).map_err(corrupt)?)),
            None => Ok(None),
        }
    }
}

/// A consistent read-only view of the authenticated state at every committed version.
pub struct Snapshot {
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<([u8; 32], u64), &'static [u8]>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

impl Snapshot {
    /// The newest value of `kh` at or below `version`.
    pub fn value_at(&self, version: Version, kh: KeyHash) -> Result<Option<Vec<u8>>, StorageError> {
        let mut range = self.values.range((kh.0, 0)..=(kh.0, version))?;
        match range.next_back() {
            Some(item) => {
                let (_, v) = item?;
                let v = v.value();
                match v.first() {
                    Some(1) => Ok(Some(v[1..].to_vec())),
                    Some(0) => Ok(None),
                    _ => Err(StorageError("corrupt state value".into())),
                }
            }
            None => Ok(None),
        }
    }

    /// The state at `version` as a [`StateRead`].
    pub fn at(&self, version: Version) -> VersionedState<'_> {
        VersionedState {
            snapshot: self,
            version,
        }
    }

    /// The JMT root hash at `version`.
    pub fn root(&self, version: Version) -> Result<Hash, ChainError> {
        let tree = jmt::Sha256Jmt::new(self);
        let root = tree
            .get_root_hash(version)
            .map_err(|e| ChainError::Tree(e.to_string()))?;
        Ok(Hash(root.0))
    }

    /// Value and borsh-encoded proof for a full key at `version`.
    pub fn proof(
        &self,
        version: Version,
        full_key: &[u8],
    ) -> Result<(Option<Vec<u8>>, Vec<u8>), ChainError> {
        let tree = jmt::Sha256Jmt::new(self);
        let (value, proof) = tree
            .get_with_proof(key_hash(full_key), version)
            .map_err(|e| ChainError::Tree(e.to_string()))?;
        Ok((value, borsh::to_vec(&proof).expect("write to Vec")))
    }

    /// Computes the tree update of writing `writes` at `version` (pure: nothing is stored).
    pub fn tree_update(
        &self,
        writes: impl IntoIterator<Item = (KeyHash, Option<OwnedValue>)>,
        version: Version,
    ) -> Result<(Hash, jmt::storage::TreeUpdateBatch), ChainError> {
        let tree = jmt::Sha256Jmt::new(self);
        let (root, batch): (RootHash, _) = tree
            .put_value_set(writes, version)
            .map_err(|e| ChainError::Tree(e.to_string()))?;
        Ok((Hash(root.0), batch))
    }
}

impl TreeReader for Snapshot {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<JmtNode>> {
        let k = borsh::to_vec(node_key)?;
        match self.nodes.get(k.as_slice())? {
            Some(v) => Ok(Some(borsh::from_slice(v.value())?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.value_at(max_version, key_hash)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only used by jmt's state-sync restore, which this store does not support.
        anyhow::bail!("get_rightmost_leaf is not supported")
    }
}

/// The state at one version.
#[derive(Debug, Clone, Copy)]
pub struct VersionedState<'a> {
    snapshot: &'a Snapshot,
    version: Version,
}

impl StateRead for VersionedState<'_> {
    fn get(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.snapshot.value_at(self.version, key_hash(full_key))
    }
}

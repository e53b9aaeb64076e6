//! The node: ties the mempool (ordering source), the executor (state machine) and the ledger
//! store together behind one API used by the RPC server and the consensus driver.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::block::{Block, BlockHeader, CommitCertificate, CommittedBlock, Receipt};
use crate::crypto::{Address, Hash, Keypair, PublicKey};
use crate::error::{BlockRejection, CallError, ChainError, TxRejection};
use crate::executor::{read_nonce, read_validators, ExecutedBlock, Executor};
use crate::genesis::Genesis;
use crate::mempool::{dropped_record, tx_record, Journal, JournalRecord, Pool};
use crate::module::{state_key, ModuleRegistry, ReadContext};
use crate::state::StateProof;
use crate::store::{LedgerStore, RedbStore};
use crate::tx::{verify_signatures, SignedTransaction};

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
    /// Most encoded transaction bytes in one block (a single larger transaction still fits
    /// alone, so nothing admitted can be stuck behind this limit).
    pub max_block_bytes: usize,
    /// How long to wait for more transactions once the first one arrives.
    #[serde(with = "duration_ms")]
    pub batch_delay: Duration,
    /// An empty block is committed after this long without transactions (heartbeat).
    #[serde(with = "duration_ms")]
    pub max_block_interval: Duration,
    /// How far ahead of the local clock a proposed block's timestamp may be (BFT checks).
    #[serde(with = "duration_ms")]
    pub max_clock_drift: Duration,
}

impl Default for BlockConfig {
    fn default() -> Self {
        BlockConfig {
            max_block_txs: 5000,
            max_block_bytes: 8 * 1024 * 1024,
            batch_delay: Duration::from_millis(5),
            max_block_interval: Duration::from_secs(10),
            max_clock_drift: Duration::from_secs(5),
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
///
/// The node owns the three parts behind the consensus boundary — the mempool (ordering source),
/// the [`Executor`] (state machine) and the [`LedgerStore`] — and offers
/// [`Node::produce_block`] to a consensus driver (today [`crate::SingleValidator`]).
pub struct Node {
    genesis: Genesis,
    config: NodeConfig,
    executor: Executor,
    store: RedbStore,
    pool: Mutex<Pool>,
    pool_changed: Condvar,
    journal: Journal,
    head: RwLock<BlockHeader>,
    blocks: broadcast::Sender<Arc<CommittedBlock>>,
    /// Transactions admitted from clients (not from peers), for forwarding to peers.
    admitted: broadcast::Sender<Arc<Vec<SignedTransaction>>>,
    producing: Mutex<()>,
    /// Execution results of proposals built or checked here, by block hash, so a decided block
    /// is not executed twice. Cleared of a height once it is committed.
    executed: Mutex<HashMap<Hash, ExecutedBlock>>,
    syncing: AtomicBool,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("chain_id", &self.genesis.chain_id)
            .field("height", &self.height())
            .finish_non_exhaustive()
    }
}

const LEDGER_FILE: &str = "ledger.redb";
const JOURNAL_FILE: &str = "pool.journal";

fn unavailable(e: impl std::fmt::Display) -> TxRejection {
    TxRejection::Unavailable(e.to_string())
}

impl Node {
    /// Opens the node's data directory, creating the genesis block on first start, checking the
    /// stored state root against the head header, and replaying the pool journal.
    pub fn open(
        config: NodeConfig,
        genesis: Genesis,
        modules: ModuleRegistry,
    ) -> Result<Arc<Node>, ChainError> {
        genesis.validate()?;
        std::fs::create_dir_all(&config.data_dir)?;
        let store = RedbStore::open(&config.data_dir.join(LEDGER_FILE))?;
        let executor = Executor::new(genesis.chain_id.clone(), modules);
        let genesis_hash = genesis.hash();

        let head = match store.head()? {
            None => {
                let snapshot = store.snapshot()?;
                let executed = executor.execute_genesis(&snapshot, &genesis)?;
                let cert = CommitCertificate {
                    height: 0,
                    round: 0,
                    block_hash: executed.header.hash(),
                    signatures: Vec::new(),
                };
                store.commit_genesis(&executed, &cert, genesis_hash)?;
                tracing::info!(chain_id = %genesis.chain_id, state_root = %executed.header.state_root, "created genesis block");
                executed.header
            }
            Some(head) => {
                let stored = store.genesis_hash()?;
                if stored != Some(genesis_hash) {
                    return Err(ChainError::GenesisMismatch {
                        expected: genesis_hash.to_string(),
                        stored: stored.map(|h| h.to_string()).unwrap_or_default(),
                    });
                }
                let root = store.snapshot()?.root(head.height)?;
                if root != head.state_root {
                    return Err(ChainError::StateRootMismatch {
                        height: head.height,
                        expected: head.state_root,
                        got: root,
                    });
                }
                head
            }
        };

        // Replay the pool journal: re-admit what is neither committed nor dropped.
        let journal_path = config.data_dir.join(JOURNAL_FILE);
        let records = Journal::read(&journal_path)?;
        let mut pool = Pool::new(config.pool.clone());
        let mut txs = Vec::new();
        // Records are applied in journal order: a transaction resubmitted after it was dropped
        // is pending again, so its later `Tx` record supersedes the earlier drop.
        for r in records {
            match r {
                JournalRecord::Tx(tx) => {
                    pool.forget_dropped(&tx.hash());
                    txs.push(tx);
                }
                JournalRecord::Dropped(h, reason) => pool.record_dropped(h, reason),
            }
        }
        let refs: Vec<&SignedTransaction> = txs.iter().collect();
        let valid = verify_signatures(&refs);
        let snapshot = store.snapshot()?;
        let state = snapshot.at(head.height);
        let mut replayed = 0usize;
        let mut contents = Vec::new();
        for (tx, ok) in txs.into_iter().zip(valid) {
            let hash = tx.hash();
            if pool.dropped_reason(&hash).is_some() || store.tx_location(&hash)?.is_some() {
                continue;
            }
            if !ok {
                pool.record_dropped(hash, "bad signature in pool journal".into());
                continue;
            }
            let encoded = tx.encode();
            match pool.admit(tx, hash, |a| read_nonce(&state, a).map_err(unavailable)) {
                Ok(()) => {
                    tx_record(&mut contents, &encoded);
                    replayed += 1;
                }
                Err(TxRejection::Duplicate) => {}
                Err(TxRejection::Unavailable(e)) => {
                    return Err(ChainError::Storage(crate::error::StorageError(e)))
                }
                // Never silent: the reason is recorded and queryable by hash.
                Err(e) => pool.record_dropped(hash, format!("not re-admitted after restart: {e}")),
            }
        }
        drop(snapshot);
        if replayed > 0 {
            tracing::info!(replayed, "replayed pool journal");
        }
        // Keep drop records across the rewrite, in the same atomically replaced file: a crash
        // during start-up then leaves either the old journal or the complete new one, never a
        // new journal without the drop reasons. (Pooled and dropped hashes are disjoint, so the
        // order of the two kinds of record does not matter on the next replay.)
        pool_dropped_records(&pool, &mut contents);
        let journal = Journal::create(&journal_path, &contents)?;

        let (blocks, _) = broadcast::channel(1024);
        let (admitted, _) = broadcast::channel(4096);
        Ok(Arc::new(Node {
            genesis,
            config,
            executor,
            store,
            pool: Mutex::new(pool),
            pool_changed: Condvar::new(),
            journal,
            head: RwLock::new(head),
            blocks,
            admitted,
            producing: Mutex::new(()),
            executed: Mutex::new(HashMap::new()),
            syncing: AtomicBool::new(false),
        }))
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    /// The genesis document.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The node configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The module registry.
    pub fn modules(&self) -> &ModuleRegistry {
        self.executor.modules()
    }

    /// The head header.
    pub fn head(&self) -> BlockHeader {
        self.head.read().clone()
    }

    /// Admits a transaction; `Ok` means it is durable in the pool journal.
    pub fn submit(&self, tx: SignedTransaction) -> Result<Hash, TxRejection> {
        self.submit_batch(vec![tx])
            .pop()
            .unwrap_or(Err(TxRejection::Malformed("empty batch".into())))
    }

    /// Checks what can be checked without the pool: size, chain id, module.
    fn precheck(&self, tx: &SignedTransaction, size: usize) -> Result<(), TxRejection> {
        if size > self.config.pool.max_tx_bytes {
            return Err(TxRejection::Oversized {
                size,
                max: self.config.pool.max_tx_bytes,
            });
        }
        if tx.tx.chain_id != self.genesis.chain_id {
            return Err(TxRejection::WrongChainId {
                expected: self.genesis.chain_id.clone(),
                got: tx.tx.chain_id.clone(),
            });
        }
        if !self.executor.modules().contains(&tx.tx.call.module) {
            return Err(TxRejection::UnknownModule(tx.tx.call.module.clone()));
        }
        Ok(())
    }

    /// Admits many transactions with one parallel signature check and one journal fsync.
    /// Admitted transactions are announced to [`Node::subscribe_admitted`] (for forwarding).
    pub fn submit_batch(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash, TxRejection>> {
        self.submit_batch_inner(txs, true)
    }

    /// Like [`Node::submit_batch`] for transactions forwarded by a peer: they are not announced
    /// again, so forwarding never loops.
    pub fn submit_batch_from_peer(
        &self,
        txs: Vec<SignedTransaction>,
    ) -> Vec<Result<Hash, TxRejection>> {
        self.submit_batch_inner(txs, false)
    }

    /// Transactions newly admitted from clients, in admission batches.
    pub fn subscribe_admitted(&self) -> broadcast::Receiver<Arc<Vec<SignedTransaction>>> {
        self.admitted.subscribe()
    }

    fn submit_batch_inner(
        &self,
        txs: Vec<SignedTransaction>,
        announce: bool,
    ) -> Vec<Result<Hash, TxRejection>> {
        let encoded: Vec<Vec<u8>> = txs.iter().map(SignedTransaction::encode).collect();
        let mut results: Vec<Result<Hash, TxRejection>> = txs
            .iter()
            .zip(&encoded)
            .map(|(tx, bytes)| self.precheck(tx, bytes.len()).map(|()| Hash::sha256(bytes)))
            .collect();
        // Already pooled (e.g. forwarded by several peers): no need to check the signature again.
        {
            let pool = self.pool.lock();
            for r in results.iter_mut() {
                if matches!(r, Ok(h) if pool.contains(h)) {
                    *r = Err(TxRejection::Duplicate);
                }
            }
        }
        let to_verify: Vec<(usize, &SignedTransaction)> = txs
            .iter()
            .enumerate()
            .filter(|(i, _)| results[*i].is_ok())
            .collect();
        let refs: Vec<&SignedTransaction> = to_verify.iter().map(|(_, t)| *t).collect();
        for ((i, _), ok) in to_verify.iter().zip(verify_signatures(&refs)) {
            if !ok {
                results[*i] = Err(TxRejection::BadSignature);
            }
        }

        let mut records = Vec::new();
        let mut admitted = Vec::new();
        let seq = {
            let mut pool = self.pool.lock();
            // The committed nonce of a sender without a pool queue must be read while holding
            // the pool lock: `produce_block` commits to the store *before* it removes the
            // committed transactions (and emptied queues) from the pool under this lock, so a
            // snapshot taken here is never older than the pool's view. A snapshot taken
            // before the lock could predate a block that emptied the sender's queue, and
            // would make a valid next nonce look like a gap.
            let mut snapshot = None;
            for ((tx, bytes), result) in txs.into_iter().zip(&encoded).zip(results.iter_mut()) {
                let Ok(hash) = *result else { continue };
                let committed_nonce = |a: &Address| {
                    if snapshot.is_none() {
                        snapshot = Some(self.store.snapshot().map_err(|e| unavailable(&e))?);
                    }
                    match &snapshot {
                        Some(s) => read_nonce(&s.at(u64::MAX), a).map_err(|e| unavailable(&e)),
                        None => Err(TxRejection::Unavailable("no state snapshot".into())),
                    }
                };
                let copy = (announce && self.admitted.receiver_count() > 0).then(|| tx.clone());
                match pool.admit(tx, hash, committed_nonce) {
                    Ok(()) => {
                        tx_record(&mut records, bytes);
                        admitted.extend(copy);
                    }
                    Err(e) => *result = Err(e),
                }
            }
            drop(snapshot);
            if records.is_empty() {
                return results;
            }
            let seq = self.journal.append(&records);
            self.pool_changed.notify_all();
            seq
        };
        if let Err(e) = self.journal.wait_durable(seq) {
            tracing::error!(error = %e, "pool journal write failed");
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(TxRejection::Unavailable(format!(
                    "journal write failed: {e}"
                )));
            }
            return results;
        }
        if !admitted.is_empty() {
            // No subscribers is fine.
            let _ = self.admitted.send(Arc::new(admitted));
        }
        results
    }

    /// Head height.
    pub fn height(&self) -> u64 {
        self.head.read().height
    }

    fn resolve_height(&self, height: Option<u64>) -> Result<u64, ChainError> {
        let head = self.height();
        match height {
            None => Ok(head),
            Some(h) if h <= head => Ok(h),
            Some(h) => Err(ChainError::HeightUnavailable { requested: h, head }),
        }
    }

    /// The block at `height`.
    pub fn block_by_number(&self, height: u64) -> Result<Option<Block>, ChainError> {
        self.store.block(height)
    }

    /// The block with this hash.
    pub fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, ChainError> {
        match self.store.height_of(hash)? {
            Some(h) => self.store.block(h),
            None => Ok(None),
        }
    }

    /// The block at `height` with its receipts.
    pub fn committed_block(&self, height: u64) -> Result<Option<CommittedBlock>, ChainError> {
        let Some(block) = self.store.block(height)? else {
            return Ok(None);
        };
        let mut receipts = Vec::with_capacity(block.transactions.len());
        for i in 0..block.transactions.len() {
            let i = u32::try_from(i).map_err(ChainError::corrupt)?;
            match self.store.receipt_at(height, i)? {
                Some(r) => receipts.push(r),
                None => return Err(ChainError::Corrupt(format!("missing receipt {height}/{i}"))),
            }
        }
        Ok(Some(CommittedBlock { block, receipts }))
    }

    /// A committed transaction.
    pub fn transaction(&self, hash: &Hash) -> Result<Option<TxRecord>, ChainError> {
        let Some((height, index)) = self.store.tx_location(hash)? else {
            return Ok(None);
        };
        let tx = self
            .store
            .tx_at(height, index)?
            .ok_or_else(|| ChainError::Corrupt(format!("missing transaction {height}/{index}")))?;
        let (header, _) = self
            .store
            .header(height)?
            .ok_or_else(|| ChainError::Corrupt(format!("missing header {height}")))?;
        Ok(Some(TxRecord {
            tx,
            height,
            index,
            block_hash: header.hash(),
        }))
    }

    /// The receipt of a committed transaction.
    pub fn receipt(&self, hash: &Hash) -> Result<Option<Receipt>, ChainError> {
        match self.store.tx_location(hash)? {
            Some((height, index)) => self.store.receipt_at(height, index),
            None => Ok(None),
        }
    }

    /// Where a transaction stands.
    pub fn tx_status(&self, hash: &Hash) -> Result<TxStatus, ChainError> {
        {
            let pool = self.pool.lock();
            if pool.contains(hash) {
                return Ok(TxStatus::Pending);
            }
        }
        if let Some((height, _)) = self.store.tx_location(hash)? {
            return Ok(TxStatus::Committed { height });
        }
        if let Some(reason) = self.pool.lock().dropped_reason(hash) {
            return Ok(TxStatus::Dropped {
                reason: reason.to_string(),
            });
        }
        Ok(TxStatus::Unknown)
    }

    /// The next nonce `address` should use (committed nonce plus ready pooled transactions).
    pub fn next_nonce(&self, address: &Address) -> Result<u64, ChainError> {
        if let Some(n) = self.pool.lock().next_nonce(address) {
            return Ok(n);
        }
        let snapshot = self.store.snapshot()?;
        read_nonce(&snapshot.at(u64::MAX), address)
    }

    /// A read-only module query at `height` (head if `None`).
    pub fn call(
        &self,
        module: &str,
        method: &str,
        args: &[u8],
        height: Option<u64>,
    ) -> Result<Vec<u8>, CallError> {
        let m = self
            .executor
            .modules()
            .get(module)
            .ok_or_else(|| CallError::UnknownModule(module.to_string()))?;
        let head = self.height();
        let h = match height {
            Some(h) if h > head => return Err(CallError::HeightUnavailable { requested: h, head }),
            Some(h) => h,
            None => head,
        };
        let snapshot = self.store.snapshot()?;
        let state = snapshot.at(h);
        let ctx = ReadContext::new(m.name(), h, &state);
        Ok(m.query(&ctx, method, args)?)
    }

    /// A proof of `module`'s `key` (inclusion or absence) at `height` (head if `None`).
    pub fn state_proof(
        &self,
        module: &str,
        key: &[u8],
        height: Option<u64>,
    ) -> Result<StateProof, ChainError> {
        let h = self.resolve_height(height)?;
        let (header, _) = self
            .store
            .header(h)?
            .ok_or_else(|| ChainError::Corrupt(format!("missing header {h}")))?;
        let snapshot = self.store.snapshot()?;
        let (value, proof) = snapshot.proof(h, &state_key(module, key))?;
        Ok(StateProof {
            height: h,
            header,
            module: module.to_string(),
            key: key.to_vec(),
            value,
            proof,
        })
    }

    /// The validator set at `height` (head if `None`).
    pub fn validators(&self, height: Option<u64>) -> Result<Vec<Validator>, ChainError> {
        let h = self.resolve_height(height)?;
        let snapshot = self.store.snapshot()?;
        Ok(read_validators(&snapshot.at(h))?
            .into_iter()
            .map(|v| Validator {
                address: v.public_key.address(),
                name: v.name,
                public_key: v.public_key,
                power: v.power,
            })
            .collect())
    }

    /// Head and pool summary.
    pub fn sync_status(&self) -> SyncStatus {
        let head = self.head();
        SyncStatus {
            chain_id: self.genesis.chain_id.clone(),
            latest_height: head.height,
            latest_hash: head.hash(),
            latest_timestamp_ms: head.timestamp_ms,
            syncing: self.syncing.load(Ordering::Relaxed),
            pool_size: self.pool.lock().len(),
        }
    }

    /// Committed blocks, as they are committed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.blocks.subscribe()
    }

    /// Checks a block's commit certificate against the validator set that committed it (the
    /// set in the parent's state). A block of another chain id is refused. The genesis block
    /// carries no signatures and is accepted only if it is this chain's genesis block.
    pub fn verify_certificate(&self, block: &Block) -> Result<bool, ChainError> {
        // The commit signature covers the header's own chain id, so validator keys shared with
        // another chain would otherwise make that chain's blocks verify here.
        if block.header.chain_id != self.genesis.chain_id {
            return Ok(false);
        }
        let h = block.header.height;
        if h == 0 {
            let ours = self.store.header(0)?.map(|(hd, _)| hd.hash());
            return Ok(ours == Some(block.header.hash()));
        }
        let parent = self.resolve_height(Some(h - 1))?;
        let snapshot = self.store.snapshot()?;
        let set: Vec<(PublicKey, u64)> = read_validators(&snapshot.at(parent))?
            .into_iter()
            .map(|v| (v.public_key, v.power))
            .collect();
        Ok(block.certificate.verify(&block.header, &set))
    }

    /// Transactions ready for the next block.
    pub fn ready_transactions(&self) -> usize {
        self.pool.lock().ready_len()
    }

    /// Waits until the pool has ready transactions, `deadline` passes or `stop()` holds
    /// (checked whenever the pool changes or [`Node::wake`] is called).
    pub(crate) fn wait_for_ready(&self, deadline: Instant, stop: impl Fn() -> bool) {
        let mut pool = self.pool.lock();
        while pool.ready_len() == 0 && !stop() && Instant::now() < deadline {
            self.pool_changed.wait_until(&mut pool, deadline);
        }
    }

    /// Wakes threads blocked in [`Node::wait_for_ready`].
    pub(crate) fn wake(&self) {
        let _pool = self.pool.lock();
        self.pool_changed.notify_all();
    }

    /// Builds, executes, certifies (with `key`) and commits the next block from up to
    /// `max_block_txs` ready pool transactions totalling at most `max_block_bytes`. Returns `None` without committing if there is
    /// nothing to include and `allow_empty` is false.
    ///
    /// This is the consensus boundary: a BFT driver would instead take a decided proposal,
    /// execute it and commit it with its 2f+1 certificate.
    pub fn produce_block(
        &self,
        key: &Keypair,
        timestamp_ms: u64,
        allow_empty: bool,
    ) -> Result<Option<Arc<CommittedBlock>>, ChainError> {
        let _producing = self.producing.lock();
        let txs = self.pool.lock().select_bounded(
            self.config.block.max_block_txs,
            self.config.block.max_block_bytes,
        );
        if txs.is_empty() && !allow_empty {
            return Ok(None);
        }
        let parent = self.head();
        let snapshot = self.store.snapshot()?;
        let validators = read_validators(&snapshot.at(parent.height))?;
        if !validators.iter().any(|v| v.public_key == key.public_key()) {
            return Err(ChainError::NotValidator(key.public_key()));
        }
        let timestamp_ms = timestamp_ms.max(parent.timestamp_ms);
        let executed =
            self.executor
                .execute_block(&snapshot, &parent, txs, key.address(), timestamp_ms)?;
        drop(snapshot);
        let certificate =
            CommitCertificate::sign_single(&self.genesis.chain_id, &executed.header, 0, key);
        self.finish_commit(executed, certificate).map(Some)
    }

    /// Marks the node as catching up (shown by [`Node::sync_status`]).
    pub fn set_syncing(&self, syncing: bool) {
        self.syncing.store(syncing, Ordering::Relaxed);
    }

    /// Waits until the pool has ready transactions or `deadline` passes.
    pub fn wait_for_ready_until(&self, deadline: Instant) {
        self.wait_for_ready(deadline, || false);
    }

    /// BFT proposer: builds the next block from ready pool transactions (as
    /// [`Node::produce_block`] does) with `proposer` and `timestamp_ms` (raised to the parent's),
    /// executes it on the head and caches the result for the commit. Returns the header and the
    /// included transactions; nothing is committed.
    pub fn build_proposal(
        &self,
        proposer: Address,
        timestamp_ms: u64,
    ) -> Result<(BlockHeader, Vec<SignedTransaction>), ChainError> {
        let _producing = self.producing.lock();
        let txs = self.pool.lock().select_bounded(
            self.config.block.max_block_txs,
            self.config.block.max_block_bytes,
        );
        let parent = self.head();
        let timestamp_ms = timestamp_ms.max(parent.timestamp_ms);
        let snapshot = self.store.snapshot()?;
        let executed =
            self.executor
                .execute_block(&snapshot, &parent, txs, proposer, timestamp_ms)?;
        drop(snapshot);
        let out = (executed.header.clone(), executed.transactions.clone());
        self.executed.lock().insert(out.0.hash(), executed);
        Ok(out)
    }

    /// BFT validator: checks a proposed block before voting for it. The header must extend the
    /// head (height, parent hash, chain id), its timestamp must not go back in time nor be more
    /// than `max_clock_drift` ahead of `now_ms`, the proposer must be a validator, every
    /// transaction signature must verify (strictly, one by one; transactions already admitted
    /// to this node's pool were checked on admission), and re-executing the transactions must
    /// include all of them and give exactly this header (state root, receipts, validators...).
    /// The execution result is cached for the commit.
    pub fn check_proposal(
        &self,
        header: &BlockHeader,
        txs: &[SignedTransaction],
        now_ms: u64,
    ) -> Result<(), ChainError> {
        let hash = header.hash();
        // Already checked (or built) here: only the transactions still need to match.
        if let Some(e) = self.executed.lock().get(&hash) {
            if e.transactions.as_slice() == txs {
                return Ok(());
            }
        }
        let _producing = self.producing.lock();
        let parent = self.head();
        let executed = self.validate_and_execute(header, txs, &parent, Some(now_ms))?;
        // An earlier entry under this hash came with other transactions (which cannot give
        // this header); the re-executed one replaces it.
        self.executed.lock().insert(hash, executed);
        Ok(())
    }

    /// Commits a decided (or synced) block: it must extend the head and its commit certificate
    /// must verify against the validator set of the parent's state (> 2/3 of the voting power).
    /// A block this node did not check before is fully checked and re-executed first, so
    /// nothing a peer sends is trusted without the certificate and re-execution.
    pub fn commit_block(&self, block: Block) -> Result<Arc<CommittedBlock>, ChainError> {
        let _producing = self.producing.lock();
        let parent = self.head();
        check_extends(&parent, &block.header)?;
        if !self.verify_certificate(&block)? {
            return Err(BlockRejection::BadCertificate.into());
        }
        let hash = block.hash();
        let cached = self
            .executed
            .lock()
            .remove(&hash)
            .filter(|e| e.transactions == block.transactions);
        let executed = match cached {
            Some(e) => e,
            None => self.validate_and_execute(&block.header, &block.transactions, &parent, None)?,
        };
        self.finish_commit(executed, block.certificate)
    }

    /// Checks `header`/`txs` against `parent` and re-executes them (see
    /// [`Node::check_proposal`]); `now_ms` enables the future-timestamp check.
    fn validate_and_execute(
        &self,
        header: &BlockHeader,
        txs: &[SignedTransaction],
        parent: &BlockHeader,
        now_ms: Option<u64>,
    ) -> Result<ExecutedBlock, ChainError> {
        check_extends(parent, header)?;
        if header.chain_id != self.genesis.chain_id {
            return Err(BlockRejection::WrongChainId(header.chain_id.clone()).into());
        }
        let max = now_ms.map_or(u64::MAX, |now| {
            let drift = u64::try_from(self.config.block.max_clock_drift.as_millis());
            now.saturating_add(drift.unwrap_or(u64::MAX))
        });
        if header.timestamp_ms < parent.timestamp_ms || header.timestamp_ms > max {
            return Err(BlockRejection::BadTimestamp {
                got: header.timestamp_ms,
                min: parent.timestamp_ms,
                max,
            }
            .into());
        }
        let bytes: usize = txs.iter().map(|t| t.encode().len()).sum();
        if txs.len() > self.config.block.max_block_txs
            || (txs.len() > 1 && bytes > self.config.block.max_block_bytes)
        {
            return Err(BlockRejection::TooLarge.into());
        }
        let snapshot = self.store.snapshot()?;
        let validators = read_validators(&snapshot.at(parent.height))?;
        if !validators
            .iter()
            .any(|v| v.public_key.address() == header.proposer)
        {
            return Err(BlockRejection::NotAValidator(header.proposer.to_string()).into());
        }
        let unchecked: Vec<(usize, &SignedTransaction)> = {
            let pool = self.pool.lock();
            txs.iter()
                .enumerate()
                .filter(|(_, t)| !pool.contains(&t.hash()))
                .collect()
        };
        let refs: Vec<&SignedTransaction> = unchecked.iter().map(|(_, t)| *t).collect();
        for ((i, _), ok) in unchecked.iter().zip(verify_signatures(&refs)) {
            if !ok {
                return Err(BlockRejection::BadTransactionSignature(*i).into());
            }
        }
        let executed = self.executor.execute_block(
            &snapshot,
            parent,
            txs.to_vec(),
            header.proposer,
            header.timestamp_ms,
        )?;
        if let Some(e) = executed.excluded.first() {
            let index = txs.iter().position(|t| t.hash() == e.hash).unwrap_or(0);
            return Err(BlockRejection::NotExecutable {
                index,
                reason: e.reason.clone(),
            }
            .into());
        }
        if executed.header != *header {
            return Err(
                BlockRejection::HeaderMismatch(header_diff(header, &executed.header)).into(),
            );
        }
        Ok(executed)
    }

    /// Stores an executed block with its certificate, moves the head, updates the pool and
    /// announces the block. The caller holds `producing`.
    fn finish_commit(
        &self,
        executed: ExecutedBlock,
        certificate: CommitCertificate,
    ) -> Result<Arc<CommittedBlock>, ChainError> {
        self.store.commit(&executed, &certificate)?;
        *self.head.write() = executed.header.clone();
        let height = executed.header.height;
        self.executed.lock().retain(|_, e| e.header.height > height);

        // Update the pool: remove what was committed, record what was left out.
        let mut next_nonces: BTreeMap<Address, u64> = BTreeMap::new();
        for tx in &executed.transactions {
            next_nonces.insert(tx.sender_address(), tx.tx.nonce + 1);
        }
        let committed: Vec<Hash> = executed.receipts.iter().map(|r| r.tx_hash).collect();
        let excluded: Vec<(Hash, String)> = executed
            .excluded
            .iter()
            .map(|e| (e.hash, e.reason.clone()))
            .collect();
        {
            let mut pool = self.pool.lock();
            let mut dropped = pool.on_committed(&committed, &next_nonces, &excluded);
            dropped.extend(pool.evict_stale(Instant::now()));
            if !dropped.is_empty() {
                let mut records = Vec::new();
                for (h, reason) in &dropped {
                    tracing::warn!(tx = %h, %reason, "dropped pooled transaction");
                    dropped_record(&mut records, h, reason);
                }
                // Buffered now; made durable by the next flush (or below).
                let seq = self.journal.append(&records);
                drop(pool);
                if let Err(e) = self.journal.wait_durable(seq) {
                    tracing::error!(error = %e, "pool journal write failed");
                }
                pool = self.pool.lock();
            }
            if let Err(e) = self.journal.maybe_compact(&pool) {
                tracing::error!(error = %e, "pool journal compaction failed");
            }
        }

        let committed_block = Arc::new(CommittedBlock {
            block: Block {
                header: executed.header,
                transactions: executed.transactions,
                certificate,
            },
            receipts: executed.receipts,
        });
        // No subscribers is fine.
        let _ = self.blocks.send(Arc::clone(&committed_block));
        Ok(committed_block)
    }
}

/// Height and parent-hash checks of a block against the head.
fn check_extends(parent: &BlockHeader, header: &BlockHeader) -> Result<(), BlockRejection> {
    if header.height != parent.height + 1 {
        return Err(BlockRejection::WrongHeight {
            expected: parent.height + 1,
            got: header.height,
        });
    }
    if header.parent_hash != parent.hash() {
        return Err(BlockRejection::WrongParent);
    }
    Ok(())
}

/// Names the header fields that differ (for error messages).
fn header_diff(claimed: &BlockHeader, derived: &BlockHeader) -> String {
    let mut fields = Vec::new();
    let mut check = |name: &str, same: bool| {
        if !same {
            fields.push(name.to_string());
        }
    };
    check("chain_id", claimed.chain_id == derived.chain_id);
    check("height", claimed.height == derived.height);
    check("parent_hash", claimed.parent_hash == derived.parent_hash);
    check("timestamp_ms", claimed.timestamp_ms == derived.timestamp_ms);
    check("proposer", claimed.proposer == derived.proposer);
    check(
        "transactions_root",
        claimed.transactions_root == derived.transactions_root,
    );
    check(
        "receipts_root",
        claimed.receipts_root == derived.receipts_root,
    );
    check("state_root", claimed.state_root == derived.state_root);
    check(
        "validators_hash",
        claimed.validators_hash == derived.validators_hash,
    );
    fields.join(", ")
}

fn pool_dropped_records(pool: &Pool, out: &mut Vec<u8>) {
    pool.for_each_dropped(|h, r| dropped_record(out, h, r));
}

//! The state machine: executes an ordered list of transactions on top of committed state.
//!
//! **Invariant:** execution is deterministic and pure with respect to committed state: it reads
//! a [`Snapshot`] at the parent height and returns an [`ExecutedBlock`] (header, receipts,
//! pending writes and tree update) without writing anything. Modules see only the transaction,
//! its signer, the block height and timestamp, and state.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};

use crate::block::{merkle_root, BlockHeader, Receipt, ReceiptStatus, TxError, TxErrorKind};
use crate::crypto::{Address, Hash};
use crate::error::{ChainError, StorageError};
use crate::genesis::{Genesis, GenesisValidator};
use crate::module::{
    state_key, Layered, ModuleError, ModuleRegistry, StateRead, TxContext, WriteSet, SYS_NAMESPACE,
};
use crate::state::key_hash;
use crate::store::Snapshot;
use crate::tx::SignedTransaction;

/// `sys` key of the validator set (borsh `Vec<GenesisValidator>`).
pub(crate) const VALIDATORS_KEY: &[u8] = b"validators";
/// `sys` key of the last executed `(height, timestamp_ms)`; written every block so each
/// height has its own tree version even without transactions.
pub(crate) const HEAD_KEY: &[u8] = b"head";

/// `sys` key of an account nonce.
pub(crate) fn nonce_key(address: &Address) -> Vec<u8> {
    let mut k = b"nonce/".to_vec();
    k.extend_from_slice(&address.0);
    state_key(SYS_NAMESPACE, &k)
}

/// Reads the next nonce of `address` from `state`.
pub(crate) fn read_nonce(state: &dyn StateRead, address: &Address) -> Result<u64, ChainError> {
    match state.get(&nonce_key(address))? {
        Some(b) => u64::try_from_slice(&b).map_err(ChainError::corrupt),
        None => Ok(0),
    }
}

/// Reads the validator set from `state`.
pub(crate) fn read_validators(state: &dyn StateRead) -> Result<Vec<GenesisValidator>, ChainError> {
    match state.get(&state_key(SYS_NAMESPACE, VALIDATORS_KEY))? {
        Some(b) => borsh::from_slice(&b).map_err(ChainError::corrupt),
        None => Ok(Vec::new()),
    }
}

/// Hash committing to a validator set.
pub(crate) fn validators_hash(validators: &[GenesisValidator]) -> Hash {
    let mut body = b"weft/validators/v1".to_vec();
    validators.serialize(&mut body).expect("write to Vec");
    Hash::sha256(&body)
}

/// A transaction the executor left out of the block, and why (the pool records it as dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    /// Transaction hash.
    pub hash: Hash,
    /// Why it could not be included.
    pub reason: String,
}

/// The result of executing a block, ready to be certified and committed.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// The header (its `state_root` is the root after this block).
    pub header: BlockHeader,
    /// Included transactions, in order.
    pub transactions: Vec<SignedTransaction>,
    /// One receipt per included transaction.
    pub receipts: Vec<Receipt>,
    /// Transactions left out, with reasons.
    pub excluded: Vec<Excluded>,
    /// Net state writes of the block, by full key.
    pub writes: WriteSet,
    /// The JMT nodes and values to store.
    pub tree_update: jmt::storage::TreeUpdateBatch,
}

/// Executes blocks with a fixed module set.
#[derive(Debug, Clone)]
pub struct Executor {
    chain_id: String,
    modules: ModuleRegistry,
}

impl Executor {
    /// An executor for `chain_id` running `modules`.
    pub fn new(chain_id: String, modules: ModuleRegistry) -> Self {
        Executor { chain_id, modules }
    }

    /// The module registry.
    pub fn modules(&self) -> &ModuleRegistry {
        &self.modules
    }

    /// Builds the genesis block (height 0) from `genesis`.
    pub fn execute_genesis(
        &self,
        snapshot: &Snapshot,
        genesis: &Genesis,
    ) -> Result<ExecutedBlock, ChainError> {
        genesis.validate()?;
        if genesis.chain_id != self.chain_id {
            return Err(ChainError::InvalidGenesis(
                "chain id differs from executor".into(),
            ));
        }
        struct Empty;
        impl StateRead for Empty {
            fn get(&self, _: &[u8]) -> Result<Option<Vec<u8>>, crate::error::StorageError> {
                Ok(None)
            }
        }
        let mut writes = WriteSet::new();
        for module in self.modules.iter() {
            let view = Layered {
                base: &Empty,
                overlay: &writes,
            };
            let mut ctx = TxContext::new(
                module.name(),
                Address::default(),
                0,
                genesis.timestamp_ms,
                &view,
            );
            module
                .init_genesis(&mut ctx, genesis)
                .map_err(|e| ChainError::GenesisModule {
                    module: module.name().to_string(),
                    message: e.to_string(),
                })?;
            let (w, _) = ctx.into_parts();
            writes.extend(w);
        }
        writes.insert(
            state_key(SYS_NAMESPACE, VALIDATORS_KEY),
            Some(borsh::to_vec(&genesis.validators).expect("write to Vec")),
        );
        writes.insert(
            state_key(SYS_NAMESPACE, HEAD_KEY),
            Some(borsh::to_vec(&(0u64, genesis.timestamp_ms)).expect("write to Vec")),
        );
        let (state_root, tree_update) = snapshot.tree_update(hashed(&writes), 0)?;
        let header = BlockHeader {
            chain_id: genesis.chain_id.clone(),
            height: 0,
            parent_hash: Hash::ZERO,
            timestamp_ms: genesis.timestamp_ms,
            proposer: Address::default(),
            transactions_root: merkle_root(&[]),
            receipts_root: merkle_root(&[]),
            state_root,
            validators_hash: validators_hash(&genesis.validators),
        };
        Ok(ExecutedBlock {
            header,
            transactions: Vec::new(),
            receipts: Vec::new(),
            excluded: Vec::new(),
            writes,
            tree_update,
        })
    }

    /// Executes `txs` on top of `parent` (whose state `snapshot` must contain).
    ///
    /// Signatures are assumed checked (the pool does it on admission; a BFT driver checks
    /// proposals with [`crate::tx::verify_signatures`]). A transaction for another chain or with
    /// a nonce other than the sender's next is left out and reported in `excluded`. Every
    /// included transaction advances its sender's nonce; a module error discards the call's
    /// writes and yields a `Failed` receipt, except [`ModuleError::Storage`] (a failure of this
    /// node, not of the transaction), which aborts the whole block with [`ChainError::Storage`].
    pub fn execute_block(
        &self,
        snapshot: &Snapshot,
        parent: &BlockHeader,
        txs: Vec<SignedTransaction>,
        proposer: Address,
        timestamp_ms: u64,
    ) -> Result<ExecutedBlock, ChainError> {
        let height = parent.height + 1;
        let base = snapshot.at(parent.height);
        let mut block_writes = WriteSet::new();
        let mut nonces: BTreeMap<Address, u64> = BTreeMap::new();
        let mut included = Vec::with_capacity(txs.len());
        let mut receipts = Vec::with_capacity(txs.len());
        let mut excluded = Vec::new();

        for tx in txs {
            let hash = tx.hash();
            if tx.tx.chain_id != self.chain_id {
                excluded.push(Excluded {
                    hash,
                    reason: format!("wrong chain id {:?}", tx.tx.chain_id),
                });
                continue;
            }
            let sender = tx.sender_address();
            let expected = match nonces.get(&sender) {
                Some(n) => *n,
                None => read_nonce(&base, &sender)?,
            };
            if tx.tx.nonce != expected {
                excluded.push(Excluded {
                    hash,
                    reason: format!("nonce {} is not the next nonce {expected}", tx.tx.nonce),
                });
                continue;
            }
            nonces.insert(sender, expected + 1);

            let index = u32::try_from(included.len()).map_err(ChainError::corrupt)?;
            let outcome = match self.modules.get(&tx.tx.call.module) {
                None => Err(TxError {
                    kind: TxErrorKind::UnknownModule,
                    code: "unknown_module".into(),
                    message: format!("unknown module {:?}", tx.tx.call.module),
                }),
                Some(module) => {
                    let view = Layered {
                        base: &base,
                        overlay: &block_writes,
                    };
                    let mut ctx =
                        TxContext::new(module.name(), sender, height, timestamp_ms, &view);
                    match module.execute(&mut ctx, &tx.tx.call.method, &tx.tx.call.args) {
                        Ok(()) => Ok(ctx.into_parts()),
                        // A state read failure is this node's fault, not the transaction's:
                        // recording it as a failed receipt would commit a result other nodes
                        // (or a re-execution) would not reach. Abort the block instead.
                        Err(ModuleError::Storage(e)) => {
                            return Err(ChainError::Storage(StorageError(e)))
                        }
                        Err(e) => Err(e.to_tx_error()),
                    }
                }
            };
            let receipt = match outcome {
                Ok((writes, events)) => {
                    block_writes.extend(writes);
                    Receipt {
                        tx_hash: hash,
                        height,
                        index,
                        status: ReceiptStatus::Success,
                        error: None,
                        events,
                    }
                }
                Err(error) => Receipt {
                    tx_hash: hash,
                    height,
                    index,
                    status: ReceiptStatus::Failed,
                    error: Some(error),
                    events: Vec::new(),
                },
            };
            receipts.push(receipt);
            included.push(tx);
        }

        for (address, next) in &nonces {
            block_writes.insert(
                nonce_key(address),
                Some(borsh::to_vec(next).expect("write to Vec")),
            );
        }
        block_writes.insert(
            state_key(SYS_NAMESPACE, HEAD_KEY),
            Some(borsh::to_vec(&(height, timestamp_ms)).expect("write to Vec")),
        );
        // A validator set passed by governance in this block becomes the set in this block's
        // state, so it commits the next block. The header keeps the hash of the set that
        // commits *this* block (the parent's).
        let next_key = state_key(
            crate::governance::NAME,
            crate::governance::NEXT_VALIDATORS_KEY,
        );
        if let Some(Some(next)) = block_writes.get(&next_key).cloned() {
            block_writes.insert(state_key(SYS_NAMESPACE, VALIDATORS_KEY), Some(next));
        }
        let validators = read_validators(&base)?;
        let (state_root, tree_update) = snapshot.tree_update(hashed(&block_writes), height)?;

        let tx_hashes: Vec<Hash> = receipts.iter().map(|r| r.tx_hash).collect();
        let receipt_hashes: Vec<Hash> = receipts.iter().map(Receipt::hash).collect();
        let header = BlockHeader {
            chain_id: self.chain_id.clone(),
            height,
            parent_hash: parent.hash(),
            timestamp_ms,
            proposer,
            transactions_root: merkle_root(&tx_hashes),
            receipts_root: merkle_root(&receipt_hashes),
            state_root,
            validators_hash: validators_hash(&validators),
        };
        Ok(ExecutedBlock {
            header,
            transactions: included,
            receipts,
            excluded,
            writes: block_writes,
            tree_update,
        })
    }
}

fn hashed(writes: &WriteSet) -> Vec<(jmt::KeyHash, Option<Vec<u8>>)> {
    writes
        .iter()
        .map(|(k, v)| (key_hash(k), v.clone()))
        .collect()
}

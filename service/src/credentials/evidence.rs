//! Evidence anchoring on the issuer side: the batcher that gathers credential hashes, anchors one
//! Merkle root per batch with an `evidence.anchor` transaction and hands each hash its inclusion
//! proof; the store of proofs; and the verifier's check.
//!
//! # Batching and durability
//!
//! [`EvidenceBatcher::submit`] queues a hash for a signer (tenant + custodied key) and returns a
//! future of its [`EvidenceReceipt`]. One task (started on first use) takes every hash queued
//! meanwhile and then collects more until its oldest hash has waited
//! [`BatcherConfig::max_wait`] or it holds [`BatcherConfig::max_batch`] hashes, then, per signer:
//! 1. writes them to `evidence_pending` in one transaction (group commit),
//! 2. builds the tree and anchors the root, waiting for the receipt,
//! 3. in one transaction stores every hash's proof in `evidence_proofs` and deletes the pending
//!    rows, then answers the waiters.
//!
//! A receipt is only ever given after step 3, so an acknowledged hash is anchored and its proof
//! stored. A crash between 1 and 3 leaves pending rows, which [`EvidenceBatcher`] re-anchors
//! when it starts (a root anchored just before a crash is then anchored again: harmless, the
//! first stored proof wins). While one batch is on its way to the chain, the next one fills up,
//! so throughput grows with load (one transaction per block interval per signer).

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};
use weft_chain::Address;
use weft_did::evidence::{
    self, credential_hash, Batch, EvidenceCall, EvidenceQuery, InclusionProof, MerkleTree,
};

use super::{query, receipt_attribute};
use crate::error::ServiceError;
use crate::store::{now_ms, StoreError};
use crate::Context;

/// Batcher tunables.
#[derive(Debug, Clone, Copy)]
pub struct BatcherConfig {
    /// Longest a hash waits for companions before its batch is anchored.
    pub max_wait: Duration,
    /// Most hashes per batch.
    pub max_batch: usize,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        BatcherConfig {
            max_wait: Duration::from_millis(20),
            max_batch: 8192,
        }
    }
}

/// Who signs an anchor: a tenant's custodied key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signer {
    /// The tenant.
    pub tenant: String,
    /// Its key id.
    pub key_id: String,
}

/// What an anchored hash gets back.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceReceipt {
    /// The credential hash (hex).
    pub hash: String,
    /// The batch id.
    pub batch: u64,
    /// The batch's Merkle root (hex).
    pub root: String,
    /// The inclusion proof (`index`, `count`, `path` as hex).
    pub proof: Value,
    /// The anchoring transaction.
    pub tx_hash: String,
    /// Its block height.
    pub height: u64,
}

struct Item {
    signer: Signer,
    hash: [u8; 32],
    reply: Option<oneshot::Sender<Result<EvidenceReceipt, String>>>,
    /// When it was queued: its batch leaves at most `max_wait` after the oldest item.
    queued: tokio::time::Instant,
}

/// The anchoring batcher (one per [`Context`]).
pub struct EvidenceBatcher {
    config: BatcherConfig,
    tx: mpsc::UnboundedSender<Item>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Item>>>,
}

impl std::fmt::Debug for EvidenceBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceBatcher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EvidenceBatcher {
    /// A batcher with `config`; its task starts on the first [`EvidenceBatcher::submit`] or
    /// [`EvidenceBatcher::start`].
    pub fn new(config: BatcherConfig) -> EvidenceBatcher {
        let (tx, rx) = mpsc::unbounded_channel();
        EvidenceBatcher {
            config,
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }

    /// Starts the task if it is not running (re-anchoring pending hashes left by a crash).
    /// Must run inside a tokio runtime.
    pub fn start(&self, state: &Arc<Context>) {
        let Some(rx) = self.rx.lock().take() else {
            return;
        };
        let weak = Arc::downgrade(state);
        let config = self.config;
        tokio::spawn(run(weak, rx, config));
    }

    /// Queues `hash` for anchoring by `signer` and waits for its receipt.
    pub async fn submit(
        &self,
        state: &Arc<Context>,
        signer: Signer,
        hash: [u8; 32],
    ) -> Result<EvidenceReceipt, ServiceError> {
        self.start(state);
        let (reply, wait) = oneshot::channel();
        self.tx
            .send(Item {
                signer,
                hash,
                reply: Some(reply),
                queued: tokio::time::Instant::now(),
            })
            .map_err(|_| ServiceError::Unavailable("evidence batcher stopped".into()))?;
        match wait.await {
            Ok(Ok(receipt)) => Ok(receipt),
            Ok(Err(detail)) => Err(ServiceError::Unavailable(format!(
                "anchoring failed: {detail}"
            ))),
            Err(_) => Err(ServiceError::Unavailable("evidence batcher stopped".into())),
        }
    }
}

async fn run(state: Weak<Context>, mut rx: mpsc::UnboundedReceiver<Item>, config: BatcherConfig) {
    // Re-anchor what a previous run accepted but did not finish.
    let mut carried: Vec<Item> = match state.upgrade() {
        Some(s) => match pending(&s).await {
            Ok(items) => items,
            Err(e) => {
                tracing::error!(error = %e, "reading pending evidence failed");
                Vec::new()
            }
        },
        None => return,
    };
    loop {
        let mut items = std::mem::take(&mut carried);
        if items.is_empty() {
            match rx.recv().await {
                Some(item) => items.push(item),
                None => return,
            }
        }
        // Whatever queued up while the previous batch was anchored goes at once; a batch waits
        // for companions only until its oldest hash has waited `max_wait`.
        while items.len() < config.max_batch {
            match rx.try_recv() {
                Ok(item) => items.push(item),
                Err(_) => break,
            }
        }
        let oldest = items.iter().map(|i| i.queued).min();
        let deadline = oldest.unwrap_or_else(tokio::time::Instant::now) + config.max_wait;
        while items.len() < config.max_batch {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(item)) => items.push(item),
                Ok(None) | Err(_) => break,
            }
        }
        let Some(state) = state.upgrade() else {
            return;
        };
        let mut groups: BTreeMap<Signer, Vec<Item>> = BTreeMap::new();
        for item in items {
            groups.entry(item.signer.clone()).or_default().push(item);
        }
        for (signer, items) in groups {
            if let Err(e) = anchor_group(&state, &signer, items).await {
                tracing::error!(tenant = %signer.tenant, error = %e, "evidence anchoring failed");
            }
        }
    }
}

async fn pending(state: &Context) -> Result<Vec<Item>, StoreError> {
    let rows = sqlx::query("SELECT hash, tenant, key_id FROM evidence_pending ORDER BY created_ms")
        .fetch_all(state.store.pool())
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let hash: String = row.try_get("hash")?;
        let mut h = [0u8; 32];
        if hex::decode_to_slice(&hash, &mut h).is_err() {
            continue;
        }
        out.push(Item {
            signer: Signer {
                tenant: row.try_get("tenant")?,
                key_id: row.try_get("key_id")?,
            },
            hash: h,
            reply: None,
            queued: tokio::time::Instant::now(),
        });
    }
    if !out.is_empty() {
        tracing::info!(count = out.len(), "re-anchoring pending evidence");
    }
    Ok(out)
}

async fn anchor_group(
    state: &Context,
    signer: &Signer,
    items: Vec<Item>,
) -> Result<(), ServiceError> {
    // One leaf per distinct hash; every waiter of a hash gets its proof.
    let mut leaves: Vec<[u8; 32]> = Vec::with_capacity(items.len());
    let mut waiters: BTreeMap<[u8; 32], Vec<oneshot::Sender<Result<EvidenceReceipt, String>>>> =
        BTreeMap::new();
    for item in items {
        if !waiters.contains_key(&item.hash) {
            leaves.push(item.hash);
        }
        let w = waiters.entry(item.hash).or_default();
        if let Some(r) = item.reply {
            w.push(r);
        }
    }
    let result = anchor_leaves(state, signer, &leaves).await;
    match result {
        Ok(receipts) => {
            for receipt in receipts {
                let mut h = [0u8; 32];
                hex::decode_to_slice(&receipt.hash, &mut h).map_err(ServiceError::internal)?;
                for w in waiters.remove(&h).unwrap_or_default() {
                    let _ = w.send(Ok(receipt.clone()));
                }
            }
            Ok(())
        }
        Err(e) => {
            let detail = e.to_string();
            for w in waiters.into_values().flatten() {
                let _ = w.send(Err(detail.clone()));
            }
            Err(e)
        }
    }
}

async fn anchor_leaves(
    state: &Context,
    signer: &Signer,
    leaves: &[[u8; 32]],
) -> Result<Vec<EvidenceReceipt>, ServiceError> {
    let pool = state.store.pool();
    // 1. Durable before anchoring.
    let now = now_ms();
    let mut db = pool.begin().await.map_err(StoreError::from)?;
    for chunk in leaves.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO evidence_pending (hash, tenant, key_id, created_ms) VALUES {} \
             ON CONFLICT DO NOTHING",
            values(chunk.len(), 4, 0)
        );
        let mut q = sqlx::query(&sql);
        for h in chunk {
            q = q
                .bind(hex::encode(h))
                .bind(signer.tenant.clone())
                .bind(signer.key_id.clone())
                .bind(now);
        }
        q.execute(&mut *db).await.map_err(StoreError::from)?;
    }
    db.commit().await.map_err(StoreError::from)?;
    // 2. Anchor.
    let tree = MerkleTree::new(leaves).map_err(ServiceError::internal)?;
    let key = state
        .opened_keys
        .get(state, &signer.tenant, &signer.key_id)
        .await?;
    let tx = state
        .chain
        .sign_submit_and_wait(
            &key,
            EvidenceCall::Anchor {
                root: tree.root(),
                count: tree.count(),
            }
            .call(),
        )
        .await?
        .settled()?;
    let batch: u64 = receipt_attribute(state, &tx.tx_hash, "batch")?
        .parse()
        .map_err(ServiceError::internal)?;
    let root = hex::encode(tree.root());
    // 3. Proofs stored, pending rows gone, in one transaction.
    let mut receipts = Vec::with_capacity(leaves.len());
    let mut paths = Vec::with_capacity(leaves.len());
    for (i, h) in leaves.iter().enumerate() {
        let proof = tree
            .proof(i as u32)
            .ok_or_else(|| ServiceError::internal("proof"))?;
        paths.push(proof.path.iter().map(hex::encode).collect::<String>());
        receipts.push(EvidenceReceipt {
            hash: hex::encode(h),
            batch,
            root: root.clone(),
            proof: proof.to_json(),
            tx_hash: tx.tx_hash.clone(),
            height: tx.height,
        });
    }
    let mut db = pool.begin().await.map_err(StoreError::from)?;
    for (n, chunk) in receipts.chunks(ROWS_PER_STATEMENT).enumerate() {
        let first = n * ROWS_PER_STATEMENT;
        let sql = format!(
            "INSERT INTO evidence_proofs (hash, tenant, batch, idx, count, root, path) VALUES {} \
             ON CONFLICT DO NOTHING",
            values(chunk.len(), 7, 0)
        );
        let mut q = sqlx::query(&sql);
        for (k, r) in chunk.iter().enumerate() {
            q = q
                .bind(r.hash.clone())
                .bind(signer.tenant.clone())
                .bind(batch as i64)
                .bind((first + k) as i64)
                .bind(tree.count() as i64)
                .bind(root.clone())
                .bind(paths[first + k].clone());
        }
        q.execute(&mut *db).await.map_err(StoreError::from)?;
        let sql = format!(
            "DELETE FROM evidence_pending WHERE tenant = $1 AND key_id = $2 AND hash IN ({})",
            (3..3 + chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(signer.tenant.clone())
            .bind(signer.key_id.clone());
        for r in chunk {
            q = q.bind(r.hash.clone());
        }
        q.execute(&mut *db).await.map_err(StoreError::from)?;
    }
    db.commit().await.map_err(StoreError::from)?;
    tracing::debug!(batch, count = leaves.len(), "evidence batch anchored");
    Ok(receipts)
}

/// Rows per multi-row statement (at most 7 parameters a row: well under both backends' limits).
const ROWS_PER_STATEMENT: usize = 256;

/// `($1, $2, ..), (..), ..`: `rows` rows of `cols` placeholders, numbered after `offset`.
fn values(rows: usize, cols: usize, offset: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=cols)
                .map(|c| format!("${}", offset + r * cols + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored proof of a hash.
#[derive(Debug, Clone)]
pub struct StoredProof {
    /// The tenant that anchored it.
    pub tenant: String,
    /// The batch.
    pub batch: u64,
    /// The root (hex).
    pub root: [u8; 32],
    /// The proof.
    pub proof: InclusionProof,
}

/// The stored proof of a credential hash, if anchored through this node.
pub async fn stored_proof(
    state: &Context,
    hash: &[u8; 32],
) -> Result<Option<StoredProof>, ServiceError> {
    let row = sqlx::query(
        "SELECT tenant, batch, idx, count, root, path FROM evidence_proofs WHERE hash = $1",
    )
    .bind(hex::encode(hash))
    .fetch_optional(state.store.pool())
    .await
    .map_err(StoreError::from)?;
    let Some(row) = row else { return Ok(None) };
    let int = |name: &str| -> Result<i64, ServiceError> {
        row.try_get(name).map_err(ServiceError::internal)
    };
    let root_hex: String = row.try_get("root").map_err(ServiceError::internal)?;
    let path_hex: String = row.try_get("path").map_err(ServiceError::internal)?;
    let mut root = [0u8; 32];
    hex::decode_to_slice(&root_hex, &mut root).map_err(ServiceError::internal)?;
    let bytes = hex::decode(&path_hex).map_err(ServiceError::internal)?;
    if bytes.len() % 32 != 0 {
        return Err(ServiceError::internal("corrupt proof path"));
    }
    let path = bytes
        .chunks(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect();
    Ok(Some(StoredProof {
        tenant: row.try_get("tenant").map_err(ServiceError::internal)?,
        batch: u64::try_from(int("batch")?).map_err(ServiceError::internal)?,
        root,
        proof: InclusionProof {
            index: u32::try_from(int("idx")?).map_err(ServiceError::internal)?,
            count: u32::try_from(int("count")?).map_err(ServiceError::internal)?,
            path,
        },
    }))
}

/// A batch on chain (404 if none).
pub fn chain_batch(state: &Context, batch: u64) -> Result<Batch, ServiceError> {
    query::<Option<Batch>>(state, evidence::NAME, EvidenceQuery::Batch { batch }.args())?
        .ok_or_else(|| ServiceError::NotFound(format!("no evidence batch {batch}")))
}

/// The verifier's evidence outcome (one definition, in `weft_did`).
pub use weft_did::credential::verify::EvidenceOutcome;

/// The batch behind an anchored or revoked hash: the detail beside [`EvidenceOutcome`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorBatch {
    /// The batch.
    pub batch: u64,
    /// Its height.
    pub height: u64,
    /// Its block time (ms).
    pub time_ms: u64,
    /// The anchoring account.
    pub signer: Address,
    /// When the signer revoked it (block time, ms), if it did.
    pub revoked_ms: Option<u64>,
}

/// What the evidence check found: the verifier's outcome and, unless not anchored, the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFound {
    /// Anchored, revoked or not anchored.
    pub outcome: EvidenceOutcome,
    /// The batch (`None` when not anchored).
    pub batch: Option<AnchorBatch>,
}

impl EvidenceFound {
    const NOT_ANCHORED: EvidenceFound = EvidenceFound {
        outcome: EvidenceOutcome::NotAnchored,
        batch: None,
    };
}

/// Checks whether a secured credential is anchored: recomputes [`credential_hash`], looks up its
/// stored proof and verifies it against the batch root read from chain. The caller decides
/// whether the batch signer is acceptable (e.g. the issuer's DID address).
pub async fn evidence_outcome(
    state: &Context,
    credential: &Value,
) -> Result<EvidenceOutcome, ServiceError> {
    hash_outcome(state, &credential_hash(credential)).await
}

/// [`evidence_outcome`] for a hash.
pub async fn hash_outcome(
    state: &Context,
    hash: &[u8; 32],
) -> Result<EvidenceOutcome, ServiceError> {
    Ok(hash_found(state, hash).await?.outcome)
}

/// [`hash_outcome`] with the batch's detail (id, height, time, signer, revocation).
pub async fn hash_found(state: &Context, hash: &[u8; 32]) -> Result<EvidenceFound, ServiceError> {
    let Some(stored) = stored_proof(state, hash).await? else {
        return Ok(EvidenceFound::NOT_ANCHORED);
    };
    let batch = match query::<Option<Batch>>(
        state,
        evidence::NAME,
        EvidenceQuery::Batch {
            batch: stored.batch,
        }
        .args(),
    )? {
        Some(b) => b,
        None => return Ok(EvidenceFound::NOT_ANCHORED),
    };
    if batch.root != stored.root || !evidence::verify(&batch.root, hash, &stored.proof) {
        return Ok(EvidenceFound::NOT_ANCHORED);
    }
    let detail = AnchorBatch {
        batch: batch.id,
        height: batch.height,
        time_ms: batch.timestamp_ms,
        signer: batch.signer,
        revoked_ms: batch.revoked.as_ref().map(|r| r.timestamp_ms),
    };
    Ok(EvidenceFound {
        outcome: match batch.revoked {
            Some(_) => EvidenceOutcome::Revoked,
            None => EvidenceOutcome::Anchored {
                height: batch.height,
            },
        },
        batch: Some(detail),
    })
}

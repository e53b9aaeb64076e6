//! Public chain reads (no token): head, blocks (newest first), one block, one transaction with its
//! receipt or status, validators. Reads of committed data do not touch the pool journal, so they
//! run inline.

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use weft_chain::{Block, Hash, Node, SignedTransaction, TxStatus};

use super::ApiState;
use crate::problem::{ApiError, Problem};

/// The chain head.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadView {
    /// Chain id.
    pub chain_id: String,
    /// Latest committed height.
    pub height: u64,
    /// Latest block hash.
    pub hash: String,
    /// Latest block timestamp (Unix ms).
    pub timestamp_ms: u64,
    /// Transactions waiting in the pool.
    pub pool_size: usize,
    /// Whether the node is catching up.
    pub syncing: bool,
}

/// A block without its transactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockSummary {
    /// Height.
    pub height: u64,
    /// Block hash.
    pub hash: String,
    /// Parent hash.
    pub parent_hash: String,
    /// Timestamp (Unix ms).
    pub timestamp_ms: u64,
    /// Proposer address.
    pub proposer: String,
    /// State root after the block.
    pub state_root: String,
    /// Number of transactions.
    pub tx_count: usize,
}

/// A page of blocks, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockPage {
    /// Blocks, newest first.
    pub blocks: Vec<BlockSummary>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
}

/// A transaction in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxSummary {
    /// Transaction hash.
    pub hash: String,
    /// Sender address.
    pub from: String,
    /// Sender nonce.
    pub nonce: u64,
    /// Module called.
    pub module: String,
    /// Method called.
    pub method: String,
}

/// A committed transaction in a list, with its block height.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxListItem {
    /// Height of its block.
    pub height: u64,
    /// The transaction.
    #[serde(flatten)]
    pub tx: TxSummary,
}

/// A page of recent transactions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxPage {
    /// Transactions, newest first (by block, then reverse order within the block).
    pub transactions: Vec<TxListItem>,
    /// Pass as `before` to continue with older blocks; absent when the scan reached genesis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
}

/// Most blocks one `GET /api/v1/chain/transactions` scans.
const MAX_SCAN_BLOCKS: u64 = 1_000;

/// A block with its transactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockView {
    /// The block header summary.
    #[serde(flatten)]
    pub summary: BlockSummary,
    /// Transactions root.
    pub transactions_root: String,
    /// Receipts root.
    pub receipts_root: String,
    /// Transactions in execution order.
    pub transactions: Vec<TxSummary>,
}

/// A transaction's receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    /// `success` or `failed`.
    pub status: String,
    /// Why it failed: kind, stable code and message.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schema::TxError>)]
    pub error: Option<weft_chain::TxError>,
    /// Events emitted (empty when failed).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

/// A transaction and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxView {
    /// Transaction hash.
    pub hash: String,
    /// `pending`, `committed` or `dropped`.
    pub status: String,
    /// Height, when committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Index in the block, when committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Block hash, when committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_hash: Option<String>,
    /// The transaction, when committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TxDetail>,
    /// The receipt, when committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptView>,
    /// Why it was dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A committed transaction's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct TxDetail {
    /// Sender address.
    pub from: String,
    /// Sender public key.
    pub sender: String,
    /// Sender nonce.
    pub nonce: u64,
    /// Module called.
    pub module: String,
    /// Method called.
    pub method: String,
    /// Borsh-encoded arguments, `0x` hex.
    pub args: String,
    /// The module's JSON description of the call, when it offers one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub call: Option<Value>,
}

/// A validator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidatorView {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Consensus public key.
    pub public_key: String,
    /// Voting power.
    pub power: u64,
}

/// Paging of `GET /api/v1/chain/blocks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlocksQuery {
    /// Page size (1 to 100, default 20).
    pub limit: Option<u32>,
    /// Only blocks strictly below this height (default: from the head).
    pub before: Option<u64>,
}

fn chain_error(err: weft_chain::ChainError) -> ApiError {
    match err {
        weft_chain::ChainError::HeightUnavailable { .. } => ApiError::NotFound(err.to_string()),
        other => ApiError::internal(other),
    }
}

fn summary(block: &Block) -> BlockSummary {
    let h = &block.header;
    BlockSummary {
        height: h.height,
        hash: h.hash().to_string(),
        parent_hash: h.parent_hash.to_string(),
        timestamp_ms: h.timestamp_ms,
        proposer: h.proposer.to_string(),
        state_root: h.state_root.to_string(),
        tx_count: block.transactions.len(),
    }
}

fn tx_summary(tx: &SignedTransaction) -> TxSummary {
    TxSummary {
        hash: tx.hash().to_string(),
        from: tx.sender_address().to_string(),
        nonce: tx.tx.nonce,
        module: tx.tx.call.module.clone(),
        method: tx.tx.call.method.clone(),
    }
}

fn tx_detail(node: &Node, tx: &SignedTransaction) -> TxDetail {
    let call = &tx.tx.call;
    TxDetail {
        from: tx.sender_address().to_string(),
        sender: tx.tx.sender.to_string(),
        nonce: tx.tx.nonce,
        module: call.module.clone(),
        method: call.method.clone(),
        args: format!("0x{}", hex::encode(&call.args)),
        call: node
            .modules()
            .get(&call.module)
            .and_then(|m| m.describe_call(&call.method, &call.args)),
    }
}

/// The chain head.
#[utoipa::path(get, path = "/api/v1/chain/head", tag = "chain",
    responses((status = 200, description = "The head", body = HeadView)))]
pub async fn head(state: web::Data<ApiState>) -> web::Json<HeadView> {
    let status = state.node.sync_status();
    web::Json(HeadView {
        chain_id: status.chain_id,
        height: status.latest_height,
        hash: status.latest_hash.to_string(),
        timestamp_ms: status.latest_timestamp_ms,
        pool_size: status.pool_size,
        syncing: status.syncing,
    })
}

/// Recent blocks, newest first.
#[utoipa::path(get, path = "/api/v1/chain/blocks", tag = "chain", params(BlocksQuery),
    responses(
        (status = 200, description = "A page of blocks", body = BlockPage),
        (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn blocks(
    state: web::Data<ApiState>,
    query: web::Query<BlocksQuery>,
) -> Result<web::Json<BlockPage>, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::InvalidRequest(
            "limit must be between 1 and 100".into(),
        ));
    }
    let head = state.node.height();
    let top = match query.before {
        Some(0) => {
            return Ok(web::Json(BlockPage {
                blocks: Vec::new(),
                next_before: None,
            }))
        }
        Some(before) => (before - 1).min(head),
        None => head,
    };
    let mut blocks = Vec::new();
    let mut height = top;
    loop {
        if blocks.len() == limit as usize {
            break;
        }
        if let Some(block) = state.node.block_by_number(height).map_err(chain_error)? {
            blocks.push(summary(&block));
        }
        if height == 0 {
            break;
        }
        height -= 1;
    }
    let next_before = blocks.last().map(|b| b.height).filter(|h| *h > 0);
    Ok(web::Json(BlockPage {
        blocks,
        next_before,
    }))
}

/// Recent transactions, newest first. Scans at most 1,000 blocks per request: follow
/// `next_before` for more (a page may hold fewer than `limit` items when blocks are sparse).
#[utoipa::path(get, path = "/api/v1/chain/transactions", tag = "chain", params(BlocksQuery),
    responses(
        (status = 200, description = "A page of transactions", body = TxPage),
        (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn transactions(
    state: web::Data<ApiState>,
    query: web::Query<BlocksQuery>,
) -> Result<web::Json<TxPage>, ApiError> {
    let limit = query.limit.unwrap_or(20) as usize;
    if !(1..=100).contains(&limit) {
        return Err(ApiError::InvalidRequest(
            "limit must be between 1 and 100".into(),
        ));
    }
    let head = state.node.height();
    let mut height = match query.before {
        Some(0) => {
            return Ok(web::Json(TxPage {
                transactions: Vec::new(),
                next_before: None,
            }))
        }
        Some(before) => (before - 1).min(head),
        None => head,
    };
    let mut transactions = Vec::new();
    let mut scanned = 0;
    loop {
        if let Some(block) = state.node.block_by_number(height).map_err(chain_error)? {
            for tx in block.transactions.iter().rev() {
                transactions.push(TxListItem {
                    height,
                    tx: tx_summary(tx),
                });
            }
        }
        scanned += 1;
        // Whole blocks only, so `next_before` never skips part of a block.
        if height == 0 || transactions.len() >= limit || scanned >= MAX_SCAN_BLOCKS {
            break;
        }
        height -= 1;
    }
    Ok(web::Json(TxPage {
        transactions,
        next_before: (height > 0).then_some(height),
    }))
}

/// One block with its transactions.
#[utoipa::path(get, path = "/api/v1/chain/blocks/{height}", tag = "chain",
    params(("height" = u64, Path, description = "Block height")),
    responses(
        (status = 200, description = "The block", body = BlockView),
        (status = 404, description = "No such block", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn block(
    state: web::Data<ApiState>,
    height: web::Path<u64>,
) -> Result<web::Json<BlockView>, ApiError> {
    let height = height.into_inner();
    let block = state
        .node
        .block_by_number(height)
        .map_err(chain_error)?
        .ok_or_else(|| ApiError::NotFound(format!("no block at height {height}")))?;
    Ok(web::Json(BlockView {
        summary: summary(&block),
        transactions_root: block.header.transactions_root.to_string(),
        receipts_root: block.header.receipts_root.to_string(),
        transactions: block.transactions.iter().map(tx_summary).collect(),
    }))
}

/// A transaction, its receipt when committed, or its pool status.
#[utoipa::path(get, path = "/api/v1/chain/transactions/{hash}", tag = "chain",
    params(("hash" = String, Path, description = "Transaction hash, 0x hex")),
    responses(
        (status = 200, description = "The transaction", body = TxView),
        (status = 400, description = "Malformed hash", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown transaction", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn transaction(
    state: web::Data<ApiState>,
    hash: web::Path<String>,
) -> Result<web::Json<TxView>, ApiError> {
    let hash: Hash = hash
        .parse()
        .map_err(|_| ApiError::InvalidRequest("hash must be 32 bytes of 0x hex".into()))?;
    let node = &state.node;
    let empty = |status: &str| TxView {
        hash: hash.to_string(),
        status: status.to_string(),
        height: None,
        index: None,
        block_hash: None,
        transaction: None,
        receipt: None,
        reason: None,
    };
    if let Some(record) = node.transaction(&hash).map_err(chain_error)? {
        let receipt = node.receipt(&hash).map_err(chain_error)?;
        return Ok(web::Json(TxView {
            height: Some(record.height),
            index: Some(record.index),
            block_hash: Some(record.block_hash.to_string()),
            transaction: Some(tx_detail(node, &record.tx)),
            receipt: receipt.map(|r| ReceiptView {
                status: match r.status {
                    weft_chain::ReceiptStatus::Success => "success".into(),
                    weft_chain::ReceiptStatus::Failed => "failed".into(),
                },
                error: r.error,
                events: r
                    .events
                    .iter()
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .collect(),
            }),
            ..empty("committed")
        }));
    }
    match node.tx_status(&hash).map_err(chain_error)? {
        TxStatus::Pending => Ok(web::Json(empty("pending"))),
        TxStatus::Dropped { reason } => Ok(web::Json(TxView {
            reason: Some(reason),
            ..empty("dropped")
        })),
        // Committed between the two reads: the client may ask again.
        TxStatus::Committed { height } => Ok(web::Json(TxView {
            height: Some(height),
            ..empty("committed")
        })),
        TxStatus::Unknown => Err(ApiError::NotFound(format!("unknown transaction {hash}"))),
    }
}

/// The current validator set.
#[utoipa::path(get, path = "/api/v1/chain/validators", tag = "chain",
    responses((status = 200, description = "Validators", body = Vec<ValidatorView>)))]
pub async fn validators(
    state: web::Data<ApiState>,
) -> Result<web::Json<Vec<ValidatorView>>, ApiError> {
    let validators = state.node.validators(None).map_err(chain_error)?;
    Ok(web::Json(
        validators
            .into_iter()
            .map(|v| ValidatorView {
                name: v.name,
                address: v.address.to_string(),
                public_key: v.public_key.to_string(),
                power: v.power,
            })
            .collect(),
    ))
}

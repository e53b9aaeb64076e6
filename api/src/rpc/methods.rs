//! The JSON-RPC methods: each one decodes its [`Params`], calls the [`Node`] and encodes the
//! result. Wire formats are documented in `docs/rpc.md`; this file is their implementation.
//!
//! Byte strings travel as `0x`-prefixed lowercase hex, numbers as JSON numbers, heights as a number
//! or `"latest"`. Absent blocks, transactions and receipts are `null`, not errors.

use serde::Deserialize;
use serde_json::{json, Value};
use weft_chain::{
    Address, Block, CallError, ChainError, Hash, Node, SignedTransaction, TxRejection, TxStatus,
};

use super::{Params, RpcError};

/// `sendTransaction`, named because batches treat it specially.
pub const SEND_TRANSACTION: &str = "sendTransaction";

/// Every method `POST /rpc` serves, in documentation order.
pub const METHODS: &[&str] = &[
    "getBlockNumber",
    "getBlockByNumber",
    "getBlockByHash",
    SEND_TRANSACTION,
    "sendTransactions",
    "getTransactionByHash",
    "getTransactionReceipt",
    "getTransactionStatus",
    "call",
    "getStateProof",
    "getValidators",
    "getSyncStatus",
    "getNonce",
];

/// Runs one method.
pub fn dispatch(node: &Node, method: &str, params: Params<'_>) -> Result<Value, RpcError> {
    match method {
        "getBlockNumber" => {
            params.expect_only(&[])?;
            Ok(json!(node.height()))
        }
        "getBlockByNumber" => {
            params.expect_only(&["height", "includeTransactions"])?;
            let height = resolve_height(node, params.required(0, "height")?);
            let full = params.optional(1, "includeTransactions")?.unwrap_or(false);
            let block = node.block_by_number(height).map_err(chain_error)?;
            block
                .map(|block| block_json(&block, full))
                .transpose()
                .map(|b| b.unwrap_or(Value::Null))
        }
        "getBlockByHash" => {
            params.expect_only(&["hash", "includeTransactions"])?;
            let hash: Hash = params.required(0, "hash")?;
            let full = params.optional(1, "includeTransactions")?.unwrap_or(false);
            let block = node.block_by_hash(&hash).map_err(chain_error)?;
            block
                .map(|block| block_json(&block, full))
                .transpose()
                .map(|b| b.unwrap_or(Value::Null))
        }
        SEND_TRANSACTION => {
            let tx = decode_send_transaction(params)?;
            node.submit(tx)
                .map(|hash| json!(hash))
                .map_err(|r| rejection_error(&r))
        }
        "sendTransactions" => {
            params.expect_only(&["transactions"])?;
            let raw: Vec<String> = params.required(0, "transactions")?;
            send_transactions(node, &raw)
        }
        "getTransactionByHash" => {
            params.expect_only(&["hash"])?;
            let hash: Hash = params.required(0, "hash")?;
            match node.transaction(&hash).map_err(chain_error)? {
                None => Ok(Value::Null),
                Some(record) => Ok(json!({
                    "transaction": to_json(&record.tx)?,
                    "height": record.height,
                    "index": record.index,
                    "blockHash": record.block_hash,
                })),
            }
        }
        "getTransactionReceipt" => {
            params.expect_only(&["hash"])?;
            let hash: Hash = params.required(0, "hash")?;
            node.receipt(&hash)
                .map_err(chain_error)?
                .map(|r| to_json(&r))
                .unwrap_or(Ok(Value::Null))
        }
        "getTransactionStatus" => {
            params.expect_only(&["hash"])?;
            let hash: Hash = params.required(0, "hash")?;
            Ok(status_json(&node.tx_status(&hash).map_err(chain_error)?))
        }
        "call" => {
            params.expect_only(&["module", "method", "args", "height"])?;
            let module: String = params.required(0, "module")?;
            let method: String = params.required(1, "method")?;
            let args = params
                .optional::<String>(2, "args")?
                .map(|a| decode_hex("args", &a))
                .transpose()?;
            let height = params
                .optional::<HeightParam>(3, "height")?
                .map(|h| resolve_height(node, h));
            let result = node
                .call(
                    &module,
                    &method,
                    args.as_deref().unwrap_or_default(),
                    height,
                )
                .map_err(call_error)?;
            Ok(json!({ "result": hex_0x(&result) }))
        }
        "getStateProof" => {
            params.expect_only(&["module", "key", "height"])?;
            let module: String = params.required(0, "module")?;
            let key = decode_hex("key", &params.required::<String>(1, "key")?)?;
            let height = params
                .optional::<HeightParam>(2, "height")?
                .map(|h| resolve_height(node, h));
            to_json(
                &node
                    .state_proof(&module, &key, height)
                    .map_err(chain_error)?,
            )
        }
        "getValidators" => {
            params.expect_only(&["height"])?;
            let height = params
                .optional::<HeightParam>(0, "height")?
                .map(|h| resolve_height(node, h));
            let validators = node.validators(height).map_err(chain_error)?;
            Ok(Value::Array(
                validators
                    .iter()
                    .map(|v| {
                        json!({
                            "name": v.name,
                            "publicKey": v.public_key,
                            "address": v.address,
                            "power": v.power,
                        })
                    })
                    .collect(),
            ))
        }
        "getSyncStatus" => {
            params.expect_only(&[])?;
            let status = node.sync_status();
            Ok(json!({
                "chainId": status.chain_id,
                "latestHeight": status.latest_height,
                "latestHash": status.latest_hash,
                "latestTimestampMs": status.latest_timestamp_ms,
                "syncing": status.syncing,
                "poolSize": status.pool_size,
            }))
        }
        "getNonce" => {
            params.expect_only(&["address"])?;
            let address: Address = params.required(0, "address")?;
            Ok(json!(node.next_nonce(&address).map_err(chain_error)?))
        }
        other => Err(RpcError::method_not_found(other)),
    }
}

/// Decodes the single parameter of `sendTransaction`: the hex of `SignedTransaction::encode()`.
pub fn decode_send_transaction(params: Params<'_>) -> Result<SignedTransaction, RpcError> {
    params.expect_only(&["transaction"])?;
    let raw: String = params.required(0, "transaction")?;
    decode_transaction(&raw)
}

fn decode_transaction(raw: &str) -> Result<SignedTransaction, RpcError> {
    let bytes = decode_hex("transaction", raw)?;
    SignedTransaction::decode(&bytes)
        .map_err(|err| RpcError::invalid_params(format!("transaction: {err}")))
}

/// `sendTransactions`: one result per input, in order, each `{"hash"}` or `{"error"}`.
fn send_transactions(node: &Node, raw: &[String]) -> Result<Value, RpcError> {
    let mut slots: Vec<Option<Value>> = Vec::with_capacity(raw.len());
    let mut txs = Vec::with_capacity(raw.len());
    for item in raw {
        match decode_transaction(item) {
            Ok(tx) => {
                txs.push(tx);
                slots.push(None);
            }
            Err(err) => slots.push(Some(json!({ "error": err }))),
        }
    }
    let mut results = node.submit_batch(txs).into_iter();
    let out = slots
        .into_iter()
        .map(|slot| match slot {
            Some(error) => error,
            None => match results.next() {
                Some(Ok(hash)) => json!({ "hash": hash }),
                Some(Err(rejection)) => json!({ "error": rejection_error(&rejection) }),
                None => {
                    json!({ "error": RpcError::internal("submit_batch returned too few results") })
                }
            },
        })
        .collect();
    Ok(Value::Array(out))
}

/// The JSON-RPC error for a rejected transaction (code -32000, `data: {code, reason}`).
pub fn rejection_error(rejection: &TxRejection) -> RpcError {
    match rejection {
        // A storage failure is still reported as a rejection (the client should retry), but the
        // detail stays in the log.
        TxRejection::Unavailable(detail) => {
            tracing::error!(error = %detail, "transaction submission failed in storage");
            RpcError::tx_rejected(rejection.code(), "node storage unavailable")
        }
        _ => RpcError::tx_rejected(rejection.code(), rejection),
    }
}

fn chain_error(err: ChainError) -> RpcError {
    match err {
        ChainError::HeightUnavailable { .. } => RpcError::not_available(err),
        other => RpcError::internal(other),
    }
}

fn call_error(err: CallError) -> RpcError {
    match err {
        CallError::UnknownModule(_) | CallError::Module(_) => RpcError::call_failed(err),
        CallError::HeightUnavailable { .. } => RpcError::not_available(err),
        CallError::Chain(chain) => chain_error(chain),
    }
}

/// A block height: a number or `"latest"`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum HeightParam {
    Number(u64),
    Tag(HeightTag),
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum HeightTag {
    Latest,
}

fn resolve_height(node: &Node, height: HeightParam) -> u64 {
    match height {
        HeightParam::Number(n) => n,
        HeightParam::Tag(HeightTag::Latest) => node.height(),
    }
}

fn block_json(block: &Block, include_transactions: bool) -> Result<Value, RpcError> {
    let mut value = to_json(block)?;
    if let Value::Object(object) = &mut value {
        object.insert("hash".into(), json!(block.header.hash()));
        if !include_transactions {
            let hashes = block
                .transactions
                .iter()
                .map(|tx| json!(tx.hash()))
                .collect();
            object.insert("transactions".into(), Value::Array(hashes));
        }
    }
    Ok(value)
}

fn status_json(status: &TxStatus) -> Value {
    match status {
        TxStatus::Pending => json!({ "status": "pending" }),
        TxStatus::Committed { height } => json!({ "status": "committed", "height": height }),
        TxStatus::Dropped { reason } => json!({ "status": "dropped", "reason": reason }),
        TxStatus::Unknown => json!({ "status": "unknown" }),
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(RpcError::internal)
}

fn hex_0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn decode_hex(name: &str, text: &str) -> Result<Vec<u8>, RpcError> {
    let digits = text.strip_prefix("0x").ok_or_else(|| {
        RpcError::invalid_params(format!("parameter {name:?} must be 0x-prefixed hex"))
    })?;
    hex::decode(digits)
        .map_err(|err| RpcError::invalid_params(format!("parameter {name:?}: {err}")))
}

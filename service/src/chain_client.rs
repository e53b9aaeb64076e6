//! The API's chain client: submits transactions to the in-process node and waits for their
//! receipts with a timeout, and turns failed receipts into typed refusals by their error kind and
//! code ([`TxOutcome::settled`], [`TxOutcome::refused_is_rejected`]): nothing matches messages.
//!
//! Submission is durable before it returns (the node fsyncs its pool journal), so it runs on the
//! blocking pool. Waiting listens to the node's block subscription and re-checks the transaction's
//! status on every block (and every 250 ms, in case a notification was missed), ending on a
//! receipt, a drop, or the deadline. Signing with a custodied key holds a per-account lock from
//! nonce lookup to submission, so concurrent requests for one key get consecutive nonces.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;
use weft_chain::{
    Address, Call, Hash, Keypair, Node, Receipt, ReceiptStatus, SignedTransaction, Transaction,
    TxError, TxErrorKind, TxRejection, TxStatus,
};

use crate::error::ServiceError;

/// Whether a committed transaction succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeStatus {
    /// The call ran and its writes are committed.
    Success,
    /// The module refused the call; only the nonce advanced.
    Failed,
}

/// The outcome of a committed transaction.
#[derive(Debug, Clone, Serialize)]
pub struct TxOutcome {
    /// Transaction hash (`0x` hex).
    pub tx_hash: String,
    /// Height of the block that holds it.
    pub height: u64,
    /// `success` or `failed`.
    pub status: OutcomeStatus,
    /// Why the call failed: kind, stable code and message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TxError>,
}

impl TxOutcome {
    fn from_receipt(receipt: &Receipt) -> TxOutcome {
        TxOutcome {
            tx_hash: receipt.tx_hash.to_string(),
            height: receipt.height,
            status: match receipt.status {
                ReceiptStatus::Success => OutcomeStatus::Success,
                ReceiptStatus::Failed => OutcomeStatus::Failed,
            },
            error: receipt.error.clone(),
        }
    }

    /// Whether the call succeeded.
    pub fn is_success(&self) -> bool {
        self.status == OutcomeStatus::Success
    }

    /// The outcome if the call succeeded; else its typed refusal, by the receipt's error kind:
    /// `unauthorized` is `forbidden`, `not_found` is `not_found`, invalid arguments or an
    /// unknown module are `invalid_request`, and a broken module rule is `conflict`.
    pub fn settled(self) -> Result<TxOutcome, ServiceError> {
        let Some(error) = self.error.as_ref().filter(|_| !self.is_success()) else {
            return Ok(self);
        };
        let detail = format!("transaction {} failed: {}", self.tx_hash, error.message);
        Err(match error.kind {
            TxErrorKind::Unauthorized => ServiceError::Forbidden(detail),
            TxErrorKind::NotFound => ServiceError::NotFound(detail),
            TxErrorKind::InvalidArgs | TxErrorKind::UnknownModule => {
                ServiceError::InvalidRequest(detail)
            }
            TxErrorKind::Rejected => ServiceError::Conflict(detail),
        })
    }

    /// The outcome if the call succeeded; else `tx_rejected` whose `reason` is the module's
    /// stable refusal code (e.g. `window_closed`, `nullifier_used`, `expired`).
    pub fn refused_is_rejected(self) -> Result<TxOutcome, ServiceError> {
        match (&self.status, &self.error) {
            (OutcomeStatus::Success, _) => Ok(self),
            (OutcomeStatus::Failed, Some(error)) => Err(ServiceError::TxRejected {
                reason: error.code.clone(),
                detail: error.message.clone(),
            }),
            (OutcomeStatus::Failed, None) => Err(ServiceError::TxRejected {
                reason: "rejected".into(),
                detail: "refused".into(),
            }),
        }
    }
}

/// Submits to and waits on a [`Node`].
#[derive(Debug)]
pub struct ChainClient {
    node: Arc<Node>,
    receipt_timeout: Duration,
    account_locks: Mutex<HashMap<Address, Arc<tokio::sync::Mutex<()>>>>,
}

/// The API error for a rejected submission.
pub fn rejection(rejection: TxRejection) -> ServiceError {
    match rejection {
        TxRejection::Unavailable(detail) => {
            tracing::error!(error = %detail, "transaction submission failed in storage");
            ServiceError::Unavailable("node storage unavailable; retry later".into())
        }
        other => ServiceError::TxRejected {
            reason: rejection_name(&other).to_string(),
            detail: other.to_string(),
        },
    }
}

/// A stable snake_case name for each rejection (JSON-RPC carries the same as a number).
fn rejection_name(rejection: &TxRejection) -> &'static str {
    match rejection {
        TxRejection::Malformed(_) => "malformed",
        TxRejection::UnsupportedVersion(_) => "unsupported_version",
        TxRejection::WrongChainId { .. } => "wrong_chain_id",
        TxRejection::BadSignature => "bad_signature",
        TxRejection::NonceAlreadyUsed { .. } => "nonce_already_used",
        TxRejection::NonceGapTooLarge { .. } => "nonce_gap_too_large",
        TxRejection::Duplicate => "duplicate",
        TxRejection::PoolFull { .. } => "pool_full",
        TxRejection::SenderQuotaExceeded => "sender_quota_exceeded",
        TxRejection::Oversized { .. } => "oversized",
        TxRejection::UnknownModule(_) => "unknown_module",
        TxRejection::Unavailable(_) => "unavailable",
    }
}

impl ChainClient {
    /// A client of `node` that waits at most `receipt_timeout` for a receipt.
    pub fn new(node: Arc<Node>, receipt_timeout: Duration) -> ChainClient {
        ChainClient {
            node,
            receipt_timeout,
            account_locks: Mutex::new(HashMap::new()),
        }
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Submits a signed transaction (durably) and returns its hash.
    pub async fn submit(&self, tx: SignedTransaction) -> Result<Hash, ServiceError> {
        let node = self.node.clone();
        tokio::task::spawn_blocking(move || node.submit(tx))
            .await
            .map_err(ServiceError::internal)?
            .map_err(rejection)
    }

    /// Submits and waits for the receipt.
    pub async fn submit_and_wait(&self, tx: SignedTransaction) -> Result<TxOutcome, ServiceError> {
        let mut blocks = self.node.subscribe();
        let hash = self.submit(tx).await?;
        self.wait(hash, &mut blocks).await
    }

    /// Signs `call` with `key` at the account's next nonce, submits it and waits for the receipt.
    pub async fn sign_submit_and_wait(
        &self,
        key: &Keypair,
        call: Call,
    ) -> Result<TxOutcome, ServiceError> {
        let address = key.address();
        let lock = self
            .account_locks
            .lock()
            .entry(address)
            .or_default()
            .clone();
        let mut blocks = self.node.subscribe();
        let hash = {
            let _guard = lock.lock().await;
            let nonce = self
                .node
                .next_nonce(&address)
                .map_err(ServiceError::internal)?;
            let tx = Transaction {
                chain_id: self.node.chain_id().to_string(),
                sender: key.public_key(),
                nonce,
                call,
            }
            .sign(key);
            self.submit(tx).await?
        };
        self.wait(hash, &mut blocks).await
    }

    async fn wait(
        &self,
        hash: Hash,
        blocks: &mut tokio::sync::broadcast::Receiver<Arc<weft_chain::CommittedBlock>>,
    ) -> Result<TxOutcome, ServiceError> {
        let deadline = Instant::now() + self.receipt_timeout;
        loop {
            if let Some(receipt) = self.node.receipt(&hash).map_err(ServiceError::internal)? {
                let outcome = TxOutcome::from_receipt(&receipt);
                // The store holds the receipt a moment before the node moves its head; wait for
                // the head, so reads made after this returns (e.g. resolving a DID just created)
                // see the block.
                while self.node.height() < outcome.height && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                return Ok(outcome);
            }
            if let TxStatus::Dropped { reason } =
                self.node.tx_status(&hash).map_err(ServiceError::internal)?
            {
                return Err(ServiceError::TxDropped {
                    tx_hash: hash.to_string(),
                    reason,
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ServiceError::ReceiptTimeout {
                    tx_hash: hash.to_string(),
                    waited: self.receipt_timeout,
                });
            }
            let pause = (deadline - now).min(Duration::from_millis(250));
            // A block, a lag notice or the pause: look again. A closed channel: just pause.
            if let Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) =
                tokio::time::timeout(pause, blocks.recv()).await
            {
                tokio::time::sleep(pause).await;
            }
        }
    }
}

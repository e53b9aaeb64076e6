//! OpenAPI schemas of the service layer's response types.
//!
//! `weft-service` knows nothing of utoipa, so the REST layer keeps a documented mirror of each
//! service type it returns (as rust-analyzer's server keeps serialisable copies of `ide` types).
//! Each mirror is named like its original in the OpenAPI document; `api/tests/rest.rs` checks
//! the served JSON against the document.

use serde_json::Value;
use utoipa::ToSchema;

/// What a token may do.
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Role)]
#[allow(dead_code)]
pub enum Role {
    /// Manages the tenant's tokens and keys; may sign with the tenant's keys.
    Admin,
    /// Issues credentials; may sign with the tenant's keys.
    Issuer,
    /// Verifies presentations.
    Verifier,
    /// A partner organisation in PSI sessions.
    Partner,
    /// Organises votes; may sign with the tenant's keys.
    Organiser,
    /// Holds credentials.
    Holder,
}

/// Why a committed transaction failed.
#[derive(Debug, ToSchema)]
#[schema(as = TxError)]
#[allow(dead_code)]
pub struct TxError {
    /// `unknown_module`, `invalid_args`, `unauthorized`, `not_found` or `rejected`.
    kind: String,
    /// A stable snake_case code: the module's refusal code (e.g. `window_closed`) or the kind.
    code: String,
    /// Human-readable detail (not for matching).
    message: String,
}

/// The outcome of a committed transaction.
#[derive(Debug, ToSchema)]
#[schema(as = TxOutcome)]
#[allow(dead_code)]
pub struct TxOutcome {
    /// Transaction hash (`0x` hex).
    tx_hash: String,
    /// Height of the block that holds it.
    height: u64,
    /// `success` or `failed`.
    status: String,
    /// Why the call failed.
    error: Option<TxError>,
}

/// What an anchored hash gets back.
#[derive(Debug, ToSchema)]
#[schema(as = EvidenceReceipt)]
#[allow(dead_code)]
pub struct EvidenceReceipt {
    /// The credential hash (hex).
    hash: String,
    /// The batch id.
    batch: u64,
    /// The batch's Merkle root (hex).
    root: String,
    /// The inclusion proof (`index`, `count`, `path` as hex).
    #[schema(value_type = Object)]
    proof: Value,
    /// The anchoring transaction.
    tx_hash: String,
    /// Its block height.
    height: u64,
}

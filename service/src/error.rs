//! [`ServiceError`]: the one failure type of the service layer.
//!
//! Each variant is a kind of refusal with a stable machine code ([`ServiceError::code`]); the
//! HTTP layer turns it into problem+json with one exhaustive table (`weft_api::problem`), the
//! CLI prints it. Internal failures carry their detail for the log only: the HTTP layer answers
//! them with a generic message.

use std::time::Duration;

use weft_did::credential::request::RequestError;

/// A service-layer failure.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// `invalid_request`: a field or argument is invalid.
    #[error("{0}")]
    InvalidRequest(String),
    /// `unauthorized`: no token, an unknown token or a revoked one.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// `forbidden`: the caller's roles or tenant do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// `conflict`: the resource already exists or the chain refused the call by a module rule.
    #[error("{0}")]
    Conflict(String),
    /// `tx_rejected`: the node refused the transaction (`reason` is the node's code).
    #[error("{detail}")]
    TxRejected {
        /// The node's rejection code (as in JSON-RPC `error.data.code`).
        reason: String,
        /// Human-readable detail.
        detail: String,
    },
    /// `tx_dropped`: accepted, then evicted from the pool without being committed.
    #[error("transaction {tx_hash} dropped: {reason}")]
    TxDropped {
        /// The transaction hash.
        tx_hash: String,
        /// Why.
        reason: String,
    },
    /// `receipt_timeout`: submitted, but not committed within the wait.
    #[error("transaction {tx_hash} was submitted but not committed within {} s", waited.as_secs())]
    ReceiptTimeout {
        /// The transaction hash (the client may poll it).
        tx_hash: String,
        /// How long the service waited.
        waited: Duration,
    },
    /// `unavailable`: a dependency (storage, a partner) is unavailable; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// `internal`: the detail is for the log, never for the client.
    #[error("internal error")]
    Internal(String),
    /// `last_admin_token` (409): revoking this token would leave the operator tenant without an
    /// admin token (recovery: `weft token create --admin` on the node's host).
    #[error("{0}")]
    LastAdminToken(String),
    /// A VC API credential request refused by the request rules of
    /// [`weft_did::credential::request`]: `malformed_json` / `invalid_request` when the request's
    /// shape is wrong ([`RequestError::is_malformed`]), else `invalid_credential` (the
    /// credential's content is refused). [`RequestError::code`] is the finer, stable reason.
    #[error(transparent)]
    CredentialRequest(#[from] RequestError),
}

impl ServiceError {
    /// An internal error: the detail is logged by whoever answers it, never shown.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ServiceError::Internal(detail.to_string())
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::InvalidRequest(_) => "invalid_request",
            ServiceError::Unauthorized(_) => "unauthorized",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::TxRejected { .. } => "tx_rejected",
            ServiceError::TxDropped { .. } => "tx_dropped",
            ServiceError::ReceiptTimeout { .. } => "receipt_timeout",
            ServiceError::Unavailable(_) => "unavailable",
            ServiceError::Internal(_) => "internal",
            ServiceError::LastAdminToken(_) => "last_admin_token",
            ServiceError::CredentialRequest(RequestError::Json(_)) => "malformed_json",
            ServiceError::CredentialRequest(e) if e.is_malformed() => "invalid_request",
            ServiceError::CredentialRequest(_) => "invalid_credential",
        }
    }
}

impl From<crate::store::StoreError> for ServiceError {
    fn from(err: crate::store::StoreError) -> Self {
        ServiceError::internal(err)
    }
}

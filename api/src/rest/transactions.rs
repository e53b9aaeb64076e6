//! Submitting transactions: signed by the server with a tenant's custodied key, or signed by the
//! client. Both wait for the receipt (bounded by the configured timeout) and answer the hash,
//! height, status and, when the module call failed, its error.

use actix_web::web;
use base64::Engine;
use serde::Deserialize;
use utoipa::ToSchema;
use weft_chain::{Call, SignedTransaction};

use super::ApiState;
use crate::auth::{Principal, Role};
use crate::problem::{ApiError, ApiJson, Problem};
use weft_service::chain_client::TxOutcome;

/// `POST /api/v1/transactions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustodialTx {
    /// The id of one of the caller's tenant's custodied keys.
    pub key_id: String,
    /// The module call, as in JSON-RPC: `{"module", "method", "args": "0x<borsh>"}`.
    #[schema(value_type = CallJson)]
    pub call: Call,
}

/// A module call (JSON form of `weft_chain::Call`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CallJson {
    /// Module name, e.g. `governance`.
    module: String,
    /// Method name, e.g. `noop`.
    method: String,
    /// Borsh-encoded arguments as `0x` hex (`0x00` for `governance.noop`).
    args: String,
}

/// `POST /api/v1/transactions/signed`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedTx {
    /// The signed transaction encoding (`SignedTransaction::encode`), as `0x` hex or base64.
    pub transaction: String,
}

/// Signs a call with one of the tenant's custodied keys, submits it and waits for the receipt.
/// Roles: admin, issuer or organiser. Another tenant's key is never usable (404).
#[utoipa::path(post, path = "/api/v1/transactions", tag = "transactions", security(("bearer" = [])),
    request_body = CustodialTx,
    responses(
        (status = 200, description = "Committed (status success or failed)", body = crate::schema::TxOutcome),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not sign", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key for this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rejected or dropped", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "Not committed in time", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_custodial(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<CustodialTx>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let body = body.0;
    let key = state.principal_key(&principal, &body.key_id).await?;
    let outcome = state.chain.sign_submit_and_wait(&key, body.call).await?;
    tracing::info!(tenant = %principal.tenant, key_id = %body.key_id, tx = %outcome.tx_hash,
        status = ?outcome.status, "custodial transaction committed");
    Ok(web::Json(outcome))
}

/// Decodes `0x` hex or standard/URL-safe base64.
fn decode_raw(text: &str) -> Result<Vec<u8>, ApiError> {
    let text = text.trim();
    if let Some(digits) = text.strip_prefix("0x") {
        return hex::decode(digits)
            .map_err(|err| ApiError::InvalidRequest(format!("transaction: bad hex: {err}")));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
        .map_err(|_| {
            ApiError::InvalidRequest("transaction must be 0x-prefixed hex or base64".into())
        })
}

/// Submits a client-signed transaction and waits for the receipt. Any authenticated token.
#[utoipa::path(post, path = "/api/v1/transactions/signed", tag = "transactions", security(("bearer" = [])),
    request_body = SignedTx,
    responses(
        (status = 200, description = "Committed (status success or failed)", body = crate::schema::TxOutcome),
        (status = 400, description = "Malformed request or transaction", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rejected or dropped", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "Not committed in time", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_signed(
    state: web::Data<ApiState>,
    _principal: Principal,
    body: ApiJson<SignedTx>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    let raw = decode_raw(&body.0.transaction)?;
    let tx = SignedTransaction::decode(&raw)
        .map_err(|err| ApiError::InvalidRequest(format!("transaction: {err}")))?;
    Ok(web::Json(state.chain.submit_and_wait(tx).await?))
}

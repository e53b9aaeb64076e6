//! Evidence endpoints under `/api/v1/evidence`: submit credential hashes (or credentials) for
//! anchoring and get their receipts, look up a hash's anchoring with its proof, and revoke a
//! batch (its signer only). Services live in [`weft_service::credentials::evidence`].

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use weft_did::evidence::{credential_hash, EvidenceCall};

use crate::auth::{validate_id, Principal, Role};
use crate::problem::{ApiError, ApiJson, Problem};
use crate::rest::{resource, ApiState};
use weft_service::chain_client::TxOutcome;
use weft_service::credentials::evidence::{self as svc, EvidenceReceipt, Signer};

/// Most hashes per request.
pub const MAX_HASHES: usize = 1000;

/// `POST /api/v1/evidence`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitEvidence {
    /// The custodied key that signs the anchors.
    pub key_id: String,
    /// Credential hashes (64 hex each; SHA-256 of the JCS form of the secured credential).
    #[serde(default)]
    pub hashes: Vec<String>,
    /// Secured credentials, hashed here.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub credentials: Vec<Value>,
}

fn parse_hash(text: &str) -> Result<[u8; 32], ApiError> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| ApiError::InvalidRequest(format!("{text:?} is not 64 hex digits")))?;
    Ok(out)
}

/// Anchors the hashes (batched with others) and answers once every one is anchored, with its
/// inclusion proof. Roles: admin, issuer, organiser.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "credentials", security(("bearer" = [])),
    request_body = SubmitEvidence,
    responses(
        (status = 200, description = "Anchored", body = [crate::schema::EvidenceReceipt]),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<SubmitEvidence>,
) -> Result<web::Json<Vec<EvidenceReceipt>>, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let body = body.0;
    validate_id("key_id", &body.key_id)?;
    let n = body.hashes.len() + body.credentials.len();
    if n == 0 || n > MAX_HASHES {
        return Err(ApiError::InvalidRequest(format!(
            "give 1..={MAX_HASHES} hashes or credentials"
        )));
    }
    // Fail early on an unknown key rather than in the batcher.
    if state
        .store
        .key(&principal.tenant, &body.key_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "no key {:?} for this tenant",
            body.key_id
        )));
    }
    let mut hashes = Vec::with_capacity(n);
    for h in &body.hashes {
        hashes.push(parse_hash(h)?);
    }
    hashes.extend(body.credentials.iter().map(credential_hash));
    let arc = state.ctx.clone();
    let signer = Signer {
        tenant: principal.tenant.clone(),
        key_id: body.key_id,
    };
    let waits = hashes
        .into_iter()
        .map(|h| state.evidence.submit(&arc, signer.clone(), h));
    let receipts = futures_util::future::try_join_all(waits).await?;
    Ok(web::Json(receipts))
}

/// A hash's anchoring.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceInfo {
    /// The credential hash.
    pub hash: String,
    /// The batch.
    pub batch: u64,
    /// The batch root (hex).
    pub root: String,
    /// The inclusion proof.
    #[schema(value_type = Object)]
    pub proof: Value,
    /// The anchoring account.
    pub signer: String,
    /// Anchoring height.
    pub height: u64,
    /// Anchoring block time (RFC 3339).
    pub time: String,
    /// Revocation block time (RFC 3339), if the signer revoked the batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// The anchoring of a credential hash, with its proof. Public.
#[utoipa::path(get, path = "/api/v1/evidence/{hash}", tag = "credentials",
    params(("hash" = String, Path, description = "Credential hash (64 hex)")),
    responses(
        (status = 200, description = "Anchored", body = EvidenceInfo),
        (status = 404, description = "Not anchored through this node", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_evidence(
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<web::Json<EvidenceInfo>, ApiError> {
    let hash = parse_hash(&path.into_inner())?;
    let stored = svc::stored_proof(&state, &hash)
        .await?
        .ok_or_else(|| ApiError::NotFound("hash not anchored through this node".into()))?;
    let batch = svc::chain_batch(&state, stored.batch)?;
    Ok(web::Json(EvidenceInfo {
        hash: hex::encode(hash),
        batch: batch.id,
        root: hex::encode(batch.root),
        proof: stored.proof.to_json(),
        signer: batch.signer.to_string(),
        height: batch.height,
        time: weft_did::resolution::format_time(batch.timestamp_ms),
        revoked: batch
            .revoked
            .map(|r| weft_did::resolution::format_time(r.timestamp_ms)),
    }))
}

/// Revokes a batch. Only its signer: the caller's tenant must custody the signing key (403
/// otherwise). Roles: admin, issuer, organiser.
#[utoipa::path(post, path = "/api/v1/evidence/{batch}/revoke", tag = "credentials", security(("bearer" = [])),
    params(("batch" = u64, Path, description = "Batch id")),
    responses(
        (status = 200, description = "Revoked", body = crate::schema::TxOutcome),
        (status = 403, description = "Not the batch's signer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such batch", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_batch(
    state: web::Data<ApiState>,
    principal: Principal,
    path: web::Path<u64>,
) -> Result<web::Json<TxOutcome>, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let id = path.into_inner();
    let batch = svc::chain_batch(&state, id)?;
    let (_, key) = state
        .tenant_key_for_address(&principal.tenant, &batch.signer)
        .await?
        .ok_or_else(|| ApiError::Forbidden(format!("batch {id} was not signed by this tenant")))?;
    let tx = state
        .chain
        .sign_submit_and_wait(&key, EvidenceCall::Revoke { batch: id }.call())
        .await?
        .settled()?;
    tracing::info!(tenant = %principal.tenant, batch = id, "evidence batch revoked");
    Ok(web::Json(tx))
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/evidence").route(web::post().to(submit)))
        .service(resource("/evidence/{hash}").route(web::get().to(get_evidence)))
        .service(resource("/evidence/{batch}/revoke").route(web::post().to(revoke_batch)));
}

/// This part's OpenAPI paths.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(submit, get_evidence, revoke_batch),
    components(schemas(SubmitEvidence, crate::schema::EvidenceReceipt, EvidenceInfo))
)]
pub struct Doc;

//! Status list endpoints: `GET /status-lists/{id}` (the signed `BitstringStatusListCredential`,
//! public, VCALM), `POST /credentials/status` (VCALM: change a credential's status),
//! `POST /api/v1/status-lists` (create a list for a tenant DID) and
//! `GET /api/v1/status-lists/{id}` (metadata) and `GET /status-lists/{id}/proof?index=N` (the
//! chunk holding an index with its state proof, the header and its commit certificate, for
//! verifiers that check status without trusting this node). Services live in
//! [`weft_service::credentials::status`].

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};
use weft_did::status::{self, StatusPurpose};

use crate::auth::{Principal, Role};
use crate::problem::{ApiError, ApiJson, Problem};
use crate::rest::{resource, ApiState};
use weft_service::chain_client::TxOutcome;
use weft_service::credentials::status as svc;

/// Media type of the status list credential.
pub const VC_LD_JSON: &str = "application/vc+ld+json";

/// `POST /api/v1/status-lists`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateList {
    /// The issuer DID (a `did:weft` whose key this tenant custodies).
    pub did: String,
    /// `revocation` or `suspension`.
    pub purpose: String,
    /// Length in bits (default and minimum 131072, a multiple of 8).
    pub length: Option<u64>,
}

/// A status list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListInfo {
    /// The list id (64 hex).
    pub id: String,
    /// Owner account on chain.
    pub owner: String,
    /// The issuer DID (when published by this node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    /// `revocation` or `suspension`.
    pub purpose: String,
    /// Length in bits.
    pub length: u64,
    /// Bits set.
    pub set_count: u64,
    /// Indexes handed out by this node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated: Option<u64>,
    /// URL of the status list credential (when published by this node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The creating transaction (on creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schema::TxOutcome>)]
    pub tx: Option<TxOutcome>,
}

fn purpose(text: &str) -> Result<StatusPurpose, ApiError> {
    StatusPurpose::parse(text).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

fn base_of(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Creates a status list owned by the key of the tenant's DID. Roles: admin, issuer, organiser.
#[utoipa::path(post, path = "/api/v1/status-lists", tag = "credentials", security(("bearer" = [])),
    request_body = CreateList,
    responses(
        (status = 201, description = "Created", body = ListInfo),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The DID is not this tenant's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_list(
    state: web::Data<ApiState>,
    principal: Principal,
    req: HttpRequest,
    body: ApiJson<CreateList>,
) -> Result<HttpResponse, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let body = body.0;
    let purpose = purpose(&body.purpose)?;
    let length = body.length.unwrap_or(status::MIN_LENGTH);
    let (record, tx) = svc::create_list(
        &state,
        &principal.tenant,
        &body.did,
        purpose,
        length,
        &base_of(&req),
    )
    .await?;
    let (meta, _) = svc::chain_list(&state, &record.list_id)?;
    Ok(HttpResponse::Created().json(ListInfo {
        id: hex::encode(record.list_id.0),
        owner: meta.owner.to_string(),
        did: Some(record.issuer_did),
        purpose: purpose.as_str().into(),
        length,
        set_count: 0,
        allocated: Some(0),
        url: Some(record.url),
        tx: Some(tx),
    }))
}

/// A status list's metadata (chain, plus this node's record). Any token.
#[utoipa::path(get, path = "/api/v1/status-lists/{id}", tag = "credentials", security(("bearer" = [])),
    params(("id" = String, Path, description = "List id (64 hex)")),
    responses(
        (status = 200, description = "The list", body = ListInfo),
        (status = 404, description = "No such list", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_list(
    state: web::Data<ApiState>,
    _principal: Principal,
    path: web::Path<String>,
) -> Result<web::Json<ListInfo>, ApiError> {
    let list = svc::parse_list_id(&path.into_inner())?;
    let (meta, _) = svc::chain_list(&state, &list)?;
    let record = svc::list_record(&state, &list).await?;
    Ok(web::Json(ListInfo {
        id: hex::encode(list.0),
        owner: meta.owner.to_string(),
        did: record.as_ref().map(|r| r.issuer_did.clone()),
        purpose: meta.purpose.as_str().into(),
        length: meta.length,
        set_count: meta.set_count,
        allocated: record.as_ref().map(|r| r.allocated),
        url: record.map(|r| r.url),
        tx: None,
    }))
}

/// The signed `BitstringStatusListCredential` of a list published by this node. Public.
#[utoipa::path(get, path = "/status-lists/{id}", tag = "credentials",
    params(("id" = String, Path, description = "List id (64 hex)")),
    responses(
        (status = 200, description = "The status list credential (eddsa-jcs-2022)", body = Object, content_type = "application/vc+ld+json"),
        (status = 404, description = "No such list here", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn status_list_credential(
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let list = svc::parse_list_id(&path.into_inner())?;
    let vc = svc::signed_status_list_credential(&state, &list).await?;
    Ok(HttpResponse::Ok()
        .content_type(VC_LD_JSON)
        .insert_header(("Cache-Control", "no-cache"))
        .body(vc.to_string()))
}

/// `GET /status-lists/{id}/proof` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// The status index (`statusListIndex`).
    pub index: u64,
}

/// The chunk holding `index` of a list on chain, proved at the head: `{list, index,
/// chunk_number, header, certificate, meta, chunk}` where `meta` and `chunk` are state proofs
/// (hex value and borsh JMT proof) of the list's metadata and of the 512-byte chunk (absent:
/// all zero) against `header.state_root`, and `certificate` commits `header`. A verifier checks
/// the certificate against the validator set it trusts (see `weft_did::status_proof`). Public.
#[utoipa::path(get, path = "/status-lists/{id}/proof", tag = "credentials",
    params(("id" = String, Path, description = "List id (64 hex)"), ProofQuery),
    responses(
        (status = 200, description = "The proof bundle", body = Object),
        (status = 400, description = "Malformed id or index out of range", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such list on chain", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn status_list_proof(
    state: web::Data<ApiState>,
    path: web::Path<String>,
    query: web::Query<ProofQuery>,
) -> Result<HttpResponse, ApiError> {
    use svc::StatusCheckError as E;
    let list = svc::parse_list_id(&path.into_inner())?;
    let node = state.node.clone();
    let index = query.index;
    let bundle = web::block(move || svc::status_proof_bundle(&node, &list, index))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            E::UnknownList(_) => ApiError::NotFound(format!("no status list {list}")),
            E::Entry(e) => ApiError::InvalidRequest(e.to_string()),
            other => ApiError::internal(other),
        })?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .json(bundle))
}

/// One item of `credentialStatus` in a status update (VCALM).
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusItem {
    /// `BitstringStatusListEntry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `true` to set the bit (revoke / suspend), `false` to clear it (suspension only).
    #[schema(value_type = Object)]
    pub status: Value,
    /// `revocation` or `suspension`.
    #[serde(rename = "statusPurpose")]
    pub status_purpose: String,
}

/// `POST /credentials/status` (VCALM "update status").
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateStatus {
    /// The credential's `id`.
    #[serde(rename = "credentialId")]
    pub credential_id: String,
    /// The changes.
    #[serde(rename = "credentialStatus")]
    pub credential_status: Vec<StatusItem>,
}

/// One applied change.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChanged {
    /// The purpose.
    #[serde(rename = "statusPurpose")]
    pub status_purpose: String,
    /// The new bit value.
    pub status: bool,
    /// The list id.
    pub list: String,
    /// The index.
    #[serde(rename = "statusListIndex")]
    pub status_list_index: String,
    /// The transaction.
    #[schema(value_type = crate::schema::TxOutcome)]
    pub tx: TxOutcome,
}

fn status_value(v: &Value) -> Result<bool, ApiError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "1" => Ok(true),
        Value::String(s) if s == "false" || s == "0" => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        _ => Err(ApiError::InvalidRequest(
            "status must be true or false".into(),
        )),
    }
}

/// Changes the status of a credential the caller's tenant issued: sets (revokes / suspends) or
/// clears (un-suspends) its bit on chain. Revocation is final. Roles: admin, issuer, organiser.
#[utoipa::path(post, path = "/credentials/status", tag = "credentials", security(("bearer" = [])),
    request_body = UpdateStatus,
    responses(
        (status = 200, description = "Status updated", body = [StatusChanged]),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such credential status of this tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused by the chain (e.g. un-revoking)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_status(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<UpdateStatus>,
) -> Result<web::Json<Vec<StatusChanged>>, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let body = body.0;
    if body.credential_status.is_empty() || body.credential_status.len() > 2 {
        return Err(ApiError::InvalidRequest(
            "credentialStatus must hold one or two items".into(),
        ));
    }
    let mut out = Vec::new();
    for item in &body.credential_status {
        if item.kind != status::ENTRY_TYPE {
            return Err(ApiError::InvalidRequest(format!(
                "type must be {}",
                status::ENTRY_TYPE
            )));
        }
        let purpose = purpose(&item.status_purpose)?;
        let value = status_value(&item.status)?;
        let (list, index, tx) = svc::set_status(
            &state,
            &principal.tenant,
            &body.credential_id,
            purpose,
            value,
        )
        .await?;
        out.push(StatusChanged {
            status_purpose: purpose.as_str().into(),
            status: value,
            list: hex::encode(list.0),
            status_list_index: index.to_string(),
            tx,
        });
    }
    Ok(web::Json(out))
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/status-lists").route(web::post().to(create_list)))
        .service(resource("/status-lists/{id}").route(web::get().to(get_list)));
}

/// Routes outside `/api/v1` (VCALM).
pub fn configure_root(cfg: &mut web::ServiceConfig, limit: crate::problem::BodyLimit) {
    cfg.service(
        web::scope("/status-lists")
            .wrap(actix_web::middleware::from_fn(crate::metrics::observe))
            .service(resource("/{id}").route(web::get().to(status_list_credential)))
            .service(resource("/{id}/proof").route(web::get().to(status_list_proof))),
    )
    .service(
        web::scope("/credentials/status")
            .wrap(actix_web::middleware::from_fn(crate::metrics::observe))
            .configure(|cfg| crate::problem::extractor_config(cfg, limit))
            .service(resource("").route(web::post().to(update_status))),
    );
}

/// This part's OpenAPI paths.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        create_list,
        get_list,
        status_list_credential,
        status_list_proof,
        update_status
    ),
    components(schemas(CreateList, ListInfo, UpdateStatus, StatusItem, StatusChanged))
)]
pub struct Doc;

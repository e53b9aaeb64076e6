//! DIDs, issuer governance and CPTs (`/api/v1/dids`, `/api/v1/issuers`, `/api/v1/issuer-types`,
//! `/api/v1/cpts`) and DID resolution (`GET /1.0/identifiers/{did}`, DIF Universal Resolver).
//!
//! Writes are chain transactions of the `weft-did` modules, signed with one of the caller's
//! tenant's custodied keys (or, for DID creation, signed by the client). The chain checks every
//! rule against the signer; a failed module call is answered with the matching problem code
//! (`forbidden`, `not_found`, `invalid_request`, `conflict`) and the transaction hash.
//!
//! Resolution reads the head state at one height: the document, its metadata and (with
//! `?proof=true`) the JMT proofs of the two state keys it came from, against that block's header.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, OpenApi, ToSchema};
use weft_chain::governance::{self, permissions, Action, GovernanceCall};
use weft_chain::{Address, Call, Keypair, PublicKey, Receipt, SignedTransaction};
use weft_did::cpt::{self, Cpt, CptCall, CptQuery};
use weft_did::issuer::{self, IssuerCall, IssuerInfo, IssuerQuery, IssuerType};
use weft_did::registry::{self, DidCall, DidQuery, Resolution, Selector};
use weft_did::{multikey, proof, resolution, Did, DidError, Relationships, Service, UpdateOp};

use super::{resource, ApiState};
use crate::auth::{validate_id, Principal, Role};
use crate::problem::{ApiError, ApiJson, Problem};
use weft_service::chain_client::TxOutcome;

/// Media type of a DID resolution result.
pub const DID_RESOLUTION: &str = "application/did-resolution";
/// Media type of a bare DID document.
pub const DID_JSON: &str = "application/did+json";

// ---------------------------------------------------------------------------------------------
// Helpers

/// Opens one of the tenant's custodied keys (404 if the tenant has none by that id).
async fn tenant_key(
    state: &ApiState,
    principal: &Principal,
    key_id: &str,
) -> Result<Keypair, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    Ok(state.principal_key(principal, key_id).await?)
}

async fn sign_and_settle(
    state: &ApiState,
    key: &Keypair,
    call: Call,
) -> Result<TxOutcome, ApiError> {
    Ok(state
        .chain
        .sign_submit_and_wait(key, call)
        .await?
        .settled()?)
}

fn query<T: borsh::BorshDeserialize>(
    state: &ApiState,
    module: &str,
    (method, args): (&str, Vec<u8>),
    height: Option<u64>,
) -> Result<T, ApiError> {
    let bytes = state
        .node
        .call(module, method, &args, height)
        .map_err(ApiError::internal)?;
    borsh::from_slice(&bytes).map_err(ApiError::internal)
}

/// Parses a `did:weft` DID of this chain (400 otherwise).
fn local_did(state: &ApiState, text: &str) -> Result<Address, ApiError> {
    match Did::parse(text) {
        Ok(Did::Weft { chain_id, address }) if chain_id == state.node.chain_id() => Ok(address),
        Ok(Did::Weft { chain_id, .. }) => Err(ApiError::InvalidRequest(format!(
            "{text} belongs to chain {chain_id:?}, not {:?}",
            state.node.chain_id()
        ))),
        Ok(Did::Key(_)) => Err(ApiError::InvalidRequest(
            "a did:key cannot be registered or changed on chain".into(),
        )),
        Err(e) => Err(ApiError::InvalidRequest(e.to_string())),
    }
}

fn did_string(state: &ApiState, address: Address) -> String {
    Did::weft(state.node.chain_id(), address).to_string()
}

fn parse_public_key(text: &str) -> Result<PublicKey, ApiError> {
    let key = if text.starts_with('z') {
        multikey::decode(text).map_err(|e| ApiError::InvalidRequest(e.to_string()))?
    } else {
        let key: PublicKey = text.parse().map_err(|_| {
            ApiError::InvalidRequest(format!(
                "public_key {text:?}: expected 0x + 64 hex or a multikey"
            ))
        })?;
        if key.to_verifying_key().is_none() {
            return Err(ApiError::InvalidRequest(format!(
                "{text} is not a valid Ed25519 key"
            )));
        }
        key
    };
    Ok(key)
}

fn resolve_latest(state: &ApiState, address: Address) -> Result<Option<Resolution>, ApiError> {
    query(
        state,
        registry::NAME,
        DidQuery::Resolve {
            did: address,
            selector: Selector::Latest,
        }
        .args(),
        None,
    )
}

/// A DID's current document and metadata (the `application/did-resolution` shape).
fn resolution_json(did: &Did, res: &Resolution) -> Value {
    json!({
        "didDocument": resolution::document(did, res),
        "didResolutionMetadata": { "contentType": DID_JSON },
        "didDocumentMetadata": resolution::document_metadata(res),
    })
}

fn receipt(state: &ApiState, outcome: &TxOutcome) -> Result<Receipt, ApiError> {
    let hash = outcome.tx_hash.parse().map_err(ApiError::internal)?;
    state
        .node
        .receipt(&hash)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("receipt vanished"))
}

// ---------------------------------------------------------------------------------------------
// DIDs

/// A service of a DID document.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceJson {
    /// Fragment (`[A-Za-z0-9._-]`, not starting with `key-`).
    pub id: String,
    /// Service type, e.g. `LinkedDomains`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Endpoint URI.
    pub endpoint: String,
}

impl From<ServiceJson> for Service {
    fn from(s: ServiceJson) -> Service {
        Service {
            id: s.id,
            kind: s.kind,
            endpoint: s.endpoint,
        }
    }
}

/// `POST /api/v1/dids`: either `key_id` (custodial) or `transaction` (client-signed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDid {
    /// A custodied key of the caller's tenant; created if the tenant has none by this id.
    pub key_id: Option<String>,
    /// Initial services (custodial creation only).
    #[serde(default)]
    pub services: Vec<ServiceJson>,
    /// A client-signed `did.create` transaction (`0x` hex of `SignedTransaction::encode`).
    pub transaction: Option<String>,
}

/// A created DID.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedDid {
    /// The DID.
    pub did: String,
    /// The custodied key that controls it (custodial creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The committed transaction.
    #[schema(value_type = crate::schema::TxOutcome)]
    pub tx: TxOutcome,
    /// The document.
    #[schema(value_type = Object)]
    pub document: Value,
}

/// Creates a DID: with a custodied key of the caller's tenant (created if missing), or from a
/// client-signed `did.create` transaction. Roles: admin, issuer or organiser (custodial); any
/// token (client-signed).
#[utoipa::path(post, path = "/api/v1/dids", tag = "identity", security(("bearer" = [])),
    request_body = CreateDid,
    responses(
        (status = 201, description = "Created", body = CreatedDid),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not sign, or the transaction is not signed by the DID's key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The DID exists", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_did(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<CreateDid>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let (address, key_id, tx) = match (body.key_id, body.transaction) {
        (Some(key_id), None) => {
            principal.require_any(&Role::SIGNERS)?;
            validate_id("key_id", &key_id)?;
            principal.may_use_key(&key_id)?;
            let sealed = match state.store.key(&principal.tenant, &key_id).await? {
                Some(sealed) => sealed,
                None => {
                    super::access::create_custodied_key(
                        &state,
                        &principal.tenant,
                        &key_id,
                        "DID key",
                    )
                    .await?
                }
            };
            let key = state.keystore.open(&sealed).map_err(ApiError::internal)?;
            let call = DidCall::Create {
                public_key: key.public_key(),
                services: body.services.into_iter().map(Service::from).collect(),
            }
            .call();
            (
                key.address(),
                Some(key_id),
                sign_and_settle(&state, &key, call).await?,
            )
        }
        (None, Some(raw)) => {
            if !body.services.is_empty() {
                return Err(ApiError::InvalidRequest(
                    "services go inside the signed transaction".into(),
                ));
            }
            let raw = raw.trim();
            let bytes = hex::decode(raw.strip_prefix("0x").unwrap_or(raw))
                .map_err(|e| ApiError::InvalidRequest(format!("transaction: bad hex: {e}")))?;
            let tx = SignedTransaction::decode(&bytes)
                .map_err(|e| ApiError::InvalidRequest(format!("transaction: {e}")))?;
            if tx.tx.call.module != registry::NAME || tx.tx.call.method != "create" {
                return Err(ApiError::InvalidRequest(
                    "expected a did.create transaction".into(),
                ));
            }
            let address = tx.sender_address();
            (
                address,
                None,
                state.chain.submit_and_wait(tx).await?.settled()?,
            )
        }
        _ => {
            return Err(ApiError::InvalidRequest(
                "give exactly one of key_id and transaction".into(),
            ))
        }
    };
    let did = Did::weft(state.node.chain_id(), address);
    let res = resolve_latest(&state, address)?
        .ok_or_else(|| ApiError::internal("created DID not found"))?;
    tracing::info!(tenant = %principal.tenant, did = %did, tx = %tx.tx_hash, "DID created");
    Ok(HttpResponse::Created().json(CreatedDid {
        document: resolution::document(&did, &res),
        did: did.to_string(),
        key_id,
        tx,
    }))
}

/// A DID of the caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDid {
    /// The DID.
    pub did: String,
    /// The custodied key whose address is the DID's id.
    pub key_id: String,
    /// Latest version.
    pub version: u32,
    /// Whether deactivated.
    pub deactivated: bool,
}

/// Lists the DIDs created with the caller's tenant's custodied keys. Any token.
#[utoipa::path(get, path = "/api/v1/dids", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The tenant's DIDs", body = [TenantDid])))]
pub async fn list_dids(
    state: web::Data<ApiState>,
    principal: Principal,
) -> Result<web::Json<Vec<TenantDid>>, ApiError> {
    let mut out = Vec::new();
    for key in state.store.list_keys(&principal.tenant).await? {
        let address: Address = key.address.parse().map_err(ApiError::internal)?;
        if let Some(res) = resolve_latest(&state, address)? {
            out.push(TenantDid {
                did: did_string(&state, address),
                key_id: key.key_id,
                version: res.head.version,
                deactivated: res.head.deactivated,
            });
        }
    }
    Ok(web::Json(out))
}

/// One change to a DID document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperationJson {
    /// Add a key: `public_key` (0x hex or multikey) or `new_key_id` (a custodied key of the
    /// tenant, created if missing), with relationships (default: authentication, assertionMethod).
    AddKey {
        /// The key.
        public_key: Option<String>,
        /// Or a custodied key id.
        new_key_id: Option<String>,
        /// `authentication`, `assertionMethod`, `capabilityInvocation`.
        #[serde(default)]
        relationships: Vec<String>,
    },
    /// Remove a key by fragment (`key-2`).
    RemoveKey {
        /// Fragment.
        fragment: String,
    },
    /// Replace a key (same relationships, new fragment).
    RotateKey {
        /// Fragment of the old key.
        fragment: String,
        /// The new key.
        public_key: Option<String>,
        /// Or a custodied key id.
        new_key_id: Option<String>,
    },
    /// Add a service.
    AddService {
        /// Fragment.
        id: String,
        /// Type.
        #[serde(rename = "type")]
        kind: String,
        /// Endpoint.
        endpoint: String,
    },
    /// Remove a service.
    RemoveService {
        /// Fragment.
        id: String,
    },
    /// Replace the controllers (DIDs of this chain).
    SetControllers {
        /// Controller DIDs.
        controllers: Vec<String>,
    },
}

/// `POST /api/v1/dids/{did}/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDid {
    /// The signing custodied key (a capabilityInvocation key of the DID or of a controller).
    pub key_id: String,
    /// Changes, applied in order, all or nothing.
    pub operations: Vec<OperationJson>,
}

/// `POST /api/v1/dids/{did}/deactivate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignWith {
    /// The signing custodied key.
    pub key_id: String,
}

/// The outcome of a DID change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedDid {
    /// The DID.
    pub did: String,
    /// The committed transaction.
    #[schema(value_type = crate::schema::TxOutcome)]
    pub tx: TxOutcome,
    /// The resolution result after the change.
    #[schema(value_type = Object)]
    pub resolution: Value,
}

async fn key_for_op(
    state: &ApiState,
    principal: &Principal,
    public_key: Option<String>,
    new_key_id: Option<String>,
) -> Result<PublicKey, ApiError> {
    match (public_key, new_key_id) {
        (Some(text), None) => parse_public_key(&text),
        (None, Some(key_id)) => {
            validate_id("new_key_id", &key_id)?;
            principal.may_use_key(&key_id)?;
            let sealed = match state.store.key(&principal.tenant, &key_id).await? {
                Some(sealed) => sealed,
                None => {
                    super::access::create_custodied_key(
                        state,
                        &principal.tenant,
                        &key_id,
                        "DID key",
                    )
                    .await?
                }
            };
            sealed.public_key.parse().map_err(ApiError::internal)
        }
        _ => Err(ApiError::InvalidRequest(
            "give exactly one of public_key and new_key_id".into(),
        )),
    }
}

async fn to_ops(
    state: &ApiState,
    principal: &Principal,
    ops: Vec<OperationJson>,
) -> Result<Vec<UpdateOp>, ApiError> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        out.push(match op {
            OperationJson::AddKey {
                public_key,
                new_key_id,
                relationships,
            } => {
                let relationships = if relationships.is_empty() {
                    Relationships(Relationships::AUTHENTICATION | Relationships::ASSERTION_METHOD)
                } else {
                    Relationships::from_names(&relationships).map_err(ApiError::InvalidRequest)?
                };
                UpdateOp::AddKey {
                    public_key: key_for_op(state, principal, public_key, new_key_id).await?,
                    relationships,
                }
            }
            OperationJson::RemoveKey { fragment } => UpdateOp::RemoveKey { fragment },
            OperationJson::RotateKey {
                fragment,
                public_key,
                new_key_id,
            } => UpdateOp::RotateKey {
                fragment,
                public_key: key_for_op(state, principal, public_key, new_key_id).await?,
            },
            OperationJson::AddService { id, kind, endpoint } => {
                UpdateOp::AddService(Service { id, kind, endpoint })
            }
            OperationJson::RemoveService { id } => UpdateOp::RemoveService { id },
            OperationJson::SetControllers { controllers } => UpdateOp::SetControllers(
                controllers
                    .iter()
                    .map(|c| local_did(state, c))
                    .collect::<Result<_, _>>()?,
            ),
        });
    }
    Ok(out)
}

async fn changed(
    state: &ApiState,
    address: Address,
    tx: TxOutcome,
) -> Result<ChangedDid, ApiError> {
    let did = Did::weft(state.node.chain_id(), address);
    let res = resolve_latest(state, address)?.ok_or_else(|| ApiError::internal("DID vanished"))?;
    Ok(ChangedDid {
        did: did.to_string(),
        resolution: resolution_json(&did, &res),
        tx,
    })
}

/// Adds, rotates or removes keys and services, or sets controllers (a new document version).
/// Roles: admin, issuer or organiser; the chain checks that the key may update the DID.
#[utoipa::path(post, path = "/api/v1/dids/{did}/update", tag = "identity", security(("bearer" = [])),
    params(("did" = String, Path, description = "did:weft DID")),
    request_body = UpdateDid,
    responses(
        (status = 200, description = "Updated", body = ChangedDid),
        (status = 400, description = "Invalid operation", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key does not control the DID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such DID or key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused by the chain (e.g. deactivated)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_did(
    state: web::Data<ApiState>,
    principal: Principal,
    path: web::Path<String>,
    body: ApiJson<UpdateDid>,
) -> Result<web::Json<ChangedDid>, ApiError> {
    let address = local_did(&state, &path)?;
    let body = body.0;
    let key = tenant_key(&state, &principal, &body.key_id).await?;
    let ops = to_ops(&state, &principal, body.operations).await?;
    let tx = sign_and_settle(&state, &key, DidCall::Update { did: address, ops }.call()).await?;
    Ok(web::Json(changed(&state, address, tx).await?))
}

/// Deactivates a DID, permanently. Roles: admin, issuer or organiser.
#[utoipa::path(post, path = "/api/v1/dids/{did}/deactivate", tag = "identity", security(("bearer" = [])),
    params(("did" = String, Path, description = "did:weft DID")),
    request_body = SignWith,
    responses(
        (status = 200, description = "Deactivated", body = ChangedDid),
        (status = 403, description = "The key does not control the DID", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already deactivated", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn deactivate_did(
    state: web::Data<ApiState>,
    principal: Principal,
    path: web::Path<String>,
    body: ApiJson<SignWith>,
) -> Result<web::Json<ChangedDid>, ApiError> {
    let address = local_did(&state, &path)?;
    let key = tenant_key(&state, &principal, &body.0.key_id).await?;
    let tx = sign_and_settle(&state, &key, DidCall::Deactivate { did: address }.call()).await?;
    Ok(web::Json(changed(&state, address, tx).await?))
}

// ---------------------------------------------------------------------------------------------
// Issuers

/// `POST /api/v1/issuers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyIssuer {
    /// The custodied key whose DID applies.
    pub key_id: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// An issuer (applicant) and its standing.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuerView {
    /// The issuer's DID.
    pub did: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Height of the application.
    pub applied_height: u64,
    /// Recognised by the committee (and DID active).
    pub recognised: bool,
}

fn issuer_view(state: &ApiState, i: IssuerInfo) -> IssuerView {
    IssuerView {
        did: did_string(state, i.account),
        name: i.application.name,
        description: i.application.description,
        applied_height: i.application.applied_height,
        recognised: i.recognised,
    }
}

fn issuer_of(state: &ApiState, account: Address) -> Result<Option<IssuerInfo>, ApiError> {
    query(
        state,
        issuer::NAME,
        IssuerQuery::Issuer { account }.args(),
        None,
    )
}

/// Applies (or updates the application) to be an authority issuer. Roles: admin, issuer or
/// organiser; the key must have an active DID.
#[utoipa::path(post, path = "/api/v1/issuers", tag = "identity", security(("bearer" = [])),
    request_body = ApplyIssuer,
    responses(
        (status = 200, description = "Applied", body = IssuerView),
        (status = 403, description = "The key has no DID", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn apply_issuer(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<ApplyIssuer>,
) -> Result<web::Json<IssuerView>, ApiError> {
    let body = body.0;
    let key = tenant_key(&state, &principal, &body.key_id).await?;
    let call = IssuerCall::Apply {
        name: body.name,
        description: body.description,
    }
    .call();
    sign_and_settle(&state, &key, call).await?;
    let info = issuer_of(&state, key.address())?
        .ok_or_else(|| ApiError::internal("application vanished"))?;
    Ok(web::Json(issuer_view(&state, info)))
}

/// Paging of lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// First index (default 0).
    pub offset: Option<u64>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u64>,
}

/// A page of issuers.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuerPage {
    /// Applicants ever (the counter).
    pub total: u64,
    /// This page, in application order.
    pub issuers: Vec<IssuerView>,
}

/// Lists applicants and whether each is recognised. Public.
#[utoipa::path(get, path = "/api/v1/issuers", tag = "identity", params(PageQuery),
    responses((status = 200, description = "Issuers", body = IssuerPage)))]
pub async fn list_issuers(
    state: web::Data<ApiState>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<IssuerPage>, ApiError> {
    let limit = page.limit.unwrap_or(100);
    if limit > issuer::MAX_PAGE {
        return Err(ApiError::InvalidRequest(format!(
            "limit is at most {}",
            issuer::MAX_PAGE
        )));
    }
    let (total, list): (u64, Vec<IssuerInfo>) = query(
        &state,
        issuer::NAME,
        IssuerQuery::List {
            offset: page.offset.unwrap_or(0),
            limit,
        }
        .args(),
        None,
    )?;
    Ok(web::Json(IssuerPage {
        total,
        issuers: list.into_iter().map(|i| issuer_view(&state, i)).collect(),
    }))
}

/// Shows one issuer. Public.
#[utoipa::path(get, path = "/api/v1/issuers/{did}", tag = "identity",
    params(("did" = String, Path, description = "did:weft DID")),
    responses(
        (status = 200, description = "The issuer", body = IssuerView),
        (status = 404, description = "Never applied", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_issuer(
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<web::Json<IssuerView>, ApiError> {
    let address = local_did(&state, &path)?;
    let info = issuer_of(&state, address)?
        .ok_or_else(|| ApiError::NotFound(format!("{} has not applied", path.as_str())))?;
    Ok(web::Json(issuer_view(&state, info)))
}

/// `POST /api/v1/issuers/{did}/recognition`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    /// A custodied key of a committee member.
    pub key_id: String,
    /// `true` to recognise, `false` to de-recognise.
    pub recognised: bool,
}

/// The outcome of a recognition vote.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecognitionOutcome {
    /// The governance transaction (a proposal; it passes once a committee majority approves).
    #[schema(value_type = crate::schema::TxOutcome)]
    pub tx: TxOutcome,
    /// The proposal id.
    pub proposal_id: Option<u64>,
    /// The issuer after the transaction.
    pub issuer: IssuerView,
}

/// Proposes (as a committee member) to recognise or de-recognise an authority issuer: a
/// governance `Grant`/`Revoke` of `did.authority-issuer`. With a one-member committee it passes
/// at once; otherwise other members vote on the proposal (`governance.vote`). Non-members get 403.
#[utoipa::path(post, path = "/api/v1/issuers/{did}/recognition", tag = "identity", security(("bearer" = [])),
    params(("did" = String, Path, description = "did:weft DID of the applicant")),
    request_body = Recognition,
    responses(
        (status = 200, description = "Proposed (and passed, if a majority now approves)", body = RecognitionOutcome),
        (status = 403, description = "Not a committee member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Never applied", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn recognise_issuer(
    state: web::Data<ApiState>,
    principal: Principal,
    path: web::Path<String>,
    body: ApiJson<Recognition>,
) -> Result<web::Json<RecognitionOutcome>, ApiError> {
    let address = local_did(&state, &path)?;
    if issuer_of(&state, address)?.is_none() {
        return Err(ApiError::NotFound(format!(
            "{} has not applied",
            path.as_str()
        )));
    }
    let body = body.0;
    let key = tenant_key(&state, &principal, &body.key_id).await?;
    let permission = permissions::AUTHORITY_ISSUER.to_string();
    let action = if body.recognised {
        Action::Grant {
            account: address,
            permission,
        }
    } else {
        Action::Revoke {
            account: address,
            permission,
        }
    };
    let tx = sign_and_settle(
        &state,
        &key,
        governance::call(GovernanceCall::Propose { action }),
    )
    .await?;
    let proposal_id = receipt(&state, &tx)?
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.parse().ok());
    let info = issuer_of(&state, address)?.ok_or_else(|| ApiError::internal("issuer vanished"))?;
    Ok(web::Json(RecognitionOutcome {
        tx,
        proposal_id,
        issuer: issuer_view(&state, info),
    }))
}

/// `POST /api/v1/issuer-types`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateType {
    /// A custodied key of a recognised authority issuer.
    pub key_id: String,
    /// Type name.
    pub name: String,
}

/// `POST /api/v1/issuer-types/{name}/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeMember {
    /// The owner's custodied key.
    pub key_id: String,
    /// The member's DID.
    pub did: String,
    /// `true` to add, `false` to remove (both idempotent).
    pub member: bool,
}

/// An issuer type and its current members.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeView {
    /// Name.
    pub name: String,
    /// Owner DID.
    pub owner: String,
    /// Current member count.
    pub member_count: u64,
    /// Member DIDs (first 1000 ever added that are still members).
    pub members: Vec<String>,
}

fn type_view(state: &ApiState, name: &str) -> Result<Option<TypeView>, ApiError> {
    let t: Option<(IssuerType, Vec<Address>)> = query(
        state,
        issuer::NAME,
        IssuerQuery::Type {
            name: name.to_string(),
            offset: 0,
            limit: issuer::MAX_PAGE,
        }
        .args(),
        None,
    )?;
    Ok(t.map(|(t, members)| TypeView {
        name: t.name,
        owner: did_string(state, t.owner),
        member_count: t.member_count,
        members: members.into_iter().map(|a| did_string(state, a)).collect(),
    }))
}

/// Creates an issuer type owned by the signing authority issuer.
#[utoipa::path(post, path = "/api/v1/issuer-types", tag = "identity", security(("bearer" = [])),
    request_body = CreateType,
    responses(
        (status = 201, description = "Created", body = TypeView),
        (status = 403, description = "Not an authority issuer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Exists", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_type(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<CreateType>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let key = tenant_key(&state, &principal, &body.key_id).await?;
    sign_and_settle(
        &state,
        &key,
        IssuerCall::CreateType {
            name: body.name.clone(),
        }
        .call(),
    )
    .await?;
    let view = type_view(&state, &body.name)?.ok_or_else(|| ApiError::internal("type vanished"))?;
    Ok(HttpResponse::Created().json(view))
}

/// Adds or removes a member of an issuer type (its owner only).
#[utoipa::path(post, path = "/api/v1/issuer-types/{name}/members", tag = "identity", security(("bearer" = [])),
    params(("name" = String, Path, description = "Type name")),
    request_body = TypeMember,
    responses(
        (status = 200, description = "Done", body = TypeView),
        (status = 403, description = "Not the type's owner", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_type_member(
    state: web::Data<ApiState>,
    principal: Principal,
    path: web::Path<String>,
    body: ApiJson<TypeMember>,
) -> Result<web::Json<TypeView>, ApiError> {
    let body = body.0;
    let member = local_did(&state, &body.did)?;
    let key = tenant_key(&state, &principal, &body.key_id).await?;
    let type_name = path.into_inner();
    let call = if body.member {
        IssuerCall::AddMember {
            type_name: type_name.clone(),
            member,
        }
    } else {
        IssuerCall::RemoveMember {
            type_name: type_name.clone(),
            member,
        }
    };
    sign_and_settle(&state, &key, call.call()).await?;
    let view = type_view(&state, &type_name)?.ok_or_else(|| ApiError::internal("type vanished"))?;
    Ok(web::Json(view))
}

/// Shows an issuer type. Public.
#[utoipa::path(get, path = "/api/v1/issuer-types/{name}", tag = "identity",
    params(("name" = String, Path, description = "Type name")),
    responses(
        (status = 200, description = "The type", body = TypeView),
        (status = 404, description = "No such type", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_type(
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<web::Json<TypeView>, ApiError> {
    validate_id("type name", &path)?;
    type_view(&state, &path)?
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound(format!("no issuer type {:?}", path.as_str())))
}

// ---------------------------------------------------------------------------------------------
// CPTs

/// `POST /api/v1/cpts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCpt {
    /// The publisher's custodied key (its DID publishes).
    pub key_id: String,
    /// The CPT id (omit for the next free id from 2,000,000). An existing id publishes a new
    /// version (publisher only).
    pub id: Option<u64>,
    /// The JSON Schema (draft 2020-12).
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// A CPT version.
#[derive(Debug, Serialize, ToSchema)]
pub struct CptView {
    /// Id.
    pub id: u64,
    /// Version.
    pub version: u32,
    /// Latest version of this id.
    pub latest: u32,
    /// Publisher DID.
    pub publisher: String,
    /// SHA-256 of the canonical schema (`0x` hex).
    pub digest: String,
    /// The schema.
    #[schema(value_type = Object)]
    pub schema: Value,
    /// Height of registration.
    pub height: u64,
    /// Registration time (XML Schema dateTime).
    pub created: String,
}

fn cpt_view(state: &ApiState, c: Cpt) -> CptView {
    CptView {
        id: c.id,
        version: c.version,
        latest: c.latest,
        publisher: did_string(state, c.publisher),
        digest: c.digest.to_string(),
        schema: serde_json::from_str(&c.schema).unwrap_or(Value::Null),
        height: c.height,
        created: resolution::format_time(c.timestamp_ms),
    }
}

fn get_cpt_version(
    state: &ApiState,
    id: u64,
    version: Option<u32>,
) -> Result<Option<Cpt>, ApiError> {
    query(state, cpt::NAME, CptQuery::Get { id, version }.args(), None)
}

/// Registers a CPT or a new version of one. Roles: admin, issuer or organiser. The schema is
/// validated here (fast 400) and again by the chain.
#[utoipa::path(post, path = "/api/v1/cpts", tag = "identity", security(("bearer" = [])),
    request_body = RegisterCpt,
    responses(
        (status = 201, description = "Registered", body = CptView),
        (status = 400, description = "Invalid schema", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Id range or publisher not allowed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_cpt(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<RegisterCpt>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let schema = serde_json::to_string(&body.schema).map_err(ApiError::internal)?;
    cpt::validate_schema(&schema).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let key = tenant_key(&state, &principal, &body.key_id).await?;
    let tx = sign_and_settle(
        &state,
        &key,
        CptCall::Register {
            id: body.id,
            schema,
        }
        .call(),
    )
    .await?;
    let event = receipt(&state, &tx)?
        .events
        .into_iter()
        .find(|e| e.module == cpt::NAME && e.kind == "registered")
        .ok_or_else(|| ApiError::internal("no registration event"))?;
    let attr = |name: &str| {
        event
            .attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let id: u64 = attr("id").parse().map_err(ApiError::internal)?;
    let version: u32 = attr("version").parse().map_err(ApiError::internal)?;
    let c = get_cpt_version(&state, id, Some(version))?
        .ok_or_else(|| ApiError::internal("CPT vanished"))?;
    Ok(HttpResponse::Created().json(cpt_view(&state, c)))
}

/// `?version=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A version (default: latest).
    pub version: Option<u32>,
}

/// Fetches a CPT (latest or a given version). Public.
#[utoipa::path(get, path = "/api/v1/cpts/{id}", tag = "identity",
    params(("id" = u64, Path, description = "CPT id"), VersionQuery),
    responses(
        (status = 200, description = "The CPT", body = CptView),
        (status = 404, description = "No such CPT or version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_cpt(
    state: web::Data<ApiState>,
    path: web::Path<u64>,
    q: web::Query<VersionQuery>,
) -> Result<web::Json<CptView>, ApiError> {
    let id = path.into_inner();
    get_cpt_version(&state, id, q.version)?
        .map(|c| web::Json(cpt_view(&state, c)))
        .ok_or_else(|| ApiError::NotFound(format!("no CPT {id} (version {:?})", q.version)))
}

// ---------------------------------------------------------------------------------------------
// Resolution

/// Options of `GET /1.0/identifiers/{did}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ResolveOptions {
    /// Resolve this version (1, 2, ...).
    pub version_id: Option<String>,
    /// Resolve the version valid at this time (RFC 3339).
    pub version_time: Option<String>,
    /// `true`: include the state proofs of the document (`didResolutionMetadata.stateProof`).
    pub proof: Option<bool>,
}

fn resolution_error(status: u16, error: &str, message: &str) -> HttpResponse {
    let body = json!({
        "didDocument": null,
        "didResolutionMetadata": { "error": error, "errorMessage": message },
        "didDocumentMetadata": {},
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
        .insert_header((header::CONTENT_TYPE, DID_RESOLUTION))
        .body(body.to_string())
}

/// Whether the client asked for the bare document rather than a resolution result.
fn wants_bare_document(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    let bare = types.iter().any(|t| {
        matches!(
            *t,
            "application/did" | "application/did+json" | "application/did+ld+json"
        )
    });
    bare && !types.contains(&DID_RESOLUTION)
}

/// Resolves a DID (DIF Universal Resolver / W3C DID Resolution). `Accept:
/// application/did-resolution` (default) answers `{didDocument, didResolutionMetadata,
/// didDocumentMetadata}`; `application/did` (or `did+json`) the bare document. Errors:
/// `invalidDid` / `invalidOptions` 400, `notFound` 404, `methodNotSupported` 501; a deactivated
/// DID answers 410 with its metadata (an explicit `versionId`/`versionTime` of a deactivated DID
/// answers 200, so signatures made before deactivation can be checked).
#[utoipa::path(get, path = "/1.0/identifiers/{did}", tag = "identity",
    params(("did" = String, Path, description = "did:weft or did:key DID"), ResolveOptions),
    responses(
        (status = 200, description = "Resolved", content_type = "application/did-resolution"),
        (status = 400, description = "invalidDid / invalidOptions"),
        (status = 404, description = "notFound"),
        (status = 410, description = "Deactivated"),
        (status = 501, description = "methodNotSupported"),
    ))]
pub async fn resolve(
    state: web::Data<ApiState>,
    req: HttpRequest,
    path: web::Path<String>,
    options: Result<web::Query<ResolveOptions>, actix_web::Error>,
) -> HttpResponse {
    let Ok(options) = options else {
        return resolution_error(400, "invalidOptions", "unrecognised resolution options");
    };
    let did = match Did::parse(&path) {
        Ok(did) => did,
        Err(DidError::MethodNotSupported(m)) => {
            return resolution_error(
                501,
                "methodNotSupported",
                &format!("did:{m} is not supported"),
            )
        }
        Err(e) => return resolution_error(400, "invalidDid", &e.to_string()),
    };
    let bare = wants_bare_document(&req);
    let address = match &did {
        Did::Key(key) => {
            let doc = weft_did::document::render_did_key(key);
            return respond(
                bare,
                json!({
                    "didDocument": doc,
                    "didResolutionMetadata": { "contentType": DID_JSON },
                    "didDocumentMetadata": {},
                }),
                200,
            );
        }
        Did::Weft { chain_id, .. } if chain_id != state.node.chain_id() => {
            return resolution_error(
                404,
                "notFound",
                &format!("this node serves chain {:?}", state.node.chain_id()),
            )
        }
        Did::Weft { address, .. } => *address,
    };
    let selector = match (&options.version_id, &options.version_time) {
        (None, None) => Selector::Latest,
        (Some(v), None) => match v.parse::<u32>() {
            Ok(v) => Selector::Version(v),
            Err(_) => {
                return resolution_error(
                    400,
                    "invalidOptions",
                    "versionId must be a positive integer",
                )
            }
        },
        (None, Some(t)) => match resolution::parse_time(t) {
            Ok(ms) => Selector::Time(ms),
            Err(e) => return resolution_error(400, "invalidOptions", &e.to_string()),
        },
        (Some(_), Some(_)) => {
            return resolution_error(
                400,
                "invalidOptions",
                "give versionId or versionTime, not both",
            )
        }
    };
    // One height for the document, its metadata and its proofs.
    let height = state.node.height();
    let res: Option<Resolution> = match query(
        &state,
        registry::NAME,
        DidQuery::Resolve {
            did: address,
            selector,
        }
        .args(),
        Some(height),
    ) {
        Ok(r) => r,
        Err(_) => return resolution_error(500, "internalError", "resolution failed"),
    };
    let Some(res) = res else {
        return resolution_error(
            404,
            "notFound",
            &format!("{did} (or that version of it) is not on chain"),
        );
    };
    let mut body = resolution_json(&did, &res);
    if options.proof == Some(true) {
        let proofs = state
            .node
            .state_proof(registry::NAME, &registry::head_key(&address), Some(height))
            .and_then(|head| {
                state
                    .node
                    .state_proof(
                        registry::NAME,
                        &registry::version_key(&address, res.version),
                        Some(height),
                    )
                    .map(|version| proof::DocumentProof { head, version })
            });
        match proofs {
            Ok(p) => body["didResolutionMetadata"]["stateProof"] = json!(p),
            Err(_) => return resolution_error(500, "internalError", "state proof unavailable"),
        }
    }
    let status = if res.head.deactivated && selector == Selector::Latest {
        410
    } else {
        200
    };
    respond(bare, body, status)
}

fn respond(bare: bool, body: Value, status: u16) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    if bare {
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, DID_JSON))
            .body(body["didDocument"].to_string())
    } else {
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, DID_RESOLUTION))
            .body(body.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Routes

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/dids")
            .route(web::get().to(list_dids))
            .route(web::post().to(create_did)),
    )
    .service(resource("/dids/{did}/update").route(web::post().to(update_did)))
    .service(resource("/dids/{did}/deactivate").route(web::post().to(deactivate_did)))
    .service(
        resource("/issuers")
            .route(web::get().to(list_issuers))
            .route(web::post().to(apply_issuer)),
    )
    .service(resource("/issuers/{did}").route(web::get().to(get_issuer)))
    .service(resource("/issuers/{did}/recognition").route(web::post().to(recognise_issuer)))
    .service(resource("/issuer-types").route(web::post().to(create_type)))
    .service(resource("/issuer-types/{name}").route(web::get().to(get_type)))
    .service(resource("/issuer-types/{name}/members").route(web::post().to(set_type_member)))
    .service(resource("/cpts").route(web::post().to(register_cpt)))
    .service(resource("/cpts/{id}").route(web::get().to(get_cpt)));
}

/// Routes outside `/api/v1`: the DID resolver.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/1.0/identifiers")
            .wrap(actix_web::middleware::from_fn(crate::metrics::observe))
            .service(resource("/{did}").route(web::get().to(resolve))),
    );
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        create_did, list_dids, update_did, deactivate_did,
        apply_issuer, list_issuers, get_issuer, recognise_issuer,
        create_type, set_type_member, get_type,
        register_cpt, get_cpt, resolve,
    ),
    tags((name = "identity", description = "DIDs, authority issuers, issuer types, CPTs and DID resolution"))
)]
pub struct Doc;

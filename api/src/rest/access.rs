//! The caller's identity, API tokens and custodied keys.
//!
//! Tokens: an admin manages its own tenant's tokens; an admin of the operator tenant manages
//! every tenant's. Keys: each tenant sees and creates only its own; a new key's secret is
//! generated and sealed on the server and never leaves it.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weft_chain::Keypair;

use super::ApiState;
use crate::auth::{self, validate_id, Principal, Role, OPERATOR_TENANT};
use crate::problem::{ApiError, ApiJson, Problem};
use weft_service::store::{SealedKey, StoreError, TokenRecord};

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// The tenant the token acts for.
    pub tenant: String,
    /// The token's roles.
    #[schema(value_type = Vec<crate::schema::Role>)]
    pub roles: Vec<Role>,
    /// The token's id.
    pub token_id: String,
}

/// A token's metadata (never the token).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Token id.
    pub token_id: String,
    /// Tenant.
    pub tenant: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Label.
    pub label: String,
    /// Creation time (Unix ms).
    pub created_ms: i64,
    /// Revocation time (Unix ms), if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_ms: Option<i64>,
}

impl From<TokenRecord> for TokenInfo {
    fn from(r: TokenRecord) -> Self {
        TokenInfo {
            token_id: r.token_id,
            tenant: r.tenant,
            roles: r.roles,
            label: r.label,
            created_ms: r.created_ms,
            revoked_ms: r.revoked_ms,
        }
    }
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Tenant (default: the caller's).
    pub tenant: Option<String>,
    /// Roles of the new token (at least one).
    #[schema(value_type = Vec<crate::schema::Role>)]
    pub roles: Vec<Role>,
    /// Label.
    #[serde(default)]
    pub label: String,
}

/// A newly created token: the only time the token is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The bearer token. Store it now: it cannot be shown again.
    pub token: String,
    /// Its metadata.
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// Filter of `GET /api/v1/tokens`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokensQuery {
    /// Only this tenant's tokens (operator admins; others always see their own).
    pub tenant: Option<String>,
}

/// A custodied key's public metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyInfo {
    /// Key id (unique within the tenant).
    pub key_id: String,
    /// Label.
    pub label: String,
    /// Account address.
    pub address: String,
    /// Ed25519 public key.
    pub public_key: String,
    /// Creation time (Unix ms).
    pub created_ms: i64,
}

impl From<SealedKey> for KeyInfo {
    fn from(k: SealedKey) -> Self {
        KeyInfo {
            key_id: k.key_id,
            label: k.label,
            address: k.address,
            public_key: k.public_key,
            created_ms: k.created_ms,
        }
    }
}

/// `POST /api/v1/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// Key id: 1 to 64 of `[A-Za-z0-9._-]`.
    pub key_id: String,
    /// Label.
    #[serde(default)]
    pub label: String,
}

/// The caller's tenant, roles and token id.
#[utoipa::path(get, path = "/api/v1/auth/whoami", tag = "access", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = WhoAmI),
        (status = 401, description = "Missing, invalid or revoked token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn whoami(principal: Principal) -> web::Json<WhoAmI> {
    web::Json(WhoAmI {
        tenant: principal.0.tenant,
        roles: principal.0.roles,
        token_id: principal.0.token_id,
    })
}

/// Creates a token (admin). The response is the only time the token is shown.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", security(("bearer" = [])),
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created", body = CreatedToken),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of that tenant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_token(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let tenant = body.tenant.unwrap_or_else(|| principal.tenant.clone());
    validate_id("tenant", &tenant)?;
    principal.require_admin_of(&tenant)?;
    if body.roles.is_empty() {
        return Err(ApiError::InvalidRequest("roles must not be empty".into()));
    }
    if body.label.len() > 200 {
        return Err(ApiError::InvalidRequest(
            "label must be at most 200 bytes".into(),
        ));
    }
    let created = auth::create_token(&state.store, &tenant, &body.roles, &body.label)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(token_id = %created.record.token_id, %tenant, by = %principal.token_id, "token created");
    Ok(HttpResponse::Created().json(CreatedToken {
        token: created.token.to_string(),
        info: created.record.into(),
    }))
}

/// Lists tokens (admin): the caller's tenant, or any tenant for operator admins.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "access", security(("bearer" = [])),
    params(TokensQuery),
    responses(
        (status = 200, description = "Tokens", body = Vec<TokenInfo>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_tokens(
    state: web::Data<ApiState>,
    principal: Principal,
    query: web::Query<TokensQuery>,
) -> Result<web::Json<Vec<TokenInfo>>, ApiError> {
    principal.require_any(&[Role::Admin])?;
    let tenant = if principal.tenant == OPERATOR_TENANT {
        query.tenant.clone()
    } else {
        if query
            .tenant
            .as_ref()
            .is_some_and(|t| *t != principal.tenant)
        {
            return Err(ApiError::Forbidden(
                "an admin may list only its own tenant's tokens".into(),
            ));
        }
        Some(principal.tenant.clone())
    };
    let tokens = state.store.list_tokens(tenant.as_deref()).await?;
    Ok(web::Json(tokens.into_iter().map(TokenInfo::from).collect()))
}

/// Revokes a token (admin of its tenant). Effective immediately. The last admin token of the
/// operator tenant is kept (409 `last_admin_token`).
#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "access", security(("bearer" = [])),
    params(("token_id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of that tenant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unrevoked token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin_token`: the last admin token of the operator tenant cannot be revoked", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_token(
    state: web::Data<ApiState>,
    principal: Principal,
    token_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token_id = token_id.into_inner();
    weft_service::auth::revoke_token(&state.store, &principal, &token_id).await?;
    tracing::info!(%token_id, by = %principal.token_id, "token revoked");
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's tenant's custodied keys (public parts only).
#[utoipa::path(get, path = "/api/v1/keys", tag = "access", security(("bearer" = [])),
    responses(
        (status = 200, description = "Keys", body = Vec<KeyInfo>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_keys(
    state: web::Data<ApiState>,
    principal: Principal,
) -> Result<web::Json<Vec<KeyInfo>>, ApiError> {
    let keys = state.store.list_keys(&principal.tenant).await?;
    Ok(web::Json(keys.into_iter().map(KeyInfo::from).collect()))
}

/// Generates a signing key for the caller's tenant (admin). The secret never leaves the server.
#[utoipa::path(post, path = "/api/v1/keys", tag = "access", security(("bearer" = [])),
    request_body = CreateKey,
    responses(
        (status = 201, description = "Created", body = KeyInfo),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key id taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_key(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    principal.require_any(&[Role::Admin])?;
    let body = body.0;
    validate_id("key_id", &body.key_id)?;
    if body.label.len() > 200 {
        return Err(ApiError::InvalidRequest(
            "label must be at most 200 bytes".into(),
        ));
    }
    let sealed = create_custodied_key(&state, &principal.tenant, &body.key_id, &body.label).await?;
    Ok(HttpResponse::Created().json(KeyInfo::from(sealed)))
}

/// Generates, seals and stores a key for `tenant`.
pub async fn create_custodied_key(
    state: &ApiState,
    tenant: &str,
    key_id: &str,
    label: &str,
) -> Result<SealedKey, ApiError> {
    let key = Keypair::generate();
    let sealed = state
        .keystore
        .seal(tenant, key_id, label, &key)
        .map_err(ApiError::internal)?;
    match state.store.insert_key(&sealed).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict(format!(
                "key id {key_id:?} already exists"
            )))
        }
        Err(other) => return Err(other.into()),
    }
    tracing::info!(%tenant, %key_id, address = %sealed.address, "custodied key created");
    Ok(sealed)
}

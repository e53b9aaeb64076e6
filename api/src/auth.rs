//! The bearer-token extractor: handlers take a [`Principal`] argument to require a valid token.
//!
//! Tokens, tenants and roles are the service layer's ([`weft_service::auth`]); this module only
//! reads the `Authorization: Bearer` header, authenticates it against the store and applies the
//! token's rate limit. It answers 401 (missing, unknown or revoked token) or 429 as
//! problem+json.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use zeroize::Zeroizing;

pub use weft_service::auth::{
    authenticate, create_token, token_hash, validate_id, NewToken, Role, TokenError,
    OPERATOR_TENANT,
};

use crate::problem::ApiError;
use crate::rest::ApiState;

/// An authenticated caller (the service layer's [`weft_service::auth::Principal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(pub weft_service::auth::Principal);

impl Deref for Principal {
    type Target = weft_service::auth::Principal;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "missing Authorization: Bearer token",
        ))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(ApiError::Unauthorized("malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized("expected a Bearer token"));
    }
    Ok(token.trim().to_string())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<ApiState>>().cloned();
        let token = bearer(req).map(Zeroizing::new);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("ApiState not registered"))?;
            let token = token?;
            let principal = authenticate(&state.store, &token).await?;
            state.limits.check_token(&principal.token_id)?;
            Ok(Principal(principal))
        })
    }
}

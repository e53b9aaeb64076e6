//! Bearer-token authentication and role checks.
//!
//! A token is `weft_` followed by 64 hex digits: 256 bits from the OS CSPRNG, shown once when it
//! is created. The store keeps only `SHA-256("weft/api-token/v1" || token)` and looks tokens up by
//! that hash, so a database leak reveals no usable token. Each token acts for one tenant (an
//! organisation) with a set of [`Role`]s; revocation is a column update checked on every request,
//! so it takes effect at once.
//!
//! [`authenticate`] resolves a presented token to its [`Principal`]; the HTTP layer's extractor
//! (`weft_api::auth`) calls it for every request that needs a token.

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::ServiceError;
use crate::store::{now_ms, Store, StoreError, TokenRecord};

/// The tenant `weft up` creates for the node operator. Its admins manage every tenant's tokens.
pub const OPERATOR_TENANT: &str = "operator";

const TOKEN_PREFIX: &str = "weft_";
const TOKEN_HASH_DOMAIN: &[u8] = b"weft/api-token/v1";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Issuer,
        Role::Verifier,
        Role::Partner,
        Role::Organiser,
        Role::Holder,
    ];

    /// Roles allowed to sign chain transactions with the tenant's custodied keys.
    pub const SIGNERS: [Role; 3] = [Role::Admin, Role::Issuer, Role::Organiser];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Issuer => "issuer",
            Role::Verifier => "verifier",
            Role::Partner => "partner",
            Role::Organiser => "organiser",
            Role::Holder => "holder",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// Checks a tenant or key id: 1 to 64 characters of `[A-Za-z0-9._-]`.
pub fn validate_id(what: &str, id: &str) -> Result<(), ServiceError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::InvalidRequest(format!(
            "{what} must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'"
        )))
    }
}

/// The hash under which a token is stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(TOKEN_HASH_DOMAIN);
    hasher.update(token.as_bytes());
    hasher.finalize().into()
}

/// A newly created token: the secret (shown once) and its record.
pub struct NewToken {
    /// The bearer token. Show it once; it is not stored.
    pub token: Zeroizing<String>,
    /// Its stored record.
    pub record: TokenRecord,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// Failures creating a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The OS random generator failed.
    #[error("system randomness unavailable")]
    Random,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates and stores a token for `tenant` with `roles`.
pub async fn create_token(
    store: &Store,
    tenant: &str,
    roles: &[Role],
    label: &str,
) -> Result<NewToken, TokenError> {
    let rng = SystemRandom::new();
    let mut secret = Zeroizing::new([0u8; 32]);
    rng.fill(secret.as_mut_slice())
        .map_err(|_| TokenError::Random)?;
    let mut id = [0u8; 8];
    rng.fill(&mut id).map_err(|_| TokenError::Random)?;
    let token = Zeroizing::new(format!("{TOKEN_PREFIX}{}", hex::encode(secret.as_slice())));
    let mut names: Vec<String> = Vec::new();
    for role in roles {
        if !names.iter().any(|n| n == role.as_str()) {
            names.push(role.as_str().to_string());
        }
    }
    let record = TokenRecord {
        token_id: format!("tok_{}", hex::encode(id)),
        tenant: tenant.to_string(),
        roles: names,
        label: label.to_string(),
        created_ms: now_ms(),
        revoked_ms: None,
    };
    store.insert_token(&record, &token_hash(&token)).await?;
    Ok(NewToken { token, record })
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's id.
    pub token_id: String,
    /// The tenant it acts for.
    pub tenant: String,
    /// Its roles.
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether the caller has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ServiceError::Forbidden(format!(
                "this requires one of the roles: {}",
                names.join(", ")
            )))
        }
    }

    /// 403 unless the caller may administer `tenant`: an admin of that tenant or of the operator.
    /// Refuses the organisation's operator key — custodied key `admin` of the operator tenant,
    /// its governance-committee account — to every role but admin (threat F7): an issuer,
    /// organiser or partner token of the operator tenant must not sign committee decisions.
    pub fn may_use_key(&self, key_id: &str) -> Result<(), ServiceError> {
        if self.tenant == OPERATOR_TENANT
            && key_id == crate::platform::OPERATOR_KEY_ID
            && !self.has(Role::Admin)
        {
            return Err(ServiceError::Forbidden(
                "the operator key is the organisation's committee account: only the operator \
                 tenant's admin may sign with it"
                    .into(),
            ));
        }
        Ok(())
    }

    pub fn require_admin_of(&self, tenant: &str) -> Result<(), ServiceError> {
        self.require_any(&[Role::Admin])?;
        if self.tenant == tenant || self.tenant == OPERATOR_TENANT {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "an admin may manage only its own tenant".into(),
            ))
        }
    }
}

/// Resolves a presented token to its principal (401 if unknown or revoked).
pub async fn authenticate(store: &Store, token: &str) -> Result<Principal, ServiceError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
        return Err(ServiceError::Unauthorized("invalid token"));
    }
    let record = store
        .token_by_hash(&token_hash(token))
        .await?
        .ok_or(ServiceError::Unauthorized("invalid token"))?;
    if record.revoked_ms.is_some() {
        return Err(ServiceError::Unauthorized("token revoked"));
    }
    let roles = record.roles.iter().filter_map(|r| r.parse().ok()).collect();
    Ok(Principal {
        token_id: record.token_id,
        tenant: record.tenant,
        roles,
    })
}

/// Revokes token `token_id` for `principal` (an admin of the token's tenant, or of the
/// operator). The last unrevoked admin token of the operator tenant is never revoked
/// ([`ServiceError::LastAdminToken`]): without it nobody could manage tokens through the API.
/// Recovery, should it be lost anyway, is `weft token create --admin` on the node's host
/// ([`crate::platform::recovery_admin_token`]).
pub async fn revoke_token(
    store: &Store,
    principal: &Principal,
    token_id: &str,
) -> Result<(), ServiceError> {
    use crate::store::Revocation;
    principal.require_any(&[Role::Admin])?;
    let not_found = || ServiceError::NotFound(format!("no active token {token_id:?}"));
    let record = store.token(token_id).await?.ok_or_else(not_found)?;
    principal.require_admin_of(&record.tenant)?;
    match store
        .revoke_token_keeping_admin(token_id, now_ms(), OPERATOR_TENANT)
        .await?
    {
        Revocation::Revoked => Ok(()),
        Revocation::NotFound => Err(not_found()),
        Revocation::LastAdmin => Err(ServiceError::LastAdminToken(format!(
            "{token_id} is the last admin token of the {OPERATOR_TENANT} tenant; create another \
             admin token first (recovery without one: `weft token create --admin` on the node's host)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(validate_id("tenant", "acme-corp.eu_1").is_ok());
        for bad in ["", "a b", "x/y", &"a".repeat(65), "é"] {
            assert!(validate_id("tenant", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashes_are_domain_separated() {
        let token = format!("weft_{}", "ab".repeat(32));
        let plain: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        assert_ne!(token_hash(&token), plain);
    }
}

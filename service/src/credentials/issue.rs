//! The VC API credential endpoints' service side: issuing a credential from an
//! [`IssueCredentialRequest`] and verifying one from a [`VerifyCredentialRequest`].
//!
//! # Issuance ([`issue_credential`])
//!
//! The request rules are the library's ([`IssueCredentialRequest::input`]): VC 2.0 (VC 1.1
//! input mapped), a well-formed credential, an issuer that is a `did:key` or a `did:weft` of this
//! chain, a CPT pin optional. This module adds what needs the node and the tenant:
//!
//! - **Whose key signs.** A `did:weft` issuer signs with a custodied key of the caller's tenant
//!   that is, now, an `assertionMethod` key of the issuer's on-chain document (`options.keyId`
//!   picks one; otherwise the tenant's keys are searched). A `did:key` issuer signs with the
//!   custodied key *that is* the did:key (`options.keyId`, or found among the tenant's keys).
//!   Anything else is `forbidden`: a tenant never signs for a key it does not custody.
//! - **The CPT** of a pin is read from the chain (`schema_not_found` if it is not registered);
//!   the claims are validated and predicate claims committed by the library.
//! - **`options.status`** allocates an entry on one of the issuer's on-chain lists: only a
//!   `did:weft` issuer owns lists (`status_unsupported` for a `did:key`).
//! - **`options.evidence`** anchors the credential's hash, signed by the key that issued.
//!
//! # Verification ([`verify_credential_request`])
//!
//! [`VerifyCredentialOptions::to_options`] makes the verifier's options (VC API
//! `options.checks`, trusted issuers bound to keys, ...); the policy of which checks run is the
//! library's ([`weft_did::credential::policy`]). Evidence, when asked, is looked up in this
//! server's store first; the (CPU-bound) verification runs off the async workers.
//!
//! Every refusal of the request rules is a [`ServiceError::CredentialRequest`] with the
//! library's stable code.

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use weft_chain::{Address, Keypair, PublicKey};
use weft_did::credential::request::{
    IssueCredentialRequest, IssuerRef, RequestError, VerifyCredentialOptions,
    VerifyCredentialRequest,
};
use weft_did::credential::vc;
use weft_did::credential::verify::{
    verify_credential, CredentialLedger, VerificationReport, VerifyOptions,
};
use weft_did::Relationships;

use super::evidence::{EvidenceReceipt, Signer};
use super::WithEvidence;
use crate::auth::Principal;
use crate::error::ServiceError;
use crate::Context;

/// An issued credential and what goes with it. Its `Debug` leaves out the holder's openings.
pub struct Issuance {
    /// The secured credential.
    pub credential: Value,
    /// The holder's openings of committed predicate claims (`weft-openings-v1.…`): the holder's
    /// secret, returned once, never logged or stored here.
    pub holder_openings: Option<String>,
    /// The evidence anchor, when `options.evidence` asked for one.
    pub evidence: Option<EvidenceReceipt>,
}

impl std::fmt::Debug for Issuance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuance")
            .field("credential", &self.credential)
            .field(
                "holder_openings",
                &self.holder_openings.as_ref().map(|_| "<secret>"),
            )
            .field("evidence", &self.evidence)
            .finish()
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A key the tenant custodies that is, now, a key of `did` (at `address`) with `relationship`:
/// (key, fragment, key id). `key_id` picks the key; otherwise the tenant's keys are searched.
/// `forbidden` when the tenant custodies none.
///
/// The operator key (the organisation's committee account) is never used for a caller that
/// may not sign with it ([`Principal::may_use_key`], threat F7).
pub async fn custodied_key(
    ctx: &Context,
    principal: &Principal,
    did: &str,
    address: Address,
    key_id: Option<&str>,
    relationship: u8,
) -> Result<(Arc<Keypair>, String, String), ServiceError> {
    let ledger = ctx.credentials.ledger.inner();
    let now_ms = u64::try_from(now().unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let version = ledger
        .did_version_at(&address, now_ms.max(ctx.node.head().timestamp_ms))
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::NotFound(format!("DID {did}")))?;
    let doc = ledger
        .did_version(&address, version)
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::NotFound(format!("DID {did}")))?;
    let fragment_of = |pk: &PublicKey| {
        doc.state
            .keys
            .iter()
            .find(|k| k.public_key == *pk && k.relationships.has(relationship))
            .map(|k| k.fragment.clone())
    };
    let tenant = principal.tenant.as_str();
    if let Some(key_id) = key_id {
        crate::auth::validate_id("key_id", key_id)?;
        principal.may_use_key(key_id)?;
        let key = ctx.opened_keys.get(ctx, tenant, key_id).await?;
        if let Some(fragment) = fragment_of(&key.public_key()) {
            return Ok((key, fragment, key_id.to_string()));
        }
    } else {
        for s in ctx.store.list_keys(tenant).await? {
            if principal.may_use_key(&s.key_id).is_err() {
                continue;
            }
            let Ok(pk) = s.public_key.parse::<PublicKey>() else {
                continue;
            };
            if let Some(fragment) = fragment_of(&pk) {
                let key = ctx.keystore.open(&s).map_err(ServiceError::internal)?;
                return Ok((Arc::new(key), fragment, s.key_id));
            }
        }
    }
    let what = if relationship == Relationships::AUTHENTICATION {
        "authentication"
    } else {
        "assertionMethod"
    };
    Err(ServiceError::Forbidden(format!(
        "this tenant custodies no current {what} key of {did}"
    )))
}

/// The tenant's custodied key that *is* the did:key `pk` (key, key id): `key_id` picks it,
/// otherwise the tenant's keys are searched. `forbidden` when the tenant custodies none.
async fn custodied_did_key(
    ctx: &Context,
    principal: &Principal,
    pk: &PublicKey,
    key_id: Option<&str>,
) -> Result<(Arc<Keypair>, String), ServiceError> {
    let tenant = principal.tenant.as_str();
    if let Some(key_id) = key_id {
        crate::auth::validate_id("key_id", key_id)?;
        principal.may_use_key(key_id)?;
        let key = ctx.opened_keys.get(ctx, tenant, key_id).await?;
        if key.public_key() == *pk {
            return Ok((key, key_id.to_string()));
        }
    } else {
        for s in ctx.store.list_keys(tenant).await? {
            if principal.may_use_key(&s.key_id).is_err() {
                continue;
            }
            if s.public_key.parse::<PublicKey>().ok().as_ref() == Some(pk) {
                let key = ctx.opened_keys.get(ctx, tenant, &s.key_id).await?;
                return Ok((key, s.key_id));
            }
        }
    }
    Err(ServiceError::Forbidden(format!(
        "this tenant custodies no key of {}",
        weft_did::Did::Key(*pk)
    )))
}

/// Issues the credential of `request` for `tenant` (see the module docs).
pub async fn issue_credential(
    ctx: &Arc<Context>,
    principal: &Principal,
    request: &IssueCredentialRequest,
) -> Result<Issuance, ServiceError> {
    let tenant = principal.tenant.as_str();
    let ledger = &ctx.credentials.ledger;
    let issued_at = now();
    let mut input = request.input(ledger.chain_id(), issued_at)?;
    let options = &request.options;
    let key_id = options.key_id.as_deref();
    let (key, method, key_id) = match &input.issuer {
        IssuerRef::Weft { did, address } => {
            let (key, fragment, key_id) = custodied_key(
                ctx,
                principal,
                did,
                *address,
                key_id,
                Relationships::ASSERTION_METHOD,
            )
            .await?;
            (key, input.issuer.verification_method(&fragment), key_id)
        }
        IssuerRef::Key(pk) => {
            let (key, key_id) = custodied_did_key(ctx, principal, pk, key_id).await?;
            (key, input.issuer.verification_method(""), key_id)
        }
    };
    let cpt = match input.cpt {
        None => None,
        Some((pin, _)) => Some(
            ledger
                .cpt(pin)
                .map_err(ServiceError::internal)?
                .ok_or(RequestError::CptNotSupplied(pin))?,
        ),
    };
    // `options.status`: allocate an entry on one of the issuer's lists.
    let allocated = match options.status.0 {
        None => None,
        Some(_) if input.has_status() => return Err(RequestError::StatusTwice.into()),
        Some(purpose) => {
            let IssuerRef::Weft { did, .. } = &input.issuer else {
                return Err(RequestError::StatusUnsupported(input.issuer.did()).into());
            };
            let did = did.clone();
            let entry = super::status::allocate_status_entry(ctx, tenant, &did, purpose).await?;
            input.set_status(entry.clone())?;
            Some(entry)
        }
    };
    // `created` is to the second: round up, so that it is never before the chain state the
    // issuance relied on (a key or recognition from earlier in the same second).
    let created = match issued_at.replace_nanosecond(0) {
        Ok(t) if t < issued_at => t + time::Duration::seconds(1),
        _ => issued_at,
    };
    let issued = input.issue(cpt.as_deref(), &method, &key, created)?;
    if let Some(entry) = allocated {
        let id = issued
            .credential
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        super::status::record_issued(ctx, tenant, id, &[entry]).await?;
    }
    let evidence = if options.evidence {
        let signer = Signer {
            tenant: tenant.to_string(),
            key_id,
        };
        let hash = vc::credential_hash(&issued.credential);
        Some(ctx.evidence.submit(ctx, signer, hash).await?)
    } else {
        None
    };
    Ok(Issuance {
        holder_openings: issued.openings.map(|o| o.to_wallet_string().to_string()),
        credential: issued.credential,
        evidence,
    })
}

/// The verifier's options of a VC API `options` object (a presentation's `options` too: its
/// own members, such as `challenge`, are ignored here).
pub fn verify_options(options: &VerifyCredentialOptions) -> Result<VerifyOptions, ServiceError> {
    Ok(options.to_options(now())?)
}

/// Parses the `options` member of a presentation request as credential verification options.
pub fn verify_options_of(
    options: &serde_json::Map<String, Value>,
) -> Result<VerifyOptions, ServiceError> {
    let parsed: VerifyCredentialOptions = serde_json::from_value(Value::Object(options.clone()))
        .map_err(|e| RequestError::Json(format!("options: {e}")))?;
    verify_options(&parsed)
}

/// Verifies the credential of `request` (see the module docs); the report names every check.
pub async fn verify_credential_request(
    ctx: &Context,
    request: VerifyCredentialRequest,
) -> Result<VerificationReport, ServiceError> {
    let opts = verify_options(&request.options)?;
    let credential = request.verifiable_credential;
    let evidence = if opts.check_evidence {
        // The inclusion proof this server stored, checked against the batch root on chain.
        Some(super::evidence::evidence_outcome(ctx, &credential).await?)
    } else {
        None
    };
    let svc = ctx.credentials.clone();
    tokio::task::spawn_blocking(move || {
        let ledger = WithEvidence {
            inner: &svc.ledger,
            evidence,
        };
        verify_credential(&credential, &ledger, &opts)
    })
    .await
    .map_err(ServiceError::internal)
}

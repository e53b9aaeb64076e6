//! Verifiable credentials over HTTP, shaped after the W3C VC API (VCALM), at the root and under
//! `/api/v1`:
//!
//! - `POST /credentials/issue` (token with a signer role): `{credential, options}` → 201
//!   `{verifiableCredential}`. The credential's `issuer` must be a `did:weft` of this chain for
//!   which the caller's tenant custodies a current `assertionMethod` key (`options.key_id` picks
//!   one; otherwise the tenant's keys are searched). `credentialSchema.id` must name a CPT
//!   version (`urn:weft:cpt:<id>:<version>`); the claims are validated against it.
//!   For a CPT with predicate claims (`x-weft-predicate`), those claims are committed in
//!   `credentialSubject["weft:commitments"]` instead of given in plain, and the response adds
//!   `holderOpenings` (`weft-openings-v1.…`, the holder's secret).
//! - `POST /presentations/prove` (token with a signer role; VCALM holder service):
//!   `{presentation: {holder, verifiableCredential}, options: {challenge, domain, key_id?,
//!   predicates?: [{credential, claim, predicate, openings}]}}` → 201 `{verifiablePresentation}`
//!   signed by a custodied current `authentication` key of the holder (a `did:weft` of this
//!   chain), with a `weft:predicates` proof for each requested predicate.
//! - `POST /credentials/verify`: `{verifiableCredential, options}` → 200 with the report when
//!   verified, else 422 problem+json `verification_failed` carrying the same report members.
//! - `POST /presentations/verify`: `{verifiablePresentation, options: {challenge, domain,
//!   predicates?: [{claim, predicate}]}}`; the challenge must have been issued by
//!   `POST /challenges` and is consumed by its first use; each listed predicate must be proven
//!   (check `predicates`).
//! - `POST /challenges`: a one-time challenge valid for [`weft_service::credentials::CHALLENGE_TTL`].
//!
//! Response of the verify endpoints: `verified`, `checks` (names of the passed checks),
//! `warnings` (checks not run), `errors` (one problem-like object per failed check, `code` =
//! the machine reason), and `report` (every check with pass/fail and reason). Unknown options are
//! ignored. A body that is not JSON or lacks the document is 400; an issuance the chain's rules
//! refuse (claims vs CPT, unknown CPT, foreign issuer) is 422 `invalid_credential`.

pub mod evidence;
pub mod status;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};
use weft_chain::{Keypair, PublicKey};
use weft_did::credential::vc::{self, CptRef, IssueRequest, VcError};
use weft_did::credential::verify::{
    verify_credential, verify_presentation_requiring, CheckName, CredentialLedger,
    PresentationExpectations, RequestedPredicate, VerificationReport, VerifyOptions,
};
use weft_did::{Did, Relationships};

use super::{resource, ApiState};
use crate::auth::{Principal, Role};
use crate::problem::{ApiError, ApiJson};
use weft_service::credentials::ChallengeUse;
use weft_service::credentials::WithEvidence;

/// `POST /credentials/issue` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueBody {
    /// The credential to issue (VC 2.0 shape without proof).
    #[schema(value_type = Object)]
    pub credential: Value,
    /// `key_id`: which custodied key signs (optional). Other options are ignored.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: Option<Map<String, Value>>,
}

/// `POST /credentials/verify` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyBody {
    /// The secured credential.
    #[schema(value_type = Object)]
    pub verifiable_credential: Value,
    /// `checkStatus` (default true), `statusProof` (default false: read status bits through a
    /// state proof against a certified header), `checkEvidence` (default false), `issuerType`,
    /// `trustedIssuers`. Other options are ignored.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: Option<Map<String, Value>>,
}

/// `POST /presentations/verify` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPresentationBody {
    /// The secured presentation.
    #[schema(value_type = Object)]
    pub verifiable_presentation: Value,
    /// `challenge` (required, from `POST /challenges`), `domain`, and the credential options.
    #[schema(value_type = Object)]
    pub options: Map<String, Value>,
}

/// 422 `invalid_credential` (as a response, so that handlers can return it directly).
fn unprocessable(detail: impl Into<String>) -> HttpResponse {
    ApiError::typed("invalid_credential", detail.into()).error_response()
}

fn vc_error(e: VcError) -> HttpResponse {
    unprocessable(e.to_string())
}

fn opt_str<'a>(options: &'a Option<Map<String, Value>>, name: &str) -> Option<&'a str> {
    options.as_ref()?.get(name)?.as_str()
}

/// The server's clock.
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Issues a credential signed by a tenant-custodied `assertionMethod` key of its issuer.
#[utoipa::path(
    post,
    path = "/credentials/issue",
    tag = "credentials",
    request_body = IssueBody,
    responses(
        (status = 201, description = "`{verifiableCredential}`"),
        (status = 400, description = "malformed body", body = crate::problem::Problem),
        (status = 403, description = "the tenant holds no assertion key of the issuer", body = crate::problem::Problem),
        (status = 422, description = "`invalid_credential`: claims vs CPT, unknown CPT, bad dates", body = crate::problem::Problem),
    ),
    security(("bearer" = []))
)]
pub async fn issue(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<IssueBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let IssueBody {
        credential,
        options,
    } = body.0;
    let Some(c) = credential.as_object() else {
        return Err(ApiError::InvalidRequest(
            "credential must be a JSON object".into(),
        ));
    };
    let ledger = &state.credentials.ledger;

    // Issuer: a did:weft of this chain.
    let issuer = match c.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(s) => s.to_string(),
            None => return Ok(unprocessable("issuer object without id")),
        },
        _ => return Ok(unprocessable("credential.issuer is required")),
    };
    let address = match Did::parse(&issuer) {
        Ok(Did::Weft { chain_id, address }) if chain_id == ledger.chain_id() => address,
        _ => {
            return Ok(unprocessable(format!(
                "issuer {issuer:?} is not a did:weft of this chain"
            )))
        }
    };

    // The schema pin names the CPT.
    let Some(schema_id) = c
        .get("credentialSchema")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
    else {
        return Ok(unprocessable(
            "credentialSchema.id (urn:weft:cpt:<id>:<version>) is required",
        ));
    };
    let cpt_ref = match CptRef::parse_urn(schema_id) {
        Ok(r) => r,
        Err(e) => return Ok(vc_error(e)),
    };
    let cpt = match ledger.cpt(cpt_ref) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Ok(unprocessable(format!(
                "CPT {} v{} is not registered",
                cpt_ref.id, cpt_ref.version
            )))
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    if let Some(sri) = c
        .get("credentialSchema")
        .and_then(|s| s.get("digestSRI"))
        .and_then(Value::as_str)
    {
        if sri != cpt.digest_sri() {
            return Ok(vc_error(VcError::DigestMismatch));
        }
    }

    // Everything else of the request.
    let strings = |name: &str| -> Result<Vec<String>, String> {
        match c.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("{name} must be an array of strings")),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(format!("{name} must be an array of strings")),
        }
    };
    let (contexts, types) = match (strings("@context"), strings("type")) {
        (Ok(c), Ok(t)) => (c, t),
        (Err(e), _) | (_, Err(e)) => return Ok(unprocessable(e)),
    };
    if contexts.first().is_some_and(|c| c != vc::CONTEXT_V2) {
        return Ok(vc_error(VcError::BadContext));
    }
    let date = |name: &str| -> Result<Option<OffsetDateTime>, VcError> {
        match c.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => vc::parse_datetime(name, s).map(Some),
            Some(_) => Err(VcError::BadDate(format!("{name} must be a string"))),
        }
    };
    let (valid_from, valid_until) = match (date("validFrom"), date("validUntil")) {
        (Ok(f), Ok(u)) => (f, u),
        (Err(e), _) | (_, Err(e)) => return Ok(vc_error(e)),
    };
    let known = [
        "@context",
        "type",
        "id",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSubject",
        "credentialSchema",
        "credentialStatus",
    ];
    if let Some(other) = c.keys().find(|k| !known.contains(&k.as_str())) {
        return Ok(unprocessable(format!(
            "credential property {other:?} is not supported"
        )));
    }
    let id = match c.get("id") {
        None => None,
        Some(Value::String(s)) if s.contains(':') => Some(s.clone()),
        Some(_) => return Ok(unprocessable("id must be a URL string")),
    };
    let issued_at = now();
    let request = IssueRequest {
        id,
        contexts: contexts.into_iter().skip(1).collect(),
        types,
        issuer: issuer.clone(),
        valid_from: valid_from.unwrap_or(issued_at),
        valid_until,
        subject: c.get("credentialSubject").cloned().unwrap_or(Value::Null),
        status: c.get("credentialStatus").cloned(),
    };
    let mut request = request;

    // A custodied key that is a current assertionMethod key of the issuer.
    let (key, fragment, key_id) =
        issuer_key(&state, &principal, &issuer, address, &options).await?;
    // `options.status`: allocate a status entry on one of the issuer's lists.
    let allocated = match status_option(&options)? {
        Some(_) if request.status.is_some() => {
            return Ok(unprocessable(
                "give either credentialStatus or options.status, not both",
            ))
        }
        Some(purpose) => {
            let entry = weft_service::credentials::status::allocate_status_entry(
                &state,
                &principal.tenant,
                &issuer,
                purpose,
            )
            .await?;
            request.status = Some(entry.clone());
            Some(entry)
        }
        None => None,
    };
    let anchor = options
        .as_ref()
        .and_then(|o| o.get("evidence"))
        .is_some_and(|v| v == &Value::Bool(true));
    let method = format!("{issuer}#{fragment}");
    // `created` is to the second: round up, so that it is never before the chain state the
    // issuance relied on (a key or recognition from earlier in the same second).
    let created = match issued_at.replace_nanosecond(0) {
        Ok(t) if t < issued_at => t + time::Duration::seconds(1),
        _ => issued_at,
    };
    let (vc, openings) = match vc::issue_with_openings(&request, &cpt, &method, &key, created) {
        Ok(issued) => (issued.credential, issued.openings),
        Err(e) => return Ok(vc_error(e)),
    };
    if let Some(entry) = allocated {
        let id = vc.get("id").and_then(Value::as_str).unwrap_or_default();
        weft_service::credentials::status::record_issued(&state, &principal.tenant, id, &[entry])
            .await?;
    }
    let mut body = json!({ "verifiableCredential": vc });
    if let Some(openings) = openings {
        // The holder's secret: returned once, never logged or stored here.
        body["holderOpenings"] = Value::String(openings.to_wallet_string().to_string());
    }
    if anchor {
        let signer = weft_service::credentials::evidence::Signer {
            tenant: principal.tenant.clone(),
            key_id,
        };
        let hash = vc::credential_hash(&vc);
        let arc = state.ctx.clone();
        let receipt = state.evidence.submit(&arc, signer, hash).await?;
        body["evidence"] = serde_json::to_value(receipt).map_err(ApiError::internal)?;
    }
    Ok(HttpResponse::Created().json(body))
}

/// `POST /presentations/prove` body (VCALM holder service). Its `Debug` omits `options`, which
/// carries the holder's openings.
#[derive(Deserialize, ToSchema)]
pub struct ProveBody {
    /// `{holder, verifiableCredential}`: the holder's DID and the credentials to present.
    #[schema(value_type = Object)]
    pub presentation: Value,
    /// `challenge`, `domain` (both required), `key_id` (optional), `predicates`:
    /// `[{credential, claim, predicate, openings}]` (optional).
    #[schema(value_type = Object)]
    pub options: Map<String, Value>,
}

impl std::fmt::Debug for ProveBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProveBody").finish_non_exhaustive()
    }
}

/// One `options.predicates` entry of a prove request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvePredicate {
    credential: usize,
    claim: String,
    predicate: Value,
    openings: String,
}

fn prove_string<'a>(options: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    options
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(|| ApiError::InvalidRequest(format!("options.{name} (a string) is required")))
}

/// Builds and signs a presentation with a custodied `authentication` key of the holder,
/// proving the requested predicates over the credentials' commitments.
#[utoipa::path(
    post,
    path = "/presentations/prove",
    tag = "credentials",
    request_body = ProveBody,
    responses(
        (status = 201, description = "`{verifiablePresentation}`"),
        (status = 400, description = "malformed body, missing challenge or domain", body = crate::problem::Problem),
        (status = 403, description = "the tenant holds no authentication key of the holder", body = crate::problem::Problem),
        (status = 422, description = "`invalid_credential` (holder, credentials) or `predicate_invalid` (openings, unsatisfied predicate, no commitment)", body = crate::problem::Problem),
    ),
    security(("bearer" = []))
)]
pub async fn prove(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<ProveBody>,
) -> Result<HttpResponse, ApiError> {
    use weft_did::credential::predicate::{HolderOpenings, Predicate, MAX_PREDICATES};
    use weft_did::credential::presentation::{self, PredicateRequest, PresentRequest};
    principal.require_any(&Role::SIGNERS)?;
    let ProveBody {
        presentation: vp,
        options,
    } = body.0;
    let Some(vp) = vp.as_object() else {
        return Err(ApiError::InvalidRequest(
            "presentation must be a JSON object".into(),
        ));
    };
    let challenge = prove_string(&options, "challenge")?.to_string();
    let domain = prove_string(&options, "domain")?.to_string();
    let key_id = match options.get("key_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => {
            return Err(ApiError::InvalidRequest(
                "options.key_id must be a string".into(),
            ))
        }
    };
    let requests: Vec<ProvePredicate> = match options.get("predicates") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_PREDICATES => items
            .iter()
            .map(|v| serde_json::from_value(v.clone()))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                ApiError::InvalidRequest(
                    "options.predicates entries are {credential, claim, predicate, openings}"
                        .into(),
                )
            })?,
        Some(_) => {
            return Err(ApiError::InvalidRequest(format!(
                "options.predicates must be an array of at most {MAX_PREDICATES} entries"
            )))
        }
    };
    let Some(holder) = vp.get("holder").and_then(Value::as_str) else {
        return Err(ApiError::InvalidRequest(
            "presentation.holder (a DID) is required".into(),
        ));
    };
    let credentials = match vp.get("verifiableCredential") {
        Some(v @ Value::Object(_)) => vec![v.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => items.clone(),
        _ => {
            return Err(ApiError::InvalidRequest(
                "presentation.verifiableCredential must hold credential objects".into(),
            ))
        }
    };
    let svc = state.credentials.clone();
    let address = match Did::parse(holder) {
        Ok(Did::Weft { chain_id, address }) if chain_id == svc.ledger.chain_id() => address,
        _ => {
            return Ok(unprocessable(format!(
                "holder {holder:?} is not a did:weft of this chain"
            )))
        }
    };
    let mut parsed = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let bad = |e: weft_did::credential::predicate::PredicateError| {
            ApiError::InvalidRequest(format!("options.predicates[{i}]: {e}"))
        };
        let predicate = Predicate::from_wire(&r.predicate).map_err(bad)?;
        let openings = HolderOpenings::from_wallet_string(&r.openings).map_err(bad)?;
        parsed.push((predicate, openings));
    }
    let (key, fragment, _) = custodied_key(
        &state,
        &principal,
        holder,
        address,
        key_id,
        Relationships::AUTHENTICATION,
    )
    .await?;
    let created = now();
    let request = PresentRequest {
        id: None,
        holder: holder.to_string(),
        credentials,
        challenge,
        domain,
        created,
        expires: created + time::Duration::minutes(5),
    };
    let method = format!("{holder}#{fragment}");
    // Proving is CPU-bound: off the async workers.
    let result = web::block(move || {
        let predicates: Vec<PredicateRequest<'_>> = requests
            .iter()
            .zip(&parsed)
            .map(|(r, (predicate, openings))| PredicateRequest {
                credential: r.credential,
                claim: &r.claim,
                predicate: *predicate,
                openings,
            })
            .collect();
        presentation::present_with_predicates(&request, &predicates, &method, &key)
    })
    .await
    .map_err(ApiError::internal)?;
    match result {
        Ok(vp) => Ok(HttpResponse::Created().json(json!({ "verifiablePresentation": vp }))),
        Err(VcError::Commitments(e)) => {
            Ok(ApiError::typed("predicate_invalid", e.to_string()).error_response())
        }
        Err(e) => Ok(vc_error(e)),
    }
}

/// `options.status` of an issuance: `true` or `"revocation"` (a revocation entry),
/// `"suspension"`; absent or `false`: none.
fn status_option(
    options: &Option<Map<String, Value>>,
) -> Result<Option<weft_did::status::StatusPurpose>, ApiError> {
    use weft_did::status::StatusPurpose;
    match options.as_ref().and_then(|o| o.get("status")) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Bool(true)) => Ok(Some(StatusPurpose::Revocation)),
        Some(Value::String(s)) => StatusPurpose::parse(s)
            .map(Some)
            .map_err(|e| ApiError::InvalidRequest(format!("options.status: {e}"))),
        Some(_) => Err(ApiError::InvalidRequest(
            "options.status is true, \"revocation\" or \"suspension\"".into(),
        )),
    }
}

async fn issuer_key(
    state: &ApiState,
    principal: &Principal,
    issuer: &str,
    address: weft_chain::Address,
    options: &Option<Map<String, Value>>,
) -> Result<(Arc<Keypair>, String, String), ApiError> {
    custodied_key(
        state,
        principal,
        issuer,
        address,
        opt_str(options, "key_id"),
        Relationships::ASSERTION_METHOD,
    )
    .await
}

/// A key the tenant custodies that is, now, a key of `did` with `relationship`: (key, fragment,
/// key id).
async fn custodied_key(
    state: &ApiState,
    principal: &Principal,
    issuer: &str,
    address: weft_chain::Address,
    key_id: Option<&str>,
    relationship: u8,
) -> Result<(Arc<Keypair>, String, String), ApiError> {
    let ledger = state.credentials.ledger.inner();
    let now_ms = u64::try_from(now().unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let version = ledger
        .did_version_at(&address, now_ms.max(state.node.head().timestamp_ms))
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound(format!("DID {issuer}")))?;
    let doc = ledger
        .did_version(&address, version)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound(format!("DID {issuer}")))?;
    let assertion = |pk: &PublicKey| {
        doc.state
            .keys
            .iter()
            .find(|k| k.public_key == *pk && k.relationships.has(relationship))
            .map(|k| k.fragment.clone())
    };
    if let Some(key_id) = key_id {
        crate::auth::validate_id("key_id", key_id)?;
        principal.may_use_key(key_id)?;
        let key = state
            .opened_keys
            .get(state, &principal.tenant, key_id)
            .await?;
        if let Some(fragment) = assertion(&key.public_key()) {
            return Ok((key, fragment, key_id.to_string()));
        }
    } else {
        for s in state.store.list_keys(&principal.tenant).await? {
            // The operator key is admin-only (F7): never picked for another role.
            if principal.may_use_key(&s.key_id).is_err() {
                continue;
            }
            let Ok(pk) = s.public_key.parse::<PublicKey>() else {
                continue;
            };
            if let Some(fragment) = assertion(&pk) {
                let key = state.keystore.open(&s).map_err(ApiError::internal)?;
                return Ok((Arc::new(key), fragment, s.key_id));
            }
        }
    }
    let what = if relationship == Relationships::AUTHENTICATION {
        "authentication"
    } else {
        "assertionMethod"
    };
    Err(ApiError::Forbidden(format!(
        "this tenant custodies no current {what} key of {issuer}"
    )))
}

fn verify_options(options: &Option<Map<String, Value>>) -> Result<VerifyOptions, ApiError> {
    let mut o = VerifyOptions::at(now());
    let Some(m) = options else { return Ok(o) };
    let flag = |name: &str, default: bool| -> Result<bool, ApiError> {
        match m.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ApiError::InvalidRequest(format!(
                "options.{name} must be a boolean"
            ))),
        }
    };
    o.check_status = flag("checkStatus", true)?;
    o.status_proof = flag("statusProof", false)?;
    o.check_evidence = flag("checkEvidence", false)?;
    match m.get("issuerType") {
        None => {}
        Some(Value::String(t)) => o.issuer_type = Some(t.clone()),
        Some(_) => {
            return Err(ApiError::InvalidRequest(
                "options.issuerType must be a string".into(),
            ))
        }
    }
    match m.get("trustedIssuers") {
        None => {}
        Some(Value::Array(items)) => {
            o.trusted_issuers = items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    ApiError::InvalidRequest("options.trustedIssuers must be strings".into())
                })?;
        }
        Some(_) => {
            return Err(ApiError::InvalidRequest(
                "options.trustedIssuers must be an array".into(),
            ))
        }
    }
    Ok(o)
}

/// The VCALM-shaped response members of a report.
fn report_members(report: &VerificationReport) -> Map<String, Value> {
    let mut checks = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut collect = |r: &VerificationReport, prefix: &str| {
        for c in &r.checks {
            let name = format!("{prefix}{}", c.name.as_str());
            if !c.passed {
                let reason = c.reason.clone().unwrap_or_else(|| "failed".into());
                errors.push(json!({
                    "type": format!("urn:weft:verification:{reason}"),
                    "title": format!("check {name} failed"),
                    "code": reason,
                    "check": name,
                    "detail": c.detail,
                }));
            } else if let Some(reason) = &c.reason {
                warnings.push(json!({
                    "type": format!("urn:weft:verification:{reason}"),
                    "title": format!("check {name} not run"),
                    "code": reason,
                    "check": name,
                }));
            } else {
                checks.push(Value::from(name));
            }
        }
    };
    collect(report, "");
    for (i, r) in report.credentials.iter().enumerate() {
        collect(r, &format!("verifiableCredential[{i}]."));
    }
    let mut m = Map::new();
    m.insert("verified".into(), report.verified.into());
    m.insert("checks".into(), checks.into());
    m.insert("warnings".into(), warnings.into());
    m.insert("errors".into(), errors.into());
    m.insert(
        "report".into(),
        serde_json::to_value(report).unwrap_or(Value::Null),
    );
    m
}

fn report_response(report: &VerificationReport) -> HttpResponse {
    let members = report_members(report);
    if report.verified {
        HttpResponse::Ok().json(Value::Object(members))
    } else {
        let failed: Vec<&str> = report.failures();
        ApiError::typed(
            "verification_failed",
            format!("failed checks: {}", failed.join(", ")),
        )
        .with_extra(members)
        .error_response()
    }
}

/// Verifies a credential; every check is reported.
#[utoipa::path(
    post,
    path = "/credentials/verify",
    tag = "credentials",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "verified: `{verified, checks, warnings, errors, report}`"),
        (status = 400, description = "malformed body", body = crate::problem::Problem),
        (status = 422, description = "`verification_failed` with the same members", body = crate::problem::Problem),
    )
)]
pub async fn verify(
    state: web::Data<ApiState>,
    body: ApiJson<VerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let VerifyBody {
        verifiable_credential,
        options,
    } = body.0;
    if !verifiable_credential.is_object() {
        return Err(ApiError::InvalidRequest(
            "verifiableCredential must be a JSON object".into(),
        ));
    }
    let opts = verify_options(&options)?;
    let evidence = if opts.check_evidence {
        // The inclusion proof this server stored, checked against the batch root on chain.
        Some(
            weft_service::credentials::evidence::evidence_outcome(&state, &verifiable_credential)
                .await?,
        )
    } else {
        None
    };
    let svc = state.credentials.clone();
    let report = web::block(move || {
        let ledger = WithEvidence {
            inner: &svc.ledger,
            evidence,
        };
        verify_credential(&verifiable_credential, &ledger, &opts)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(report_response(&report))
}

/// Verifies a presentation against a server-issued challenge (consumed on first use).
#[utoipa::path(
    post,
    path = "/presentations/verify",
    tag = "credentials",
    request_body = VerifyPresentationBody,
    responses(
        (status = 200, description = "verified: `{verified, checks, warnings, errors, report}`"),
        (status = 400, description = "malformed body or no challenge", body = crate::problem::Problem),
        (status = 422, description = "`verification_failed` with the same members", body = crate::problem::Problem),
    )
)]
pub async fn verify_vp(
    state: web::Data<ApiState>,
    body: ApiJson<VerifyPresentationBody>,
) -> Result<HttpResponse, ApiError> {
    let VerifyPresentationBody {
        verifiable_presentation,
        options,
    } = body.0;
    if !verifiable_presentation.is_object() {
        return Err(ApiError::InvalidRequest(
            "verifiablePresentation must be a JSON object".into(),
        ));
    }
    let challenge = options
        .get("challenge")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .ok_or_else(|| {
            ApiError::InvalidRequest("options.challenge (from POST /challenges) is required".into())
        })?
        .to_string();
    let domain = match options.get("domain") {
        None => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(_) => {
            return Err(ApiError::InvalidRequest(
                "options.domain must be a string".into(),
            ))
        }
    };
    let requested = requested_predicates(&options)?;
    let report = check_presentation(
        &state,
        verifiable_presentation,
        challenge,
        domain,
        options,
        requested,
    )
    .await?;
    Ok(report_response(&report))
}

/// `options.predicates` of a verification: `[{claim, predicate}]` the presentation must prove.
fn requested_predicates(options: &Map<String, Value>) -> Result<Vec<RequestedPredicate>, ApiError> {
    use weft_did::credential::predicate::{Predicate, MAX_PREDICATES};
    let bad = || {
        ApiError::InvalidRequest(format!(
            "options.predicates must be at most {MAX_PREDICATES} {{claim, predicate}} objects"
        ))
    };
    match options.get("predicates") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_PREDICATES => items
            .iter()
            .map(|item| {
                let claim = item.get("claim").and_then(Value::as_str).ok_or_else(bad)?;
                let predicate = Predicate::from_wire(item.get("predicate").unwrap_or(&Value::Null))
                    .map_err(|e| ApiError::InvalidRequest(format!("options.predicates: {e}")))?;
                Ok(RequestedPredicate {
                    claim: claim.to_string(),
                    predicate,
                })
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// Verifies `vp` against this server's one-time `challenge` (consumed here) and `domain`.
async fn check_presentation(
    state: &ApiState,
    verifiable_presentation: Value,
    challenge: String,
    domain: Option<String>,
    options: Map<String, Value>,
    requested: Vec<RequestedPredicate>,
) -> Result<VerificationReport, ApiError> {
    let opts = verify_options(&Some(options))?;
    let svc = state.credentials.clone();
    let used = svc.use_challenge(&challenge).await?;
    let expected = PresentationExpectations {
        challenge,
        domain,
        max_age: time::Duration::minutes(5),
    };
    let mut report = web::block(move || {
        verify_presentation_requiring(
            &verifiable_presentation,
            &svc.ledger,
            &opts,
            &expected,
            &requested,
        )
    })
    .await
    .map_err(ApiError::internal)?;
    match used {
        ChallengeUse::Fresh => {}
        ChallengeUse::Replayed => report.fail_check(
            CheckName::Challenge,
            "challenge_replayed",
            "this challenge was already used",
        ),
        ChallengeUse::Unknown => report.fail_check(
            CheckName::Challenge,
            "challenge_mismatch",
            "the challenge was not issued here or has expired",
        ),
    }
    Ok(report)
}

/// A wallet's answer to a presentation request shown as a QR code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnswerBody {
    /// The holder's presentation: its proof must carry the request's challenge and domain.
    #[schema(value_type = Object)]
    pub verifiable_presentation: Value,
    /// The request's domain (the verifier's host), as the wallet read it from the request.
    pub domain: Option<String>,
}

/// A wallet answers a presentation request (`response_url` of the request QR code). The
/// presentation is verified at once against the request's one-time challenge; the verifier
/// page collects the report with `GET`.
#[utoipa::path(
    post,
    path = "/presentation-responses/{challenge}",
    tag = "credentials",
    params(("challenge" = String, Path, description = "The request's challenge")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "verified: `{verified, checks, warnings, errors, report}`"),
        (status = 400, description = "malformed body", body = crate::problem::Problem),
        (status = 422, description = "`verification_failed` with the same members", body = crate::problem::Problem),
    )
)]
pub async fn answer_request(
    state: web::Data<ApiState>,
    path: web::Path<String>,
    body: ApiJson<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    let challenge = path.into_inner();
    if challenge.is_empty() || challenge.len() > 256 {
        return Err(ApiError::InvalidRequest("bad challenge".into()));
    }
    let AnswerBody {
        verifiable_presentation,
        domain,
    } = body.0;
    if !verifiable_presentation.is_object() {
        return Err(ApiError::InvalidRequest(
            "verifiablePresentation must be a JSON object".into(),
        ));
    }
    let holder = verifiable_presentation
        .get("holder")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let report = check_presentation(
        &state,
        verifiable_presentation,
        challenge.clone(),
        domain,
        Map::new(),
        Vec::new(),
    )
    .await?;
    let answer = json!({ "holder": holder, "report": report });
    if report.verified || report.check(CheckName::Challenge).is_some_and(|c| c.passed) {
        // Only an answer to a live challenge of this server is kept for the page.
        if !state.credentials.record_answer(&challenge, &answer).await? {
            return Err(ApiError::Unavailable("too many pending answers".into()));
        }
    }
    Ok(report_response(&report))
}

/// The verifier page collects the wallet's answer: 404 until it arrives.
#[utoipa::path(
    get,
    path = "/presentation-responses/{challenge}",
    tag = "credentials",
    params(("challenge" = String, Path, description = "The request's challenge")),
    responses(
        (status = 200, description = "`{holder, report}`"),
        (status = 404, description = "no answer yet", body = crate::problem::Problem),
    )
)]
pub async fn collect_answer(
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .credentials
        .answer(&path)
        .await?
        .map(|a| HttpResponse::Ok().json(a))
        .ok_or_else(|| ApiError::NotFound("no answer to this request yet".into()))
}

/// Issues a one-time presentation challenge.
#[utoipa::path(
    post,
    path = "/challenges",
    tag = "credentials",
    responses(
        (status = 201, description = "`{challenge, expires}`"),
        (status = 503, description = "too many outstanding challenges", body = crate::problem::Problem),
    )
)]
pub async fn challenge(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let (challenge, ttl) = state
        .credentials
        .new_challenge()
        .await?
        .ok_or_else(|| ApiError::Unavailable("too many outstanding challenges".into()))?;
    let expires = now() + time::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(300));
    Ok(HttpResponse::Created().json(json!({
        "challenge": challenge,
        "expires": vc::format_datetime(expires),
    })))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/credentials/issue").route(web::post().to(issue)))
        .service(resource("/credentials/verify").route(web::post().to(verify)))
        .service(resource("/presentations/verify").route(web::post().to(verify_vp)))
        .service(resource("/presentations/prove").route(web::post().to(prove)))
        .service(resource("/challenges").route(web::post().to(challenge)))
        .service(
            resource("/presentation-responses/{challenge}")
                .route(web::post().to(answer_request))
                .route(web::get().to(collect_answer)),
        );
}

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    routes(cfg);
}

/// Routes at the root (VCALM paths). Single resources, not scopes, so that other credential
/// endpoints (status lists, evidence) can be registered under `/credentials/...` beside them.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    let observed = |path: &str| resource(path).wrap(from_fn(crate::metrics::observe));
    cfg.service(observed("/credentials/issue").route(web::post().to(issue)))
        .service(observed("/credentials/verify").route(web::post().to(verify)))
        .service(observed("/presentations/verify").route(web::post().to(verify_vp)))
        .service(observed("/presentations/prove").route(web::post().to(prove)))
        .service(observed("/challenges").route(web::post().to(challenge)))
        .service(
            observed("/presentation-responses/{challenge}")
                .route(web::post().to(answer_request))
                .route(web::get().to(collect_answer)),
        );
}

/// This part's OpenAPI paths.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(issue, verify, verify_vp, prove, challenge, answer_request, collect_answer),
    components(schemas(AnswerBody, ProveBody)),
    tags((name = "credentials", description = "Verifiable credentials: issue, verify, presentations (VCALM), status lists, evidence, QR envelopes, SD-JWT, predicate proofs"))
)]
pub struct Doc;

//! Verifiable credentials over HTTP, shaped after the W3C VC API (VCALM), at the root and under
//! `/api/v1`:
//!
//! - `POST /credentials/issue` (token with a signer role): `{credential, options}` → 201
//!   `{verifiableCredential}`, parsed and validated by
//!   `weft_did::credential::request::IssueCredentialRequest` and issued by
//!   `weft_service::credentials::issue::issue_credential`. VC 2.0 (VC 1.1 input is mapped); the
//!   `issuer` is either a `did:key` that the caller's tenant custodies (`options.keyId` /
//!   `key_id` names the key, or the tenant's keys are searched) or a `did:weft` of this chain
//!   for which the tenant custodies a current `assertionMethod` key. A CPT pin
//!   (`credentialSchema.id` = `urn:weft:cpt:<id>:<version>`) is optional; with one the claims are
//!   validated against the CPT, and predicate claims (`x-weft-predicate`) are committed in
//!   `credentialSubject["weft:commitments"]` instead of given in plain, the response adding
//!   `holderOpenings` (`weft-openings-v1.…`, the holder's secret).
//! - `POST /presentations/prove` (token with a signer role; VCALM holder service):
//!   `{presentation: {holder, verifiableCredential}, options: {challenge, domain, key_id?,
//!   predicates?: [{credential, claim, predicate, openings}]}}` → 201 `{verifiablePresentation}`
//!   signed by a custodied current `authentication` key of the holder (a `did:weft` of this
//!   chain), with a `weft:predicates` proof for each requested predicate.
//! - `POST /credentials/verify`: `{verifiableCredential, options}` (parsed by
//!   `weft_did::credential::request::VerifyCredentialRequest`) → 200 with the report when
//!   verified, else 422 problem+json `verification_failed` carrying the same report members.
//!   `options.checks` (VC API) selects the checks (`proof` always runs); without it, the default
//!   policy of `weft_did::credential::policy` applies (proof, validity, status when present;
//!   issuer standing and CPT schema for `did:weft` issuers of this chain and CPT-pinned
//!   credentials). `trustedIssuers` entries are DIDs, or `{id, verificationMethods}` binding a
//!   URL issuer to the keys that may sign for it.
//! - `POST /presentations/verify`: `{verifiablePresentation, options: {challenge, domain,
//!   predicates?: [{claim, predicate}]}}`; the challenge must have been issued by
//!   `POST /challenges` and is consumed by its first use; each listed predicate must be proven
//!   (check `predicates`).
//! - `POST /challenges`: a one-time challenge valid for [`weft_service::credentials::CHALLENGE_TTL`].
//!
//! Response of the verify endpoints: `verified`, `checks` (names of the passed checks),
//! `warnings` (checks not run), `errors` (one problem-like object per failed check, `code` =
//! the machine reason), and `report` (every check with pass/fail and reason). Unknown options are
//! ignored. A body that is not JSON or lacks the document is 400 (`malformed_json`;
//! `invalid_request` for an out-of-range option or a document that is not an object); an
//! issuance the request rules refuse (claims vs CPT, unknown CPT, foreign issuer, malformed
//! credential) is 422 `invalid_credential`. Both carry a `reason` member with the stable code of
//! `RequestError::code` (`unsupported_issuer`, `claims_invalid`, `missing_base_context`, ...).

pub mod evidence;
pub mod status;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};
use weft_did::credential::request::{IssueCredentialRequest, VerifyCredentialRequest};
use weft_did::credential::vc::{self, VcError};
use weft_did::credential::verify::{
    verify_presentation_requiring, CheckName, CredentialLedger, PresentationExpectations,
    RequestedPredicate, VerificationReport,
};
use weft_did::{Did, Relationships};
use weft_service::credentials::{issue, ChallengeUse};
use weft_service::ServiceError;

use super::{resource, ApiState};
use crate::auth::{Principal, Role};
use crate::problem::{ApiBody, ApiError, ApiJson};

/// `POST /credentials/issue` body (the OpenAPI view of
/// `weft_did::credential::request::IssueCredentialRequest`, which parses it).
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueBody {
    /// The credential to issue, without proof: VC 2.0 (or VC 1.1, mapped to 2.0). `issuer` is a
    /// `did:key` the tenant custodies or a `did:weft` of this chain; `credentialSchema` with a
    /// `urn:weft:cpt:<id>:<version>` id pins a CPT (optional).
    #[schema(value_type = Object)]
    pub credential: Value,
    /// Options (unknown members are ignored).
    #[serde(default)]
    pub options: Option<IssueOptionsDoc>,
}

/// `options` of `POST /credentials/issue`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueOptionsDoc {
    /// Which custodied key signs (also accepted as `key_id`); 1..=64 of `[A-Za-z0-9._-]`.
    #[schema(max_length = 64)]
    pub key_id: Option<String>,
    /// Allocate a status entry: `true` / `"revocation"`, `"suspension"` (did:weft issuers only).
    #[schema(value_type = Object)]
    pub status: Option<Value>,
    /// Anchor the credential's hash as evidence.
    pub evidence: Option<bool>,
}

/// `POST /credentials/verify` body (the OpenAPI view of
/// `weft_did::credential::request::VerifyCredentialRequest`, which parses it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyBody {
    /// The secured credential (a JSON object).
    #[schema(value_type = Object)]
    pub verifiable_credential: Value,
    /// Options (unknown members are ignored; a known one of the wrong type is 400).
    #[serde(default)]
    pub options: Option<VerifyOptionsDoc>,
}

/// `options` of `POST /credentials/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyOptionsDoc {
    /// VC API checks to run: `proof` (always runs), `expiration`, `status`, `schema`,
    /// `issuer-standing`, `evidence` (aliases `validity`, `credentialStatus`,
    /// `credentialSchema`, `issuer`); at most 16; an unknown name is 400. Without it, the default
    /// policy.
    #[schema(max_items = 16)]
    pub checks: Option<Vec<String>>,
    /// Check status (default true; when `checks` is absent).
    pub check_status: Option<bool>,
    /// Read status bits through a state proof against a certified header (default false).
    pub status_proof: Option<bool>,
    /// Check evidence anchoring (default false).
    pub check_evidence: Option<bool>,
    /// Accept members of this issuer type instead of authority issuers (1..=128 bytes).
    #[schema(max_length = 128)]
    pub issuer_type: Option<String>,
    /// At most 64 issuers trusted regardless of on-chain standing: a DID or URL, or
    /// `{"id": "https://…", "verificationMethods": ["did:key:…#…"]}` binding a URL issuer to the
    /// keys that may sign for it (a URL issuer without a binding for the signing key fails).
    #[schema(value_type = Vec<Object>, max_items = 64)]
    pub trusted_issuers: Option<Vec<Value>>,
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

/// The server's clock.
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Issues a credential (VC API): `did:key` or `did:weft` issuer, CPT pin optional.
#[utoipa::path(
    post,
    path = "/credentials/issue",
    tag = "credentials",
    request_body = IssueBody,
    responses(
        (status = 201, description = "`{verifiableCredential}` (and `holderOpenings` for committed predicate claims, `evidence` when asked)"),
        (status = 400, description = "`malformed_json` (not the request's shape) or `invalid_request` (credential not an object, option out of range); `reason` names the rule", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "no or invalid token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "the tenant custodies no (assertion) key of the issuer", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`options.keyId` names no key of the tenant, or the did:weft issuer does not exist", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "body too large", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_credential`: `reason` is `unsupported_issuer`, `missing_issuer`, `already_signed`, `claims_invalid`, `schema_not_found`, `schema_mismatch`, `status_twice`, `status_unsupported`, or a data-model rule (`missing_base_context`, `bad_date`, ...)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn issue(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    let request =
        IssueCredentialRequest::from_json(&body.0).map_err(ServiceError::CredentialRequest)?;
    let issued = issue::issue_credential(&state.ctx, &principal, &request).await?;
    let mut body = json!({ "verifiableCredential": issued.credential });
    if let Some(openings) = issued.holder_openings {
        // The holder's secret: returned once, never logged or stored here.
        body["holderOpenings"] = Value::String(openings);
    }
    if let Some(receipt) = issued.evidence {
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
    let (key, fragment, _) = issue::custodied_key(
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

/// Verifies a credential (VC API); every check is reported.
#[utoipa::path(
    post,
    path = "/credentials/verify",
    tag = "credentials",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "verified: `{verified, checks, warnings, errors, report}`; `report.checks` names every check with `passed` and, when it failed or did not run, `reason`"),
        (status = 400, description = "`malformed_json` (not the request's shape, unknown check name) or `invalid_request` (credential not an object, option out of range)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "body too large", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`verification_failed` with the same members", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify(state: web::Data<ApiState>, body: ApiBody) -> Result<HttpResponse, ApiError> {
    let request =
        VerifyCredentialRequest::from_json(&body.0).map_err(ServiceError::CredentialRequest)?;
    let report = issue::verify_credential_request(&state, request).await?;
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
    let opts = issue::verify_options_of(&options)?;
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
    components(schemas(AnswerBody, ProveBody, IssueBody, IssueOptionsDoc, VerifyBody, VerifyOptionsDoc)),
    tags((name = "credentials", description = "Verifiable credentials: issue, verify, presentations (VCALM), status lists, evidence, QR envelopes, SD-JWT, predicate proofs"))
)]
pub struct Doc;

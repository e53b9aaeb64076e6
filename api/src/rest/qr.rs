//! QR envelopes, SD-JWT and predicate proofs over HTTP.
//!
//! - `POST /api/v1/qr/encode?format=png|svg|text`: a [`Payload`] (JSON) → QR image (the envelope
//!   text is also in the `X-Weft-Envelope` header). Over 600 bytes: 422 `envelope_too_large`
//!   (store it with `/qr/refs` and encode the reference).
//! - `POST /api/v1/qr/decode`: an image body (≤ 4 MiB) → `{envelope, payload}`. 400
//!   `qr_not_an_image`, 413 `qr_image_too_large`, 422 `qr_no_code` / `qr_multiple_codes` /
//!   `qr_unreadable` / `envelope_invalid`.
//! - `POST /api/v1/qr/refs`: stores a payload under a one-time token (128-bit, OS CSPRNG) for at
//!   most 10 minutes; answers the `GET /q/{token}` URL and the envelope of the reference.
//!   `GET /q/{token}` returns the payload once; then 404; after expiry 410 `ref_expired` (404
//!   once the periodic purge has removed it). References are rows of the API store
//!   ([`RefStore`], a field of [`ApiState`]), so a restart loses none; the fetch deletes the row
//!   in the statement that reads it, and expired rows are purged within a minute, so no payload
//!   stays on disk much beyond its token's life.
//! - `POST /api/v1/sd-jwt/issue` (tenant key signs), `/sd-jwt/present` (tenant key is the
//!   holder key), `/sd-jwt/verify` (issuer `kid`: a `did:key` verification method, or a method
//!   of a `did:weft` of this chain that equals `iss` and held `assertionMethod` in the document
//!   version in force at the JWT's `iat`, resolved through the chain's DID registry).
//! - `POST /api/v1/predicates/verify`: checks a predicate proof against a commitment.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::StreamExt;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, OpenApi, ToSchema};
use weft_chain::{Keypair, PublicKey};
use weft_did::credential::did_key_verification_method;
use weft_did::credential::predicate::{self, Predicate, PredicateProof};
use weft_did::credential::sd_jwt::{self, IssueOptions, VerifyOptions};
use weft_did::credential::verify::{assertion_key_at, CredentialLedger};
use weft_did::qr::{self, EnvelopeError, Payload, QrError};
use weft_did::Did;

use super::{resource, ApiState};
use crate::auth::{validate_id, Principal, Role};
use crate::problem::{ApiError, ApiJson, Problem};

/// Longest lifetime of a by-reference token, in seconds.
pub const MAX_REF_TTL: u64 = 600;
/// Most references kept at once.
pub const MAX_REFS: usize = 10_000;

fn envelope_error(e: EnvelopeError) -> ApiError {
    match e {
        EnvelopeError::TooLargeUseReference(_) => ApiError::typed("envelope_too_large", e),
        other => ApiError::typed("envelope_invalid", other),
    }
}

fn qr_error(e: QrError) -> ApiError {
    match e {
        QrError::NotAnImage => ApiError::typed("qr_not_an_image", e),
        QrError::ImageTooLarge => ApiError::typed("qr_image_too_large", e),
        QrError::NoCode => ApiError::typed("qr_no_code", e),
        QrError::MultipleCodes(_) => ApiError::typed("qr_multiple_codes", e),
        QrError::Unreadable(_) => ApiError::typed("qr_unreadable", e),
        QrError::Render(_) => ApiError::typed("qr_render", e),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn tenant_key(
    state: &ApiState,
    principal: &Principal,
    key_id: &str,
) -> Result<Keypair, ApiError> {
    principal.require_any(&Role::SIGNERS)?;
    validate_id("key_id", key_id)?;
    principal.may_use_key(key_id)?;
    let sealed = state
        .store
        .key(&principal.tenant, key_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no key {key_id:?} for this tenant")))?;
    state.keystore.open(&sealed).map_err(ApiError::internal)
}

// ---------------------------------------------------------------------------------------------
// QR

/// `?format=` of `/qr/encode`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EncodeQuery {
    /// `png` (default), `svg` or `text` (JSON with the envelope only).
    pub format: Option<String>,
}

/// The JSON form of an envelope payload (documentation only; the server parses
/// [`Payload`]).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PayloadDoc {
    /// `vc` (credential), `vp` (presentation), `sd` (SD-JWT presentation text), `ref`
    /// (`{url, expires}`) or `req` (presentation request).
    pub t: String,
    /// The content.
    #[schema(value_type = Object)]
    pub c: Value,
}

/// Envelope text and its decoded payload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Decoded {
    /// The `WEFT1:` text.
    pub envelope: String,
    /// The payload (`{"t": ..., "c": ...}`).
    #[schema(value_type = Object)]
    pub payload: Payload,
}

/// Encodes a payload as a QR image.
#[utoipa::path(post, path = "/api/v1/qr/encode", tag = "credentials", security(("bearer" = [])),
    params(EncodeQuery),
    request_body = PayloadDoc,
    responses(
        (status = 200, description = "image/png, image/svg+xml, or JSON {envelope} for format=text"),
        (status = 400, description = "Bad payload or format", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "envelope_too_large: use /api/v1/qr/refs", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn encode(
    _principal: Principal,
    query: web::Query<EncodeQuery>,
    body: ApiJson<Payload>,
) -> Result<HttpResponse, ApiError> {
    let text = qr::encode_envelope(&body.0).map_err(envelope_error)?;
    match query.format.as_deref().unwrap_or("png") {
        "png" => Ok(HttpResponse::Ok()
            .content_type("image/png")
            .insert_header(("X-Weft-Envelope", text.clone()))
            .body(qr::render_png(&text).map_err(qr_error)?)),
        "svg" => Ok(HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header(("X-Weft-Envelope", text.clone()))
            .body(qr::render_svg(&text).map_err(qr_error)?)),
        "text" => Ok(HttpResponse::Ok().json(serde_json::json!({ "envelope": text }))),
        other => Err(ApiError::InvalidRequest(format!(
            "unknown format {other:?}"
        ))),
    }
}

/// Reads the QR code of an uploaded image and decodes its envelope.
#[utoipa::path(post, path = "/api/v1/qr/decode", tag = "credentials", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "image/png", description = "The image: PNG, JPEG, WebP or GIF (at most 4 MiB)"),
    responses(
        (status = 200, description = "Decoded", body = Decoded),
        (status = 400, description = "qr_not_an_image", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "qr_image_too_large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "qr_no_code, qr_multiple_codes, qr_unreadable, envelope_invalid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decode(
    _principal: Principal,
    mut payload: web::Payload,
) -> Result<web::Json<Decoded>, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
        if body.len() + chunk.len() > qr::MAX_IMAGE_BYTES {
            return Err(qr_error(QrError::ImageTooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    let bytes = body.freeze();
    let text = web::block(move || qr::decode_qr_image(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(qr_error)?;
    let payload = qr::decode_envelope(&text).map_err(envelope_error)?;
    Ok(web::Json(Decoded {
        envelope: text,
        payload,
    }))
}

/// Envelope text to decode (what a QR code reads as).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnvelopeText {
    /// The `WEFT1:` text.
    pub envelope: String,
}

/// Decodes envelope text (a scanned or pasted `WEFT1:` string) into its payload.
#[utoipa::path(post, path = "/api/v1/qr/decode-text", tag = "credentials", security(("bearer" = [])),
    request_body = EnvelopeText,
    responses(
        (status = 200, description = "Decoded", body = Decoded),
        (status = 400, description = "Bad body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "envelope_invalid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decode_text(
    _principal: Principal,
    body: ApiJson<EnvelopeText>,
) -> Result<web::Json<Decoded>, ApiError> {
    let text = body.0.envelope;
    let payload = qr::decode_envelope(&text).map_err(envelope_error)?;
    Ok(web::Json(Decoded {
        envelope: text,
        payload,
    }))
}

/// The one-time references of an API state (a field of [`ApiState`]): rows of the API store's
/// `qr_refs` table, so a reference survives a restart of the API and any node sharing the store
/// (PostgreSQL) can serve it. Fetching deletes the row in the same statement that reads it.
#[derive(Debug, Clone)]
pub struct RefStore {
    store: weft_service::store::Store,
}

impl RefStore {
    /// References kept in `store`.
    pub fn new(store: weft_service::store::Store) -> Self {
        RefStore { store }
    }

    /// Stores `payload` under `token` until `expires` (seconds since the epoch). `false` when
    /// [`MAX_REFS`] references are live.
    pub async fn put(
        &self,
        token: &str,
        payload: &Payload,
        expires: i64,
    ) -> Result<bool, ApiError> {
        let text = serde_json::to_string(payload).map_err(ApiError::internal)?;
        Ok(self
            .store
            .insert_ref(
                token,
                &text,
                expires.saturating_mul(1000),
                MAX_REFS,
                weft_service::store::now_ms(),
            )
            .await?)
    }

    /// Takes the payload of `token` out of the store (at most once) with its expiry (seconds).
    pub async fn take(&self, token: &str) -> Result<Option<(Payload, i64)>, ApiError> {
        let Some((text, expires_ms)) = self.store.take_ref(token).await? else {
            return Ok(None);
        };
        let payload = serde_json::from_str(&text).map_err(ApiError::internal)?;
        Ok(Some((payload, expires_ms / 1000)))
    }
}

/// A reference to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRef {
    /// The payload to serve once.
    #[schema(value_type = Object)]
    pub payload: Payload,
    /// Lifetime in seconds (default and maximum 600).
    pub ttl_secs: Option<u64>,
}

/// A created reference.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedRef {
    /// The one-time token.
    pub token: String,
    /// The URL to fetch the payload from (`/q/{token}` on this server).
    pub url: String,
    /// Expiry (seconds since the epoch).
    pub expires: i64,
    /// The `WEFT1:` envelope of the reference, to show as a QR code.
    pub envelope: String,
}

/// Stores a payload behind a one-time, expiring token.
#[utoipa::path(post, path = "/api/v1/qr/refs", tag = "credentials", security(("bearer" = [])),
    request_body = CreateRef,
    responses(
        (status = 201, description = "Created", body = CreatedRef),
        (status = 400, description = "Bad request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many live references", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_ref(
    state: web::Data<ApiState>,
    req: HttpRequest,
    _principal: Principal,
    body: ApiJson<CreateRef>,
) -> Result<HttpResponse, ApiError> {
    let CreateRef { payload, ttl_secs } = body.0;
    let ttl = ttl_secs.unwrap_or(MAX_REF_TTL);
    if ttl == 0 || ttl > MAX_REF_TTL {
        return Err(ApiError::InvalidRequest(format!(
            "ttl_secs must be 1..={MAX_REF_TTL}"
        )));
    }
    if matches!(payload, Payload::Reference { .. }) {
        return Err(ApiError::InvalidRequest(
            "a reference to a reference".into(),
        ));
    }
    let mut raw = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let now = now();
    let expires = now + ttl as i64;
    if !state.qr_refs.put(&token, &payload, expires).await? {
        return Err(ApiError::Unavailable("too many live references".into()));
    }
    let info = req.connection_info();
    let url = format!("{}://{}/q/{token}", info.scheme(), info.host());
    let envelope = qr::encode_envelope(&Payload::Reference {
        url: url.clone(),
        expires,
    })
    .map_err(envelope_error)?;
    Ok(HttpResponse::Created().json(CreatedRef {
        token,
        url,
        expires,
        envelope,
    }))
}

/// Returns a stored payload once.
#[utoipa::path(get, path = "/q/{token}", tag = "credentials",
    params(("token" = String, Path, description = "One-time token")),
    responses(
        (status = 200, description = "The payload ({\"t\": ..., \"c\": ...})"),
        (status = 404, description = "Unknown or already used", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "ref_expired", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn fetch_ref(
    state: web::Data<ApiState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if token.is_empty() || token.len() > 64 {
        return Err(ApiError::NotFound(
            "unknown or already used reference".into(),
        ));
    }
    let (payload, expires) = state
        .qr_refs
        .take(token.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound("unknown or already used reference".into()))?;
    if expires <= now() {
        return Err(ApiError::typed("ref_expired", "the reference has expired"));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(payload))
}

// ---------------------------------------------------------------------------------------------
// SD-JWT

/// Issue an SD-JWT with one of the tenant's keys.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueSdJwt {
    /// The tenant key that signs.
    pub key_id: String,
    /// `iss`: the issuer DID.
    pub issuer: String,
    /// `kid`: the DID URL of the signing key.
    pub kid: String,
    /// The claims.
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    /// Paths of the selectively disclosable claims (`name`, `address/street`, `list/0`).
    #[serde(default)]
    pub disclosable: Vec<String>,
    /// The holder's key: a `did:key` or an Ed25519 multibase key (`z6Mk…`).
    pub holder: String,
    /// `vct`.
    pub vct: Option<String>,
    /// Lifetime in seconds (`exp = iat + ttl`).
    pub ttl_secs: Option<u64>,
    /// Decoy digests per `_sd` array (default 0, at most 16).
    #[serde(default)]
    pub decoys: usize,
}

/// An issued SD-JWT or a presentation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SdJwtText {
    /// `<JWT>~<disclosures>~[<KB-JWT>]`.
    pub sd_jwt: String,
}

fn sd_error(e: sd_jwt::SdJwtError) -> ApiError {
    ApiError::typed("sd_jwt_invalid", e)
}

fn holder_key(text: &str) -> Result<PublicKey, ApiError> {
    let parsed = if text.starts_with("did:") {
        match Did::parse(text) {
            Ok(Did::Key(k)) => Ok(k),
            _ => Err("holder must be a did:key".to_string()),
        }
    } else {
        weft_did::multikey::decode(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| ApiError::InvalidRequest(format!("holder: {e}")))
}

/// Issues an SD-JWT signed by a tenant key.
#[utoipa::path(post, path = "/api/v1/sd-jwt/issue", tag = "credentials", security(("bearer" = [])),
    request_body = IssueSdJwt,
    responses(
        (status = 200, description = "Issued", body = SdJwtText),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "sd_jwt_invalid (unknown path, reserved claim)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sd_issue(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<IssueSdJwt>,
) -> Result<web::Json<SdJwtText>, ApiError> {
    let b = body.0;
    let key = tenant_key(&state, &principal, &b.key_id).await?;
    let holder = holder_key(&b.holder)?;
    let iat = now();
    let paths: Vec<&str> = b.disclosable.iter().map(String::as_str).collect();
    let sd = sd_jwt::issue(
        &b.claims,
        &paths,
        &key,
        &IssueOptions {
            issuer: &b.issuer,
            kid: &b.kid,
            vct: b.vct.as_deref(),
            holder_key: &holder,
            iat,
            exp: b
                .ttl_secs
                .map(|t| iat.saturating_add(t.min(i64::MAX as u64) as i64)),
            decoys: b.decoys,
        },
    )
    .map_err(sd_error)?;
    Ok(web::Json(SdJwtText { sd_jwt: sd }))
}

/// Present an SD-JWT with a tenant key as the holder key.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PresentSdJwt {
    /// The tenant key bound in `cnf.jwk`.
    pub key_id: String,
    /// The issued SD-JWT.
    pub sd_jwt: String,
    /// Claim paths to disclose.
    #[serde(default)]
    pub disclose: Vec<String>,
    /// The verifier's nonce.
    pub nonce: String,
    /// The verifier (audience).
    pub aud: String,
}

/// Builds a key-bound presentation.
#[utoipa::path(post, path = "/api/v1/sd-jwt/present", tag = "credentials", security(("bearer" = [])),
    request_body = PresentSdJwt,
    responses(
        (status = 200, description = "The presentation", body = SdJwtText),
        (status = 422, description = "sd_jwt_invalid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sd_present(
    state: web::Data<ApiState>,
    principal: Principal,
    body: ApiJson<PresentSdJwt>,
) -> Result<web::Json<SdJwtText>, ApiError> {
    let b = body.0;
    let key = tenant_key(&state, &principal, &b.key_id).await?;
    let paths: Vec<&str> = b.disclose.iter().map(String::as_str).collect();
    let p = sd_jwt::present(&b.sd_jwt, &paths, &key, &b.nonce, &b.aud, now()).map_err(sd_error)?;
    Ok(web::Json(SdJwtText { sd_jwt: p }))
}

/// Verify a presentation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifySdJwt {
    /// `<JWT>~<disclosures>~<KB-JWT>`.
    pub presentation: String,
    /// The expected nonce.
    pub nonce: String,
    /// The expected audience.
    pub aud: String,
    /// Oldest accepted key binding, in seconds (default 300).
    pub max_kb_age_secs: Option<i64>,
}

/// The disclosed claims of a verified presentation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifiedSdJwt {
    /// The issuer's key id.
    pub kid: String,
    /// The processed claims.
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
}

/// Leeway for an SD-JWT's issuer `iat` ahead of this server's clock (seconds).
const SD_IAT_LEEWAY: i64 = 30;

/// The issuer key of an SD-JWT whose header names `kid`: a `did:key` method directly; a
/// `did:weft` method (of this chain) must belong to the DID in `iss` and have been an
/// `assertionMethod` key in the version in force at (the end of the second) `iat` (a key
/// rotated out before `iat` is refused). `iss` and `iat` are read unverified; the signature
/// check that follows with the returned key authenticates them.
fn sd_issuer_key(
    ledger: &impl CredentialLedger,
    kid: &str,
    iss: Option<&str>,
    iat: Option<i64>,
    now: i64,
) -> Result<PublicKey, String> {
    let did = kid.split_once('#').map_or(kid, |(d, _)| d);
    match Did::parse(did) {
        Ok(Did::Key(_)) => did_key_verification_method(kid),
        Ok(Did::Weft { .. }) => {
            if iss != Some(did) {
                return Err(format!("{kid} is not a key of the issuer (iss)"));
            }
            let iat = iat.ok_or("a did:weft issuer's SD-JWT must carry iat")?;
            if iat < 0 || iat > now.saturating_add(SD_IAT_LEEWAY) {
                return Err("iat is in the future".into());
            }
            // `iat` has whole seconds: the version in force at the end of that second.
            assertion_key_at(ledger, kid, iat as u64 * 1000 + 999)
                .map_err(|(reason, detail)| format!("{reason}: {detail}"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Verifies an SD-JWT presentation (issuer key from a `did:key` `kid`, or a `did:weft` `kid`
/// resolved on chain at the JWT's `iat`).
#[utoipa::path(post, path = "/api/v1/sd-jwt/verify", tag = "credentials", security(("bearer" = [])),
    request_body = VerifySdJwt,
    responses(
        (status = 200, description = "Verified", body = VerifiedSdJwt),
        (status = 422, description = "sd_jwt_invalid: the detail names the failed check", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sd_verify(
    state: web::Data<ApiState>,
    _principal: Principal,
    body: ApiJson<VerifySdJwt>,
) -> Result<web::Json<VerifiedSdJwt>, ApiError> {
    let b = body.0;
    let (_, iss, iat) = sd_jwt::unverified_issuer(&b.presentation).map_err(sd_error)?;
    let svc = state.credentials.clone();
    let now = now();
    let v = web::block(move || {
        sd_jwt::verify(
            &b.presentation,
            |kid| sd_issuer_key(&svc.ledger, kid, iss.as_deref(), iat, now),
            &VerifyOptions {
                nonce: &b.nonce,
                aud: &b.aud,
                now,
                max_kb_age: b.max_kb_age_secs.unwrap_or(300),
                leeway: SD_IAT_LEEWAY,
            },
        )
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(sd_error)?;
    Ok(web::Json(VerifiedSdJwt {
        kid: v.kid,
        claims: v.claims,
    }))
}

// ---------------------------------------------------------------------------------------------
// Predicates

/// Verify a predicate proof.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyPredicate {
    /// The commitment from the credential's `weft:commitments` (base64url).
    pub commitment: String,
    /// The predicate (`{"op": "gte"|"lte", "value": n}` or `{"op": "between", "lower", "upper"}`).
    #[schema(value_type = Object)]
    pub predicate: Predicate,
    /// The proof (base64url).
    pub proof: String,
    /// The verifier's challenge.
    pub challenge: String,
    /// The verifier's domain.
    pub domain: String,
    /// The credential id.
    pub credential_id: String,
    /// The claim name.
    pub claim: String,
}

/// Verifies a predicate proof.
#[utoipa::path(post, path = "/api/v1/predicates/verify", tag = "credentials", security(("bearer" = [])),
    request_body = VerifyPredicate,
    responses(
        (status = 200, description = "The proof verifies"),
        (status = 422, description = "predicate_invalid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn predicate_verify(
    _principal: Principal,
    body: ApiJson<VerifyPredicate>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let bad = |e: predicate::PredicateError| ApiError::typed("predicate_invalid", e);
    let commitment = predicate::decode_commitment(&b.commitment).map_err(bad)?;
    let proof = PredicateProof::from_base64url(&b.proof).map_err(bad)?;
    let ctx = predicate::predicate_context(&b.challenge, &b.domain, &b.credential_id, &b.claim);
    web::block(move || predicate::verify_predicate(&commitment, &b.predicate, &proof, &ctx))
        .await
        .map_err(ApiError::internal)?
        .map_err(bad)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "verified": true })))
}

// ---------------------------------------------------------------------------------------------
// Routes

/// Routes under `/api/v1`.
pub fn configure_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/qr/encode").route(web::post().to(encode)))
        .service(resource("/qr/decode").route(web::post().to(decode)))
        .service(resource("/qr/decode-text").route(web::post().to(decode_text)))
        .service(resource("/qr/refs").route(web::post().to(create_ref)))
        .service(resource("/sd-jwt/issue").route(web::post().to(sd_issue)))
        .service(resource("/sd-jwt/present").route(web::post().to(sd_present)))
        .service(resource("/sd-jwt/verify").route(web::post().to(sd_verify)))
        .service(resource("/predicates/verify").route(web::post().to(predicate_verify)));
}

/// Routes outside `/api/v1`: the one-time reference URLs.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/q")
            .wrap(actix_web::middleware::from_fn(crate::metrics::observe))
            .service(resource("/{token}").route(web::get().to(fetch_ref))),
    );
}

/// This part's OpenAPI paths, merged into [`super::openapi`].
#[derive(Debug, OpenApi)]
#[openapi(paths(
    encode,
    decode,
    decode_text,
    create_ref,
    fetch_ref,
    sd_issue,
    sd_present,
    sd_verify,
    predicate_verify
))]
pub struct Doc;

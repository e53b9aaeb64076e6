//! RFC 9457 `application/problem+json` errors for the REST API, and the one table of error codes.
//!
//! Every REST failure is an [`ApiError`]. Its [`ApiError::code`] is a stable, documented string
//! (the table is [`CODES`], mirrored in `docs/api.md`); `type` is `urn:weft:problem:<code>`.
//! Internal failures (database, storage) are logged with their detail and answered with a generic
//! one: nothing from the server's internals, and never a secret, reaches the client.
//!
//! [`ApiJson`] is the request-body extractor of the REST API: it enforces the body size limit
//! (413), the content type (415) and reports malformed JSON with its line, column and JSON path
//! (400). [`extractor_config`] makes actix's own path/query/JSON extractors answer in the same
//! format.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use weft_did::credential::request::RequestError;
use weft_service::ServiceError;

/// Members of every problem document that extra members may not replace.
const STANDARD_MEMBERS: &[&str] = &["type", "title", "status", "detail", "code"];

/// The problem-details media type.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every error code the REST API returns: (code, HTTP status, title).
pub const CODES: &[(&str, u16, &str)] = &[
    ("malformed_json", 400, "Malformed JSON body"),
    ("invalid_request", 400, "Invalid request"),
    ("unauthorized", 401, "Missing or invalid token"),
    ("forbidden", 403, "Not allowed"),
    ("not_found", 404, "Not found"),
    ("method_not_allowed", 405, "Method not allowed"),
    ("conflict", 409, "Conflict"),
    ("last_admin_token", 409, "Last admin token"),
    ("payload_too_large", 413, "Request body too large"),
    ("unsupported_media_type", 415, "Unsupported media type"),
    ("tx_rejected", 422, "Transaction rejected"),
    ("tx_dropped", 422, "Transaction dropped"),
    ("rate_limited", 429, "Too many requests"),
    ("internal", 500, "Internal error"),
    ("unavailable", 503, "Service unavailable"),
    ("receipt_timeout", 504, "No receipt in time"),
    // Credentials (`api/src/rest/credentials`).
    ("invalid_credential", 422, "Invalid credential"),
    ("verification_failed", 422, "Verification failed"),
    // QR envelopes, SD-JWT and predicates (`api/src/rest/qr.rs`).
    ("envelope_too_large", 422, "Envelope too large"),
    ("envelope_invalid", 422, "Invalid envelope"),
    ("qr_not_an_image", 400, "Not an image"),
    ("qr_image_too_large", 413, "Image too large"),
    ("qr_no_code", 422, "No QR code found"),
    ("qr_multiple_codes", 422, "Several QR codes found"),
    ("qr_unreadable", 422, "QR code unreadable"),
    ("qr_render", 422, "QR code cannot be rendered"),
    ("ref_expired", 410, "Reference expired"),
    ("sd_jwt_invalid", 422, "Invalid SD-JWT"),
    ("predicate_invalid", 422, "Invalid predicate proof"),
];

/// A REST API failure. Each variant's status and code are listed in [`CODES`]; the
/// [`ApiError::Typed`] variant carries any other code of the table (its status is the table's).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `malformed_json`: the body is not valid JSON or does not match the schema.
    #[error("{0}")]
    MalformedJson(String),
    /// 400 `invalid_request`: a path, query or field value is invalid.
    #[error("{0}")]
    InvalidRequest(String),
    /// 401 `unauthorized`: no token, an unknown token or a revoked one.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403 `forbidden`: the token's roles or tenant do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 405 `method_not_allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409 `conflict`: the resource already exists.
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload_too_large`.
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// 415 `unsupported_media_type`.
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    /// 422 `tx_rejected`: the node refused the transaction (`reason` is the node's code).
    #[error("{detail}")]
    TxRejected {
        /// The node's rejection code (as in JSON-RPC `error.data.code`).
        reason: String,
        /// Human-readable detail.
        detail: String,
    },
    /// 422 `tx_dropped`: accepted, then evicted from the pool without being committed.
    #[error("transaction {tx_hash} dropped: {reason}")]
    TxDropped {
        /// The transaction hash.
        tx_hash: String,
        /// Why.
        reason: String,
    },
    /// 429 `rate_limited`.
    #[error("rate limit exceeded; retry after {} s", retry_after.as_secs().max(1))]
    RateLimited {
        /// When a request may succeed again.
        retry_after: Duration,
    },
    /// 500 `internal`: the detail is logged, never returned.
    #[error("internal error")]
    Internal(String),
    /// 503 `unavailable`.
    #[error("{0}")]
    Unavailable(String),
    /// 504 `receipt_timeout`: submitted, but not committed within the wait.
    #[error("transaction {tx_hash} was submitted but not committed within {} s", waited.as_secs())]
    ReceiptTimeout {
        /// The transaction hash (the client may poll it).
        tx_hash: String,
        /// How long the server waited.
        waited: Duration,
    },
    /// A code of [`CODES`] without a variant of its own (credential, QR, SD-JWT, predicate
    /// failures); its status is the table's. Build it with [`ApiError::typed`].
    #[error("{detail}")]
    Typed {
        /// The code (must be in [`CODES`]; an unknown one answers 500).
        code: &'static str,
        /// Human-readable detail.
        detail: String,
        /// Extra members of the problem document (e.g. a verification report). Members that
        /// would replace a standard one (`type`, `title`, `status`, `detail`, `code`) are dropped.
        extra: Option<Box<Map<String, Value>>>,
    },
}

impl ApiError {
    /// An internal error: logs `detail`, answers a generic 500.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    /// A [`ApiError::Typed`] error with `code` (from [`CODES`]) and `detail`.
    pub fn typed(code: &'static str, detail: impl std::fmt::Display) -> Self {
        debug_assert!(
            CODES.iter().any(|(c, _, _)| *c == code),
            "problem code {code} is not in CODES"
        );
        ApiError::Typed {
            code,
            detail: detail.to_string(),
            extra: None,
        }
    }

    /// Adds extra members to a [`ApiError::Typed`] error (other variants are unchanged).
    pub fn with_extra(mut self, members: Map<String, Value>) -> Self {
        if let ApiError::Typed { extra, .. } = &mut self {
            *extra = Some(Box::new(members));
        }
        self
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TxRejected { .. } => "tx_rejected",
            ApiError::TxDropped { .. } => "tx_dropped",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::ReceiptTimeout { .. } => "receipt_timeout",
            ApiError::Typed { code, .. } => code,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let code = self.code();
        let (status, title) = CODES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, status, title)| (*status, *title))
            .unwrap_or((500, "Internal error"));
        let (tx_hash, reason) = match self {
            ApiError::TxRejected { reason, .. } => (None, Some(reason.clone())),
            ApiError::TxDropped { tx_hash, reason } => {
                (Some(tx_hash.clone()), Some(reason.clone()))
            }
            ApiError::ReceiptTimeout { tx_hash, .. } => (Some(tx_hash.clone()), None),
            _ => (None, None),
        };
        Problem {
            r#type: format!("urn:weft:problem:{code}"),
            title: title.to_string(),
            status,
            detail: self.to_string(),
            code: code.to_string(),
            tx_hash,
            reason,
        }
    }
}

/// An RFC 9457 problem document, with Weft's `code` extension member.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// `urn:weft:problem:<code>`.
    pub r#type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable code (see `docs/api.md`).
    pub code: String,
    /// The transaction concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// The node's rejection or drop reason, for `tx_rejected` / `tx_dropped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error answering a REST request");
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                response.insert_header((header::RETRY_AFTER, secs.max(1).to_string()));
            }
            _ => {}
        }
        match self {
            ApiError::Typed {
                extra: Some(extra), ..
            } => {
                let mut body = serde_json::to_value(&problem).unwrap_or_default();
                if let Some(obj) = body.as_object_mut() {
                    for (name, value) in extra.iter() {
                        if !STANDARD_MEMBERS.contains(&name.as_str()) {
                            obj.insert(name.clone(), value.clone());
                        }
                    }
                }
                response.body(body.to_string())
            }
            _ => response.body(serde_json::to_string(&problem).unwrap_or_default()),
        }
    }
}

impl From<weft_service::store::StoreError> for ApiError {
    fn from(err: weft_service::store::StoreError) -> Self {
        ApiError::internal(err)
    }
}

/// The one table from service refusals to problem documents.
impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::InvalidRequest(d) => ApiError::InvalidRequest(d),
            ServiceError::Unauthorized(d) => ApiError::Unauthorized(d),
            ServiceError::Forbidden(d) => ApiError::Forbidden(d),
            ServiceError::NotFound(d) => ApiError::NotFound(d),
            ServiceError::Conflict(d) => ApiError::Conflict(d),
            ServiceError::TxRejected { reason, detail } => ApiError::TxRejected { reason, detail },
            ServiceError::TxDropped { tx_hash, reason } => ApiError::TxDropped { tx_hash, reason },
            ServiceError::ReceiptTimeout { tx_hash, waited } => {
                ApiError::ReceiptTimeout { tx_hash, waited }
            }
            ServiceError::Unavailable(d) => ApiError::Unavailable(d),
            ServiceError::Internal(d) => ApiError::Internal(d),
            ServiceError::CredentialRequest(e) => credential_request_error(&e),
            ServiceError::LastAdminToken(d) => ApiError::typed("last_admin_token", d),
        }
    }
}

/// A refused VC API credential request: 400 `malformed_json` (not the request's JSON shape),
/// 400 `invalid_request` (an option out of range, a credential that is not an object), or 422
/// `invalid_credential` (the credential's content); the problem's `reason` member is the
/// request rules' stable code (`unsupported_issuer`, `missing_base_context`, `claims_invalid`,
/// ...; see `weft_did::credential::request::RequestError::code`).
fn credential_request_error(e: &RequestError) -> ApiError {
    let code = match e {
        RequestError::Json(d) => return ApiError::MalformedJson(d.clone()),
        e if e.is_malformed() => "invalid_request",
        _ => "invalid_credential",
    };
    let mut extra = Map::new();
    extra.insert("reason".into(), Value::from(e.code()));
    ApiError::typed(code, e).with_extra(extra)
}

/// Describes a serde_json error with its position and the JSON path of the failing element.
fn describe_json_error(err: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = err.path().to_string();
    let inner = err.inner();
    // serde_json's message already ends with "at line L column C".
    if path.is_empty() || path == "." {
        inner.to_string()
    } else {
        format!("{inner} (at JSON path {path})")
    }
}

/// Parses `bytes` as `T`, reporting errors with line, column and JSON path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|err| ApiError::MalformedJson(describe_json_error(err)))?;
    de.end()
        .map_err(|err| ApiError::MalformedJson(err.to_string()))?;
    Ok(value)
}

/// Body limits of the REST API.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl Default for BodyLimit {
    fn default() -> Self {
        BodyLimit(256 * 1024)
    }
}

/// A JSON request body, size-limited and parsed with precise errors (see the module docs).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = ApiBody::from_request(req, payload);
        Box::pin(async move { parse_json(&body.await?.0).map(ApiJson) })
    }
}

/// A JSON request body as bytes, with [`ApiJson`]'s size limit and content-type check but not
/// parsed: for handlers whose request type parses itself (the VC API credential requests).
#[derive(Debug)]
pub struct ApiBody(pub web::Bytes);

impl FromRequest for ApiBody {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map(|l| l.0)
            .unwrap_or_else(|| BodyLimit::default().0);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|err| ApiError::InvalidRequest(err.to_string()))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(ApiBody(body.freeze()))
        })
    }
}

/// Registers problem+json error handlers for actix's path, query and JSON extractors, and the
/// body limit used by [`ApiJson`], on a scope.
pub fn extractor_config(cfg: &mut web::ServiceConfig, limit: BodyLimit) {
    cfg.app_data(web::Data::new(limit))
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::InvalidRequest(format!("path: {err}")).into()),
        )
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| ApiError::InvalidRequest(format!("query: {err}")).into()),
        )
        .app_data(
            web::JsonConfig::default()
                .limit(limit.0)
                .error_handler(move |err, _| {
                    use actix_web::error::JsonPayloadError;
                    match err {
                        JsonPayloadError::Overflow { .. }
                        | JsonPayloadError::OverflowKnownLength { .. } => {
                            ApiError::PayloadTooLarge { limit: limit.0 }.into()
                        }
                        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType.into(),
                        other => ApiError::MalformedJson(other.to_string()).into(),
                    }
                }),
        );
}

/// Turns every `405 Method Not Allowed` of the application into the `method_not_allowed`
/// problem document, keeping the `Allow` header actix-web computes from the resource's routes
/// (RFC 9110 §15.5.6). Registered once on the `App` ([`crate::server::serve`]); resources keep
/// actix-web's own default service, which is what knows the allowed methods.
pub fn method_not_allowed<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut response = ApiError::MethodNotAllowed.error_response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// The error for an unknown route under the API scope.
pub fn not_found(req: &HttpRequest) -> ApiError {
    ApiError::NotFound(format!("no route for {} {}", req.method(), req.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_code_is_in_the_table() {
        let samples = [
            ApiError::MalformedJson("x".into()),
            ApiError::InvalidRequest("x".into()),
            ApiError::Unauthorized("x"),
            ApiError::Forbidden("x".into()),
            ApiError::NotFound("x".into()),
            ApiError::MethodNotAllowed,
            ApiError::Conflict("x".into()),
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::UnsupportedMediaType,
            ApiError::TxRejected {
                reason: "r".into(),
                detail: "d".into(),
            },
            ApiError::TxDropped {
                tx_hash: "h".into(),
                reason: "r".into(),
            },
            ApiError::RateLimited {
                retry_after: Duration::from_millis(1500),
            },
            ApiError::internal("secret detail"),
            ApiError::Unavailable("x".into()),
            ApiError::ReceiptTimeout {
                tx_hash: "h".into(),
                waited: Duration::from_secs(3),
            },
        ];
        for err in &samples {
            let problem = err.problem();
            assert!(CODES
                .iter()
                .any(|(c, s, _)| *c == problem.code && *s == problem.status));
            assert_eq!(problem.r#type, format!("urn:weft:problem:{}", problem.code));
        }
        // Internal details never reach the client.
        assert!(!ApiError::internal("secret detail")
            .problem()
            .detail
            .contains("secret"));
        // Every code of the table is either a variant's or reachable as a typed one.
        for (code, status, _) in CODES {
            if samples.iter().any(|e| e.code() == *code) {
                continue;
            }
            let problem = ApiError::typed(code, "x").problem();
            assert_eq!(problem.status, *status, "{code}");
            assert_eq!(problem.r#type, format!("urn:weft:problem:{code}"));
        }
        let mut codes: Vec<_> = CODES.iter().map(|(c, _, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CODES.len(), "duplicate code in CODES");
    }

    /// The quoted codes after `typed(` in a source text.
    fn typed_codes(source: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = source;
        while let Some(i) = rest.find("typed(") {
            rest = &rest[i + "typed(".len()..];
            let trimmed = rest.trim_start();
            if let Some(body) = trimmed.strip_prefix('"') {
                if let Some(end) = body.find('"') {
                    let code = &body[..end];
                    // Codes are snake_case words; anything else is not a code (e.g. this scanner).
                    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    {
                        out.push(code.to_string());
                    }
                }
            }
        }
        out
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }

    /// Scans the crate's sources: every code given to `ApiError::typed` is in [`CODES`], and no
    /// module other than this one writes a problem `type` of its own.
    #[test]
    fn every_code_in_the_source_is_in_the_table() {
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut seen = 0;
        for (path, text) in &files {
            for code in typed_codes(text) {
                seen += 1;
                assert!(
                    CODES.iter().any(|(c, _, _)| *c == code),
                    "{}: code {code:?} is not in problem::CODES",
                    path.display()
                );
            }
            if !path.ends_with("problem.rs") {
                assert!(
                    !text.contains(concat!("urn:weft:", "problem:")),
                    "{} builds its own problem document; use ApiError",
                    path.display()
                );
            }
        }
        // The scanner does find the typed codes (QR, SD-JWT, credentials, ...).
        assert!(seen >= 10, "only {seen} typed codes found");
        assert_eq!(
            typed_codes(r#"ApiError::typed( "qr_no_code", x) typed(code, y)"#),
            ["qr_no_code"]
        );
    }

    #[test]
    fn typed_errors_carry_extra_members_but_not_over_standard_ones() {
        let mut extra = Map::new();
        extra.insert("verified".into(), Value::Bool(false));
        extra.insert("status".into(), Value::from(200));
        let err = ApiError::typed("verification_failed", "failed checks: proof").with_extra(extra);
        assert_eq!(err.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let response = err.error_response();
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            PROBLEM_JSON
        );
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "urn:weft:problem:verification_failed");
        assert_eq!(v["code"], "verification_failed");
        assert_eq!(v["status"], 422);
        assert_eq!(v["title"], "Verification failed");
        assert_eq!(v["detail"], "failed checks: proof");
        assert_eq!(v["verified"], false);
    }

    proptest::proptest! {
        /// Arbitrary bodies never panic the parser; every failure is a 400 malformed_json.
        #[test]
        fn arbitrary_bodies_are_ok_or_malformed_json(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            #[derive(Debug, serde::Deserialize)]
            #[allow(dead_code)]
            struct Body {
                key_id: String,
                call: weft_chain::Call,
            }
            if let Err(err) = parse_json::<Body>(&body) {
                proptest::prop_assert_eq!(err.code(), "malformed_json");
                proptest::prop_assert_eq!(err.problem().status, 400);
            }
        }
    }

    #[test]
    fn json_errors_point_at_the_problem() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: u64,
        }
        let err = parse_json::<Outer>(br#"{"inner": {"n": "seven"}}"#).unwrap_err();
        let detail = err.to_string();
        assert!(detail.contains("inner.n"), "{detail}");
        assert!(detail.contains("line 1"), "{detail}");
        let err = parse_json::<Outer>(b"{\n  \"inner\": {\"n\": 1,}}").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(parse_json::<Outer>(br#"{"inner": {"n": 1}} trailing"#).is_err());
    }
}

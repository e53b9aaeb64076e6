//! W3C Verifiable Credentials Data Model 2.0: building, issuing and strictly parsing credentials.
//!
//! # Shape of a Weft credential
//!
//! ```json
//! {
//!   "@context": ["https://www.w3.org/ns/credentials/v2", ...],
//!   "id": "urn:uuid:…",
//!   "type": ["VerifiableCredential", ...],
//!   "issuer": "did:weft:<chain>:0x…",
//!   "validFrom": "2026-11-21T10:00:00Z",
//!   "validUntil": "2027-11-21T10:00:00Z",
//!   "credentialSubject": { "id": "did:…", ...claims },
//!   "credentialSchema": {
//!     "id": "urn:weft:cpt:<id>:<version>",
//!     "type": "JsonSchema",
//!     "digestSRI": "sha256-<base64 of the CPT digest>"
//!   },
//!   "credentialStatus": { "type": "BitstringStatusListEntry", ... },
//!   "proof": { "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", ... }
//! }
//! ```
//!
//! The schema pin is the CPT id and version in a URN plus the CPT's on-chain digest (SHA-256 of
//! its canonical JSON) as a W3C Subresource-Integrity string in the standard `digestSRI` field.
//! The CPT schema constrains the claims: `credentialSubject` without its `id`.
//! `credentialStatus` is passed through unchanged (the status module interprets it).

use rand_core::{OsRng, RngCore};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use weft_chain::Keypair;

use base64::Engine as _;

use super::data_integrity::{self, DataIntegrityError, ProofOptions};
use super::predicate::{self, HolderOpenings, PredicateError, COMMITMENTS_PROPERTY};

/// The first `@context` of every VC 2.0 credential and presentation.
pub const CONTEXT_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The base type of every credential.
pub const VC_TYPE: &str = "VerifiableCredential";
/// The `credentialSchema.type` used to pin a CPT.
pub const SCHEMA_TYPE: &str = "JsonSchema";
/// Prefix of a CPT's schema id: `urn:weft:cpt:<id>:<version>`.
pub const CPT_URN_PREFIX: &str = "urn:weft:cpt:";
/// Most failing paths listed in a [`VcError::ClaimsInvalid`].
pub const MAX_REPORTED_PATHS: usize = 16;

/// Why a credential could not be built, issued or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VcError {
    /// `@context` is missing or does not start with [`CONTEXT_V2`].
    #[error("@context must be an array starting with {CONTEXT_V2:?}")]
    BadContext,
    /// `type` is missing or lacks the required base type.
    #[error("type must be an array containing {0:?}")]
    MissingType(&'static str),
    /// A required property is missing or not of the right JSON type.
    #[error("{0}")]
    Malformed(String),
    /// `validFrom`/`validUntil` (or another date) is not an XML Schema dateTime, or the range is
    /// empty.
    #[error("bad date: {0}")]
    BadDate(String),
    /// The issuer is not a DID or URL.
    #[error("bad issuer: {0}")]
    BadIssuer(String),
    /// `credentialSchema` does not pin a CPT as this module requires.
    #[error("bad credentialSchema: {0}")]
    BadSchemaRef(String),
    /// The claims do not satisfy the CPT's JSON schema; lists the failing instance paths.
    #[error("claims do not match the CPT schema at {}", .paths.join(", "))]
    ClaimsInvalid {
        /// JSON pointers (relative to `credentialSubject`) of failing values, with the reason.
        paths: Vec<String>,
    },
    /// The CPT's schema does not compile (should not happen for a registered CPT).
    #[error("the CPT schema does not compile: {0}")]
    SchemaUnusable(String),
    /// The pinned digest does not match the CPT given.
    #[error("the CPT digest does not match the credentialSchema pin")]
    DigestMismatch,
    /// Signing failed.
    #[error(transparent)]
    Proof(#[from] DataIntegrityError),
    /// Predicate commitments are missing or malformed, or a predicate proof could not be made.
    #[error("predicate claims: {0}")]
    Commitments(#[from] PredicateError),
    /// The document is not a well-formed credential under the VC Data Model.
    #[error("not a well-formed credential: {0}")]
    Model(#[from] super::model::ModelError),
}

/// A CPT version as a credential pins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CptRef {
    /// CPT id.
    pub id: u64,
    /// CPT version (1-based).
    pub version: u32,
}

impl CptRef {
    /// `urn:weft:cpt:<id>:<version>`.
    pub fn urn(&self) -> String {
        format!("{CPT_URN_PREFIX}{}:{}", self.id, self.version)
    }

    /// Parses [`CptRef::urn`].
    pub fn parse_urn(text: &str) -> Result<CptRef, VcError> {
        let bad = || VcError::BadSchemaRef(format!("{text:?} is not urn:weft:cpt:<id>:<version>"));
        let rest = text.strip_prefix(CPT_URN_PREFIX).ok_or_else(bad)?;
        let (id, version) = rest.split_once(':').ok_or_else(bad)?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(id) || !digits(version) {
            return Err(bad());
        }
        let id = id.parse().map_err(|_| bad())?;
        let version: u32 = version.parse().map_err(|_| bad())?;
        if version == 0 {
            return Err(bad());
        }
        Ok(CptRef { id, version })
    }
}

/// A CPT's schema, compiled once (the verifier's cache keeps these forever).
pub struct CptSchema {
    /// Which CPT version.
    pub cpt: CptRef,
    /// SHA-256 of the canonical schema (the on-chain digest).
    pub digest: [u8; 32],
    /// The schema.
    pub schema: Value,
    validator: Result<jsonschema::Validator, String>,
    /// Claims marked `x-weft-predicate`.
    predicates: Vec<String>,
    /// Of those, the required ones.
    required_predicates: Vec<String>,
    /// The schema without the marked claims (for credentials carrying commitments).
    view: Option<Result<jsonschema::Validator, String>>,
}

impl std::fmt::Debug for CptSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CptSchema")
            .field("cpt", &self.cpt)
            .field("digest", &hex::encode(self.digest))
            .finish_non_exhaustive()
    }
}

impl CptSchema {
    /// Compiles `schema` (draft 2020-12; external references are refused, never fetched).
    pub fn new(cpt: CptRef, digest: [u8; 32], schema: Value) -> CptSchema {
        let validator = jsonschema::draft202012::new(&schema).map_err(|e| e.to_string());
        let predicates = predicate::predicate_claims(&schema);
        let (view, required_predicates) = if predicates.is_empty() {
            (None, Vec::new())
        } else {
            let (view, required) = predicate::commitment_view(&schema, &predicates);
            (
                Some(jsonschema::draft202012::new(&view).map_err(|e| e.to_string())),
                required,
            )
        };
        CptSchema {
            cpt,
            digest,
            schema,
            validator,
            predicates,
            required_predicates,
            view,
        }
    }

    /// The claims the schema marks as provable by predicate (committed at issuance).
    pub fn predicate_claims(&self) -> &[String] {
        &self.predicates
    }

    /// From a schema text as registered (its digest computed as the `cpt` module does).
    pub fn from_text(cpt: CptRef, text: &str) -> Result<CptSchema, VcError> {
        let (canonical, digest) = crate::cpt::validate_schema(text)
            .map_err(|e| VcError::SchemaUnusable(e.to_string()))?;
        let schema: Value =
            serde_json::from_str(&canonical).map_err(|e| VcError::SchemaUnusable(e.to_string()))?;
        Ok(CptSchema::new(cpt, digest.0, schema))
    }

    /// `sha256-<base64>`: the `digestSRI` of this CPT.
    pub fn digest_sri(&self) -> String {
        digest_sri(&self.digest)
    }

    /// Checks `subject` (a `credentialSubject` object) against the schema: its claims, i.e. the
    /// object without `id`. A subject carrying `weft:commitments` (of a CPT with predicate
    /// claims) is checked against the schema without the marked claims, and its commitments by
    /// [`predicate::check_commitments`] ([`VcError::Commitments`]).
    pub fn validate_claims(&self, subject: &Value) -> Result<(), VcError> {
        let committed = subject.get(COMMITMENTS_PROPERTY).is_some();
        match (&self.view, subject.as_object()) {
            (Some(view), Some(obj)) if committed => {
                let view = view
                    .as_ref()
                    .map_err(|e| VcError::SchemaUnusable(e.clone()))?;
                let mut claims = claims_of(subject);
                if let Value::Object(m) = &mut claims {
                    m.remove(COMMITMENTS_PROPERTY);
                }
                predicate::check_commitments(obj, &self.predicates, &self.required_predicates)?;
                run_validator(view, &claims)
            }
            _ => {
                let validator = self
                    .validator
                    .as_ref()
                    .map_err(|e| VcError::SchemaUnusable(e.clone()))?;
                run_validator(validator, &claims_of(subject))
            }
        }
    }
}

fn run_validator(validator: &jsonschema::Validator, claims: &Value) -> Result<(), VcError> {
    if validator.is_valid(claims) {
        return Ok(());
    }
    let paths: Vec<String> = validator
        .iter_errors(claims)
        .take(MAX_REPORTED_PATHS)
        .map(|e| {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() { "/".into() } else { path };
            format!("{path}: {e}")
        })
        .collect();
    Err(VcError::ClaimsInvalid { paths })
}

/// `credentialSubject` without its `id` (what the CPT schema describes).
fn claims_of(subject: &Value) -> Value {
    match subject {
        Value::Object(m) => {
            let mut m = m.clone();
            m.remove("id");
            Value::Object(m)
        }
        other => other.clone(),
    }
}

/// `sha256-<base64>` of a SHA-256 digest.
pub fn digest_sri(digest: &[u8; 32]) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Parses a `sha256-<base64>` SRI string.
pub fn parse_digest_sri(text: &str) -> Result<[u8; 32], VcError> {
    let bad = || VcError::BadSchemaRef(format!("digestSRI {text:?} is not sha256-<base64>"));
    let b64 = text.strip_prefix("sha256-").ok_or_else(bad)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

/// Formats a time as an XML Schema dateTime in UTC to the second (`2026-11-21T10:00:00Z`).
pub fn format_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Parses an XML Schema / RFC 3339 dateTime with an explicit offset.
pub fn parse_datetime(name: &str, text: &str) -> Result<OffsetDateTime, VcError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| VcError::BadDate(format!("{name} {text:?} is not an RFC 3339 dateTime")))
}

/// A fresh `urn:uuid:` (version 4, from the OS generator).
pub fn new_urn_uuid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// What to issue. The issuer signs what [`build`] makes of it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRequest {
    /// The credential's `id` (a fresh `urn:uuid:` if `None`).
    pub id: Option<String>,
    /// Extra `@context` entries after [`CONTEXT_V2`].
    pub contexts: Vec<String>,
    /// Types after `VerifiableCredential`.
    pub types: Vec<String>,
    /// The issuer: a DID (or an `https://` URL whose key is a did:key).
    pub issuer: String,
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
    /// `credentialSubject`: an object, optionally with `id`, whose other members are the claims.
    pub subject: Value,
    /// Optional `credentialStatus` (an object or array of `BitstringStatusListEntry`), as given.
    pub status: Option<Value>,
}

/// Builds the unsigned credential of `req` pinned to `cpt`, refusing claims that do not satisfy
/// the CPT's schema (with every failing path). Refuses a subject with predicate claims: use
/// [`issue_with_openings`], which commits to them and returns the openings.
pub fn build(req: &IssueRequest, cpt: &CptSchema) -> Result<Value, VcError> {
    let (vc, openings) = build_committed(req, cpt)?;
    if openings.is_some() {
        return Err(VcError::Malformed(
            "the CPT marks predicate claims: issue with issue_with_openings so the holder \
             receives the openings"
                .into(),
        ));
    }
    Ok(vc)
}

/// [`build`], with each predicate claim present in the subject replaced by its commitment in
/// `credentialSubject["weft:commitments"]`; the openings are `None` when nothing was committed.
pub fn build_committed(
    req: &IssueRequest,
    cpt: &CptSchema,
) -> Result<(Value, Option<HolderOpenings>), VcError> {
    check_issuer(&req.issuer)?;
    let subject = req
        .subject
        .as_object()
        .ok_or_else(|| VcError::Malformed("credentialSubject must be an object".into()))?;
    if let Some(id) = subject.get("id") {
        if !id.as_str().is_some_and(|s| s.contains(':')) {
            return Err(VcError::Malformed(
                "credentialSubject.id must be a URI string".into(),
            ));
        }
    }
    if let Some(until) = req.valid_until {
        if until <= req.valid_from {
            return Err(VcError::BadDate(
                "validUntil must be after validFrom".into(),
            ));
        }
    }
    match &req.status {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => {}
        Some(_) => {
            return Err(VcError::Malformed(
                "credentialStatus must be an object or an array of objects".into(),
            ))
        }
    }
    let (subject, openings) = commit_subject(subject, cpt)?;

    let mut contexts = vec![Value::from(CONTEXT_V2)];
    contexts.extend(
        req.contexts
            .iter()
            .filter(|c| c.as_str() != CONTEXT_V2)
            .map(|c| Value::from(c.as_str())),
    );
    let mut types = vec![Value::from(VC_TYPE)];
    types.extend(
        req.types
            .iter()
            .filter(|t| t.as_str() != VC_TYPE)
            .map(|t| Value::from(t.as_str())),
    );
    let mut vc = Map::new();
    vc.insert("@context".into(), Value::Array(contexts));
    vc.insert(
        "id".into(),
        req.id.clone().unwrap_or_else(new_urn_uuid).into(),
    );
    vc.insert("type".into(), Value::Array(types));
    vc.insert("issuer".into(), req.issuer.clone().into());
    vc.insert("validFrom".into(), format_datetime(req.valid_from).into());
    if let Some(until) = req.valid_until {
        vc.insert("validUntil".into(), format_datetime(until).into());
    }
    vc.insert("credentialSubject".into(), subject);
    vc.insert(
        "credentialSchema".into(),
        serde_json::json!({
            "id": cpt.cpt.urn(),
            "type": SCHEMA_TYPE,
            "digestSRI": cpt.digest_sri(),
        }),
    );
    if let Some(status) = &req.status {
        vc.insert("credentialStatus".into(), status.clone());
    }
    Ok((Value::Object(vc), openings))
}

/// Checks a subject's claims against `cpt` and replaces each predicate claim present by its
/// commitment in `weft:commitments`; the openings are `None` when nothing was committed.
pub(crate) fn commit_subject(
    subject: &Map<String, Value>,
    cpt: &CptSchema,
) -> Result<(Value, Option<HolderOpenings>), VcError> {
    let subject_value = Value::Object(subject.clone());
    if subject.contains_key(COMMITMENTS_PROPERTY) {
        return Err(VcError::Malformed(format!(
            "credentialSubject must not carry {COMMITMENTS_PROPERTY}: the issuer makes them"
        )));
    }
    cpt.validate_claims(&subject_value)?;
    let marked: Vec<&str> = cpt
        .predicate_claims()
        .iter()
        .map(String::as_str)
        .filter(|c| subject.contains_key(*c))
        .collect();
    let (subject, openings) = if marked.is_empty() {
        (subject_value, None)
    } else {
        let (commitments, openings) = predicate::commit_claims(subject, &marked)?;
        let mut subject = subject.clone();
        for claim in &marked {
            subject.remove(*claim);
        }
        subject.insert(COMMITMENTS_PROPERTY.into(), commitments);
        (Value::Object(subject), Some(openings))
    };

    Ok((subject, openings))
}

/// Builds and signs: an `assertionMethod` proof by `verification_method` with `key`, created at
/// `created`.
pub fn issue(
    req: &IssueRequest,
    cpt: &CptSchema,
    verification_method: &str,
    key: &Keypair,
    created: OffsetDateTime,
) -> Result<Value, VcError> {
    let unsigned = build(req, cpt)?;
    let options = ProofOptions::assertion(verification_method, format_datetime(created));
    Ok(data_integrity::sign(&unsigned, &options, key)?)
}

/// A signed credential and, if it commits to predicate claims, the holder's openings (a secret
/// for the holder: hand it over with [`HolderOpenings::to_wallet_string`], never log it).
#[derive(Debug)]
pub struct Issued {
    /// The secured credential.
    pub credential: Value,
    /// The openings of `credentialSubject["weft:commitments"]`, if any.
    pub openings: Option<HolderOpenings>,
}

/// Like [`issue`], but commits to the CPT's predicate claims ([`build_committed`]) and returns
/// the openings with the credential.
pub fn issue_with_openings(
    req: &IssueRequest,
    cpt: &CptSchema,
    verification_method: &str,
    key: &Keypair,
    created: OffsetDateTime,
) -> Result<Issued, VcError> {
    let (unsigned, openings) = build_committed(req, cpt)?;
    let options = ProofOptions::assertion(verification_method, format_datetime(created));
    Ok(Issued {
        credential: data_integrity::sign(&unsigned, &options, key)?,
        openings,
    })
}

fn check_issuer(issuer: &str) -> Result<(), VcError> {
    if issuer.starts_with("did:") {
        crate::Did::parse(issuer)
            .map(|_| ())
            .map_err(|e| VcError::BadIssuer(e.to_string()))
    } else if issuer.starts_with("https://") && issuer.len() > 8 && issuer.len() <= 2048 {
        Ok(())
    } else {
        Err(VcError::BadIssuer(format!(
            "{issuer:?} is neither a DID nor an https URL"
        )))
    }
}

/// The verifier's view of a credential's structure (everything but the proof).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCredential {
    /// `id`, if any.
    pub id: Option<String>,
    /// `type`.
    pub types: Vec<String>,
    /// The issuer's id (`issuer` or `issuer.id`).
    pub issuer: String,
    /// `validFrom`, if any.
    pub valid_from: Option<OffsetDateTime>,
    /// `validUntil`, if any.
    pub valid_until: Option<OffsetDateTime>,
    /// `credentialSubject.id`, if any (of the first subject).
    pub subject_id: Option<String>,
    /// The first (or only) `credentialSubject`.
    pub subject: Value,
    /// The CPT pin, if `credentialSchema` is present.
    pub schema: Option<(CptRef, [u8; 32])>,
    /// How many `credentialSchema` entries are not CPT pins (schemas Weft does not fetch).
    pub other_schemas: usize,
    /// `credentialStatus` entries (object → one entry).
    pub status: Vec<Value>,
}

/// Whether `@context` is an array whose first item is [`CONTEXT_V2`].
pub(crate) fn check_context(doc: &Map<String, Value>) -> Result<(), VcError> {
    match doc.get("@context") {
        Some(Value::Array(items)) if items.first().and_then(Value::as_str) == Some(CONTEXT_V2) => {
            if items.iter().all(|c| c.is_string() || c.is_object()) {
                Ok(())
            } else {
                Err(VcError::BadContext)
            }
        }
        _ => Err(VcError::BadContext),
    }
}

/// `type` as strings; must contain `required`.
pub(crate) fn check_types(
    doc: &Map<String, Value>,
    required: &'static str,
) -> Result<Vec<String>, VcError> {
    let types: Vec<String> = match doc.get("type") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or(VcError::MissingType(required))?,
        Some(Value::String(s)) => vec![s.clone()],
        _ => return Err(VcError::MissingType(required)),
    };
    if types.iter().any(|t| t == required) {
        Ok(types)
    } else {
        Err(VcError::MissingType(required))
    }
}

/// Parses a credential's structure (the proof is not checked here): first the VC Data Model
/// well-formedness rules ([`super::model::validate_credential`], VC 1.1 documents accepted with
/// `issuanceDate` / `expirationDate` read as the validity period), then the Weft reading of it.
/// A `credentialSchema` entry whose id is a `urn:weft:cpt:` URN must be a complete CPT pin; other
/// schema entries are counted in [`ParsedCredential::other_schemas`] (Weft fetches nothing).
pub fn parse(vc: &Value) -> Result<ParsedCredential, VcError> {
    let opts = super::model::ModelOptions {
        allow_v1: true,
        known_contexts_only: false,
    };
    let version = super::model::validate_credential(vc, &opts)?;
    let doc = vc
        .as_object()
        .ok_or_else(|| VcError::Malformed("a credential must be a JSON object".into()))?;
    let types = check_types(doc, VC_TYPE)?;
    let id = doc.get("id").and_then(Value::as_str).map(str::to_string);
    let issuer = match doc.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| VcError::BadIssuer("issuer object without a string id".into()))?
            .to_string(),
        _ => return Err(VcError::BadIssuer("issuer is missing".into())),
    };
    let date = |name: &str| -> Result<Option<OffsetDateTime>, VcError> {
        match doc.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => parse_datetime(name, s).map(Some),
            Some(_) => Err(VcError::BadDate(format!("{name} must be a string"))),
        }
    };
    let (valid_from, valid_until) = match version {
        super::model::ModelVersion::V2_0 => (date("validFrom")?, date("validUntil")?),
        super::model::ModelVersion::V1_1 => (date("issuanceDate")?, date("expirationDate")?),
    };
    let subject = match doc.get("credentialSubject") {
        Some(s @ Value::Object(_)) => s.clone(),
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_object) => {
            items[0].clone()
        }
        _ => {
            return Err(VcError::Malformed(
                "credentialSubject must be an object (or a non-empty array of objects)".into(),
            ))
        }
    };
    let subject_id = subject
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let schema_entries: &[Value] = match doc.get("credentialSchema") {
        None => &[],
        Some(v @ Value::Object(_)) => std::slice::from_ref(v),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(VcError::BadSchemaRef(
                "credentialSchema must be an object or an array".into(),
            ))
        }
    };
    let mut schema = None;
    let mut other_schemas = 0;
    for s in schema_entries {
        let urn = s.get("id").and_then(Value::as_str).unwrap_or_default();
        if !urn.starts_with(CPT_URN_PREFIX) {
            other_schemas += 1;
            continue;
        }
        if schema.is_some() {
            return Err(VcError::BadSchemaRef("more than one CPT pin".into()));
        }
        if s.get("type").and_then(Value::as_str) != Some(SCHEMA_TYPE) {
            return Err(VcError::BadSchemaRef(format!(
                "type must be {SCHEMA_TYPE:?}"
            )));
        }
        let sri = s
            .get("digestSRI")
            .and_then(Value::as_str)
            .ok_or_else(|| VcError::BadSchemaRef("digestSRI is missing".into()))?;
        schema = Some((CptRef::parse_urn(urn)?, parse_digest_sri(sri)?));
    }
    let status = match doc.get("credentialStatus") {
        None => Vec::new(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(VcError::Malformed(
                "credentialStatus must be an object or an array of objects".into(),
            ))
        }
    };
    Ok(ParsedCredential {
        id,
        types,
        issuer,
        valid_from,
        valid_until,
        subject_id,
        subject,
        schema,
        other_schemas,
        status,
    })
}

/// The value an evidence anchor records for a credential: one definition, in
/// [`crate::evidence::credential_hash`] (SHA-256 of the JCS form of the whole secured
/// credential).
pub use crate::evidence::credential_hash;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_round_trip_and_rejects() {
        let r = CptRef {
            id: 2_000_001,
            version: 3,
        };
        assert_eq!(CptRef::parse_urn(&r.urn()).unwrap(), r);
        for bad in [
            "urn:weft:cpt:1",
            "urn:weft:cpt:1:0",
            "urn:weft:cpt::1",
            "urn:weft:cpt:1:-1",
            "urn:weft:cpt:x:1",
            "urn:other:1:1",
            "urn:weft:cpt:1:99999999999",
        ] {
            assert!(CptRef::parse_urn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sri_round_trip() {
        let d = [9u8; 32];
        assert_eq!(parse_digest_sri(&digest_sri(&d)).unwrap(), d);
        assert!(parse_digest_sri("sha384-AAAA").is_err());
        assert!(parse_digest_sri("sha256-AAAA").is_err());
    }

    #[test]
    fn uuid_shape() {
        let u = new_urn_uuid();
        assert_eq!(u.len(), 45);
        assert_eq!(&u[23..24], "4");
        assert_ne!(u, new_urn_uuid());
    }
}

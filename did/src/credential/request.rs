//! Typed requests of the VC API credential endpoints, parsed and validated here so that the HTTP
//! layer does no hand-parsing.
//!
//! - [`IssueCredentialRequest`] (`POST /credentials/issue`): `{credential, options}`.
//!   [`IssueCredentialRequest::input`] turns the credential into a [`CredentialInput`]: VC 1.1
//!   input is mapped to VC 2.0 (base context replaced, `issuanceDate` → `validFrom`,
//!   `expirationDate` → `validUntil`), a fresh `urn:uuid` id and `validFrom` = now are added
//!   when absent, the result must be a well-formed credential ([`super::model`]), and the issuer
//!   must be a `did:key` (the caller holds its key) or a `did:weft` of this chain. A CPT pin
//!   (`credentialSchema` with id `urn:weft:cpt:<id>:<version>`) is optional:
//!   [`CredentialInput::issue`] validates the claims against the CPT (and commits its predicate
//!   claims) only when one is pinned.
//! - [`VerifyCredentialRequest`] (`POST /credentials/verify`): `{verifiableCredential, options}`
//!   with the VC API `options.checks` ([`super::policy::Checks`]) and Weft's options;
//!   [`VerifyCredentialOptions::to_options`] makes the [`VerifyOptions`].
//!
//! Unknown option members are ignored (the VC API lets clients send options a service does not
//! know); a known member of the wrong type is an error. Every error is a [`RequestError`] with a
//! stable [`RequestError::code`].

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use weft_chain::{Address, Keypair, PublicKey};

use super::data_integrity::{self, ProofOptions};
use super::model::{self, ModelError, ModelOptions, CONTEXT_V1, CONTEXT_V2};
use super::policy::{CheckKind, Checks, IssuerKeyBinding};
use super::vc::{self, CptRef, CptSchema, Issued, VcError, CPT_URN_PREFIX, SCHEMA_TYPE};
use super::verify::VerifyOptions;
use crate::did::Did;
use crate::status::StatusPurpose;

/// Most entries of `trustedIssuers` (and keys per entry).
pub const MAX_TRUSTED: usize = 64;
/// Longest `key_id` / `issuerType` accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is not JSON of the request's shape (a member has the wrong type).
    #[error("malformed request: {0}")]
    Json(String),
    /// `credential` / `verifiableCredential` is not a JSON object.
    #[error("{0} must be a JSON object")]
    NotAnObject(&'static str),
    /// The credential to issue already has a proof.
    #[error("the credential to issue already carries a proof")]
    AlreadySigned,
    /// The credential has no issuer.
    #[error("credential.issuer is required")]
    MissingIssuer,
    /// The issuer is neither a `did:key` nor a `did:weft` of this chain.
    #[error("issuer {0:?} is neither a did:key nor a did:weft of this chain")]
    UnsupportedIssuer(String),
    /// VC 1.1 and VC 2.0 members are mixed (`issuanceDate` with `validFrom`, …).
    #[error("{0} cannot be mapped: the VC 2.0 member is present too")]
    MixedVersions(&'static str),
    /// The credential is not well-formed under the VC Data Model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The CPT pin, the claims against it, or signing failed.
    #[error(transparent)]
    Credential(#[from] VcError),
    /// The credential pins a CPT but none (or another version) was supplied to [`CredentialInput::issue`].
    #[error("the credential pins CPT {0:?}, which was not supplied")]
    CptNotSupplied(CptRef),
    /// `credentialStatus` and `options.status` were both given.
    #[error("give either credentialStatus or options.status, not both")]
    StatusTwice,
    /// An option value is out of range (length, count, syntax).
    #[error("options.{0}")]
    BadOption(String),
    /// `options.status` was asked of an issuer whose lists this node cannot keep (a `did:key`:
    /// status lists live on chain under a `did:weft`).
    #[error("options.status needs a did:weft issuer of this chain; {0} cannot own a status list")]
    StatusUnsupported(String),
}

impl RequestError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Json(_) => "malformed_request",
            RequestError::NotAnObject(_) => "not_an_object",
            RequestError::AlreadySigned => "already_signed",
            RequestError::MissingIssuer => "missing_issuer",
            RequestError::UnsupportedIssuer(_) => "unsupported_issuer",
            RequestError::MixedVersions(_) => "mixed_versions",
            RequestError::Model(e) => e.code(),
            RequestError::Credential(VcError::ClaimsInvalid { .. }) => "claims_invalid",
            RequestError::Credential(VcError::DigestMismatch) => "schema_mismatch",
            RequestError::Credential(VcError::BadSchemaRef(_)) => "bad_schema_ref",
            RequestError::Credential(_) => "invalid_credential",
            RequestError::CptNotSupplied(_) => "schema_not_found",
            RequestError::StatusTwice => "status_twice",
            RequestError::BadOption(_) => "bad_option",
            RequestError::StatusUnsupported(_) => "status_unsupported",
        }
    }

    /// Whether the fault is the request's shape (HTTP 400) rather than its content (422).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            RequestError::Json(_) | RequestError::NotAnObject(_) | RequestError::BadOption(_)
        )
    }
}

/// `options.status` of an issuance: absent / `false` / `null` (none), `true` or `"revocation"`,
/// `"suspension"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusOption(pub Option<StatusPurpose>);

impl<'de> Deserialize<'de> for StatusOption {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Null | Value::Bool(false) => Ok(StatusOption(None)),
            Value::Bool(true) => Ok(StatusOption(Some(StatusPurpose::Revocation))),
            Value::String(s) => StatusPurpose::parse(&s)
                .map(|p| StatusOption(Some(p)))
                .map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(
                "status is true, \"revocation\" or \"suspension\"",
            )),
        }
    }
}

/// `options` of `POST /credentials/issue`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueOptions {
    /// Which custodied key signs (`key_id` or `keyId`).
    #[serde(default, alias = "key_id")]
    pub key_id: Option<String>,
    /// Allocate a status entry on one of the issuer's lists.
    #[serde(default)]
    pub status: StatusOption,
    /// Anchor the credential's hash as evidence.
    #[serde(default)]
    pub evidence: bool,
}

/// `POST /credentials/issue` body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IssueCredentialRequest {
    /// The credential to issue (VC 2.0, or VC 1.1 to be mapped), without proof.
    pub credential: Value,
    /// Options.
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: IssueOptions,
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A CPT pin of a request: the CPT version and the digest the request pinned, if any.
pub type CptPin = (CptRef, Option<[u8; 32]>);

/// The issuer of a credential to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerRef {
    /// A `did:weft` of this chain: its keys are in its on-chain document.
    Weft {
        /// The DID.
        did: String,
        /// Its address.
        address: Address,
    },
    /// A `did:key`: the key is the DID.
    Key(PublicKey),
}

impl IssuerRef {
    /// The DID text.
    pub fn did(&self) -> String {
        match self {
            IssuerRef::Weft { did, .. } => did.clone(),
            IssuerRef::Key(pk) => Did::Key(*pk).to_string(),
        }
    }

    /// The verification method that signs: `<did>#<fragment>` for a `did:weft`, the did:key's
    /// own `did:key:z…#z…` (the fragment is ignored) for a `did:key`.
    pub fn verification_method(&self, fragment: &str) -> String {
        match self {
            IssuerRef::Weft { did, .. } => format!("{did}#{fragment}"),
            IssuerRef::Key(pk) => {
                format!("{}#{}", Did::Key(*pk), crate::multikey::encode(pk))
            }
        }
    }
}

/// A credential accepted for issuance: VC 2.0, well-formed, with an id and `validFrom`.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialInput {
    unsigned: Map<String, Value>,
    /// The issuer.
    pub issuer: IssuerRef,
    /// The pinned CPT, if any, and the digest the request pinned (if it gave one).
    pub cpt: Option<CptPin>,
    /// Whether the request was VC 1.1 and was mapped.
    pub mapped_from_v1: bool,
}

impl IssueCredentialRequest {
    /// Parses a request body.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        serde_json::from_slice(body).map_err(|e| RequestError::Json(e.to_string()))
    }

    /// Validates the credential for issuance on chain `chain_id` at `now` (see the module docs).
    pub fn input(
        &self,
        chain_id: &str,
        now: OffsetDateTime,
    ) -> Result<CredentialInput, RequestError> {
        let mut doc = self
            .credential
            .as_object()
            .cloned()
            .ok_or(RequestError::NotAnObject("credential"))?;
        if doc.contains_key("proof") {
            return Err(RequestError::AlreadySigned);
        }
        let mapped_from_v1 = map_v1(&mut doc)?;
        let issuer_id = match doc.get("issuer") {
            None | Some(Value::Null) => return Err(RequestError::MissingIssuer),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => match o.get("id") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(RequestError::MissingIssuer),
            },
            Some(_) => return Err(RequestError::Model(ModelError::NotAUrl("issuer".into()))),
        };
        let issuer = match Did::parse(&issuer_id) {
            Ok(Did::Key(pk)) => IssuerRef::Key(pk),
            Ok(Did::Weft {
                chain_id: c,
                address,
            }) if c == chain_id => IssuerRef::Weft {
                did: issuer_id.clone(),
                address,
            },
            _ => return Err(RequestError::UnsupportedIssuer(issuer_id)),
        };
        doc.entry("id")
            .or_insert_with(|| Value::from(vc::new_urn_uuid()));
        doc.entry("validFrom")
            .or_insert_with(|| Value::from(vc::format_datetime(now)));
        model::validate_credential(&Value::Object(doc.clone()), &ModelOptions::default())?;
        let cpt = cpt_pin(&doc)?;
        Ok(CredentialInput {
            unsigned: doc,
            issuer,
            cpt,
            mapped_from_v1,
        })
    }
}

/// Maps a VC 1.1 credential to VC 2.0 in place; `true` if it was VC 1.1.
fn map_v1(doc: &mut Map<String, Value>) -> Result<bool, RequestError> {
    let first_is_v1 = match doc.get("@context") {
        Some(Value::Array(items)) => items.first().and_then(Value::as_str) == Some(CONTEXT_V1),
        Some(Value::String(s)) => s == CONTEXT_V1,
        _ => false,
    };
    if !first_is_v1 {
        return Ok(false);
    }
    for (old, new) in [
        ("issuanceDate", "validFrom"),
        ("expirationDate", "validUntil"),
    ] {
        if let Some(v) = doc.remove(old) {
            if doc.contains_key(new) {
                return Err(RequestError::MixedVersions(old));
            }
            doc.insert(new.into(), v);
        }
    }
    let mut contexts = vec![Value::from(CONTEXT_V2)];
    if let Some(Value::Array(items)) = doc.get("@context") {
        contexts.extend(items.iter().skip(1).cloned());
    }
    doc.insert("@context".into(), Value::Array(contexts));
    Ok(true)
}

/// The CPT pin among `credentialSchema` entries, if any.
fn cpt_pin(doc: &Map<String, Value>) -> Result<Option<CptPin>, RequestError> {
    let entries: &[Value] = match doc.get("credentialSchema") {
        None => return Ok(None),
        Some(v @ Value::Object(_)) => std::slice::from_ref(v),
        Some(Value::Array(items)) => items,
        Some(_) => return Ok(None),
    };
    let mut pin = None;
    for e in entries {
        let Some(id) = e.get("id").and_then(Value::as_str) else {
            continue;
        };
        if !id.starts_with(CPT_URN_PREFIX) {
            continue;
        }
        if pin.is_some() {
            return Err(VcError::BadSchemaRef("more than one CPT pin".into()).into());
        }
        let cpt = CptRef::parse_urn(id)?;
        let digest = match e.get("digestSRI") {
            None => None,
            Some(Value::String(s)) => Some(vc::parse_digest_sri(s)?),
            Some(_) => {
                return Err(VcError::BadSchemaRef("digestSRI must be a string".into()).into())
            }
        };
        pin = Some((cpt, digest));
    }
    Ok(pin)
}

impl CredentialInput {
    /// The unsigned credential as it stands.
    pub fn unsigned(&self) -> Value {
        Value::Object(self.unsigned.clone())
    }

    /// Whether the credential already carries `credentialStatus`.
    pub fn has_status(&self) -> bool {
        self.unsigned.contains_key("credentialStatus")
    }

    /// Sets `credentialStatus` to an allocated entry (for `options.status`).
    pub fn set_status(&mut self, entry: Value) -> Result<(), RequestError> {
        if self.has_status() {
            return Err(RequestError::StatusTwice);
        }
        self.unsigned.insert("credentialStatus".into(), entry);
        Ok(())
    }

    /// Signs the credential with `key` through `verification_method` (an `assertionMethod` proof
    /// created at `created`). With a CPT pin, `cpt` must be that CPT version: the pin is
    /// completed (`type`, `digestSRI`), a pinned digest must match, every subject's claims are
    /// validated and a single subject's predicate claims are committed (openings returned).
    pub fn issue(
        &self,
        cpt: Option<&CptSchema>,
        verification_method: &str,
        key: &Keypair,
        created: OffsetDateTime,
    ) -> Result<Issued, RequestError> {
        let mut doc = self.unsigned.clone();
        let mut openings = None;
        if let Some((pin, digest)) = self.cpt {
            let schema = cpt
                .filter(|s| s.cpt == pin)
                .ok_or(RequestError::CptNotSupplied(pin))?;
            if digest.is_some_and(|d| d != schema.digest) {
                return Err(VcError::DigestMismatch.into());
            }
            let full = serde_json::json!({
                "id": pin.urn(),
                "type": SCHEMA_TYPE,
                "digestSRI": schema.digest_sri(),
            });
            match doc.get_mut("credentialSchema") {
                Some(Value::Array(items)) => {
                    for e in items.iter_mut() {
                        if e.get("id").and_then(Value::as_str) == Some(pin.urn().as_str()) {
                            *e = full.clone();
                        }
                    }
                }
                Some(v) => *v = full,
                None => {}
            }
            match doc.get("credentialSubject") {
                Some(Value::Object(subject)) => {
                    let (subject, o) = vc::commit_subject(subject, schema)?;
                    openings = o;
                    doc.insert("credentialSubject".into(), subject);
                }
                Some(Value::Array(subjects)) => {
                    for s in subjects {
                        let obj = s.as_object().ok_or_else(|| {
                            VcError::Malformed("credentialSubject items must be objects".into())
                        })?;
                        let (_, o) = vc::commit_subject(obj, schema)?;
                        if o.is_some() {
                            return Err(VcError::Malformed(
                                "predicate claims need a single credentialSubject".into(),
                            )
                            .into());
                        }
                    }
                }
                _ => return Err(VcError::Malformed("credentialSubject is missing".into()).into()),
            }
        }
        let options = ProofOptions::assertion(verification_method, vc::format_datetime(created));
        let credential =
            data_integrity::sign(&Value::Object(doc), &options, key).map_err(VcError::from)?;
        Ok(Issued {
            credential,
            openings,
        })
    }
}

/// One `trustedIssuers` entry: an issuer id, or a (URL) issuer with the verification methods
/// (or DIDs) allowed to sign for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TrustedIssuer {
    /// `"did:…"` or `"https://…"` (a URL issuer also needs bound keys to pass).
    Id(String),
    /// `{"id": "https://…", "verificationMethods": ["did:key:…#…"]}`.
    Bound {
        /// The issuer.
        id: String,
        /// Methods (or DIDs) that may sign for it.
        #[serde(rename = "verificationMethods")]
        verification_methods: Vec<String>,
    },
}

/// `options` of `POST /credentials/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCredentialOptions {
    /// VC API `checks`: only these run (see [`super::policy`]).
    #[serde(default)]
    pub checks: Option<Checks>,
    /// Check status (default true; without `checks`).
    #[serde(default)]
    pub check_status: Option<bool>,
    /// Read status bits through state proofs.
    #[serde(default)]
    pub status_proof: Option<bool>,
    /// Check evidence anchoring.
    #[serde(default)]
    pub check_evidence: Option<bool>,
    /// Accept members of this issuer type instead of authority issuers.
    #[serde(default)]
    pub issuer_type: Option<String>,
    /// Issuers trusted regardless of on-chain standing.
    #[serde(default)]
    pub trusted_issuers: Vec<TrustedIssuer>,
}

impl VerifyCredentialOptions {
    /// The verifier's options at `now`.
    pub fn to_options(&self, now: OffsetDateTime) -> Result<VerifyOptions, RequestError> {
        let mut o = VerifyOptions::at(now);
        o.checks = self.checks.clone();
        o.check_status = self.check_status.unwrap_or(true);
        o.status_proof = self.status_proof.unwrap_or(false);
        o.check_evidence = self.check_evidence.unwrap_or(false)
            || self
                .checks
                .as_ref()
                .is_some_and(|c| c.contains(CheckKind::Evidence));
        if let Some(t) = &self.issuer_type {
            if t.is_empty() || t.len() > MAX_NAME_LEN {
                return Err(RequestError::BadOption(format!(
                    "issuerType must be 1..={MAX_NAME_LEN} bytes"
                )));
            }
            o.issuer_type = Some(t.clone());
        }
        if self.trusted_issuers.len() > MAX_TRUSTED {
            return Err(RequestError::BadOption(format!(
                "trustedIssuers has more than {MAX_TRUSTED} entries"
            )));
        }
        for t in &self.trusted_issuers {
            let (id, methods): (&str, &[String]) = match t {
                TrustedIssuer::Id(id) => (id.as_str(), &[][..]),
                TrustedIssuer::Bound {
                    id,
                    verification_methods,
                } => (id.as_str(), verification_methods.as_slice()),
            };
            if !model::is_url(id) || methods.len() > MAX_TRUSTED {
                return Err(RequestError::BadOption(format!(
                    "trustedIssuers: {id:?} is not a URL or has too many keys"
                )));
            }
            for m in methods {
                if !m.starts_with("did:") {
                    return Err(RequestError::BadOption(format!(
                        "trustedIssuers: {m:?} is not a DID URL"
                    )));
                }
                o.issuer_keys.push(IssuerKeyBinding {
                    issuer: id.to_string(),
                    verification_method: m.clone(),
                });
            }
            o.trusted_issuers.push(id.to_string());
        }
        Ok(o)
    }
}

/// `POST /credentials/verify` body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCredentialRequest {
    /// The secured credential.
    pub verifiable_credential: Value,
    /// Options.
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: VerifyCredentialOptions,
}

impl VerifyCredentialRequest {
    /// Parses a request body; the credential must be a JSON object.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        let r: Self =
            serde_json::from_slice(body).map_err(|e| RequestError::Json(e.to_string()))?;
        if !r.verifiable_credential.is_object() {
            return Err(RequestError::NotAnObject("verifiableCredential"));
        }
        Ok(r)
    }
}

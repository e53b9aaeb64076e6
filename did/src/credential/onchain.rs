//! Deterministic credential checks for on-chain modules (no clock, no IO: the block time and
//! chain state are the only inputs), and the one representation of a CPT pin in a credential.
//!
//! # The CPT pin
//!
//! A credential names the CPT its claims follow in `credentialSchema`:
//!
//! ```json
//! "credentialSchema": {
//!   "id": "urn:weft:cpt:1001:2",
//!   "type": "JsonSchema",
//!   "digestSRI": "sha256-<base64 of the CPT's SHA-256 digest>"
//! }
//! ```
//!
//! `id` is `urn:weft:cpt:<id>:<version>` ([`format_cpt_schema_id`] / [`parse_cpt_schema_id`]);
//! `digestSRI` is a Subresource-Integrity string over the digest the `cpt` module stores (SHA-256
//! of the schema's canonical JSON; [`format_digest_sri`] / [`parse_digest_sri`]). [`CptPin`]
//! reads and writes the whole entry.
//!
//! # What [`check_credential`] checks
//!
//! The secured VC JSON parses, has the VC 2.0 context and type and no `credentialStatus`
//! (status lists are not supported here yet: refused); the `eddsa-jcs-2022` proof verifies with
//! purpose `assertionMethod` against the issuer DID's key *as the issuer's document stood at the
//! proof's `created` time* (so a since-rotated key still verifies, and a retired key used after
//! its rotation does not), and that key was in `assertionMethod` then; the issuer is a
//! recognised authority issuer now or one the caller lists; `credentialSchema` pins the
//! expected CPT id (and version) with the on-chain digest, and the claims validate against that
//! schema (predicate claims committed in `weft:commitments` are checked as commitments, see
//! [`super::predicate::check_commitments`]); `validFrom <= now <= validUntil` when present; the subject is an active `did:weft`
//! DID of this chain. [`subject_signs`] then tells whether a transaction signer speaks for the
//! subject (an `authentication` or `capabilityInvocation` key of its current document).

use base64::Engine as _;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use weft_chain::{Address, ModuleError, PublicKey, ReadContext, TxContext};

use crate::cpt::{self, Cpt};
use crate::did::Did;
use crate::document::Relationships;
use crate::issuer::{self, IssuerReader};
use crate::registry::{self, DidReader, Selector};

use super::data_integrity::{self, DataIntegrityError};
use super::predicate;

/// The VC Data Model 2.0 base context (first `@context` entry of every credential).
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The `credentialSchema.type` of a CPT pin.
pub const CPT_SCHEMA_TYPE: &str = "JsonSchema";
/// Prefix of a CPT pin's `credentialSchema.id`.
pub const CPT_SCHEMA_ID_PREFIX: &str = "urn:weft:cpt:";
/// Largest credential text accepted on chain (bytes).
pub const MAX_CREDENTIAL_LEN: usize = 64 * 1024;

/// Why a credential was refused. [`CredentialRefusal::code`] gives a stable snake_case code for
/// each variant (the API's typed 422 reasons).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialRefusal {
    /// The text is larger than [`MAX_CREDENTIAL_LEN`].
    #[error("the credential is larger than {MAX_CREDENTIAL_LEN} bytes")]
    TooLarge,
    /// Not JSON, or a required member is missing or mistyped.
    #[error("malformed credential: {0}")]
    Malformed(String),
    /// The `@context` does not start with the VC 2.0 context, or `type` lacks
    /// `VerifiableCredential`.
    #[error("not a VC 2.0 credential: {0}")]
    NotVc2(String),
    /// The credential carries a `credentialStatus`: status lists are not supported yet here, so
    /// revocation cannot be checked and the credential is refused.
    #[error("credentialStatus is present: status lists are not supported yet, so the credential is refused")]
    StatusUnsupported,
    /// The proof is malformed, of another suite, or has another purpose than `assertionMethod`.
    #[error("proof refused: {0}")]
    Proof(String),
    /// The signature does not verify (the credential was altered, or signed by another key).
    #[error("the credential's signature does not verify")]
    BadSignature,
    /// The issuer is not a `did:weft` DID of this chain.
    #[error("issuer refused: {0}")]
    Issuer(String),
    /// The verification method is not an `assertionMethod` key of the issuer's document as it
    /// stood at the proof's `created` time (unknown, rotated away, or not for assertions).
    #[error("issuer key refused: {0}")]
    IssuerKey(String),
    /// The issuer is neither a recognised authority issuer nor one the caller accepts.
    #[error("the issuer {0} is not a recognised authority issuer and is not accepted here")]
    IssuerNotRecognised(String),
    /// `credentialSchema` is missing or is not a CPT pin.
    #[error("credentialSchema refused: {0}")]
    Schema(String),
    /// The pin names another CPT id or version than expected.
    #[error("the credential is for CPT {found}, expected {expected}")]
    WrongCpt {
        /// What was expected (`id` or `id:version`).
        expected: String,
        /// What the credential pins (`id:version`).
        found: String,
    },
    /// The pinned CPT version does not exist on chain.
    #[error("CPT {0} is not registered on chain")]
    UnknownCpt(String),
    /// The pinned digest is not the on-chain digest of that CPT version.
    #[error("the credential's CPT digest does not match the on-chain digest")]
    CptDigest,
    /// The claims do not validate against the CPT's schema.
    #[error("the claims do not validate against the CPT schema: {0}")]
    ClaimsInvalid(String),
    /// `validFrom` (or the proof's `created`) is after the block time.
    #[error("the credential is not valid yet (valid from {0})")]
    NotYetValid(String),
    /// `validUntil` (or the proof's `expires`) is before the block time.
    #[error("the credential has expired (valid until {0})")]
    Expired(String),
    /// `credentialSubject.id` is missing, not a `did:weft` DID of this chain, or not active.
    #[error("credential subject refused: {0}")]
    Subject(String),
    /// Reading chain state failed (not the credential's fault).
    #[error("state unavailable: {0}")]
    Storage(String),
}

impl CredentialRefusal {
    /// A stable snake_case code for the variant.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialRefusal::TooLarge => "too_large",
            CredentialRefusal::Malformed(_) => "malformed",
            CredentialRefusal::NotVc2(_) => "not_vc2",
            CredentialRefusal::StatusUnsupported => "status_unsupported",
            CredentialRefusal::Proof(_) => "proof_invalid",
            CredentialRefusal::BadSignature => "bad_signature",
            CredentialRefusal::Issuer(_) => "issuer_invalid",
            CredentialRefusal::IssuerKey(_) => "issuer_key",
            CredentialRefusal::IssuerNotRecognised(_) => "issuer_not_recognised",
            CredentialRefusal::Schema(_) => "schema_invalid",
            CredentialRefusal::WrongCpt { .. } => "wrong_cpt",
            CredentialRefusal::UnknownCpt(_) => "unknown_cpt",
            CredentialRefusal::CptDigest => "cpt_digest",
            CredentialRefusal::ClaimsInvalid(_) => "claims_invalid",
            CredentialRefusal::NotYetValid(_) => "not_yet_valid",
            CredentialRefusal::Expired(_) => "expired",
            CredentialRefusal::Subject(_) => "subject_invalid",
            CredentialRefusal::Storage(_) => "storage",
        }
    }
}

/// Only a state read failure is this node's fault ([`CredentialRefusal::Storage`], which aborts
/// the block); anything else a module read can answer is a refusal of the credential, recorded in
/// a failed receipt like any other, so input can never halt the chain.
impl From<ModuleError> for CredentialRefusal {
    fn from(e: ModuleError) -> Self {
        match e {
            ModuleError::Storage(s) => CredentialRefusal::Storage(s),
            other => CredentialRefusal::Malformed(other.to_string()),
        }
    }
}

fn malformed(why: impl Into<String>) -> CredentialRefusal {
    CredentialRefusal::Malformed(why.into())
}

// -- the CPT pin --

/// `urn:weft:cpt:<id>:<version>`.
pub fn format_cpt_schema_id(id: u64, version: u32) -> String {
    format!("{CPT_SCHEMA_ID_PREFIX}{id}:{version}")
}

/// Parses `urn:weft:cpt:<id>:<version>` (decimal, no sign or leading `+`; version from 1).
pub fn parse_cpt_schema_id(text: &str) -> Option<(u64, u32)> {
    let rest = text.strip_prefix(CPT_SCHEMA_ID_PREFIX)?;
    let (id, version) = rest.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(id) || !digits(version) {
        return None;
    }
    let version: u32 = version.parse().ok()?;
    (version >= 1).then_some(())?;
    Some((id.parse().ok()?, version))
}

/// `sha256-<standard base64 with padding>` of a 32-byte digest.
pub fn format_digest_sri(digest: &[u8; 32]) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Parses `sha256-<base64>` into the 32-byte digest.
pub fn parse_digest_sri(text: &str) -> Option<[u8; 32]> {
    let b64 = text.strip_prefix("sha256-")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    bytes.try_into().ok()
}

/// A credential's pin of one CPT version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CptPin {
    /// CPT id.
    pub id: u64,
    /// CPT version.
    pub version: u32,
    /// SHA-256 of the schema's canonical JSON (the on-chain digest).
    pub digest: [u8; 32],
}

impl CptPin {
    /// The pin of an on-chain CPT version.
    pub fn of(cpt: &Cpt) -> CptPin {
        CptPin {
            id: cpt.id,
            version: cpt.version,
            digest: cpt.digest.0,
        }
    }

    /// The `credentialSchema` entry.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "id": format_cpt_schema_id(self.id, self.version),
            "type": CPT_SCHEMA_TYPE,
            "digestSRI": format_digest_sri(&self.digest),
        })
    }

    /// Reads the pin from a credential's `credentialSchema` (an object, or an array holding
    /// exactly one CPT pin).
    pub fn from_credential_schema(schema: &Value) -> Result<CptPin, CredentialRefusal> {
        let bad = |why: &str| CredentialRefusal::Schema(why.to_string());
        let entry = match schema {
            Value::Object(_) => schema,
            Value::Array(items) => {
                let pins: Vec<&Value> = items
                    .iter()
                    .filter(|v| {
                        v.get("id")
                            .and_then(Value::as_str)
                            .is_some_and(|s| s.starts_with(CPT_SCHEMA_ID_PREFIX))
                    })
                    .collect();
                match pins.as_slice() {
                    [one] => *one,
                    [] => return Err(bad("no weft:cpt entry")),
                    _ => return Err(bad("more than one weft:cpt entry")),
                }
            }
            _ => return Err(bad("must be an object")),
        };
        let id = entry
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("id must be a string"))?;
        let (id, version) =
            parse_cpt_schema_id(id).ok_or_else(|| bad("id must be urn:weft:cpt:<id>:<version>"))?;
        if entry.get("type").and_then(Value::as_str) != Some(CPT_SCHEMA_TYPE) {
            return Err(bad("type must be JsonSchema"));
        }
        let digest = entry
            .get("digestSRI")
            .and_then(Value::as_str)
            .and_then(parse_digest_sri)
            .ok_or_else(|| bad("digestSRI must be sha256-<base64 of 32 bytes>"))?;
        Ok(CptPin {
            id,
            version,
            digest,
        })
    }
}

// -- state access --

/// Read access to the `cpt` namespace, from any context.
pub trait CptReader {
    /// The value at `key` of namespace `cpt`.
    fn cpt_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError>;
}

impl CptReader for TxContext<'_> {
    fn cpt_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read(cpt::NAME, key)
    }
}

impl CptReader for ReadContext<'_> {
    fn cpt_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read(cpt::NAME, key)
    }
}

/// Everything [`check_credential`] reads: DIDs, issuer standing, CPTs.
pub trait CredentialReader: IssuerReader + CptReader {}
impl<T: IssuerReader + CptReader> CredentialReader for T {}

/// A CPT version (latest if `version` is `None`) read through a [`CptReader`].
pub fn read_cpt(
    r: &impl CptReader,
    id: u64,
    version: Option<u32>,
) -> Result<Option<Cpt>, ModuleError> {
    cpt::get(|k| r.cpt_get(k), id, version)
}

/// Where the `did` module records the chain id.
const DID_CHAIN_ID_KEY: &[u8] = b"chain_id";

/// This chain's id, as the `did` module recorded it at genesis.
pub fn chain_id(r: &impl DidReader) -> Result<Option<String>, ModuleError> {
    Ok(r.did_get(DID_CHAIN_ID_KEY)?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// The address of a `did:weft` DID of chain `chain`; the reason otherwise.
pub fn weft_address(did: &str, chain: &str) -> Result<Address, String> {
    match Did::parse(did) {
        Ok(Did::Weft { chain_id, address }) if chain_id == chain => Ok(address),
        Ok(Did::Weft { chain_id, .. }) => Err(format!("{did} is a DID of chain {chain_id:?}")),
        Ok(Did::Key(_)) => Err(format!("{did} is not a did:weft DID registered on chain")),
        Err(e) => Err(format!("{did:?}: {e}")),
    }
}

/// Whether `signer` is the address of an `authentication` or `capabilityInvocation` key of the
/// current document of the active DID at `subject`.
pub fn subject_signs(
    r: &impl DidReader,
    subject: &Address,
    signer: &Address,
) -> Result<bool, ModuleError> {
    let Some(res) = registry::resolve(r, subject, Selector::Latest)? else {
        return Ok(false);
    };
    if res.head.deactivated || res.record.deactivated {
        return Ok(false);
    }
    Ok(res.record.state.keys.iter().any(|k| {
        (k.relationships.has(Relationships::AUTHENTICATION)
            || k.relationships.has(Relationships::CAPABILITY_INVOCATION))
            && k.public_key.address() == *signer
    }))
}

// -- the check --

/// What the caller accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations<'a> {
    /// The CPT id the credential must pin.
    pub cpt_id: u64,
    /// The CPT version it must pin (any registered version if `None`).
    pub cpt_version: Option<u32>,
    /// Issuers accepted besides recognised authority issuers (addresses of their DIDs).
    pub issuers: &'a [Address],
    /// The block time (ms since the epoch).
    pub now_ms: u64,
}

/// A credential that passed [`check_credential`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedCredential {
    /// The issuer DID's address.
    pub issuer: Address,
    /// The subject DID (`credentialSubject.id`).
    pub subject_did: String,
    /// The subject DID's address.
    pub subject: Address,
    /// The pinned CPT version.
    pub pin: CptPin,
    /// `credentialSubject` (the claims, with `id`).
    pub claims: Map<String, Value>,
    /// The proof's `created` time (ms since the epoch).
    pub created_ms: u64,
}

fn time_ms(name: &str, value: &Value) -> Result<u64, CredentialRefusal> {
    let text = value
        .as_str()
        .ok_or_else(|| malformed(format!("{name} must be a string")))?;
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| malformed(format!("{name} must be an RFC 3339 date-time")))?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| malformed(format!("{name} is before 1970")))
}

fn offset_ms(t: OffsetDateTime) -> Result<u64, CredentialRefusal> {
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| CredentialRefusal::Proof("created is before 1970".into()))
}

/// Checks a secured credential (its JSON text) against chain state at block time
/// `expect.now_ms`. Deterministic: no clock, no IO.
pub fn check_credential(
    r: &impl CredentialReader,
    text: &str,
    expect: &Expectations<'_>,
) -> Result<AcceptedCredential, CredentialRefusal> {
    if text.len() > MAX_CREDENTIAL_LEN {
        return Err(CredentialRefusal::TooLarge);
    }
    let vc: Value = serde_json::from_str(text).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let doc = vc
        .as_object()
        .ok_or_else(|| malformed("a credential is a JSON object"))?;

    // VC 2.0 shape.
    let first_context = match doc.get("@context") {
        Some(Value::Array(items)) => items.first().and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    if first_context != Some(VC_V2_CONTEXT) {
        return Err(CredentialRefusal::NotVc2(format!(
            "@context must start with {VC_V2_CONTEXT}"
        )));
    }
    let typed = match doc.get("type") {
        Some(Value::Array(items)) => items
            .iter()
            .any(|t| t.as_str() == Some("VerifiableCredential")),
        Some(Value::String(s)) => s == "VerifiableCredential",
        _ => false,
    };
    if !typed {
        return Err(CredentialRefusal::NotVc2(
            "type must include VerifiableCredential".into(),
        ));
    }
    if doc.contains_key("credentialStatus") {
        return Err(CredentialRefusal::StatusUnsupported);
    }
    let chain = chain_id(r)?.ok_or_else(|| CredentialRefusal::Storage("no chain id".into()))?;

    // Issuer.
    let issuer_did = match doc.get("issuer") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("issuer.id must be a string"))?,
        _ => return Err(malformed("issuer must be a DID or an object with an id")),
    };
    let issuer = weft_address(issuer_did, &chain).map_err(CredentialRefusal::Issuer)?;

    // Proof: the issuer's assertion key as its document stood at `created`.
    let method = data_integrity::verification_method(&vc)
        .map_err(|e| CredentialRefusal::Proof(e.to_string()))?
        .to_string();
    let created_ms = vc
        .get("proof")
        .and_then(|p| p.get("created"))
        .ok_or_else(|| CredentialRefusal::Proof("proof.created is required".into()))
        .and_then(|v| time_ms("proof.created", v))?;
    let (method_did, fragment) = method
        .split_once('#')
        .ok_or_else(|| CredentialRefusal::IssuerKey(format!("{method} has no #fragment")))?;
    if method_did != issuer_did {
        return Err(CredentialRefusal::IssuerKey(format!(
            "{method} is not a key of the issuer {issuer_did}"
        )));
    }
    let at_created =
        registry::resolve(r, &issuer, Selector::Time(created_ms))?.ok_or_else(|| {
            CredentialRefusal::IssuerKey(
                "the issuer's DID did not exist at the proof's created time".into(),
            )
        })?;
    if at_created.record.deactivated {
        return Err(CredentialRefusal::IssuerKey(
            "the issuer's DID was deactivated at the proof's created time".into(),
        ));
    }
    let key: PublicKey = at_created
        .record
        .state
        .keys
        .iter()
        .find(|k| k.fragment == fragment)
        .filter(|k| k.relationships.has(Relationships::ASSERTION_METHOD))
        .map(|k| k.public_key)
        .ok_or_else(|| {
            CredentialRefusal::IssuerKey(format!(
                "#{fragment} was not an assertionMethod key of the issuer at the proof's created \
                 time (version {})",
                at_created.version
            ))
        })?;
    let verified = data_integrity::verify(&vc, |_| Ok(key)).map_err(|e| match e {
        DataIntegrityError::BadSignature => CredentialRefusal::BadSignature,
        other => CredentialRefusal::Proof(other.to_string()),
    })?;
    if verified.proof_purpose != "assertionMethod" {
        return Err(CredentialRefusal::Proof(format!(
            "proofPurpose is {:?}, expected assertionMethod",
            verified.proof_purpose
        )));
    }
    if let Some(created) = verified.created {
        if offset_ms(created)? > expect.now_ms {
            return Err(CredentialRefusal::NotYetValid(format!(
                "proof created {created}"
            )));
        }
    }
    if let Some(expires) = verified.expires {
        if offset_ms(expires)? < expect.now_ms {
            return Err(CredentialRefusal::Expired(format!(
                "proof expires {expires}"
            )));
        }
    }

    // Issuer standing: recognised now, or accepted by the caller.
    if !expect.issuers.contains(&issuer) && !issuer::is_authority_issuer(r, &issuer)? {
        return Err(CredentialRefusal::IssuerNotRecognised(
            issuer_did.to_string(),
        ));
    }

    // Schema pin.
    let pin = CptPin::from_credential_schema(
        doc.get("credentialSchema")
            .ok_or_else(|| CredentialRefusal::Schema("credentialSchema is missing".into()))?,
    )?;
    let expected = match expect.cpt_version {
        Some(v) => format!("{}:{v}", expect.cpt_id),
        None => expect.cpt_id.to_string(),
    };
    if pin.id != expect.cpt_id || expect.cpt_version.is_some_and(|v| v != pin.version) {
        return Err(CredentialRefusal::WrongCpt {
            expected,
            found: format!("{}:{}", pin.id, pin.version),
        });
    }
    let cpt = read_cpt(r, pin.id, Some(pin.version))?
        .ok_or_else(|| CredentialRefusal::UnknownCpt(format!("{}:{}", pin.id, pin.version)))?;
    if cpt.digest.0 != pin.digest {
        return Err(CredentialRefusal::CptDigest);
    }

    // Validity period (block time).
    if let Some(from) = doc.get("validFrom") {
        if time_ms("validFrom", from)? > expect.now_ms {
            return Err(CredentialRefusal::NotYetValid(
                from.as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    if let Some(until) = doc.get("validUntil") {
        if time_ms("validUntil", until)? < expect.now_ms {
            return Err(CredentialRefusal::Expired(
                until.as_str().unwrap_or_default().to_string(),
            ));
        }
    }

    // Subject and claims.
    let claims = match doc.get("credentialSubject") {
        Some(Value::Object(o)) => o.clone(),
        _ => {
            return Err(CredentialRefusal::Subject(
                "credentialSubject must be one object".into(),
            ))
        }
    };
    let subject_did = claims
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| CredentialRefusal::Subject("credentialSubject.id is missing".into()))?
        .to_string();
    let subject = weft_address(&subject_did, &chain).map_err(CredentialRefusal::Subject)?;
    if !registry::is_active(r, &subject)? {
        return Err(CredentialRefusal::Subject(format!(
            "{subject_did} is not an active DID on this chain"
        )));
    }
    let schema: Value = serde_json::from_str(&cpt.schema)
        .map_err(|e| CredentialRefusal::Schema(format!("the CPT schema does not compile: {e}")))?;
    // Predicate claims committed in `weft:commitments` are checked as commitments, the rest
    // against the schema without them (as `vc::CptSchema::validate_claims` does).
    let marked = predicate::predicate_claims(&schema);
    let committed = !marked.is_empty() && claims.contains_key(predicate::COMMITMENTS_PROPERTY);
    let (schema, required_marked) = if committed {
        predicate::commitment_view(&schema, &marked)
    } else {
        (schema, Vec::new())
    };
    let validator = jsonschema::draft202012::new(&schema)
        .map_err(|e| CredentialRefusal::Schema(format!("the CPT schema does not compile: {e}")))?;
    let mut subject_value = claims.clone();
    if committed {
        subject_value.remove(predicate::COMMITMENTS_PROPERTY);
    }
    let subject_value = Value::Object(subject_value);
    if committed {
        predicate::check_commitments(&claims, &marked, &required_marked)
            .map_err(|e| CredentialRefusal::ClaimsInvalid(e.to_string()))?;
    }
    if let Some(err) = validator.iter_errors(&subject_value).next() {
        return Err(CredentialRefusal::ClaimsInvalid(err.to_string()));
    }

    Ok(AcceptedCredential {
        issuer,
        subject_did,
        subject,
        pin,
        claims,
        created_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Only a state read failure may become `Storage` (which aborts the block): every other
    /// module error met while checking a credential is a refusal recorded in a failed receipt,
    /// so no input can halt the chain (THREATS.md F2).
    #[test]
    fn only_a_storage_failure_is_a_storage_refusal() {
        assert!(matches!(
            CredentialRefusal::from(ModuleError::Storage("disk".into())),
            CredentialRefusal::Storage(_)
        ));
        for e in [
            ModuleError::NotFound("did".into()),
            ModuleError::InvalidArgs("x".into()),
            ModuleError::Unauthorized("x".into()),
            ModuleError::Rejected("x".into()),
            ModuleError::refused("some_code", "x"),
        ] {
            let refusal = CredentialRefusal::from(e.clone());
            assert!(
                !matches!(refusal, CredentialRefusal::Storage(_)),
                "{e:?} became a storage fault"
            );
        }
    }

    #[test]
    fn schema_id_round_trips_and_rejects_junk() {
        assert_eq!(format_cpt_schema_id(1001, 2), "urn:weft:cpt:1001:2");
        assert_eq!(parse_cpt_schema_id("urn:weft:cpt:1001:2"), Some((1001, 2)));
        for bad in [
            "urn:weft:cpt:1001",
            "urn:weft:cpt::2",
            "urn:weft:cpt:1001:0",
            "urn:weft:cpt:+1:2",
            "urn:weft:cpt:1:2:3",
            "cpt:1:2",
            "urn:weft:cpt:99999999999999999999999:1",
        ] {
            assert_eq!(parse_cpt_schema_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn digest_sri_round_trips() {
        let d = [7u8; 32];
        let s = format_digest_sri(&d);
        assert!(s.starts_with("sha256-"));
        assert_eq!(parse_digest_sri(&s), Some(d));
        assert_eq!(parse_digest_sri("sha384-AAAA"), None);
        assert_eq!(parse_digest_sri("sha256-AAAA"), None);
    }

    #[test]
    fn pin_round_trips_through_json() {
        let pin = CptPin {
            id: 5,
            version: 3,
            digest: [9; 32],
        };
        assert_eq!(CptPin::from_credential_schema(&pin.to_json()), Ok(pin));
        let arr = Value::Array(vec![
            serde_json::json!({"id": "https://example.org/s", "type": "JsonSchema"}),
            pin.to_json(),
        ]);
        assert_eq!(CptPin::from_credential_schema(&arr), Ok(pin));
        let mut wrong = pin.to_json();
        wrong["type"] = "Other".into();
        assert!(matches!(
            CptPin::from_credential_schema(&wrong),
            Err(CredentialRefusal::Schema(_))
        ));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in ".{0,80}") {
            let _ = parse_cpt_schema_id(&s);
            let _ = parse_digest_sri(&s);
        }
    }
}

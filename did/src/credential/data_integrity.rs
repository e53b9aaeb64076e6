//! Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite, as W3C vc-di-eddsa defines it.
//!
//! Creating a proof over an unsecured document `D` with proof options `O` (which carry `type`,
//! `cryptosuite`, `created`, `verificationMethod`, `proofPurpose` and, for presentations,
//! `challenge`, `domain`, `expires`):
//!
//! 1. if `D` has an `@context`, `O.@context` is set to it;
//! 2. `hashData = SHA-256(JCS(O)) ‖ SHA-256(JCS(D))` (RFC 8785 canonical JSON);
//! 3. `proofValue = "z" + base58btc(Ed25519-sign(hashData))`, and `D.proof = O + proofValue`.
//!
//! Verifying reverses it: the proof's `@context` (if any) must be a prefix of the document's, the
//! document without `proof` is canonicalised, and the signature is checked with the key the
//! caller resolved from `verificationMethod` — resolution (did:key locally, did:weft against the
//! chain at the right version) and the purpose check (is this key in the controller's
//! `assertionMethod`?) belong to the caller, which knows where the document came from.
//!
//! Everything here is deterministic and does no IO, so an on-chain module may call it.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use weft_chain::{Keypair, PublicKey, Signature};

/// The proof `type`.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The cryptosuite name.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// Largest secured document accepted for verification (bytes of its canonical form).
pub const MAX_DOCUMENT_LEN: usize = 256 * 1024;

/// Why a proof could not be created or did not verify. Each variant says which rule failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataIntegrityError {
    /// The document or proof is not shaped as the specification requires.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The proof uses another type or cryptosuite.
    #[error("unsupported proof: {0}")]
    Unsupported(String),
    /// The proof's `@context` is not a prefix of the document's.
    #[error("the proof's @context is not a prefix of the document's @context")]
    ContextMismatch,
    /// The verification method could not be resolved to a key.
    #[error("verification method {method}: {reason}")]
    Resolution {
        /// The `verificationMethod` DID URL.
        method: String,
        /// Why it did not resolve.
        reason: String,
    },
    /// The signature does not verify over this document and these options.
    #[error("the signature does not verify")]
    BadSignature,
    /// The document is larger than [`MAX_DOCUMENT_LEN`].
    #[error("document larger than {MAX_DOCUMENT_LEN} bytes")]
    TooLarge,
}

/// Options of a new proof. `type` and `cryptosuite` are fixed by this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// The DID URL of the signing key (`did:weft:…#key-1`, `did:key:z6Mk…#z6Mk…`).
    pub verification_method: String,
    /// `assertionMethod` for credentials, `authentication` for presentations.
    pub proof_purpose: String,
    /// When the proof was made, an RFC 3339 / XML Schema dateTime (`2026-11-21T10:00:00Z`).
    pub created: Option<String>,
    /// When the proof stops being acceptable.
    pub expires: Option<String>,
    /// The verifier's challenge (presentations).
    pub challenge: Option<String>,
    /// The verifier's domain (presentations).
    pub domain: Option<String>,
}

impl ProofOptions {
    /// Options for an issuer's assertion, created at `created`.
    pub fn assertion(verification_method: impl Into<String>, created: impl Into<String>) -> Self {
        ProofOptions {
            verification_method: verification_method.into(),
            proof_purpose: "assertionMethod".into(),
            created: Some(created.into()),
            expires: None,
            challenge: None,
            domain: None,
        }
    }

    fn to_json(&self) -> Result<Map<String, Value>, DataIntegrityError> {
        let mut m = Map::new();
        m.insert("type".into(), PROOF_TYPE.into());
        m.insert("cryptosuite".into(), CRYPTOSUITE.into());
        if let Some(created) = &self.created {
            check_datetime("created", created)?;
            m.insert("created".into(), created.clone().into());
        }
        if let Some(expires) = &self.expires {
            check_datetime("expires", expires)?;
            m.insert("expires".into(), expires.clone().into());
        }
        if self.verification_method.is_empty() {
            return Err(malformed("verificationMethod is empty"));
        }
        m.insert(
            "verificationMethod".into(),
            self.verification_method.clone().into(),
        );
        if self.proof_purpose.is_empty() {
            return Err(malformed("proofPurpose is empty"));
        }
        m.insert("proofPurpose".into(), self.proof_purpose.clone().into());
        if let Some(challenge) = &self.challenge {
            m.insert("challenge".into(), challenge.clone().into());
        }
        if let Some(domain) = &self.domain {
            m.insert("domain".into(), domain.clone().into());
        }
        Ok(m)
    }
}

/// What a verified proof said. The caller still decides whether the purpose, method, times,
/// challenge and domain are the ones it expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The `verificationMethod` whose key verified the signature.
    pub verification_method: String,
    /// The `proofPurpose`.
    pub proof_purpose: String,
    /// `created`, if present.
    pub created: Option<OffsetDateTime>,
    /// `expires`, if present.
    pub expires: Option<OffsetDateTime>,
    /// `challenge`, if present.
    pub challenge: Option<String>,
    /// `domain`, if present.
    pub domain: Option<String>,
}

/// Adds an `eddsa-jcs-2022` proof to `unsecured` (which must be a JSON object without `proof`)
/// and returns the secured document.
pub fn sign(
    unsecured: &Value,
    options: &ProofOptions,
    key: &Keypair,
) -> Result<Value, DataIntegrityError> {
    let doc = unsecured
        .as_object()
        .ok_or_else(|| malformed("the document must be a JSON object"))?;
    if doc.contains_key("proof") {
        return Err(malformed(
            "the document already has a proof (proof sets are not supported)",
        ));
    }
    let mut proof = options.to_json()?;
    if let Some(context) = doc.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash_data = hash_data(&proof, doc)?;
    let signature = key.sign(&hash_data);
    proof.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(signature.as_bytes()).into_string()).into(),
    );
    let mut secured = doc.clone();
    secured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// The `verificationMethod` of `secured`'s proof, so the caller can resolve its key.
pub fn verification_method(secured: &Value) -> Result<&str, DataIntegrityError> {
    let proof = proof_of(secured)?;
    proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("proof.verificationMethod must be a string"))
}

/// Verifies the `eddsa-jcs-2022` proof of `secured` with the key that `resolve` returns for its
/// `verificationMethod` (an error string from `resolve` becomes [`DataIntegrityError::Resolution`]).
pub fn verify(
    secured: &Value,
    resolve: impl FnOnce(&str) -> Result<PublicKey, String>,
) -> Result<VerifiedProof, DataIntegrityError> {
    let doc = secured
        .as_object()
        .ok_or_else(|| malformed("the document must be a JSON object"))?;
    let proof = proof_of(secured)?;
    let string = |name: &str| -> Result<Option<String>, DataIntegrityError> {
        match proof.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(malformed(&format!("proof.{name} must be a string"))),
        }
    };
    let kind = string("type")?.unwrap_or_default();
    if kind != PROOF_TYPE {
        return Err(DataIntegrityError::Unsupported(format!(
            "proof type {kind:?} (expected {PROOF_TYPE})"
        )));
    }
    let suite = string("cryptosuite")?.unwrap_or_default();
    if suite != CRYPTOSUITE {
        return Err(DataIntegrityError::Unsupported(format!(
            "cryptosuite {suite:?} (expected {CRYPTOSUITE})"
        )));
    }
    let method = string("verificationMethod")?
        .ok_or_else(|| malformed("proof.verificationMethod is missing"))?;
    let purpose =
        string("proofPurpose")?.ok_or_else(|| malformed("proof.proofPurpose is missing"))?;
    let created = string("created")?
        .map(|t| check_datetime("created", &t))
        .transpose()?;
    let expires = string("expires")?
        .map(|t| check_datetime("expires", &t))
        .transpose()?;
    let proof_value =
        string("proofValue")?.ok_or_else(|| malformed("proof.proofValue is missing"))?;
    let signature = decode_proof_value(&proof_value)?;

    let mut options = proof.clone();
    options.remove("proofValue");
    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    if let Some(proof_context) = options.get("@context") {
        if !context_is_prefix(proof_context, doc.get("@context")) {
            return Err(DataIntegrityError::ContextMismatch);
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    let hash_data = hash_data(&options, &unsecured)?;
    let key = resolve(&method).map_err(|reason| DataIntegrityError::Resolution {
        method: method.clone(),
        reason,
    })?;
    if !key.verify(&hash_data, &signature) {
        return Err(DataIntegrityError::BadSignature);
    }
    Ok(VerifiedProof {
        verification_method: method,
        proof_purpose: purpose,
        created,
        expires,
        challenge: string("challenge")?,
        domain: string("domain")?,
    })
}

/// `SHA-256(JCS(proof options)) ‖ SHA-256(JCS(document))`.
fn hash_data(
    options: &Map<String, Value>,
    document: &Map<String, Value>,
) -> Result<Vec<u8>, DataIntegrityError> {
    let canonical = |m: &Map<String, Value>| {
        serde_json_canonicalizer::to_vec(m)
            .map_err(|e| malformed(&format!("cannot canonicalise: {e}")))
    };
    let document = canonical(document)?;
    if document.len() > MAX_DOCUMENT_LEN {
        return Err(DataIntegrityError::TooLarge);
    }
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&Sha256::digest(canonical(options)?));
    out.extend_from_slice(&Sha256::digest(document));
    Ok(out)
}

fn proof_of(secured: &Value) -> Result<&Map<String, Value>, DataIntegrityError> {
    match secured.get("proof") {
        Some(Value::Object(p)) => Ok(p),
        Some(Value::Array(_)) => Err(DataIntegrityError::Unsupported(
            "proof sets and chains (an array of proofs)".into(),
        )),
        Some(_) => Err(malformed("proof must be an object")),
        None => Err(malformed("the document has no proof")),
    }
}

fn decode_proof_value(text: &str) -> Result<Signature, DataIntegrityError> {
    let body = text
        .strip_prefix('z')
        .ok_or_else(|| malformed("proofValue must be multibase base58btc ('z…')"))?;
    let bytes = bs58::decode(body)
        .into_vec()
        .map_err(|_| malformed("proofValue is not base58btc"))?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|_| malformed("proofValue must hold a 64-byte Ed25519 signature"))?;
    Ok(Signature(bytes))
}

/// Whether the proof's `@context` values are the first values of the document's, in order.
fn context_is_prefix(proof_context: &Value, doc_context: Option<&Value>) -> bool {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let Some(doc_context) = doc_context else {
        return false;
    };
    let (proof, doc) = (as_list(proof_context), as_list(doc_context));
    proof.len() <= doc.len() && proof.iter().zip(&doc).all(|(a, b)| a == b)
}

fn check_datetime(name: &str, text: &str) -> Result<OffsetDateTime, DataIntegrityError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        malformed(&format!(
            "{name} must be an RFC 3339 date-time, got {text:?}"
        ))
    })
}

fn malformed(why: &str) -> DataIntegrityError {
    DataIntegrityError::Malformed(why.to_string())
}

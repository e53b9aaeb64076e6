//! Verifiable Presentations (VC Data Model 2.0): a holder wraps one or more credentials and signs
//! them with an `eddsa-jcs-2022` proof whose purpose is `authentication`, binding the verifier's
//! `challenge` and `domain` and an `expires` time inside the signed proof options, so a
//! presentation cannot be replayed to another verifier, for another challenge, or late.
//!
//! # Predicate proofs
//!
//! [`present_with_predicates`] adds `"weft:predicates"` to the presentation before the holder
//! signs it (so the holder's signature covers it):
//!
//! ```json
//! "weft:predicates": [
//!   {"credential": 0, "claim": "age", "predicate": {"gte": 18}, "proof": "<base64url>"}
//! ]
//! ```
//!
//! `credential` indexes `verifiableCredential`; the proof shows the value committed in that
//! credential's `credentialSubject["weft:commitments"][claim]` satisfies `predicate`
//! (`{"gte": n}`, `{"lte": n}` or `{"between": [a, b]}`), under the context
//! [`predicate_context`]`(challenge, domain, credential id, claim)`. A credential without `id`
//! cannot be bound and is refused.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use weft_chain::Keypair;

use super::data_integrity::{self, ProofOptions};
use super::predicate::{
    self, predicate_context, HolderOpenings, Predicate, PredicateError, MAX_PREDICATES,
    PRESENTATION_PROPERTY,
};
use super::vc::{check_context, check_types, format_datetime, VcError, CONTEXT_V2};

/// The base type of every presentation.
pub const VP_TYPE: &str = "VerifiablePresentation";
/// Most credentials in one presentation.
pub const MAX_CREDENTIALS: usize = 32;

/// What the holder signs.
#[derive(Debug, Clone, PartialEq)]
pub struct PresentRequest {
    /// The presentation's `id` (a fresh `urn:uuid:` if `None`).
    pub id: Option<String>,
    /// The holder's DID (the controller of `verification_method`).
    pub holder: String,
    /// The credentials (secured documents), 1..=[`MAX_CREDENTIALS`].
    pub credentials: Vec<Value>,
    /// The verifier's challenge (nonce).
    pub challenge: String,
    /// The verifier's domain.
    pub domain: String,
    /// When the proof is made.
    pub created: OffsetDateTime,
    /// When the presentation stops being acceptable.
    pub expires: OffsetDateTime,
}

/// One predicate the holder proves in a presentation.
#[derive(Debug, Clone, Copy)]
pub struct PredicateRequest<'a> {
    /// Index into [`PresentRequest::credentials`].
    pub credential: usize,
    /// The committed claim.
    pub claim: &'a str,
    /// What to prove about it.
    pub predicate: Predicate,
    /// The holder's openings of that credential (from its issuance).
    pub openings: &'a HolderOpenings,
}

/// Builds and signs a presentation with the holder's `authentication` key.
pub fn present(
    req: &PresentRequest,
    verification_method: &str,
    key: &Keypair,
) -> Result<Value, VcError> {
    present_with_predicates(req, &[], verification_method, key)
}

/// The `weft:predicates` entry proving `p` (see the module docs).
fn prove_entry(req: &PresentRequest, p: &PredicateRequest<'_>) -> Result<Value, VcError> {
    let i = p.credential;
    let vc = req.credentials.get(i).ok_or_else(|| {
        VcError::Malformed(format!(
            "predicate on credential {i}, which is not presented"
        ))
    })?;
    let parsed = super::vc::parse(vc)?;
    let id = parsed.id.ok_or_else(|| {
        VcError::Malformed(format!(
            "credential {i} has no id, so a predicate proof cannot be bound to it"
        ))
    })?;
    let commitment = predicate::subject_commitment(&parsed.subject, p.claim)?;
    let opening = p
        .openings
        .get(p.claim)
        .ok_or_else(|| PredicateError::MissingClaim(p.claim.to_string()))?;
    if opening.commit() != commitment {
        return Err(PredicateError::OpeningMismatch(p.claim.to_string()).into());
    }
    let context = predicate_context(&req.challenge, &req.domain, &id, p.claim);
    let proof = predicate::prove(opening, &p.predicate, &context)?;
    Ok(serde_json::json!({
        "credential": i,
        "claim": p.claim,
        "predicate": p.predicate.to_wire(),
        "proof": proof.to_base64url(),
    }))
}

/// [`present`], with a predicate proof for each of `predicates` in `weft:predicates` (at most
/// [`MAX_PREDICATES`]). Fails if a credential has no `id` or no commitment to the claim, the
/// openings do not open it, or the value does not satisfy the predicate.
pub fn present_with_predicates(
    req: &PresentRequest,
    predicates: &[PredicateRequest<'_>],
    verification_method: &str,
    key: &Keypair,
) -> Result<Value, VcError> {
    if predicates.len() > MAX_PREDICATES {
        return Err(VcError::Malformed(format!(
            "at most {MAX_PREDICATES} predicate proofs per presentation"
        )));
    }
    if req.credentials.is_empty() || req.credentials.len() > MAX_CREDENTIALS {
        return Err(VcError::Malformed(format!(
            "a presentation holds 1..={MAX_CREDENTIALS} credentials"
        )));
    }
    if req.expires <= req.created {
        return Err(VcError::BadDate("expires must be after created".into()));
    }
    let mut vp = Map::new();
    vp.insert("@context".into(), Value::Array(vec![CONTEXT_V2.into()]));
    vp.insert(
        "id".into(),
        req.id
            .clone()
            .unwrap_or_else(super::vc::new_urn_uuid)
            .into(),
    );
    vp.insert("type".into(), Value::Array(vec![VP_TYPE.into()]));
    vp.insert("holder".into(), req.holder.clone().into());
    vp.insert(
        "verifiableCredential".into(),
        Value::Array(req.credentials.clone()),
    );
    if !predicates.is_empty() {
        let entries = predicates
            .iter()
            .map(|p| prove_entry(req, p))
            .collect::<Result<Vec<_>, _>>()?;
        vp.insert(PRESENTATION_PROPERTY.into(), Value::Array(entries));
    }
    let options = ProofOptions {
        verification_method: verification_method.to_string(),
        proof_purpose: "authentication".into(),
        created: Some(format_datetime(req.created)),
        expires: Some(format_datetime(req.expires)),
        challenge: Some(req.challenge.clone()),
        domain: Some(req.domain.clone()),
    };
    Ok(data_integrity::sign(&Value::Object(vp), &options, key)?)
}

/// A presentation's structure (the proof is checked by the verifier).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPresentation {
    /// `id`, if any.
    pub id: Option<String>,
    /// `holder`, if any (the verifier requires it for holder binding).
    pub holder: Option<String>,
    /// The enclosed credentials.
    pub credentials: Vec<Value>,
}

/// Parses a presentation strictly: first the VC Data Model rules for presentations
/// ([`super::model::validate_presentation`]), then VC 2.0 context, `VerifiablePresentation`
/// type, a string `holder` (or `holder.id`), and at most [`MAX_CREDENTIALS`] credential objects
/// (none is well-formed; the verifier refuses it).
pub fn parse(vp: &Value) -> Result<ParsedPresentation, VcError> {
    super::model::validate_presentation(vp, &super::model::ModelOptions::default())?;
    let doc = vp
        .as_object()
        .ok_or_else(|| VcError::Malformed("a presentation must be a JSON object".into()))?;
    check_context(doc)?;
    check_types(doc, VP_TYPE)?;
    let id = match doc.get("id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(VcError::Malformed("id must be a string".into())),
    };
    let holder = match doc.get("holder") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => Some(
            o.get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| VcError::Malformed("holder object without a string id".into()))?
                .to_string(),
        ),
        Some(_) => return Err(VcError::Malformed("holder must be a string".into())),
    };
    // The data model allows a presentation without credentials; the verifier's `credentials`
    // check refuses one (`no_credentials`), so it is well-formed but never verifies.
    let credentials = match doc.get("verifiableCredential") {
        None => Vec::new(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        Some(Value::Array(items))
            if items.len() <= MAX_CREDENTIALS && items.iter().all(Value::is_object) =>
        {
            items.clone()
        }
        _ => {
            return Err(VcError::Malformed(format!(
                "verifiableCredential must hold at most {MAX_CREDENTIALS} credential objects"
            )))
        }
    };
    Ok(ParsedPresentation {
        id,
        holder,
        credentials,
    })
}

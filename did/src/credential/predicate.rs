//! Predicate proofs over issuer-signed Pedersen commitments (Bulletproofs, via `weft-zk`).
//!
//! # Which claims
//!
//! A CPT marks a numeric claim as provable by the schema keyword `"x-weft-predicate": true` on an
//! `"type": "integer"` property of `credentialSubject` (values must be in `0..=u64::MAX`), e.g.
//! `{"age": {"type": "integer", "minimum": 0, "x-weft-predicate": true}}`. [`predicate_claims`]
//! lists them.
//!
//! # Flow
//!
//! 1. Issuer (`vc::issue_with_openings`): validates the full subject against the CPT, then
//!    [`commit_claims`] commits to each marked value with fresh blinding; the JSON goes to
//!    `credentialSubject["weft:commitments"]` (`{"age": "<base64url>"}`, signed with the rest of
//!    the credential) and the plain value is removed from the credential. The holder gets the
//!    [`HolderOpenings`] — the secret it needs, zeroized on drop, not serde, not printed by
//!    `Debug`, exported only through [`HolderOpenings::to_wallet_string`].
//! 2. Verifier of the credential: the schema check uses [`commitment_view`] (the schema without
//!    the marked claims) and [`check_commitments`] (every required marked claim committed, every
//!    commitment well-formed, no marked claim in plain).
//! 3. Holder: [`prove`] an opening satisfies a [`Predicate`] under a context made by
//!    [`predicate_context`] from the verifier's challenge, domain and the credential id
//!    (`presentation::present_with_predicates` puts the proofs in the presentation's
//!    [`PRESENTATION_PROPERTY`]).
//! 4. Verifier: [`verify_predicate`] against the commitment it read from the verified credential
//!    and the same context (`verify::verify_presentation` does so for every entry). A proof never
//!    verifies for another commitment, bound, or context.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use weft_zk::{Commitment, Context, IntervalProof, IntervalStatement, Opening};
use zeroize::Zeroizing;

/// The schema keyword marking an integer claim as provable by predicate.
pub const PREDICATE_KEYWORD: &str = "x-weft-predicate";
/// The `credentialSubject` property holding the commitments.
pub const COMMITMENTS_PROPERTY: &str = "weft:commitments";
/// Domain separator of [`predicate_context`].
pub const CONTEXT_DOMAIN: &[u8] = b"weft/vc/predicate/v1";
/// Prefix of [`HolderOpenings::to_wallet_string`].
pub const WALLET_PREFIX: &str = "weft-openings-v1.";
/// The presentation property holding predicate proofs (see [`crate::credential::presentation`]).
pub const PRESENTATION_PROPERTY: &str = "weft:predicates";
/// Most predicate proofs in one presentation.
pub const MAX_PREDICATES: usize = 16;

/// Why a commitment, proof or predicate could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredicateError {
    /// A marked claim is missing from the subject.
    #[error("claim {0:?} is missing")]
    MissingClaim(String),
    /// A marked claim is not an integer in `0..=u64::MAX`.
    #[error("claim {0:?} is not a non-negative integer")]
    NotAnInteger(String),
    /// The value does not satisfy the predicate, so no proof can be made.
    #[error("the value does not satisfy the predicate")]
    Unsatisfied,
    /// The predicate's interval is empty (`a > b`).
    #[error("empty interval")]
    EmptyInterval,
    /// The proof does not verify for this commitment, predicate and context.
    #[error("the predicate proof does not verify")]
    Invalid,
    /// A commitment, proof or wallet export is not validly encoded.
    #[error("bad encoding: {0}")]
    Encoding(String),
    /// The prover failed for another reason.
    #[error("proving failed")]
    Prover,
    /// The holder's opening does not open the credential's commitment to this claim.
    #[error("the opening of {0:?} does not match the credential's commitment")]
    OpeningMismatch(String),
}

type Result<T> = std::result::Result<T, PredicateError>;

/// A statement about a committed value. Serialised as `{"op": "gte"|"lte"|"between", …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Predicate {
    /// `v >= value`.
    #[serde(rename = "gte")]
    AtLeast {
        /// The bound.
        value: u64,
    },
    /// `v <= value`.
    #[serde(rename = "lte")]
    AtMost {
        /// The bound.
        value: u64,
    },
    /// `lower <= v <= upper`.
    Between {
        /// Inclusive lower bound.
        lower: u64,
        /// Inclusive upper bound.
        upper: u64,
    },
}

impl Predicate {
    /// The inclusive interval `[a, b]` the predicate stands for.
    pub fn interval(&self) -> (u64, u64) {
        match *self {
            Predicate::AtLeast { value } => (value, u64::MAX),
            Predicate::AtMost { value } => (0, value),
            Predicate::Between { lower, upper } => (lower, upper),
        }
    }

    /// Whether proving `self` also proves `other` (`self`'s interval lies inside `other`'s),
    /// e.g. `gte 21` implies `gte 18`. An empty interval implies nothing.
    pub fn implies(&self, other: &Predicate) -> bool {
        let (a, b) = self.interval();
        let (c, d) = other.interval();
        a <= b && c <= a && b <= d
    }

    /// The presentation wire form: `{"gte": n}`, `{"lte": n}` or `{"between": [a, b]}`.
    pub fn to_wire(&self) -> Value {
        match *self {
            Predicate::AtLeast { value } => serde_json::json!({ "gte": value }),
            Predicate::AtMost { value } => serde_json::json!({ "lte": value }),
            Predicate::Between { lower, upper } => serde_json::json!({ "between": [lower, upper] }),
        }
    }

    /// Parses [`Predicate::to_wire`] (also accepts the tagged `{"op": …}` form).
    pub fn from_wire(v: &Value) -> Result<Predicate> {
        let bad = || {
            PredicateError::Encoding(
                "a predicate is {\"gte\": n}, {\"lte\": n} or {\"between\": [a, b]}".into(),
            )
        };
        let obj = v.as_object().ok_or_else(bad)?;
        if obj.contains_key("op") {
            return serde_json::from_value(v.clone()).map_err(|_| bad());
        }
        if obj.len() != 1 {
            return Err(bad());
        }
        let p = match obj.iter().next() {
            Some((k, n)) if k == "gte" => Predicate::AtLeast {
                value: n.as_u64().ok_or_else(bad)?,
            },
            Some((k, n)) if k == "lte" => Predicate::AtMost {
                value: n.as_u64().ok_or_else(bad)?,
            },
            Some((k, Value::Array(ab))) if k == "between" && ab.len() == 2 => Predicate::Between {
                lower: ab[0].as_u64().ok_or_else(bad)?,
                upper: ab[1].as_u64().ok_or_else(bad)?,
            },
            _ => return Err(bad()),
        };
        if p.interval().0 > p.interval().1 {
            return Err(PredicateError::EmptyInterval);
        }
        Ok(p)
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Predicate::AtLeast { value } => write!(f, ">= {value}"),
            Predicate::AtMost { value } => write!(f, "<= {value}"),
            Predicate::Between { lower, upper } => write!(f, "in [{lower}, {upper}]"),
        }
    }
}

/// The names of the `credentialSubject` properties a CPT schema marks with
/// [`PREDICATE_KEYWORD`] (looked up under `properties.credentialSubject.properties`, or the
/// top-level `properties` for a subject-only schema).
pub fn predicate_claims(schema: &Value) -> Vec<String> {
    let props = schema
        .pointer("/properties/credentialSubject/properties")
        .or_else(|| schema.pointer("/properties"))
        .and_then(Value::as_object);
    props
        .map(|p| {
            p.iter()
                .filter(|(_, s)| {
                    s.get(PREDICATE_KEYWORD) == Some(&Value::Bool(true))
                        && s.get("type").and_then(Value::as_str) == Some("integer")
                })
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The schema a credential carrying `weft:commitments` is checked against: `schema` with the
/// `marked` claims removed from the subject's `properties` and `required` (the commitments stand
/// for them and are checked by [`check_commitments`]). Also returns the marked claims that
/// were required.
pub fn commitment_view(schema: &Value, marked: &[String]) -> (Value, Vec<String>) {
    let mut view = schema.clone();
    let base = if schema
        .pointer("/properties/credentialSubject/properties")
        .is_some()
    {
        view.pointer_mut("/properties/credentialSubject")
    } else {
        Some(&mut view)
    };
    let mut required_marked = Vec::new();
    if let Some(Value::Object(base)) = base {
        if let Some(Value::Object(props)) = base.get_mut("properties") {
            for m in marked {
                props.remove(m);
            }
        }
        if let Some(Value::Array(required)) = base.get_mut("required") {
            required.retain(|r| match r.as_str() {
                Some(name) if marked.iter().any(|m| m == name) => {
                    required_marked.push(name.to_string());
                    false
                }
                _ => true,
            });
        }
    }
    (view, required_marked)
}

/// Checks a subject's `weft:commitments` (deterministic): an object whose members are all
/// `marked` claims, each a well-formed commitment; every `required` claim committed; no
/// committed claim also present in plain. [`PredicateError::MissingClaim`] names a required
/// claim without commitment; other failures are [`PredicateError::Encoding`].
pub fn check_commitments(
    subject: &Map<String, Value>,
    marked: &[String],
    required: &[String],
) -> Result<()> {
    let bad = |m: String| PredicateError::Encoding(m);
    let commitments = match subject.get(COMMITMENTS_PROPERTY) {
        Some(Value::Object(c)) => c,
        _ => return Err(bad(format!("{COMMITMENTS_PROPERTY} must be an object"))),
    };
    for (claim, text) in commitments {
        if !marked.iter().any(|m| m == claim) {
            return Err(bad(format!(
                "{COMMITMENTS_PROPERTY} commits to {claim:?}, which the CPT does not mark"
            )));
        }
        let text = text
            .as_str()
            .ok_or_else(|| bad(format!("the commitment to {claim:?} is not a string")))?;
        decode_commitment(text)
            .map_err(|_| bad(format!("the commitment to {claim:?} is malformed")))?;
    }
    for claim in marked {
        if subject.contains_key(claim) {
            return Err(bad(format!(
                "{claim:?} is a predicate claim: it must be committed, not given in plain"
            )));
        }
    }
    for claim in required {
        if !commitments.contains_key(claim) {
            return Err(PredicateError::MissingClaim(claim.clone()));
        }
    }
    Ok(())
}

/// Domain-separated proof context: `CONTEXT_DOMAIN ‖ len ‖ challenge ‖ len ‖ domain ‖ len ‖
/// credential id ‖ len ‖ claim` (lengths as 8-byte big-endian).
pub fn predicate_context(
    challenge: &str,
    domain: &str,
    credential_id: &str,
    claim: &str,
) -> Vec<u8> {
    let mut out = CONTEXT_DOMAIN.to_vec();
    for part in [challenge, domain, credential_id, claim] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The holder's secret openings, by claim name. Zeroized on drop (each [`Opening`] is);
/// `Debug` shows only the claim names.
#[derive(Clone, Default)]
pub struct HolderOpenings {
    openings: BTreeMap<String, Opening>,
}

impl fmt::Debug for HolderOpenings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HolderOpenings")
            .field("claims", &self.openings.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl HolderOpenings {
    /// The opening of `claim`.
    pub fn get(&self, claim: &str) -> Option<&Opening> {
        self.openings.get(claim)
    }

    /// The claim names.
    pub fn claims(&self) -> impl Iterator<Item = &str> {
        self.openings.keys().map(String::as_str)
    }

    /// The explicit export for the wallet: `weft-openings-v1.` + base64url(JSON
    /// `{claim: base64url(secret opening bytes)}`). Treat it as a secret key.
    pub fn to_wallet_string(&self) -> Zeroizing<String> {
        let mut map = Map::new();
        for (name, o) in &self.openings {
            let bytes = o.to_secret_bytes();
            map.insert(
                name.clone(),
                Value::String(URL_SAFE_NO_PAD.encode(&bytes[..])),
            );
        }
        let json = Zeroizing::new(Value::Object(map).to_string());
        Zeroizing::new(format!(
            "{WALLET_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(json.as_bytes())
        ))
    }

    /// Parses [`HolderOpenings::to_wallet_string`].
    pub fn from_wallet_string(text: &str) -> Result<Self> {
        let bad = |m: &str| PredicateError::Encoding(m.to_string());
        let body = text
            .strip_prefix(WALLET_PREFIX)
            .ok_or_else(|| bad("missing weft-openings-v1 prefix"))?;
        let json = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(body)
                .map_err(|_| bad("not base64url"))?,
        );
        let map: Map<String, Value> =
            serde_json::from_slice(&json).map_err(|_| bad("not a JSON object"))?;
        let mut openings = BTreeMap::new();
        for (name, v) in map {
            let s = v.as_str().ok_or_else(|| bad("opening is not a string"))?;
            let bytes = Zeroizing::new(
                URL_SAFE_NO_PAD
                    .decode(s)
                    .map_err(|_| bad("opening is not base64url"))?,
            );
            let o = Opening::from_secret_bytes(&bytes).map_err(|e| bad(&e.to_string()))?;
            openings.insert(name, o);
        }
        Ok(Self { openings })
    }
}

fn claim_value(subject: &Map<String, Value>, name: &str) -> Result<u64> {
    subject
        .get(name)
        .ok_or_else(|| PredicateError::MissingClaim(name.to_string()))?
        .as_u64()
        .ok_or_else(|| PredicateError::NotAnInteger(name.to_string()))
}

/// Encodes a commitment for JSON (base64url of its canonical bytes).
pub fn encode_commitment(c: &Commitment) -> String {
    URL_SAFE_NO_PAD.encode(c.to_bytes())
}

/// Decodes [`encode_commitment`].
pub fn decode_commitment(text: &str) -> Result<Commitment> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| PredicateError::Encoding("commitment is not base64url".into()))?;
    Commitment::from_bytes(&bytes).map_err(|e| PredicateError::Encoding(e.to_string()))
}

/// The commitment to `claim` in a credential subject's `weft:commitments`.
pub fn subject_commitment(subject: &Value, claim: &str) -> Result<Commitment> {
    let text = subject
        .get(COMMITMENTS_PROPERTY)
        .and_then(|c| c.get(claim))
        .and_then(Value::as_str)
        .ok_or_else(|| PredicateError::MissingClaim(claim.to_string()))?;
    decode_commitment(text)
}

/// Issuer: commits to each `marked` claim of `subject` with fresh OS randomness. Returns the
/// value for `credentialSubject["weft:commitments"]` and the holder's openings.
pub fn commit_claims(
    subject: &Map<String, Value>,
    marked: &[&str],
) -> Result<(Value, HolderOpenings)> {
    let mut json = Map::new();
    let mut openings = BTreeMap::new();
    for name in marked {
        let v = claim_value(subject, name)?;
        let opening = Opening::random(v);
        json.insert(
            name.to_string(),
            encode_commitment(&opening.commit()).into(),
        );
        openings.insert(name.to_string(), opening);
    }
    Ok((Value::Object(json), HolderOpenings { openings }))
}

/// A predicate proof (an interval Bulletproof). JSON: base64url of its canonical bytes.
#[derive(Debug, Clone)]
pub struct PredicateProof(IntervalProof);

impl PredicateProof {
    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    /// Decodes [`PredicateProof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        IntervalProof::from_bytes(bytes)
            .map(Self)
            .map_err(|e| PredicateError::Encoding(e.to_string()))
    }

    /// base64url of the canonical bytes.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.to_bytes())
    }

    /// Decodes [`PredicateProof::to_base64url`].
    pub fn from_base64url(text: &str) -> Result<Self> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| PredicateError::Encoding("proof is not base64url".into()))?;
        Self::from_bytes(&bytes)
    }
}

impl Serialize for PredicateProof {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64url())
    }
}

impl<'de> Deserialize<'de> for PredicateProof {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_base64url(&s).map_err(serde::de::Error::custom)
    }
}

/// Holder: proves the opened value satisfies `predicate` under `context`.
pub fn prove(opening: &Opening, predicate: &Predicate, context: &[u8]) -> Result<PredicateProof> {
    let (a, b) = predicate.interval();
    if a > b {
        return Err(PredicateError::EmptyInterval);
    }
    if opening.value() < a || opening.value() > b {
        return Err(PredicateError::Unsatisfied);
    }
    IntervalProof::prove(&Context::new(context), a, b, opening)
        .map(|(p, _)| PredicateProof(p))
        .map_err(|e| match e {
            weft_zk::ProofError::ValueOutOfRange => PredicateError::Unsatisfied,
            weft_zk::ProofError::EmptyInterval => PredicateError::EmptyInterval,
            _ => PredicateError::Prover,
        })
}

/// Verifier: checks `proof` shows the value committed in `commitment` satisfies `predicate`
/// under `context`.
pub fn verify_predicate(
    commitment: &Commitment,
    predicate: &Predicate,
    proof: &PredicateProof,
    context: &[u8],
) -> Result<()> {
    let (lower, upper) = predicate.interval();
    if lower > upper {
        return Err(PredicateError::EmptyInterval);
    }
    let statement = IntervalStatement {
        context: Context::new(context),
        lower,
        upper,
        commitment: *commitment,
    };
    proof
        .0
        .verify(&statement)
        .map_err(|_| PredicateError::Invalid)
}

//! The verifier: checks a credential or presentation against the chain and reports every check.
//!
//! What verification needs from the chain is the [`CredentialLedger`] trait (the API implements
//! it over module queries; tests use an in-memory fake). [`CachedLedger`] wraps any ledger:
//! immutable facts (a DID version's document, a CPT version's compiled schema) are cached for the
//! life of the cache; facts that change as blocks are added (which version was in force at a time
//! at or after the head, issuer standing, type membership, status) are cached per chain height
//! and dropped as soon as the height moves. It is `Send + Sync`, so verification scales over
//! cores.
//!
//! # Checks of a credential ([`verify_credential`])
//!
//! | check | fails with |
//! |---|---|
//! | `structure` | `malformed` (VC 2.0 shape: context, type, issuer, dates, subject, schema pin) |
//! | `key_valid_at_issuance` | `key_not_valid_at_issuance`, `issuer_key_mismatch`, `created_in_future`, `ledger_unavailable` |
//! | `signature` | `signature_invalid`, `unsupported_proof`, `malformed_proof` |
//! | `proof_purpose` | `wrong_proof_purpose` (must be `assertionMethod`) |
//! | `valid_from` / `valid_until` | `not_yet_valid` / `expired` |
//! | `issuer` | `issuer_not_recognised` (authority issuer, issuer-type member or trusted, at issuance time), `issuer_key_unbound` (a URL issuer without a binding for the signing key) |
//! | `schema` | `schema_missing`, `schema_unverifiable` (a non-CPT schema), `schema_not_found`, `schema_mismatch` (digest, or claims vs the CPT) |
//! | `status` | `revoked`, `suspended`, `status_not_configured`, `status_unavailable`, `status_proof_invalid` |
//! | `evidence` | `not_anchored`, `evidence_not_configured`, `evidence_unavailable` |
//!
//! Which of `valid_from` … `evidence` run is the policy's decision ([`super::policy::plan`]:
//! the VC API `options.checks` in [`VerifyOptions::checks`], or the default); one that does not
//! run is passed with reason `not_requested` and a detail saying why. The proof checks
//! (`structure`, `key_valid_at_issuance`, `signature`, `proof_purpose`) always run. A DID issuer
//! must be the controller of the signing method; a URL issuer's key binding is checked by
//! `issuer` ([`VerifyOptions::issuer_keys`]).
//!
//! A `schema` failure of a credential carrying `weft:commitments` may also be
//! `commitment_missing` (a required predicate claim is not committed) or `commitment_malformed`.
//!
//! # Checks of a presentation ([`verify_presentation`])
//!
//! `presentation_structure` (the VC Data Model rules for presentations, then Weft's reading),
//! `presentation_key`, `presentation_signature`, `presentation_purpose`, `challenge`, `domain`,
//! `presentation_expiry`, `holder_binding`, `credentials` (every enclosed credential, each with
//! its own report; `no_credentials` when there is none), and `predicates`: each
//! `weft:predicates` entry (see [`super::presentation`]) verifies against the commitment in the
//! (signed) credential under the context of the presentation's signed challenge and domain, and
//! each predicate the verifier requires ([`verify_presentation_requiring`]) is proven by an
//! entry whose predicate implies it. Reasons: `predicate_invalid`,
//! `predicate_commitment_missing`, `predicate_missing`; passed with `not_applicable` when the
//! presentation has none and none is required.
//!
//! "Issuance time" is the proof's `created` (the time the key signed). A credential signed with a
//! key after it was rotated out fails `key_not_valid_at_issuance`; one signed before still
//! verifies. (A signer who back-dates `created` with a retired key is caught only by evidence
//! anchoring — enable `check_evidence` for that.) A check that could not run because an earlier
//! one failed is listed as failed with reason `not_evaluated`; a check that does not apply is
//! passed with reason `not_requested` or `not_applicable`. `verified` is the AND of all checks.
//!
//! With [`VerifyOptions::status_proof`] the status bit is read through
//! [`CredentialLedger::status_proven`] (a state proof against a certified header, see
//! [`crate::status_proof`]); a passing `status` check then says so in its detail
//! ("state proof at height H"), and a refused proof fails with `status_proof_invalid`.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;
use serde_json::Value;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use weft_chain::{Address, PublicKey};

use super::data_integrity::{self, DataIntegrityError, VerifiedProof};
use super::policy::{self, Checks, Decision, IssuerKeyBinding};
use super::predicate::{self, Predicate, PredicateError, PredicateProof};
use super::presentation;
use super::vc::{self, CptRef, CptSchema, ParsedCredential};
use crate::did::Did;
use crate::document::{DidState, Relationships};

/// How far a proof's `created` may lie ahead of the verifier's clock.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// One document version as the ledger stores it (immutable once written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidVersion {
    /// The document at that version.
    pub state: DidState,
    /// Whether the version is the deactivation (no keys).
    pub deactivated: bool,
}

/// The status of one `credentialStatus` entry (one definition, in [`crate::status`]).
pub use crate::status::StatusOutcome;
/// A status read through a state proof.
pub use crate::status_proof::ProvenStatus;

/// Whether the credential's hash is anchored as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceOutcome {
    /// Anchored at this height.
    Anchored {
        /// Block height of the anchor.
        height: u64,
    },
    /// Anchored, but the batch's signer revoked the anchor.
    Revoked,
    /// No anchor of this hash.
    NotAnchored,
}

/// Why the ledger could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// This kind of lookup is not wired to a chain module on this node.
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    /// The input names nothing the ledger can look up (e.g. a malformed status entry).
    #[error("invalid lookup: {0}")]
    Invalid(String),
    /// A proof of the answer (e.g. a status state proof) was refused.
    #[error("proof refused: {0}")]
    ProofRefused(String),
    /// The chain could not be read.
    #[error("ledger unavailable: {0}")]
    Unavailable(String),
}

/// What verification reads from the chain. Times are ms since the epoch.
pub trait CredentialLedger: Send + Sync {
    /// The current chain height (the cache's invalidation key).
    fn height(&self) -> u64;
    /// This chain's id (`did:weft:<chain-id>:…` of other chains are not resolvable here).
    fn chain_id(&self) -> &str;
    /// The version of `did` in force at `at_ms` (`None`: no such DID then).
    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError>;
    /// Version `version` of `did` (immutable).
    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError>;
    /// Whether `issuer` was a recognised authority issuer at `at_ms`.
    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError>;
    /// Whether `issuer` was a member of issuer type `type_name` at `at_ms`.
    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError>;
    /// A CPT version, compiled (immutable).
    fn cpt(&self, cpt: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError>;
    /// The status of one `credentialStatus` entry, now.
    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError>;
    /// The status of one entry read through a verified state proof (see
    /// [`crate::status_proof::verify`]); a refused proof is [`LedgerError::ProofRefused`].
    /// Ledgers without proofs answer [`LedgerError::NotConfigured`].
    fn status_proven(&self, _entry: &Value) -> Result<ProvenStatus, LedgerError> {
        Err(LedgerError::NotConfigured("status proofs"))
    }
    /// Whether a credential hash ([`vc::credential_hash`]) is anchored as evidence.
    fn evidence(&self, credential_hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError>;
}

/// The named checks of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The document's VC 2.0 structure.
    Structure,
    /// The signing key was in the issuer's document, for assertions, when it signed.
    KeyValidAtIssuance,
    /// The proof's signature.
    Signature,
    /// The proof's purpose.
    ProofPurpose,
    /// `validFrom` has passed.
    ValidFrom,
    /// `validUntil` has not passed.
    ValidUntil,
    /// The issuer was recognised when it issued.
    Issuer,
    /// The CPT pin and the claims against it.
    Schema,
    /// `credentialStatus`.
    Status,
    /// Evidence anchoring.
    Evidence,
    /// The presentation's structure.
    PresentationStructure,
    /// The holder's key is an authentication key of the holder.
    PresentationKey,
    /// The presentation's signature.
    PresentationSignature,
    /// The presentation proof's purpose (`authentication`).
    PresentationPurpose,
    /// The challenge is the expected one.
    Challenge,
    /// The domain is the expected one.
    Domain,
    /// The presentation has not expired.
    PresentationExpiry,
    /// Holder, proof controller and every credential subject agree.
    HolderBinding,
    /// Every enclosed credential verified.
    Credentials,
    /// The presentation's predicate proofs verify and cover what the verifier requires.
    Predicates,
}

impl CheckName {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Structure => "structure",
            CheckName::KeyValidAtIssuance => "key_valid_at_issuance",
            CheckName::Signature => "signature",
            CheckName::ProofPurpose => "proof_purpose",
            CheckName::ValidFrom => "valid_from",
            CheckName::ValidUntil => "valid_until",
            CheckName::Issuer => "issuer",
            CheckName::Schema => "schema",
            CheckName::Status => "status",
            CheckName::Evidence => "evidence",
            CheckName::PresentationStructure => "presentation_structure",
            CheckName::PresentationKey => "presentation_key",
            CheckName::PresentationSignature => "presentation_signature",
            CheckName::PresentationPurpose => "presentation_purpose",
            CheckName::Challenge => "challenge",
            CheckName::Domain => "domain",
            CheckName::PresentationExpiry => "presentation_expiry",
            CheckName::HolderBinding => "holder_binding",
            CheckName::Credentials => "credentials",
            CheckName::Predicates => "predicates",
        }
    }
}

/// One check's outcome. A failed check always has a `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Whether it passed.
    pub passed: bool,
    /// A stable machine string: why it failed, or why it passed without running
    /// (`not_requested`, `not_applicable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    fn pass(name: CheckName) -> Check {
        Check {
            name,
            passed: true,
            reason: None,
            detail: None,
        }
    }
    fn skip(name: CheckName, reason: &str) -> Check {
        Check {
            name,
            passed: true,
            reason: Some(reason.into()),
            detail: None,
        }
    }
    fn fail(name: CheckName, reason: &str, detail: impl Into<String>) -> Check {
        let detail = detail.into();
        Check {
            name,
            passed: false,
            reason: Some(reason.into()),
            detail: (!detail.is_empty()).then_some(detail),
        }
    }
    fn skipped(name: CheckName, decision: &Decision) -> Check {
        let detail = match decision {
            Decision::Skip(why) => Some((*why).to_string()),
            Decision::Run => None,
        };
        Check {
            name,
            passed: true,
            reason: Some("not_requested".into()),
            detail,
        }
    }
    fn not_evaluated(name: CheckName) -> Check {
        Check::fail(name, "not_evaluated", "an earlier check failed")
    }
}

/// The result of verifying a credential or presentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationReport {
    /// Whether every check passed.
    pub verified: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// For a presentation: the report of each enclosed credential.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<VerificationReport>,
}

impl VerificationReport {
    fn new(checks: Vec<Check>, credentials: Vec<VerificationReport>) -> Self {
        VerificationReport {
            verified: checks.iter().all(|c| c.passed),
            checks,
            credentials,
        }
    }

    /// The check named `name`, if listed.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Marks `name` failed with `reason` (adding it if absent) and recomputes `verified`: for
    /// checks the caller makes outside the library (e.g. a server's one-time challenge store).
    pub fn fail_check(&mut self, name: CheckName, reason: &str, detail: &str) {
        let failed = Check::fail(name, reason, detail);
        match self.checks.iter_mut().find(|c| c.name == name) {
            Some(c) => *c = failed,
            None => self.checks.push(failed),
        }
        self.verified = false;
    }

    /// The reasons of the failed checks (of this document only).
    pub fn failures(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .filter_map(|c| c.reason.as_deref())
            .collect()
    }
}

/// What the verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The verifier's clock.
    pub now: OffsetDateTime,
    /// Check `credentialStatus` entries (fails closed when status is not configured).
    pub check_status: bool,
    /// Read status bits through state proofs against a certified header (needs `check_status`).
    pub status_proof: bool,
    /// Check that the credential's hash is anchored as evidence.
    pub check_evidence: bool,
    /// Accept members of this issuer type (at issuance time) instead of authority issuers.
    pub issuer_type: Option<String>,
    /// Issuers (DIDs or URLs) trusted regardless of on-chain standing. A URL issuer passes only
    /// with an [`VerifyOptions::issuer_keys`] binding for the key that signed.
    pub trusted_issuers: Vec<String>,
    /// Require a `credentialSchema` CPT pin whatever the issuer (by default only of `did:weft`
    /// issuers of this chain and of credentials that pin one; see [`super::policy`]).
    pub require_schema: bool,
    /// The VC API `options.checks`: when `Some`, only these checks run (the proof always does,
    /// and a CPT-pinned credential always has its schema and issuer checked); when `None`, the
    /// default policy of [`super::policy`].
    pub checks: Option<Checks>,
    /// Keys that may sign for URL issuers.
    pub issuer_keys: Vec<IssuerKeyBinding>,
}

impl VerifyOptions {
    /// Defaults at `now`: the default policy of [`super::policy`] (status checked when present,
    /// evidence not; issuer standing and the CPT pin for `did:weft` issuers of this chain and
    /// CPT-pinned credentials; authority issuers).
    pub fn at(now: OffsetDateTime) -> Self {
        VerifyOptions {
            now,
            check_status: true,
            status_proof: false,
            check_evidence: false,
            issuer_type: None,
            trusted_issuers: Vec::new(),
            require_schema: false,
            checks: None,
            issuer_keys: Vec::new(),
        }
    }

    /// Only the checks in `checks` (VC API `options.checks`), at `now`.
    pub fn with_checks(now: OffsetDateTime, checks: Checks) -> Self {
        VerifyOptions {
            checks: Some(checks),
            ..VerifyOptions::at(now)
        }
    }
}

/// What a presentation must be bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationExpectations {
    /// The challenge the verifier issued.
    pub challenge: String,
    /// The verifier's domain (checked when `Some`).
    pub domain: Option<String>,
    /// Without an `expires`, a presentation older than this (by `created`) has expired.
    pub max_age: Duration,
}

fn ms_of(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Why a verification method did not give a usable key.
struct KeyProblem {
    reason: &'static str,
    detail: String,
}

fn key_problem(reason: &'static str, detail: impl Into<String>) -> KeyProblem {
    KeyProblem {
        reason,
        detail: detail.into(),
    }
}

/// The DID of a DID URL (before `#`).
fn did_of(did_url: &str) -> &str {
    did_url.split_once('#').map_or(did_url, |(d, _)| d)
}

/// Resolves `method` to a key holding `relationship` at `at_ms`: did:key locally, did:weft of
/// this chain through the ledger at the version in force then.
fn resolve_method(
    ledger: &impl CredentialLedger,
    method: &str,
    at_ms: u64,
    relationship: u8,
    not_valid: &'static str,
) -> Result<PublicKey, KeyProblem> {
    let (did, fragment) = match method.split_once('#') {
        Some((d, f)) => (d, f),
        None => (method, ""),
    };
    match Did::parse(did) {
        Ok(Did::Key(_)) => {
            super::did_key_verification_method(method).map_err(|e| key_problem(not_valid, e))
        }
        Ok(Did::Weft { chain_id, address }) => {
            if chain_id != ledger.chain_id() {
                return Err(key_problem(
                    "unresolvable_did",
                    format!("{did} is on chain {chain_id:?}"),
                ));
            }
            let unavailable = |e: LedgerError| key_problem("ledger_unavailable", e.to_string());
            let Some(version) = ledger
                .did_version_at(&address, at_ms)
                .map_err(unavailable)?
            else {
                return Err(key_problem(
                    not_valid,
                    format!("{did} did not exist at that time"),
                ));
            };
            let record = ledger
                .did_version(&address, version)
                .map_err(unavailable)?
                .ok_or_else(|| key_problem("ledger_unavailable", "version vanished"))?;
            if record.deactivated {
                return Err(key_problem(
                    not_valid,
                    format!("{did} was deactivated at that time"),
                ));
            }
            let key = record
                .state
                .keys
                .iter()
                .find(|k| k.fragment == fragment)
                .ok_or_else(|| {
                    key_problem(
                        not_valid,
                        format!("{method} was not in the document (version {version}) then"),
                    )
                })?;
            if !key.relationships.has(relationship) {
                return Err(key_problem(
                    not_valid,
                    format!("{method} did not have the required relationship then"),
                ));
            }
            Ok(key.public_key)
        }
        Err(e) => Err(key_problem("unresolvable_did", e.to_string())),
    }
}

/// The key of verification method `method` (a `did:key` or a `did:weft` DID URL of this chain)
/// if it held `assertionMethod` in the document version in force at `at_ms`: what an issuer's
/// signature made at that time must verify with (used for SD-JWT issuers, whose `kid` names the
/// method). The error is `(reason, detail)` with the reasons of `key_valid_at_issuance`.
pub fn assertion_key_at(
    ledger: &impl CredentialLedger,
    method: &str,
    at_ms: u64,
) -> Result<PublicKey, (&'static str, String)> {
    resolve_method(
        ledger,
        method,
        at_ms,
        Relationships::ASSERTION_METHOD,
        "key_not_valid_at_issuance",
    )
    .map_err(|p| (p.reason, p.detail))
}

/// Verifies the proof with `key`, and also requires the proof's `@context` (if any) to be the
/// document's whole `@context`: the cryptosuite signs only the proof's copy, so a context
/// appended after signing would otherwise change the document's meaning unnoticed.
fn verify_covered(doc: &Value, key: PublicKey) -> Result<VerifiedProof, DataIntegrityError> {
    let proof = data_integrity::verify(doc, |_| Ok(key))?;
    if let Some(proof_context) = doc.get("proof").and_then(|p| p.get("@context")) {
        if doc.get("@context") != Some(proof_context) {
            return Err(DataIntegrityError::ContextMismatch);
        }
    }
    Ok(proof)
}

fn proof_field<'a>(doc: &'a Value, name: &str) -> Option<&'a str> {
    doc.get("proof")?.get(name)?.as_str()
}

fn proof_check(name: CheckName, e: &DataIntegrityError) -> Check {
    let reason = match e {
        DataIntegrityError::BadSignature | DataIntegrityError::ContextMismatch => {
            "signature_invalid"
        }
        DataIntegrityError::Unsupported(_) => "unsupported_proof",
        DataIntegrityError::TooLarge => "too_large",
        _ => "malformed_proof",
    };
    Check::fail(name, reason, e.to_string())
}

/// Verifies a credential and reports every check.
pub fn verify_credential(
    vc_doc: &Value,
    ledger: &impl CredentialLedger,
    opts: &VerifyOptions,
) -> VerificationReport {
    use CheckName as N;
    let later = [
        N::KeyValidAtIssuance,
        N::Signature,
        N::ProofPurpose,
        N::ValidFrom,
        N::ValidUntil,
        N::Issuer,
        N::Schema,
        N::Status,
        N::Evidence,
    ];
    let parsed = match vc::parse(vc_doc) {
        Ok(p) => p,
        Err(e) => {
            let mut checks = vec![Check::fail(N::Structure, "malformed", e.to_string())];
            checks.extend(later.iter().map(|n| Check::not_evaluated(*n)));
            return VerificationReport::new(checks, Vec::new());
        }
    };
    let mut checks = vec![Check::pass(N::Structure)];

    // Issuance time: the proof's `created`, else validFrom, else now.
    let created = match proof_field(vc_doc, "created") {
        Some(t) => vc::parse_datetime("created", t).ok(),
        None => None,
    };
    let issued_at = created.or(parsed.valid_from).unwrap_or(opts.now);
    let issued_ms = ms_of(issued_at);

    // Key at issuance, then signature with that key.
    let method = data_integrity::verification_method(vc_doc).map(str::to_string);
    let key = match &method {
        Err(e) => Err(proof_check(N::KeyValidAtIssuance, e)),
        Ok(m) => key_for_issuer(ledger, &parsed, m, created, issued_ms, opts),
    };
    match key {
        Err(check) => {
            checks.push(check);
            checks.push(Check::not_evaluated(N::Signature));
            checks.push(Check::not_evaluated(N::ProofPurpose));
        }
        Ok(key) => {
            checks.push(Check::pass(N::KeyValidAtIssuance));
            match verify_covered(vc_doc, key) {
                Ok(proof) => {
                    checks.push(Check::pass(N::Signature));
                    checks.push(if proof.proof_purpose == "assertionMethod" {
                        Check::pass(N::ProofPurpose)
                    } else {
                        Check::fail(
                            N::ProofPurpose,
                            "wrong_proof_purpose",
                            format!("{:?} (expected assertionMethod)", proof.proof_purpose),
                        )
                    });
                }
                Err(e) => {
                    checks.push(proof_check(N::Signature, &e));
                    checks.push(Check::not_evaluated(N::ProofPurpose));
                }
            }
        }
    }

    let local = matches!(
        Did::parse(&parsed.issuer),
        Ok(Did::Weft { ref chain_id, .. }) if chain_id == ledger.chain_id()
    );
    let plan = policy::plan(
        &policy::Asked {
            checks: opts.checks.as_ref(),
            check_status: opts.check_status,
            check_evidence: opts.check_evidence,
            require_schema: opts.require_schema,
            issuer_policy_given: !opts.trusted_issuers.is_empty()
                || opts.issuer_type.is_some()
                || !opts.issuer_keys.is_empty(),
        },
        policy::CredentialTraits {
            weft_local_issuer: local,
            cpt_pinned: parsed.schema.is_some(),
            status_list: parsed
                .types
                .iter()
                .any(|t| t == super::status_list::LIST_CREDENTIAL_TYPE),
        },
    );
    if !plan.expiration.runs() {
        checks.push(Check::skipped(N::ValidFrom, &plan.expiration));
        checks.push(Check::skipped(N::ValidUntil, &plan.expiration));
    } else {
        validity_checks(&parsed, opts, &mut checks);
    }
    let method = method.ok();
    checks.push(match &plan.issuer {
        Decision::Run => issuer_check(ledger, &parsed, method.as_deref(), issued_ms, opts),
        skip => Check::skipped(N::Issuer, skip),
    });
    checks.push(match &plan.schema {
        Decision::Run => schema_check(ledger, &parsed),
        skip => Check::skipped(N::Schema, skip),
    });
    checks.push(match &plan.status {
        Decision::Run => status_check(ledger, &parsed, opts),
        skip => Check::skipped(N::Status, skip),
    });
    checks.push(match &plan.evidence {
        Decision::Run => evidence_check(ledger, vc_doc),
        skip => Check::skipped(N::Evidence, skip),
    });
    VerificationReport::new(checks, Vec::new())
}

fn validity_checks(parsed: &ParsedCredential, opts: &VerifyOptions, checks: &mut Vec<Check>) {
    use CheckName as N;
    checks.push(match parsed.valid_from {
        Some(from) if from > opts.now => Check::fail(
            N::ValidFrom,
            "not_yet_valid",
            format!("valid from {}", vc::format_datetime(from)),
        ),
        Some(_) => Check::pass(N::ValidFrom),
        None => Check::skip(N::ValidFrom, "not_applicable"),
    });
    checks.push(match parsed.valid_until {
        Some(until) if until < opts.now => Check::fail(
            N::ValidUntil,
            "expired",
            format!("valid until {}", vc::format_datetime(until)),
        ),
        Some(_) => Check::pass(N::ValidUntil),
        None => Check::skip(N::ValidUntil, "not_applicable"),
    });
}

/// The issuer's key named by `method` at issuance, checking that it belongs to the issuer.
fn key_for_issuer(
    ledger: &impl CredentialLedger,
    parsed: &ParsedCredential,
    method: &str,
    created: Option<OffsetDateTime>,
    issued_ms: u64,
    opts: &VerifyOptions,
) -> Result<PublicKey, Check> {
    let name = CheckName::KeyValidAtIssuance;
    let controller = did_of(method);
    let is_did_key = controller.starts_with("did:key:");
    // A DID issuer is bound to its keys by its document; a URL issuer's binding is a matter of
    // the verifier's policy, checked by `issuer` (see `super::policy`).
    let bound = controller == parsed.issuer || !parsed.issuer.starts_with("did:");
    if !bound {
        return Err(Check::fail(
            name,
            "issuer_key_mismatch",
            format!("{method} is not a key of the issuer {}", parsed.issuer),
        ));
    }
    if let Some(c) = created {
        if c > opts.now + CLOCK_SKEW {
            return Err(Check::fail(
                name,
                "created_in_future",
                format!("proof created {}", vc::format_datetime(c)),
            ));
        }
    } else if !is_did_key {
        return Err(Check::fail(
            name,
            "key_not_valid_at_issuance",
            "the proof has no valid `created`, so the key cannot be checked at issuance",
        ));
    }
    resolve_method(
        ledger,
        method,
        issued_ms,
        Relationships::ASSERTION_METHOD,
        "key_not_valid_at_issuance",
    )
    .map_err(|p| Check::fail(name, p.reason, p.detail))
}

fn issuer_check(
    ledger: &impl CredentialLedger,
    parsed: &ParsedCredential,
    method: Option<&str>,
    issued_ms: u64,
    opts: &VerifyOptions,
) -> Check {
    let name = CheckName::Issuer;
    if !parsed.issuer.starts_with("did:") {
        // A URL issuer: trusted only through a key binding for the method that signed.
        let Some(method) = method else {
            return Check::not_evaluated(name);
        };
        let bound = opts
            .issuer_keys
            .iter()
            .any(|b| b.allows(&parsed.issuer, method));
        return if !bound {
            Check::fail(
                name,
                "issuer_key_unbound",
                format!(
                    "no trusted binding lets {method} sign for the URL issuer {}",
                    parsed.issuer
                ),
            )
        } else if opts.trusted_issuers.contains(&parsed.issuer)
            || opts.issuer_keys.iter().any(|b| b.issuer == parsed.issuer)
        {
            Check::pass(name)
        } else {
            Check::fail(name, "issuer_not_recognised", "")
        };
    }
    if opts.trusted_issuers.contains(&parsed.issuer) {
        return Check::pass(name);
    }
    let address = match Did::parse(&parsed.issuer) {
        Ok(Did::Weft { chain_id, address }) if chain_id == ledger.chain_id() => address,
        _ => {
            return Check::fail(
                name,
                "issuer_not_recognised",
                format!(
                    "{} is neither a DID of this chain nor a trusted issuer",
                    parsed.issuer
                ),
            )
        }
    };
    let standing = match &opts.issuer_type {
        Some(t) => ledger.is_type_member(t, &address, issued_ms),
        None => ledger.is_authority_issuer(&address, issued_ms),
    };
    match standing {
        Ok(true) => Check::pass(name),
        Ok(false) => Check::fail(
            name,
            "issuer_not_recognised",
            match &opts.issuer_type {
                Some(t) => format!("{} was not a member of issuer type {t:?}", parsed.issuer),
                None => format!("{} was not a recognised authority issuer", parsed.issuer),
            },
        ),
        Err(e) => Check::fail(name, "ledger_unavailable", e.to_string()),
    }
}

fn schema_check(ledger: &impl CredentialLedger, parsed: &ParsedCredential) -> Check {
    let name = CheckName::Schema;
    let Some((cpt, digest)) = parsed.schema else {
        return if parsed.other_schemas > 0 {
            Check::fail(
                name,
                "schema_unverifiable",
                "the credentialSchema is not a Weft CPT pin and schemas are never fetched",
            )
        } else {
            Check::fail(name, "schema_missing", "no credentialSchema CPT pin")
        };
    };
    let schema = match ledger.cpt(cpt) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Check::fail(
                name,
                "schema_not_found",
                format!("CPT {} v{} is not registered", cpt.id, cpt.version),
            )
        }
        Err(e) => return Check::fail(name, "ledger_unavailable", e.to_string()),
    };
    if schema.digest != digest {
        return Check::fail(
            name,
            "schema_mismatch",
            "the pinned digest is not the CPT's digest",
        );
    }
    match schema.validate_claims(&parsed.subject) {
        Ok(()) => Check::pass(name),
        Err(e @ vc::VcError::Commitments(PredicateError::MissingClaim(_))) => {
            Check::fail(name, "commitment_missing", e.to_string())
        }
        Err(e @ vc::VcError::Commitments(_)) => {
            Check::fail(name, "commitment_malformed", e.to_string())
        }
        Err(e) => Check::fail(name, "schema_mismatch", e.to_string()),
    }
}

fn status_check(
    ledger: &impl CredentialLedger,
    parsed: &ParsedCredential,
    opts: &VerifyOptions,
) -> Check {
    let name = CheckName::Status;
    if parsed.status.is_empty() {
        return Check::skip(name, "not_applicable");
    }
    if opts.status_proof {
        return proven_status_check(ledger, parsed);
    }
    for entry in &parsed.status {
        match ledger.status(entry) {
            Ok(StatusOutcome::Valid) => {}
            Ok(StatusOutcome::Revoked) => return Check::fail(name, "revoked", ""),
            Ok(StatusOutcome::Suspended) => return Check::fail(name, "suspended", ""),
            Err(LedgerError::NotConfigured(what)) => {
                return Check::fail(
                    name,
                    "status_not_configured",
                    format!("{what} is not configured"),
                )
            }
            Err(e) => return Check::fail(name, "status_unavailable", e.to_string()),
        }
    }
    Check::pass(name)
}

fn proven_status_check(ledger: &impl CredentialLedger, parsed: &ParsedCredential) -> Check {
    let name = CheckName::Status;
    let mut heights = Vec::new();
    for entry in &parsed.status {
        match ledger.status_proven(entry) {
            Ok(p) => match p.outcome {
                StatusOutcome::Valid => heights.push(p.height),
                StatusOutcome::Revoked => {
                    return Check::fail(
                        name,
                        "revoked",
                        format!("state proof at height {}", p.height),
                    )
                }
                StatusOutcome::Suspended => {
                    return Check::fail(
                        name,
                        "suspended",
                        format!("state proof at height {}", p.height),
                    )
                }
            },
            Err(LedgerError::NotConfigured(what)) => {
                return Check::fail(
                    name,
                    "status_not_configured",
                    format!("{what} is not configured"),
                )
            }
            Err(LedgerError::ProofRefused(e)) => {
                return Check::fail(name, "status_proof_invalid", e)
            }
            Err(e) => return Check::fail(name, "status_unavailable", e.to_string()),
        }
    }
    heights.dedup();
    let list = heights
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Check {
        name,
        passed: true,
        reason: None,
        detail: Some(format!("state proof at height {list}")),
    }
}

fn evidence_check(ledger: &impl CredentialLedger, vc_doc: &Value) -> Check {
    let name = CheckName::Evidence;
    match ledger.evidence(&vc::credential_hash(vc_doc)) {
        Ok(EvidenceOutcome::Anchored { .. }) => Check::pass(name),
        Ok(EvidenceOutcome::Revoked) => Check::fail(name, "evidence_revoked", ""),
        Ok(EvidenceOutcome::NotAnchored) => Check::fail(name, "not_anchored", ""),
        Err(LedgerError::NotConfigured(what)) => Check::fail(
            name,
            "evidence_not_configured",
            format!("{what} is not configured"),
        ),
        Err(e) => Check::fail(name, "evidence_unavailable", e.to_string()),
    }
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A predicate the verifier requires a presentation to prove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedPredicate {
    /// The claim.
    pub claim: String,
    /// What must be proven about it (a proof of a stronger predicate also satisfies it).
    pub predicate: Predicate,
}

/// Verifies a presentation: its own proof (holder's `authentication` key, challenge, domain,
/// expiry), holder binding, every enclosed credential, and its predicate proofs, if any.
pub fn verify_presentation(
    vp: &Value,
    ledger: &impl CredentialLedger,
    opts: &VerifyOptions,
    expected: &PresentationExpectations,
) -> VerificationReport {
    verify_presentation_requiring(vp, ledger, opts, expected, &[])
}

/// One `weft:predicates` entry, parsed.
fn parse_predicate_entry(e: &Value) -> Result<(usize, &str, Predicate, PredicateProof), String> {
    let index = e
        .get("credential")
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .ok_or("credential must be an index into verifiableCredential")?;
    let claim = e
        .get("claim")
        .and_then(Value::as_str)
        .ok_or("claim must be a string")?;
    let p = Predicate::from_wire(e.get("predicate").unwrap_or(&Value::Null))
        .map_err(|e| e.to_string())?;
    let proof = PredicateProof::from_base64url(
        e.get("proof")
            .and_then(Value::as_str)
            .ok_or("proof must be a base64url string")?,
    )
    .map_err(|e| e.to_string())?;
    Ok((index, claim, p, proof))
}

/// The `predicates` check (see the module docs). `proof` is the presentation's verified proof.
fn predicates_check(
    vp: &Value,
    credentials: &[Value],
    proof: Option<&VerifiedProof>,
    requested: &[RequestedPredicate],
) -> Check {
    let name = CheckName::Predicates;
    let entries = vp.get(predicate::PRESENTATION_PROPERTY);
    if entries.is_none() && requested.is_empty() {
        return Check::skip(name, "not_applicable");
    }
    let Some(proof) = proof else {
        return Check::not_evaluated(name);
    };
    let entries: &[Value] = match entries {
        None => &[],
        Some(Value::Array(items)) if items.len() <= predicate::MAX_PREDICATES => items,
        Some(_) => {
            return Check::fail(
                name,
                "predicate_invalid",
                format!(
                    "{} must be an array of at most {} entries",
                    predicate::PRESENTATION_PROPERTY,
                    predicate::MAX_PREDICATES
                ),
            )
        }
    };
    let challenge = proof.challenge.as_deref().unwrap_or_default();
    let domain = proof.domain.as_deref().unwrap_or_default();
    let mut proven: Vec<(&str, Predicate)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let invalid = |d: String| Check::fail(name, "predicate_invalid", format!("entry {i}: {d}"));
        let (index, claim, p, zk) = match parse_predicate_entry(e) {
            Ok(x) => x,
            Err(d) => return invalid(d),
        };
        let Some(parsed) = credentials.get(index).and_then(|c| vc::parse(c).ok()) else {
            return invalid(format!("credential {index} is missing or malformed"));
        };
        let Some(id) = parsed.id.as_deref() else {
            return invalid(format!("credential {index} has no id to bind the proof to"));
        };
        let commitment = match predicate::subject_commitment(&parsed.subject, claim) {
            Ok(c) => c,
            Err(PredicateError::MissingClaim(_)) => {
                return Check::fail(
                    name,
                    "predicate_commitment_missing",
                    format!("entry {i}: credential {index} commits to no {claim:?}"),
                )
            }
            Err(e) => return invalid(e.to_string()),
        };
        let context = predicate::predicate_context(challenge, domain, id, claim);
        if let Err(e) = predicate::verify_predicate(&commitment, &p, &zk, &context) {
            return invalid(format!("{claim} {p}: {e}"));
        }
        proven.push((claim, p));
    }
    for r in requested {
        if !proven
            .iter()
            .any(|(c, p)| *c == r.claim && p.implies(&r.predicate))
        {
            return Check::fail(
                name,
                "predicate_missing",
                format!("{} {} is not proven", r.claim, r.predicate),
            );
        }
    }
    Check::pass(name)
}

/// [`verify_presentation`], also requiring each of `requested` to be proven by a
/// `weft:predicates` entry (check `predicates`, reason `predicate_missing`).
pub fn verify_presentation_requiring(
    vp: &Value,
    ledger: &impl CredentialLedger,
    opts: &VerifyOptions,
    expected: &PresentationExpectations,
    requested: &[RequestedPredicate],
) -> VerificationReport {
    use CheckName as N;
    let parsed = match presentation::parse(vp) {
        Ok(p) => p,
        Err(e) => {
            let mut checks = vec![Check::fail(
                N::PresentationStructure,
                "malformed",
                e.to_string(),
            )];
            checks.extend(
                [
                    N::PresentationKey,
                    N::PresentationSignature,
                    N::PresentationPurpose,
                    N::Challenge,
                    N::Domain,
                    N::PresentationExpiry,
                    N::HolderBinding,
                    N::Credentials,
                    N::Predicates,
                ]
                .iter()
                .map(|n| Check::not_evaluated(*n)),
            );
            return VerificationReport::new(checks, Vec::new());
        }
    };
    let mut checks = vec![Check::pass(N::PresentationStructure)];
    let method = data_integrity::verification_method(vp).map(str::to_string);
    let key = match &method {
        Err(e) => Err(proof_check(N::PresentationKey, e)),
        Ok(m) => resolve_method(
            ledger,
            m,
            ms_of(opts.now),
            Relationships::AUTHENTICATION,
            "key_not_authorised",
        )
        .map_err(|p| Check::fail(N::PresentationKey, p.reason, p.detail)),
    };
    let proof: Option<VerifiedProof> = match key {
        Err(check) => {
            checks.push(check);
            checks.push(Check::not_evaluated(N::PresentationSignature));
            None
        }
        Ok(key) => {
            checks.push(Check::pass(N::PresentationKey));
            match verify_covered(vp, key) {
                Ok(p) => {
                    checks.push(Check::pass(N::PresentationSignature));
                    Some(p)
                }
                Err(e) => {
                    checks.push(proof_check(N::PresentationSignature, &e));
                    None
                }
            }
        }
    };
    match &proof {
        None => {
            for n in [
                N::PresentationPurpose,
                N::Challenge,
                N::Domain,
                N::PresentationExpiry,
            ] {
                checks.push(Check::not_evaluated(n));
            }
        }
        Some(p) => {
            checks.push(if p.proof_purpose == "authentication" {
                Check::pass(N::PresentationPurpose)
            } else {
                Check::fail(
                    N::PresentationPurpose,
                    "wrong_proof_purpose",
                    format!("{:?} (expected authentication)", p.proof_purpose),
                )
            });
            checks.push(match &p.challenge {
                Some(c) if ct_eq(c, &expected.challenge) => Check::pass(N::Challenge),
                Some(_) => Check::fail(N::Challenge, "challenge_mismatch", ""),
                None => Check::fail(N::Challenge, "challenge_mismatch", "no challenge"),
            });
            checks.push(match (&expected.domain, &p.domain) {
                (None, _) => Check::skip(N::Domain, "not_requested"),
                (Some(want), Some(got)) if want == got => Check::pass(N::Domain),
                (Some(_), got) => Check::fail(
                    N::Domain,
                    "domain_mismatch",
                    format!("presented for {got:?}"),
                ),
            });
            let expired = match (p.expires, p.created) {
                (Some(exp), _) => exp < opts.now,
                (None, Some(created)) => created + expected.max_age < opts.now,
                (None, None) => true,
            };
            let future = p.created.is_some_and(|c| c > opts.now + CLOCK_SKEW);
            checks.push(if expired {
                Check::fail(N::PresentationExpiry, "presentation_expired", "")
            } else if future {
                Check::fail(
                    N::PresentationExpiry,
                    "created_in_future",
                    "the presentation's proof is dated in the future",
                )
            } else {
                Check::pass(N::PresentationExpiry)
            });
        }
    }

    // Holder binding: holder == proof controller == every credential's subject id.
    let credentials: Vec<VerificationReport> = parsed
        .credentials
        .iter()
        .map(|c| verify_credential(c, ledger, opts))
        .collect();
    checks.push(match (&parsed.holder, &method) {
        (None, _) => Check::fail(N::HolderBinding, "holder_mismatch", "no holder"),
        (Some(_), Err(_)) => Check::not_evaluated(N::HolderBinding),
        (Some(holder), Ok(m)) => {
            if did_of(m) != holder {
                Check::fail(
                    N::HolderBinding,
                    "holder_mismatch",
                    format!("the proof's key {m} is not the holder's"),
                )
            } else if let Some(i) = parsed.credentials.iter().position(|c| {
                vc::parse(c)
                    .ok()
                    .and_then(|p| p.subject_id)
                    .is_none_or(|s| s != *holder)
            }) {
                Check::fail(
                    N::HolderBinding,
                    "holder_mismatch",
                    format!("credential {i}'s subject is not the holder"),
                )
            } else {
                Check::pass(N::HolderBinding)
            }
        }
    });
    let failed: Vec<String> = credentials
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.verified)
        .map(|(i, r)| format!("{i}: {}", r.failures().join(",")))
        .collect();
    checks.push(if parsed.credentials.is_empty() {
        Check::fail(
            N::Credentials,
            "no_credentials",
            "the presentation encloses no credential",
        )
    } else if failed.is_empty() {
        Check::pass(N::Credentials)
    } else {
        Check::fail(N::Credentials, "credential_invalid", failed.join("; "))
    });
    checks.push(predicates_check(
        vp,
        &parsed.credentials,
        proof.as_ref(),
        requested,
    ));
    VerificationReport::new(checks, credentials)
}

// ---------------------------------------------------------------------------------------------
// The cache

/// Most entries of one cache map before it is cleared (a crude bound on memory).
pub const MAX_CACHE_ENTRIES: usize = 100_000;

#[derive(Default)]
struct PerHeight {
    height: u64,
    version_at: HashMap<(Address, u64), Option<u32>>,
    authority: HashMap<(Address, u64), bool>,
    member: HashMap<(String, Address, u64), bool>,
    status: HashMap<String, StatusOutcome>,
}

/// A thread-safe cache in front of a [`CredentialLedger`]. See the module docs for what is kept
/// for how long. Absent facts (`None`) are not cached: they may appear later.
pub struct CachedLedger<L> {
    inner: L,
    versions: RwLock<HashMap<(Address, u32), Arc<DidVersion>>>,
    cpts: RwLock<HashMap<CptRef, Arc<CptSchema>>>,
    per_height: RwLock<PerHeight>,
}

impl<L> std::fmt::Debug for CachedLedger<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedLedger")
            .field("versions", &self.versions.read().len())
            .field("cpts", &self.cpts.read().len())
            .field("height", &self.per_height.read().height)
            .finish_non_exhaustive()
    }
}

impl<L: CredentialLedger> CachedLedger<L> {
    /// A cache over `inner`.
    pub fn new(inner: L) -> Self {
        CachedLedger {
            inner,
            versions: RwLock::new(HashMap::new()),
            cpts: RwLock::new(HashMap::new()),
            per_height: RwLock::new(PerHeight::default()),
        }
    }

    /// The wrapped ledger.
    pub fn inner(&self) -> &L {
        &self.inner
    }

    /// Looks `key` up in the per-height map chosen by `map`, computing and storing it on a miss;
    /// the whole per-height cache is dropped when the height has moved.
    fn per_height<K, V>(
        &self,
        map: fn(&PerHeight) -> &HashMap<K, V>,
        map_mut: fn(&mut PerHeight) -> &mut HashMap<K, V>,
        key: K,
        compute: impl FnOnce() -> Result<V, LedgerError>,
    ) -> Result<V, LedgerError>
    where
        K: std::hash::Hash + Eq,
        V: Clone,
    {
        let height = self.inner.height();
        {
            let guard = self.per_height.read();
            if guard.height == height {
                if let Some(v) = map(&guard).get(&key) {
                    return Ok(v.clone());
                }
            }
        }
        let value = compute()?;
        let mut guard = self.per_height.write();
        if guard.height != height {
            if height < guard.height {
                // Another thread already moved on; do not roll the cache back.
                return Ok(value);
            }
            *guard = PerHeight {
                height,
                ..PerHeight::default()
            };
        }
        let m = map_mut(&mut guard);
        if m.len() >= MAX_CACHE_ENTRIES {
            m.clear();
        }
        m.insert(key, value.clone());
        Ok(value)
    }
}

fn insert_bounded<K: std::hash::Hash + Eq, V>(map: &RwLock<HashMap<K, V>>, k: K, v: V) {
    let mut m = map.write();
    if m.len() >= MAX_CACHE_ENTRIES {
        m.clear();
    }
    m.insert(k, v);
}

impl<L: CredentialLedger> CredentialLedger for CachedLedger<L> {
    fn height(&self) -> u64 {
        self.inner.height()
    }

    fn chain_id(&self) -> &str {
        self.inner.chain_id()
    }

    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError> {
        self.per_height(
            |p| &p.version_at,
            |p| &mut p.version_at,
            (*did, at_ms),
            || self.inner.did_version_at(did, at_ms),
        )
    }

    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        if let Some(v) = self.versions.read().get(&(*did, version)) {
            return Ok(Some(v.clone()));
        }
        let v = self.inner.did_version(did, version)?;
        if let Some(v) = &v {
            insert_bounded(&self.versions, (*did, version), v.clone());
        }
        Ok(v)
    }

    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError> {
        self.per_height(
            |p| &p.authority,
            |p| &mut p.authority,
            (*issuer, at_ms),
            || self.inner.is_authority_issuer(issuer, at_ms),
        )
    }

    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError> {
        self.per_height(
            |p| &p.member,
            |p| &mut p.member,
            (type_name.to_string(), *issuer, at_ms),
            || self.inner.is_type_member(type_name, issuer, at_ms),
        )
    }

    fn cpt(&self, cpt: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        if let Some(s) = self.cpts.read().get(&cpt) {
            return Ok(Some(s.clone()));
        }
        let s = self.inner.cpt(cpt)?;
        if let Some(s) = &s {
            insert_bounded(&self.cpts, cpt, s.clone());
        }
        Ok(s)
    }

    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError> {
        self.per_height(
            |p| &p.status,
            |p| &mut p.status,
            crate::canonical::to_string(entry),
            || self.inner.status(entry),
        )
    }

    /// Not cached: the point of a proof is to verify it each time.
    fn status_proven(&self, entry: &Value) -> Result<ProvenStatus, LedgerError> {
        self.inner.status_proven(entry)
    }

    fn evidence(&self, credential_hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        // Anchors appear with new blocks; not worth caching (one read per verification).
        self.inner.evidence(credential_hash)
    }
}

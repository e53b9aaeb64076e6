//! Credentials end to end at library level: issuance, presentations and the verifier's report,
//! against an in-memory `CredentialLedger` with DID history, issuer history and CPTs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use weft_chain::{Address, Keypair};
use weft_did::credential::data_integrity::{self, ProofOptions};
use weft_did::credential::presentation::{self, PresentRequest};
use weft_did::credential::vc::{self, CptRef, CptSchema, IssueRequest, VcError};
use weft_did::credential::verify::{
    verify_credential, verify_presentation, CachedLedger, CheckName, CredentialLedger, DidVersion,
    EvidenceOutcome, LedgerError, PresentationExpectations, StatusOutcome, VerificationReport,
    VerifyOptions,
};
use weft_did::{Did, DidState, UpdateOp};

const CHAIN: &str = "weft-test";

fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}
fn ms(secs: i64) -> u64 {
    secs as u64 * 1000
}

/// An in-memory chain: DID histories, authority-issuer intervals, CPTs, status.
#[derive(Default)]
struct Fake {
    height: AtomicU64,
    dids: HashMap<Address, Vec<(u64, Arc<DidVersion>)>>,
    /// Recognition intervals `[from, until)` in ms.
    authority: HashMap<Address, Vec<(u64, u64)>>,
    members: HashMap<(String, Address), (u64, u64)>,
    cpts: HashMap<CptRef, Arc<CptSchema>>,
    status: Mutex<HashMap<String, StatusOutcome>>,
    status_configured: bool,
    anchored: Mutex<Vec<[u8; 32]>>,
    reads: AtomicUsize,
}

impl CredentialLedger for Fake {
    fn height(&self) -> u64 {
        self.height.load(Ordering::SeqCst)
    }
    fn chain_id(&self) -> &str {
        CHAIN
    }
    fn did_version_at(&self, did: &Address, at_ms: u64) -> Result<Option<u32>, LedgerError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.dids.get(did).and_then(|vs| {
            vs.iter()
                .rposition(|(ts, _)| *ts <= at_ms)
                .map(|i| i as u32 + 1)
        }))
    }
    fn did_version(
        &self,
        did: &Address,
        version: u32,
    ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self
            .dids
            .get(did)
            .and_then(|vs| vs.get(version.checked_sub(1)? as usize))
            .map(|(_, v)| v.clone()))
    }
    fn is_authority_issuer(&self, issuer: &Address, at_ms: u64) -> Result<bool, LedgerError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self
            .authority
            .get(issuer)
            .is_some_and(|iv| iv.iter().any(|(a, b)| *a <= at_ms && at_ms < *b)))
    }
    fn is_type_member(
        &self,
        type_name: &str,
        issuer: &Address,
        at_ms: u64,
    ) -> Result<bool, LedgerError> {
        Ok(self
            .members
            .get(&(type_name.to_string(), *issuer))
            .is_some_and(|(a, b)| *a <= at_ms && at_ms < *b))
    }
    fn cpt(&self, cpt: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.cpts.get(&cpt).cloned())
    }
    fn status(&self, entry: &Value) -> Result<StatusOutcome, LedgerError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if !self.status_configured {
            return Err(LedgerError::NotConfigured("status lists"));
        }
        let id = entry["id"]
            .as_str()
            .ok_or_else(|| LedgerError::Invalid("entry without id".into()))?;
        Ok(*self
            .status
            .lock()
            .unwrap()
            .get(id)
            .unwrap_or(&StatusOutcome::Valid))
    }
    fn evidence(&self, hash: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        Ok(if self.anchored.lock().unwrap().contains(hash) {
            EvidenceOutcome::Anchored { height: 7 }
        } else {
            EvidenceOutcome::NotAnchored
        })
    }
}

const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "name": { "type": "string", "minLength": 1 },
    "age": { "type": "integer", "minimum": 0 }
  },
  "required": ["name", "age"],
  "additionalProperties": false
}"#;

const SCHEMA_V2: &str = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;

struct World {
    ledger: Fake,
    issuer: Keypair,
    /// The issuer's key after rotation (key-2, from t=2000).
    issuer2: Keypair,
    issuer_did: String,
    holder: Keypair,
    holder_did: String,
    cpt: Arc<CptSchema>,
}

fn cpt_ref() -> CptRef {
    CptRef {
        id: 2_000_000,
        version: 1,
    }
}

/// The issuer's DID is created at t=1000 (key-1) and rotates key-1 → key-2 at t=2000; it is a
/// recognised authority issuer from t=1100. The holder's DID exists from t=1000.
fn world() -> World {
    let issuer = Keypair::from_seed(&[1; 32]);
    let issuer2 = Keypair::from_seed(&[2; 32]);
    let holder = Keypair::from_seed(&[3; 32]);
    let mut ledger = Fake {
        status_configured: true,
        ..Fake::default()
    };
    let v1 = DidState::genesis(issuer.public_key(), vec![]).unwrap();
    let v2 = v1
        .apply(
            &issuer.address(),
            &[UpdateOp::RotateKey {
                fragment: "key-1".into(),
                public_key: issuer2.public_key(),
            }],
        )
        .unwrap();
    let version = |state: DidState| {
        Arc::new(DidVersion {
            state,
            deactivated: false,
        })
    };
    ledger.dids.insert(
        issuer.address(),
        vec![(ms(1000), version(v1)), (ms(2000), version(v2))],
    );
    ledger.dids.insert(
        holder.address(),
        vec![(
            ms(1000),
            version(DidState::genesis(holder.public_key(), vec![]).unwrap()),
        )],
    );
    ledger
        .authority
        .insert(issuer.address(), vec![(ms(1100), u64::MAX)]);
    let cpt = Arc::new(CptSchema::from_text(cpt_ref(), SCHEMA).unwrap());
    ledger.cpts.insert(cpt_ref(), cpt.clone());
    let v2ref = CptRef {
        id: 2_000_000,
        version: 2,
    };
    ledger.cpts.insert(
        v2ref,
        Arc::new(CptSchema::from_text(v2ref, SCHEMA_V2).unwrap()),
    );
    World {
        issuer_did: Did::weft(CHAIN, issuer.address()).to_string(),
        holder_did: Did::weft(CHAIN, holder.address()).to_string(),
        ledger,
        issuer,
        issuer2,
        holder,
        cpt,
    }
}

impl World {
    fn request(&self) -> IssueRequest {
        IssueRequest {
            id: None,
            contexts: vec![],
            types: vec!["PersonCredential".into()],
            issuer: self.issuer_did.clone(),
            valid_from: t(1500),
            valid_until: Some(t(10_000)),
            subject: json!({ "id": self.holder_did, "name": "Ada", "age": 36 }),
            status: None,
        }
    }

    /// Issued with key-1 at t=1500 (before rotation).
    fn credential(&self) -> Value {
        self.issue_with(&self.request(), "key-1", &self.issuer, t(1500))
    }

    fn issue_with(
        &self,
        req: &IssueRequest,
        frag: &str,
        key: &Keypair,
        at: OffsetDateTime,
    ) -> Value {
        vc::issue(
            req,
            &self.cpt,
            &format!("{}#{frag}", self.issuer_did),
            key,
            at,
        )
        .unwrap()
    }

    fn verify(&self, vc: &Value, now: i64) -> VerificationReport {
        verify_credential(vc, &self.ledger, &VerifyOptions::at(t(now)))
    }

    fn present(&self, credentials: Vec<Value>, challenge: &str, domain: &str) -> Value {
        presentation::present(
            &PresentRequest {
                id: None,
                holder: self.holder_did.clone(),
                credentials,
                challenge: challenge.into(),
                domain: domain.into(),
                created: t(3000),
                expires: t(3300),
            },
            &format!("{}#key-1", self.holder_did),
            &self.holder,
        )
        .unwrap()
    }
}

fn expect() -> PresentationExpectations {
    PresentationExpectations {
        challenge: "c-123".into(),
        domain: Some("verifier.example".into()),
        max_age: Duration::minutes(5),
    }
}

/// Asserts that `report` failed exactly at `check` with `reason`.
fn fails(report: &VerificationReport, check: CheckName, reason: &str) {
    assert!(!report.verified, "{report:#?}");
    let c = report
        .check(check)
        .unwrap_or_else(|| panic!("{check:?} missing"));
    assert!(!c.passed, "{check:?} passed: {report:#?}");
    assert_eq!(c.reason.as_deref(), Some(reason), "{report:#?}");
    for c in &report.checks {
        if !c.passed {
            assert!(c.reason.is_some(), "a failed check without reason: {c:?}");
        }
    }
}

#[test]
fn issued_credential_has_the_vc2_shape_and_verifies() {
    let w = world();
    let vc = w.credential();
    assert_eq!(vc["@context"][0], vc::CONTEXT_V2);
    assert_eq!(
        vc["type"],
        json!(["VerifiableCredential", "PersonCredential"])
    );
    assert!(vc["id"].as_str().unwrap().starts_with("urn:uuid:"));
    assert_eq!(vc["issuer"], w.issuer_did.as_str());
    assert_eq!(vc["validFrom"], "1970-01-01T00:25:00Z");
    assert_eq!(vc["credentialSchema"]["id"], "urn:weft:cpt:2000000:1");
    assert_eq!(vc["credentialSchema"]["type"], "JsonSchema");
    assert_eq!(vc["credentialSchema"]["digestSRI"], w.cpt.digest_sri());
    assert_eq!(vc["proof"]["proofPurpose"], "assertionMethod");
    let report = w.verify(&vc, 3000);
    assert!(report.verified, "{report:#?}");
    assert_eq!(report.checks.len(), 10);
    // Status is checked (no entry), evidence not requested.
    assert_eq!(
        report.check(CheckName::Status).unwrap().reason.as_deref(),
        Some("not_applicable")
    );
    assert_eq!(
        report.check(CheckName::Evidence).unwrap().reason.as_deref(),
        Some("not_requested")
    );
}

#[test]
fn signature_covers_claims_context_proof_options_and_key() {
    let w = world();
    let vc = w.credential();

    let mut changed_claim = vc.clone();
    changed_claim["credentialSubject"]["age"] = json!(37);
    fails(
        &w.verify(&changed_claim, 3000),
        CheckName::Signature,
        "signature_invalid",
    );

    let mut changed_context = vc.clone();
    changed_context["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://example.org/extra"));
    fails(
        &w.verify(&changed_context, 3000),
        CheckName::Signature,
        "signature_invalid",
    );

    let mut changed_option = vc.clone();
    changed_option["proof"]["created"] = json!("1970-01-01T00:25:01Z");
    fails(
        &w.verify(&changed_option, 3000),
        CheckName::Signature,
        "signature_invalid",
    );

    // Signed by another key under key-1's name.
    let forged = w.issue_with(&w.request(), "key-1", &w.holder, t(1500));
    fails(
        &w.verify(&forged, 3000),
        CheckName::Signature,
        "signature_invalid",
    );

    let mut bad_value = vc.clone();
    bad_value["proof"]["proofValue"] = json!("zzz");
    fails(
        &w.verify(&bad_value, 3000),
        CheckName::Signature,
        "malformed_proof",
    );
}

#[test]
fn validity_period() {
    let w = world();
    let vc = w.credential();
    fails(&w.verify(&vc, 1400), CheckName::ValidFrom, "not_yet_valid");
    fails(&w.verify(&vc, 10_001), CheckName::ValidUntil, "expired");
    assert!(w.verify(&vc, 10_000).verified);
}

#[test]
fn schema_pins_cpt_digest_and_version_and_claims() {
    let w = world();
    // Claims failing the schema are refused at issuance, listing the paths.
    let mut req = w.request();
    req.subject = json!({ "id": w.holder_did, "name": "", "age": -1, "extra": true });
    match vc::issue(&req, &w.cpt, "x#key-1", &w.issuer, t(1500)) {
        Err(VcError::ClaimsInvalid { paths }) => {
            let all = paths.join("\n");
            assert!(all.contains("/name"), "{all}");
            assert!(all.contains("/age"), "{all}");
            assert!(paths.len() >= 3, "{all}");
        }
        other => panic!("{other:?}"),
    }

    let sign = |unsigned: &Value| {
        data_integrity::sign(
            unsigned,
            &ProofOptions::assertion(format!("{}#key-1", w.issuer_di()), "1970-01-01T00:25:00Z"),
            &w.issuer,
        )
        .unwrap()
    };
    let unsigned = vc::build(&w.request(), &w.cpt).unwrap();

    // A validly signed credential whose digest is not the CPT's.
    let mut wrong_digest = unsigned.clone();
    wrong_digest["credentialSchema"]["digestSRI"] = json!(vc::digest_sri(&[0; 32]));
    fails(
        &w.verify(&sign(&wrong_digest), 3000),
        CheckName::Schema,
        "schema_mismatch",
    );

    // Pinned to version 2 (another schema and digest) with v1's digest.
    let mut wrong_version = unsigned.clone();
    wrong_version["credentialSchema"]["id"] = json!("urn:weft:cpt:2000000:2");
    fails(
        &w.verify(&sign(&wrong_version), 3000),
        CheckName::Schema,
        "schema_mismatch",
    );

    let mut unknown = unsigned.clone();
    unknown["credentialSchema"]["id"] = json!("urn:weft:cpt:2000000:9");
    fails(
        &w.verify(&sign(&unknown), 3000),
        CheckName::Schema,
        "schema_not_found",
    );

    // Claims that do not satisfy the pinned CPT (signed anyway, bypassing issuance checks).
    let mut bad_claims = unsigned.clone();
    bad_claims["credentialSubject"]["age"] = json!("old");
    fails(
        &w.verify(&sign(&bad_claims), 3000),
        CheckName::Schema,
        "schema_mismatch",
    );

    let mut no_schema = unsigned.clone();
    no_schema
        .as_object_mut()
        .unwrap()
        .remove("credentialSchema");
    fails(
        &w.verify(&sign(&no_schema), 3000),
        CheckName::Schema,
        "schema_missing",
    );
}

impl World {
    fn issuer_di(&self) -> &str {
        &self.issuer_did
    }
}

#[test]
fn issuer_must_be_recognised_at_issuance_time() {
    let w = world();
    // Issued at t=1050: the key is valid, but recognition only starts at t=1100.
    let mut req = w.request();
    req.valid_from = t(1050);
    let early = w.issue_with(&req, "key-1", &w.issuer, t(1050));
    fails(
        &w.verify(&early, 3000),
        CheckName::Issuer,
        "issuer_not_recognised",
    );

    // A DID that never was an authority issuer.
    let mut other = world();
    other.ledger.authority.clear();
    fails(
        &other.verify(&other.credential(), 3000),
        CheckName::Issuer,
        "issuer_not_recognised",
    );

    // Recognition ended after issuance: still valid for what was issued while recognised.
    let mut ended = world();
    ended
        .ledger
        .authority
        .insert(ended.issuer.address(), vec![(ms(1100), ms(2500))]);
    assert!(ended.verify(&ended.credential(), 3000).verified);

    // Issuer-type policy instead of authority issuers.
    let mut typed = world();
    let opts = VerifyOptions {
        issuer_type: Some("university".into()),
        ..VerifyOptions::at(t(3000))
    };
    let vc = typed.credential();
    fails(
        &verify_credential(&vc, &typed.ledger, &opts),
        CheckName::Issuer,
        "issuer_not_recognised",
    );
    typed.ledger.members.insert(
        ("university".into(), typed.issuer.address()),
        (ms(1000), u64::MAX),
    );
    assert!(verify_credential(&vc, &typed.ledger, &opts).verified);
}

#[test]
fn rotated_key_old_credentials_verify_new_signatures_with_old_key_fail() {
    let w = world();
    // Signed with key-1 before the rotation at t=2000.
    assert!(w.verify(&w.credential(), 3000).verified);
    // Signed with key-1 after the rotation.
    let late = w.issue_with(&w.request(), "key-1", &w.issuer, t(2500));
    fails(
        &w.verify(&late, 3000),
        CheckName::KeyValidAtIssuance,
        "key_not_valid_at_issuance",
    );
    // key-2 after the rotation is fine; key-2 before it did not exist.
    let new = w.issue_with(&w.request(), "key-2", &w.issuer2, t(2500));
    assert!(w.verify(&new, 3000).verified);
    let early_new = w.issue_with(&w.request(), "key-2", &w.issuer2, t(1500));
    fails(
        &w.verify(&early_new, 3000),
        CheckName::KeyValidAtIssuance,
        "key_not_valid_at_issuance",
    );
    // A key of another DID cannot sign for this issuer.
    let mut other_vm = w.credential();
    other_vm["proof"]["verificationMethod"] = json!(format!("{}#key-1", w.holder_did));
    fails(
        &w.verify(&other_vm, 3000),
        CheckName::KeyValidAtIssuance,
        "issuer_key_mismatch",
    );
    // Proof dated in the future.
    let future = w.issue_with(&w.request(), "key-2", &w.issuer2, t(9000));
    fails(
        &w.verify(&future, 3000),
        CheckName::KeyValidAtIssuance,
        "created_in_future",
    );
}

#[test]
fn did_key_and_https_issuers() {
    let w = world();
    let key = Keypair::from_seed(&[9; 32]);
    let did_key = Did::Key(key.public_key()).to_string();
    let mb = weft_did::multikey::encode(&key.public_key());
    let mut req = w.request();
    req.issuer = did_key.clone();
    let vc = vc::issue(&req, &w.cpt, &format!("{did_key}#{mb}"), &key, t(1500)).unwrap();
    // Signature and key fine, but not a recognised issuer unless trusted.
    let report = w.verify(&vc, 3000);
    assert!(report.check(CheckName::Signature).unwrap().passed);
    fails(&report, CheckName::Issuer, "issuer_not_recognised");
    let trusted = VerifyOptions {
        trusted_issuers: vec![did_key.clone()],
        ..VerifyOptions::at(t(3000))
    };
    assert!(verify_credential(&vc, &w.ledger, &trusted).verified);

    // An https issuer whose verification method is a did:key.
    req.issuer = "https://issuer.example/".into();
    let vc = vc::issue(&req, &w.cpt, &format!("{did_key}#{mb}"), &key, t(1500)).unwrap();
    // Trusted by name, the URL proves no key: the key must be bound to the issuer.
    let named = VerifyOptions {
        trusted_issuers: vec!["https://issuer.example/".into()],
        ..VerifyOptions::at(t(3000))
    };
    fails(
        &verify_credential(&vc, &w.ledger, &named),
        CheckName::Issuer,
        "issuer_key_unbound",
    );
    let trusted = VerifyOptions {
        issuer_keys: vec![weft_did::credential::policy::IssuerKeyBinding {
            issuer: "https://issuer.example/".into(),
            verification_method: did_key.clone(),
        }],
        ..named
    };
    assert!(verify_credential(&vc, &w.ledger, &trusted).verified);
    // The did:key fragment must name the same key.
    let other = Did::Key(w.holder.public_key()).to_string();
    let mut wrong = vc.clone();
    wrong["proof"]["verificationMethod"] = json!(format!("{did_key}#{}", &other[8..]));
    fails(
        &verify_credential(&wrong, &w.ledger, &trusted),
        CheckName::KeyValidAtIssuance,
        "key_not_valid_at_issuance",
    );
}

#[test]
fn structure_is_strict() {
    let w = world();
    let vc = w.credential();
    type Mutation = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "wrong context",
            Box::new(|v| v["@context"] = json!(["https://www.w3.org/2018/credentials/v1"])),
        ),
        (
            "context string",
            Box::new(|v| v["@context"] = json!(vc::CONTEXT_V2)),
        ),
        (
            "missing type",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("type");
            }),
        ),
        (
            "type without base",
            Box::new(|v| v["type"] = json!(["PersonCredential"])),
        ),
        (
            "bad date",
            Box::new(|v| v["validFrom"] = json!("yesterday")),
        ),
        (
            "inverted dates",
            Box::new(|v| v["validUntil"] = json!("1970-01-01T00:00:01Z")),
        ),
        (
            "no issuer",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("issuer");
            }),
        ),
        ("bad issuer", Box::new(|v| v["issuer"] = json!("not a url"))),
        (
            "no subject",
            Box::new(|v| v["credentialSubject"] = json!(5)),
        ),
        (
            "bad schema urn",
            Box::new(|v| v["credentialSchema"]["id"] = json!("urn:weft:cpt:x:1")),
        ),
        (
            "bad status",
            Box::new(|v| v["credentialStatus"] = json!("revoked?")),
        ),
    ];
    for (what, mutate) in cases {
        let mut bad = vc.clone();
        mutate(&mut bad);
        let report = w.verify(&bad, 3000);
        fails(&report, CheckName::Structure, "malformed");
        assert!(
            report.checks[1..]
                .iter()
                .all(|c| !c.passed && c.reason.as_deref() == Some("not_evaluated")),
            "{what}: {report:#?}"
        );
    }
    for junk in [json!(null), json!([]), json!("vc"), json!({})] {
        fails(&w.verify(&junk, 3000), CheckName::Structure, "malformed");
    }
}

#[test]
fn status_outcomes_and_not_configured() {
    let w = world();
    let mut req = w.request();
    req.status = Some(json!({
        "id": "https://example/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example/status/1"
    }));
    let vc = w.issue_with(&req, "key-1", &w.issuer, t(1500));
    assert_eq!(vc["credentialStatus"], req.status.clone().unwrap());
    assert!(w.verify(&vc, 3000).verified);
    w.ledger.status.lock().unwrap().insert(
        "https://example/status/1#94567".into(),
        StatusOutcome::Revoked,
    );
    fails(&w.verify(&vc, 3000), CheckName::Status, "revoked");
    w.ledger.status.lock().unwrap().insert(
        "https://example/status/1#94567".into(),
        StatusOutcome::Suspended,
    );
    fails(&w.verify(&vc, 3000), CheckName::Status, "suspended");
    let opts = VerifyOptions {
        check_status: false,
        ..VerifyOptions::at(t(3000))
    };
    assert!(verify_credential(&vc, &w.ledger, &opts).verified);

    let mut unconfigured = world();
    unconfigured.ledger.status_configured = false;
    fails(
        &unconfigured.verify(&vc, 3000),
        CheckName::Status,
        "status_not_configured",
    );
}

#[test]
fn evidence_check_when_requested() {
    let w = world();
    let vc = w.credential();
    let opts = VerifyOptions {
        check_evidence: true,
        ..VerifyOptions::at(t(3000))
    };
    fails(
        &verify_credential(&vc, &w.ledger, &opts),
        CheckName::Evidence,
        "not_anchored",
    );
    w.ledger
        .anchored
        .lock()
        .unwrap()
        .push(vc::credential_hash(&vc));
    assert!(verify_credential(&vc, &w.ledger, &opts).verified);
}

#[test]
fn presentation_binds_challenge_domain_expiry_and_holder() {
    let w = world();
    let vp = w.present(vec![w.credential()], "c-123", "verifier.example");
    let opts = VerifyOptions::at(t(3100));
    let report = verify_presentation(&vp, &w.ledger, &opts, &expect());
    assert!(report.verified, "{report:#?}");
    assert_eq!(report.credentials.len(), 1);
    assert_eq!(vp["proof"]["proofPurpose"], "authentication");
    assert_eq!(vp["proof"]["expires"], "1970-01-01T00:55:00Z");

    // Replayed to a verifier expecting another challenge.
    let other = PresentationExpectations {
        challenge: "c-456".into(),
        ..expect()
    };
    fails(
        &verify_presentation(&vp, &w.ledger, &opts, &other),
        CheckName::Challenge,
        "challenge_mismatch",
    );
    // Challenge edited in the document: the signature no longer holds.
    let mut edited = vp.clone();
    edited["proof"]["challenge"] = json!("c-456");
    fails(
        &verify_presentation(&edited, &w.ledger, &opts, &other),
        CheckName::PresentationSignature,
        "signature_invalid",
    );
    // Wrong domain.
    let elsewhere = w.present(vec![w.credential()], "c-123", "evil.example");
    fails(
        &verify_presentation(&elsewhere, &w.ledger, &opts, &expect()),
        CheckName::Domain,
        "domain_mismatch",
    );
    // Expired.
    fails(
        &verify_presentation(&vp, &w.ledger, &VerifyOptions::at(t(3301)), &expect()),
        CheckName::PresentationExpiry,
        "presentation_expired",
    );
    // A credential whose subject is someone else.
    let mut req = w.request();
    req.subject = json!({ "id": w.issuer_did, "name": "Bob", "age": 50 });
    let not_mine = w.issue_with(&req, "key-1", &w.issuer, t(1500));
    fails(
        &verify_presentation(
            &w.present(vec![not_mine], "c-123", "verifier.example"),
            &w.ledger,
            &opts,
            &expect(),
        ),
        CheckName::HolderBinding,
        "holder_mismatch",
    );
    // Holder field changed to another DID: signature and binding both fail.
    let mut other_holder = vp.clone();
    other_holder["holder"] = json!(w.issuer_did);
    let r = verify_presentation(&other_holder, &w.ledger, &opts, &expect());
    fails(&r, CheckName::HolderBinding, "holder_mismatch");
    fails(&r, CheckName::PresentationSignature, "signature_invalid");
    // A tampered enclosed credential fails the presentation through its report.
    let mut tampered = w.credential();
    tampered["credentialSubject"]["age"] = json!(99);
    let r = verify_presentation(
        &w.present(vec![tampered], "c-123", "verifier.example"),
        &w.ledger,
        &opts,
        &expect(),
    );
    fails(&r, CheckName::Credentials, "credential_invalid");
    assert!(!r.credentials[0].verified);
    // Signed with an assertion-only purpose.
    let mut vp_unsigned = vp.clone();
    vp_unsigned.as_object_mut().unwrap().remove("proof");
    let asserted = data_integrity::sign(
        &vp_unsigned,
        &ProofOptions {
            challenge: Some("c-123".into()),
            domain: Some("verifier.example".into()),
            expires: Some("1970-01-01T00:55:00Z".into()),
            ..ProofOptions::assertion(format!("{}#key-1", w.holder_did), "1970-01-01T00:50:00Z")
        },
        &w.holder,
    )
    .unwrap();
    fails(
        &verify_presentation(&asserted, &w.ledger, &opts, &expect()),
        CheckName::PresentationPurpose,
        "wrong_proof_purpose",
    );
}

#[test]
fn cache_keeps_immutable_facts_and_drops_mutable_ones_when_height_moves() {
    let w = world();
    let vc = {
        let mut req = w.request();
        req.status =
            Some(json!({"id": "https://status.example/s#1", "type": "BitstringStatusListEntry"}));
        w.issue_with(&req, "key-1", &w.issuer, t(1500))
    };
    let cached = CachedLedger::new(w.ledger);
    let opts = VerifyOptions::at(t(3000));
    assert!(verify_credential(&vc, &cached, &opts).verified);
    let after_first = cached.inner().reads.load(Ordering::SeqCst);
    assert!(verify_credential(&vc, &cached, &opts).verified);
    assert_eq!(
        cached.inner().reads.load(Ordering::SeqCst),
        after_first,
        "all hits"
    );

    // Revocation at the same height is not seen (per-height cache)...
    cached
        .inner()
        .status
        .lock()
        .unwrap()
        .insert("https://status.example/s#1".into(), StatusOutcome::Revoked);
    assert!(verify_credential(&vc, &cached, &opts).verified);
    // ...and is seen as soon as the height moves; immutable facts stay cached.
    cached.inner().height.store(1, Ordering::SeqCst);
    fails(
        &verify_credential(&vc, &cached, &opts),
        CheckName::Status,
        "revoked",
    );
    let reads = cached.inner().reads.load(Ordering::SeqCst) - after_first;
    assert_eq!(
        reads, 3,
        "version_at, authority and status re-read; version and CPT not"
    );

    // Thread-safe: verify from several threads at once.
    let cached = Arc::new(cached);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let cached = cached.clone();
            let vc = vc.clone();
            s.spawn(move || {
                for _ in 0..50 {
                    let r = verify_credential(&vc, &*cached, &VerifyOptions::at(t(3000)));
                    assert_eq!(r.failures(), vec!["revoked"]);
                }
            });
        }
    });
}

#[test]
fn report_serialises_with_stable_names() {
    let w = world();
    let mut vc = w.credential();
    vc["credentialSubject"]["age"] = json!(1);
    let json = serde_json::to_value(w.verify(&vc, 3000)).unwrap();
    assert_eq!(json["verified"], false);
    let sig = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signature")
        .unwrap();
    assert_eq!(sig["passed"], false);
    assert_eq!(sig["reason"], "signature_invalid");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_valid_claims_round_trip_and_any_change_fails(
        name in "\\PC{1,40}",
        age in 0i64..1_000_000,
        other_age in 0i64..1_000_000,
    ) {
        let w = world();
        let mut req = w.request();
        req.subject = json!({ "id": w.holder_did, "name": name, "age": age });
        let vc = w.issue_with(&req, "key-1", &w.issuer, t(1500));
        let text = serde_json::to_string(&vc).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        let report = w.verify(&back, 3000);
        prop_assert!(report.verified, "{:#?}", report);
        if other_age != age {
            let mut changed = back.clone();
            changed["credentialSubject"]["age"] = json!(other_age);
            let report = w.verify(&changed, 3000);
            prop_assert_eq!(report.failures(), vec!["signature_invalid", "not_evaluated"]);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(s in "\\PC{0,200}") {
        let w = world();
        let v = serde_json::from_str::<Value>(&s).unwrap_or(Value::String(s));
        let r = w.verify(&v, 3000);
        prop_assert!(!r.verified);
        let r = verify_presentation(&v, &w.ledger, &VerifyOptions::at(t(3000)), &expect());
        prop_assert!(!r.verified);
    }
}

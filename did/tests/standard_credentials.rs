//! Standard (non-Weft) credentials: the verification policy (`options.checks`), did:key issuance
//! without a CPT, VC 1.1 input, URL issuers bound to keys, and Bitstring Status List credentials
//! verified and applied. Everything here needs no chain: did:key resolves locally, so the ledger
//! answers nothing ([`NoLedger`]).

use std::sync::Arc;

use serde_json::{json, Value};
use time::OffsetDateTime;
use weft_chain::{Address, Keypair};
use weft_did::credential::data_integrity::{self, ProofOptions};
use weft_did::credential::policy::{CheckKind, Checks, IssuerKeyBinding};
use weft_did::credential::request::{
    IssueCredentialRequest, RequestError, VerifyCredentialRequest,
};
use weft_did::credential::status_list::{
    self, check_entry_with_list, verify_status_list_credential, PublicBaseUrl, StatusListError,
};
use weft_did::credential::vc::{CptRef, CptSchema};
use weft_did::credential::verify::{
    verify_credential, CheckName, CredentialLedger, DidVersion, EvidenceOutcome, LedgerError,
    StatusOutcome, VerificationReport, VerifyOptions,
};
use weft_did::status::{self as st, StatusPurpose};
use weft_did::Did;

const CHAIN: &str = "weft-test";

/// A ledger that knows nothing (every lookup is "not configured").
struct NoLedger;

impl CredentialLedger for NoLedger {
    fn height(&self) -> u64 {
        1
    }
    fn chain_id(&self) -> &str {
        CHAIN
    }
    fn did_version_at(&self, _: &Address, _: u64) -> Result<Option<u32>, LedgerError> {
        Err(LedgerError::NotConfigured("dids"))
    }
    fn did_version(&self, _: &Address, _: u32) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        Err(LedgerError::NotConfigured("dids"))
    }
    fn is_authority_issuer(&self, _: &Address, _: u64) -> Result<bool, LedgerError> {
        Err(LedgerError::NotConfigured("issuers"))
    }
    fn is_type_member(&self, _: &str, _: &Address, _: u64) -> Result<bool, LedgerError> {
        Err(LedgerError::NotConfigured("issuer types"))
    }
    fn cpt(&self, _: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        Err(LedgerError::NotConfigured("cpts"))
    }
    fn status(&self, _: &Value) -> Result<StatusOutcome, LedgerError> {
        Err(LedgerError::NotConfigured("status"))
    }
    fn evidence(&self, _: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        Err(LedgerError::NotConfigured("evidence"))
    }
}

fn vector(name: &str) -> Value {
    let path = format!(
        "{}/tests/vectors/vc-di-eddsa/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn proof_only() -> VerifyOptions {
    VerifyOptions::with_checks(now(), Checks::of(&[CheckKind::Proof]))
}

fn reason(r: &VerificationReport, name: CheckName) -> Option<String> {
    r.check(name).unwrap().reason.clone()
}

fn fails(r: &VerificationReport, name: CheckName, why: &str) {
    assert!(!r.verified, "{r:?}");
    let c = r.check(name).unwrap();
    assert!(!c.passed, "{name:?} passed: {r:?}");
    assert_eq!(c.reason.as_deref(), Some(why), "{r:?}");
}

#[test]
fn the_w3c_eddsa_jcs_2022_vector_verifies_with_checks_proof() {
    let vc = vector("signedJCS.json");
    let r = verify_credential(&vc, &NoLedger, &proof_only());
    assert!(r.verified, "{r:?}");
    for name in [
        CheckName::Structure,
        CheckName::KeyValidAtIssuance,
        CheckName::Signature,
        CheckName::ProofPurpose,
    ] {
        let c = r.check(name).unwrap();
        assert!(c.passed && c.reason.is_none(), "{c:?}");
    }
    // Not asked for: listed, passed, and saying so.
    for name in [
        CheckName::ValidFrom,
        CheckName::Issuer,
        CheckName::Schema,
        CheckName::Status,
        CheckName::Evidence,
    ] {
        assert_eq!(
            reason(&r, name).as_deref(),
            Some("not_requested"),
            "{name:?}"
        );
    }
    assert!(r.check(CheckName::Issuer).unwrap().detail.is_some());

    // Default policy: no Weft issuer, no CPT, no status: proof and validity run.
    let r = verify_credential(&vc, &NoLedger, &VerifyOptions::at(now()));
    assert!(r.verified, "{r:?}");
    assert!(r.check(CheckName::ValidFrom).unwrap().reason.is_none());
    assert_eq!(
        reason(&r, CheckName::Issuer).as_deref(),
        Some("not_requested")
    );
}

#[test]
fn tampered_copies_of_the_vector_fail_with_typed_reasons() {
    let vc = vector("signedJCS.json");
    let o = proof_only();
    let mut claim = vc.clone();
    claim["credentialSubject"]["alumniOf"] = json!("Another School");
    fails(
        &verify_credential(&claim, &NoLedger, &o),
        CheckName::Signature,
        "signature_invalid",
    );
    let mut issuer = vc.clone();
    issuer["issuer"] = json!("https://evil.example/");
    fails(
        &verify_credential(&issuer, &NoLedger, &o),
        CheckName::Signature,
        "signature_invalid",
    );
    let mut value = vc.clone();
    let pv = value["proof"]["proofValue"].as_str().unwrap().to_string();
    let flipped = if pv.ends_with('X') { "Y" } else { "X" };
    value["proof"]["proofValue"] = json!(format!("{}{flipped}", &pv[..pv.len() - 1]));
    let r = verify_credential(&value, &NoLedger, &o);
    assert!(!r.verified);
    assert!(!r.check(CheckName::Signature).unwrap().passed);
    // Another did:key as the verification method: the signature is not its.
    let other = Keypair::from_seed(&[9; 32]);
    let did = Did::Key(other.public_key()).to_string();
    let mut method = vc.clone();
    method["proof"]["verificationMethod"] = json!(format!(
        "{did}#{}",
        weft_did::multikey::encode(&other.public_key())
    ));
    fails(
        &verify_credential(&method, &NoLedger, &o),
        CheckName::Signature,
        "signature_invalid",
    );
    // An unknown context added after signing.
    let mut ctx = vc.clone();
    ctx["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://unknown.example/ctx"));
    fails(
        &verify_credential(&ctx, &NoLedger, &o),
        CheckName::Signature,
        "signature_invalid",
    );
    // Structurally broken.
    let mut no_subject = vc.clone();
    no_subject
        .as_object_mut()
        .unwrap()
        .remove("credentialSubject");
    fails(
        &verify_credential(&no_subject, &NoLedger, &o),
        CheckName::Structure,
        "malformed",
    );
    for junk in [json!(null), json!([]), json!("vc"), json!({"proof": 1})] {
        assert!(!verify_credential(&junk, &NoLedger, &o).verified);
    }
}

#[test]
fn a_url_issuer_is_trusted_only_with_a_bound_key() {
    let vc = vector("signedJCS.json");
    let method = vc["proof"]["verificationMethod"]
        .as_str()
        .unwrap()
        .to_string();
    let issuer = "https://vc.example/issuers/5678".to_string();
    // Trusted by name only: the URL proves no key.
    let o = VerifyOptions {
        trusted_issuers: vec![issuer.clone()],
        ..VerifyOptions::at(now())
    };
    fails(
        &verify_credential(&vc, &NoLedger, &o),
        CheckName::Issuer,
        "issuer_key_unbound",
    );
    // Bound to the key that signed.
    let bound = VerifyOptions {
        issuer_keys: vec![IssuerKeyBinding {
            issuer: issuer.clone(),
            verification_method: method.clone(),
        }],
        ..o.clone()
    };
    assert!(verify_credential(&vc, &NoLedger, &bound).verified);
    // Bound to another key: a credential claiming the trusted issuer but signed by this key
    // fails.
    let other = Keypair::from_seed(&[7; 32]);
    let other_did = Did::Key(other.public_key()).to_string();
    let wrong = VerifyOptions {
        issuer_keys: vec![IssuerKeyBinding {
            issuer,
            verification_method: other_did.clone(),
        }],
        ..o
    };
    fails(
        &verify_credential(&vc, &NoLedger, &wrong),
        CheckName::Issuer,
        "issuer_key_unbound",
    );
    // And a credential the other key signs as that issuer verifies only under the right
    // binding.
    let mut unsigned = vc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let m = format!(
        "{other_did}#{}",
        weft_did::multikey::encode(&other.public_key())
    );
    let forged = data_integrity::sign(
        &unsigned,
        &ProofOptions::assertion(m, "2023-02-24T23:36:38Z"),
        &other,
    )
    .unwrap();
    assert!(verify_credential(&forged, &NoLedger, &proof_only()).verified);
    fails(
        &verify_credential(&forged, &NoLedger, &bound),
        CheckName::Issuer,
        "issuer_key_unbound",
    );
}

fn did_key(k: &Keypair) -> String {
    Did::Key(k.public_key()).to_string()
}

fn issue_body(issuer: &str) -> Value {
    json!({
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "ExampleDegree"],
            "issuer": issuer,
            "name": "Degree",
            "credentialSubject": {"id": "did:example:holder", "degree": "BSc"}
        },
        "options": {"keyId": "k1"}
    })
}

fn issue_with(body: &Value, key: &Keypair, created: OffsetDateTime) -> Value {
    let req: IssueCredentialRequest = serde_json::from_value(body.clone()).unwrap();
    let input = req.input(CHAIN, created).unwrap();
    let vm = input.issuer.verification_method("ignored");
    input.issue(None, &vm, key, created).unwrap().credential
}

#[test]
fn a_did_key_issuer_without_a_schema_issues_and_verifies() {
    let key = Keypair::from_seed(&[3; 32]);
    let body = issue_body(&did_key(&key));
    let req: IssueCredentialRequest = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(req.options.key_id.as_deref(), Some("k1"));
    let input = req.input(CHAIN, now()).unwrap();
    assert!(input.cpt.is_none() && !input.mapped_from_v1);
    let vc = issue_with(&body, &key, now());
    assert!(vc["id"].as_str().unwrap().starts_with("urn:uuid:"));
    assert!(vc.get("validFrom").is_some());
    assert_eq!(vc["name"], "Degree");
    let r = verify_credential(&vc, &NoLedger, &VerifyOptions::at(now()));
    assert!(r.verified, "{r:?}");

    // Wrong key: signed by another key under the issuer's method.
    let other = Keypair::from_seed(&[4; 32]);
    let input = req.input(CHAIN, now()).unwrap();
    let vm = input.issuer.verification_method("");
    let wrong = input.issue(None, &vm, &other, now()).unwrap().credential;
    fails(
        &verify_credential(&wrong, &NoLedger, &proof_only()),
        CheckName::Signature,
        "signature_invalid",
    );
    // Signed by another did:key than the issuer's: the key is not the issuer's.
    let vm_other = format!(
        "{}#{}",
        did_key(&other),
        weft_did::multikey::encode(&other.public_key())
    );
    let foreign = input
        .issue(None, &vm_other, &other, now())
        .unwrap()
        .credential;
    fails(
        &verify_credential(&foreign, &NoLedger, &proof_only()),
        CheckName::KeyValidAtIssuance,
        "issuer_key_mismatch",
    );
}

#[test]
fn expiry_and_validity_are_checked_when_asked() {
    let key = Keypair::from_seed(&[5; 32]);
    let mut body = issue_body(&did_key(&key));
    body["credential"]["validFrom"] = json!("2020-01-01T00:00:00Z");
    body["credential"]["validUntil"] = json!("2021-01-01T00:00:00Z");
    let vc = issue_with(&body, &key, now());
    fails(
        &verify_credential(&vc, &NoLedger, &VerifyOptions::at(now())),
        CheckName::ValidUntil,
        "expired",
    );
    // checks: ["proof"] does not look at the dates; adding "expiration" does.
    assert!(verify_credential(&vc, &NoLedger, &proof_only()).verified);
    let o = VerifyOptions::with_checks(
        now(),
        Checks::of(&[CheckKind::Proof, CheckKind::Expiration]),
    );
    fails(
        &verify_credential(&vc, &NoLedger, &o),
        CheckName::ValidUntil,
        "expired",
    );
    let mut future = body.clone();
    future["credential"]["validFrom"] = json!("2999-01-01T00:00:00Z");
    future["credential"]
        .as_object_mut()
        .unwrap()
        .remove("validUntil");
    let vc = issue_with(&future, &key, now());
    fails(
        &verify_credential(&vc, &NoLedger, &o),
        CheckName::ValidFrom,
        "not_yet_valid",
    );
}

#[test]
fn issuance_input_is_refused_with_typed_errors() {
    let key = Keypair::from_seed(&[6; 32]);
    let good = issue_body(&did_key(&key));
    let input = |b: &Value| -> Result<_, RequestError> {
        let req: IssueCredentialRequest =
            serde_json::from_value(b.clone()).map_err(|e| RequestError::Json(e.to_string()))?;
        req.input(CHAIN, now())
    };
    let code = |b: &Value| input(b).unwrap_err().code();
    let with = |path: &str, v: Value| {
        let mut b = good.clone();
        b["credential"][path] = v;
        b
    };
    assert_eq!(
        code(&with(
            "issuer",
            json!("did:weft:other-chain:0x0000000000000000000000000000000000000001")
        )),
        "unsupported_issuer"
    );
    assert_eq!(
        code(&with("issuer", json!("https://issuer.example/"))),
        "unsupported_issuer"
    );
    assert_eq!(code(&with("issuer", Value::Null)), "missing_issuer");
    assert_eq!(
        code(&with("proof", json!({"type": "DataIntegrityProof"}))),
        "already_signed"
    );
    assert_eq!(
        code(&with("type", json!(["ExampleDegree"]))),
        "missing_type"
    );
    assert_eq!(code(&with("validFrom", json!("yesterday"))), "bad_date");
    assert_eq!(code(&with("credentialSubject", json!({}))), "bad_subject");
    assert_eq!(
        code(&with("@context", json!(["https://example.org/ctx"]))),
        "missing_base_context"
    );
    assert_eq!(
        code(&with(
            "credentialSchema",
            json!({"id": "urn:weft:cpt:x:1", "type": "JsonSchema"})
        )),
        "bad_schema_ref"
    );
    let mut no_cred = good.clone();
    no_cred["credential"] = json!("text");
    assert_eq!(code(&no_cred), "not_an_object");
    assert!(IssueCredentialRequest::from_json(b"{not json")
        .unwrap_err()
        .is_malformed());
    assert_eq!(
        IssueCredentialRequest::from_json(br#"{"credential": {}, "options": {"status": 3}}"#)
            .unwrap_err()
            .code(),
        "malformed_request"
    );
    let r = IssueCredentialRequest::from_json(
        br#"{"credential": {}, "options": {"status": "suspension", "evidence": true, "other": 1}}"#,
    )
    .unwrap();
    assert_eq!(r.options.status.0, Some(StatusPurpose::Suspension));
    assert!(r.options.evidence);
    let r = IssueCredentialRequest::from_json(br#"{"credential": {}, "options": null}"#).unwrap();
    assert_eq!(r.options.status.0, None);

    // A CPT pin needs the CPT.
    let mut pinned = good.clone();
    pinned["credential"]["credentialSchema"] =
        json!({"id": "urn:weft:cpt:2000001:1", "type": "JsonSchema"});
    let inp = input(&pinned).unwrap();
    assert_eq!(
        inp.cpt.unwrap().0,
        CptRef {
            id: 2_000_001,
            version: 1
        }
    );
    let vm = inp.issuer.verification_method("");
    assert_eq!(
        inp.issue(None, &vm, &key, now()).unwrap_err().code(),
        "schema_not_found"
    );
    // Given the CPT, the claims are validated against it and the pin completed.
    let schema =
        r#"{"type":"object","properties":{"degree":{"type":"string"}},"required":["degree"]}"#;
    let cpt = CptSchema::from_text(
        CptRef {
            id: 2_000_001,
            version: 1,
        },
        schema,
    )
    .unwrap();
    let issued = inp.issue(Some(&cpt), &vm, &key, now()).unwrap().credential;
    assert_eq!(
        issued["credentialSchema"]["digestSRI"],
        json!(cpt.digest_sri())
    );
    let mut bad_claims = pinned.clone();
    bad_claims["credential"]["credentialSubject"]["degree"] = json!(3);
    let inp = input(&bad_claims).unwrap();
    assert_eq!(
        inp.issue(Some(&cpt), &vm, &key, now()).unwrap_err().code(),
        "claims_invalid"
    );
    // A status entry twice.
    let mut with_status = good.clone();
    with_status["credential"]["credentialStatus"] = json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "1", "statusListCredential": "https://x.example/l"});
    let mut inp = input(&with_status).unwrap();
    assert!(inp.has_status());
    assert_eq!(
        inp.set_status(json!({})).unwrap_err(),
        RequestError::StatusTwice
    );
}

#[test]
fn vc_1_1_input_is_mapped_at_issuance_and_verifies_as_given() {
    let key = Keypair::from_seed(&[8; 32]);
    let body = json!({
        "credential": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"],
            "issuer": did_key(&key),
            "issuanceDate": "2024-01-01T00:00:00Z",
            "expirationDate": "2999-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:holder", "member": true}
        }
    });
    let req: IssueCredentialRequest = serde_json::from_value(body.clone()).unwrap();
    let inp = req.input(CHAIN, now()).unwrap();
    assert!(inp.mapped_from_v1);
    let unsigned = inp.unsigned();
    assert_eq!(
        unsigned["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    assert_eq!(unsigned["validFrom"], "2024-01-01T00:00:00Z");
    assert_eq!(unsigned["validUntil"], "2999-01-01T00:00:00Z");
    assert!(unsigned.get("issuanceDate").is_none());
    let vc = issue_with(&body, &key, now());
    assert!(verify_credential(&vc, &NoLedger, &VerifyOptions::at(now())).verified);

    let mut mixed = body.clone();
    mixed["credential"]["validFrom"] = json!("2024-01-01T00:00:00Z");
    let req: IssueCredentialRequest = serde_json::from_value(mixed).unwrap();
    assert_eq!(
        req.input(CHAIN, now()).unwrap_err().code(),
        "mixed_versions"
    );

    // A VC 1.1 credential signed elsewhere verifies as it is, its dates read from the v1 names.
    let vm = format!(
        "{}#{}",
        did_key(&key),
        weft_did::multikey::encode(&key.public_key())
    );
    let mut v1 = body["credential"].clone();
    let signed = data_integrity::sign(
        &v1,
        &ProofOptions::assertion(&vm, "2024-01-01T00:00:00Z"),
        &key,
    )
    .unwrap();
    assert!(verify_credential(&signed, &NoLedger, &VerifyOptions::at(now())).verified);
    v1["expirationDate"] = json!("2024-06-01T00:00:00Z");
    let expired = data_integrity::sign(
        &v1,
        &ProofOptions::assertion(&vm, "2024-01-01T00:00:00Z"),
        &key,
    )
    .unwrap();
    fails(
        &verify_credential(&expired, &NoLedger, &VerifyOptions::at(now())),
        CheckName::ValidUntil,
        "expired",
    );
}

#[test]
fn verify_requests_parse_into_options() {
    let vc = vector("signedJCS.json");
    let body = json!({"verifiableCredential": vc, "options": {"checks": ["proof"]}});
    let req = VerifyCredentialRequest::from_json(body.to_string().as_bytes()).unwrap();
    let o = req.options.to_options(now()).unwrap();
    assert!(verify_credential(&req.verifiable_credential, &NoLedger, &o).verified);

    let bound = json!({"verifiableCredential": vc, "options": {
        "checks": ["proof", "issuer-standing"],
        "trustedIssuers": [{"id": "https://vc.example/issuers/5678",
                            "verificationMethods": [vc["proof"]["verificationMethod"]]}],
        "unknownOption": 1
    }});
    let req = VerifyCredentialRequest::from_json(bound.to_string().as_bytes()).unwrap();
    let o = req.options.to_options(now()).unwrap();
    let r = verify_credential(&req.verifiable_credential, &NoLedger, &o);
    assert!(r.verified, "{r:?}");
    assert!(r.check(CheckName::Issuer).unwrap().reason.is_none());

    let bad = |options: Value| {
        let b = json!({"verifiableCredential": vc, "options": options});
        match VerifyCredentialRequest::from_json(b.to_string().as_bytes()) {
            Err(e) => e.code(),
            Ok(r) => r.options.to_options(now()).unwrap_err().code(),
        }
    };
    assert_eq!(
        bad(json!({"checks": ["proof", "astrology"]})),
        "malformed_request"
    );
    assert_eq!(bad(json!({"checks": "proof"})), "malformed_request");
    assert_eq!(bad(json!({"checkStatus": "yes"})), "malformed_request");
    assert_eq!(bad(json!({"trustedIssuers": ["not a url"]})), "bad_option");
    assert_eq!(
        bad(
            json!({"trustedIssuers": [{"id": "https://a.example", "verificationMethods": ["z6Mk"]}]})
        ),
        "bad_option"
    );
    assert_eq!(bad(json!({"issuerType": ""})), "bad_option");
    assert_eq!(
        VerifyCredentialRequest::from_json(br#"{"verifiableCredential": "x"}"#)
            .unwrap_err()
            .code(),
        "not_an_object"
    );
    assert_eq!(
        VerifyCredentialRequest::from_json(br#"{"verifiableCredential": {"#)
            .unwrap_err()
            .code(),
        "malformed_request"
    );
}

/// A signed status list credential of `issuer` (a did:key) with `revoked` bits set.
fn status_list(key: &Keypair, url: &str, revoked: &[u64], length_bits: u64) -> Value {
    let mut bits = vec![0u8; (length_bits / 8) as usize];
    for &i in revoked {
        bits[(i / 8) as usize] |= 0x80 >> (i % 8);
    }
    let unsigned = st::status_list_credential(
        url,
        &did_key(key),
        StatusPurpose::Revocation,
        &bits,
        "2024-01-01T00:00:00Z",
    );
    let vm = format!(
        "{}#{}",
        did_key(key),
        weft_did::multikey::encode(&key.public_key())
    );
    data_integrity::sign(
        &unsigned,
        &ProofOptions::assertion(vm, "2024-01-01T00:00:00Z"),
        key,
    )
    .unwrap()
}

#[test]
fn status_list_credentials_verify_decode_and_apply() {
    let key = Keypair::from_seed(&[10; 32]);
    let base = PublicBaseUrl::parse("https://weft.example.org").unwrap();
    let url = base.status_list_url(&weft_chain::Hash([1; 32]));
    let list_vc = status_list(&key, &url, &[5, 1000], st::MIN_LENGTH);
    let o = VerifyOptions::at(now());

    // The list credential verifies as a credential (default policy) and as a list.
    assert!(verify_credential(&list_vc, &NoLedger, &o).verified);
    let list = verify_status_list_credential(&list_vc, &NoLedger, &o).unwrap();
    assert_eq!(list.url, url);
    assert_eq!(list.purpose, StatusPurpose::Revocation);
    assert_eq!(list.bits.len() as u64 * 8, st::MIN_LENGTH);

    let entry = |i: u64, purpose: &str| {
        json!({"type": "BitstringStatusListEntry", "statusPurpose": purpose,
               "statusListIndex": i.to_string(), "statusListCredential": url})
    };
    let issuer = did_key(&key);
    assert_eq!(
        check_entry_with_list(&entry(5, "revocation"), &issuer, &list).unwrap(),
        StatusOutcome::Revoked
    );
    assert_eq!(
        check_entry_with_list(&entry(6, "revocation"), &issuer, &list).unwrap(),
        StatusOutcome::Valid
    );
    let code =
        |e: Value, issuer: &str| check_entry_with_list(&e, issuer, &list).unwrap_err().code();
    assert_eq!(code(entry(5, "suspension"), &issuer), "purpose_mismatch");
    assert_eq!(
        code(entry(st::MIN_LENGTH, "revocation"), &issuer),
        "index_out_of_range"
    );
    assert_eq!(
        code(entry(5, "revocation"), "did:example:other"),
        "status_issuer_mismatch"
    );
    let mut elsewhere = entry(5, "revocation");
    elsewhere["statusListCredential"] = json!("https://other.example/status-lists/1");
    assert_eq!(code(elsewhere, &issuer), "wrong_status_list");
    let mut bad_index = entry(5, "revocation");
    bad_index["statusListIndex"] = json!("05");
    assert_eq!(code(bad_index, &issuer), "status_malformed");

    // Tampered list: a revocation bit cleared after signing.
    let mut tampered = list_vc.clone();
    tampered["credentialSubject"]["encodedList"] =
        json!(st::encode_list(&vec![0u8; (st::MIN_LENGTH / 8) as usize]));
    let e = verify_status_list_credential(&tampered, &NoLedger, &o).unwrap_err();
    assert_eq!(e.code(), "status_list_not_verified");
    // Too short a list, properly signed.
    let short = status_list(&key, &url, &[], 1024);
    assert!(matches!(
        verify_status_list_credential(&short, &NoLedger, &o),
        Err(StatusListError::TooShort { bits: 1024 })
    ));
    // Not a list at all.
    let vc = vector("signedJCS.json");
    assert_eq!(
        verify_status_list_credential(&vc, &NoLedger, &o)
            .unwrap_err()
            .code(),
        "not_a_status_list"
    );
    // A GZIP bomb is refused by the decoder's cap, not by running out of memory.
    let huge = vec![0u8; (st::MAX_LENGTH / 8) as usize + 1];
    let mut bomb = st::status_list_credential(
        &url,
        &issuer,
        StatusPurpose::Revocation,
        &huge,
        "2024-01-01T00:00:00Z",
    );
    bomb["credentialSubject"]["encodedList"] = json!(st::encode_list(&huge));
    let vm = format!("{issuer}#{}", weft_did::multikey::encode(&key.public_key()));
    let bomb = data_integrity::sign(
        &bomb,
        &ProofOptions::assertion(vm, "2024-01-01T00:00:00Z"),
        &key,
    )
    .unwrap();
    assert_eq!(
        verify_status_list_credential(&bomb, &NoLedger, &o)
            .unwrap_err()
            .code(),
        "status_list_too_large"
    );
    let _ = status_list::LIST_TYPE;
}

#[test]
fn status_is_checked_by_default_when_present_and_fails_closed() {
    let key = Keypair::from_seed(&[11; 32]);
    let mut body = issue_body(&did_key(&key));
    body["credential"]["credentialStatus"] = json!({"type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "5",
        "statusListCredential": "https://weft.example.org/status-lists/01"});
    let vc = issue_with(&body, &key, now());
    // This ledger cannot answer status: fail closed by default, not run under checks: [proof].
    fails(
        &verify_credential(&vc, &NoLedger, &VerifyOptions::at(now())),
        CheckName::Status,
        "status_not_configured",
    );
    assert!(verify_credential(&vc, &NoLedger, &proof_only()).verified);
}

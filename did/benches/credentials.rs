//! Issuing and verifying credentials with a warm [`CachedLedger`] (in-memory chain), one core.
//!
//! `cargo bench -p weft-did --bench credentials`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use time::OffsetDateTime;
use weft_chain::{Address, Keypair};
use weft_did::credential::predicate::Predicate;
use weft_did::credential::presentation::{
    present_with_predicates, PredicateRequest, PresentRequest,
};
use weft_did::credential::vc::{self, CptRef, CptSchema, IssueRequest};
use weft_did::credential::verify::{
    verify_credential, verify_presentation_requiring, CachedLedger, CredentialLedger, DidVersion,
    EvidenceOutcome, LedgerError, PresentationExpectations, RequestedPredicate, StatusOutcome,
    VerifyOptions,
};
use weft_did::{Did, DidState};

struct Chain {
    issuer: Address,
    doc: Arc<DidVersion>,
    cpt: Arc<CptSchema>,
}

impl CredentialLedger for Chain {
    fn height(&self) -> u64 {
        1
    }
    fn chain_id(&self) -> &str {
        "weft-bench"
    }
    fn did_version_at(&self, did: &Address, _at: u64) -> Result<Option<u32>, LedgerError> {
        Ok((*did == self.issuer).then_some(1))
    }
    fn did_version(&self, did: &Address, v: u32) -> Result<Option<Arc<DidVersion>>, LedgerError> {
        Ok((*did == self.issuer && v == 1).then(|| self.doc.clone()))
    }
    fn is_authority_issuer(&self, a: &Address, _at: u64) -> Result<bool, LedgerError> {
        Ok(*a == self.issuer)
    }
    fn is_type_member(&self, _t: &str, _a: &Address, _at: u64) -> Result<bool, LedgerError> {
        Ok(false)
    }
    fn cpt(&self, r: CptRef) -> Result<Option<Arc<CptSchema>>, LedgerError> {
        Ok((r == self.cpt.cpt).then(|| self.cpt.clone()))
    }
    fn status(&self, _e: &Value) -> Result<StatusOutcome, LedgerError> {
        Ok(StatusOutcome::Valid)
    }
    fn evidence(&self, _h: &[u8; 32]) -> Result<EvidenceOutcome, LedgerError> {
        Ok(EvidenceOutcome::NotAnchored)
    }
}

fn bench(c: &mut Criterion) {
    let key = Keypair::from_seed(&[5; 32]);
    let issuer = Did::weft("weft-bench", key.address()).to_string();
    let cpt_ref = CptRef {
        id: 2_000_000,
        version: 1,
    };
    let schema = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0},"degree":{"type":"string"}},"required":["name","age"]}"#;
    let cpt = Arc::new(CptSchema::from_text(cpt_ref, schema).unwrap());
    let ledger = CachedLedger::new(Chain {
        issuer: key.address(),
        doc: Arc::new(DidVersion {
            state: DidState::genesis(key.public_key(), vec![]).unwrap(),
            deactivated: false,
        }),
        cpt: cpt.clone(),
    });
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let req = IssueRequest {
        id: None,
        contexts: vec![],
        types: vec!["DegreeCredential".into()],
        issuer: issuer.clone(),
        valid_from: t0,
        valid_until: None,
        subject: json!({"id": "did:weft:weft-bench:0x0000000000000000000000000000000000000001",
                        "name": "Ada Lovelace", "age": 36, "degree": "BSc Mathematics"}),
        status: Some(
            json!({"id": "https://x/status/1#5", "type": "BitstringStatusListEntry",
                            "statusPurpose": "revocation", "statusListIndex": "5",
                            "statusListCredential": "https://x/status/1"}),
        ),
    };
    let method = format!("{issuer}#key-1");
    c.bench_function("issue", |b| {
        b.iter(|| vc::issue(&req, &cpt, &method, &key, t0).unwrap())
    });
    let credential = vc::issue(&req, &cpt, &method, &key, t0).unwrap();
    let opts = VerifyOptions::at(t0 + time::Duration::hours(1));
    assert!(verify_credential(&credential, &ledger, &opts).verified);
    c.bench_function("verify (warm cache)", |b| {
        b.iter(|| {
            let r = verify_credential(&credential, &ledger, &opts);
            assert!(r.verified);
            r
        })
    });

    // A presentation with one predicate proof (`age >= 18`) over a committed claim.
    let pschema = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"x-weft-predicate":true}},"required":["name","age"]}"#;
    let pref = CptRef {
        id: 2_000_001,
        version: 1,
    };
    let pcpt = Arc::new(CptSchema::from_text(pref, pschema).unwrap());
    let pledger = CachedLedger::new(Chain {
        issuer: key.address(),
        doc: Arc::new(DidVersion {
            state: DidState::genesis(key.public_key(), vec![]).unwrap(),
            deactivated: false,
        }),
        cpt: pcpt.clone(),
    });
    let holder = Keypair::from_seed(&[6; 32]);
    let holder_did = Did::Key(holder.public_key()).to_string();
    let mut preq = req.clone();
    preq.subject = json!({"id": holder_did, "name": "Ada Lovelace", "age": 36});
    preq.status = None;
    let issued = vc::issue_with_openings(&preq, &pcpt, &method, &key, t0).unwrap();
    let openings = issued.openings.unwrap();
    let now = t0 + time::Duration::hours(1);
    let vp = present_with_predicates(
        &PresentRequest {
            id: None,
            holder: holder_did.clone(),
            credentials: vec![issued.credential],
            challenge: "bench-challenge".into(),
            domain: "verifier.example".into(),
            created: now,
            expires: now + time::Duration::minutes(5),
        },
        &[PredicateRequest {
            credential: 0,
            claim: "age",
            predicate: Predicate::AtLeast { value: 18 },
            openings: &openings,
        }],
        &format!("{holder_did}#{}", &holder_did[8..]),
        &holder,
    )
    .unwrap();
    let expected = PresentationExpectations {
        challenge: "bench-challenge".into(),
        domain: Some("verifier.example".into()),
        max_age: time::Duration::minutes(5),
    };
    let requested = [RequestedPredicate {
        claim: "age".into(),
        predicate: Predicate::AtLeast { value: 18 },
    }];
    let popts = VerifyOptions::at(now);
    c.bench_function("verify_presentation_with_predicate", |b| {
        b.iter(|| {
            let r = verify_presentation_requiring(&vp, &pledger, &popts, &expected, &requested);
            assert!(r.verified, "{r:?}");
            r
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Predicate proofs over issuer-signed Pedersen commitments: completeness at the boundaries and
//! rejection for another value, bound, commitment or challenge.

use serde_json::{json, Map, Value};
use weft_did::credential::predicate::{
    commit_claims, decode_commitment, predicate_claims, predicate_context, prove,
    subject_commitment, verify_predicate, HolderOpenings, Predicate, PredicateError,
    PredicateProof, COMMITMENTS_PROPERTY,
};
use weft_zk::Opening;

fn subject() -> Map<String, Value> {
    json!({"id": "did:key:z6Mkexample", "age": 30, "income": 52_000, "name": "Ada"})
        .as_object()
        .cloned()
        .unwrap()
}

fn ctx(challenge: &str) -> Vec<u8> {
    predicate_context(challenge, "verifier.example", "urn:uuid:cred-1", "age")
}

#[test]
fn schema_marks_and_commitments() {
    let schema = json!({
        "type": "object",
        "properties": {
            "credentialSubject": {
                "type": "object",
                "properties": {
                    "age": {"type": "integer", "minimum": 0, "x-weft-predicate": true},
                    "income": {"type": "integer", "x-weft-predicate": true},
                    "name": {"type": "string", "x-weft-predicate": true},
                    "height": {"type": "integer"}
                }
            }
        }
    });
    let marked = predicate_claims(&schema);
    assert_eq!(marked, vec!["age".to_string(), "income".to_string()]);
    let names: Vec<&str> = marked.iter().map(String::as_str).collect();
    let (json, openings) = commit_claims(&subject(), &names).unwrap();
    let mut subj = subject();
    subj.insert(COMMITMENTS_PROPERTY.into(), json.clone());
    let c = subject_commitment(&Value::Object(subj), "age").unwrap();
    assert_eq!(c, openings.get("age").unwrap().commit());
    // Debug shows names only.
    let dbg = format!("{openings:?}");
    assert!(dbg.contains("age") && !dbg.contains("30"));
    // Wallet export round trip.
    let wallet = openings.to_wallet_string();
    let back = HolderOpenings::from_wallet_string(&wallet).unwrap();
    assert_eq!(back.get("income").unwrap().value(), 52_000);
    assert!(HolderOpenings::from_wallet_string("weft-openings-v1.!!").is_err());
    assert!(HolderOpenings::from_wallet_string(&wallet[1..]).is_err());
    // Bad claims.
    assert_eq!(
        commit_claims(&subject(), &["name"]).unwrap_err(),
        PredicateError::NotAnInteger("name".into())
    );
    assert_eq!(
        commit_claims(&subject(), &["missing"]).unwrap_err(),
        PredicateError::MissingClaim("missing".into())
    );
    let mut neg = subject();
    neg.insert("age".into(), json!(-1));
    assert!(commit_claims(&neg, &["age"]).is_err());
    assert!(decode_commitment("AAAA").is_err());
}

#[test]
fn proofs_verify_and_bind_everything() {
    let (json, openings) = commit_claims(&subject(), &["age", "income"]).unwrap();
    let age = openings.get("age").unwrap();
    let c_age = decode_commitment(json["age"].as_str().unwrap()).unwrap();
    let c_income = decode_commitment(json["income"].as_str().unwrap()).unwrap();
    let p = Predicate::AtLeast { value: 18 };
    let proof = prove(age, &p, &ctx("ch-1")).unwrap();
    verify_predicate(&c_age, &p, &proof, &ctx("ch-1")).unwrap();
    // JSON round trip.
    let text = serde_json::to_string(&proof).unwrap();
    let back: PredicateProof = serde_json::from_str(&text).unwrap();
    verify_predicate(&c_age, &p, &back, &ctx("ch-1")).unwrap();
    // Another challenge, domain, credential or claim.
    assert_eq!(
        verify_predicate(&c_age, &p, &proof, &ctx("ch-2")),
        Err(PredicateError::Invalid)
    );
    let other = predicate_context("ch-1", "evil.example", "urn:uuid:cred-1", "age");
    assert_eq!(
        verify_predicate(&c_age, &p, &proof, &other),
        Err(PredicateError::Invalid)
    );
    let other = predicate_context("ch-1", "verifier.example", "urn:uuid:cred-2", "age");
    assert_eq!(
        verify_predicate(&c_age, &p, &proof, &other),
        Err(PredicateError::Invalid)
    );
    // Another bound.
    let q = Predicate::AtLeast { value: 21 };
    assert_eq!(
        verify_predicate(&c_age, &q, &proof, &ctx("ch-1")),
        Err(PredicateError::Invalid)
    );
    // Another commitment (another claim, and a re-commitment to the same value).
    assert_eq!(
        verify_predicate(&c_income, &p, &proof, &ctx("ch-1")),
        Err(PredicateError::Invalid)
    );
    let same_value = Opening::random(30).commit();
    assert_eq!(
        verify_predicate(&same_value, &p, &proof, &ctx("ch-1")),
        Err(PredicateError::Invalid)
    );
    // A proof for another value.
    let other_opening = Opening::random(40);
    let proof40 = prove(&other_opening, &p, &ctx("ch-1")).unwrap();
    assert_eq!(
        verify_predicate(&c_age, &p, &proof40, &ctx("ch-1")),
        Err(PredicateError::Invalid)
    );
    // A tampered proof.
    let mut bytes = proof.to_bytes();
    let last = bytes.len() - 1;
    bytes[last - 5] ^= 1;
    if let Ok(t) = PredicateProof::from_bytes(&bytes) {
        assert_eq!(
            verify_predicate(&c_age, &p, &t, &ctx("ch-1")),
            Err(PredicateError::Invalid)
        );
    }
    assert!(PredicateProof::from_base64url("not base64!").is_err());
}

#[test]
fn boundaries_and_unsatisfiable() {
    let o = Opening::random(18);
    let c = o.commit();
    for p in [
        Predicate::AtLeast { value: 18 },
        Predicate::AtMost { value: 18 },
        Predicate::Between {
            lower: 18,
            upper: 18,
        },
        Predicate::Between {
            lower: 0,
            upper: 18,
        },
        Predicate::Between {
            lower: 18,
            upper: u64::MAX,
        },
    ] {
        let proof = prove(&o, &p, &ctx("c")).unwrap();
        verify_predicate(&c, &p, &proof, &ctx("c")).unwrap();
    }
    assert_eq!(
        prove(&o, &Predicate::AtLeast { value: 19 }, &ctx("c")).unwrap_err(),
        PredicateError::Unsatisfied
    );
    assert_eq!(
        prove(&o, &Predicate::AtMost { value: 17 }, &ctx("c")).unwrap_err(),
        PredicateError::Unsatisfied
    );
    assert_eq!(
        prove(
            &o,
            &Predicate::Between {
                lower: 20,
                upper: 10
            },
            &ctx("c")
        )
        .unwrap_err(),
        PredicateError::EmptyInterval
    );
    let json = serde_json::to_value(Predicate::Between { lower: 1, upper: 2 }).unwrap();
    assert_eq!(json, json!({"op": "between", "lower": 1, "upper": 2}));
    let p: Predicate = serde_json::from_value(json!({"op": "gte", "value": 18})).unwrap();
    assert_eq!(p, Predicate::AtLeast { value: 18 });
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_values_and_bounds(v in 0u64..1_000_000, a in 0u64..1_000_000, w in 0u64..1_000_000) {
            let b = a.saturating_add(w);
            let o = Opening::random(v);
            let p = Predicate::Between { lower: a, upper: b };
            let inside = a <= v && v <= b;
            match prove(&o, &p, b"ctx") {
                Ok(proof) => {
                    prop_assert!(inside);
                    prop_assert!(verify_predicate(&o.commit(), &p, &proof, b"ctx").is_ok());
                    prop_assert!(verify_predicate(&o.commit(), &p, &proof, b"ctx2").is_err());
                }
                Err(e) => {
                    prop_assert!(!inside);
                    prop_assert_eq!(e, PredicateError::Unsatisfied);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// End to end: issuance commits, the credential verifies, presentations carry predicate proofs.

mod end_to_end {
    use std::sync::Arc;

    use serde_json::{json, Value};
    use time::{Duration, OffsetDateTime};
    use weft_chain::{Address, Keypair};
    use weft_did::credential::predicate::{
        HolderOpenings, Predicate, COMMITMENTS_PROPERTY, PRESENTATION_PROPERTY,
    };
    use weft_did::credential::presentation::{
        self, present_with_predicates, PredicateRequest, PresentRequest,
    };
    use weft_did::credential::vc::{self, CptRef, CptSchema, IssueRequest, VcError};
    use weft_did::credential::verify::{
        verify_credential, verify_presentation, verify_presentation_requiring, CheckName,
        CredentialLedger, DidVersion, EvidenceOutcome, LedgerError, PresentationExpectations,
        RequestedPredicate, StatusOutcome, VerificationReport, VerifyOptions,
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
            "weft-test"
        }
        fn did_version_at(&self, did: &Address, _at: u64) -> Result<Option<u32>, LedgerError> {
            Ok((*did == self.issuer).then_some(1))
        }
        fn did_version(
            &self,
            did: &Address,
            v: u32,
        ) -> Result<Option<Arc<DidVersion>>, LedgerError> {
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

    struct World {
        chain: Chain,
        key: Keypair,
        issuer: String,
        holder: Keypair,
        holder_did: String,
        t0: OffsetDateTime,
    }

    const SCHEMA: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"x-weft-predicate":true},"income":{"type":"integer","x-weft-predicate":true}},"required":["name","age"],"additionalProperties":false}"#;

    fn world() -> World {
        let key = Keypair::from_seed(&[7; 32]);
        let holder = Keypair::from_seed(&[8; 32]);
        let cpt = CptSchema::from_text(
            CptRef {
                id: 3000,
                version: 1,
            },
            SCHEMA,
        )
        .unwrap();
        World {
            chain: Chain {
                issuer: key.address(),
                doc: Arc::new(DidVersion {
                    state: DidState::genesis(key.public_key(), vec![]).unwrap(),
                    deactivated: false,
                }),
                cpt: Arc::new(cpt),
            },
            issuer: Did::weft("weft-test", key.address()).to_string(),
            holder_did: Did::Key(holder.public_key()).to_string(),
            key,
            holder,
            t0: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        }
    }

    impl World {
        fn request(&self, subject: Value) -> IssueRequest {
            IssueRequest {
                id: None,
                contexts: vec![],
                types: vec!["AgeCredential".into()],
                issuer: self.issuer.clone(),
                valid_from: self.t0,
                valid_until: None,
                subject,
                status: None,
            }
        }
        fn issue(&self) -> (Value, HolderOpenings) {
            let subject = json!({"id": self.holder_did, "name": "Ada", "age": 30, "income": 52000});
            let issued = vc::issue_with_openings(
                &self.request(subject),
                &self.chain.cpt,
                &format!("{}#key-1", self.issuer),
                &self.key,
                self.t0,
            )
            .unwrap();
            (issued.credential, issued.openings.unwrap())
        }
        /// Signs `vc` as the issuer (after tampering with it).
        fn resign(&self, mut vc: Value) -> Value {
            vc.as_object_mut().unwrap().remove("proof");
            let options = weft_did::credential::ProofOptions::assertion(
                format!("{}#key-1", self.issuer),
                vc::format_datetime(self.t0),
            );
            weft_did::credential::data_integrity::sign(&vc, &options, &self.key).unwrap()
        }
        fn opts(&self) -> VerifyOptions {
            VerifyOptions::at(self.t0 + Duration::hours(1))
        }
        fn present(
            &self,
            credentials: Vec<Value>,
            challenge: &str,
            predicates: &[PredicateRequest<'_>],
        ) -> Result<Value, VcError> {
            let now = self.t0 + Duration::hours(1);
            present_with_predicates(
                &PresentRequest {
                    id: None,
                    holder: self.holder_did.clone(),
                    credentials,
                    challenge: challenge.into(),
                    domain: "verifier.example".into(),
                    created: now,
                    expires: now + Duration::minutes(5),
                },
                predicates,
                &format!("{}#{}", self.holder_did, &self.holder_did[8..]),
                &self.holder,
            )
        }
        fn check(&self, vp: &Value, requested: &[RequestedPredicate]) -> VerificationReport {
            verify_presentation_requiring(vp, &self.chain, &self.opts(), &expected(), requested)
        }
    }

    fn expected() -> PresentationExpectations {
        PresentationExpectations {
            challenge: "ch-1".into(),
            domain: Some("verifier.example".into()),
            max_age: Duration::minutes(5),
        }
    }

    fn fails(report: &VerificationReport, check: CheckName, reason: &str) {
        assert!(!report.verified, "{report:#?}");
        let c = report.check(check).unwrap();
        assert!(!c.passed, "{report:#?}");
        assert_eq!(c.reason.as_deref(), Some(reason), "{report:#?}");
    }

    fn gte(value: u64) -> Predicate {
        Predicate::AtLeast { value }
    }

    #[test]
    fn issuance_commits_and_hides_the_value() {
        let w = world();
        let (vc, openings) = w.issue();
        let subject = &vc["credentialSubject"];
        assert!(subject.get("age").is_none() && subject.get("income").is_none());
        assert_eq!(subject["name"], "Ada");
        assert!(subject[COMMITMENTS_PROPERTY]["age"].is_string());
        assert!(!vc.to_string().contains("52000"));
        assert!(vc["id"].as_str().unwrap().starts_with("urn:uuid:"));
        assert_eq!(openings.get("age").unwrap().value(), 30);
        let r = verify_credential(&vc, &w.chain, &w.opts());
        assert!(r.verified, "{r:#?}");

        // Commitments are signed: swapping one in breaks the signature.
        let mut tampered = vc.clone();
        tampered["credentialSubject"][COMMITMENTS_PROPERTY]["age"] =
            subject[COMMITMENTS_PROPERTY]["income"].clone();
        fails(
            &verify_credential(&tampered, &w.chain, &w.opts()),
            CheckName::Signature,
            "signature_invalid",
        );
        // Signed but missing a required commitment, or with a malformed one: schema fails.
        let mut missing = vc.clone();
        missing["credentialSubject"][COMMITMENTS_PROPERTY]
            .as_object_mut()
            .unwrap()
            .remove("age");
        fails(
            &verify_credential(&w.resign(missing), &w.chain, &w.opts()),
            CheckName::Schema,
            "commitment_missing",
        );
        let mut malformed = vc.clone();
        malformed["credentialSubject"][COMMITMENTS_PROPERTY]["age"] = json!("AAAA");
        fails(
            &verify_credential(&w.resign(malformed), &w.chain, &w.opts()),
            CheckName::Schema,
            "commitment_malformed",
        );
        let mut plain = vc.clone();
        plain["credentialSubject"]["age"] = json!(30);
        fails(
            &verify_credential(&w.resign(plain), &w.chain, &w.opts()),
            CheckName::Schema,
            "commitment_malformed",
        );
        let mut unmarked = vc.clone();
        unmarked["credentialSubject"][COMMITMENTS_PROPERTY]["name"] =
            subject[COMMITMENTS_PROPERTY]["age"].clone();
        fails(
            &verify_credential(&w.resign(unmarked), &w.chain, &w.opts()),
            CheckName::Schema,
            "commitment_malformed",
        );
        // The full subject is still validated at issuance.
        let bad = w.request(json!({"id": w.holder_did, "name": "Ada", "age": -1}));
        assert!(matches!(
            vc::issue_with_openings(&bad, &w.chain.cpt, "x#k", &w.key, w.t0),
            Err(VcError::ClaimsInvalid { .. })
        ));
        // The plain issuance path refuses to drop the openings.
        let req = w.request(json!({"id": w.holder_did, "name": "Ada", "age": 30}));
        assert!(vc::issue(&req, &w.chain.cpt, "x#k", &w.key, w.t0).is_err());
        let injected = w.request(json!({"id": w.holder_did, "name": "Ada", "age": 30,
                                        COMMITMENTS_PROPERTY: {"age": "x"}}));
        assert!(vc::build_committed(&injected, &w.chain.cpt).is_err());
    }

    #[test]
    fn presentation_with_predicates_verifies_and_binds() {
        let w = world();
        let (vc, openings) = w.issue();
        let req = |claim: &'static str, predicate| PredicateRequest {
            credential: 0,
            claim,
            predicate,
            openings: &openings,
        };
        let vp = w
            .present(vec![vc.clone()], "ch-1", &[req("age", gte(18))])
            .unwrap();
        assert_eq!(
            vp[PRESENTATION_PROPERTY][0]["predicate"],
            json!({"gte": 18})
        );
        let want = |claim: &str, predicate| RequestedPredicate {
            claim: claim.into(),
            predicate,
        };
        let r = w.check(&vp, &[want("age", gte(18))]);
        assert!(r.verified, "{r:#?}");
        assert!(r.check(CheckName::Predicates).unwrap().passed);
        // A stronger proof satisfies a weaker request; between/lte also work.
        let r = w.check(&vp, &[want("age", gte(10))]);
        assert!(r.verified, "{r:#?}");
        let vp2 = w
            .present(
                vec![vc.clone()],
                "ch-1",
                &[
                    req(
                        "age",
                        Predicate::Between {
                            lower: 18,
                            upper: 65,
                        },
                    ),
                    req("income", Predicate::AtMost { value: 60_000 }),
                ],
            )
            .unwrap();
        assert!(
            w.check(
                &vp2,
                &[want("income", Predicate::AtMost { value: 100_000 })]
            )
            .verified
        );
        // Without predicates, the check is not applicable.
        let plain = w.present(vec![vc.clone()], "ch-1", &[]).unwrap();
        let r = verify_presentation(&plain, &w.chain, &w.opts(), &expected());
        assert!(r.verified, "{r:#?}");
        assert_eq!(
            r.check(CheckName::Predicates).unwrap().reason.as_deref(),
            Some("not_applicable")
        );

        // A requested predicate that is not proven, or only a weaker one.
        fails(
            &w.check(&plain, &[want("age", gte(18))]),
            CheckName::Predicates,
            "predicate_missing",
        );
        fails(
            &w.check(&vp, &[want("age", gte(21))]),
            CheckName::Predicates,
            "predicate_missing",
        );
        fails(
            &w.check(&vp, &[want("income", gte(1))]),
            CheckName::Predicates,
            "predicate_missing",
        );

        // Another challenge: the presentation's challenge check and the proof both fail.
        let other = w
            .present(vec![vc.clone()], "ch-2", &[req("age", gte(18))])
            .unwrap();
        fails(
            &w.check(&other, &[]),
            CheckName::Challenge,
            "challenge_mismatch",
        );

        // Entries edited and re-signed by the holder: wrong bound, other claim, other challenge.
        let resign_vp = |mut vp: Value| {
            // Keeps the (possibly tampered) credentials and entries; signs as the holder.
            let entries = vp[PRESENTATION_PROPERTY].clone();
            let credentials = vp["verifiableCredential"].clone();
            vp.as_object_mut().unwrap().remove("proof");
            vp.as_object_mut().unwrap().remove(PRESENTATION_PROPERTY);
            let mut base = w.present(vec![vc.clone()], "ch-1", &[]).unwrap();
            base.as_object_mut().unwrap().remove("proof");
            base[PRESENTATION_PROPERTY] = entries;
            base["verifiableCredential"] = credentials;
            let options = weft_did::credential::ProofOptions {
                verification_method: format!("{}#{}", w.holder_did, &w.holder_did[8..]),
                proof_purpose: "authentication".into(),
                created: Some(vc::format_datetime(w.t0 + Duration::hours(1))),
                expires: Some(vc::format_datetime(
                    w.t0 + Duration::hours(1) + Duration::minutes(5),
                )),
                challenge: Some("ch-1".into()),
                domain: Some("verifier.example".into()),
            };
            weft_did::credential::data_integrity::sign(&base, &options, &w.holder).unwrap()
        };
        let mut wrong_bound = vp.clone();
        wrong_bound[PRESENTATION_PROPERTY][0]["predicate"] = json!({"gte": 21});
        fails(
            &w.check(&resign_vp(wrong_bound), &[]),
            CheckName::Predicates,
            "predicate_invalid",
        );
        let mut other_claim = vp.clone();
        other_claim[PRESENTATION_PROPERTY][0]["claim"] = json!("income");
        fails(
            &w.check(&resign_vp(other_claim), &[]),
            CheckName::Predicates,
            "predicate_invalid",
        );
        let mut no_commitment = vp.clone();
        no_commitment[PRESENTATION_PROPERTY][0]["claim"] = json!("name");
        fails(
            &w.check(&resign_vp(no_commitment), &[]),
            CheckName::Predicates,
            "predicate_commitment_missing",
        );
        let replayed = resign_vp(other.clone());
        fails(
            &w.check(&replayed, &[]),
            CheckName::Predicates,
            "predicate_invalid",
        );
        let mut bad_index = vp.clone();
        bad_index[PRESENTATION_PROPERTY][0]["credential"] = json!(3);
        fails(
            &w.check(&resign_vp(bad_index), &[]),
            CheckName::Predicates,
            "predicate_invalid",
        );
        // An entry edited after the holder signed: the presentation signature fails.
        let mut edited = vp.clone();
        edited[PRESENTATION_PROPERTY][0]["predicate"] = json!({"gte": 21});
        fails(
            &w.check(&edited, &[]),
            CheckName::PresentationSignature,
            "signature_invalid",
        );
        // A tampered commitment in the credential: its signature fails, and the proof too.
        let mut tampered_vp = vp.clone();
        let income = vc["credentialSubject"][COMMITMENTS_PROPERTY]["income"].clone();
        tampered_vp["verifiableCredential"][0]["credentialSubject"][COMMITMENTS_PROPERTY]["age"] =
            income;
        let r = w.check(&resign_vp(tampered_vp), &[]);
        fails(&r, CheckName::Predicates, "predicate_invalid");
        fails(&r, CheckName::Credentials, "credential_invalid");

        // The holder cannot prove what is false, or with another credential's openings.
        assert!(matches!(
            w.present(vec![vc.clone()], "ch-1", &[req("age", gte(31))]),
            Err(VcError::Commitments(_))
        ));
        let (vc_b, openings_b) = w.issue();
        let foreign = PredicateRequest {
            credential: 0,
            claim: "age",
            predicate: gte(18),
            openings: &openings_b,
        };
        assert!(matches!(
            w.present(vec![vc.clone()], "ch-1", &[foreign]),
            Err(VcError::Commitments(
                weft_did::credential::predicate::PredicateError::OpeningMismatch(_)
            ))
        ));
        // A credential without id cannot be bound.
        let mut no_id = vc_b.clone();
        no_id.as_object_mut().unwrap().remove("id");
        let no_id = w.resign(no_id);
        let e = w
            .present(
                vec![no_id],
                "ch-1",
                &[PredicateRequest {
                    credential: 0,
                    claim: "age",
                    predicate: gte(18),
                    openings: &openings_b,
                }],
            )
            .unwrap_err();
        assert!(e.to_string().contains("no id"), "{e}");
        // Predicate wire form.
        for (p, wire) in [
            (gte(18), json!({"gte": 18})),
            (Predicate::AtMost { value: 5 }, json!({"lte": 5})),
            (
                Predicate::Between { lower: 1, upper: 2 },
                json!({"between": [1, 2]}),
            ),
        ] {
            assert_eq!(p.to_wire(), wire);
            assert_eq!(Predicate::from_wire(&wire).unwrap(), p);
        }
        for bad in [
            json!({"gte": -1}),
            json!({"between": [3, 2]}),
            json!({"eq": 1}),
            json!(1),
        ] {
            assert!(Predicate::from_wire(&bad).is_err(), "{bad}");
        }
        let _ = presentation::MAX_CREDENTIALS;
    }
}

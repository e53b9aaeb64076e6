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

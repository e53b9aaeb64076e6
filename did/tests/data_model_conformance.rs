//! Every input document of the W3C VC Data Model 2.0 test suite (copied into
//! `tests/vectors/vc-data-model-2.0/`) through the data-model validator: a name ending in `-ok`
//! must be accepted, one ending in `-fail` (or `-fail-or-inject`: we refuse rather than inject a
//! context) must be refused with a typed reason.
//!
//! Credentials are prepared as the suite's issuer test does before sending them: a missing
//! `issuer` becomes the issuer's DID, an `issuer` object without `id` gets it, and the
//! placeholders `PAST DATE` / `FUTURE DATE` become a year before / after now.

use std::path::{Path, PathBuf};

use serde_json::Value;
use time::{Duration, OffsetDateTime};
use weft_did::credential::model::{self, ModelError, ModelOptions};
use weft_did::credential::vc;

const ISSUER: &str = "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r";

fn vectors() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/vc-data-model-2.0/input");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn prepare_credential(mut doc: Value) -> Value {
    let now = OffsetDateTime::now_utc();
    let past = vc::format_datetime(now - Duration::days(365));
    let future = vc::format_datetime(now + Duration::days(365));
    if let Some(obj) = doc.as_object_mut() {
        match obj.get_mut("issuer") {
            None => {
                obj.insert("issuer".into(), ISSUER.into());
            }
            Some(Value::Object(o)) if !o.contains_key("id") => {
                o.insert("id".into(), ISSUER.into());
            }
            _ => {}
        }
        for name in ["validFrom", "validUntil"] {
            if let Some(Value::String(s)) = obj.get_mut(name) {
                match s.as_str() {
                    "PAST DATE" => *s = past.clone(),
                    "FUTURE DATE" => *s = future.clone(),
                    _ => {}
                }
            }
        }
    }
    doc
}

enum Expect {
    Accept,
    Refuse,
    /// No outcome in the name (the self-asserted presentations: their outcome depends on who
    /// signs, which the data model alone cannot say); must not panic and must be well-formed.
    WellFormed,
}

fn expectation(stem: &str) -> Expect {
    if stem.ends_with("-ok") {
        Expect::Accept
    } else if stem.ends_with("-fail") || stem.ends_with("-fail-or-inject") {
        Expect::Refuse
    } else {
        Expect::WellFormed
    }
}

#[test]
fn every_vc_data_model_2_0_input_gives_the_outcome_its_name_states() {
    let files = vectors();
    assert!(files.len() >= 100, "vectors missing: {}", files.len());
    let opts = ModelOptions::default();
    let mut wrong = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for path in &files {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let result: Result<_, ModelError> = if stem.starts_with("presentation-") {
            model::validate_presentation(&doc, &opts)
        } else {
            model::validate_credential(&prepare_credential(doc), &opts)
        };
        match (expectation(stem), &result) {
            (Expect::Accept | Expect::WellFormed, Ok(_)) => accepted += 1,
            (Expect::Refuse, Err(e)) => {
                assert!(!e.code().is_empty());
                refused += 1
            }
            (_, r) => wrong.push(format!("{stem}: {r:?}")),
        }
    }
    assert!(wrong.is_empty(), "wrong outcomes:\n{}", wrong.join("\n"));
    assert!(
        accepted > 40 && refused > 40,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn refusals_name_the_statement() {
    let read = |name: &str| -> Value {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors/vc-data-model-2.0/input")
            .join(name);
        prepare_credential(serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
    };
    let o = ModelOptions::default();
    let code = |name: &str| {
        model::validate_credential(&read(name), &o)
            .unwrap_err()
            .code()
    };
    assert_eq!(code("credential-type-unmapped-fail.json"), "unmapped_type");
    assert_eq!(
        code("credential-redef-type-fail.json"),
        "protected_term_redefined"
    );
    assert_eq!(
        code("credential-redef-type2-fail.json"),
        "protected_term_redefined"
    );
    assert_eq!(
        code("credential-no-context-fail-or-inject.json"),
        "missing_base_context"
    );
    assert_eq!(code("credential-issuer-null-fail.json"), "not_a_url");
    assert_eq!(
        code("credential-subject-no-claims-fail.json"),
        "bad_subject"
    );
    assert_eq!(code("credential-validuntil-invalid-fail.json"), "bad_date");
    assert_eq!(
        code("credential-validUntil-validFrom-fail.json"),
        "date_order"
    );
    assert_eq!(
        code("credential-status-missing-type-fail.json"),
        "bad_entry"
    );
    assert_eq!(code("credential-context-combo4-fail.json"), "bad_context");
}

#[test]
fn unknown_contexts_are_refused_only_when_asked() {
    let doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://unknown.example/ctx"],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "credentialSubject": {"id": "did:example:s"}
    });
    assert!(model::validate_credential(&doc, &ModelOptions::default()).is_ok());
    let strict = ModelOptions {
        known_contexts_only: true,
        ..ModelOptions::default()
    };
    assert_eq!(
        model::validate_credential(&doc, &strict).unwrap_err(),
        ModelError::UnknownContext("https://unknown.example/ctx".into())
    );
}

#[test]
fn vc_1_1_only_when_allowed() {
    let v1 = serde_json::json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "issuanceDate": "2020-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:s"}
    });
    assert_eq!(
        model::validate_credential(&v1, &ModelOptions::default()).unwrap_err(),
        ModelError::MissingBaseContext
    );
    let o = ModelOptions {
        allow_v1: true,
        ..ModelOptions::default()
    };
    assert_eq!(
        model::validate_credential(&v1, &o).unwrap(),
        model::ModelVersion::V1_1
    );
    let mut no_date = v1.clone();
    no_date.as_object_mut().unwrap().remove("issuanceDate");
    assert_eq!(
        model::validate_credential(&no_date, &o).unwrap_err().code(),
        "bad_date"
    );
}

mod fuzz {
    use proptest::prelude::*;
    use serde_json::Value;
    use weft_did::credential::model::{self, ModelOptions};

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z:/@ .#-]{0,24}".prop_map(Value::from),
            Just(Value::from("https://www.w3.org/ns/credentials/v2")),
            Just(Value::from("VerifiableCredential")),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("@context".to_string()),
                        Just("type".to_string()),
                        Just("issuer".to_string()),
                        Just("id".to_string()),
                        Just("credentialSubject".to_string()),
                        Just("validFrom".to_string()),
                        Just("credentialStatus".to_string()),
                        Just("verifiableCredential".to_string()),
                        "[a-z@]{1,8}",
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_json_never_panics(doc in json()) {
            let _ = model::validate_credential(&doc, &ModelOptions::default());
            let _ = model::validate_presentation(&doc, &ModelOptions { allow_v1: true, known_contexts_only: true });
        }
    }
}

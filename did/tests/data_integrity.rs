//! `eddsa-jcs-2022` against the W3C vc-di-eddsa test vectors (tests/vectors/vc-di-eddsa), and
//! the ways a secured document must fail to verify.

use proptest::prelude::*;
use serde_json::{json, Value};
use weft_chain::Keypair;
use weft_did::credential::data_integrity::{self, DataIntegrityError, ProofOptions};
use weft_did::credential::did_key_verification_method;

fn vector(name: &str) -> Value {
    let path = format!(
        "{}/tests/vectors/vc-di-eddsa/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The vector's key pair: `privateKeyMultibase` is base58btc of the ed25519-priv multicodec
/// (varint 0x1300 = 0x80 0x26) and the 32-byte seed.
fn vector_keypair() -> Keypair {
    let pair = vector("keyPair.json");
    let text = pair["privateKeyMultibase"].as_str().unwrap();
    let bytes = bs58::decode(&text[1..]).into_vec().unwrap();
    assert_eq!(&bytes[..2], &[0x80, 0x26]);
    let seed: [u8; 32] = bytes[2..].try_into().unwrap();
    let keypair = Keypair::from_seed(&seed);
    assert_eq!(
        weft_did::multikey::encode(&keypair.public_key()),
        pair["publicKeyMultibase"].as_str().unwrap()
    );
    keypair
}

fn vector_options() -> ProofOptions {
    let config = vector("proofConfigJCS.json");
    ProofOptions {
        verification_method: config["verificationMethod"].as_str().unwrap().into(),
        proof_purpose: config["proofPurpose"].as_str().unwrap().into(),
        created: Some(config["created"].as_str().unwrap().into()),
        expires: None,
        challenge: None,
        domain: None,
    }
}

#[test]
fn signing_the_vector_reproduces_its_proof_value() {
    let signed = data_integrity::sign(
        &vector("unsigned.json"),
        &vector_options(),
        &vector_keypair(),
    )
    .unwrap();
    let expected = vector("signedJCS.json");
    assert_eq!(
        signed["proof"]["proofValue"],
        expected["proof"]["proofValue"]
    );
    assert_eq!(signed, expected, "the whole secured document matches");
}

#[test]
fn the_vectors_signed_credential_verifies_with_its_did_key() {
    let signed = vector("signedJCS.json");
    let verified = data_integrity::verify(&signed, did_key_verification_method).unwrap();
    assert_eq!(verified.proof_purpose, "assertionMethod");
    assert!(verified.verification_method.starts_with("did:key:z6Mkr"));
    assert!(verified.created.is_some());
}

/// A change to a secured document.
type Edit = dyn Fn(&mut Value);

#[test]
fn changing_any_claim_breaks_verification() {
    let signed = vector("signedJCS.json");
    let edits: Vec<Box<Edit>> = vec![
        Box::new(|d| d["credentialSubject"]["alumniOf"] = json!("Another School")),
        Box::new(|d| d["credentialSubject"]["id"] = json!("did:example:someone-else")),
        Box::new(|d| d["issuer"] = json!("https://vc.example/issuers/0000")),
        Box::new(|d| d["validFrom"] = json!("2023-01-01T00:00:01Z")),
        Box::new(|d| d["type"] = json!(["VerifiableCredential"])),
        Box::new(|d| d["name"] = json!("Alumni Credential ")),
        Box::new(|d| {
            d.as_object_mut().unwrap().remove("description");
        }),
        Box::new(|d| d["extra"] = json!(true)),
        Box::new(|d| d["proof"]["created"] = json!("2023-02-24T23:36:39Z")),
        Box::new(|d| d["proof"]["proofPurpose"] = json!("authentication")),
        Box::new(|d| d["proof"]["challenge"] = json!("abc")),
    ];
    for (i, edit) in edits.iter().enumerate() {
        let mut doc = signed.clone();
        edit(&mut doc);
        let result = data_integrity::verify(&doc, did_key_verification_method);
        assert!(
            matches!(result, Err(DataIntegrityError::BadSignature)),
            "edit {i} must break the signature, got {result:?}"
        );
    }
}

#[test]
fn contexts_after_the_proofs_prefix_are_not_covered_as_the_specification_says() {
    // vc-di-eddsa verifies against the proof's own @context, which must be a prefix of the
    // document's: appending a context keeps the proof valid; changing or reordering the signed
    // ones does not.
    let signed = vector("signedJCS.json");
    let mut appended = signed.clone();
    appended["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://example.org/extra"));
    assert!(data_integrity::verify(&appended, did_key_verification_method).is_ok());
    let mut reordered = signed.clone();
    reordered["@context"].as_array_mut().unwrap().reverse();
    assert_eq!(
        data_integrity::verify(&reordered, did_key_verification_method),
        Err(DataIntegrityError::ContextMismatch)
    );
}

#[test]
fn malformed_and_unsupported_proofs_are_refused_with_a_reason() {
    let signed = vector("signedJCS.json");
    let check = |edit: &dyn Fn(&mut Value), want: &dyn Fn(&DataIntegrityError) -> bool| {
        let mut doc = signed.clone();
        edit(&mut doc);
        let err = data_integrity::verify(&doc, did_key_verification_method).unwrap_err();
        assert!(want(&err), "unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
    };
    use DataIntegrityError::*;
    check(
        &|d| d["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022"),
        &|e| matches!(e, Unsupported(_)),
    );
    check(
        &|d| d["proof"]["type"] = json!("Ed25519Signature2020"),
        &|e| matches!(e, Unsupported(_)),
    );
    check(
        &|d| {
            d["proof"].as_object_mut().unwrap().remove("proofValue");
        },
        &|e| matches!(e, Malformed(_)),
    );
    check(&|d| d["proof"]["proofValue"] = json!("u2HnFSSPP"), &|e| {
        matches!(e, Malformed(_))
    });
    check(&|d| d["proof"]["proofValue"] = json!("z2HnFSSPP"), &|e| {
        matches!(e, Malformed(_))
    });
    check(&|d| d["proof"]["created"] = json!("yesterday"), &|e| {
        matches!(e, Malformed(_))
    });
    check(&|d| d["proof"] = json!([d["proof"].clone()]), &|e| {
        matches!(e, Unsupported(_))
    });
    check(
        &|d| {
            d.as_object_mut().unwrap().remove("proof");
        },
        &|e| matches!(e, Malformed(_)),
    );
    check(
        &|d| d["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]),
        &|e| matches!(e, ContextMismatch),
    );
    // The did:key fragment must be the key itself.
    check(
        &|d| {
            let vm = d["proof"]["verificationMethod"]
                .as_str()
                .unwrap()
                .to_string();
            let did = vm.split('#').next().unwrap();
            d["proof"]["verificationMethod"] = json!(format!("{did}#key-2"));
        },
        &|e| matches!(e, Resolution { .. }),
    );
    check(
        &|d| d["proof"]["verificationMethod"] = json!("did:web:example.com#key-1"),
        &|e| matches!(e, Resolution { .. }),
    );
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let other = Keypair::from_seed(&[7; 32]);
    let forged = data_integrity::sign(&vector("unsigned.json"), &vector_options(), &other).unwrap();
    // The proof names the vector's did:key but was made by another key.
    assert_eq!(
        data_integrity::verify(&forged, did_key_verification_method),
        Err(DataIntegrityError::BadSignature)
    );
}

#[test]
fn presentation_options_are_signed() {
    let holder = Keypair::from_seed(&[3; 32]);
    let did = format!(
        "did:key:{}",
        weft_did::multikey::encode(&holder.public_key())
    );
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did,
    });
    let options = ProofOptions {
        verification_method: format!("{did}#{}", &did["did:key:".len()..]),
        proof_purpose: "authentication".into(),
        created: Some("2026-11-21T10:00:00Z".into()),
        expires: Some("2026-11-21T10:05:00Z".into()),
        challenge: Some("c-123".into()),
        domain: Some("verifier.example".into()),
    };
    let signed = data_integrity::sign(&vp, &options, &holder).unwrap();
    let verified = data_integrity::verify(&signed, did_key_verification_method).unwrap();
    assert_eq!(verified.challenge.as_deref(), Some("c-123"));
    assert_eq!(verified.domain.as_deref(), Some("verifier.example"));
    assert!(verified.expires.unwrap() > verified.created.unwrap());
    for (field, value) in [
        ("challenge", "c-124"),
        ("domain", "evil.example"),
        ("expires", "2027-01-01T00:00:00Z"),
    ] {
        let mut doc = signed.clone();
        doc["proof"][field] = json!(value);
        assert_eq!(
            data_integrity::verify(&doc, did_key_verification_method),
            Err(DataIntegrityError::BadSignature),
            "changing {field} must break the signature"
        );
    }
}

#[test]
fn signing_refuses_bad_input() {
    let key = Keypair::from_seed(&[1; 32]);
    let options = ProofOptions::assertion("did:key:z6Mk#z6Mk", "2026-11-21T00:00:00Z");
    assert!(matches!(
        data_integrity::sign(&json!([1, 2]), &options, &key),
        Err(DataIntegrityError::Malformed(_))
    ));
    let signed = data_integrity::sign(&json!({"a": 1}), &options, &key).unwrap();
    assert!(matches!(
        data_integrity::sign(&signed, &options, &key),
        Err(DataIntegrityError::Malformed(_))
    ));
    let mut bad_time = options.clone();
    bad_time.created = Some("21/11/2026".into());
    assert!(matches!(
        data_integrity::sign(&json!({"a": 1}), &bad_time, &key),
        Err(DataIntegrityError::Malformed(_))
    ));
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e12f64..1.0e12).prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any document round-trips through sign and verify, survives re-serialisation with other
    /// whitespace and member order, and fails once a claim is changed.
    #[test]
    fn sign_verify_roundtrip(claims in prop::collection::btree_map("[a-z]{1,8}", json_value(), 1..5)) {
        let key = Keypair::from_seed(&[9; 32]);
        let did = format!("did:key:{}", weft_did::multikey::encode(&key.public_key()));
        let options = ProofOptions::assertion(
            format!("{did}#{}", &did["did:key:".len()..]),
            "2026-11-21T00:00:00Z",
        );
        let mut doc = serde_json::Map::new();
        doc.insert("@context".into(), json!(["https://www.w3.org/ns/credentials/v2"]));
        doc.insert("credentialSubject".into(), Value::Object(claims.into_iter().collect()));
        let signed = data_integrity::sign(&Value::Object(doc), &options, &key).unwrap();
        let reparsed: Value = serde_json::from_str(&serde_json::to_string_pretty(&signed).unwrap()).unwrap();
        prop_assert!(data_integrity::verify(&reparsed, did_key_verification_method).is_ok());
        let mut tampered = signed.clone();
        tampered["credentialSubject"]["zzzzzzzzz"] = json!(1);
        prop_assert_eq!(
            data_integrity::verify(&tampered, did_key_verification_method),
            Err(DataIntegrityError::BadSignature)
        );
    }
}

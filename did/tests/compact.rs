//! The compact QR form of credentials: lossless (the proof still verifies after the round trip),
//! small enough for a typical credential to fit inline, and strict on bad input.

use proptest::prelude::*;
use serde_json::{json, Value};
use weft_chain::Keypair;
use weft_did::credential::compact::{self, CompactError};
use weft_did::credential::data_integrity::{self, ProofOptions};
use weft_did::qr::{self, Payload, MAX_INLINE_ENVELOPE};
use weft_did::Did;

/// The demo's degree (`demos/credential-qr`) as Weft issues it: did:weft issuer and holder, a CPT
/// pin, a revocation entry on the node's status list, an eddsa-jcs-2022 proof.
fn typical_degree() -> Value {
    let issuer_key = Keypair::from_seed(&[1; 32]);
    let issuer = format!(
        "did:weft:weft-local:0x{}",
        hex::encode(issuer_key.address().0)
    );
    let holder = format!("did:weft:weft-local:0x{}", hex::encode([0xab; 20]));
    let list = format!(
        "https://weft.example.org/status-lists/{}",
        hex::encode([7u8; 32])
    );
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:3f1e8a52-6c1d-4b7e-9a0f-2d4c6e8b1a3c",
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuer": issuer,
        "validFrom": "2026-11-21T10:00:00Z",
        "credentialSubject": {"id": holder, "name": "Alice Example", "degree": "MSc", "year": 2026},
        "credentialSchema": {"id": "urn:weft:cpt:2000001:1", "type": "JsonSchema",
                             "digestSRI": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
        "credentialStatus": {"id": format!("{list}#94567"), "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": "94567",
                             "statusListCredential": list}
    });
    data_integrity::sign(
        &unsigned,
        &ProofOptions::assertion(format!("{issuer}#key-1"), "2026-11-21T10:00:01Z"),
        &issuer_key,
    )
    .unwrap()
}

fn w3c_vector() -> Value {
    let path = format!(
        "{}/tests/vectors/vc-di-eddsa/signedJCS.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_typical_credential_fits_inline_and_still_verifies() {
    let vc = typical_degree();
    let before = qr::encode_envelope_unchecked(&Payload::Credential(vc.clone()))
        .unwrap()
        .len();
    let text = compact::encode_text(&vc).unwrap();
    let json_len = serde_json::to_string(&vc).unwrap().len();
    println!(
        "typical degree: JSON {json_len} B, WEFT1 envelope {before} chars, WEFTC1 {} chars",
        text.len()
    );
    assert!(text.len() <= MAX_INLINE_ENVELOPE, "{} chars", text.len());
    assert!(text.len() < before);
    let back = compact::decode_text(&text).unwrap();
    assert_eq!(back, vc);
    let issuer_key = Keypair::from_seed(&[1; 32]);
    data_integrity::verify(&back, |_| Ok(issuer_key.public_key())).unwrap();
    // It renders as one QR code (alphanumeric mode).
    let code = qr::qr_code(&text).unwrap();
    println!("QR version at EC Q: {:?}", code.version());
    // The target: version <= 15 at error correction M.
    let m =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    println!("QR version at EC M: {:?}", m.version());
    assert!(matches!(m.version(), qrcode::Version::Normal(v) if v <= 15));

    let w3c = w3c_vector();
    let text = compact::encode_text(&w3c).unwrap();
    println!("W3C vector: WEFTC1 {} chars", text.len());
    let back = compact::decode_text(&text).unwrap();
    assert_eq!(back, w3c);
    data_integrity::verify(&back, weft_did::credential::did_key_verification_method).unwrap();
}

#[test]
fn short_forms_are_used_only_when_exact() {
    let key = Keypair::from_seed(&[2; 32]);
    let did = Did::Key(key.public_key()).to_string();
    let odd = json!({
        "a": "urn:uuid:3F1E8A52-6C1D-4B7E-9A0F-2D4C6E8B1A3C",
        "b": "2026-11-21T10:00:00.5Z",
        "c": "2026-11-21T10:00:00+01:00",
        "d": format!("{did}#other"),
        "e": "did:weft:x:0xABCDEF0000000000000000000000000000000000",
        "f": "z0OIl",
        "g": "sha256-AAAA",
        "h": "https://",
        "i": [1.5, -3, 18446744073709551615u64, null, true],
        "id": did,
    });
    assert_eq!(
        compact::decode(&compact::encode(&odd).unwrap()).unwrap(),
        odd
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let code = |t: &str| compact::decode_text(t).unwrap_err().code();
    assert_eq!(code("WEFT1:ABC"), "missing_prefix");
    assert_eq!(code("WEFTC1:???"), "bad_base45");
    assert_eq!(code(&format!("WEFTC1:{}", "0".repeat(5000))), "too_long");
    assert_eq!(
        code(&format!("WEFTC1:{}", base45::encode([1, 2, 3]))),
        "bad_deflate"
    );
    // Unknown tag, index out of range, wrong byte lengths.
    for cbor in [
        vec![0xd8, 0x64, 0x01],                         // tag 100
        vec![0xc6, 0x19, 0xff, 0xff],                   // dictionary index 65535
        vec![0xc9, 0x43, 1, 2, 3],                      // uuid of 3 bytes
        vec![0xcc, 0x41, 0],                            // SRI of 1 byte
        vec![0xa1, 0x01, 0x02],                         // integer map key
        vec![0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02], // duplicate key
    ] {
        assert!(
            matches!(compact::decode(&cbor), Err(CompactError::BadCbor(_))),
            "{cbor:?}"
        );
    }
    // Deep nesting is refused, not a stack overflow.
    let mut deep = vec![0x81u8; 10_000];
    deep.push(0x01);
    assert!(compact::decode(&deep).is_err());
    // A deflate bomb stops at the cap.
    let zeros = vec![0u8; 200_000];
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut enc, &zeros).unwrap();
    let bomb = format!("WEFTC1:{}", base45::encode(enc.finish().unwrap()));
    assert!(compact::decode_text(&bomb).is_err());
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        prop::sample::select(compact::DICTIONARY).prop_map(Value::from),
        "z[1-9A-HJ-NP-Za-km-z]{0,30}".prop_map(Value::from),
        "(https://|urn:uuid:|did:key:|did:weft:)[a-z0-9:#-]{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn round_trip_is_exact(v in json_value()) {
        let text = compact::encode_text(&v).unwrap();
        prop_assert_eq!(compact::decode_text(&text).unwrap(), v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = compact::decode(&bytes);
    }
}

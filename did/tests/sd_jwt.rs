//! SD-JWT (RFC 9901) issuance, presentation and verification, including forged, replayed and
//! tampered inputs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use weft_chain::{Keypair, PublicKey};
use weft_did::credential::sd_jwt::{
    self, disclosable_paths, issue, present, verify, IssueOptions, SdJwtError, VerifyOptions,
};

const KID: &str = "did:weft:test:0x0101010101010101010101010101010101010101#key-1";
const NOW: i64 = 1_800_000_000;

struct Fixture {
    issuer: Keypair,
    holder: Keypair,
    sd_jwt: String,
}

fn claims() -> Map<String, Value> {
    json!({
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1815-12-10",
        "address": { "street": "12 Example Row", "locality": "Testville", "country": "GB" },
        "nationalities": ["GB", "FR"],
        "member": true
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn fixture_with(paths: &[&str], decoys: usize) -> Fixture {
    let issuer = Keypair::from_seed(&[7; 32]);
    let holder = Keypair::from_seed(&[9; 32]);
    let holder_pk = holder.public_key();
    let sd_jwt = issue(
        &claims(),
        paths,
        &issuer,
        &IssueOptions {
            issuer: "did:weft:test:0x0101010101010101010101010101010101010101",
            kid: KID,
            vct: Some("https://weft.example/vct/person"),
            holder_key: &holder_pk,
            iat: NOW - 100,
            exp: Some(NOW + 86_400),
            decoys,
        },
    )
    .unwrap();
    Fixture {
        issuer,
        holder,
        sd_jwt,
    }
}

fn fixture() -> Fixture {
    fixture_with(
        &[
            "given_name",
            "family_name",
            "birthdate",
            "address",
            "address/street",
            "address/locality",
            "nationalities/0",
            "nationalities/1",
        ],
        2,
    )
}

fn opts() -> VerifyOptions<'static> {
    VerifyOptions {
        nonce: "n-0S6_WzA2Mj",
        aud: "https://verifier.example",
        now: NOW,
        max_kb_age: 300,
        leeway: 30,
    }
}

fn resolver(key: PublicKey) -> impl FnOnce(&str) -> Result<PublicKey, String> {
    move |kid| {
        if kid == KID {
            Ok(key)
        } else {
            Err("unknown kid".into())
        }
    }
}

fn check(f: &Fixture, presentation: &str) -> Result<sd_jwt::Verified, SdJwtError> {
    verify(presentation, resolver(f.issuer.public_key()), &opts())
}

fn show(f: &Fixture, paths: &[&str]) -> String {
    present(
        &f.sd_jwt,
        paths,
        &f.holder,
        "n-0S6_WzA2Mj",
        "https://verifier.example",
        NOW - 10,
    )
    .unwrap()
}

fn b64json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn payload_of(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

#[test]
fn discloses_exactly_the_chosen_claims() {
    let f = fixture();
    let p = show(&f, &["given_name", "address/locality", "nationalities/1"]);
    let v = check(&f, &p).unwrap();
    assert_eq!(v.claims["given_name"], "Ada");
    assert_eq!(
        v.claims["address"],
        json!({ "locality": "Testville", "country": "GB" })
    );
    assert_eq!(v.claims["nationalities"], json!(["FR"]));
    assert_eq!(v.claims["member"], true);
    assert!(v.claims.get("family_name").is_none());
    assert!(v.claims.get("birthdate").is_none());
    assert!(v.claims.get("_sd_alg").is_none());
    assert!(!p.contains("Lovelace"));
    assert_eq!(v.holder_key, f.holder.public_key());
    assert_eq!(v.kid, KID);
    let text = serde_json::to_string(&v.claims).unwrap();
    assert!(!text.contains("\"_sd\"") && !text.contains("\"...\""));
}

#[test]
fn disclosing_everything_and_nothing() {
    let f = fixture();
    let all = show(
        &f,
        &[
            "given_name",
            "family_name",
            "birthdate",
            "address",
            "nationalities",
        ],
    );
    let v = check(&f, &all).unwrap();
    let mut expected = claims();
    for k in ["iss", "iat", "exp", "vct", "cnf"] {
        expected.insert(k.into(), v.claims[k].clone());
    }
    assert_eq!(Value::Object(v.claims), Value::Object(expected));
    let none = show(&f, &[]);
    let v = check(&f, &none).unwrap();
    assert!(v.claims.get("address").is_none());
    assert_eq!(v.claims["nationalities"], json!([]));
}

#[test]
fn issuance_shape_salts_and_decoys() {
    let f = fixture();
    let jwt = f.sd_jwt.split('~').next().unwrap();
    let payload = payload_of(jwt);
    assert_eq!(payload["_sd_alg"], "sha-256");
    assert_eq!(payload["cnf"]["jwk"]["kty"], "OKP");
    // 4 top-level disclosable (given_name, family_name, birthdate, address) + 2 decoys.
    let sd = payload["_sd"].as_array().unwrap();
    assert_eq!(sd.len(), 6);
    let mut sorted = sd.clone();
    sorted.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    assert_eq!(&sorted, sd);
    for d in f.sd_jwt.split('~').skip(1).filter(|d| !d.is_empty()) {
        let arr: Vec<Value> = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(d).unwrap()).unwrap();
        let salt = URL_SAFE_NO_PAD.decode(arr[0].as_str().unwrap()).unwrap();
        assert!(salt.len() >= 16);
    }
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "dc+sd-jwt");
    // Two issuances of the same claims share no disclosure (fresh salts).
    let g = fixture();
    let a: Vec<_> = f.sd_jwt.split('~').skip(1).collect();
    assert!(g
        .sd_jwt
        .split('~')
        .skip(1)
        .filter(|d| !d.is_empty())
        .all(|d| !a.contains(&d)));
    let paths = disclosable_paths(&f.sd_jwt).unwrap();
    assert!(paths.contains("address/street") && paths.contains("nationalities/1"));
}

#[test]
fn issuing_rejects_unknown_paths_and_reserved_claims() {
    let issuer = Keypair::from_seed(&[7; 32]);
    let pk = issuer.public_key();
    let o = IssueOptions {
        issuer: "did:x",
        kid: KID,
        vct: None,
        holder_key: &pk,
        iat: NOW,
        exp: None,
        decoys: 0,
    };
    assert_eq!(
        issue(&claims(), &["nope"], &issuer, &o),
        Err(SdJwtError::UnknownPath("nope".into()))
    );
    let mut c = claims();
    c.insert("iss".into(), "x".into());
    assert_eq!(
        issue(&c, &[], &issuer, &o),
        Err(SdJwtError::ReservedClaim("iss".into()))
    );
    let mut c = claims();
    c.insert("x".into(), json!({"_sd": []}));
    assert_eq!(
        issue(&c, &[], &issuer, &o),
        Err(SdJwtError::ReservedClaim("_sd".into()))
    );
    let o = IssueOptions { decoys: 99, ..o };
    assert_eq!(
        issue(&claims(), &[], &issuer, &o),
        Err(SdJwtError::TooManyDecoys)
    );
}

#[test]
fn rejects_a_forged_disclosure() {
    let f = fixture();
    let p = show(&f, &["given_name"]);
    let forged = b64json(&json!(["c2FsdHNhbHRzYWx0c2FsdA", "family_name", "Babbage"]));
    // Insert before the KB-JWT and re-sign the KB so only the forged disclosure is at fault.
    let (jwt, rest) = p.split_once('~').unwrap();
    let given = rest.split('~').next().unwrap();
    let prefix = format!("{jwt}~{given}~{forged}~");
    let tampered = resign_kb(&f, &prefix, "n-0S6_WzA2Mj", "https://verifier.example", NOW);
    assert_eq!(
        check(&f, &tampered),
        Err(SdJwtError::UnreferencedDisclosure)
    );
}

/// Builds a KB-JWT by hand over `prefix`.
fn resign_kb(f: &Fixture, prefix: &str, nonce: &str, aud: &str, iat: i64) -> String {
    use sha2::{Digest, Sha256};
    let header = b64json(&json!({"alg": "EdDSA", "typ": "kb+jwt"}));
    let sd_hash = URL_SAFE_NO_PAD.encode(Sha256::digest(prefix.as_bytes()));
    let payload = b64json(&json!({"nonce": nonce, "aud": aud, "iat": iat, "sd_hash": sd_hash}));
    let input = format!("{header}.{payload}");
    let sig = f.holder.sign(input.as_bytes());
    format!("{prefix}{input}.{}", URL_SAFE_NO_PAD.encode(sig.0))
}

fn prefix_of(p: &str) -> &str {
    &p[..=p.rfind('~').unwrap()]
}

#[test]
fn rejects_duplicate_disclosures() {
    let f = fixture();
    let p = show(&f, &["given_name"]);
    let (jwt, rest) = p.split_once('~').unwrap();
    let d = rest.split('~').next().unwrap();
    let prefix = format!("{jwt}~{d}~{d}~");
    let tampered = resign_kb(&f, &prefix, "n-0S6_WzA2Mj", "https://verifier.example", NOW);
    assert_eq!(check(&f, &tampered), Err(SdJwtError::DuplicateDisclosure));
}

/// Signs an issuer JWT with a hand-made payload.
fn issuer_jwt(f: &Fixture, header: &Value, payload: &Value) -> String {
    let input = format!("{}.{}", b64json(header), b64json(payload));
    let sig = f.issuer.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.0))
}

fn digest_of(d: &str) -> String {
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(d.as_bytes()))
}

fn hand_made(f: &Fixture, sd: Vec<String>, extra: Value, disclosures: &[&str]) -> String {
    let header = json!({"alg": "EdDSA", "typ": "dc+sd-jwt", "kid": KID});
    let mut payload = json!({
        "iss": "did:x", "iat": NOW, "_sd_alg": "sha-256", "_sd": sd,
        "cnf": {"jwk": sd_jwt::ed25519_jwk(&f.holder.public_key())}
    });
    for (k, v) in extra.as_object().unwrap() {
        payload[k] = v.clone();
    }
    let mut prefix = issuer_jwt(f, &header, &payload) + "~";
    for d in disclosures {
        prefix.push_str(d);
        prefix.push('~');
    }
    resign_kb(f, &prefix, "n-0S6_WzA2Mj", "https://verifier.example", NOW)
}

#[test]
fn rejects_duplicate_digests_name_clashes_and_reserved_names() {
    let f = fixture();
    let d = b64json(&json!(["c2FsdHNhbHRzYWx0c2FsdA", "name", "x"]));
    let p = hand_made(&f, vec![digest_of(&d), digest_of(&d)], json!({}), &[&d]);
    assert_eq!(check(&f, &p), Err(SdJwtError::DuplicateDigest));

    let p = hand_made(&f, vec![digest_of(&d)], json!({"name": "y"}), &[&d]);
    assert_eq!(
        check(&f, &p),
        Err(SdJwtError::ClaimNameClash("name".into()))
    );

    for reserved in ["_sd", "..."] {
        let r = b64json(&json!(["c2FsdHNhbHRzYWx0c2FsdA", reserved, "x"]));
        let p = hand_made(&f, vec![digest_of(&r)], json!({}), &[&r]);
        assert_eq!(
            check(&f, &p),
            Err(SdJwtError::ReservedName(reserved.into()))
        );
    }
    // An array-element disclosure referenced from _sd.
    let a = b64json(&json!(["c2FsdHNhbHRzYWx0c2FsdA", "x"]));
    let p = hand_made(&f, vec![digest_of(&a)], json!({}), &[&a]);
    assert_eq!(check(&f, &p), Err(SdJwtError::MisplacedDisclosure));
    // Another hash algorithm.
    let p = hand_made(&f, vec![], json!({"_sd_alg": "sha-1"}), &[]);
    assert!(matches!(check(&f, &p), Err(SdJwtError::UnsupportedHash(_))));
    // The hand-made route is otherwise sound.
    let p = hand_made(&f, vec![digest_of(&d)], json!({}), &[&d]);
    assert_eq!(check(&f, &p).unwrap().claims["name"], "x");
}

#[test]
fn rejects_bad_issuer_signature_and_other_algorithms() {
    let f = fixture();
    let p = show(&f, &["given_name"]);
    // Another issuer key.
    let other = Keypair::from_seed(&[8; 32]).public_key();
    assert_eq!(
        verify(&p, resolver(other), &opts()),
        Err(SdJwtError::BadIssuerSignature)
    );
    // An unknown kid.
    assert!(matches!(
        verify(&p, |_: &str| Err("no such key".to_string()), &opts()),
        Err(SdJwtError::IssuerKey { .. })
    ));
    // Tampered payload (member: false), signature kept.
    let jwt = p.split('~').next().unwrap();
    let mut parts: Vec<&str> = jwt.split('.').collect();
    let mut payload = payload_of(jwt);
    payload["member"] = json!(false);
    let new_payload = b64json(&payload);
    parts[1] = &new_payload;
    let tampered_jwt = parts.join(".");
    let tampered = resign_kb(
        &f,
        &prefix_of(&p).replacen(jwt, &tampered_jwt, 1),
        "n-0S6_WzA2Mj",
        "https://verifier.example",
        NOW,
    );
    assert_eq!(check(&f, &tampered), Err(SdJwtError::BadIssuerSignature));
    // alg: none, and HS256.
    for alg in ["none", "HS256", "ES256"] {
        let header = json!({"alg": alg, "typ": "dc+sd-jwt", "kid": KID});
        let forged = format!("{}.{}.", b64json(&header), b64json(&payload_of(jwt)));
        let prefix = prefix_of(&p).replacen(jwt, &forged, 1);
        let tampered = resign_kb(&f, &prefix, "n-0S6_WzA2Mj", "https://verifier.example", NOW);
        assert_eq!(
            check(&f, &tampered),
            Err(SdJwtError::UnsupportedAlgorithm(alg.into()))
        );
    }
    // Wrong typ.
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": KID});
    let other_typ = issuer_jwt(&f, &header, &payload_of(jwt));
    let prefix = prefix_of(&p).replacen(jwt, &other_typ, 1);
    let tampered = resign_kb(&f, &prefix, "n-0S6_WzA2Mj", "https://verifier.example", NOW);
    assert_eq!(
        check(&f, &tampered),
        Err(SdJwtError::WrongType("JWT".into()))
    );
}

#[test]
fn key_binding_is_required_and_exact() {
    let f = fixture();
    let p = show(&f, &["given_name"]);
    let prefix = prefix_of(&p).to_string();
    // Missing KB-JWT (the issuance form itself, or a stripped presentation).
    assert_eq!(check(&f, &prefix), Err(SdJwtError::MissingKeyBinding));
    assert_eq!(check(&f, &f.sd_jwt), Err(SdJwtError::MissingKeyBinding));
    // Wrong nonce, wrong audience: a replay to another verifier or session.
    let o = VerifyOptions {
        nonce: "other",
        ..opts()
    };
    assert_eq!(
        verify(&p, resolver(f.issuer.public_key()), &o),
        Err(SdJwtError::NonceMismatch)
    );
    let o = VerifyOptions {
        aud: "https://evil.example",
        ..opts()
    };
    assert_eq!(
        verify(&p, resolver(f.issuer.public_key()), &o),
        Err(SdJwtError::AudienceMismatch)
    );
    // Stale and future iat.
    let o = VerifyOptions {
        now: NOW + 10_000,
        ..opts()
    };
    assert_eq!(
        verify(&p, resolver(f.issuer.public_key()), &o),
        Err(SdJwtError::StaleKeyBinding)
    );
    let future = resign_kb(
        &f,
        &prefix,
        "n-0S6_WzA2Mj",
        "https://verifier.example",
        NOW + 3600,
    );
    assert_eq!(check(&f, &future), Err(SdJwtError::StaleKeyBinding));
    // KB signed by another key.
    let mut g = fixture();
    g.holder = Keypair::from_seed(&[3; 32]);
    let wrong = resign_kb(&g, &prefix, "n-0S6_WzA2Mj", "https://verifier.example", NOW);
    assert_eq!(check(&f, &wrong), Err(SdJwtError::BadKeyBindingSignature));
    // Dropping a disclosure after key binding breaks sd_hash.
    let p2 = show(&f, &["given_name", "family_name"]);
    let mut items: Vec<&str> = p2.split('~').collect();
    items.remove(1);
    assert_eq!(check(&f, &items.join("~")), Err(SdJwtError::SdHashMismatch));
    // KB with alg none.
    let header = b64json(&json!({"alg": "none", "typ": "kb+jwt"}));
    let none = format!(
        "{prefix}{header}.{}.",
        b64json(&json!({"nonce": "n-0S6_WzA2Mj"}))
    );
    assert_eq!(
        check(&f, &none),
        Err(SdJwtError::UnsupportedAlgorithm("none".into()))
    );
}

#[test]
fn rejects_expired_credentials_and_malformed_input() {
    let f = fixture();
    let p = show(&f, &["given_name"]);
    let o = VerifyOptions {
        now: NOW + 90_000,
        max_kb_age: 100_000,
        ..opts()
    };
    assert_eq!(
        verify(&p, resolver(f.issuer.public_key()), &o),
        Err(SdJwtError::Expired)
    );
    for bad in ["", "~", "a.b~", "x~~y", "no-tilde"] {
        assert!(check(&f, bad).is_err(), "{bad:?}");
    }
    let huge = "a".repeat(70_000) + "~";
    assert_eq!(check(&f, &huge), Err(SdJwtError::TooLarge));
    assert!(matches!(
        present(&p, &[], &f.holder, "n", "a", NOW),
        Err(SdJwtError::Malformed(_))
    ));
    assert_eq!(
        present(&f.sd_jwt, &["member"], &f.holder, "n", "a", NOW),
        Err(SdJwtError::UnknownPath("member".into()))
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn verify_never_panics(s in ".{0,400}") {
            let f = fixture_with(&["given_name"], 0);
            let _ = check(&f, &s);
        }

        #[test]
        fn any_subset_discloses_that_subset(mask in 0u8..32) {
            let names = ["given_name", "family_name", "birthdate", "address", "nationalities"];
            let f = fixture();
            let chosen: Vec<&str> = names.iter().enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0).map(|(_, n)| *n).collect();
            let v = check(&f, &show(&f, &chosen)).unwrap();
            for n in &names[..3] {
                prop_assert_eq!(v.claims.contains_key(*n), chosen.contains(n));
            }
        }
    }
}

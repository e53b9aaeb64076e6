//! Verifiable credentials over HTTP: issuance by a recognised issuer with a custodied key against
//! a registered CPT, verification with a per-check report (tampering shows the failing check),
//! the one-time challenge flow of presentations, and 400/422 problem details.

use std::time::Duration;

use serde_json::{json, Value};
use weft_api::testkit::{Platform, PlatformOptions};
use weft_chain::Keypair;
use weft_did::credential::presentation::{self, PresentRequest};
use weft_did::Did;

/// The platform under test ([`weft_api::testkit::Platform`], stopped on drop) and its client.
struct Api {
    base: String,
    http: awc::Client,
    admin_token: String,
    _platform: Platform,
}

struct Reply {
    status: u16,
    content_type: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
    fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        self.json()
    }
    fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "{}",
            self.content_type
        );
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        p
    }
}

impl Api {
    async fn start() -> Api {
        let p = Platform::start(PlatformOptions {
            workers: 2,
            ui: false,
            ..PlatformOptions::default()
        })
        .await
        .unwrap();
        Api {
            base: p.base.clone(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
            admin_token: p.admin_token.clone(),
            _platform: p,
        }
    }

    async fn send(&self, path: &str, token: Option<&str>, body: Option<String>) -> Reply {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => request
                .insert_header(("Content-Type", "application/json"))
                .send_body(body)
                .await
                .unwrap(),
            None => request.send().await.unwrap(),
        };
        let bytes = response.body().limit(16 << 20).await.unwrap();
        Reply {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(path, token, Some(body.to_string())).await
    }

    async fn token(&self, tenant: &str) -> String {
        self.post(
            "/api/v1/tokens",
            Some(&self.admin_token),
            json!({"tenant": tenant, "roles": ["issuer"], "label": "t"}),
        )
        .await
        .ok(201)["token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// A recognised issuer ("uni") with DID, key `k1` and CPT 1500 v1.
async fn setup(api: &Api) -> (String, String) {
    let uni = api.token("uni").await;
    let did = api
        .post("/api/v1/dids", Some(&uni), json!({"key_id": "k1"}))
        .await
        .ok(201)["did"]
        .as_str()
        .unwrap()
        .to_string();
    api.post(
        "/api/v1/issuers",
        Some(&uni),
        json!({"key_id": "k1", "name": "Uni", "description": "A university"}),
    )
    .await
    .ok(200);
    api.post(
        &format!("/api/v1/issuers/{did}/recognition"),
        Some(&api.admin_token),
        json!({"key_id": "admin", "recognised": true}),
    )
    .await
    .ok(200);
    let schema = json!({"type": "object",
        "properties": {"name": {"type": "string"}, "degree": {"type": "string"}},
        "required": ["name", "degree"], "additionalProperties": false});
    api.post(
        "/api/v1/cpts",
        Some(&uni),
        json!({"key_id": "k1", "id": 1500, "schema": schema}),
    )
    .await
    .ok(201);
    (uni, did)
}

fn credential(issuer: &str, subject: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "DegreeCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": subject, "name": "Ada", "degree": "BSc"},
        "credentialSchema": {"id": "urn:weft:cpt:1500:1", "type": "JsonSchema"}
    })
}

fn failed_check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {report}"))
}

#[actix_web::test]
async fn issue_verify_tamper_and_presentation_challenges() {
    let api = Api::start().await;
    let (uni, issuer) = setup(&api).await;
    let holder = Keypair::from_seed(&[42; 32]);
    let holder_did = Did::Key(holder.public_key()).to_string();

    let vc = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": credential(&issuer, &holder_did), "options": {"whatever": 1}}),
        )
        .await
        .ok(201)["verifiableCredential"]
        .clone();
    assert_eq!(vc["issuer"], issuer);
    assert_eq!(vc["proof"]["verificationMethod"], format!("{issuer}#key-1"));
    assert!(vc["credentialSchema"]["digestSRI"]
        .as_str()
        .unwrap()
        .starts_with("sha256-"));

    // Verified, at the root and under /api/v1.
    for path in ["/credentials/verify", "/api/v1/credentials/verify"] {
        let r = api
            .post(
                path,
                None,
                json!({"verifiableCredential": vc, "options": {"unknown": true}}),
            )
            .await
            .ok(200);
        assert_eq!(r["verified"], true, "{r}");
        assert!(r["checks"]
            .as_array()
            .unwrap()
            .contains(&json!("signature")));
        assert_eq!(r["errors"], json!([]));
    }

    // Tampered: 422 verification_failed, the signature check names the reason.
    let mut tampered = vc.clone();
    tampered["credentialSubject"]["degree"] = json!("PhD");
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": tampered}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(failed_check(&p, "signature")["reason"], "signature_invalid");
    assert_eq!(p["errors"][0]["code"], "signature_invalid");

    // Status and evidence: an entry allocated on the issuer's list, the credential anchored.
    let vc2 = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": credential(&issuer, &holder_did),
                   "options": {"status": true, "evidence": true}}),
        )
        .await
        .ok(201);
    assert!(vc2["evidence"]["batch"].is_u64(), "{vc2}");
    let vc2 = vc2["verifiableCredential"].clone();
    assert_eq!(vc2["credentialStatus"]["type"], "BitstringStatusListEntry");
    let r = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc2, "options": {"checkEvidence": true}}),
        )
        .await
        .ok(200);
    assert_eq!(r["verified"], true, "{r}");
    // The same, with the status bit read through a state proof against the certified header.
    let r = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc2, "options": {"statusProof": true}}),
        )
        .await
        .ok(200);
    assert_eq!(r["verified"], true, "{r}");
    let status_check = r["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "status")
        .unwrap()
        .clone();
    assert!(
        status_check["detail"]
            .as_str()
            .unwrap()
            .starts_with("state proof at height "),
        "{status_check}"
    );
    // statusProof must be a boolean.
    api.post(
        "/credentials/verify",
        None,
        json!({"verifiableCredential": vc2, "options": {"statusProof": "yes"}}),
    )
    .await
    .problem(400, "invalid_request");
    // Revoked by its issuer: the status check fails with `revoked`.
    api.post(
        "/credentials/status",
        Some(&uni),
        json!({"credentialId": vc2["id"], "credentialStatus": [
            {"type": "BitstringStatusListEntry", "status": true, "statusPurpose": "revocation"}]}),
    )
    .await
    .ok(200);
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc2}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(failed_check(&p, "status")["reason"], "revoked");
    // Proven: revoked too, at the proved height.
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc2, "options": {"statusProof": true}}),
        )
        .await
        .problem(422, "verification_failed");
    let check = failed_check(&p, "status");
    assert_eq!(check["reason"], "revoked");
    assert!(check["detail"]
        .as_str()
        .unwrap()
        .starts_with("state proof at height "));
    // Evidence asked of a credential never anchored fails `not_anchored`.
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc, "options": {"checkEvidence": true}}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(failed_check(&p, "evidence")["reason"], "not_anchored");

    // A status entry naming a list this chain does not have fails closed, unless the verifier
    // opts out of status checks.
    let mut with_status = credential(&issuer, &holder_did);
    with_status["credentialStatus"] =
        json!({"id": "https://x/s#1", "type": "BitstringStatusListEntry"});
    let vc2 = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": with_status}),
        )
        .await
        .ok(201)["verifiableCredential"]
        .clone();
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": vc2}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(failed_check(&p, "status")["passed"], false);
    api.post(
        "/credentials/verify",
        None,
        json!({"verifiableCredential": vc2, "options": {"checkStatus": false}}),
    )
    .await
    .ok(200);

    // Presentations with server-issued one-time challenges.
    let present = |challenge: &str| {
        let now = time::OffsetDateTime::now_utc();
        presentation::present(
            &PresentRequest {
                id: None,
                holder: holder_did.clone(),
                credentials: vec![vc.clone()],
                challenge: challenge.into(),
                domain: "verifier.example".into(),
                created: now,
                expires: now + time::Duration::minutes(5),
            },
            &format!("{holder_did}#{}", &holder_did[8..]),
            &holder,
        )
        .unwrap()
    };
    let c = api.send("/challenges", None, None).await.ok(201);
    let challenge = c["challenge"].as_str().unwrap().to_string();
    assert_eq!(challenge.len(), 32);
    let vp = present(&challenge);
    let body = json!({"verifiablePresentation": vp,
                      "options": {"challenge": challenge, "domain": "verifier.example"}});
    let r = api
        .post("/presentations/verify", None, body.clone())
        .await
        .ok(200);
    assert_eq!(r["verified"], true, "{r}");
    // Replayed.
    let p = api
        .post("/presentations/verify", None, body)
        .await
        .problem(422, "verification_failed");
    assert_eq!(
        failed_check(&p, "challenge")["reason"],
        "challenge_replayed"
    );
    // A challenge this server never issued.
    let vp = present("made-up");
    let p = api
        .post(
            "/api/v1/presentations/verify",
            None,
            json!({"verifiablePresentation": vp,
                   "options": {"challenge": "made-up", "domain": "verifier.example"}}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(
        failed_check(&p, "challenge")["reason"],
        "challenge_mismatch"
    );
    // Wrong domain with a fresh challenge.
    let challenge = api.send("/challenges", None, None).await.ok(201)["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let p = api
        .post(
            "/presentations/verify",
            None,
            json!({"verifiablePresentation": present(&challenge),
                   "options": {"challenge": challenge, "domain": "other.example"}}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(failed_check(&p, "domain")["reason"], "domain_mismatch");
}

#[actix_web::test]
async fn malformed_is_400_and_invalid_is_422() {
    let api = Api::start().await;
    let (uni, issuer) = setup(&api).await;
    let subject = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    // Not JSON / wrong shape: 400.
    api.send("/credentials/verify", None, Some("{nope".into()))
        .await
        .problem(400, "malformed_json");
    api.post(
        "/credentials/verify",
        None,
        json!({"verifiableCredential": 5}),
    )
    .await
    .problem(400, "invalid_request");
    api.post("/credentials/verify", None, json!({"credential": {}}))
        .await
        .problem(400, "malformed_json");
    api.post(
        "/presentations/verify",
        None,
        json!({"verifiablePresentation": {}, "options": {}}),
    )
    .await
    .problem(400, "invalid_request");
    api.post("/credentials/issue", Some(&uni), json!({"credential": "x"}))
        .await
        .problem(400, "invalid_request");
    // No token.
    api.post("/credentials/issue", None, json!({"credential": {}}))
        .await
        .problem(401, "unauthorized");

    // Semantically invalid issuance: 422 invalid_credential.
    let mut bad_claims = credential(&issuer, subject);
    bad_claims["credentialSubject"] = json!({"id": subject, "name": 7, "extra": true});
    let p = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": bad_claims}),
        )
        .await
        .problem(422, "invalid_credential");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("/name"), "{detail}");
    assert!(
        detail.contains("/degree") || detail.contains("degree"),
        "{detail}"
    );
    let mut unknown_cpt = credential(&issuer, subject);
    unknown_cpt["credentialSchema"]["id"] = json!("urn:weft:cpt:1500:7");
    api.post(
        "/credentials/issue",
        Some(&uni),
        json!({"credential": unknown_cpt}),
    )
    .await
    .problem(422, "invalid_credential");
    let mut bad_context = credential(&issuer, subject);
    bad_context["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
    api.post(
        "/credentials/issue",
        Some(&uni),
        json!({"credential": bad_context}),
    )
    .await
    .problem(422, "invalid_credential");
    let foreign = credential(
        "did:weft:other-chain:0x0000000000000000000000000000000000000001",
        subject,
    );
    api.post(
        "/credentials/issue",
        Some(&uni),
        json!({"credential": foreign}),
    )
    .await
    .problem(422, "invalid_credential");
    // Another tenant holds no key of this issuer.
    let other = api.token("other").await;
    api.post(
        "/credentials/issue",
        Some(&other),
        json!({"credential": credential(&issuer, subject)}),
    )
    .await
    .problem(403, "forbidden");

    // A structurally broken credential still gets a report (422 with structure failed).
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": {"@context": ["x"]}}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(failed_check(&p, "structure")["reason"], "malformed");

    // OpenAPI lists the endpoints.
    let mut response = api
        .http
        .get(format!("{}/api/openapi.json", api.base))
        .send()
        .await
        .unwrap();
    let doc: Value = response.json().limit(8 << 20).await.unwrap();
    for path in [
        "/credentials/issue",
        "/credentials/verify",
        "/presentations/verify",
        "/challenges",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

#[actix_web::test]
async fn issuer_standing_is_judged_at_issuance_time() {
    let api = Api::start().await;
    let (uni, issuer) = setup(&api).await;
    let subject = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let before = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": credential(&issuer, subject)}),
        )
        .await
        .ok(201)["verifiableCredential"]
        .clone();
    // `created` is rounded up to the second: let it pass before the committee de-recognises.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    api.post(
        &format!("/api/v1/issuers/{issuer}/recognition"),
        Some(&api.admin_token),
        json!({"key_id": "admin", "recognised": false}),
    )
    .await
    .ok(200);
    // Issued while recognised: still verifies.
    let r = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": before}),
        )
        .await
        .ok(200);
    assert_eq!(r["verified"], true, "{r}");
    // Issued after de-recognition (the tenant still holds the key): the issuer check fails.
    let after = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": credential(&issuer, subject)}),
        )
        .await
        .ok(201)["verifiableCredential"]
        .clone();
    let p = api
        .post(
            "/credentials/verify",
            None,
            json!({"verifiableCredential": after}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(
        failed_check(&p, "issuer")["reason"],
        "issuer_not_recognised"
    );
}

/// Predicate claims over HTTP: issuance commits and returns `holderOpenings`; the holder service
/// proves `age >= 18`; the verifier requires it; a forged proof is 422 with the reason.
#[actix_web::test]
async fn predicate_issue_prove_and_verify() {
    let api = Api::start().await;
    let (uni, issuer) = setup(&api).await;
    let schema = json!({"type": "object",
        "properties": {"name": {"type": "string"},
                       "age": {"type": "integer", "minimum": 0, "x-weft-predicate": true}},
        "required": ["name", "age"], "additionalProperties": false});
    api.post(
        "/api/v1/cpts",
        Some(&uni),
        json!({"key_id": "k1", "id": 1600, "schema": schema}),
    )
    .await
    .ok(201);
    // The holder: a did:weft of this chain with a custodied key of another tenant.
    let alice = api.token("alice").await;
    let holder = api
        .post("/api/v1/dids", Some(&alice), json!({"key_id": "a1"}))
        .await
        .ok(201)["did"]
        .as_str()
        .unwrap()
        .to_string();
    let issued = api
        .post(
            "/credentials/issue",
            Some(&uni),
            json!({"credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential", "AgeCredential"],
                "issuer": issuer,
                "credentialSubject": {"id": holder, "name": "Ada", "age": 30},
                "credentialSchema": {"id": "urn:weft:cpt:1600:1", "type": "JsonSchema"}}}),
        )
        .await
        .ok(201);
    let vc = issued["verifiableCredential"].clone();
    let openings = issued["holderOpenings"].as_str().unwrap().to_string();
    assert!(openings.starts_with("weft-openings-v1."));
    assert!(vc["credentialSubject"].get("age").is_none(), "{vc}");
    assert!(vc["credentialSubject"]["weft:commitments"]["age"].is_string());
    api.post(
        "/credentials/verify",
        None,
        json!({"verifiableCredential": vc}),
    )
    .await
    .ok(200);

    let api_ref = &api;
    let challenge = move || async move {
        api_ref.send("/challenges", None, None).await.ok(201)["challenge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let prove_body = |challenge: &str, predicate: Value| {
        json!({"presentation": {"holder": holder, "verifiableCredential": [vc]},
               "options": {"challenge": challenge, "domain": "verifier.example",
                           "predicates": [{"credential": 0, "claim": "age",
                                           "predicate": predicate, "openings": openings}]}})
    };
    let ch = challenge().await;
    let vp = api
        .post(
            "/presentations/prove",
            Some(&alice),
            prove_body(&ch, json!({"gte": 18})),
        )
        .await
        .ok(201)["verifiablePresentation"]
        .clone();
    assert_eq!(vp["weft:predicates"][0]["predicate"], json!({"gte": 18}));
    let r = api
        .post(
            "/presentations/verify",
            None,
            json!({"verifiablePresentation": vp,
                   "options": {"challenge": ch, "domain": "verifier.example",
                               "predicates": [{"claim": "age", "predicate": {"gte": 18}}]}}),
        )
        .await
        .ok(200);
    assert!(
        r["checks"]
            .as_array()
            .unwrap()
            .contains(&json!("predicates")),
        "{r}"
    );

    // A requested predicate the presentation does not prove.
    let ch = challenge().await;
    let vp = api
        .post(
            "/api/v1/presentations/prove",
            Some(&alice),
            prove_body(&ch, json!({"gte": 18})),
        )
        .await
        .ok(201)["verifiablePresentation"]
        .clone();
    let p = api
        .post(
            "/presentations/verify",
            None,
            json!({"verifiablePresentation": vp,
                   "options": {"challenge": ch, "domain": "verifier.example",
                               "predicates": [{"claim": "age", "predicate": {"gte": 40}}]}}),
        )
        .await
        .problem(422, "verification_failed");
    assert_eq!(
        failed_check(&p, "predicates")["reason"],
        "predicate_missing"
    );

    // A forged proof (another presentation's proof, for another challenge).
    let ch1 = challenge().await;
    let ch2 = challenge().await;
    let other = api
        .post(
            "/presentations/prove",
            Some(&alice),
            prove_body(&ch2, json!({"gte": 18})),
        )
        .await
        .ok(201)["verifiablePresentation"]
        .clone();
    let mut forged = api
        .post(
            "/presentations/prove",
            Some(&alice),
            prove_body(&ch1, json!({"gte": 18})),
        )
        .await
        .ok(201)["verifiablePresentation"]
        .clone();
    forged["weft:predicates"][0]["proof"] = other["weft:predicates"][0]["proof"].clone();
    let p = api
        .post(
            "/presentations/verify",
            None,
            json!({"verifiablePresentation": forged,
                   "options": {"challenge": ch1, "domain": "verifier.example"}}),
        )
        .await
        .problem(422, "verification_failed");
    // The holder's signature covers `weft:predicates`, so the swap breaks it.
    assert_eq!(
        failed_check(&p, "presentation_signature")["reason"],
        "signature_invalid"
    );

    // Unsatisfiable or foreign openings: 422 predicate_invalid; bad input 400; no key 403.
    let ch = challenge().await;
    api.post(
        "/presentations/prove",
        Some(&alice),
        prove_body(&ch, json!({"gte": 31})),
    )
    .await
    .problem(422, "predicate_invalid");
    let mut no_domain = prove_body(&ch, json!({"gte": 18}));
    no_domain["options"]
        .as_object_mut()
        .unwrap()
        .remove("domain");
    api.post("/presentations/prove", Some(&alice), no_domain)
        .await
        .problem(400, "invalid_request");
    let mut bad_openings = prove_body(&ch, json!({"gte": 18}));
    bad_openings["options"]["predicates"][0]["openings"] = json!("nope");
    api.post("/presentations/prove", Some(&alice), bad_openings)
        .await
        .problem(400, "invalid_request");
    api.post(
        "/presentations/prove",
        Some(&uni),
        prove_body(&ch, json!({"gte": 18})),
    )
    .await
    .problem(403, "forbidden");
    api.post(
        "/presentations/prove",
        None,
        prove_body(&ch, json!({"gte": 18})),
    )
    .await
    .problem(401, "unauthorized");
}

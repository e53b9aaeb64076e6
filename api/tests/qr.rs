//! QR envelopes, one-time references, SD-JWT and predicate proofs over HTTP, and `weft qr`.
//!
//! Covers: encode (PNG, SVG, text) → decode round trip; typed problems for garbage, oversized and
//! code-less images and for envelopes over 600 bytes; one-time references (second fetch 404);
//! SD-JWT issue / present / verify with tenant keys and rejection of a wrong nonce and a forged
//! disclosure; predicate verification; and the CLI's encode/decode with a clear failure.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use weft_api::testkit::{Platform, PlatformOptions};
use weft_chain::PublicKey;
use weft_did::credential::predicate::{self, Predicate};
use weft_did::qr;

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
    envelope: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }

    fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.content_type.starts_with("application/problem+json"));
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

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = self.http.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => request
                .insert_header(("Content-Type", content_type))
                .send_body(body)
                .await
                .unwrap(),
            None => request.send().await.unwrap(),
        };
        let body = response.body().limit(16 << 20).await.unwrap().to_vec();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Reply {
            status: response.status().as_u16(),
            content_type: header("content-type").unwrap_or_default(),
            envelope: header("x-weft-envelope"),
            body,
        }
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(
            "POST",
            path,
            Some(token),
            "application/json",
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    async fn post_image(&self, token: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            "POST",
            "/api/v1/qr/decode",
            Some(token),
            "image/png",
            Some(bytes),
        )
        .await
    }

    /// A token of `tenant` with the issuer role, and a custodied key `key_id`; returns the token
    /// and the key's `did:key`.
    async fn tenant(&self, tenant: &str, key_id: &str) -> (String, String) {
        let token = self
            .post(
                "/api/v1/tokens",
                &self.admin_token,
                json!({"tenant": tenant, "roles": ["admin", "issuer"], "label": "t"}),
            )
            .await
            .ok(201)["token"]
            .as_str()
            .unwrap()
            .to_string();
        let key = self
            .post("/api/v1/keys", &token, json!({"key_id": key_id}))
            .await
            .ok(201);
        let hex_key = key["public_key"].as_str().unwrap();
        let bytes: [u8; 32] = hex::decode(hex_key.trim_start_matches("0x"))
            .unwrap()
            .try_into()
            .unwrap();
        let did = format!("did:key:{}", weft_did::multikey::encode(&PublicKey(bytes)));
        (token, did)
    }
}

#[actix_web::test]
async fn qr_encode_decode_and_references() {
    let api = Api::start().await;
    let (token, _) = api.tenant("acme", "k1").await;
    let payload = json!({"t": "vc", "c": {"type": ["VerifiableCredential"], "id": "urn:x:1"}});

    // PNG → decode.
    let png = api
        .send(
            "POST",
            "/api/v1/qr/encode?format=png",
            Some(&token),
            "application/json",
            Some(payload.to_string().into_bytes()),
        )
        .await;
    assert_eq!(png.status, 200);
    assert_eq!(png.content_type, "image/png");
    let envelope = png.envelope.clone().unwrap();
    assert!(envelope.starts_with("WEFT1:"));
    let decoded = api.post_image(&token, png.body.clone()).await.ok(200);
    assert_eq!(decoded["envelope"], envelope);
    assert_eq!(decoded["payload"], payload);

    // SVG and text.
    let svg = api
        .send(
            "POST",
            "/api/v1/qr/encode?format=svg",
            Some(&token),
            "application/json",
            Some(payload.to_string().into_bytes()),
        )
        .await;
    assert_eq!(svg.content_type, "image/svg+xml");
    assert!(String::from_utf8_lossy(&svg.body).contains("<svg"));
    let text = api
        .post("/api/v1/qr/encode?format=text", &token, payload.clone())
        .await
        .ok(200);
    assert_eq!(text["envelope"], envelope);

    // Typed problems.
    api.post_image(&token, b"definitely not an image".to_vec())
        .await
        .problem(400, "qr_not_an_image");
    let blank = {
        let img = image::GrayImage::from_pixel(80, 80, image::Luma([255]));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    api.post_image(&token, blank)
        .await
        .problem(422, "qr_no_code");
    api.post_image(&token, vec![0u8; qr::MAX_IMAGE_BYTES + 10])
        .await
        .problem(413, "qr_image_too_large");
    let big: String = (0..3000u32)
        .map(|i| format!("{:x}", i.wrapping_mul(2_654_435_761)))
        .collect();
    let big_payload = json!({"t": "vc", "c": {"blob": big}});
    api.post("/api/v1/qr/encode", &token, big_payload.clone())
        .await
        .problem(422, "envelope_too_large");
    // Unauthenticated encode is refused.
    let anon = api
        .send(
            "POST",
            "/api/v1/qr/encode",
            None,
            "application/json",
            Some(payload.to_string().into_bytes()),
        )
        .await;
    assert_eq!(anon.status, 401);

    // By reference: the envelope points at /q/{token}; served once.
    let created = api
        .post(
            "/api/v1/qr/refs",
            &token,
            json!({"payload": big_payload, "ttl_secs": 60}),
        )
        .await
        .ok(201);
    let env = created["envelope"].as_str().unwrap();
    assert!(env.len() <= qr::MAX_INLINE_ENVELOPE);
    let qr::Payload::Reference { url, .. } = qr::decode_envelope(env).unwrap() else {
        panic!("not a reference");
    };
    let path = &url[url.find("/q/").unwrap()..];
    let first = api.send("GET", path, None, "", None).await.ok(200);
    assert_eq!(first, big_payload);
    let second = api.send("GET", path, None, "", None).await;
    assert_eq!(second.status, 404);
    api.post(
        "/api/v1/qr/refs",
        &token,
        json!({"payload": payload, "ttl_secs": 100000}),
    )
    .await
    .problem(400, "invalid_request");

    // The OpenAPI document lists the routes.
    let doc = api
        .send("GET", "/api/openapi.json", None, "", None)
        .await
        .ok(200);
    for p in [
        "/api/v1/qr/encode",
        "/api/v1/qr/decode",
        "/api/v1/qr/refs",
        "/q/{token}",
        "/api/v1/sd-jwt/verify",
        "/api/v1/predicates/verify",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
}

#[actix_web::test]
async fn sd_jwt_and_predicates_over_http() {
    let api = Api::start().await;
    let (issuer_token, issuer_did) = api.tenant("issuer-co", "ik").await;
    let (holder_token, holder_did) = api.tenant("holder-co", "hk").await;
    let kid = format!("{issuer_did}#{}", issuer_did.trim_start_matches("did:key:"));
    let issued = api
        .post(
            "/api/v1/sd-jwt/issue",
            &issuer_token,
            json!({
                "key_id": "ik", "issuer": issuer_did, "kid": kid,
                "claims": {"given_name": "Ada", "family_name": "Lovelace", "age_over_18": true},
                "disclosable": ["given_name", "family_name", "age_over_18"],
                "holder": holder_did, "ttl_secs": 3600, "decoys": 2
            }),
        )
        .await
        .ok(200);
    let sd = issued["sd_jwt"].as_str().unwrap();
    let presented = api
        .post(
            "/api/v1/sd-jwt/present",
            &holder_token,
            json!({"key_id": "hk", "sd_jwt": sd, "disclose": ["age_over_18"],
                   "nonce": "n-123", "aud": "https://verifier.example"}),
        )
        .await
        .ok(200);
    let p = presented["sd_jwt"].as_str().unwrap();
    let verified = api
        .post(
            "/api/v1/sd-jwt/verify",
            &holder_token,
            json!({"presentation": p, "nonce": "n-123", "aud": "https://verifier.example"}),
        )
        .await
        .ok(200);
    assert_eq!(verified["claims"]["age_over_18"], true);
    assert!(verified["claims"].get("given_name").is_none());
    // Replayed to another nonce.
    let p2 = api
        .post(
            "/api/v1/sd-jwt/verify",
            &holder_token,
            json!({"presentation": p, "nonce": "n-999", "aud": "https://verifier.example"}),
        )
        .await
        .problem(422, "sd_jwt_invalid");
    assert!(p2["detail"].as_str().unwrap().contains("nonce"));
    // Presenting with a key that is not the bound one fails verification.
    let wrong = api
        .post(
            "/api/v1/sd-jwt/present",
            &issuer_token,
            json!({"key_id": "ik", "sd_jwt": sd, "disclose": ["age_over_18"],
                   "nonce": "n-123", "aud": "https://verifier.example"}),
        )
        .await
        .ok(200);
    api.post(
        "/api/v1/sd-jwt/verify",
        &holder_token,
        json!({"presentation": wrong["sd_jwt"], "nonce": "n-123", "aud": "https://verifier.example"}),
    )
    .await
    .problem(422, "sd_jwt_invalid");

    // Predicates: the issuer commits, the holder proves age >= 18, the API verifies.
    let subject = json!({"age": 30}).as_object().cloned().unwrap();
    let (commitments, openings) = predicate::commit_claims(&subject, &["age"]).unwrap();
    let ctx = predicate::predicate_context("ch-1", "verifier.example", "urn:cred:1", "age");
    let pred = Predicate::AtLeast { value: 18 };
    let proof = predicate::prove(openings.get("age").unwrap(), &pred, &ctx).unwrap();
    let body = |challenge: &str, value: u64| {
        json!({
            "commitment": commitments["age"], "predicate": {"op": "gte", "value": value},
            "proof": proof.to_base64url(), "challenge": challenge,
            "domain": "verifier.example", "credential_id": "urn:cred:1", "claim": "age"
        })
    };
    let ok = api
        .post("/api/v1/predicates/verify", &holder_token, body("ch-1", 18))
        .await
        .ok(200);
    assert_eq!(ok["verified"], true);
    api.post("/api/v1/predicates/verify", &holder_token, body("ch-2", 18))
        .await
        .problem(422, "predicate_invalid");
    api.post("/api/v1/predicates/verify", &holder_token, body("ch-1", 21))
        .await
        .problem(422, "predicate_invalid");
}

#[test]
fn cli_encode_and_decode() {
    let weft = env!("CARGO_BIN_EXE_weft");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("payload.json");
    let payload =
        json!({"t": "ref", "c": {"url": "https://w.example/q/abc", "expires": 1900000000}});
    std::fs::write(&input, payload.to_string()).unwrap();
    for ext in ["png", "svg"] {
        let out = dir.path().join(format!("code.{ext}"));
        let o = Command::new(weft)
            .args(["qr", "encode", "--in", input.to_str().unwrap(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        assert!(out.exists());
    }
    let png = dir.path().join("code.png");
    let o = Command::new(weft)
        .args(["qr", "decode"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let stdout = String::from_utf8(o.stdout).unwrap();
    let (envelope, json_text) = stdout.split_once('\n').unwrap();
    assert!(envelope.starts_with("WEFT1:"));
    let decoded: Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(decoded, payload);
    // A non-image fails with a clear message and a non-zero exit.
    let o = Command::new(weft)
        .args(["qr", "decode"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a supported image"),
        "{o:?}"
    );
}

/// An SD-JWT whose issuer is a `did:weft`: the `kid` is resolved through the chain's DID
/// registry at `iat`. A key without `assertionMethod`, a `kid` of another DID than `iss`, and a
/// key used after it was rotated out are refused; a presentation signed before the rotation
/// still verifies.
#[actix_web::test]
async fn sd_jwt_did_weft_issuer() {
    let api = Api::start().await;
    let (issuer_token, _) = api.tenant("weft-co", "k1").await;
    let (holder_token, holder_did) = api.tenant("holder-co", "hk").await;
    let did = api
        .post("/api/v1/dids", &issuer_token, json!({"key_id": "k1"}))
        .await
        .ok(201)["did"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(did.starts_with("did:weft:"));
    // key-2: authentication only (not an assertion key).
    api.post(
        &format!("/api/v1/dids/{did}/update"),
        &issuer_token,
        json!({"key_id": "k1", "operations": [
            {"op": "add_key", "new_key_id": "k-auth", "relationships": ["authentication"]}]}),
    )
    .await
    .ok(200);

    let issue = |key_id: &'static str, kid: String, iss: String| {
        let api = &api;
        let issuer_token = issuer_token.clone();
        let holder_did = holder_did.clone();
        async move {
            api.post(
                "/api/v1/sd-jwt/issue",
                &issuer_token,
                json!({"key_id": key_id, "issuer": iss, "kid": kid,
                       "claims": {"age_over_18": true, "name": "Ada"},
                       "disclosable": ["age_over_18", "name"], "holder": holder_did}),
            )
            .await
            .ok(200)["sd_jwt"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let present_and_verify = |sd: String| {
        let api = &api;
        let holder_token = holder_token.clone();
        async move {
            let p = api
                .post(
                    "/api/v1/sd-jwt/present",
                    &holder_token,
                    json!({"key_id": "hk", "sd_jwt": sd, "disclose": ["age_over_18"],
                           "nonce": "n-1", "aud": "https://verifier.example"}),
                )
                .await
                .ok(200)["sd_jwt"]
                .as_str()
                .unwrap()
                .to_string();
            api.post(
                "/api/v1/sd-jwt/verify",
                &holder_token,
                json!({"presentation": p, "nonce": "n-1", "aud": "https://verifier.example"}),
            )
            .await
        }
    };

    // The assertion key verifies.
    let good = issue("k1", format!("{did}#key-1"), did.clone()).await;
    let v = present_and_verify(good.clone()).await.ok(200);
    assert_eq!(v["kid"], format!("{did}#key-1"));
    assert_eq!(v["claims"]["age_over_18"], true);
    assert_eq!(v["claims"]["iss"], did.as_str());

    // An authentication-only key is not an assertion key.
    let auth = issue("k-auth", format!("{did}#key-2"), did.clone()).await;
    let p = present_and_verify(auth)
        .await
        .problem(422, "sd_jwt_invalid");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("key_not_valid_at_issuance"),
        "{p}"
    );
    // A kid of this DID under another iss.
    let other_iss = issue("k1", format!("{did}#key-1"), "did:weft:other:0x00".into()).await;
    let p = present_and_verify(other_iss)
        .await
        .problem(422, "sd_jwt_invalid");
    assert!(p["detail"].as_str().unwrap().contains("iss"), "{p}");
    // A fragment the document never had.
    let missing = issue("k1", format!("{did}#key-9"), did.clone()).await;
    present_and_verify(missing)
        .await
        .problem(422, "sd_jwt_invalid");

    // Rotate key-1 away (in a later second than `good`'s iat), then sign with the old key.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    api.post(
        &format!("/api/v1/dids/{did}/update"),
        &issuer_token,
        json!({"key_id": "k1", "operations": [
            {"op": "rotate_key", "fragment": "key-1", "new_key_id": "k3"}]}),
    )
    .await
    .ok(200);
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let late = issue("k1", format!("{did}#key-1"), did.clone()).await;
    let p = present_and_verify(late)
        .await
        .problem(422, "sd_jwt_invalid");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("key_not_valid_at_issuance"),
        "{p}"
    );
    // Signed before the rotation: still valid.
    present_and_verify(good).await.ok(200);
}

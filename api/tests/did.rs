//! DIDs, issuers and CPTs through the REST API, and DID resolution at `/1.0/identifiers/{did}`
//! (SQLite store; the store is incidental here — identity state lives on chain).
//!
//! Covers: custodial and client-signed creation (a transaction signed by another key is
//! refused), updates by a non-controller refused, rotation with old versions resolvable by
//! `versionId` and `versionTime`, deactivation (410, then no more updates), resolver error codes
//! (`invalidDid` 400, `notFound` 404, `methodNotSupported` 501), `Accept` negotiation, `did:key`,
//! state proofs that verify against the header and fail when tampered, issuer application and
//! committee-only recognition, CPT registration with invalid schemas refused and publisher-only
//! versions.

use std::time::Duration;

use serde_json::{json, Value};
use weft_api::testkit::{Platform, PlatformOptions};
use weft_chain::{Address, Keypair, Transaction};
use weft_did::proof::{self, DocumentProof};
use weft_did::registry::DidCall;
use weft_did::Did;

/// The platform under test ([`weft_api::testkit::Platform`], stopped on drop) and its client.
struct Api {
    base: String,
    http: awc::Client,
    admin_token: String,
    chain_id: String,
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

    /// A resolver error: status, `didResolutionMetadata.error`, null document.
    fn resolution_error(&self, status: u16, error: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/did-resolution"),
            "{}",
            self.content_type
        );
        let v = self.json();
        assert_eq!(v["didResolutionMetadata"]["error"], error, "{v}");
        assert!(v["didDocument"].is_null());
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
            chain_id: p.genesis.chain_id.clone(),
            _platform: p,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        accept: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        if let Some(accept) = accept {
            request = request.insert_header(("Accept", accept));
        }
        let mut response = match body {
            Some(body) => request
                .insert_header(("Content-Type", "application/json"))
                .send_body(body.to_string())
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

    async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, None, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send("POST", path, Some(token), None, Some(body)).await
    }

    /// A token of `tenant` with the issuer role.
    async fn token(&self, tenant: &str) -> String {
        let reply = self
            .post(
                "/api/v1/tokens",
                &self.admin_token,
                json!({"tenant": tenant, "roles": ["issuer"], "label": "t"}),
            )
            .await;
        reply.ok(201)["token"].as_str().unwrap().to_string()
    }

    /// Creates a custodial DID; returns it.
    async fn create_did(&self, token: &str, key_id: &str) -> String {
        let v = self
            .post("/api/v1/dids", token, json!({"key_id": key_id}))
            .await
            .ok(201);
        v["did"].as_str().unwrap().to_string()
    }

    async fn resolve(&self, did: &str, query: &str) -> Reply {
        self.get(&format!("/1.0/identifiers/{did}{query}")).await
    }
}

fn vm_keys(doc: &Value) -> Vec<String> {
    doc["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["publicKeyMultibase"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn custodial_lifecycle_rotation_history_and_deactivation() {
    let api = Api::start().await;
    let token = api.token("acme").await;
    let did = api.create_did(&token, "k1").await;
    assert!(did.starts_with(&format!("did:weft:{}:0x", api.chain_id)));

    // Resolution result (default) and bare document (Accept: application/did).
    let r = api.resolve(&did, "").await;
    assert!(r.content_type.starts_with("application/did-resolution"));
    let v1 = r.ok(200);
    assert_eq!(v1["didDocument"]["id"], did);
    assert_eq!(v1["didDocumentMetadata"]["versionId"], "1");
    assert!(v1["didDocumentMetadata"]["created"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let bare = api
        .send(
            "GET",
            &format!("/1.0/identifiers/{did}"),
            None,
            Some("application/did"),
            None,
        )
        .await;
    assert!(bare.content_type.starts_with("application/did+json"));
    assert_eq!(bare.ok(200), v1["didDocument"]);
    let k1 = vm_keys(&v1["didDocument"]);

    // Rotate to a new custodied key, add a service.
    let v = api
        .post(
            &format!("/api/v1/dids/{did}/update"),
            &token,
            json!({"key_id": "k1", "operations": [
                {"op": "rotate_key", "fragment": "key-1", "new_key_id": "k2"},
                {"op": "add_service", "id": "hub", "type": "LinkedDomains", "endpoint": "https://acme.example"}
            ]}),
        )
        .await
        .ok(200);
    let doc2 = &v["resolution"]["didDocument"];
    assert_ne!(vm_keys(doc2), k1);
    assert_eq!(
        doc2["service"][0]["serviceEndpoint"],
        "https://acme.example"
    );
    assert_eq!(v["resolution"]["didDocumentMetadata"]["versionId"], "2");

    // The old key no longer controls the DID.
    let p = api
        .post(
            &format!("/api/v1/dids/{did}/update"),
            &token,
            json!({"key_id": "k1", "operations": [{"op": "remove_service", "id": "hub"}]}),
        )
        .await
        .problem(403, "forbidden");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("capabilityInvocation"),
        "{p}"
    );

    // Version 1 is still what it was.
    let old = api.resolve(&did, "?versionId=1").await.ok(200);
    assert_eq!(vm_keys(&old["didDocument"]), k1);
    assert_eq!(old["didDocumentMetadata"]["nextVersionId"], "2");
    let created = v1["didDocumentMetadata"]["created"]
        .as_str()
        .unwrap()
        .to_string();
    // Metadata times are whole seconds; the end of the creation second resolves to version 1
    // (or 2, when both blocks fall within that second), never to nothing.
    let end_of_second = created.replace('Z', ".999Z");
    let at_creation = api
        .resolve(&did, &format!("?versionTime={end_of_second}"))
        .await;
    let version = at_creation.ok(200)["didDocumentMetadata"]["versionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(version == "1" || version == "2");
    api.resolve(&did, "?versionTime=2000-01-01T00:00:00Z")
        .await
        .resolution_error(404, "notFound");
    api.resolve(&did, "?versionId=9")
        .await
        .resolution_error(404, "notFound");
    api.resolve(&did, "?versionId=x")
        .await
        .resolution_error(400, "invalidOptions");
    api.resolve(&did, "?versionTime=soon")
        .await
        .resolution_error(400, "invalidOptions");

    // The tenant's DIDs.
    let list = api
        .send("GET", "/api/v1/dids", Some(&token), None, None)
        .await
        .ok(200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["did"], did);
    assert_eq!(list[0]["version"], 2);

    // Deactivate with the new key: 410 afterwards, and no more updates.
    api.post(
        &format!("/api/v1/dids/{did}/deactivate"),
        &token,
        json!({"key_id": "k2"}),
    )
    .await
    .ok(200);
    let gone = api.resolve(&did, "").await;
    assert_eq!(gone.status, 410, "{}", gone.text);
    assert_eq!(gone.json()["didDocumentMetadata"]["deactivated"], true);
    api.post(
        &format!("/api/v1/dids/{did}/update"),
        &token,
        json!({"key_id": "k2", "operations": [{"op": "remove_service", "id": "hub"}]}),
    )
    .await
    .problem(409, "conflict");
    // Past versions still resolve (200) for signatures made before deactivation.
    assert_eq!(
        vm_keys(&api.resolve(&did, "?versionId=2").await.ok(200)["didDocument"]),
        vm_keys(doc2)
    );
}

#[actix_web::test]
async fn another_tenant_cannot_update_and_client_signed_creation_must_be_self_signed() {
    let api = Api::start().await;
    let acme = api.token("acme").await;
    let evil = api.token("evil").await;
    let did = api.create_did(&acme, "k1").await;
    api.create_did(&evil, "k1").await;
    // Evil's own key "k1" is not a key of acme's DID.
    api.post(&format!("/api/v1/dids/{did}/update"), &evil, json!({"key_id": "k1", "operations": [{"op": "add_key", "public_key": "0x3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"}]}))
        .await
        .problem(403, "forbidden");
    api.post(
        &format!("/api/v1/dids/{did}/deactivate"),
        &evil,
        json!({"key_id": "k1"}),
    )
    .await
    .problem(403, "forbidden");

    // Client-signed: Alice signs her own creation; Mallory's signature over Alice's key fails.
    let (alice, mallory) = (Keypair::generate(), Keypair::generate());
    let signed = |signer: &Keypair, for_key: &Keypair| {
        let tx = Transaction {
            chain_id: api.chain_id.clone(),
            sender: signer.public_key(),
            nonce: 0,
            call: DidCall::Create {
                public_key: for_key.public_key(),
                services: vec![],
            }
            .call(),
        }
        .sign(signer);
        format!("0x{}", hex::encode(tx.encode()))
    };
    api.post(
        "/api/v1/dids",
        &acme,
        json!({"transaction": signed(&mallory, &alice)}),
    )
    .await
    .problem(403, "forbidden");
    let v = api
        .post(
            "/api/v1/dids",
            &acme,
            json!({"transaction": signed(&alice, &alice)}),
        )
        .await
        .ok(201);
    assert_eq!(
        v["did"],
        Did::weft(&api.chain_id, alice.address()).to_string()
    );
    api.post(
        "/api/v1/dids",
        &acme,
        json!({"key_id": "a", "transaction": "0x00"}),
    )
    .await
    .problem(400, "invalid_request");
}

#[actix_web::test]
async fn resolver_error_codes_and_did_key() {
    let api = Api::start().await;
    api.resolve("not-a-did", "")
        .await
        .resolution_error(400, "invalidDid");
    api.resolve("did:weft:x:0x1234", "")
        .await
        .resolution_error(400, "invalidDid");
    api.resolve("did:example:123", "")
        .await
        .resolution_error(501, "methodNotSupported");
    let nobody = Address([7; 20]);
    api.resolve(&Did::weft(&api.chain_id, nobody).to_string(), "")
        .await
        .resolution_error(404, "notFound");
    api.resolve(&Did::weft("other-chain", nobody).to_string(), "")
        .await
        .resolution_error(404, "notFound");
    // did:key resolves locally.
    let key = Keypair::generate().public_key();
    let did = Did::Key(key).to_string();
    let v = api.resolve(&did, "").await.ok(200);
    assert_eq!(v["didDocument"]["id"], did);
    assert_eq!(
        v["didDocument"]["verificationMethod"][0]["publicKeyMultibase"],
        weft_did::multikey::encode(&key)
    );
}

#[actix_web::test]
async fn state_proofs_verify_against_the_header_and_fail_when_tampered() {
    let api = Api::start().await;
    let token = api.token("acme").await;
    let did = api.create_did(&token, "k1").await;
    let address = match Did::parse(&did).unwrap() {
        Did::Weft { address, .. } => address,
        Did::Key(_) => unreachable!(),
    };
    let v = api.resolve(&did, "?proof=true").await.ok(200);
    let p: DocumentProof =
        serde_json::from_value(v["didResolutionMetadata"]["stateProof"].clone()).unwrap();
    // The header is the node's block at that height.
    let block = api
        .get(&format!("/api/v1/chain/blocks/{}", p.head.height))
        .await
        .ok(200);
    assert_eq!(block["hash"], p.head.header.hash().to_string());
    let verified = proof::verify(&p, &address).unwrap();
    let rendered = weft_did::document::render(&api.chain_id, address, &verified.record.state);
    assert_eq!(rendered, v["didDocument"]);

    let mut tampered = p.clone();
    let mut record = verified.record.clone();
    record.state.keys[0].public_key = Keypair::generate().public_key();
    tampered.version.value = Some(borsh::to_vec(&record).unwrap());
    assert!(proof::verify(&tampered, &address).is_err());
    let mut tampered = p.clone();
    tampered.version.proof[10] ^= 0xff;
    assert!(proof::verify(&tampered, &address).is_err());
}

#[actix_web::test]
async fn issuers_and_cpts() {
    let api = Api::start().await;
    let bank = api.token("bank").await;
    let bank_did = api.create_did(&bank, "k1").await;
    let v = api
        .post(
            "/api/v1/issuers",
            &bank,
            json!({"key_id": "k1", "name": "Bank", "description": "A bank"}),
        )
        .await
        .ok(200);
    assert_eq!(v["recognised"], false);

    // The bank (not on the committee) cannot recognise itself.
    api.post(
        &format!("/api/v1/issuers/{bank_did}/recognition"),
        &bank,
        json!({"key_id": "k1", "recognised": true}),
    )
    .await
    .problem(403, "forbidden");
    // The operator's admin key is the genesis committee: recognition passes at once.
    let v = api
        .post(
            &format!("/api/v1/issuers/{bank_did}/recognition"),
            &api.admin_token,
            json!({"key_id": "admin", "recognised": true}),
        )
        .await
        .ok(200);
    assert_eq!(v["issuer"]["recognised"], true, "{v}");
    let list = api.get("/api/v1/issuers").await.ok(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["issuers"][0]["did"], bank_did);

    // Issuer types.
    api.post(
        "/api/v1/issuer-types",
        &bank,
        json!({"key_id": "k1", "name": "bank"}),
    )
    .await
    .ok(201);
    let t = api
        .post(
            "/api/v1/issuer-types/bank/members",
            &bank,
            json!({"key_id": "k1", "did": bank_did, "member": true}),
        )
        .await
        .ok(200);
    assert_eq!(t["member_count"], 1);
    assert_eq!(
        api.get("/api/v1/issuer-types/bank").await.ok(200)["members"][0],
        bank_did
    );

    // CPTs: authority range, invalid schema, non-publisher version.
    let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {"name": {"type": "string"}}, "required": ["name"]});
    let c = api
        .post(
            "/api/v1/cpts",
            &bank,
            json!({"key_id": "k1", "id": 1500, "schema": schema}),
        )
        .await
        .ok(201);
    assert_eq!(
        (c["id"].as_u64(), c["version"].as_u64()),
        (Some(1500), Some(1))
    );
    assert_eq!(c["publisher"], bank_did);
    assert!(c["digest"].as_str().unwrap().starts_with("0x"));
    api.post(
        "/api/v1/cpts",
        &bank,
        json!({"key_id": "k1", "schema": {"type": "strin"}}),
    )
    .await
    .problem(400, "invalid_request");
    let other = api.token("other").await;
    api.create_did(&other, "k1").await;
    api.post(
        "/api/v1/cpts",
        &other,
        json!({"key_id": "k1", "id": 1500, "schema": {"type": "object"}}),
    )
    .await
    .problem(403, "forbidden");
    api.post(
        "/api/v1/cpts",
        &other,
        json!({"key_id": "k1", "id": 1600, "schema": {"type": "object"}}),
    )
    .await
    .problem(403, "forbidden");
    let anyone = api
        .post(
            "/api/v1/cpts",
            &other,
            json!({"key_id": "k1", "schema": {"type": "object"}}),
        )
        .await
        .ok(201);
    assert_eq!(anyone["id"], 2_000_000);
    api.post(
        "/api/v1/cpts",
        &bank,
        json!({"key_id": "k1", "id": 1500, "schema": {"type": "object"}}),
    )
    .await
    .ok(201);
    let latest = api.get("/api/v1/cpts/1500").await.ok(200);
    assert_eq!(
        (latest["version"].as_u64(), latest["latest"].as_u64()),
        (Some(2), Some(2))
    );
    let first = api.get("/api/v1/cpts/1500?version=1").await.ok(200);
    assert_eq!(first["schema"], schema);
    api.get("/api/v1/cpts/1500?version=3")
        .await
        .problem(404, "not_found");
    api.get("/api/v1/cpts/42").await.problem(404, "not_found");
}

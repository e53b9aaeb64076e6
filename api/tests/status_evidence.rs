//! Status lists and evidence anchoring through the REST API (SQLite store, single validator).
//!
//! Covers: creating a list for a tenant DID (another tenant's DID refused), allocating entries
//! (distinct indexes, persisted), revoking through `POST /credentials/status` and the served
//! `BitstringStatusListCredential` (its eddsa-jcs-2022 proof verifies with the DID's key, its
//! bit is set, a tampered copy fails), revocation final (409), suspension round trip, the
//! verifier's `status_outcome`; 1,000 hashes anchored concurrently, each proof verifying against
//! the on-chain root; evidence lookup, batch revocation by another tenant refused (403) and by
//! the signer accepted, `evidence_outcome` before and after.

use std::time::{Duration, Instant};

use actix_web::web;
use serde_json::{json, Value};
use weft_api::rest::ApiState;
use weft_api::testkit::{Platform, PlatformOptions};
use weft_did::credential::data_integrity;
use weft_did::evidence::{credential_hash, verify, InclusionProof};
use weft_did::status::{bit_at, decode_list, StatusEntry, StatusOutcome, StatusPurpose};
use weft_did::{multikey, Did};
use weft_service::credentials::{evidence as ev, status as st};

/// The platform under test ([`weft_api::testkit::Platform`], stopped on drop) and its client.
struct Api {
    base: String,
    http: awc::Client,
    admin_token: String,
    state: web::Data<ApiState>,
    _platform: Platform,
}

struct Reply {
    status: u16,
    content_type: String,
    text: String,
}

impl Reply {
    fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        serde_json::from_str(&self.text).unwrap()
    }

    fn problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let p: Value = serde_json::from_str(&self.text).unwrap();
        assert_eq!(p["code"], code, "{p}");
    }
}

impl Api {
    async fn start() -> Api {
        let p = Platform::start(PlatformOptions {
            workers: 1,
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
            state: p.state.clone(),
            _platform: p,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
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

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send("GET", path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send("POST", path, Some(token), Some(body)).await
    }

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

    async fn create_did(&self, token: &str, key_id: &str) -> String {
        let v = self
            .post("/api/v1/dids", token, json!({"key_id": key_id}))
            .await
            .ok(201);
        v["did"].as_str().unwrap().to_string()
    }

    /// The public key of a DID's verification method (latest document).
    async fn vm_key(&self, vm: &str) -> weft_chain::PublicKey {
        let did = vm.split('#').next().unwrap();
        let v = self
            .get(&format!("/1.0/identifiers/{did}"), None)
            .await
            .ok(200);
        let m = v["didDocument"]["verificationMethod"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == vm)
            .unwrap_or_else(|| panic!("{vm} not in {v}"));
        multikey::decode(m["publicKeyMultibase"].as_str().unwrap()).unwrap()
    }

    /// Fetches a status list credential, checks its proof and returns (credential, bits).
    async fn status_list(&self, url: &str) -> (Value, Vec<u8>) {
        let path = &url[url.find("/status-lists/").unwrap()..];
        let reply = self.get(path, None).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(reply.content_type.starts_with("application/vc+ld+json"));
        let vc: Value = serde_json::from_str(&reply.text).unwrap();
        let vm = data_integrity::verification_method(&vc)
            .unwrap()
            .to_string();
        let key = self.vm_key(&vm).await;
        let verified = data_integrity::verify(&vc, |_| Ok(key)).unwrap();
        assert_eq!(verified.proof_purpose, "assertionMethod");
        assert!(vm.starts_with(vc["issuer"].as_str().unwrap()));
        // Tampering breaks the proof.
        let mut forged = vc.clone();
        forged["credentialSubject"]["encodedList"] =
            json!(weft_did::status::encode_list(&vec![0u8; 16 * 1024]));
        if forged != vc {
            assert!(data_integrity::verify(&forged, |_| Ok(key)).is_err());
        }
        let bits = decode_list(vc["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
        (vc, bits)
    }
}

#[actix_web::test]
async fn status_lists_allocate_revoke_suspend_and_serve() {
    let api = Api::start().await;
    let acme = api.token("acme").await;
    let other = api.token("other").await;
    let did = api.create_did(&acme, "issuer-key").await;
    let other_did = api.create_did(&other, "k").await;

    // Creating a list for someone else's DID is refused.
    api.post(
        "/api/v1/status-lists",
        &acme,
        json!({"did": other_did, "purpose": "revocation"}),
    )
    .await
    .problem(403, "forbidden");
    api.post(
        "/api/v1/status-lists",
        &acme,
        json!({"did": did, "purpose": "expiry"}),
    )
    .await
    .problem(400, "invalid_request");
    let created = api
        .post(
            "/api/v1/status-lists",
            &acme,
            json!({"did": did, "purpose": "revocation"}),
        )
        .await
        .ok(201);
    assert_eq!(created["length"], 131_072);
    let list_url = created["url"].as_str().unwrap().to_string();
    assert!(list_url.starts_with(&api.base), "{list_url}");
    let id = created["id"].as_str().unwrap();
    let info = api
        .get(&format!("/api/v1/status-lists/{id}"), Some(&acme))
        .await
        .ok(200);
    assert_eq!(info["did"], did.as_str());
    assert_eq!(info["set_count"], 0);

    // Allocation: distinct indexes on the existing list; a suspension list is created on use.
    let state = &api.state;
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::new();
    for _ in 0..20 {
        let e = st::allocate_status_entry(state, "acme", &did, StatusPurpose::Revocation)
            .await
            .unwrap();
        let parsed = StatusEntry::parse(&e).unwrap();
        assert_eq!(parsed.list_credential, list_url);
        assert!(seen.insert(parsed.index), "index handed out twice");
        entries.push(e);
    }
    let sus = st::allocate_status_entry(state, "acme", &did, StatusPurpose::Suspension)
        .await
        .unwrap();
    // Another tenant cannot allocate on acme's DID.
    assert!(
        st::allocate_status_entry(state, "other", &did, StatusPurpose::Revocation)
            .await
            .is_err()
    );

    let cred = "urn:uuid:4f1e7a52-0000-4000-8000-000000000001";
    st::record_issued(state, "acme", cred, &[entries[3].clone(), sus.clone()])
        .await
        .unwrap();
    // Recording the same credential twice conflicts.
    assert!(
        st::record_issued(state, "acme", cred, &[entries[4].clone()])
            .await
            .is_err()
    );
    // Records are group-committed: concurrent ones all land, a duplicate credential id in the
    // same group conflicts once, a record whose second entry conflicts leaves no row (all or
    // nothing), and another tenant cannot record on acme's list.
    let mut fresh = Vec::new();
    for _ in 0..50 {
        fresh.push(
            st::allocate_status_entry(state, "acme", &did, StatusPurpose::Revocation)
                .await
                .unwrap(),
        );
    }
    let results = futures_util::future::join_all(fresh.iter().enumerate().map(|(i, e)| {
        let id = format!("urn:uuid:group-{}", i.min(48));
        async move { st::record_issued(state, "acme", &id, std::slice::from_ref(e)).await }
    }))
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 49);
    assert!(results
        .iter()
        .any(|r| matches!(r, Err(weft_service::ServiceError::Conflict(_)))));
    let sus2 = st::allocate_status_entry(state, "acme", &did, StatusPurpose::Suspension)
        .await
        .unwrap();
    assert!(matches!(
        st::record_issued(
            state,
            "acme",
            "urn:uuid:group-0",
            &[sus2.clone(), fresh[49].clone()]
        )
        .await,
        Err(weft_service::ServiceError::Conflict(_))
    ));
    st::record_issued(state, "acme", "urn:uuid:group-0", &[sus2])
        .await
        .expect("the refused record left no suspension row");
    assert!(matches!(
        st::record_issued(state, "other", "urn:uuid:other-1", &[fresh[49].clone()]).await,
        Err(weft_service::ServiceError::NotFound(_))
    ));
    assert_eq!(
        st::status_outcome(state, &entries[3]).unwrap(),
        StatusOutcome::Valid
    );

    // Another tenant cannot change acme's credential status.
    api.post(
        "/credentials/status",
        &other,
        json!({"credentialId": cred, "credentialStatus": [
            {"type": "BitstringStatusListEntry", "status": true, "statusPurpose": "revocation"}]}),
    )
    .await
    .problem(404, "not_found");
    // Revoke.
    let changed = api
        .post(
            "/credentials/status",
            &acme,
            json!({"credentialId": cred, "credentialStatus": [
                {"type": "BitstringStatusListEntry", "status": true, "statusPurpose": "revocation"}]}),
        )
        .await
        .ok(200);
    let index: u64 = changed[0]["statusListIndex"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(index, StatusEntry::parse(&entries[3]).unwrap().index);
    assert_eq!(
        st::status_outcome(state, &entries[3]).unwrap(),
        StatusOutcome::Revoked
    );
    assert_eq!(
        st::status_outcome(state, &entries[5]).unwrap(),
        StatusOutcome::Valid
    );
    // The served credential: proof verifies, bit set, others clear.
    let (vc, bits) = api.status_list(&list_url).await;
    assert_eq!(vc["issuer"], did.as_str());
    assert_eq!(vc["id"], list_url.as_str());
    assert_eq!(vc["credentialSubject"]["statusPurpose"], "revocation");
    assert_eq!(bit_at(&bits, index), Some(true));
    assert_eq!(bits.iter().map(|b| b.count_ones()).sum::<u32>(), 1);
    // Revocation is final.
    api.post(
        "/credentials/status",
        &acme,
        json!({"credentialId": cred, "credentialStatus": [
            {"type": "BitstringStatusListEntry", "status": false, "statusPurpose": "revocation"}]}),
    )
    .await
    .problem(409, "conflict");

    // Suspension round trip.
    for (value, outcome) in [
        (true, StatusOutcome::Suspended),
        (false, StatusOutcome::Valid),
    ] {
        api.post(
            "/credentials/status",
            &acme,
            json!({"credentialId": cred, "credentialStatus": [
                {"type": "BitstringStatusListEntry", "status": value, "statusPurpose": "suspension"}]}),
        )
        .await
        .ok(200);
        assert_eq!(st::status_outcome(state, &sus).unwrap(), outcome);
    }
    let sus_url = StatusEntry::parse(&sus).unwrap().list_credential;
    let (vc, _) = api.status_list(&sus_url).await;
    assert_eq!(vc["credentialSubject"]["statusPurpose"], "suspension");

    // Verifier errors: purpose mismatch, a list elsewhere.
    let mut wrong = entries[3].clone();
    wrong["statusPurpose"] = json!("suspension");
    assert!(st::status_outcome(state, &wrong).is_err());
    let mut elsewhere = entries[3].clone();
    elsewhere["statusListCredential"] = json!("https://example.org/lists/1");
    assert!(matches!(
        st::status_outcome(state, &elsewhere),
        Err(st::StatusCheckError::UnknownList(_))
    ));
    // The proof path: the same answers through a verified state proof.
    let proven = st::status_proven_on(&state.node, &entries[3]).unwrap();
    assert_eq!(proven.outcome, StatusOutcome::Revoked);
    assert_eq!(proven.height, state.node.height());
    assert_eq!(
        st::status_proven_on(&state.node, &entries[5])
            .unwrap()
            .outcome,
        StatusOutcome::Valid
    );
    // The served bundle verifies with the did library against the committing validator set;
    // a flipped bit in the served chunk is refused.
    let e3 = StatusEntry::parse(&entries[3]).unwrap();
    let list_id = st::list_of_url(&e3.list_credential).unwrap();
    let reply = api
        .get(
            &format!(
                "/status-lists/{}/proof?index={}",
                hex::encode(list_id.0),
                e3.index
            ),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let bundle: weft_did::status_proof::StatusProof = serde_json::from_str(&reply.text).unwrap();
    let policy = weft_did::status_proof::ProofPolicy {
        chain_id: state.node.chain_id().to_string(),
        validators: state
            .node
            .validators(Some(bundle.header.height - 1))
            .unwrap()
            .into_iter()
            .map(|v| (v.public_key, v.power))
            .collect(),
        now_ms: bundle.header.timestamp_ms,
        max_age_ms: Some(60_000),
    };
    assert_eq!(
        weft_did::status_proof::verify(&e3, &list_id, &bundle, &policy)
            .unwrap()
            .outcome,
        StatusOutcome::Revoked
    );
    let mut flipped = bundle.clone();
    let (_, local) = weft_did::status::chunk_of(e3.index);
    flipped.chunk.value.as_mut().unwrap()[(local / 8) as usize] ^= 0x80 >> (local % 8);
    assert_eq!(
        weft_did::status_proof::verify(&e3, &list_id, &flipped, &policy),
        Err(weft_did::status_proof::StatusProofError::ProofMismatch)
    );
    // Index out of range: 400; unknown list: 404.
    api.get(
        &format!(
            "/status-lists/{}/proof?index={}",
            hex::encode(list_id.0),
            u64::MAX
        ),
        None,
    )
    .await
    .problem(400, "invalid_request");
    assert_eq!(
        api.get(
            &format!("/status-lists/{}/proof?index=0", "00".repeat(32)),
            None
        )
        .await
        .status,
        404
    );
    // Unknown list: 404 on both endpoints.
    let zero = "00".repeat(32);
    assert_eq!(
        api.get(&format!("/status-lists/{zero}"), None).await.status,
        404
    );
    api.get("/status-lists/nothex", None)
        .await
        .problem(400, "invalid_request");
}

#[actix_web::test]
async fn evidence_thousand_concurrent_then_revocation() {
    let api = Api::start().await;
    let acme = api.token("acme").await;
    let other = api.token("other").await;
    let did = api.create_did(&acme, "anchor").await;
    let _ = api.create_did(&other, "k").await;
    let Did::Weft { address, .. } = Did::parse(&did).unwrap() else {
        unreachable!()
    };

    // 1,000 hashes: 50 concurrent requests of 20.
    let hashes: Vec<[u8; 32]> = (0..1000u32)
        .map(|i| credential_hash(&json!({"id": format!("urn:cred:{i}"), "n": i})))
        .collect();
    let started = Instant::now();
    let replies = futures_util::future::join_all(hashes.chunks(20).map(|chunk| {
        api.post(
            "/api/v1/evidence",
            &acme,
            json!({"key_id": "anchor", "hashes": chunk.iter().map(hex::encode).collect::<Vec<_>>()}),
        )
    }))
    .await;
    let elapsed = started.elapsed();
    let mut batches = std::collections::BTreeSet::new();
    for (chunk, reply) in hashes.chunks(20).zip(replies) {
        let receipts = reply.ok(200);
        for (h, r) in chunk.iter().zip(receipts.as_array().unwrap()) {
            assert_eq!(r["hash"], hex::encode(h));
            let proof = InclusionProof::from_json(&r["proof"]).unwrap();
            let mut root = [0u8; 32];
            hex::decode_to_slice(r["root"].as_str().unwrap(), &mut root).unwrap();
            // The root is the one on chain.
            let batch = ev::chain_batch(&api.state, r["batch"].as_u64().unwrap()).unwrap();
            assert_eq!(batch.root, root);
            assert_eq!(batch.signer, address);
            assert!(verify(&root, h, &proof));
            batches.insert(batch.id);
        }
    }
    eprintln!(
        "anchored 1000 hashes in {elapsed:?} across {} batches",
        batches.len()
    );
    assert!(batches.len() < 100, "batching did not batch: {batches:?}");

    // Lookup.
    let h = hex::encode(hashes[7]);
    let info = api
        .get(&format!("/api/v1/evidence/{h}"), None)
        .await
        .ok(200);
    assert_eq!(info["signer"], address.to_string());
    assert!(info.get("revoked").is_none());
    let proof = InclusionProof::from_json(&info["proof"]).unwrap();
    let mut root = [0u8; 32];
    hex::decode_to_slice(info["root"].as_str().unwrap(), &mut root).unwrap();
    assert!(verify(&root, &hashes[7], &proof));
    let mut tampered = hashes[7];
    tampered[0] ^= 1;
    assert!(!verify(&root, &tampered, &proof));
    assert_eq!(
        api.get(&format!("/api/v1/evidence/{}", hex::encode(tampered)), None)
            .await
            .status,
        404
    );

    // A credential submitted whole, then checked by the verifier function.
    let vc = json!({"id": "urn:cred:whole", "type": ["VerifiableCredential"]});
    let r = api
        .post(
            "/api/v1/evidence",
            &acme,
            json!({"key_id": "anchor", "credentials": [vc]}),
        )
        .await
        .ok(200);
    let batch = r[0]["batch"].as_u64().unwrap();
    assert!(matches!(
        ev::evidence_outcome(&api.state, &vc).await.unwrap(),
        ev::EvidenceOutcome::Anchored { .. }
    ));
    assert_eq!(
        ev::evidence_outcome(&api.state, &json!({"id": "urn:never"}))
            .await
            .unwrap(),
        ev::EvidenceOutcome::NotAnchored
    );

    // Revocation: another tenant refused, the signer accepted, then the batch reads revoked.
    api.post(
        &format!("/api/v1/evidence/{batch}/revoke"),
        &other,
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    api.post("/api/v1/evidence/999999/revoke", &acme, json!({}))
        .await
        .problem(404, "not_found");
    api.post(
        &format!("/api/v1/evidence/{batch}/revoke"),
        &acme,
        json!({}),
    )
    .await
    .ok(200);
    api.post(
        &format!("/api/v1/evidence/{batch}/revoke"),
        &acme,
        json!({}),
    )
    .await
    .problem(409, "conflict");
    assert!(matches!(
        ev::evidence_outcome(&api.state, &vc).await.unwrap(),
        ev::EvidenceOutcome::Revoked
    ));
    let h = hex::encode(credential_hash(&vc));
    let info = api
        .get(&format!("/api/v1/evidence/{h}"), None)
        .await
        .ok(200);
    assert!(info["revoked"].is_string());

    // Bad input.
    api.post(
        "/api/v1/evidence",
        &acme,
        json!({"key_id": "anchor", "hashes": ["zz"]}),
    )
    .await
    .problem(400, "invalid_request");
    api.post(
        "/api/v1/evidence",
        &acme,
        json!({"key_id": "nope", "hashes": [h]}),
    )
    .await
    .problem(404, "not_found");
}

/// Throughput of the batcher (hashes acknowledged with stored proofs per second), in process.
/// Run: `cargo test -p weft-api --test status_evidence -- --ignored --nocapture throughput`.
#[actix_web::test]
#[ignore]
async fn evidence_throughput() {
    let api = Api::start().await;
    let acme = api.token("acme").await;
    let _ = api.create_did(&acme, "anchor").await;
    let state = api.state.ctx.clone();
    let n: u32 = std::env::var("EVIDENCE_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let signer = ev::Signer {
        tenant: "acme".into(),
        key_id: "anchor".into(),
    };
    let started = Instant::now();
    let receipts = futures_util::future::try_join_all((0..n).map(|i| {
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(&i.to_be_bytes());
        h[31] = 0xee;
        let state = state.clone();
        let signer = signer.clone();
        async move { state.evidence.submit(&state, signer, h).await }
    }))
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let batches: std::collections::BTreeSet<u64> = receipts.iter().map(|r| r.batch).collect();
    eprintln!(
        "evidence throughput: {n} hashes in {elapsed:?} = {:.0} hashes/s ({} batches)",
        n as f64 / elapsed.as_secs_f64(),
        batches.len()
    );
}

/// Hashes accepted but not anchored before a crash (rows left in `evidence_pending`) are
/// re-anchored when the batcher starts, and their proofs stored.
#[actix_web::test]
async fn pending_evidence_is_reanchored_on_start() {
    let api = Api::start().await;
    let acme = api.token("acme").await;
    let _ = api.create_did(&acme, "anchor").await;
    let left = [0x42u8; 32];
    sqlx::query(
        "INSERT INTO evidence_pending (hash, tenant, key_id, created_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(hex::encode(left))
    .bind("acme")
    .bind("anchor")
    .bind(1i64)
    .execute(api.state.store.pool())
    .await
    .unwrap();
    assert_eq!(
        ev::hash_outcome(&api.state, &left).await.unwrap(),
        ev::EvidenceOutcome::NotAnchored
    );
    // Starting the batcher (here: by the first submission) anchors the leftover too.
    api.state.evidence.start(&api.state.ctx);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let ev::EvidenceOutcome::Anchored { .. } =
            ev::hash_outcome(&api.state, &left).await.unwrap()
        {
            break;
        }
        assert!(Instant::now() < deadline, "leftover never anchored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = sqlx::query("SELECT hash FROM evidence_pending")
        .fetch_all(api.state.store.pool())
        .await
        .unwrap();
    assert!(rows.is_empty());
}

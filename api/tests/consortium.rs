//! A consortium of organisations, each running a full `weft node` process on one chain.
//!
//! - Three founding organisations: every node serves the REST API over its own store and
//!   master key, writes its own admin token, and registers its organisation DID with its
//!   endpoint. Two of them run a PSI through their REST APIs, choosing each other by DID
//!   (the initiator's node finds the responder's endpoint in its DID document on chain); the
//!   third reads the session's record from its own node.
//! - A fourth organisation joins: `weft join` lays out its home from the genesis file and a
//!   member's addresses, its node follows the chain as an observer and registers its DID, the
//!   committee votes it in with `weft tx send … governance propose add-validator` and `vote`,
//!   and the network keeps committing while one founder is down (3 of 4 validators).
//!
//! Each test prints what it did and what it checked. They run one at a time (two cores).

mod common;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::process::WEFT;
use common::testnet::{
    assert_same_chain, height, wait_for, wait_height, wait_org_dids, Testnet, CHAIN_ID,
};
use serde_json::{json, Value};

static SERIAL: Mutex<()> = Mutex::new(());
const WAIT: Duration = Duration::from_secs(120);
const BLOCK_INTERVAL_MS: u64 = 1000;

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A REST client of one organisation's node.
struct Org {
    base: String,
    token: String,
    client: awc::Client,
}

impl Org {
    fn new(net: &Testnet, i: usize) -> Org {
        Org {
            base: net.url(i).to_string(),
            token: net.admin_token(i),
            client: awc::Client::builder()
                .timeout(Duration::from_secs(300))
                .finish(),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.client.get(&url),
            "POST" => self.client.post(&url),
            other => panic!("method {other}"),
        }
        .insert_header(("Authorization", format!("Bearer {}", self.token)));
        let mut response = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        }
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let bytes = response.body().limit(64 << 20).await.unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn did(&self) -> String {
        let (status, org) = self.send("GET", "/api/v1/organisation", None).await;
        assert_eq!(status, 200, "{org}");
        org["did"].as_str().unwrap().to_string()
    }
}

fn psi_items() -> usize {
    std::env::var("WEFT_TEST_PSI_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[test]
fn organisations_run_psi_between_their_nodes_choosing_each_other_by_did() {
    let _serial = serial();
    let mut net = Testnet::create(3, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c: Vec<_> = (0..3).map(|i| net.client(i)).collect();
        wait_height(&c[0], 2, WAIT, "first blocks").await;
        wait_org_dids(&net, WAIT).await;
        let (a, b, cc) = (Org::new(&net, 0), Org::new(&net, 1), Org::new(&net, 2));
        let (did_a, did_b) = (a.did().await, b.did().await);
        assert_ne!(did_a, did_b);
        println!("checked: three nodes, three organisations with their own admin tokens and DIDs ({did_a}, {did_b}, …)");

        // Each organisation's token is its own: A's token means nothing to B's node.
        let foreign = Org {
            token: a.token.clone(),
            base: b.base.clone(),
            client: awc::Client::default(),
        };
        let (status, _) = foreign.send("GET", "/api/v1/tokens", None).await;
        assert_eq!(status, 401, "A's admin token must not work at B");
        println!("checked: A's admin token is refused (401) by B's node");

        // Governance through REST: A proposes that B's operator may issue credentials, B
        // approves on its own node; with 2 of 3 founders it passes.
        let account_b = net.operator(1).address().to_string();
        let (status, proposed) = a
            .send(
                "POST",
                "/api/v1/governance/proposals",
                Some(&json!({"kind": "grant", "account": account_b, "permission": "did.authority-issuer"})),
            )
            .await;
        assert_eq!(status, 200, "{proposed}");
        assert_eq!(proposed["proposal"]["status"], "open", "{proposed}");
        let pid = proposed["proposal"]["id"].as_u64().unwrap();
        // B's node must see the proposal before B votes (it may lag a block).
        wait_for("B sees the proposal", WAIT, || {
            let b = &b;
            async move { b.send("GET", &format!("/api/v1/governance/proposals/{pid}"), None).await.0 == 200 }
        })
        .await;
        let (status, voted) = b
            .send(
                "POST",
                &format!("/api/v1/governance/proposals/{pid}/votes"),
                Some(&json!({"approve": true})),
            )
            .await;
        assert_eq!(status, 200, "{voted}");
        assert_eq!(voted["proposal"]["status"], "passed", "{voted}");
        let (_, overview) = cc.send("GET", "/api/v1/governance", None).await;
        assert_eq!(overview["committee"].as_array().unwrap().len(), 3, "{overview}");
        assert_eq!(overview["validators"].as_array().unwrap().len(), 3, "{overview}");
        println!("checked: governance over REST — A proposed a grant on its node, B approved on its own, C's node lists it");
        // A vote on a closed proposal is refused by the chain, typed.
        let (status, refused) = cc
            .send(
                "POST",
                &format!("/api/v1/governance/proposals/{pid}/votes"),
                Some(&json!({"approve": false})),
            )
            .await;
        assert_eq!(status, 422, "{refused}");
        println!("checked: voting on a closed proposal answers 422 ({})", refused["code"]);
        // Configuration: proposed at A, approved at B, read at C.
        let (status, proposed) = a
            .send(
                "POST",
                "/api/v1/governance/proposals",
                Some(&json!({"kind": "set_config", "key": "greeting", "value": "hello"})),
            )
            .await;
        assert_eq!(status, 200, "{proposed}");
        let cid = proposed["proposal"]["id"].as_u64().unwrap();
        wait_for("B sees the config proposal", WAIT, || {
            let b = &b;
            async move { b.send("GET", &format!("/api/v1/governance/proposals/{cid}"), None).await.0 == 200 }
        })
        .await;
        let (status, voted) = b
            .send(
                "POST",
                &format!("/api/v1/governance/proposals/{cid}/votes"),
                Some(&json!({"approve": true})),
            )
            .await;
        assert_eq!(status, 200, "{voted}");
        wait_for("C reads the configuration value", WAIT, || {
            let cc = &cc;
            async move {
                cc.send("GET", "/api/v1/governance/config/greeting", None)
                    .await
                    .1["value"]
                    == "hello"
            }
        })
        .await;
        println!("checked: a configuration value proposed at A and approved at B reads back at C");
        // Only the operator tenant's admin speaks for the organisation.
        let (status, created) = a
            .send(
                "POST",
                "/api/v1/tokens",
                Some(&json!({"tenant": "acme", "roles": ["admin"], "label": "tenant admin"})),
            )
            .await;
        assert!(status == 200 || status == 201, "{created}");
        let tenant_admin = Org {
            token: created["token"].as_str().unwrap().to_string(),
            base: a.base.clone(),
            client: awc::Client::default(),
        };
        let (status, _) = tenant_admin
            .send(
                "POST",
                "/api/v1/governance/proposals",
                Some(&json!({"kind": "set_config", "key": "k", "value": "v"})),
            )
            .await;
        assert_eq!(status, 403, "a tenant's admin must not speak for the organisation");
        println!("checked: another tenant's admin cannot propose (403)");

        let n = psi_items();
        let items_a: Vec<String> = (0..n).map(|k| format!("customer-{k:07}")).collect();
        let items_b: Vec<String> = (n / 2..n + n / 2)
            .map(|k| format!("customer-{k:07}"))
            .collect();
        let (status, offer) = b
            .send(
                "POST",
                "/api/v1/psi/offers",
                Some(&json!({
                    "key_id": "admin", "did": did_b, "peer_did": did_a,
                    "mode": "one-side", "input": { "items": items_b },
                })),
            )
            .await;
        assert_eq!(status, 200, "{offer}");
        let started_at = Instant::now();
        // No peer_url: A's node takes B's endpoint from B's DID document on chain.
        let (status, session) = a
            .send(
                "POST",
                "/api/v1/psi/sessions",
                Some(&json!({
                    "key_id": "admin", "did": did_a, "peer_did": did_b,
                    "peer_size": offer["size"], "mode": "one-side",
                    "input": { "items": items_a },
                })),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        let id = session["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(600);
        let last = loop {
            let (_, s) = a.send("GET", &format!("/api/v1/psi/sessions/{id}"), None).await;
            assert!(
                s["state"] != "failed" && s["state"] != "cancelled",
                "session ended badly: {s}"
            );
            if s["state"] == "completed" {
                break s;
            }
            assert!(Instant::now() < deadline, "PSI session did not complete: {s}");
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        };
        assert_eq!(last["intersection_size"], json!(n / 2), "{last}");
        println!(
            "checked: PSI of {n} x {n} between A's and B's nodes, partner chosen by DID, \
             intersection {} in {:.1} s",
            n / 2,
            started_at.elapsed().as_secs_f64()
        );

        // The third organisation sees the session's public record on its own node.
        let deadline = Instant::now() + WAIT;
        let record = loop {
            let (status, r) = cc
                .send("GET", &format!("/api/v1/psi/sessions/{id}/record"), None)
                .await;
            if status == 200 && r["result_digest"].is_string() {
                break r;
            }
            assert!(Instant::now() < deadline, "C never saw the completed record: {r}");
            actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        };
        assert_eq!(record["initiator_did"], json!(did_a));
        assert_eq!(record["responder_did"], json!(did_b));
        println!("checked: C's node shows the session's on-chain record (both DIDs, result digest)");
        // C cannot read the result itself: it is A's tenant's.
        let (status, _) = cc
            .send("GET", &format!("/api/v1/psi/sessions/{id}/result.csv"), None)
            .await;
        assert_eq!(status, 404, "another organisation must not read the result");
        println!("checked: C's node has no result for A's session (404)");
        let low = assert_same_chain(&c).await;
        println!("checked: the three nodes agree on blocks 1..={low}");
    });
}

fn weft(args: &[&str]) -> String {
    let out = Command::new(WEFT).args(args).output().expect("run weft");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "weft {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn an_organisation_joins_as_observer_and_is_voted_in_as_validator() {
    let _serial = serial();
    let mut net = Testnet::create(3, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    // The joiner's ports: free ones chosen now.
    let free = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (http_port, p2p_port) = (free(()), free(()));
    let joiner_home = net.dir.path().join("net").join("joiner");
    let node0 = net.home(0);
    let mut args: Vec<String> = vec![
        "join".into(),
        "--genesis".into(),
        node0.join("genesis.json").to_str().unwrap().into(),
    ];
    for i in 0..3 {
        let config: Value =
            serde_json::from_slice(&std::fs::read(net.home(i).join("node.json")).unwrap()).unwrap();
        args.extend([
            "--peer".into(),
            config["p2p"].as_str().unwrap().to_string(),
            "--peer-http".into(),
            net.url(i).to_string(),
        ]);
    }
    args.extend([
        "--home".into(),
        joiner_home.to_str().unwrap().into(),
        "--http".into(),
        format!("127.0.0.1:{http_port}"),
        "--p2p".into(),
        format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
        "--moniker".into(),
        "joiner".into(),
        "--max-block-interval-ms".into(),
        BLOCK_INTERVAL_MS.to_string(),
    ]);
    let out = weft(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let node_key = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("node public key:"))
        .expect("weft join prints the node key")
        .trim()
        .to_string();
    println!("did: weft join (observer home from genesis + node0's addresses)");

    let mut joiner = std::process::Command::new(WEFT)
        .args(["node", "--home"])
        .arg(&joiner_home)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let joiner_rpc = weft_cli::client::RpcClient::new(&format!("http://127.0.0.1:{http_port}"));

    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c: Vec<_> = (0..3).map(|i| net.client(i)).collect();
        wait_height(&c[0], 3, WAIT, "first blocks").await;
        let head = height(&c[0]).await.unwrap();
        wait_height(&joiner_rpc, head, WAIT, "the observer catches up").await;
        println!("checked: the joining observer caught up to height {head}");
        wait_org_dids(&net, WAIT).await;
        let http = awc::Client::default();
        let org_url = format!("http://127.0.0.1:{http_port}/api/v1/organisation");
        wait_for("the joiner's organisation DID is on chain", WAIT, || {
            let request = http.get(&org_url);
            async move {
                match request.send().await {
                    Ok(mut r) => r.json::<Value>().await.is_ok_and(|v| v["endpoint"].is_string()),
                    Err(_) => false,
                }
            }
        })
        .await;
        println!("checked: the observer registered its organisation DID through the network");

        // The committee (three founders: two approvals needed) votes it in, through the CLI.
        let rpc0 = net.url(0).to_string();
        let key = |i: usize| net.home(i).join("keys").join("operator.key");
        let proposed = weft(&[
            "tx",
            "send",
            "--rpc",
            &rpc0,
            "--key",
            key(0).to_str().unwrap(),
            "governance",
            "propose",
            "add-validator",
            &node_key,
            "--name",
            "joiner",
        ]);
        let receipt: Value = serde_json::from_str(
            &proposed[proposed.find('{').expect("receipt printed")..],
        )
        .expect("receipt JSON");
        let id = receipt["events"][0]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a[0] == "id")
            .map(|a| a[1].as_str().unwrap().to_string())
            .expect("proposal id");
        let rpc1 = net.url(1).to_string();
        weft(&[
            "tx",
            "send",
            "--rpc",
            &rpc1,
            "--key",
            key(1).to_str().unwrap(),
            "governance",
            "vote",
            &id,
            "yes",
        ]);
        let has_joiner = |set: &Value| {
            set.as_array()
                .unwrap()
                .iter()
                .any(|v| v["publicKey"] == json!(node_key))
        };
        wait_for("the joiner is in the validator set", WAIT, || {
            let c0 = &c[0];
            async move {
                c0.call("getValidators", json!([]))
                    .await
                    .is_ok_and(|set| has_joiner(&set))
            }
        })
        .await;
        println!("checked: proposal {id} passed with 2 of 3 founders; the joiner is a validator");

        // With four validators, three keep a quorum: stop a founder, the joiner must sign.
        net.kill(2);
        let now = height(&c[0]).await.unwrap();
        wait_height(&c[0], now + 3, WAIT, "commits with founders 0, 1 and the joiner").await;
        let h = height(&c[0]).await.unwrap();
        let block = c[0].call("getBlockByNumber", json!([h])).await.unwrap();
        let signers: Vec<String> = block["certificate"]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["validator"].as_str().unwrap().to_string())
            .collect();
        assert!(signers.contains(&node_key), "{block}");
        let low = assert_same_chain(&[c[0].clone(), c[1].clone(), joiner_rpc.clone()]).await;
        println!("checked: with founder 2 down the chain kept committing to {h}; the joiner signs certificates; nodes agree to {low}");
    });
    let _ = joiner.kill();
    let _ = joiner.wait();
    let _ = CHAIN_ID;
}

impl Org {
    /// A token of a new tenant of this organisation's node.
    async fn tenant(&self, tenant: &str, role: &str) -> Org {
        let (status, created) = self
            .send(
                "POST",
                "/api/v1/tokens",
                Some(&json!({"tenant": tenant, "roles": [role], "label": "consortium test"})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        Org {
            base: self.base.clone(),
            token: created["token"].as_str().unwrap().to_string(),
            client: self.client.clone(),
        }
    }

    async fn post_ok(&self, path: &str, body: Value, expected: u16) -> Value {
        let (status, answer) = self.send("POST", path, Some(&body)).await;
        assert_eq!(status, expected, "POST {path}: {answer}");
        answer
    }

    async fn post_bytes(&self, path: &str, body: &Value) -> (u16, Vec<u8>) {
        let mut response = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Authorization", format!("Bearer {}", self.token)))
            .send_json(body)
            .await
            .unwrap();
        let bytes = response.body().limit(16 << 20).await.unwrap().to_vec();
        (response.status().as_u16(), bytes)
    }
}

#[test]
fn a_credential_issued_at_one_organisation_is_held_at_another_and_verified_at_a_third() {
    use weft_did::qr::{self, Payload};

    let _serial = serial();
    let mut net = Testnet::create(3, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c0 = net.client(0);
        wait_height(&c0, 2, WAIT, "first blocks").await;
        wait_org_dids(&net, WAIT).await;
        let (a, b, cc) = (Org::new(&net, 0), Org::new(&net, 1), Org::new(&net, 2));

        // A's issuer tenant: DID, application, recognition by the committee (A proposes on its
        // node, B approves on its own), a CPT.
        let university = a.tenant("university", "issuer").await;
        let issuer_did = university
            .post_ok("/api/v1/dids", json!({"key_id": "signing"}), 201)
            .await["did"]
            .as_str()
            .unwrap()
            .to_string();
        university
            .post_ok(
                "/api/v1/issuers",
                json!({"key_id": "signing", "name": "Example University", "description": "Degrees"}),
                200,
            )
            .await;
        let proposed = a
            .post_ok(
                &format!("/api/v1/issuers/{issuer_did}/recognition"),
                json!({"key_id": "admin", "recognised": true}),
                200,
            )
            .await;
        let pid = proposed["proposal_id"].as_u64().expect("a proposal id");
        wait_for("B sees the proposal", WAIT, || {
            let b = &b;
            async move { b.send("GET", &format!("/api/v1/governance/proposals/{pid}"), None).await.0 == 200 }
        })
        .await;
        let voted = b
            .post_ok(&format!("/api/v1/governance/proposals/{pid}/votes"), json!({"approve": true}), 200)
            .await;
        assert_eq!(voted["proposal"]["status"], "passed", "{voted}");
        println!("checked: A's issuer recognised by the committee (A proposed, B approved on its own node)");
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"name": {"type": "string"}, "degree": {"type": "string"}},
            "required": ["name", "degree"]
        });
        university
            .post_ok("/api/v1/cpts", json!({"key_id": "signing", "id": 1500, "schema": schema}), 201)
            .await;

        // The holder is a tenant of B's node.
        let alice = b.tenant("alice", "issuer").await;
        let holder_did = alice
            .post_ok("/api/v1/dids", json!({"key_id": "wallet"}), 201)
            .await["did"]
            .as_str()
            .unwrap()
            .to_string();

        // A's node must know the holder's DID before issuing to it (it may lag a block).
        let holder_path = format!("/1.0/identifiers/{holder_did}");
        wait_for("A's node resolves the holder's DID", WAIT, || {
            let (a, path) = (&a, &holder_path);
            async move { a.send("GET", path, None).await.0 == 200 }
        })
        .await;
        let issued = university
            .post_ok(
                "/credentials/issue",
                json!({
                    "credential": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential"],
                        "issuer": issuer_did,
                        "credentialSchema": {"id": "urn:weft:cpt:1500:1", "type": "JsonSchema"},
                        "credentialSubject": {"id": holder_did, "name": "Alice", "degree": "MSc"},
                    },
                    "options": {"key_id": "signing", "status": true},
                }),
                201,
            )
            .await;
        let credential = issued["verifiableCredential"].clone();
        println!("checked: A's issuer issued a credential to a holder at B ({})", credential["id"]);

        // The holder's wallet at B renders the QR code (inline, or a one-time reference on B).
        let payload = json!({"t": "vc", "c": credential});
        let (status, mut png) = alice.post_bytes("/api/v1/qr/encode?format=png", &payload).await;
        if status != 200 {
            let reference = alice
                .post_ok("/api/v1/qr/refs", json!({"payload": payload, "ttl_secs": 300}), 201)
                .await;
            let pointer = json!({"t": "ref", "c": {"url": reference["url"], "expires": reference["expires"]}});
            let (status, bytes) = alice.post_bytes("/api/v1/qr/encode?format=png", &pointer).await;
            assert_eq!(status, 200);
            png = bytes;
        }

        // C scans the image and verifies against its own node.
        let text = qr::decode_qr_image(&png).expect("the PNG holds a QR code");
        let scanned = match qr::decode_envelope(&text).expect("an envelope") {
            Payload::Credential(vc) => vc,
            Payload::Reference { url, .. } => {
                let mut r = awc::Client::default().get(url.as_str()).send().await.unwrap();
                let v: Value = r.json().limit(1 << 20).await.unwrap();
                match serde_json::from_value::<Payload>(v).unwrap() {
                    Payload::Credential(vc) => vc,
                    other => panic!("reference holds {other:?}"),
                }
            }
            other => panic!("QR holds {other:?}"),
        };
        let verifier = cc.tenant("gate", "verifier").await;
        let (status, verdict) = verifier
            .send(
                "POST",
                "/credentials/verify",
                Some(&json!({"verifiableCredential": scanned, "options": {"checkStatus": true}})),
            )
            .await;
        assert_eq!(status, 200, "{verdict}");
        assert_eq!(verdict["report"]["verified"], true, "{verdict}");
        println!("checked: C scanned the QR image from B's wallet and verified it on C's node");
    });
}

#[test]
fn a_poll_created_at_one_organisation_is_voted_at_the_others_and_audited_from_a_third() {
    use rand::rngs::OsRng;
    use weft_mpc::vote::{
        self, build_ballot, counter, DkgRecord, EligibilityTree, PollId, PollSpec, PollState, Rule,
        Window, WindowUnit,
    };
    use weft_zk::membership::{MembershipParams, MembershipSecret};
    use weft_zk::Ciphertext;

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    let _serial = serial();
    let mut net = Testnet::create(3, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    let params = MembershipParams::setup(3).unwrap();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c0 = net.client(0);
        wait_height(&c0, 2, WAIT, "first blocks").await;
        wait_org_dids(&net, WAIT).await;
        let orgs = [Org::new(&net, 0), Org::new(&net, 1), Org::new(&net, 2)];
        let [a, b, cc] = &orgs;

        // A's organiser tenant, and one counter per organisation, each custodied on its own node.
        let union_admin = a.tenant("union", "admin").await;
        let organiser = a.tenant("union", "organiser").await;
        let org_account = union_admin
            .post_ok("/api/v1/keys", json!({"key_id": "org", "label": "org"}), 201)
            .await["address"]
            .as_str()
            .unwrap()
            .to_string();
        let mut counter_admins = Vec::new();
        let mut counters = Vec::new();
        for (i, o) in orgs.iter().enumerate() {
            let admin = o.tenant("tally", "admin").await;
            let did = admin
                .post_ok("/api/v1/dids", json!({"key_id": "counter"}), 201)
                .await["did"]
                .as_str()
                .unwrap()
                .to_string();
            println!("did: counter {} is {did} on organisation {i}'s node", i + 1);
            counters.push(did);
            counter_admins.push(admin);
        }
        // The committee grants the organiser permission: A proposes, B approves.
        let proposed = a
            .post_ok(
                "/api/v1/governance/proposals",
                json!({"kind": "grant", "account": org_account, "permission": vote::ORGANISER_PERMISSION}),
                200,
            )
            .await;
        let pid = proposed["proposal"]["id"].as_u64().unwrap();
        wait_for("B sees the proposal", WAIT, || async move {
            b.send("GET", &format!("/api/v1/governance/proposals/{pid}"), None).await.0 == 200
        })
        .await;
        let voted = b
            .post_ok(&format!("/api/v1/governance/proposals/{pid}/votes"), json!({"approve": true}), 200)
            .await;
        assert_eq!(voted["proposal"]["status"], "passed", "{voted}");

        // Every node must know every counter's DID before the poll names them.
        for o in &orgs {
            for did in &counters {
                let path = format!("/1.0/identifiers/{did}");
                wait_for("counter DIDs everywhere", WAIT, || {
                    let path = path.clone();
                    async move { o.send("GET", &path, None).await.0 == 200 }
                })
                .await;
            }
        }

        let start = now_ms() + 60_000;
        let end = start + 20_000;
        let spec = PollSpec {
            title: "Consortium budget".into(),
            choices: vec!["Ana".into(), "Bo".into(), "Cy".into()],
            rule: Rule::Single,
            window: Window { unit: WindowUnit::TimestampMs, start, end },
            counters: counters.clone(),
            threshold: 2,
            allow_revote: false,
            tree_depth: 3,
            verifying_key: params.proving_key().verifying_key().to_bytes(),
            credential: None,
        };
        let created = organiser
            .post_ok("/api/v1/polls", json!({"key_id": "org", "spec": spec}), 200)
            .await;
        let poll = PollId::from_hex(created["poll"].as_str().unwrap()).unwrap();
        println!("checked: A created poll {poll} through its REST API (counters at A, B and C)");

        let step = |i: usize, s: Value| {
            let admin = &counter_admins[i];
            async move {
                admin
                    .post_ok(
                        &format!("/api/v1/polls/{poll}/steps"),
                        json!({"key_id": "counter", "step": s}),
                        200,
                    )
                    .await
            }
        };
        let dkg_at = |o: &Org| {
            let client = o.client.clone();
            let base = o.base.clone();
            async move {
                let mut r = client
                    .get(format!("{base}/api/v1/polls/{poll}/dkg"))
                    .send()
                    .await
                    .unwrap();
                serde_json::from_value::<DkgRecord>(r.json().limit(1 << 22).await.unwrap()).unwrap()
            }
        };
        async fn settled<F, Fut, T>(what: &str, mut f: F) -> T
        where
            F: FnMut() -> Fut,
            Fut: std::future::Future<Output = Option<T>>,
        {
            let deadline = Instant::now() + WAIT;
            loop {
                if let Some(v) = f().await {
                    return v;
                }
                assert!(Instant::now() < deadline, "timed out: {what}");
                actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            }
        }

        // The DKG: each counter runs its rounds locally and posts through its own node.
        let mut round1 = Vec::new();
        for i in 0..3 {
            let (r1, sk, post) = counter::start_with_rng(&poll, &spec, i as u32 + 1, &mut OsRng).unwrap();
            step(i, json!({"kind": "dkg_broadcast", "post": post})).await;
            round1.push((r1, sk));
        }
        let mut round2 = Vec::new();
        for (i, (r1, sk)) in round1.into_iter().enumerate() {
            let record = settled("all broadcasts", || async {
                let r = dkg_at(&orgs[i]).await;
                (r.broadcasts.len() == 3).then_some(r)
            })
            .await;
            let (r2, shares) = counter::deal_with_rng(&poll, r1, &record, &mut OsRng).unwrap();
            step(i, json!({"kind": "dkg_shares", "shares": shares})).await;
            round2.push((r2, sk));
        }
        let mut round3 = Vec::new();
        for (i, (r2, sk)) in round2.into_iter().enumerate() {
            let record = settled("all shares", || async {
                let r = dkg_at(&orgs[i]).await;
                (r.shares.len() == 3).then_some(r)
            })
            .await;
            let (r3, accused) = counter::receive(&poll, i as u32 + 1, r2, &sk, &record).unwrap();
            assert!(accused.is_empty());
            step(i, json!({"kind": "dkg_complaints", "accused": accused})).await;
            round3.push(r3);
        }
        let org_step = |s: Value| {
            let organiser = &organiser;
            async move {
                organiser
                    .post_ok(
                        &format!("/api/v1/polls/{poll}/steps"),
                        json!({"key_id": "org", "step": s}),
                        200,
                    )
                    .await
            }
        };
        settled("all complaints at A", || async {
            let r = dkg_at(a).await;
            (r.complaints.len() == 3).then_some(())
        })
        .await;
        org_step(json!({"kind": "finalize_key"})).await;
        let mut key_shares = Vec::new();
        for (i, r3) in round3.into_iter().enumerate() {
            settled("the joint key", || async {
                let (_, v) = orgs[i].send("GET", &format!("/api/v1/polls/{poll}"), None).await;
                let s: PollState = serde_json::from_value(v).ok()?;
                s.group_key.map(|_| ())
            })
            .await;
            let record = dkg_at(&orgs[i]).await;
            key_shares.push(counter::finish(r3, &record).unwrap().share);
        }
        println!("checked: the three counters' DKG ran through their own nodes; A recorded the joint key");

        // Voters: alice at B and bob at C vote through their own nodes' booths; two more voters
        // hold secrets locally and cast at B and C.
        let mut commitments = Vec::new();
        let mut booths = Vec::new();
        for (o, name) in [(b, "alice"), (cc, "bob")] {
            let admin = o.tenant(name, "admin").await;
            let holder = o.tenant(name, "holder").await;
            admin
                .post_ok("/api/v1/keys", json!({"key_id": "me", "label": "me"}), 201)
                .await;
            let (status, c) = holder.send("GET", "/api/v1/vote-commitments/me", None).await;
            assert_eq!(status, 200, "{c}");
            commitments.push(c["commitment"].as_str().unwrap().to_string());
            booths.push(holder);
        }
        let secrets: Vec<MembershipSecret> = (0..2).map(|_| MembershipSecret::random()).collect();
        let mut leaves = commitments.clone();
        leaves.extend(secrets.iter().map(|s| hex::encode(s.commitment().to_bytes())));
        org_step(json!({"kind": "add_leaves", "leaves": leaves})).await;
        org_step(json!({"kind": "seal"})).await;
        let state: PollState = settled("B and C see the sealed poll", || async {
            let mut last = None;
            for o in [b, cc] {
                let (_, v) = o.send("GET", &format!("/api/v1/polls/{poll}"), None).await;
                let s: PollState = serde_json::from_value(v).ok()?;
                s.roots.as_ref()?;
                last = Some(s);
            }
            last
        })
        .await;
        for holder in &booths {
            let r = holder
                .client
                .put(format!("{}/api/v1/polls/{poll}/proving-key", holder.base))
                .insert_header(("Authorization", format!("Bearer {}", holder.token)))
                .insert_header(("Content-Type", "application/octet-stream"))
                .send_body(params.proving_key().to_bytes())
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 204);
        }
        let raw: Vec<[u8; 32]> = leaves
            .iter()
            .map(|l| hex::decode(l).unwrap().try_into().unwrap())
            .collect();
        let tree = EligibilityTree::from_leaves(3, &raw).unwrap();
        let ballots: Vec<_> = secrets
            .iter()
            .zip([1usize, 2])
            .map(|(s, c)| build_ballot(&state, &tree, s, 0, &[c], params.proving_key()).unwrap())
            .collect();
        assert!(now_ms() < start, "setup took longer than the minute before the window");
        println!("checked: eligibility sealed with voters at B and C; booths hold the proving key");
        let wait = start.saturating_sub(now_ms()) + 300;
        actix_web::rt::time::sleep(Duration::from_millis(wait)).await;

        booths[0]
            .post_ok(&format!("/api/v1/polls/{poll}/booth"), json!({"key_id": "me", "choices": [0]}), 200)
            .await;
        booths[1]
            .post_ok(&format!("/api/v1/polls/{poll}/booth"), json!({"key_id": "me", "choices": [2]}), 200)
            .await;
        for (o, ballot) in [b, cc].into_iter().zip(&ballots) {
            o.post_ok(&format!("/api/v1/polls/{poll}/ballots"), serde_json::to_value(ballot).unwrap(), 200)
                .await;
        }
        println!("checked: four ballots cast at B and C (two through the nodes' booths)");
        let wait = end.saturating_sub(now_ms()) + 300;
        actix_web::rt::time::sleep(Duration::from_millis(wait)).await;

        // Tally: B's counter is offline; A's and C's post decryption shares through their nodes.
        let aggregate: Vec<Ciphertext> = settled("the aggregate of four ballots", || async {
            let (_, v) = a.send("GET", &format!("/api/v1/polls/{poll}"), None).await;
            let s: PollState = serde_json::from_value(v).ok()?;
            (s.ballots == 4).then(|| {
                s.aggregate
                    .iter()
                    .map(|b| Ciphertext::from_bytes(&b.0).unwrap())
                    .collect()
            })
        })
        .await;
        for i in [0usize, 2] {
            let shares = counter::decryption_shares_with_rng(&poll, &key_shares[i], &aggregate, &mut OsRng);
            step(i, json!({"kind": "decrypt", "shares": shares})).await;
        }
        let result = settled("C sees the result", || async {
            let (_, v) = cc.send("GET", &format!("/api/v1/polls/{poll}"), None).await;
            let s: PollState = serde_json::from_value(v).ok()?;
            s.result
        })
        .await;
        assert_eq!(result.counts, vec![1, 1, 2]);
        println!("checked: tally {:?} recorded with counters 1 and 3", result.counts);

        let audit = weft(&["vote", "verify", &poll.to_string(), "--rpc", net.url(2)]);
        println!("checked: `weft vote verify` audits the poll from C's node:\n{audit}");
    });
}

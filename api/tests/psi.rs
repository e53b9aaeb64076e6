//! PSI between two Weft servers over HTTP (SQLite stores, single-validator nodes, port 0):
//! a full session with both sides getting the intersection and the same digest; a peer that
//! never answers fails its session within the request timeout while a second session completes;
//! cancellation; authentication of operators and of peer envelopes; unbalanced PSI and keyword
//! lookup as sessions on chain, with replayed or misaddressed query envelopes refused.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;
use weft_api::rest::psi::{PsiConfig, PsiService};
use weft_api::rest::{self, ApiConfig};
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_chain::{Keypair, Node, SingleValidator, SingleValidatorHandle};
use weft_mpc::psi::ledger::{self, PsiCall, SessionRecord, SessionStatus as ChainStatus};
use weft_mpc::psi::session::InitiatorSession;
use weft_mpc::psi::wire::did_key;
use weft_mpc::psi::{InputSet, Limits, Mode, SessionParams};
use weft_service::chain_client::ChainClient;
use weft_service::node_home::NodeHome;
use weft_service::store::sqlite_url;

/// One single-validator chain both servers use (as two organisations on one Weft network).
struct Chain {
    node: Arc<Node>,
    validator: Option<SingleValidatorHandle>,
    _dir: tempfile::TempDir,
}

impl Drop for Chain {
    fn drop(&mut self) {
        if let Some(v) = self.validator.take() {
            v.shutdown();
        }
    }
}

impl Chain {
    fn start() -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let home = NodeHome::new(dir.path().join("data"));
        let contents = home.init_or_load().unwrap();
        let node = Node::open(
            home.node_config(),
            contents.genesis.clone(),
            weft_service::modules::registry(),
        )
        .unwrap();
        let validator = SingleValidator::spawn(node.clone(), contents.validator);
        Chain {
            node,
            validator: Some(validator),
            _dir: dir,
        }
    }

    /// The `psi` record of a session, as the chain holds it.
    fn record(&self, id: &str) -> Option<SessionRecord> {
        let sid: [u8; 32] = hex::decode(id).unwrap().try_into().unwrap();
        let (method, args) = ledger::session_query(&sid);
        let bytes = self.node.call(ledger::NAME, method, &args, None).unwrap();
        borsh::from_slice(&bytes).unwrap()
    }

    /// Waits (bounded) until the record of `id` is final (completed or failed).
    async fn settled_record(&self, id: &str, within: Duration) -> SessionRecord {
        let deadline = Instant::now() + within;
        loop {
            if let Some(r) = self.record(id) {
                if matches!(r.status, ChainStatus::Completed | ChainStatus::Failed) {
                    return r;
                }
            }
            assert!(
                Instant::now() < deadline,
                "record of {id} not final: {:?}",
                self.record(id)
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A Weft API server (its own store and organisation key) on the shared chain.
struct Server {
    base: String,
    token: String,
    did: String,
    key: Keypair,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Server {
    async fn start(chain: &Chain, psi: PsiConfig) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let operator = Keypair::generate();
        let node = chain.node.clone();
        let master = weft_service::keystore::MasterKey::random().unwrap();
        let url = sqlite_url(&dir.path().join("api.db"));
        let (state, boot) = weft_api::rest::ApiState::start(
            node.clone(),
            &url,
            &master,
            &operator,
            ApiConfig::default(),
        )
        .await
        .unwrap();
        let token = boot.admin_token.unwrap().to_string();
        let service = PsiService::new(psi);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let app = AppBuilder::new(node.clone()).with_ui().group(move |cfg| {
            // After `rest::configure`, so this test's timeouts replace the default service.
            rest::configure(cfg, state.clone());
            cfg.app_data(service.clone());
        });
        let options = ServeOptions {
            workers: Some(2),
            shutdown_timeout: Duration::from_secs(1),
        };
        actix_web::rt::spawn(serve(listener, app, options, async move {
            let _ = stopped.await;
        }));
        Server {
            base,
            token,
            did: did_key(&operator.public_key()),
            key: operator,
            stop: Some(stop),
            _dir: dir,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: bool,
    ) -> (u16, String) {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let mut req = client.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if token {
            req = req.insert_header(("Authorization", format!("Bearer {}", self.token)));
        }
        let mut resp = match body {
            Some(b) => req.send_json(&b).await.unwrap(),
            None => req.send().await.unwrap(),
        };
        let status = resp.status().as_u16();
        let bytes = resp.body().limit(16 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).to_string())
    }

    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = self.send(method, path, body, true).await;
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Polls a session until it leaves `running` (bounded).
    async fn settle(&self, id: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let s = self
                .json("GET", &format!("/api/v1/psi/sessions/{id}"), None)
                .await;
            if s["state"] != "running" {
                return s;
            }
            assert!(Instant::now() < deadline, "session {id} still running: {s}");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn customers(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("customer-{i}@example.org")).collect()
}

async fn offer(b: &Server, peer: &Server, mode: &str, items: Vec<String>) -> Value {
    b.json(
        "POST",
        "/api/v1/psi/offers",
        Some(json!({"key_id": "admin", "peer_did": peer.did, "mode": mode, "input": {"items": items}})),
    )
    .await
}

async fn start(
    a: &Server,
    peer_url: &str,
    peer_did: &str,
    peer_size: u64,
    mode: &str,
    items: Vec<String>,
) -> Value {
    a.json(
        "POST",
        "/api/v1/psi/sessions",
        Some(
            json!({"key_id": "admin", "peer_url": peer_url, "peer_did": peer_did,
            "peer_size": peer_size, "mode": mode, "input": {"items": items}}),
        ),
    )
    .await
}

#[actix_web::test]
async fn two_servers_compute_the_intersection_over_http() {
    let chain = Chain::start();
    let a = Server::start(
        &chain,
        PsiConfig {
            batch_size: 64,
            ..PsiConfig::default()
        },
    )
    .await;
    let b = Server::start(&chain, PsiConfig::default()).await;

    // B offers a CSV column (normalised e-mails, with a duplicate and an invalid row).
    let mut csv = String::from("id,email\n");
    for (i, c) in customers(150..400).iter().enumerate() {
        csv.push_str(&format!("{i},\" {} \"\n", c.to_uppercase()));
    }
    csv.push_str("x,CUSTOMER-150@EXAMPLE.ORG\ny,not-an-email\n");
    let o = b
        .json(
            "POST",
            "/api/v1/psi/offers",
            Some(
                json!({"key_id": "admin", "peer_did": a.did, "mode": "both-sides",
                "input": {"csv": csv, "column": "email", "normalise": "email"}}),
            ),
        )
        .await;
    assert_eq!(o["size"], 250);
    assert_eq!(o["did"], b.did);

    // A ragged row (line 3: one field under a two-column header) refuses the whole input with
    // a 400 naming the line; so does a column the header lacks.
    for (csv, reason, line) in [
        ("id,email\n1,a@example.org\n2\n", "psi.ragged_row", 3),
        ("id,email\n1,a@example.org,extra\n", "psi.ragged_row", 2),
        ("id,mail\n1,a@example.org\n", "psi.no_column", 1),
    ] {
        let (status, text) = b
            .send(
                "POST",
                "/api/v1/psi/offers",
                Some(
                    json!({"key_id": "admin", "peer_did": a.did, "mode": "both-sides",
                    "input": {"csv": csv, "column": "email", "normalise": "email"}}),
                ),
                true,
            )
            .await;
        assert_eq!(status, 400, "{text}");
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["code"], "invalid_request", "{text}");
        assert_eq!(problem["reason"], reason, "{text}");
        assert_eq!(problem["line"], line, "{text}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("line {line}")),
            "{text}"
        );
    }

    let s = start(&a, &b.base, &b.did, 250, "both-sides", customers(0..200)).await;
    let id = s["id"].as_str().unwrap().to_string();
    let done_a = a.settle(&id, Duration::from_secs(60)).await;
    assert_eq!(done_a["state"], "completed", "{done_a}");
    assert_eq!(done_a["intersection_size"], 50);
    let done_b = b.settle(&id, Duration::from_secs(10)).await;
    assert_eq!(done_b["state"], "completed", "{done_b}");
    assert_eq!(done_b["role"], "responder");
    assert_eq!(done_b["intersection_size"], 50);
    assert_eq!(done_a["digest"], done_b["digest"]);
    assert_eq!(done_a["progress"]["exchanged"], 250);

    let (status, csv_a) = a
        .send(
            "GET",
            &format!("/api/v1/psi/sessions/{id}/result.csv"),
            None,
            true,
        )
        .await;
    assert_eq!(status, 200);
    let expected: Vec<String> = {
        let mut v = customers(150..200);
        v.sort();
        v
    };
    assert_eq!(csv_a, format!("item\n{}\n", expected.join("\n")));
    let (_, csv_b) = b
        .send(
            "GET",
            &format!("/api/v1/psi/sessions/{id}/result.csv"),
            None,
            true,
        )
        .await;
    assert_eq!(csv_a, csv_b);

    // Tenancy: session ids are public on chain, but another tenant's partner token on the same
    // server can neither see the session, read its intersection nor cancel it (404, as for an
    // unknown session).
    let (status, rival) = a
        .send(
            "POST",
            "/api/v1/tokens",
            Some(json!({"tenant": "rival", "roles": ["partner"], "label": "other tenant"})),
            true,
        )
        .await;
    assert_eq!(status, 201, "{rival}");
    let rival: Value = serde_json::from_str(&rival).unwrap();
    let rival = Server {
        base: a.base.clone(),
        token: rival["token"].as_str().unwrap().to_string(),
        did: String::new(),
        key: Keypair::generate(),
        stop: None,
        _dir: tempfile::tempdir().unwrap(),
    };
    for (method, path) in [
        ("GET", format!("/api/v1/psi/sessions/{id}")),
        ("GET", format!("/api/v1/psi/sessions/{id}/result.csv")),
        ("DELETE", format!("/api/v1/psi/sessions/{id}")),
    ] {
        let (status, text) = rival.send(method, &path, None, true).await;
        assert_eq!(status, 404, "{method} {path} by another tenant: {text}");
    }
    assert_eq!(
        a.json("GET", &format!("/api/v1/psi/sessions/{id}"), None)
            .await["state"],
        "completed"
    );

    // The chain shows the session: created by A naming B, joined by B, completed with the
    // digest both computed (the module checked both signatures over it).
    let rec = chain.settled_record(&id, Duration::from_secs(30)).await;
    assert_eq!(rec.status, ChainStatus::Completed, "{rec:?}");
    assert_eq!(rec.initiator, a.key.address());
    assert_eq!(rec.initiator_did, a.did);
    assert_eq!(rec.responder, b.key.address());
    assert_eq!(rec.responder_did, b.did);
    assert_eq!(rec.responder_key, Some(b.key.public_key()));
    assert_eq!(rec.protocol, ledger::Protocol::EcdhRistretto255);
    assert_eq!(rec.mode, weft_mpc::psi::Mode::BothSides);
    assert!(rec.responder_commitment.is_some());
    assert_ne!(Some(rec.initiator_commitment), rec.responder_commitment);
    assert_eq!(
        hex::encode(rec.result_digest.unwrap()),
        done_a["digest"].as_str().unwrap()
    );
    assert!(rec.failure.is_none());
    // Over REST too (public), from either server.
    let r = b
        .json("GET", &format!("/api/v1/psi/sessions/{id}/record"), None)
        .await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["result_digest"], done_a["digest"]);
    let methods: Vec<&str> = done_a["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["create", "complete"], "{done_a}");
    assert_eq!(done_a["ledger"][1]["status"], "success", "{done_a}");

    // The web UI: the forms, and the session page with its on-chain record.
    let (status, page) = a.send("GET", "/psi", None, false).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-kind="start""#), "{page}");
    assert!(page.contains(r#"data-kind="offer""#), "{page}");
    assert!(page.contains("/assets/psi.js"), "{page}");
    let (status, page) = b
        .send("GET", &format!("/psi/sessions/{id}"), None, false)
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(">completed<"), "{page}");
    assert!(page.contains(&a.did) && page.contains(&b.did), "{page}");
    assert!(page.contains(done_a["digest"].as_str().unwrap()), "{page}");
    assert!(page.contains(r#"id="venn""#), "{page}");
    let (status, _) = a.send("GET", "/psi/sessions/xyz", None, false).await;
    assert_eq!(status, 400);
    let (status, js) = a.send("GET", "/assets/psi.js", None, false).await;
    assert_eq!(status, 200);
    assert!(js.contains("createElementNS") && !js.contains("innerHTML"));

    // The offer is spent: a second session from A is refused by B, and A records the failure.
    let s2 = start(&a, &b.base, &b.did, 250, "both-sides", customers(0..10)).await;
    let id2 = s2["id"].as_str().unwrap();
    let failed = a.settle(id2, Duration::from_secs(30)).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("403"),
        "{failed}"
    );
    let rec = chain.settled_record(id2, Duration::from_secs(30)).await;
    assert_eq!(rec.status, ChainStatus::Failed, "{rec:?}");
    assert!(rec.responder_key.is_none(), "B never joined");
    assert!(rec.result_digest.is_none());
    let (by, reason) = rec.failure.unwrap();
    assert_eq!(by, a.key.address());
    assert!(reason.starts_with("peer error:"), "{reason}");
    assert!(reason.contains("403"), "{reason}");
}

#[actix_web::test]
async fn stuck_peer_fails_within_timeout_and_does_not_block_another_session() {
    let chain = Chain::start();
    let a = Server::start(
        &chain,
        PsiConfig {
            request_timeout: Duration::from_secs(2),
            batch_size: 32,
            ..PsiConfig::default()
        },
    )
    .await;
    let b = Server::start(&chain, PsiConfig::default()).await;
    // A "peer" that accepts connections and never answers.
    let stuck = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stuck_url = format!("http://{}", stuck.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in stuck.incoming().flatten() {
            held.push(conn);
        }
    });
    let stranger = did_key(&Keypair::from_seed(&[77; 32]).public_key());

    let t0 = Instant::now();
    let s1 = start(
        &a,
        &stuck_url,
        &stranger,
        100,
        "one-side",
        customers(0..100),
    )
    .await;
    offer(&b, &a, "cardinality", customers(50..150)).await;
    let s2 = start(&a, &b.base, &b.did, 100, "cardinality", customers(0..100)).await;

    let done = a
        .settle(s2["id"].as_str().unwrap(), Duration::from_secs(60))
        .await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["intersection_size"], 50);
    let failed = a
        .settle(s1["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("did not answer within 2 s"),
        "{failed}"
    );
    // Failed within its timeout (one request), with slack for a loaded machine.
    assert!(t0.elapsed() < Duration::from_secs(30));
    let rec = chain
        .settled_record(s1["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    assert_eq!(rec.status, ChainStatus::Failed);
    assert_eq!(rec.responder_did, stranger);
    let (by, reason) = rec.failure.unwrap();
    assert_eq!(by, a.key.address());
    assert!(reason.starts_with("timeout:"), "{reason}");
    let rec = chain
        .settled_record(s2["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    assert_eq!(rec.status, ChainStatus::Completed);
    assert_eq!(rec.mode, weft_mpc::psi::Mode::Cardinality);
}

#[actix_web::test]
async fn cancel_and_authentication() {
    let chain = Chain::start();
    let a = Server::start(
        &chain,
        PsiConfig {
            request_timeout: Duration::from_secs(20),
            ..PsiConfig::default()
        },
    )
    .await;
    let stuck = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stuck_url = format!("http://{}", stuck.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in stuck.incoming().flatten() {
            held.push(conn);
        }
    });
    let stranger = did_key(&Keypair::from_seed(&[77; 32]).public_key());
    let s = start(&a, &stuck_url, &stranger, 10, "one-side", customers(0..10)).await;
    let id = s["id"].as_str().unwrap();
    let c = a
        .json("DELETE", &format!("/api/v1/psi/sessions/{id}"), None)
        .await;
    assert_eq!(c["state"], "cancelled");
    assert_eq!(
        a.settle(id, Duration::from_secs(5)).await["state"],
        "cancelled"
    );
    let rec = chain.settled_record(id, Duration::from_secs(30)).await;
    assert_eq!(rec.status, ChainStatus::Failed);
    assert_eq!(rec.failure.unwrap().1, "cancelled by the initiator");

    // Operators need a token; peers need an offer; garbage is refused with a clear problem.
    let (status, _) = a
        .send("GET", &format!("/api/v1/psi/sessions/{id}"), None, false)
        .await;
    assert_eq!(status, 401);
    let (status, _) = a
        .send(
            "GET",
            &format!("/api/v1/psi/sessions/{}", "0".repeat(64)),
            None,
            true,
        )
        .await;
    assert_eq!(status, 404);
    let (status, text) = a.send("GET", "/api/v1/psi/sessions/xyz", None, true).await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = a
        .send(
            "POST",
            "/api/v1/psi/sessions",
            Some(json!({"key_id": "admin", "peer_url": "ftp://x",
            "peer_did": stranger, "peer_size": 1, "mode": "one-side", "input": {"items": ["a"]}})),
            true,
        )
        .await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = a
        .send(
            "POST",
            "/api/v1/psi/offers",
            Some(json!({"key_id": "admin", "peer_did": "did:weft:x:0x00",
            "mode": "one-side", "input": {"items": ["a"]}})),
            true,
        )
        .await;
    assert_eq!(status, 400, "{text}");
    // A well-formed did:weft that is not on chain.
    let absent = format!("did:weft:{}:0x{}", chain.node.chain_id(), "ab".repeat(20));
    let (status, text) = a
        .send(
            "POST",
            "/api/v1/psi/offers",
            Some(json!({"key_id": "admin", "peer_did": absent,
            "mode": "one-side", "input": {"items": ["a"]}})),
            true,
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("not on chain"), "{text}");

    let client = awc::Client::new();
    let mut r = client
        .post(format!("{}/psi/peer", a.base))
        .send_body(vec![1u8, 2, 3])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let _ = r.body().await;
    // A well-formed Hello from a key nobody made an offer for.
    let params = SessionParams {
        session_id: [3; 32],
        mode: Mode::OneSide,
        initiator_size: 1,
        responder_size: 1,
        batch_size: 8,
    };
    let mut init = InitiatorSession::new(
        params,
        Limits::default(),
        InputSet::new(vec![b"a".to_vec()]),
        Keypair::from_seed(&[77; 32]),
        Keypair::from_seed(&[78; 32]).public_key(),
    )
    .unwrap();
    let hello = init.next_request().unwrap().unwrap();
    let r = client
        .post(format!("{}/psi/peer", a.base))
        .send_body(hello)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

impl Server {
    /// Registers a `did:weft` for this server's organisation key; returns it.
    async fn create_did(&self) -> String {
        let (status, text) = self
            .send(
                "POST",
                "/api/v1/dids",
                Some(json!({"key_id": "admin"})),
                true,
            )
            .await;
        assert_eq!(status, 201, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        v["did"].as_str().unwrap().to_string()
    }
}

/// Submits `call` signed by `key` to the shared chain; asserts it commits successfully.
async fn submit(chain: &Chain, key: &Keypair, call: weft_chain::tx::Call) {
    let client = ChainClient::new(chain.node.clone(), Duration::from_secs(20));
    let o = client.sign_submit_and_wait(key, call).await.unwrap();
    assert!(o.is_success(), "{o:?}");
}

/// Records a session on chain as an initiator with `key` would.
#[allow(clippy::too_many_arguments)]
async fn create_on_chain(
    chain: &Chain,
    key: &Keypair,
    sid: [u8; 32],
    initiator_did: &str,
    responder: &Server,
    responder_did: &str,
    mode: Mode,
    size: u64,
) {
    let call = ledger::call(PsiCall::Create {
        session_id: sid,
        initiator_did: initiator_did.to_string(),
        initiator_key: key.public_key(),
        responder_did: responder_did.to_string(),
        responder: responder.key.address(),
        protocol: ledger::Protocol::EcdhRistretto255,
        mode,
        size_commitment: ledger::size_commitment(&sid, size, &[1; 32]),
    });
    submit(chain, key, call).await;
}

fn item_set(items: Vec<String>) -> InputSet {
    InputSet::new(items.into_iter().map(String::into_bytes).collect())
}

async fn post_envelope(to: &Server, envelope: Vec<u8>) -> (u16, Vec<u8>) {
    let mut r = awc::Client::new()
        .post(format!("{}/psi/peer", to.base))
        .send_body(envelope)
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.body().limit(16 << 20).await.unwrap().to_vec())
}

#[actix_web::test]
async fn responder_times_out_a_vanished_initiator_without_further_requests() {
    let chain = Chain::start();
    let b = Server::start(
        &chain,
        PsiConfig {
            idle_timeout: Duration::from_secs(1),
            ..PsiConfig::default()
        },
    )
    .await;
    // The initiator is driven by hand from here and vanishes after its first batch.
    let k = Keypair::from_seed(&[91; 32]);
    let k_did = did_key(&k.public_key());
    b.json(
        "POST",
        "/api/v1/psi/offers",
        Some(
            json!({"key_id": "admin", "peer_did": k_did, "mode": "one-side",
            "input": {"items": customers(0..300)}}),
        ),
    )
    .await;
    let sid = [5u8; 32];
    let id = hex::encode(sid);
    create_on_chain(&chain, &k, sid, &k_did, &b, &b.did, Mode::OneSide, 300).await;
    let params = SessionParams {
        session_id: sid,
        mode: Mode::OneSide,
        initiator_size: 300,
        responder_size: 300,
        batch_size: 50,
    };
    let mut init = InitiatorSession::new(
        params,
        Limits::default(),
        item_set(customers(100..400)),
        Keypair::from_seed(&[91; 32]),
        b.key.public_key(),
    )
    .unwrap();
    for _ in 0..2 {
        let (status, body) = post_envelope(&b, init.next_request().unwrap().unwrap()).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        init.on_response(&body).unwrap();
    }
    let vanished = Instant::now();
    let s = b
        .json("GET", &format!("/api/v1/psi/sessions/{id}"), None)
        .await;
    assert_eq!(s["state"], "running", "{s}");

    // Nothing more reaches B: its own timer fails the session and records it on chain.
    let rec = chain.settled_record(&id, Duration::from_secs(30)).await;
    let waited = vanished.elapsed();
    assert_eq!(rec.status, ChainStatus::Failed, "{rec:?}");
    assert_eq!(rec.responder_key, Some(b.key.public_key()), "B had joined");
    let (by, reason) = rec.failure.unwrap();
    assert_eq!(by, b.key.address());
    assert_eq!(reason, "timeout: the initiator sent nothing for 1000 ms");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    let s = b
        .json("GET", &format!("/api/v1/psi/sessions/{id}"), None)
        .await;
    assert_eq!(s["state"], "failed", "{s}");
    assert!(s["error"].as_str().unwrap().starts_with("timeout"), "{s}");
    assert_eq!(s["ledger"][0]["method"], "join");
    assert_eq!(s["ledger"][1]["method"], "fail");
    assert_eq!(s["ledger"][1]["status"], "success");
    // Its state is gone: the initiator's late request is refused.
    let (status, body) = post_envelope(&b, init.next_request().unwrap().unwrap()).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
}

#[actix_web::test]
async fn peers_named_by_did_weft_are_resolved_on_chain() {
    let chain = Chain::start();
    let a = Server::start(
        &chain,
        PsiConfig {
            batch_size: 64,
            ..PsiConfig::default()
        },
    )
    .await;
    let b = Server::start(&chain, PsiConfig::default()).await;
    let a_did = a.create_did().await;
    let b_did = b.create_did().await;
    assert!(a_did.starts_with("did:weft:"), "{a_did}");

    // B accepts one session from A's did:weft.
    let o = b
        .json(
            "POST",
            "/api/v1/psi/offers",
            Some(json!({"key_id": "admin", "did": b_did, "peer_did": a_did,
                "mode": "one-side", "input": {"items": customers(50..150)}})),
        )
        .await;
    assert_eq!(o["did"], b_did);

    // The chain refuses a session recorded under A's DID by a key that is not in it, and B
    // refuses envelopes signed by such a key.
    let mallory = Keypair::from_seed(&[66; 32]);
    let sid = [9u8; 32];
    let refused = ChainClient::new(chain.node.clone(), Duration::from_secs(20))
        .sign_submit_and_wait(
            &mallory,
            ledger::call(PsiCall::Create {
                session_id: sid,
                initiator_did: a_did.clone(),
                initiator_key: mallory.public_key(),
                responder_did: b_did.clone(),
                responder: b.key.address(),
                protocol: ledger::Protocol::EcdhRistretto255,
                mode: Mode::OneSide,
                size_commitment: ledger::size_commitment(&sid, 100, &[1; 32]),
            }),
        )
        .await
        .unwrap();
    assert!(!refused.is_success(), "{refused:?}");
    let error = refused
        .error
        .as_ref()
        .expect("a failed receipt carries its error");
    assert_eq!(
        error.kind,
        weft_chain::TxErrorKind::Unauthorized,
        "{refused:?}"
    );
    assert!(
        error
            .message
            .contains("not an authentication or capabilityInvocation key"),
        "{refused:?}"
    );
    let mut forged = InitiatorSession::new(
        SessionParams {
            session_id: sid,
            mode: Mode::OneSide,
            initiator_size: 100,
            responder_size: 100,
            batch_size: 64,
        },
        Limits::default(),
        item_set(customers(0..100)),
        Keypair::from_seed(&[66; 32]),
        b.key.public_key(),
    )
    .unwrap();
    let (status, body) = post_envelope(&b, forged.next_request().unwrap().unwrap()).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("no offer for this peer key"),
        "{}",
        String::from_utf8_lossy(&body)
    );

    // A server may only claim a DID whose authentication keys hold its key.
    let (status, text) = a
        .send(
            "POST",
            "/api/v1/psi/sessions",
            Some(json!({"key_id": "admin", "did": b_did, "peer_url": b.base,
                "peer_did": b_did, "peer_size": 100, "mode": "one-side",
                "input": {"items": ["x"]}})),
            true,
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("not an authentication key"), "{text}");

    // The real session: both sides named by did:weft, keys resolved on chain.
    let s = a
        .json(
            "POST",
            "/api/v1/psi/sessions",
            Some(json!({"key_id": "admin", "did": a_did, "peer_url": b.base,
                "peer_did": b_did, "peer_size": 100, "mode": "one-side",
                "input": {"items": customers(0..100)}})),
        )
        .await;
    let id = s["id"].as_str().unwrap();
    let done = a.settle(id, Duration::from_secs(60)).await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["intersection_size"], 50);
    assert_eq!(done["own_did"], a_did);
    let rec = chain.settled_record(id, Duration::from_secs(30)).await;
    assert_eq!(rec.status, ChainStatus::Completed, "{rec:?}");
    assert_eq!(rec.initiator_did, a_did);
    assert_eq!(rec.responder_did, b_did);
}

#[actix_web::test]
async fn unbalanced_filter_and_keyword_lookup_over_http() {
    let chain = Chain::start();
    let holder = Server::start(&chain, PsiConfig::default()).await;
    let client = Server::start(&chain, PsiConfig::default()).await;
    let stranger = Server::start(&chain, PsiConfig::default()).await;

    // Unbalanced: a large set preprocessed once, a small one queried against it.
    let f = holder
        .json(
            "POST",
            "/api/v1/psi/filters",
            Some(json!({"key_id": "admin", "peer_did": client.did,
                "input": {"items": customers(0..2000)}})),
        )
        .await;
    assert_eq!(f["size"], 2000);
    let query = |items: Vec<String>| {
        json!({"key_id": "admin", "peer_url": holder.base, "peer_did": holder.did,
            "filter_id": f["id"], "input": {"items": items}})
    };
    for range in [1990..2010, 0..5] {
        let q = client
            .json(
                "POST",
                "/api/v1/psi/filters/query",
                Some(query(customers(range.clone()))),
            )
            .await;
        let mut expected = customers(range.start..range.end.min(2000));
        expected.sort();
        assert_eq!(q["intersection"], json!(expected));
        assert_eq!(q["filter_size"], 2000);
        assert_eq!(q["own_size"], range.len());
    }
    // Only the named peer may fetch or query the filter.
    let (status, text) = stranger
        .send(
            "POST",
            "/api/v1/psi/filters/query",
            Some(query(customers(0..5))),
            true,
        )
        .await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("403"), "{text}");

    // Keyword lookup: the payload columns of one row, for a key the holder never sees.
    let mut csv = String::from("email,name,tier\n");
    for i in 0..50 {
        let tier = if i % 2 == 0 { "gold" } else { "silver" };
        csv.push_str(&format!(
            "customer-{i}@example.org,\"Doe, Jane {i}\",{tier}\n"
        ));
    }
    let t = holder
        .json(
            "POST",
            "/api/v1/psi/keyword-tables",
            Some(
                json!({"key_id": "admin", "peer_did": client.did, "csv": csv,
                "key_column": "email", "normalise": "email", "max_lookups": 3}),
            ),
        )
        .await;
    assert_eq!(t["size"], 50);
    // A ragged row in a keyword table is refused with its line number.
    let (status, text) = holder
        .send(
            "POST",
            "/api/v1/psi/keyword-tables",
            Some(json!({"key_id": "admin", "peer_did": client.did,
                "csv": "email,name,tier\na@example.org,A,gold\nb@example.org,B\n",
                "key_column": "email", "normalise": "email"})),
            true,
        )
        .await;
    assert_eq!(status, 400, "{text}");
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["reason"], "psi.ragged_row", "{text}");
    assert_eq!(problem["line"], 3, "{text}");
    let lookup = |key: &str| {
        json!({"key_id": "admin", "peer_url": holder.base, "peer_did": holder.did,
            "table_id": t["id"], "key": key, "normalise": "email"})
    };
    let l = client
        .json(
            "POST",
            "/api/v1/psi/lookup",
            Some(lookup(" Customer-7@Example.ORG ")),
        )
        .await;
    assert_eq!(l["found"], true, "{l}");
    assert_eq!(l["key_column"], "email");
    assert_eq!(l["columns"], json!(["name", "tier"]));
    assert_eq!(l["values"], json!(["Doe, Jane 7", "silver"]));
    let l = client
        .json(
            "POST",
            "/api/v1/psi/lookup",
            Some(lookup("customer-999@example.org")),
        )
        .await;
    assert_eq!(l["found"], false, "{l}");
    assert_eq!(l["values"], json!([]));
    let l = client
        .json(
            "POST",
            "/api/v1/psi/lookup",
            Some(lookup("customer-8@example.org")),
        )
        .await;
    assert_eq!(l["values"], json!(["Doe, Jane 8", "gold"]));
    // The holder's lookup budget (3) is spent.
    let (status, text) = client
        .send(
            "POST",
            "/api/v1/psi/lookup",
            Some(lookup("customer-9@example.org")),
            true,
        )
        .await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("budget"), "{text}");
}

#[actix_web::test]
async fn cli_runs_a_session_end_to_end() {
    let chain = Chain::start();
    let a = Server::start(
        &chain,
        PsiConfig {
            batch_size: 64,
            ..PsiConfig::default()
        },
    )
    .await;
    let b = Server::start(&chain, PsiConfig::default()).await;
    offer(&b, &a, "both-sides", customers(100..300)).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("customers.csv");
    let mut csv = String::from("id,email\n");
    for (i, c) in customers(0..200).iter().enumerate() {
        csv.push_str(&format!("{i}, {} \n", c.to_uppercase()));
    }
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("shared.csv");
    let weft = |extra: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"));
        cmd.args(["psi", "run", "--peer", &b.base, "--peer-did", &b.did])
            .args(["--peer-size", "200", "--api", &a.base, "--quiet"])
            .args(extra)
            .env("WEFT_TOKEN", &a.token);
        cmd
    };
    let input_s = input.to_str().unwrap();
    let run = weft(&[
        "--input",
        input_s,
        "--column",
        "email",
        "--mode",
        "both",
        "--normalise",
        "email",
        "--output",
        out.to_str().unwrap(),
    ])
    .output()
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("completed: intersection size 100"),
        "{stderr}"
    );
    assert!(stderr.contains("on chain: psi.create"), "{stderr}");
    assert!(stderr.contains("on chain: psi.complete"), "{stderr}");
    let mut expected = customers(100..200);
    expected.sort();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("item\n{}\n", expected.join("\n"))
    );

    // A column that is not in the file: a clear error and a failing exit status.
    let run = weft(&["--input", input_s, "--column", "phone"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("no column \"phone\""), "{stderr}");
}

/// The borsh layout of the data holder's `/psi/oprf` requests (as the API encodes them).
#[derive(borsh::BorshSerialize)]
#[allow(dead_code)]
enum OprfRequest {
    Filter,
    Table,
    Query {
        published: [u8; 32],
        points: Vec<[u8; 32]>,
    },
}

async fn post_oprf(to: &Server, envelope: Vec<u8>) -> (u16, String) {
    let mut r = awc::Client::new()
        .post(format!("{}/psi/oprf", to.base))
        .send_body(envelope)
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.body().limit(16 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).to_string())
}

/// A query envelope for session `sid` against filter/table `published`, signed by `from`.
fn query_envelope(from: &Keypair, to: &Server, sid: [u8; 32], published: [u8; 32]) -> Vec<u8> {
    let points: Vec<[u8; 32]> = (0u8..3)
        .map(|i| {
            weft_mpc::psi::group::hash_to_group(b"test", &[i; 32], b"x")
                .compress()
                .to_bytes()
        })
        .collect();
    let mut chan = weft_mpc::psi::wire::SecureChannel::new(
        sid,
        Keypair::from_seed(&from.to_seed()),
        to.key.public_key(),
        1 << 20,
    );
    chan.seal(borsh::to_vec(&OprfRequest::Query { published, points }).unwrap())
}

/// Records an OPRF query session on chain as a client with `key` would.
async fn create_query_on_chain(
    chain: &Chain,
    key: &Keypair,
    sid: [u8; 32],
    responder: &Server,
    protocol: ledger::Protocol,
) {
    let call = ledger::call(PsiCall::Create {
        session_id: sid,
        initiator_did: did_key(&key.public_key()),
        initiator_key: key.public_key(),
        responder_did: responder.did.clone(),
        responder: responder.key.address(),
        protocol,
        mode: Mode::OneSide,
        size_commitment: ledger::size_commitment(&sid, 3, &[1; 32]),
    });
    submit(chain, key, call).await;
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

#[actix_web::test]
async fn oprf_queries_are_sessions_on_chain_and_replays_are_refused() {
    let chain = Chain::start();
    let holder = Server::start(&chain, PsiConfig::default()).await;
    let client = Server::start(&chain, PsiConfig::default()).await;
    let stranger = Server::start(&chain, PsiConfig::default()).await;
    let f = holder
        .json(
            "POST",
            "/api/v1/psi/filters",
            Some(json!({"key_id": "admin", "peer_did": client.did,
                "input": {"items": customers(0..500)}})),
        )
        .await;
    let filter_id = hex32(&f["id"]);
    let q = client
        .json(
            "POST",
            "/api/v1/psi/filters/query",
            Some(
                json!({"key_id": "admin", "peer_url": holder.base, "peer_did": holder.did,
                "filter_id": f["id"], "input": {"items": customers(495..505)}}),
            ),
        )
        .await;
    assert_eq!(q["intersection"].as_array().unwrap().len(), 5);
    let sid = q["session_id"].as_str().unwrap().to_string();

    // The query is a completed session on chain, between the two DIDs.
    let rec = client
        .json("GET", &format!("/api/v1/psi/sessions/{sid}/record"), None)
        .await;
    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["protocol"], "unbalanced-oprf");
    assert_eq!(rec["mode"], "one-side");
    assert_eq!(rec["initiator_did"], client.did);
    assert_eq!(rec["responder_did"], holder.did);
    let digest = rec["result_digest"].as_str().unwrap().to_string();

    // Each party sees its own size opening (and only its own); it opens its commitment.
    let sid32 = hex32(&json!(sid));
    let mine = client
        .json("GET", &format!("/api/v1/psi/sessions/{sid}"), None)
        .await;
    assert_eq!(mine["state"], "completed", "{mine}");
    assert_eq!(mine["role"], "initiator");
    assert_eq!(mine["digest"], digest);
    assert_eq!(mine["size_opening"]["size"], 10);
    assert!(ledger::verify_size_opening(
        &sid32,
        &hex32(&rec["initiator_commitment"]),
        10,
        &hex32(&mine["size_opening"]["blinding"]),
    ));
    assert!(!ledger::verify_size_opening(
        &sid32,
        &hex32(&rec["initiator_commitment"]),
        11,
        &hex32(&mine["size_opening"]["blinding"]),
    ));
    let theirs = holder
        .json("GET", &format!("/api/v1/psi/sessions/{sid}"), None)
        .await;
    assert_eq!(theirs["role"], "responder");
    assert_eq!(theirs["digest"], digest);
    assert_eq!(theirs["size_opening"]["size"], 500);
    assert_ne!(theirs["size_opening"], mine["size_opening"]);
    assert!(ledger::verify_size_opening(
        &sid32,
        &hex32(&rec["responder_commitment"]),
        500,
        &hex32(&theirs["size_opening"]["blinding"]),
    ));

    // A replayed query envelope gets no evaluation.
    let sid2 = [0x71; 32];
    create_query_on_chain(
        &chain,
        &client.key,
        sid2,
        &holder,
        ledger::Protocol::UnbalancedOprf,
    )
    .await;
    let env = query_envelope(&client.key, &holder, sid2, filter_id);
    let (status, text) = post_oprf(&holder, env.clone()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        chain.record(&hex::encode(sid2)).unwrap().status,
        ChainStatus::Joined
    );
    let (status, text) = post_oprf(&holder, env).await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("replayed"), "{text}");

    // A session that is not on chain is unknown.
    let env = query_envelope(&client.key, &holder, [0x72; 32], filter_id);
    let (status, text) = post_oprf(&holder, env).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("unknown session"), "{text}");

    // A session recorded for another holder (the stranger) is refused by this one.
    let sid3 = [0x73; 32];
    create_query_on_chain(
        &chain,
        &client.key,
        sid3,
        &stranger,
        ledger::Protocol::UnbalancedOprf,
    )
    .await;
    let env = query_envelope(&client.key, &holder, sid3, filter_id);
    let (status, text) = post_oprf(&holder, env).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("recorded for another peer"), "{text}");
    // ... as is one recorded for the other protocol (a filter is not a keyword table).
    let sid4 = [0x74; 32];
    create_query_on_chain(
        &chain,
        &client.key,
        sid4,
        &holder,
        ledger::Protocol::KeywordLookup,
    )
    .await;
    let env = query_envelope(&client.key, &holder, sid4, filter_id);
    let (status, text) = post_oprf(&holder, env).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("another protocol"), "{text}");
    // An evaluation on the filter id's own channel (no session) is refused.
    let env = query_envelope(&client.key, &holder, filter_id, filter_id);
    let (status, text) = post_oprf(&holder, env).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("unknown session"), "{text}");

    // Over HTTP: a client that names a peer that is not the holder (the stranger's DID at the
    // holder's URL) records a session for the stranger, which the holder refuses.
    let (status, text) = client
        .send(
            "POST",
            "/api/v1/psi/filters/query",
            Some(
                json!({"key_id": "admin", "peer_url": holder.base, "peer_did": stranger.did,
                "filter_id": f["id"], "input": {"items": customers(0..3)}}),
            ),
            true,
        )
        .await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("403"), "{text}");

    // Keyword lookup is a session too.
    let t = holder
        .json(
            "POST",
            "/api/v1/psi/keyword-tables",
            Some(json!({"key_id": "admin", "peer_did": client.did,
                "csv": "email,tier\na@example.org,gold\nb@example.org,silver\n",
                "key_column": "email"})),
        )
        .await;
    let l = client
        .json(
            "POST",
            "/api/v1/psi/lookup",
            Some(
                json!({"key_id": "admin", "peer_url": holder.base, "peer_did": holder.did,
                "table_id": t["id"], "key": "b@example.org"}),
            ),
        )
        .await;
    assert_eq!(l["values"], json!(["silver"]), "{l}");
    let lsid = l["session_id"].as_str().unwrap();
    let rec = chain.settled_record(lsid, Duration::from_secs(5)).await;
    assert_eq!(rec.status, ChainStatus::Completed);
    assert_eq!(rec.protocol, ledger::Protocol::KeywordLookup);
    assert_eq!(rec.responder, holder.key.address());
    assert_eq!(rec.initiator_key, client.key.public_key());
}

#[actix_web::test]
async fn holder_settles_a_query_the_client_never_completes() {
    let chain = Chain::start();
    let holder = Server::start(
        &chain,
        PsiConfig {
            idle_timeout: Duration::from_secs(1),
            ..PsiConfig::default()
        },
    )
    .await;
    let client = Server::start(&chain, PsiConfig::default()).await;
    let f = holder
        .json(
            "POST",
            "/api/v1/psi/filters",
            Some(json!({"key_id": "admin", "peer_did": client.did,
                "input": {"items": customers(0..50)}})),
        )
        .await;
    let sid = [0x75; 32];
    create_query_on_chain(
        &chain,
        &client.key,
        sid,
        &holder,
        ledger::Protocol::UnbalancedOprf,
    )
    .await;
    let (status, text) = post_oprf(
        &holder,
        query_envelope(&client.key, &holder, sid, hex32(&f["id"])),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    // The client vanishes: the holder's timer fails the session, on chain too.
    let id = hex::encode(sid);
    let rec = chain.settled_record(&id, Duration::from_secs(10)).await;
    assert_eq!(rec.status, ChainStatus::Failed);
    let (by, reason) = rec.failure.unwrap();
    assert_eq!(by, holder.key.address());
    assert!(reason.contains("timeout"), "{reason}");
    let s = holder.settle(&id, Duration::from_secs(5)).await;
    assert_eq!(s["state"], "failed", "{s}");
}

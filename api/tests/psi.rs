//! PSI between two Weft servers over HTTP (SQLite stores, single-validator nodes, port 0):
//! a full session with both sides getting the intersection and the same digest; a peer that
//! never answers fails its session within the request timeout while a second session completes;
//! cancellation; authentication of operators and of peer envelopes.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;
use weft_api::node_home::{read_key_file, NodeHome};
use weft_api::platform;
use weft_api::rest::psi::{PsiConfig, PsiService};
use weft_api::rest::{self, ApiConfig};
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_api::store::sqlite_url;
use weft_chain::{Keypair, Node, SingleValidator, SingleValidatorHandle};
use weft_mpc::psi::wire::did_key;

struct Server {
    base: String,
    token: String,
    did: String,
    stop: Option<oneshot::Sender<()>>,
    validator: Option<SingleValidatorHandle>,
    _node: Arc<Node>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(v) = self.validator.take() {
            v.shutdown();
        }
    }
}

impl Server {
    async fn start(psi: PsiConfig) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let home = NodeHome::new(dir.path().join("data"));
        let contents = home.init_or_load().unwrap();
        let operator: Keypair = read_key_file(&home.admin_key_path()).unwrap();
        let node = Node::open(
            home.node_config(),
            contents.genesis.clone(),
            weft_api::modules::registry(),
        )
        .unwrap();
        let validator = SingleValidator::spawn(node.clone(), contents.validator);
        let master = weft_api::keystore::MasterKey::random().unwrap();
        let url = sqlite_url(&dir.path().join("api.db"));
        let (state, boot) =
            platform::start(node.clone(), &url, &master, &operator, ApiConfig::default())
                .await
                .unwrap();
        let token = boot.admin_token.unwrap().to_string();
        let service = PsiService::new(psi);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let app = AppBuilder::new(node.clone()).group(move |cfg| {
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
            stop: Some(stop),
            validator: Some(validator),
            _node: node,
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
    let a = Server::start(PsiConfig {
        batch_size: 64,
        ..PsiConfig::default()
    })
    .await;
    let b = Server::start(PsiConfig::default()).await;

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

    // The offer is spent: a second session from A is refused by B.
    let s2 = start(&a, &b.base, &b.did, 250, "both-sides", customers(0..10)).await;
    let failed = a
        .settle(s2["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("403"),
        "{failed}"
    );
}

#[actix_web::test]
async fn stuck_peer_fails_within_timeout_and_does_not_block_another_session() {
    let a = Server::start(PsiConfig {
        request_timeout: Duration::from_secs(2),
        batch_size: 32,
        ..PsiConfig::default()
    })
    .await;
    let b = Server::start(PsiConfig::default()).await;
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
}

#[actix_web::test]
async fn cancel_and_authentication() {
    let a = Server::start(PsiConfig {
        request_timeout: Duration::from_secs(20),
        ..PsiConfig::default()
    })
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
    assert!(text.contains("did:weft"), "{text}");

    let client = awc::Client::new();
    let mut r = client
        .post(format!("{}/psi/peer", a.base))
        .send_body(vec![1u8, 2, 3])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let _ = r.body().await;
    // A well-formed Hello from a key nobody made an offer for.
    use weft_mpc::psi::session::InitiatorSession;
    use weft_mpc::psi::{InputSet, Limits, Mode, SessionParams};
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

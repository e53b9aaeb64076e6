//! In-process test node: a temporary data directory, a single validator, and the HTTP server on
//! port 0. Tests talk to it only through HTTP (`POST /rpc`, `GET /ws`).

#![allow(dead_code)]

pub mod process;
pub mod testnet;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;
use weft_api::rpc::RpcLimits;
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_api::ws::WsConfig;
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{
    Call, Keypair, Node, SignedTransaction, SingleValidator, SingleValidatorHandle, Transaction,
};
use weft_cli::client::RpcClient;
use weft_service::node_home::{read_key_file, NodeHome};

pub struct TestNode {
    pub client: RpcClient,
    pub base: String,
    pub admin: Keypair,
    pub chain_id: String,
    node: Arc<Node>,
    validator: Option<SingleValidatorHandle>,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestNode {
    /// Starts a node; must be called inside an actix runtime (`#[actix_web::test]`).
    pub async fn start() -> TestNode {
        Self::start_with_ws(WsConfig::default()).await
    }

    /// [`TestNode::start`] with custom subscription settings.
    pub async fn start_with_ws(ws: WsConfig) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let home = NodeHome::new(dir.path());
        let contents = home.init_or_load().unwrap();
        let admin = read_key_file(&home.admin_key_path()).unwrap();
        let node = Node::open(
            home.node_config(),
            contents.genesis.clone(),
            weft_service::modules::registry(),
        )
        .unwrap();
        let validator = SingleValidator::spawn(node.clone(), contents.validator);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let app = AppBuilder::new(node.clone())
            .with_node_interface(RpcLimits::default(), ws)
            .with_ui();
        let options = ServeOptions {
            workers: Some(1),
            shutdown_timeout: Duration::from_secs(1),
        };
        actix_web::rt::spawn(serve(listener, app, options, async move {
            let _ = stopped.await;
        }));
        let client = RpcClient::new(&base);
        TestNode {
            client,
            base,
            admin,
            chain_id: contents.genesis.chain_id.clone(),
            node,
            validator: Some(validator),
            stop: Some(stop),
            _dir: dir,
        }
    }

    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.client
            .call(method, params)
            .await
            .unwrap_or_else(|err| panic!("{method}: {err}"))
    }

    /// Posts a raw body and returns (HTTP status, body text).
    pub async fn post_raw(&self, body: impl Into<String>) -> (u16, String) {
        let mut response = awc::Client::new()
            .post(format!("{}/rpc", self.base))
            .insert_header(("content-type", "application/json"))
            .send_body(body.into())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.body().limit(64 << 20).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// Posts a raw body and parses the JSON response.
    pub async fn post_json(&self, body: impl Into<String>) -> Value {
        let (status, text) = self.post_raw(body).await;
        assert_eq!(status, 200, "body: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn nonce(&self, key: &Keypair) -> u64 {
        self.call("getNonce", json!([key.address()]))
            .await
            .as_u64()
            .unwrap()
    }

    pub fn sign(&self, key: &Keypair, nonce: u64, call: Call) -> SignedTransaction {
        Transaction {
            chain_id: self.chain_id.clone(),
            sender: key.public_key(),
            nonce,
            call,
        }
        .sign(key)
    }

    pub fn noop(&self, key: &Keypair, nonce: u64) -> SignedTransaction {
        self.sign(key, nonce, governance::call(GovernanceCall::Noop))
    }

    pub async fn wait_receipt(&self, hash: &Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let receipt = self.call("getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return receipt;
            }
            assert!(Instant::now() < deadline, "no receipt for {hash}");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(validator) = self.validator.take() {
            validator.shutdown();
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(validator) = self.validator.take() {
            validator.shutdown();
        }
    }
}

pub fn raw(tx: &SignedTransaction) -> String {
    format!("0x{}", hex::encode(tx.encode()))
}

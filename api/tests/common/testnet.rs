//! A local multi-validator network of real `weft node` processes, for the BFT fault tests.
//!
//! `weft testnet` lays out the homes (on a free port range); each node runs as a child process
//! that tests kill with SIGKILL, stop with SIGTERM and restart on the same home.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{Keypair, SignedTransaction, Transaction};
use weft_cli::client::RpcClient;

use super::process::WEFT;

pub const CHAIN_ID: &str = "weft-testnet";

/// A network laid out in a temporary directory.
pub struct Testnet {
    pub dir: tempfile::TempDir,
    pub validators: usize,
    pub total: usize,
    pub rpc: Vec<String>,
    pub nodes: Vec<Option<NodeProcess>>,
    /// Extra environment per node (e.g. fault injection).
    pub env: BTreeMap<usize, Vec<(String, String)>>,
}

pub struct NodeProcess {
    pub child: Child,
    pub index: usize,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_base_port(count: usize) -> u16 {
    use rand::Rng;
    'search: for _ in 0..200 {
        let base: u16 = rand::thread_rng().gen_range(20_000..60_000);
        let base = base & !1;
        for p in base..base + 2 * count as u16 {
            if std::net::TcpListener::bind(("127.0.0.1", p)).is_err() {
                continue 'search;
            }
        }
        return base;
    }
    panic!("no free port range");
}

impl Testnet {
    /// Lays out `validators` validators and `observers` observers.
    pub fn create(validators: usize, observers: usize, max_block_interval_ms: u64) -> Testnet {
        let dir = tempfile::tempdir().unwrap();
        let total = validators + observers;
        let base = free_base_port(total);
        let out = Command::new(WEFT)
            .args([
                "testnet",
                "--validators",
                &validators.to_string(),
                "--observers",
                &observers.to_string(),
                "--base-port",
                &base.to_string(),
                "--max-block-interval-ms",
                &max_block_interval_ms.to_string(),
                "--dir",
            ])
            .arg(dir.path().join("net"))
            .output()
            .expect("run weft testnet");
        assert!(out.status.success(), "weft testnet failed: {out:?}");
        let rpc = (0..total)
            .map(|i| format!("http://127.0.0.1:{}", base as usize + 2 * i + 1))
            .collect();
        Testnet {
            dir,
            validators,
            total,
            rpc,
            nodes: (0..total).map(|_| None).collect(),
            env: BTreeMap::new(),
        }
    }

    pub fn home(&self, i: usize) -> PathBuf {
        self.dir.path().join("net").join(format!("node{i}"))
    }

    /// Organisation `i`'s operator account (for the founders, a committee member).
    pub fn operator(&self, i: usize) -> Keypair {
        weft_service::node_home::read_key_file(&self.home(i).join("keys").join("operator.key"))
            .unwrap()
    }

    /// Organisation `i`'s first admin token (written by its node at first start).
    pub fn admin_token(&self, i: usize) -> String {
        std::fs::read_to_string(self.home(i).join("admin.token"))
            .unwrap_or_else(|e| panic!("node {i} wrote no admin token: {e}"))
            .trim()
            .to_string()
    }

    /// Organisation `i`'s HTTP base URL (REST under `/api/v1`, JSON-RPC at `/rpc`).
    pub fn url(&self, i: usize) -> &str {
        &self.rpc[i]
    }

    /// Starts node `i` and waits for its banner.
    pub fn start(&mut self, i: usize) {
        assert!(self.nodes[i].is_none(), "node {i} already running");
        let log = std::fs::File::create(self.dir.path().join(format!("node{i}.log"))).unwrap();
        let mut cmd = Command::new(WEFT);
        cmd.arg("node")
            .arg("--home")
            .arg(self.home(i))
            .env(
                "RUST_LOG",
                std::env::var("WEFT_TEST_LOG")
                    .unwrap_or_else(|_| "warn,weft_chain::consensus=info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        for (k, v) in self.env.get(&i).into_iter().flatten() {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn weft node");
        let stdout = child.stdout.take().unwrap();
        let process = NodeProcess { child, index: i };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("node {i} did not start; log:\n{}", self.log(i)));
            if line.contains("stop with Ctrl-C") {
                std::thread::spawn(move || while rx.recv().is_ok() {});
                break;
            }
        }
        self.nodes[i] = Some(process);
    }

    pub fn start_all(&mut self) {
        for i in 0..self.total {
            self.start(i);
        }
    }

    /// SIGKILL node `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].take() {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }

    pub fn is_running(&self, i: usize) -> bool {
        self.nodes[i].is_some()
    }

    pub fn log(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(format!("node{i}.log")))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn client(&self, i: usize) -> RpcClient {
        RpcClient::new(&self.rpc[i])
    }
}

/// Height of node `i`, or `None` if it does not answer.
pub async fn height(client: &RpcClient) -> Option<u64> {
    client
        .call("getBlockNumber", json!([]))
        .await
        .ok()
        .and_then(|v| v.as_u64())
}

/// `(hash, state_root)` of the block at `h` on a node.
pub async fn block_id(client: &RpcClient, h: u64) -> Option<(String, String)> {
    let b = client.call("getBlockByNumber", json!([h])).await.ok()?;
    if b.is_null() {
        return None;
    }
    Some((
        b["hash"].as_str()?.to_string(),
        b["header"]["state_root"].as_str()?.to_string(),
    ))
}

/// Waits until `f` holds, polling; panics with `what` after `timeout`.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if f().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until node `client` reaches `target` height.
pub async fn wait_height(client: &RpcClient, target: u64, timeout: Duration, what: &str) {
    wait_for(what, timeout, || async {
        height(client).await.is_some_and(|h| h >= target)
    })
    .await;
}

/// Checks that the given nodes agree on every block from 1 to the lowest head among them;
/// returns that height.
pub async fn assert_same_chain(clients: &[RpcClient]) -> u64 {
    let mut low = u64::MAX;
    for c in clients {
        low = low.min(height(c).await.expect("node answers"));
    }
    for h in 1..=low {
        let reference = block_id(&clients[0], h).await.expect("block");
        for (i, c) in clients.iter().enumerate().skip(1) {
            let other = block_id(c, h).await.expect("block");
            assert_eq!(
                reference, other,
                "fork: node 0 and node {i} differ at height {h}"
            );
        }
    }
    low
}

/// Waits until every running node's organisation DID is on chain with its endpoint (each
/// node registers it in the background after start, with its operator account).
pub async fn wait_org_dids(net: &Testnet, timeout: Duration) {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    for i in (0..net.total).filter(|i| net.is_running(*i)) {
        let url = format!("{}/api/v1/organisation", net.url(i));
        wait_for(&format!("node {i}'s organisation DID"), timeout, || {
            let request = client.get(&url);
            async move {
                match request.send().await {
                    Ok(mut r) => r
                        .json::<Value>()
                        .await
                        .is_ok_and(|v| v["endpoint"].is_string()),
                    Err(_) => false,
                }
            }
        })
        .await;
    }
}

/// Signs `call` with `key` at its next nonce (asked of `client`), submits it and returns the
/// committed receipt.
pub async fn send_call(client: &RpcClient, key: &Keypair, call: weft_chain::Call) -> Value {
    let nonce = client
        .call("getNonce", json!([key.address()]))
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    let tx = Transaction {
        chain_id: CHAIN_ID.to_string(),
        sender: key.public_key(),
        nonce,
        call,
    }
    .sign(key);
    let raw = format!("0x{}", hex::encode(tx.encode()));
    let hash = client.call("sendTransaction", json!([raw])).await.unwrap();
    let hash = hash.as_str().unwrap().to_string();
    wait_all_committed(client, std::slice::from_ref(&hash), Duration::from_secs(60)).await;
    client
        .call("getTransactionReceipt", json!([hash]))
        .await
        .unwrap()
}

/// Passes a committee decision: organisation 0 proposes, then organisations 1.. approve until
/// a strict majority of the `validators` founders has; returns the receipt of the deciding
/// transaction. Assumes no other proposal is open (the proposal id is read from the chain).
pub async fn committee_pass(
    net: &Testnet,
    client: &RpcClient,
    action: governance::Action,
) -> Value {
    let propose = send_call(
        client,
        &net.operator(0),
        governance::call(GovernanceCall::Propose { action }),
    )
    .await;
    assert_eq!(propose["status"], "Success", "{propose}");
    let id = propose["events"]
        .as_array()
        .and_then(|events| {
            events.iter().find_map(|e| {
                e["attributes"].as_array()?.iter().find_map(|a| {
                    (a[0] == "id" || a["key"] == "id")
                        .then(|| a[1].as_str().or(a["value"].as_str())?.parse::<u64>().ok())
                        .flatten()
                })
            })
        })
        .unwrap_or_else(|| panic!("no proposal id in {propose}"));
    let needed = net.validators / 2 + 1;
    let mut last = propose;
    for i in 1..needed {
        last = send_call(
            client,
            &net.operator(i),
            governance::call(GovernanceCall::Vote {
                proposal_id: id,
                approve: true,
            }),
        )
        .await;
        assert_eq!(last["status"], "Success", "{last}");
    }
    last
}

/// A sender account with its next nonce.
pub struct Sender {
    pub key: Keypair,
    pub nonce: u64,
}

pub fn noop(key: &Keypair, nonce: u64) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN_ID.to_string(),
        sender: key.public_key(),
        nonce,
        call: governance::call(GovernanceCall::Noop),
    }
    .sign(key)
}

/// Sends one batch from `senders` (one tx each) to `client`; returns acknowledged hashes.
/// A node that is down acknowledges nothing (the nonces are then reused).
pub async fn send_batch(client: &RpcClient, senders: &mut [Sender]) -> Vec<String> {
    let txs: Vec<SignedTransaction> = senders.iter().map(|s| noop(&s.key, s.nonce)).collect();
    let raw: Vec<String> = txs
        .iter()
        .map(|t| format!("0x{}", hex::encode(t.encode())))
        .collect();
    let Ok(result) = client.call("sendTransactions", json!([raw])).await else {
        return Vec::new();
    };
    let mut acked = Vec::new();
    for (s, r) in senders
        .iter_mut()
        .zip(result.as_array().cloned().unwrap_or_default())
    {
        if let Some(h) = r["hash"].as_str() {
            acked.push(h.to_string());
            s.nonce += 1;
        }
    }
    acked
}

/// Waits until every hash in `acked` has a receipt on `client`.
pub async fn wait_all_committed(client: &RpcClient, acked: &[String], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    for h in acked {
        loop {
            let r = client.call("getTransactionReceipt", json!([h])).await;
            if matches!(&r, Ok(v) if !v.is_null()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "acknowledged transaction {h} not committed"
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn value_str(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}

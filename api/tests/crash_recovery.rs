//! Kill -9 under load: no acknowledged transaction and no committed block is lost, and the node
//! restarts to the same state root.
//!
//! Three rounds on one data directory: start `weft up`, load it with `sendTransactions` from fresh
//! senders while recording every acknowledged transaction hash and every block header seen, then
//! SIGKILL it at a random moment (a request is usually in flight). After each restart, and at the
//! end, check: every acknowledged transaction gets a committed receipt, every block seen before
//! the kill is unchanged (height, hash, state root), and a state proof at the head verifies
//! against the head header.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::process::UpProcess;
use rand::Rng;
use serde_json::{json, Value};
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{Keypair, StateProof, Transaction};
use weft_cli::client::RpcClient;

const ROUNDS: usize = 3;
const SENDERS: usize = 16;
const CHUNK: usize = 64;

#[derive(Clone, Debug, PartialEq)]
struct SeenBlock {
    height: u64,
    hash: Value,
    state_root: Value,
}

#[derive(Default)]
struct Ledger {
    acknowledged: Vec<String>,
    blocks: Vec<SeenBlock>,
}

#[test]
fn kill_9_under_load_loses_nothing() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ledger = Rc::new(RefCell::new(Ledger::default()));
    let system = actix_web::rt::System::new();

    for round in 0..ROUNDS {
        let mut node = UpProcess::start(&data);
        let client = RpcClient::new(&node.rpc);
        system.block_on(verify(&client, &ledger.borrow(), round));
        let head_before = system
            .block_on(client.call("getBlockNumber", json!([])))
            .unwrap()
            .as_u64()
            .unwrap();
        let kill_after = Duration::from_millis(rand::thread_rng().gen_range(300..1500));
        let (acked, blocks) =
            system.block_on(load_until_killed(&client, &mut node, kill_after, &ledger));
        assert!(
            blocks > head_before,
            "no block was committed under load before the kill"
        );
        println!(
            "round {round}: SIGKILL after {} ms of load; {acked} txs acknowledged this round, head height {} when killed",
            kill_after.as_millis(),
            blocks
        );
    }
    let node = UpProcess::start(&data);
    let client = RpcClient::new(&node.rpc);
    system.block_on(verify(&client, &ledger.borrow(), ROUNDS));
    assert!(node.terminate().success(), "clean shutdown after recovery");
    let ledger = ledger.borrow();
    println!(
        "checked {} acknowledged txs and {} recorded blocks across {ROUNDS} kills in {:.1} s",
        ledger.acknowledged.len(),
        ledger.blocks.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        ledger.acknowledged.len() > ROUNDS * CHUNK,
        "the load never got going"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the test must stay under 60 s"
    );
}

/// Submits until the node dies. Returns (transactions acknowledged this round, last height seen).
async fn load_until_killed(
    client: &RpcClient,
    node: &mut UpProcess,
    kill_after: Duration,
    ledger: &Rc<RefCell<Ledger>>,
) -> (usize, u64) {
    let chain_id = client.call("getSyncStatus", json!([])).await.unwrap()["chainId"]
        .as_str()
        .unwrap()
        .to_string();
    let senders: Vec<Keypair> = (0..SENDERS).map(|_| Keypair::generate()).collect();
    let mut nonce = 0u64;
    let mut acked = 0;
    let mut last_height = 0;
    let load_start = Instant::now();
    // The kill lands wherever the loader happens to be: usually inside a request.
    let killer = {
        let pid = node.child.id();
        std::thread::spawn(move || {
            std::thread::sleep(kill_after);
            std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
        })
    };
    loop {
        let chunk: Vec<_> = (0..CHUNK)
            .map(|i| {
                let key = &senders[i % SENDERS];
                let tx = Transaction {
                    chain_id: chain_id.clone(),
                    sender: key.public_key(),
                    nonce: nonce + (i / SENDERS) as u64,
                    call: governance::call(GovernanceCall::Noop),
                }
                .sign(key);
                (
                    tx.hash().to_string(),
                    format!("0x{}", hex::encode(tx.encode())),
                )
            })
            .collect();
        let raws: Vec<&String> = chunk.iter().map(|(_, raw)| raw).collect();
        let Ok(results) = client.call("sendTransactions", json!([raws])).await else {
            break;
        };
        let results = results.as_array().unwrap();
        for ((hash, _), result) in chunk.iter().zip(results) {
            if result["hash"].as_str() == Some(hash.as_str()) {
                ledger.borrow_mut().acknowledged.push(hash.clone());
                acked += 1;
            }
        }
        // Everything went in, so the senders' nonces advance together.
        nonce += (CHUNK / SENDERS) as u64;
        let Ok(block) = client.call("getBlockByNumber", json!(["latest"])).await else {
            break;
        };
        let seen = SeenBlock {
            height: block["header"]["height"].as_u64().unwrap(),
            hash: block["hash"].clone(),
            state_root: block["header"]["state_root"].clone(),
        };
        last_height = seen.height;
        ledger.borrow_mut().blocks.push(seen);
        if load_start.elapsed() > kill_after + Duration::from_secs(5) {
            panic!("the node survived SIGKILL?");
        }
    }
    killer.join().unwrap();
    let _ = node.child.wait();
    (acked, last_height)
}

/// Checks the restarted node against everything recorded before the kills.
async fn verify(client: &RpcClient, ledger: &Ledger, round: usize) {
    // Wait for the pool to drain.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = client.call("getSyncStatus", json!([])).await.unwrap();
        if status["poolSize"] == json!(0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pool did not drain after restart: {status}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }

    // Every acknowledged transaction has a committed receipt (checked in JSON-RPC batches).
    let mut receipts = 0;
    for chunk in ledger.acknowledged.chunks(500) {
        let batch: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, hash)| json!({"jsonrpc": "2.0", "id": i, "method": "getTransactionReceipt", "params": [hash]}))
            .collect();
        let responses = client.post(&Value::Array(batch)).await.unwrap();
        for response in responses.as_array().unwrap() {
            let i = response["id"].as_u64().unwrap() as usize;
            let receipt = &response["result"];
            assert!(
                !receipt.is_null(),
                "acknowledged tx {} lost after kill -9",
                chunk[i]
            );
            assert_eq!(receipt["tx_hash"].as_str(), Some(chunk[i].as_str()));
            receipts += 1;
        }
    }

    // Blocks seen before the kill are unchanged.
    let mut seen_heights = std::collections::BTreeMap::new();
    for block in &ledger.blocks {
        seen_heights.insert(block.height, block.clone());
    }
    for (height, seen) in &seen_heights {
        let block = client
            .call("getBlockByNumber", json!([height]))
            .await
            .unwrap();
        assert_eq!(
            block["hash"], seen.hash,
            "block {height} changed after restart"
        );
        assert_eq!(
            block["header"]["state_root"], seen.state_root,
            "state root of {height} changed"
        );
    }

    // The head state matches the head header: a proof at the head verifies against it.
    let head = client
        .call("getBlockNumber", json!([]))
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(head >= seen_heights.keys().last().copied().unwrap_or(0));
    let key = format!("0x{}", hex::encode(b"committee"));
    let proof = client
        .call(
            "getStateProof",
            json!({"module": "governance", "key": key, "height": head}),
        )
        .await
        .unwrap();
    let proof: StateProof = serde_json::from_value(proof).unwrap();
    proof.verify().expect("head state proof verifies");
    let header = client
        .call("getBlockByNumber", json!([head]))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&proof.header).unwrap(),
        header["header"]
    );
    assert!(proof.value.is_some(), "the committee is in the state");
    println!(
        "after restart {round}: head {head}, {receipts} acknowledged txs all committed, {} recorded blocks unchanged, head proof ok",
        seen_heights.len()
    );
}

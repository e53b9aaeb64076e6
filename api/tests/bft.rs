//! Byzantine fault tolerance of a four-validator network of real `weft node` processes
//! (Malachite consensus): crash of one, loss of quorum, a Byzantine validator, crash of all.
//!
//! Each test prints what it injected and what it checked. The tests run one at a time (they
//! share two cores) and every wait is bounded, so a stuck network fails instead of hanging.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::testnet::{
    assert_same_chain, height, send_batch, wait_all_committed, wait_height, Sender, Testnet,
};
use serde_json::json;
use weft_chain::Keypair;
use weft_cli::client::RpcClient;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

const BLOCK_INTERVAL_MS: u64 = 1000;
const WAIT: Duration = Duration::from_secs(90);

fn senders(n: usize) -> Vec<Sender> {
    (0..n)
        .map(|_| Sender {
            key: Keypair::generate(),
            nonce: 0,
        })
        .collect()
}

/// Sends batches round-robin to `targets` for `duration`; acknowledged hashes go to `acked`.
/// A sender whose transaction is refused re-reads its nonce (it may have been admitted by a
/// node that died before answering).
async fn load_for(
    clients: &[RpcClient],
    targets: &[usize],
    senders: &mut [Sender],
    acked: &mut Vec<String>,
    duration: Duration,
) {
    let end = Instant::now() + duration;
    let mut k = 0;
    while Instant::now() < end {
        let client = &clients[targets[k % targets.len()]];
        k += 1;
        let before: Vec<u64> = senders.iter().map(|s| s.nonce).collect();
        acked.extend(send_batch(client, senders).await);
        for (s, b) in senders.iter_mut().zip(before) {
            if s.nonce == b {
                if let Ok(n) = client.call("getNonce", json!([s.key.address()])).await {
                    s.nonce = n.as_u64().unwrap_or(s.nonce);
                }
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn clients(net: &Testnet) -> Vec<RpcClient> {
    (0..net.total).map(|i| net.client(i)).collect()
}

#[test]
fn kill_one_validator_under_load_then_it_catches_up() {
    let _serial = serial();
    let mut net = Testnet::create(4, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c = clients(&net);
        wait_height(&c[0], 2, WAIT, "first blocks").await;
        let mut s = senders(24);
        let mut acked = Vec::new();
        println!("injected: steady load (24 senders, batches to all four nodes)");
        load_for(
            &c,
            &[0, 1, 2, 3],
            &mut s,
            &mut acked,
            Duration::from_secs(3),
        )
        .await;

        println!("injected: kill -9 of validator 3 under load");
        net.kill(3);
        let h = height(&c[0]).await.unwrap();
        load_for(&c, &[0, 1, 2], &mut s, &mut acked, Duration::from_secs(3)).await;
        wait_height(&c[0], h + 3, WAIT, "three validators keep committing").await;
        let h_three = height(&c[0]).await.unwrap();
        println!(
            "checked: validators 0-2 committed {} blocks without validator 3",
            h_three - h
        );

        println!("injected: restart of validator 3");
        net.start(3);
        load_for(
            &c,
            &[0, 1, 2, 3],
            &mut s,
            &mut acked,
            Duration::from_secs(2),
        )
        .await;
        let target = height(&c[0]).await.unwrap();
        wait_height(&c[3], target, WAIT, "restarted validator catches up").await;
        println!("checked: validator 3 caught up to height {target}");

        for (i, client) in c.iter().enumerate() {
            wait_all_committed(client, &acked, WAIT).await;
            println!(
                "checked: all {} acknowledged transactions committed on node {i}",
                acked.len()
            );
        }
        let low = assert_same_chain(&c).await;
        println!("checked: all four nodes agree on block hash and state root at heights 1..={low}");
    });
}

#[test]
fn losing_quorum_halts_without_fork_and_recovers() {
    let _serial = serial();
    let mut net = Testnet::create(4, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c = clients(&net);
        wait_height(&c[0], 2, WAIT, "first blocks").await;

        println!("injected: kill -9 of validators 2 and 3 (2 of 4 left: no quorum)");
        net.kill(2);
        net.kill(3);
        // Let a block already certified before the kill finish.
        actix_web::rt::time::sleep(Duration::from_secs(2)).await;
        let halted_at = height(&c[0]).await.unwrap();
        let mut s = senders(4);
        let mut acked = Vec::new();
        load_for(&c, &[0, 1], &mut s, &mut acked, Duration::from_millis(300)).await;
        assert!(!acked.is_empty(), "transactions are still accepted into the pool");
        actix_web::rt::time::sleep(Duration::from_millis(5 * BLOCK_INTERVAL_MS)).await;
        for i in [0, 1] {
            let h = height(&c[i]).await.unwrap();
            assert_eq!(h, halted_at, "node {i} committed without a quorum");
        }
        let st = c[0]
            .call("getTransactionStatus", json!([acked[0]]))
            .await
            .unwrap();
        assert_eq!(st["status"], "pending");
        println!("checked: no block for 5 block intervals at height {halted_at}; transactions stay pending");

        println!("injected: restart of validator 2 (3 of 4: quorum again)");
        net.start(2);
        wait_height(&c[0], halted_at + 2, WAIT, "chain resumes").await;
        wait_all_committed(&c[0], &acked, WAIT).await;
        let low = assert_same_chain(&c[..3]).await;
        println!("checked: chain resumed; nodes 0-2 agree at heights 1..={low}; pending transactions committed");
    });
}

fn byzantine_run(mode: &str) {
    let mut net = Testnet::create(4, 0, BLOCK_INTERVAL_MS);
    net.env.insert(
        3,
        vec![("WEFT_TEST_BYZANTINE".to_string(), mode.to_string())],
    );
    net.start_all();
    let byzantine_key =
        weft_service::node_home::read_key_file(&net.home(3).join("keys").join("node.key"))
            .unwrap()
            .public_key();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c = clients(&net);
        println!("injected: validator 3 is Byzantine ({mode})");
        let mut s = senders(8);
        let mut acked = Vec::new();
        load_for(&c, &[0, 1, 2], &mut s, &mut acked, Duration::from_secs(2)).await;
        // Eight heights cover two rounds where validator 3 is the proposer.
        wait_height(&c[0], 9, Duration::from_secs(180), "honest validators keep committing").await;
        wait_all_committed(&c[0], &acked, WAIT).await;
        let low = assert_same_chain(&c[..3]).await;
        println!("checked: honest validators committed {low} blocks and agree on each");
        let mut byzantine_signed = 0;
        let mut later_rounds = 0;
        for h in 1..=low {
            let b = c[0].call("getBlockByNumber", json!([h])).await.unwrap();
            if b["certificate"]["round"].as_u64() != Some(0) {
                later_rounds += 1;
            }
            let sigs = b["certificate"]["signatures"].as_array().unwrap().clone();
            assert!(sigs.len() >= 3, "height {h}: certificate has {} signatures", sigs.len());
            if sigs
                .iter()
                .any(|s| s["validator"] == json!(byzantine_key.to_string()))
            {
                byzantine_signed += 1;
            }
        }
        // Validator 3 proposes round 0 of every fourth height: those heights need a round > 0.
        assert!(later_rounds >= 1, "no height needed another round");
        println!("checked: {later_rounds} heights were decided in a later round (the Byzantine proposer's round failed)");
        if mode == "bad-signatures" {
            assert_eq!(byzantine_signed, 0, "a bad signature was counted");
            println!("checked: no certificate contains the Byzantine validator's signature");
        }
        println!("checked: every certificate has >= 3 of 4 signatures; all acknowledged transactions committed");
    });
}

#[test]
fn byzantine_validator_with_bad_signatures_cannot_stop_the_honest_three() {
    let _serial = serial();
    byzantine_run("bad-signatures");
}

#[test]
fn byzantine_proposer_with_invalid_blocks_is_rejected() {
    let _serial = serial();
    byzantine_run("bad-proposals");
}

#[test]
fn all_four_crash_under_load_and_resume_from_the_wal() {
    let _serial = serial();
    let mut net = Testnet::create(4, 0, BLOCK_INTERVAL_MS);
    net.start_all();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c = clients(&net);
        wait_height(&c[0], 2, WAIT, "first blocks").await;
        let mut s = senders(24);
        let mut acked = Vec::new();
        load_for(
            &c,
            &[0, 1, 2, 3],
            &mut s,
            &mut acked,
            Duration::from_secs(3),
        )
        .await;
        let before = height(&c[0]).await.unwrap();
        println!("injected: kill -9 of all four validators under load (at height ~{before})");
        for i in 0..4 {
            net.kill(i);
        }
        println!("injected: restart of all four");
        for i in 0..4 {
            net.start(i);
        }
        load_for(
            &c,
            &[0, 1, 2, 3],
            &mut s,
            &mut acked,
            Duration::from_secs(1),
        )
        .await;
        wait_height(&c[0], before + 3, WAIT, "chain resumes after the crash").await;
        for (i, client) in c.iter().enumerate() {
            wait_all_committed(client, &acked, WAIT).await;
            println!(
                "checked: all {} acknowledged transactions committed on node {i}",
                acked.len()
            );
        }
        let low = assert_same_chain(&c).await;
        println!("checked: no divergence: all four agree at heights 1..={low}");
    });
}

#[test]
fn observer_follows_the_chain_and_serves_reads() {
    let _serial = serial();
    let mut net = Testnet::create(4, 1, BLOCK_INTERVAL_MS);
    net.start_all();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c = clients(&net);
        let mut s = senders(4);
        let mut acked = Vec::new();
        println!("injected: transactions sent to the observer (node 4)");
        load_for(&c, &[4], &mut s, &mut acked, Duration::from_secs(1)).await;
        wait_all_committed(&c[4], &acked, WAIT).await;
        wait_height(&c[4], 3, WAIT, "observer follows").await;
        let validators = c[4].call("getValidators", json!([])).await.unwrap();
        assert_eq!(validators.as_array().map(Vec::len), Some(4));
        // Idle: with no transactions a block comes every block interval (1 s), not in a storm
        // (a busy network here commits a block every few tens of milliseconds).
        let before = height(&c[0]).await.unwrap();
        actix_web::rt::time::sleep(Duration::from_secs(6)).await;
        let idle_blocks = height(&c[0]).await.unwrap() - before;
        assert!(idle_blocks <= 12, "{idle_blocks} empty blocks in 6 s of idleness");
        assert!(idle_blocks >= 1, "no heartbeat block in 6 s");
        println!("checked: {idle_blocks} empty blocks in 6 s idle (max interval 1 s): no empty-block storm");
        let low = assert_same_chain(&c).await;
        println!("checked: observer forwarded {} transactions, follows the chain (agrees at 1..={low}) and serves reads", acked.len());
    });
}

#[test]
fn validator_set_change_by_governance_takes_effect_across_the_network() {
    use weft_chain::governance::Action;
    use weft_chain::GenesisValidator;

    let _serial = serial();
    let mut net = Testnet::create(4, 1, BLOCK_INTERVAL_MS);
    net.start_all();
    let keys: Vec<weft_chain::Keypair> = (0..5)
        .map(|i| {
            weft_service::node_home::read_key_file(&net.home(i).join("keys").join("node.key"))
                .unwrap()
        })
        .collect();
    let key = |i: usize| keys[i].clone();
    // New set: validators 0, 1, 2 and the observer (node 4); validator 3 leaves.
    let new_set: Vec<GenesisValidator> = [0, 1, 2, 4]
        .iter()
        .map(|i| GenesisValidator {
            name: format!("node{i}"),
            public_key: key(*i).public_key(),
            power: 1,
        })
        .collect();
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let c = clients(&net);
        wait_height(&c[0], 2, WAIT, "first blocks").await;
        common::testnet::wait_org_dids(&net, WAIT).await;
        println!("injected: committee (the four founders' operators) passes SetValidators(node0, node1, node2, node4)");
        let receipt =
            common::testnet::committee_pass(&net, &c[1], Action::SetValidators(new_set)).await;
        assert_eq!(receipt["status"], "Success", "{receipt}");
        let h = receipt["height"].as_u64().unwrap();
        wait_height(&c[0], h, WAIT, "node 0 has the deciding block").await;
        let before = c[0].call("getValidators", json!([h - 1])).await.unwrap();
        let after = c[0].call("getValidators", json!([h])).await.unwrap();
        let has = |set: &serde_json::Value, i: usize| {
            set.as_array()
                .unwrap()
                .iter()
                .any(|v| v["publicKey"] == json!(key(i).public_key().to_string()))
        };
        assert!(has(&before, 3) && !has(&before, 4));
        assert!(!has(&after, 3) && has(&after, 4));
        println!("checked: getValidators shows the old set at {} and the new set from {h} (commits {})", h - 1, h + 1);

        wait_height(&c[0], h + 2, WAIT, "blocks under the new set").await;
        println!("injected: kill -9 of validator 0 and of the removed validator 3");
        net.kill(0);
        net.kill(3);
        // Under the old set only 2 of 4 would remain; under the new set 3 of 4 do.
        let now = height(&c[1]).await.unwrap();
        wait_height(&c[1], now + 3, WAIT, "new set (1, 2, 4) keeps committing").await;
        let low = assert_same_chain(&[c[1].clone(), c[2].clone(), c[4].clone()]).await;
        let b = c[1].call("getBlockByNumber", json!([low])).await.unwrap();
        let signers: Vec<String> = b["certificate"]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["validator"].as_str().unwrap().to_string())
            .collect();
        assert!(signers.contains(&key(4).public_key().to_string()));
        println!("checked: nodes 1, 2 and 4 (the new validator, signing certificates) committed to height {low} without 0 and 3");
    });
}

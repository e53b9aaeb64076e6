//! WebSocket subscriptions: a committed block and its module events reach a subscriber.

mod common;

use std::time::{Duration, Instant};

use common::{raw, TestNode};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use weft_api::ws::WsConfig;
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::Keypair;

async fn send<S>(ws: &mut S, message: Value)
where
    S: futures_util::Sink<awc::ws::Message> + Unpin,
    S::Error: std::fmt::Debug,
{
    ws.send(awc::ws::Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

async fn next_json<S, E>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<awc::ws::Frame, E>> + Unpin,
    E: std::fmt::Debug,
{
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no WebSocket message within 20 s")
            .expect("socket closed")
            .expect("protocol error");
        match frame {
            awc::ws::Frame::Text(bytes) => return serde_json::from_slice(&bytes).unwrap(),
            awc::ws::Frame::Close(reason) => panic!("closed: {reason:?}"),
            _ => continue,
        }
    }
}

#[actix_web::test]
async fn new_blocks_and_events_are_delivered() {
    let node = TestNode::start().await;
    let (_response, mut ws) = awc::Client::new()
        .ws(format!("{}/ws", node.base))
        .connect()
        .await
        .unwrap();

    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "newBlocks", "transactionHashes": true}})).await;
    let blocks_id = next_json(&mut ws).await["result"].clone();
    assert!(blocks_id.is_string());
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 2, "method": "subscribe", "params": [{"topic": "events", "module": "governance"}]})).await;
    let events_id = next_json(&mut ws).await["result"].clone();
    assert_ne!(events_id, blocks_id);
    // Bad subscriptions are errors, not disconnects.
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 3, "method": "subscribe", "params": {"topic": "gossip"}}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["error"]["code"], json!(-32602));
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 4, "method": "subscribe"}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["error"]["code"], json!(-32602));
    // Ordinary methods work over the socket too, malformed text gets a parse error.
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 5, "method": "getBlockNumber"}),
    )
    .await;
    assert!(next_json(&mut ws).await["result"].is_u64());
    ws.send(awc::ws::Message::Text("{oops".into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], json!(-32700));

    let tx = node.sign(
        &node.admin,
        0,
        governance::call(GovernanceCall::SetConfig {
            key: "mode".into(),
            value: "fast".into(),
        }),
    );
    let hash = node.call("sendTransaction", json!([raw(&tx)])).await;

    let (mut saw_block, mut saw_event) = (false, false);
    while !(saw_block && saw_event) {
        let message = next_json(&mut ws).await;
        assert_eq!(message["method"], json!("subscription"), "{message}");
        let result = &message["params"]["result"];
        let subscription = &message["params"]["subscription"];
        if *subscription == blocks_id {
            assert!(
                result["hash"].is_string() && result["height"].is_u64(),
                "{result}"
            );
            if result["transactions"].as_array().unwrap().contains(&hash) {
                assert_eq!(result["transactionCount"], json!(1));
                let block = node
                    .call("getBlockByNumber", json!([result["height"]]))
                    .await;
                assert_eq!(block["hash"], result["hash"]);
                saw_block = true;
            }
        } else {
            assert_eq!(*subscription, events_id);
            assert_eq!(result["module"], json!("governance"));
            if result["txHash"] == hash && result["kind"] == json!("config_set") {
                assert_eq!(
                    result["attributes"],
                    json!([["key", "mode"], ["value", "fast"]])
                );
                saw_event = true;
            }
        }
    }

    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 6, "method": "unsubscribe", "params": [blocks_id]}),
    )
    .await;
    loop {
        let message = next_json(&mut ws).await;
        if message["id"] == json!(6) {
            assert_eq!(message["result"], json!(true));
            break;
        }
    }
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 7, "method": "unsubscribe", "params": ["0xffff"]}),
    )
    .await;
    loop {
        let message = next_json(&mut ws).await;
        if message["id"] == json!(7) {
            assert_eq!(message["result"], json!(false));
            break;
        }
    }
    // One subscription is left (events); the cap is 64 per connection.
    for n in 0..64u64 {
        let id = 100 + n;
        send(
            &mut ws,
            json!({"jsonrpc": "2.0", "id": id, "method": "subscribe", "params": ["newBlocks"]}),
        )
        .await;
        let answer = loop {
            let message = next_json(&mut ws).await;
            if message["id"] == json!(id) {
                break message;
            }
        };
        if n < 63 {
            assert!(answer["result"].is_string(), "{answer}");
        } else {
            assert_eq!(answer["error"]["code"], json!(-32602), "{answer}");
        }
    }
    node.shutdown().await;
}

#[actix_web::test]
async fn a_stalled_subscriber_neither_slows_the_node_nor_silently_misses_blocks() {
    let node = TestNode::start_with_ws(WsConfig {
        send_timeout: Duration::from_millis(300),
    })
    .await;
    let (_response, mut ws) = awc::Client::new()
        .ws(format!("{}/ws", node.base))
        .max_frame_size(64 << 20)
        .connect()
        .await
        .unwrap();
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topic": "newBlocks", "transactionHashes": true}})).await;
    assert!(next_json(&mut ws).await["result"].is_string());

    // The subscriber now stops reading while the node commits enough blocks to fill every buffer
    // between them (each notification lists its transaction hashes).
    // Fresh senders per request (each sender's transactions in one request).
    const SENDERS: usize = 250;
    const CHUNKS: usize = 80;
    let started = Instant::now();
    let mut last = Value::Null;
    for _ in 0..CHUNKS {
        let senders: Vec<Keypair> = (0..SENDERS).map(|_| Keypair::generate()).collect();
        let raws: Vec<String> = (0..1000)
            .map(|i| raw(&node.noop(&senders[i % SENDERS], (i / SENDERS) as u64)))
            .collect();
        let results = node.call("sendTransactions", json!([raws])).await;
        let accepted = results
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["hash"].is_string())
            .count();
        assert_eq!(accepted, 1000, "first result: {}", results[0]);
        last = results[999]["hash"].clone();
    }
    let last_height = node.wait_receipt(&last).await["height"].as_u64().unwrap();
    let elapsed = started.elapsed();
    println!(
        "{} txs committed in {:.2} s with a stalled subscriber attached",
        CHUNKS * 1000,
        elapsed.as_secs_f64()
    );
    assert!(
        elapsed < Duration::from_secs(60),
        "a stalled subscriber must not slow the node"
    );

    // Reading again: the subscriber either got every block, in order and without gaps, or was
    // closed with a reason. It never silently misses blocks.
    let mut previous: Option<u64> = None;
    let outcome = loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("subscriber stuck");
        match frame {
            Some(Ok(awc::ws::Frame::Text(bytes))) => {
                let message: Value = serde_json::from_slice(&bytes).unwrap();
                let height = message["params"]["result"]["height"].as_u64().unwrap();
                if let Some(previous) = previous {
                    assert_eq!(height, previous + 1, "a block notification went missing");
                }
                previous = Some(height);
                if height >= last_height {
                    break "received every block".to_string();
                }
            }
            Some(Ok(awc::ws::Frame::Close(reason))) => {
                let reason = reason.expect("close frame carries a reason");
                assert_eq!(reason.code, awc::ws::CloseCode::Policy);
                let description = reason.description.unwrap_or_default();
                assert!(
                    description.contains("not reading") || description.contains("too slow"),
                    "{description}"
                );
                break format!("closed by the node: {description}");
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    };
    println!(
        "stalled subscriber: {outcome} (last notified height {previous:?}, chain at {last_height})"
    );
    node.shutdown().await;
}

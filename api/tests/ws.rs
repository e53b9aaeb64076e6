//! WebSocket subscriptions: a committed block and its module events reach a subscriber.

mod common;

use std::time::Duration;

use common::{raw, TestNode};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use weft_chain::governance::{self, GovernanceCall};

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
    node.shutdown().await;
}

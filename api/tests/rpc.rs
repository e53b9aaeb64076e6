//! JSON-RPC over HTTP: every method, batches, and the error codes for malformed input.

mod common;

use common::{raw, TestNode};
use serde_json::{json, Value};
use weft_chain::governance::{self, GovernanceCall, GovernanceQuery};
use weft_chain::{Address, Keypair, StateProof};

fn error_code(response: &Value) -> i64 {
    response
        .pointer("/error/code")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("no error in {response}"))
}

#[actix_web::test]
async fn every_method_through_http() {
    let node = TestNode::start().await;

    // Nothing committed by us yet.
    let start_height = node
        .call("getBlockNumber", json!([]))
        .await
        .as_u64()
        .unwrap();
    assert_eq!(node.nonce(&node.admin).await, 0);

    // sendTransaction: the admin sets a config value (passes at once with a 1-member committee).
    let set = GovernanceCall::SetConfig {
        key: "greeting".into(),
        value: "hello".into(),
    };
    let tx = node.sign(&node.admin, 0, governance::call(set));
    let hash = node.call("sendTransaction", json!([raw(&tx)])).await;
    assert_eq!(hash, json!(tx.hash()));
    let status = node.call("getTransactionStatus", json!([hash])).await;
    assert!(
        matches!(status["status"].as_str(), Some("pending" | "committed")),
        "{status}"
    );
    assert_eq!(
        node.nonce(&node.admin).await,
        1,
        "pool-pending nonce counts"
    );

    let receipt = node.wait_receipt(&hash).await;
    assert_eq!(receipt["tx_hash"], hash);
    assert_eq!(receipt["status"], json!("Success"), "{receipt}");
    let height = receipt["height"].as_u64().unwrap();
    assert!(height > start_height);
    assert_eq!(
        node.call("getTransactionStatus", json!({"hash": hash}))
            .await,
        json!({"status": "committed", "height": height})
    );

    // getTransactionByHash
    let record = node.call("getTransactionByHash", json!([hash])).await;
    assert_eq!(record["height"], json!(height));
    assert_eq!(record["index"], receipt["index"]);
    assert_eq!(record["transaction"]["hash"], hash);

    // getBlockByNumber (by number and "latest"), getBlockByHash, with and without transactions.
    let block = node.call("getBlockByNumber", json!([height])).await;
    assert_eq!(block["header"]["height"], json!(height));
    assert_eq!(block["transactions"], json!([hash]));
    assert_eq!(record["blockHash"], block["hash"]);
    let full = node
        .call(
            "getBlockByHash",
            json!({"hash": block["hash"], "includeTransactions": true}),
        )
        .await;
    assert_eq!(full["hash"], block["hash"]);
    assert_eq!(full["transactions"][0]["hash"], hash);
    let latest = node.call("getBlockByNumber", json!(["latest"])).await;
    assert!(latest["header"]["height"].as_u64().unwrap() >= height);
    assert_eq!(
        node.call("getBlockByNumber", json!([u64::MAX])).await,
        Value::Null
    );
    let unknown = weft_chain::Hash::sha256(b"no such block");
    assert_eq!(
        node.call("getBlockByHash", json!([unknown])).await,
        Value::Null
    );
    assert_eq!(
        node.call("getTransactionReceipt", json!([unknown])).await,
        Value::Null
    );
    assert_eq!(
        node.call("getTransactionByHash", json!([unknown])).await,
        Value::Null
    );
    assert_eq!(
        node.call("getTransactionStatus", json!([unknown])).await,
        json!({"status": "unknown"})
    );

    // call: governance queries, positional and named.
    let (method, args) = governance::query_args(&GovernanceQuery::Committee);
    let result = node.call("call", json!({"module": "governance", "method": method, "args": format!("0x{}", hex::encode(&args))})).await;
    let bytes = hex::decode(result["result"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let committee: Vec<Address> = borsh::from_slice(&bytes).unwrap();
    assert_eq!(committee, vec![node.admin.address()]);
    let (method, args) = governance::query_args(&GovernanceQuery::Config {
        key: "greeting".into(),
    });
    let result = node
        .call(
            "call",
            json!([
                "governance",
                method,
                format!("0x{}", hex::encode(&args)),
                height
            ]),
        )
        .await;
    let bytes = hex::decode(result["result"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    assert_eq!(
        borsh::from_slice::<Option<String>>(&bytes).unwrap(),
        Some("hello".into())
    );

    // getStateProof: the proof verifies against the header it carries, and that header is the chain's.
    let key = format!("0x{}", hex::encode(governance::config_key("greeting")));
    let proof: StateProof = serde_json::from_value(
        node.call(
            "getStateProof",
            json!({"module": "governance", "key": key, "height": height}),
        )
        .await,
    )
    .unwrap();
    proof.verify().unwrap();
    assert_eq!(proof.height, height);
    assert_eq!(json!(proof.header.hash()), block["hash"]);
    assert!(proof.value.is_some());
    let absent_key = format!("0x{}", hex::encode(governance::config_key("nothing")));
    let absent: StateProof = serde_json::from_value(
        node.call("getStateProof", json!(["governance", absent_key]))
            .await,
    )
    .unwrap();
    absent.verify().unwrap();
    assert_eq!(absent.value, None);
    let mut forged = proof.clone();
    forged.value = Some(b"forged".to_vec());
    assert!(
        forged.verify().is_err(),
        "a proof must not verify a different value"
    );

    // getValidators, getSyncStatus
    let validators = node.call("getValidators", json!([])).await;
    assert_eq!(validators.as_array().unwrap().len(), 1);
    assert_eq!(validators[0]["power"], json!(1));
    let sync = node.call("getSyncStatus", json!([])).await;
    assert_eq!(sync["chainId"], json!("weft-local"));
    assert!(sync["latestHeight"].as_u64().unwrap() >= height);
    assert_eq!(sync["syncing"], json!(false));

    // sendTransactions: per-item results, decoding failures inline.
    let sender = Keypair::generate();
    let a = node.noop(&sender, 0);
    let b = node.noop(&sender, 1);
    let results = node
        .call(
            "sendTransactions",
            json!([[raw(&a), "0xzz", raw(&b), raw(&a)]]),
        )
        .await;
    assert_eq!(results[0], json!({"hash": a.hash()}));
    assert_eq!(results[1]["error"]["code"], json!(-32602));
    assert_eq!(results[2], json!({"hash": b.hash()}));
    assert_eq!(
        results[3]["error"]["code"],
        json!(-32000),
        "duplicate rejected: {}",
        results[3]
    );
    node.wait_receipt(&json!(b.hash())).await;
    assert_eq!(node.nonce(&sender).await, 2);

    node.shutdown().await;
}

#[actix_web::test]
async fn batches_answer_in_order_and_group_submissions() {
    let node = TestNode::start().await;
    let sender = Keypair::generate();
    let t0 = node.noop(&sender, 0);
    let t1 = node.noop(&sender, 1);
    let body = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": [raw(&t0)]},
        {"jsonrpc": "2.0", "id": "two", "method": "getBlockNumber"},
        {"jsonrpc": "2.0", "method": "getBlockNumber"},
        {"jsonrpc": "2.0", "id": 3, "method": "sendTransaction", "params": {"transaction": raw(&t1)}},
        {"jsonrpc": "2.0", "id": 4, "method": "sendTransaction", "params": ["0x00"]},
        {"jsonrpc": "2.0", "id": 5, "method": "noSuchMethod"},
        7,
    ]);
    let response = node.post_json(body.to_string()).await;
    let items = response.as_array().unwrap();
    assert_eq!(
        items.len(),
        6,
        "the notification gets no answer: {response}"
    );
    assert_eq!(
        items[0],
        json!({"jsonrpc": "2.0", "id": 1, "result": t0.hash()})
    );
    assert_eq!(items[1]["id"], json!("two"));
    assert!(items[1]["result"].is_u64());
    assert_eq!(
        items[2],
        json!({"jsonrpc": "2.0", "id": 3, "result": t1.hash()})
    );
    assert_eq!(
        (items[3]["id"].clone(), error_code(&items[3])),
        (json!(4), -32602)
    );
    assert_eq!(
        (items[4]["id"].clone(), error_code(&items[4])),
        (json!(5), -32601)
    );
    assert_eq!(
        (items[5]["id"].clone(), error_code(&items[5])),
        (Value::Null, -32600)
    );

    // A batch of notifications only: no content.
    let (status, text) = node
        .post_raw(json!([{"jsonrpc": "2.0", "method": "getBlockNumber"}]).to_string())
        .await;
    assert_eq!((status, text.as_str()), (204, ""));
    node.wait_receipt(&json!(t1.hash())).await;
    node.shutdown().await;
}

#[actix_web::test]
async fn malformed_requests_get_the_right_codes() {
    let node = TestNode::start().await;
    let cases: &[(&str, i64)] = &[
        ("{not json", -32700),
        ("", -32700),
        ("[]", -32600),
        ("{}", -32600),
        ("42", -32600),
        (
            r#"{"jsonrpc": "1.0", "id": 1, "method": "getBlockNumber"}"#,
            -32600,
        ),
        (r#"{"jsonrpc": "2.0", "id": 1, "method": 5}"#, -32600),
        (
            r#"{"jsonrpc": "2.0", "id": {}, "method": "getBlockNumber"}"#,
            -32600,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": 3}"#,
            -32600,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "extra": 3}"#,
            -32600,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockNumbr"}"#,
            -32601,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": [1]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockByNumber", "params": ["seven"]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockByNumber", "params": [-1]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockByNumber", "params": []}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getBlockByHash", "params": ["0x1234"]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getTransactionReceipt", "params": {"hsh": "0x00"}}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": ["deadbeef"]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": ["0xdeadbeef"]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": [12]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getNonce", "params": ["0x12"]}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "call", "params": {"module": "governance"}}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "call", "params": {"module": "nope", "method": "x", "args": "0x"}}"#,
            -32001,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "call", "params": {"module": "governance", "method": "committee", "args": "0xff"}}"#,
            -32001,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "call", "params": {"module": "governance", "method": "committee", "args": "0x00", "height": 999999}}"#,
            -32002,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getStateProof", "params": {"module": "governance", "key": "0x00", "height": 999999}}"#,
            -32002,
        ),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "getValidators", "params": [999999]}"#,
            -32002,
        ),
    ];
    for (body, code) in cases {
        let response = node.post_json(*body).await;
        assert_eq!(error_code(&response), *code, "{body} -> {response}");
        assert!(response.get("result").is_none());
        assert_eq!(response["jsonrpc"], json!("2.0"));
    }
    // Parse errors and unidentifiable requests answer with id null; others keep their id.
    assert_eq!(node.post_json("{not json").await["id"], Value::Null);
    assert_eq!(
        node.post_json(r#"{"jsonrpc": "2.0", "id": "x", "method": "nope"}"#)
            .await["id"],
        json!("x")
    );

    // Oversized batch and oversized body.
    let big_batch = Value::Array(vec![
        json!({"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber"});
        10_001
    ]);
    assert_eq!(
        error_code(&node.post_json(big_batch.to_string()).await),
        -32600
    );
    let (status, text) = node
        .post_raw(format!("[\"{}\"]", "a".repeat(9 * 1024 * 1024)))
        .await;
    assert_eq!(status, 413);
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error_code(&answer), -32600, "{answer}");
    assert_eq!(answer["jsonrpc"], json!("2.0"));
    assert_eq!(answer["id"], Value::Null);
    assert_eq!(answer["error"]["data"]["limit"], json!(8 * 1024 * 1024));
    assert!(answer.get("result").is_none());
    // The same answer, with its content type, for a body without a Content-Length (chunked)
    // that grows past the limit.
    let chunks = (0..9)
        .map(|_| Ok::<_, std::io::Error>(actix_web::web::Bytes::from(vec![b' '; 1024 * 1024])));
    let mut response = awc::Client::new()
        .post(format!("{}/rpc", node.base))
        .insert_header(("content-type", "application/json"))
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/json"
    );
    let answer: Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    assert_eq!(error_code(&answer), -32600, "{answer}");
    assert_eq!(answer["id"], Value::Null);

    // The server is still serving.
    node.call("getBlockNumber", json!([])).await;
    node.shutdown().await;
}

#[actix_web::test]
async fn rejected_transactions_carry_code_and_reason() {
    let node = TestNode::start().await;
    let sender = Keypair::generate();
    let send = |tx: String| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": [tx]}).to_string()
    };

    // Bad signature: a valid transaction with one signature byte flipped.
    let mut tampered = node.noop(&sender, 0);
    tampered.signature.0[0] ^= 1;
    let response = node.post_json(send(raw(&tampered))).await;
    assert_eq!(error_code(&response), -32000);
    assert_eq!(response["error"]["data"]["code"], json!(4), "{response}");
    assert!(response["error"]["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("signature"));

    // Wrong chain id.
    let mut other = node.noop(&sender, 0);
    other.tx.chain_id = "other-chain".into();
    let other = other.tx.sign(&sender);
    let response = node.post_json(send(raw(&other))).await;
    assert_eq!(response["error"]["data"]["code"], json!(3), "{response}");

    // Duplicate, then nonce reuse with a different transaction.
    let good = node.noop(&sender, 0);
    node.call("sendTransaction", json!([raw(&good)])).await;
    let response = node.post_json(send(raw(&good))).await;
    assert_eq!(response["error"]["data"]["code"], json!(7), "{response}");
    node.wait_receipt(&json!(good.hash())).await;
    let reuse = node.sign(
        &sender,
        0,
        governance::call(GovernanceCall::SetConfig {
            key: "k".into(),
            value: "v".into(),
        }),
    );
    let response = node.post_json(send(raw(&reuse))).await;
    assert_eq!(response["error"]["data"]["code"], json!(5), "{response}");

    // Nonce too far ahead.
    let far = node.noop(&sender, 10_000);
    let response = node.post_json(send(raw(&far))).await;
    assert_eq!(response["error"]["data"]["code"], json!(6), "{response}");

    // A non-member's SetConfig is accepted but fails in execution (receipt status Failed).
    let stranger = node.sign(
        &sender,
        1,
        governance::call(GovernanceCall::SetConfig {
            key: "k".into(),
            value: "v".into(),
        }),
    );
    let hash = node.call("sendTransaction", json!([raw(&stranger)])).await;
    let receipt = node.wait_receipt(&hash).await;
    assert_eq!(receipt["status"], json!("Failed"), "{receipt}");
    assert_eq!(receipt["error"]["kind"], "unauthorized", "{receipt}");
    assert!(receipt["error"]["message"].is_string(), "{receipt}");
    node.shutdown().await;
}

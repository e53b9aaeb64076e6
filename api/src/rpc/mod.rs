//! JSON-RPC 2.0 over `POST /rpc`: request and response framing, batches, and the route group.
//!
//! [`handle_body`] is the whole protocol: it takes the raw body and returns the response body (or
//! nothing, when every request was a notification). It never panics on input; anything malformed
//! becomes a JSON-RPC error. Method semantics live in [`methods`], error codes in [`error`].
//!
//! Batches are answered element by element, in order, except that every `sendTransaction` in a
//! batch is submitted together through `Node::submit_batch` (one batch signature check, one fsync).

pub mod error;
pub mod methods;
mod params;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};
use weft_chain::{Node, SignedTransaction};

pub use error::{code, RpcError};
pub use params::Params;

/// Limits applied to `POST /rpc`.
#[derive(Debug, Clone, Copy)]
pub struct RpcLimits {
    /// Largest accepted body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted batch (number of request objects).
    pub max_batch: usize,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            max_batch: 10_000,
        }
    }
}

/// Registers `POST /rpc` on an actix service config. Needs `web::Data<Arc<Node>>` in app data.
pub fn routes(limits: RpcLimits) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(limits)).service(
            web::resource("/rpc")
                .app_data(web::PayloadConfig::new(limits.max_body_bytes))
                .route(web::post().to(rpc_endpoint)),
        );
    }
}

async fn rpc_endpoint(
    node: web::Data<Arc<Node>>,
    limits: web::Data<RpcLimits>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    let node = node.get_ref().clone();
    let limits = *limits.get_ref();
    // Node calls touch the disk (submission is durable before it is acknowledged): keep them off
    // the async workers.
    let response = web::block(move || handle_body(&node, &body, limits)).await?;
    Ok(match response {
        Some(value) => HttpResponse::Ok()
            .content_type("application/json")
            .body(value.to_string()),
        None => HttpResponse::NoContent().finish(),
    })
}

/// A request that passed framing checks.
#[derive(Debug)]
struct Request {
    /// `None` for a notification (no `id` member): executed, never answered.
    id: Option<Value>,
    method: String,
    params: Option<Value>,
}

/// Handles one `POST /rpc` body. Returns `None` when nothing must be sent back.
pub fn handle_body(node: &Node, body: &[u8], limits: RpcLimits) -> Option<Value> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => return Some(error_response(Value::Null, RpcError::parse_error(err))),
    };
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Some(error_response(
                    Value::Null,
                    RpcError::invalid_request("empty batch"),
                ));
            }
            if items.len() > limits.max_batch {
                let detail = format!(
                    "batch of {} exceeds the limit of {}",
                    items.len(),
                    limits.max_batch
                );
                return Some(error_response(
                    Value::Null,
                    RpcError::invalid_request(detail),
                ));
            }
            let responses = handle_batch(node, items);
            (!responses.is_empty()).then_some(Value::Array(responses))
        }
        single => match parse_request(single) {
            Ok(request) => {
                let result =
                    methods::dispatch(node, &request.method, Params::new(request.params.as_ref()));
                request.id.map(|id| response(id, result))
            }
            Err((id, err)) => Some(error_response(id, err)),
        },
    }
}

fn handle_batch(node: &Node, items: Vec<Value>) -> Vec<Value> {
    let requests: Vec<Result<Request, (Value, RpcError)>> =
        items.into_iter().map(parse_request).collect();

    // Decode every sendTransaction up front and submit them as one batch.
    let mut outcomes: Vec<Option<Result<Value, RpcError>>> =
        requests.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, SignedTransaction)> = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        if let Ok(request) = request {
            if request.method == methods::SEND_TRANSACTION {
                match methods::decode_send_transaction(Params::new(request.params.as_ref())) {
                    Ok(tx) => pending.push((index, tx)),
                    Err(err) => outcomes[index] = Some(Err(err)),
                }
            }
        }
    }
    if !pending.is_empty() {
        let (indices, txs): (Vec<usize>, Vec<SignedTransaction>) = pending.into_iter().unzip();
        let results = node.submit_batch(txs);
        for (index, result) in indices.into_iter().zip(results) {
            outcomes[index] = Some(
                result
                    .map(|hash| json!(hash))
                    .map_err(|r| methods::rejection_error(&r)),
            );
        }
    }

    let mut responses = Vec::new();
    for (request, outcome) in requests.into_iter().zip(outcomes) {
        match request {
            Ok(request) => {
                let result = match outcome {
                    Some(result) => result,
                    None => methods::dispatch(
                        node,
                        &request.method,
                        Params::new(request.params.as_ref()),
                    ),
                };
                if let Some(id) = request.id {
                    responses.push(response(id, result));
                }
            }
            Err((id, err)) => responses.push(error_response(id, err)),
        }
    }
    responses
}

/// Checks the JSON-RPC 2.0 framing of one request object. On failure returns the id to answer
/// with (the request's own id when it is a valid one, else `null`) and the error.
fn parse_request(value: Value) -> Result<Request, (Value, RpcError)> {
    let Value::Object(mut object) = value else {
        return Err((
            Value::Null,
            RpcError::invalid_request("a request must be a JSON object"),
        ));
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id),
        Some(_) => {
            return Err((
                Value::Null,
                RpcError::invalid_request("id must be a string, a number or null"),
            ))
        }
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err((
            answer_id,
            RpcError::invalid_request(r#"jsonrpc must be "2.0""#),
        ));
    }
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => {
            return Err((
                answer_id,
                RpcError::invalid_request("method must be a string"),
            ))
        }
    };
    let params = match object.remove("params") {
        None => None,
        Some(params @ (Value::Array(_) | Value::Object(_))) => Some(params),
        Some(_) => {
            return Err((
                answer_id,
                RpcError::invalid_request("params must be an array or an object"),
            ))
        }
    };
    if let Some(extra) = object.keys().find(|key| key.as_str() != "jsonrpc") {
        return Err((
            answer_id,
            RpcError::invalid_request(format!("unexpected member {extra:?}")),
        ));
    }
    Ok(Request { id, method, params })
}

fn response(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => {
            let mut object = Map::with_capacity(3);
            object.insert("jsonrpc".into(), "2.0".into());
            object.insert("id".into(), id);
            object.insert("result".into(), result);
            Value::Object(object)
        }
        Err(err) => error_response(id, err),
    }
}

fn error_response(id: Value, err: RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": err })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use proptest::prelude::*;
    use serde_json::{json, Value};
    use weft_chain::{Genesis, Keypair, ModuleRegistry, Node, NodeConfig};

    use super::{code, handle_body, methods::METHODS, RpcLimits};

    /// One node (no validator) shared by every case.
    fn node() -> &'static Arc<Node> {
        static NODE: OnceLock<(tempfile::TempDir, Arc<Node>)> = OnceLock::new();
        &NODE
            .get_or_init(|| {
                let dir = tempfile::tempdir().unwrap();
                let admin = Keypair::generate();
                let genesis = Genesis::single_validator(
                    "weft-test",
                    &Keypair::generate(),
                    vec![admin.address()],
                );
                let config = NodeConfig {
                    data_dir: dir.path().to_path_buf(),
                    ..NodeConfig::default()
                };
                let node = Node::open(config, genesis, ModuleRegistry::with_defaults()).unwrap();
                (dir, node)
            })
            .1
    }

    const CODES: &[i64] = &[
        code::PARSE_ERROR,
        code::INVALID_REQUEST,
        code::METHOD_NOT_FOUND,
        code::INVALID_PARAMS,
        code::INTERNAL_ERROR,
        code::TX_REJECTED,
        code::CALL_FAILED,
        code::NOT_AVAILABLE,
    ];

    /// A well-formed response object: version, the expected id, exactly one of result/error.
    fn assert_response(response: &Value, id: Option<&Value>) {
        assert_eq!(response["jsonrpc"], json!("2.0"), "{response}");
        if let Some(id) = id {
            assert_eq!(&response["id"], id);
        }
        let has_result = response.get("result").is_some();
        let error = response.get("error");
        assert!(has_result != error.is_some(), "{response}");
        if let Some(error) = error {
            let code = error["code"].as_i64().unwrap();
            assert!(CODES.contains(&code), "unknown code in {response}");
            assert!(error["message"].is_string());
            // Internal details never leak.
            assert_ne!(code, code::INTERNAL_ERROR, "{response}");
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            "[ -~]{0,12}".prop_map(Value::from),
            "0x[0-9a-f]{0,80}".prop_map(Value::from),
            Just(json!("latest")),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn method() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(METHODS).prop_map(str::to_string),
            Just("subscribe".to_string()),
            "[a-zA-Z]{0,16}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
            if let Some(response) = handle_body(node(), &body, RpcLimits::default()) {
                match &response {
                    Value::Array(items) => items.iter().for_each(|r| assert_response(r, None)),
                    single => assert_response(single, None),
                }
            }
        }

        #[test]
        fn arbitrary_requests_get_well_formed_answers(
            method in method(),
            params in json_value(),
            id in prop::option::of(prop_oneof![any::<u32>().prop_map(Value::from), "[a-z]{0,6}".prop_map(Value::from)]),
        ) {
            let mut request = json!({"jsonrpc": "2.0", "method": method, "params": params});
            if let Some(id) = &id {
                request["id"] = id.clone();
            }
            let body = request.to_string();
            let response = handle_body(node(), body.as_bytes(), RpcLimits::default());
            match (&id, &response) {
                (Some(id), Some(response)) => assert_response(response, Some(id)),
                (None, None) => {}
                // A notification is answered only when the request itself is invalid.
                (None, Some(response)) => prop_assert_eq!(response["error"]["code"].as_i64(), Some(code::INVALID_REQUEST)),
                (Some(_), None) => prop_assert!(false, "a request with an id went unanswered"),
            }
            // The same request inside a batch gets the same answer.
            let batched = handle_body(node(), format!("[{body}]").as_bytes(), RpcLimits::default());
            prop_assert_eq!(batched.map(|b| b[0].clone()), response);
        }
    }
}

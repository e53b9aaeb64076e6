//! JSON-RPC 2.0 over `POST /rpc`: request and response framing, batches, and the route group.
//!
//! [`handle_body`] is the whole protocol: it takes the raw body and returns the response body (or
//! nothing, when every request was a notification). It never panics on input; anything malformed
//! becomes a JSON-RPC error. Method semantics live in [`methods`], error codes in [`error`].
//!
//! Batches are answered element by element, in order, except that every `sendTransaction` in a
//! batch is submitted together through `Node::submit_batch` (one parallel signature check, one fsync).
//! A batch's response is kept within [`RpcLimits::max_response_bytes`]: reads past the budget are
//! answered with an error asking to split the batch; submissions are always answered.

pub mod error;
pub mod methods;
mod params;

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
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
    /// Largest batch response, in bytes of JSON. Once reached, further read results in the
    /// batch are replaced by an error asking to split it (submissions are always answered).
    pub max_response_bytes: usize,
}

impl Default for RpcLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            max_batch: 10_000,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Registers `POST /rpc` on an actix service config. Needs `web::Data<Arc<Node>>` in app data.
pub fn routes(limits: RpcLimits) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(limits))
            .service(web::resource("/rpc").route(web::post().to(rpc_endpoint)));
    }
}

async fn rpc_endpoint(
    req: HttpRequest,
    node: web::Data<Arc<Node>>,
    limits: web::Data<RpcLimits>,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let node = node.get_ref().clone();
    let limits = *limits.get_ref();
    let body = match read_body(&req, payload, limits.max_body_bytes).await {
        Ok(body) => body,
        Err(answer) => return Ok(answer),
    };
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

/// Reads the body up to `max` bytes. A larger body (by its `Content-Length`, or once more than
/// `max` bytes have arrived) is answered, without reading the rest, with HTTP 413 and a JSON-RPC
/// error object: code -32600 (invalid request), id `null`, `data.limit` = `max`. A body that
/// breaks off is answered with -32700 (parse error) and HTTP 400.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    max: usize,
) -> Result<web::Bytes, HttpResponse> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        let mut err = RpcError::invalid_request(format!("body exceeds {max} bytes"));
        err.data = Some(json!({ "limit": max }));
        json_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            error_response(Value::Null, err),
        )
    };
    if declared.is_some_and(|len| len > max as u64) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| {
            json_answer(
                StatusCode::BAD_REQUEST,
                error_response(Value::Null, RpcError::parse_error(err)),
            )
        })?;
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A JSON answer with `status`.
fn json_answer(status: StatusCode, value: Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(value.to_string())
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
            let responses = handle_batch(node, items, limits.max_response_bytes);
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

/// The length of `value`'s JSON text, without building it.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

fn handle_batch(node: &Node, items: Vec<Value>, max_response_bytes: usize) -> Vec<Value> {
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

    // Each element is bounded (by block and transaction limits) but a batch of many large reads
    // is not: keep the whole response within `max_response_bytes`.
    let mut responses = Vec::new();
    let mut size = 0usize;
    for (request, outcome) in requests.into_iter().zip(outcomes) {
        match request {
            Ok(request) => {
                let submitted = outcome.is_some();
                let result = match outcome {
                    Some(result) => result,
                    None if size >= max_response_bytes => Err(too_large(max_response_bytes)),
                    None => methods::dispatch(
                        node,
                        &request.method,
                        Params::new(request.params.as_ref()),
                    ),
                };
                if let Some(id) = request.id {
                    let mut answer = response(id.clone(), result);
                    let mut len = json_len(&answer);
                    // A submission's outcome is always reported: the client must learn it.
                    if !submitted && size.saturating_add(len) > max_response_bytes {
                        answer = error_response(id, too_large(max_response_bytes));
                        len = json_len(&answer);
                    }
                    size = size.saturating_add(len);
                    responses.push(answer);
                }
            }
            Err((id, err)) => {
                let answer = error_response(id, err);
                size = size.saturating_add(json_len(&answer));
                responses.push(answer);
            }
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

fn too_large(max: usize) -> RpcError {
    RpcError::invalid_request(format!(
        "batch response would exceed {max} bytes; split the batch"
    ))
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

    #[test]
    fn batch_responses_stay_within_the_byte_budget() {
        let read = json!({"jsonrpc": "2.0", "id": 1, "method": "getBlockByNumber",
            "params": [0, true]});
        let one = handle_body(node(), read.to_string().as_bytes(), RpcLimits::default())
            .unwrap()
            .to_string()
            .len();
        let limits = RpcLimits {
            max_response_bytes: 10 * one,
            ..RpcLimits::default()
        };
        let mut batch: Vec<Value> = (0..100)
            .map(|i| {
                let mut r = read.clone();
                r["id"] = json!(i);
                r
            })
            .collect();
        // A submission at the end is answered with its own outcome, never the budget error.
        batch.push(
            json!({"jsonrpc": "2.0", "id": "tx", "method": "sendTransaction",
            "params": ["0x00"]}),
        );
        let body = Value::Array(batch).to_string();
        let Some(Value::Array(answers)) = handle_body(node(), body.as_bytes(), limits) else {
            panic!("expected a batch answer");
        };
        assert_eq!(answers.len(), 101);
        answers.iter().for_each(|a| assert_response(a, None));
        // Full answers fill the budget; the rest are short errors.
        let (full, short): (Vec<&Value>, Vec<&Value>) =
            answers.iter().partition(|a| a.get("result").is_some());
        let full_bytes: usize = full.iter().map(|a| a.to_string().len()).sum();
        assert!(
            full_bytes <= limits.max_response_bytes,
            "{full_bytes} bytes"
        );
        assert!(
            (9..=10).contains(&full.len()),
            "{} full answers",
            full.len()
        );
        assert!(short.iter().all(|a| a.to_string().len() < 200));
        assert_eq!(answers[99]["error"]["code"], json!(code::INVALID_REQUEST));
        assert_eq!(answers[99]["id"], json!(99));
        assert_eq!(answers[100]["id"], json!("tx"));
        assert_eq!(answers[100]["error"]["code"], json!(code::INVALID_PARAMS));
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

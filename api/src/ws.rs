//! WebSocket subscriptions at `GET /ws`: new blocks and module events, as JSON-RPC notifications.
//!
//! A client sends JSON-RPC requests over the socket:
//! - `subscribe` with `{"topic": "newBlocks", "transactionHashes"?: bool}` or
//!   `{"topic": "events", "module"?: "governance"}` answers with a subscription id;
//! - `unsubscribe` with `[id]` answers `true` or `false`;
//! - any other method is served exactly as on `POST /rpc`.
//!
//! Notifications look like
//! `{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"0x1","result":{..}}}`.
//!
//! **Invariant:** a subscriber never slows the node. Each connection reads committed blocks from a
//! bounded broadcast channel; a connection that falls more than the channel's capacity behind, or
//! whose client stops reading for [`WsConfig::send_timeout`], is closed with a reason instead of
//! buffering.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::{self, error::RecvError};
use weft_chain::{CommittedBlock, Node};

use crate::rpc::{self, Params, RpcError, RpcLimits};

/// Subscription endpoint settings.
#[derive(Debug, Clone, Copy)]
pub struct WsConfig {
    /// How long a notification may wait for a client that does not read before the client is
    /// dropped.
    pub send_timeout: Duration,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// Most subscriptions one connection may hold.
const MAX_SUBSCRIPTIONS: usize = 64;

/// Largest accepted WebSocket message from a client.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Registers `GET /ws`. Needs `web::Data<Arc<Node>>` in app data.
pub fn routes(config: WsConfig) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(config))
            .route("/ws", web::get().to(ws_endpoint));
    }
}

async fn ws_endpoint(
    req: HttpRequest,
    body: web::Payload,
    node: web::Data<Arc<Node>>,
    config: web::Data<WsConfig>,
) -> Result<HttpResponse, actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES);
    actix_web::rt::spawn(
        Connection::new(node.get_ref().clone(), *config.get_ref()).run(session, stream),
    );
    Ok(response)
}

/// What a subscription delivers.
#[derive(Debug, Clone, PartialEq)]
enum Topic {
    NewBlocks { transaction_hashes: bool },
    Events { module: Option<String> },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubscribeParams {
    topic: String,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    transaction_hashes: bool,
}

struct Connection {
    node: Arc<Node>,
    config: WsConfig,
    subscriptions: Vec<(String, Topic)>,
    next_id: u64,
    blocks: Option<broadcast::Receiver<Arc<CommittedBlock>>>,
}

/// Why a connection loop ended.
enum End {
    /// The client closed or the transport failed: nothing more to send.
    Gone,
    /// Close the socket with this reason.
    Close(CloseReason),
}

impl Connection {
    fn new(node: Arc<Node>, config: WsConfig) -> Self {
        Self {
            node,
            config,
            subscriptions: Vec::new(),
            next_id: 1,
            blocks: None,
        }
    }

    async fn run(mut self, mut session: Session, mut stream: actix_ws::AggregatedMessageStream) {
        let end = loop {
            let step = tokio::select! {
                message = stream.recv() => self.on_message(&mut session, message).await,
                block = next_block(&mut self.blocks) => self.on_block(&mut session, block).await,
            };
            if let Err(end) = step {
                break end;
            }
        };
        if let End::Close(reason) = end {
            tracing::debug!(?reason, "closing WebSocket subscriber");
            // The close frame queues behind unsent notifications; do not wait on a dead reader.
            let _ =
                tokio::time::timeout(self.config.send_timeout, session.close(Some(reason))).await;
        }
    }

    async fn on_message(
        &mut self,
        session: &mut Session,
        message: Option<Result<AggregatedMessage, actix_ws::ProtocolError>>,
    ) -> Result<(), End> {
        match message {
            None | Some(Ok(AggregatedMessage::Close(_))) => {
                Err(End::Close(CloseCode::Normal.into()))
            }
            Some(Err(err)) => Err(End::Close(CloseReason {
                code: CloseCode::Protocol,
                description: Some(err.to_string()),
            })),
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                session.pong(&bytes).await.map_err(|_| End::Gone)
            }
            Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
            Some(Ok(AggregatedMessage::Binary(_))) => {
                let reply = json!({"jsonrpc": "2.0", "id": null,
                    "error": RpcError::invalid_request("send JSON-RPC requests as text messages")});
                send(session, reply.to_string(), self.config.send_timeout).await
            }
            Some(Ok(AggregatedMessage::Text(text))) => match self.on_request(text.as_bytes()).await
            {
                Some(reply) => send(session, reply.to_string(), self.config.send_timeout).await,
                None => Ok(()),
            },
        }
    }

    /// Answers one text message: `subscribe`/`unsubscribe` here, anything else as on `/rpc`.
    async fn on_request(&mut self, text: &[u8]) -> Option<Value> {
        let parsed: Option<Value> = serde_json::from_slice(text).ok();
        let method = parsed
            .as_ref()
            .and_then(|v| v.get("method"))
            .and_then(Value::as_str);
        match (method, &parsed) {
            (Some(method @ ("subscribe" | "unsubscribe")), Some(request))
                if request.get("jsonrpc") == Some(&json!("2.0")) =>
            {
                let id = request.get("id").cloned();
                let params = request
                    .get("params")
                    .filter(|p| p.is_array() || p.is_object());
                let result = if method == "subscribe" {
                    self.subscribe(Params::new(params))
                } else {
                    self.unsubscribe(Params::new(params))
                };
                let id = id?;
                Some(match result {
                    Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    Err(err) => json!({"jsonrpc": "2.0", "id": id, "error": err}),
                })
            }
            _ => {
                let node = self.node.clone();
                let body = text.to_vec();
                web::block(move || rpc::handle_body(&node, &body, RpcLimits::default()))
                    .await
                    .unwrap_or_else(|err| {
                        Some(
                            json!({"jsonrpc": "2.0", "id": null, "error": RpcError::internal(err)}),
                        )
                    })
            }
        }
    }

    fn subscribe(&mut self, params: Params<'_>) -> Result<Value, RpcError> {
        let parse = |value: &Value| {
            SubscribeParams::deserialize(value)
                .map_err(|err| RpcError::invalid_params(format!("subscribe: {err}")))
        };
        let spec = match params.raw() {
            Some(object @ Value::Object(_)) => parse(object)?,
            Some(Value::Array(items)) => match items.as_slice() {
                [Value::String(topic)] => SubscribeParams {
                    topic: topic.clone(),
                    module: None,
                    transaction_hashes: false,
                },
                [object @ Value::Object(_)] => parse(object)?,
                _ => {
                    return Err(RpcError::invalid_params(
                        "expected [topic] or [{topic, ..}]",
                    ))
                }
            },
            _ => return Err(RpcError::invalid_params("missing parameter \"topic\"")),
        };
        let topic = match spec.topic.as_str() {
            "newBlocks" => Topic::NewBlocks {
                transaction_hashes: spec.transaction_hashes,
            },
            "events" => Topic::Events {
                module: spec.module,
            },
            other => return Err(RpcError::invalid_params(format!("unknown topic {other:?}"))),
        };
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(RpcError::invalid_params(format!(
                "at most {MAX_SUBSCRIPTIONS} subscriptions per connection"
            )));
        }
        if self.blocks.is_none() {
            self.blocks = Some(self.node.subscribe());
        }
        let id = format!("0x{:x}", self.next_id);
        self.next_id += 1;
        self.subscriptions.push((id.clone(), topic));
        Ok(json!(id))
    }

    fn unsubscribe(&mut self, params: Params<'_>) -> Result<Value, RpcError> {
        params.expect_only(&["subscription"])?;
        let id: String = params.required(0, "subscription")?;
        let before = self.subscriptions.len();
        self.subscriptions.retain(|(sub, _)| *sub != id);
        if self.subscriptions.is_empty() {
            self.blocks = None;
        }
        Ok(json!(self.subscriptions.len() != before))
    }

    async fn on_block(
        &mut self,
        session: &mut Session,
        block: Result<Arc<CommittedBlock>, RecvError>,
    ) -> Result<(), End> {
        let block = match block {
            Ok(block) => block,
            Err(RecvError::Lagged(missed)) => {
                return Err(End::Close(CloseReason {
                    code: CloseCode::Policy,
                    description: Some(format!("subscriber too slow: missed {missed} blocks")),
                }))
            }
            Err(RecvError::Closed) => {
                return Err(End::Close(CloseReason {
                    code: CloseCode::Away,
                    description: Some("node shutting down".into()),
                }))
            }
        };
        for (id, topic) in &self.subscriptions {
            for result in notifications(&block, topic) {
                let message = json!({
                    "jsonrpc": "2.0",
                    "method": "subscription",
                    "params": { "subscription": id, "result": result },
                });
                send(session, message.to_string(), self.config.send_timeout).await?;
            }
        }
        Ok(())
    }
}

async fn next_block(
    blocks: &mut Option<broadcast::Receiver<Arc<CommittedBlock>>>,
) -> Result<Arc<CommittedBlock>, RecvError> {
    match blocks {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn send(session: &mut Session, text: String, timeout: Duration) -> Result<(), End> {
    match tokio::time::timeout(timeout, session.text(text)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_closed)) => Err(End::Gone),
        Err(_elapsed) => Err(End::Close(CloseReason {
            code: CloseCode::Policy,
            description: Some("subscriber not reading".into()),
        })),
    }
}

/// The notification payloads one committed block produces for one subscription.
fn notifications(committed: &CommittedBlock, topic: &Topic) -> Vec<Value> {
    let block = &committed.block;
    let block_hash = block.header.hash();
    match topic {
        Topic::NewBlocks { transaction_hashes } => {
            let mut header = serde_json::to_value(&block.header).unwrap_or(Value::Null);
            if let Value::Object(object) = &mut header {
                object.insert("hash".into(), json!(block_hash));
                object.insert("transactionCount".into(), json!(block.transactions.len()));
                if *transaction_hashes {
                    let hashes = committed
                        .receipts
                        .iter()
                        .map(|r| json!(r.tx_hash))
                        .collect();
                    object.insert("transactions".into(), Value::Array(hashes));
                }
            }
            vec![header]
        }
        Topic::Events { module } => committed
            .receipts
            .iter()
            .flat_map(|receipt| {
                receipt
                    .events
                    .iter()
                    .filter(|event| module.as_ref().is_none_or(|m| *m == event.module))
                    .map(move |event| {
                        json!({
                            "height": block.header.height,
                            "blockHash": block_hash,
                            "txHash": receipt.tx_hash,
                            "txIndex": receipt.index,
                            "module": event.module,
                            "kind": event.kind,
                            "attributes": event.attributes,
                        })
                    })
            })
            .collect(),
    }
}

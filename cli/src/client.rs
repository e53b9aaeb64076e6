//! A small JSON-RPC client over `awc`, used by the CLI and the load generator.
//!
//! `awc` clients are not `Send`: use them inside one actix/tokio local runtime.

use std::time::Duration;

use serde_json::{json, Value};

/// Failures calling a node.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP request failed (connection refused, timeout, ...).
    #[error("request to {url} failed: {detail}")]
    Transport {
        /// The endpoint.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The node answered with a non-success HTTP status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The response was not a JSON-RPC response.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The node returned a JSON-RPC error.
    #[error("node error {code}: {message}{}", data.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rpc {
        /// The JSON-RPC error code.
        code: i64,
        /// The error message.
        message: String,
        /// The error data, if any.
        data: Option<Value>,
    },
}

/// A JSON-RPC endpoint (`<base>/rpc`).
#[derive(Clone)]
pub struct RpcClient {
    http: awc::Client,
    url: String,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient").field("url", &self.url).finish()
    }
}

/// Largest response body the client accepts.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

impl RpcClient {
    /// A client for the node at `base` (`http://host:port`; a trailing `/rpc` is accepted).
    pub fn new(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        let url = if base.ends_with("/rpc") {
            base.to_string()
        } else {
            format!("{base}/rpc")
        };
        let http = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .disable_redirects()
            .finish();
        Self { http, url }
    }

    /// The `/rpc` URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `ws://` URL of the node's subscription endpoint.
    pub fn ws_url(&self) -> String {
        let base = self.url.trim_end_matches("/rpc");
        let base = base
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{base}/ws")
    }

    /// Calls `method` and returns its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self.post(&request).await?;
        into_result(response)
    }

    /// Posts any JSON body (a request or a batch) and returns the decoded response body.
    pub async fn post(&self, body: &Value) -> Result<Value, ClientError> {
        let transport = |detail: String| ClientError::Transport {
            url: self.url.clone(),
            detail,
        };
        let mut response = self
            .http
            .post(&self.url)
            .insert_header(("content-type", "application/json"))
            .send_body(body.to_string())
            .await
            .map_err(|err| transport(err.to_string()))?;
        let status = response.status();
        let bytes = response
            .body()
            .limit(MAX_RESPONSE_BYTES)
            .await
            .map_err(|err| transport(err.to_string()))?;
        if status == awc::http::StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        if !status.is_success() {
            return Err(ClientError::Status {
                url: self.url.clone(),
                status: status.as_u16(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|err| ClientError::Malformed(err.to_string()))
    }
}

/// Extracts `result` from a JSON-RPC response object, or its error.
pub fn into_result(mut response: Value) -> Result<Value, ClientError> {
    if let Some(error) = response.get_mut("error").map(Value::take) {
        return Err(ClientError::Rpc {
            code: error
                .get("code")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            data: error.get("data").cloned(),
        });
    }
    response
        .get_mut("result")
        .map(Value::take)
        .ok_or_else(|| ClientError::Malformed("neither result nor error".into()))
}

/// A failed receipt's error as one line: `message (code)`; the status when it has none.
pub fn receipt_error(receipt: &Value) -> String {
    let error = &receipt["error"];
    match (error["message"].as_str(), error["code"].as_str()) {
        (Some(message), Some(code)) => format!("{message} ({code})"),
        (Some(message), None) => message.to_string(),
        _ => receipt["status"].as_str().unwrap_or("failed").to_string(),
    }
}

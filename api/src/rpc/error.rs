//! The one table of JSON-RPC error codes, and the error type every method returns.
//!
//! | code   | name               | when                                                            |
//! |--------|--------------------|-----------------------------------------------------------------|
//! | -32700 | parse error        | the body is not JSON                                            |
//! | -32600 | invalid request    | not a JSON-RPC 2.0 request object, empty or oversized batch,    |
//! |        |                    | oversized body (HTTP 413, id `null`, `data` = `{limit}`)        |
//! | -32601 | method not found   | unknown method name                                             |
//! | -32602 | invalid params     | missing, extra or mistyped parameter; undecodable transaction   |
//! | -32603 | internal error     | storage or node failure (details are logged, never sent)        |
//! | -32000 | transaction rejected | the node refused a transaction; `data` = `{code, reason}`     |
//! | -32001 | call failed        | a read-only module call failed; `data` = `{reason}`             |
//! | -32002 | not available      | the requested height or state is not (or no longer) available   |
//!
//! Codes -32000..=-32099 are the "server error" range the JSON-RPC 2.0 specification reserves for
//! implementations; ours are allocated from the top of it.

use serde::Serialize;
use serde_json::Value;

/// JSON-RPC error codes. Every code the server sends is a constant here.
pub mod code {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The node rejected a transaction (bad signature, nonce, pool full, ...).
    pub const TX_REJECTED: i64 = -32000;
    /// A read-only module call failed.
    pub const CALL_FAILED: i64 = -32001;
    /// The requested height or state is not available.
    pub const NOT_AVAILABLE: i64 = -32002;
}

/// An error as sent in a JSON-RPC response's `error` member.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("JSON-RPC error {code}: {message}")]
pub struct RpcError {
    /// One of the constants in [`code`].
    pub code: i64,
    /// A short human-readable description.
    pub message: String,
    /// Structured details, when the code defines them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// -32700: the body is not JSON.
    pub fn parse_error(detail: impl std::fmt::Display) -> Self {
        Self::new(code::PARSE_ERROR, format!("parse error: {detail}"))
    }

    /// -32600: not a valid request object.
    pub fn invalid_request(detail: impl std::fmt::Display) -> Self {
        Self::new(code::INVALID_REQUEST, format!("invalid request: {detail}"))
    }

    /// -32601: no such method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            code::METHOD_NOT_FOUND,
            format!("method not found: {method}"),
        )
    }

    /// -32602: bad parameters.
    pub fn invalid_params(detail: impl std::fmt::Display) -> Self {
        Self::new(code::INVALID_PARAMS, format!("invalid params: {detail}"))
    }

    /// -32603: an internal failure. The detail is logged here and not sent to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error while serving JSON-RPC");
        Self::new(code::INTERNAL_ERROR, "internal error")
    }

    /// -32000: the node rejected a transaction; `data` carries the rejection's code and reason.
    pub fn tx_rejected(rejection_code: i32, reason: impl std::fmt::Display) -> Self {
        let reason = reason.to_string();
        Self {
            code: code::TX_REJECTED,
            message: format!("transaction rejected: {reason}"),
            data: Some(serde_json::json!({ "code": rejection_code, "reason": reason })),
        }
    }

    /// -32001: a read-only call failed.
    pub fn call_failed(reason: impl std::fmt::Display) -> Self {
        let reason = reason.to_string();
        Self {
            code: code::CALL_FAILED,
            message: format!("call failed: {reason}"),
            data: Some(serde_json::json!({ "reason": reason })),
        }
    }

    /// -32002: the height or state asked for is not available.
    pub fn not_available(detail: impl std::fmt::Display) -> Self {
        Self::new(code::NOT_AVAILABLE, format!("not available: {detail}"))
    }
}

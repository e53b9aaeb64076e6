//! `weft-api`: the HTTP layer of a Weft node — JSON-RPC, WebSocket subscriptions, the REST
//! platform API and the web UI — over the service layer (`weft-service`), plus the `weft` binary
//! (`main.rs`, with node composition in `compose/`; the client subcommands are `weft-cli`).
//!
//! This is the only crate that knows actix-web, HTTP status codes, problem+json and JSON-RPC
//! error codes. Handlers are thin: parse, check the caller, call the service layer, map its
//! [`weft_service::ServiceError`] through the one table in [`problem`].
//!
//! Node interface:
//! - [`rpc`]: JSON-RPC 2.0 at `POST /rpc` (framing, batches, the one error-code table, methods).
//! - [`ws`]: subscriptions at `GET /ws` (new blocks, module events) that never slow the node.
//! - [`server`]: the [`server::AppBuilder`] of route groups and [`server::serve`] on a bound listener.
//!
//! Platform API (`docs/api.md`):
//! - [`rest`]: REST under `/api/v1`, OpenAPI and Swagger UI, health and metrics endpoints;
//!   [`rest::configure`] registers them and [`rest::ApiState`] (the service context plus HTTP
//!   state) is the shared state.
//! - [`problem`]: RFC 9457 problem+json errors, the one table of REST error codes, the body
//!   extractor, and the `From<ServiceError>` table.
//! - [`auth`]: the bearer-token extractor ([`auth::Principal`]). [`rate_limit`]: per-IP/per-token
//!   buckets. [`metrics`]: Prometheus + request log.
//! - [`schema`]: OpenAPI mirrors of the service types the REST API returns.
//! - [`ui`]: the web UI (server-rendered pages at `/`, assets at `/assets/`).
//! - [`testkit`]: one harness that starts a whole platform node in-process (tests, demos).
//!
//! **Invariants:** no request, however malformed, panics the server: every failure is a JSON-RPC
//! error or a problem document. Internal errors are logged and answered with a generic message.
//! Secret keys, tokens and the master secret are never printed (except a new token, once, to its
//! creator), logged or returned. `anyhow` is used only by the binary (`main.rs`, `compose/`).

pub mod auth;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod rest;
pub mod rpc;
pub mod schema;
pub mod server;
pub mod testkit;
pub mod ui;
pub mod ws;

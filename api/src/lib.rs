//! `weft-api`: the Weft node's network interface, the platform API and the `weft` command-line tool.
//!
//! This crate composes the ledger core (`weft-chain`) with actix-web and sqlx. It is the only crate
//! that knows HTTP and SQL; the chain crate knows nothing of JSON-RPC, REST or WebSockets.
//!
//! Node interface:
//! - [`rpc`]: JSON-RPC 2.0 at `POST /rpc` (framing, batches, the one error-code table, methods).
//! - [`ws`]: subscriptions at `GET /ws` (new blocks, module events) that never slow the node.
//! - [`server`]: the [`server::AppBuilder`] of route groups and [`server::serve`] on a bound listener.
//!
//! Platform API (`docs/api.md`):
//! - [`rest`]: REST under `/api/v1`, OpenAPI and Swagger UI, health and metrics endpoints;
//!   [`rest::configure`] registers them and [`rest::ApiState`] is the shared state.
//! - [`problem`]: RFC 9457 problem+json errors, the one table of REST error codes, the body extractor.
//! - [`auth`]: bearer tokens (stored hashed), tenants, roles. [`rate_limit`]: per-IP/per-token buckets.
//! - [`store`]: the off-chain store (sqlx, SQLite or PostgreSQL, embedded migrations).
//! - [`keystore`]: custodied keys under the master secret; [`keyfile`]: the CLI's encrypted key files.
//! - [`chain_client`]: submit to the node and wait for receipts. [`metrics`]: Prometheus + request log.
//! - [`credentials`]: the credential verifier's chain ledger (cached) and challenge store, and the
//!   issuer-side status-list and evidence-anchoring services.
//! - [`modules`]: the on-chain modules every node runs (governance, `weft-did`, `weft-mpc`).
//! - [`platform`]: start-up (master key, store, first-start admin token and operator key).
//! - [`ui`]: the web UI (server-rendered pages at `/`, assets at `/assets/`).
//!
//! Tools: [`node_home`] (the data directory layout), [`client`] (a small JSON-RPC client), [`cli`]
//! (the `weft` subcommands), [`bench`](mod@bench) (`weft bench chain`), [`bench_did`] (`weft bench did`),
//! [`bench_vc`] (`weft bench vc`).
//!
//! **Invariants:** no request, however malformed, panics the server: every failure is a JSON-RPC
//! error or a problem document. Internal errors are logged and answered with a generic message.
//! Secret keys, tokens and the master secret are never printed (except a new token, once, to its
//! creator), logged or returned; key files are created with mode 0600.
//! `anyhow` is used only by [`cli`], [`bench`](mod@bench) and `main`; the library layers use `thiserror`.

pub mod auth;
pub mod bench;
pub mod bench_did;
pub mod bench_vc;
pub mod chain_client;
pub mod cli;
pub mod client;
pub mod credentials;
pub mod keyfile;
pub mod keystore;
pub mod metrics;
pub mod modules;
pub mod node_home;
pub mod platform;
pub mod problem;
pub mod rate_limit;
pub mod rest;
pub mod rpc;
pub mod server;
pub mod store;
pub mod ui;
pub mod ws;

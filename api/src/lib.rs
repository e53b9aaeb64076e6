//! `weft-api`: the Weft node's network interface and the `weft` command-line tool.
//!
//! This crate composes the ledger core (`weft-chain`) with actix-web. It is the only crate that
//! knows HTTP; the chain crate knows nothing of JSON-RPC or WebSockets.
//!
//! - [`rpc`]: JSON-RPC 2.0 at `POST /rpc` (framing, batches, the one error-code table, methods).
//! - [`ws`]: subscriptions at `GET /ws` (new blocks, module events) that never slow the node.
//! - [`server`]: the [`server::AppBuilder`] of route groups and [`server::serve`] on a bound listener.
//! - [`node_home`]: the data directory layout (`genesis.json`, `keys/`, `chain/`).
//! - [`client`]: a small JSON-RPC client (`awc`) for the CLI and the load generator.
//! - [`ui`]: the web UI (server-rendered pages at `/`, assets at `/assets/`).
//! - [`cli`]: the `weft` subcommands; [`bench`]: `weft bench chain`.
//!
//! **Invariants:** no request, however malformed, panics the server: every failure is a JSON-RPC
//! error. Internal errors are logged and answered with a generic message. Secret keys are never
//! printed or logged; key files are created with mode 0600.
//! `anyhow` is used only by [`cli`], [`bench`] and `main`; the library layers use `thiserror`.

pub mod auth;
pub mod bench;
pub mod chain_client;
pub mod cli;
pub mod client;
pub mod keyfile;
pub mod keystore;
pub mod metrics;
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

//! `weft-service`: the platform's service layer — everything a Weft node does for its tenants
//! that is not HTTP.
//!
//! It sits on the libraries (`weft-chain`, `weft-did`, `weft-mpc`) and under the HTTP layer
//! (`weft-api`) and the `weft` CLI. **Architecture invariant:** this crate depends on neither
//! actix nor utoipa; the compiler enforces that HTTP stays above it.
//!
//! - [`context`]: the [`Context`] every service function takes (node, store, keystore, chain
//!   client, credential services) and tenant key opening.
//! - [`error`]: [`ServiceError`], one typed failure with a stable code per kind.
//! - [`store`]: the off-chain store (sqlx, SQLite or PostgreSQL, embedded migrations).
//! - [`keystore`]: custodied keys sealed under the master secret; [`keyfile`]: the CLI's
//!   encrypted key files; [`node_home`]: the data directory layout.
//! - [`auth`]: tokens (stored hashed), tenants, roles, [`auth::Principal`].
//! - [`chain_client`]: submit to the node, wait for receipts, and turn a failed receipt into a
//!   typed refusal ([`chain_client::settled`]).
//! - [`credentials`]: the verifier's cached chain ledger and challenges, status lists and
//!   evidence anchoring for issuers.
//! - [`governance`]: the organisation's voice in the consortium: committee, validators,
//!   proposals; propose and vote with the operator account.
//! - [`org`]: the organisation a node serves — its `did:weft` and the `WeftNode` endpoint by
//!   which partners find it.
//! - [`modules`]: the on-chain modules every node runs. [`platform`]: start-up (master key,
//!   store, first-start admin token and operator key).

pub mod auth;
pub mod chain_client;
pub mod context;
pub mod credentials;
pub mod error;
pub mod governance;
pub mod keyfile;
pub mod keystore;
pub mod modules;
pub mod node_home;
pub mod org;
pub mod platform;
pub mod store;

pub use context::Context;
pub use error::ServiceError;

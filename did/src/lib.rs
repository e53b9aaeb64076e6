//! `weft-did`: decentralised identifiers, issuer governance, claim schemas (CPTs), verifiable
//! credentials and presentations, status lists, evidence anchoring and QR envelopes.
//!
//! Depends on `weft-chain` (to provide its on-chain modules through the module interface) and
//! `weft-zk` (predicate proofs). It never talks HTTP or SQL: the service layer (`weft-service`)
//! and the HTTP layer (`weft-api`) sit above it.
//! Module execution is deterministic: no clock, randomness or IO (schema validation included —
//! external `$ref`s are refused, never fetched).
//!
//! # Map
//!
//! - [`did`]: DID syntax (`did:weft:<chain-id>:0x<40 hex>`, `did:key`). [`multikey`]: Ed25519
//!   `publicKeyMultibase`.
//! - [`document`]: the on-chain document ([`DidState`]), update operations, DID Core JSON.
//! - [`registry`]: the `did` module (create / update / deactivate, versioned storage, resolution
//!   by version or time in O(log n) reads). [`proof`]: verifying a document against a header.
//!   [`resolution`]: DID Resolution metadata.
//! - [`issuer`]: the `issuer` module (authority-issuer applications — recognition is a governance
//!   grant — and issuer types).
//! - [`cpt`]: the `cpt` module (JSON Schema draft 2020-12 registry). [`canonical`]: canonical JSON.
//! - [`status`]: the `status` module (Bitstring Status Lists on chain, owner-only writes,
//!   revocation final) and the list encoding, entries and checks. [`evidence`]: the `evidence`
//!   module (Merkle roots of credential-hash batches, signer-only revocation) and the tree.
//!   [`status_proof`]: a status bit proved against a certified header (light verification).
//! - [`credential`]: verifiable credentials: Data Integrity `eddsa-jcs-2022` proofs
//!   ([`credential::data_integrity`]), VC 2.0 issuance and parsing ([`credential::vc`]),
//!   presentations ([`credential::presentation`]) and the verifier with its per-check report and
//!   ledger cache ([`credential::verify`]); standard credentials: the data model
//!   ([`credential::model`]), the verification policy ([`credential::policy`]), typed VC API
//!   requests ([`credential::request`]) and status list credentials
//!   ([`credential::status_list`]); SD-JWT ([`credential::sd_jwt`]), predicate proofs over
//!   committed claims ([`credential::predicate`]), the on-chain credential check used by
//!   credential-gated polls ([`credential::onchain`]) and the compact offline form
//!   ([`credential::compact`], `WEFTC1:`).
//! - [`qr`]: QR envelopes (`WEFT1:` + base45(deflate(CBOR))), rendering and image decoding.
//! - `METHOD.md` (next to this crate's `Cargo.toml`) is the `did:weft` method specification.
//!
//! Module names (`did`, `issuer`, `cpt`, `status`, `evidence`) are state namespaces.

pub mod canonical;
pub mod cpt;
pub mod credential;
pub mod did;
pub mod document;
mod error;
pub mod evidence;
pub mod issuer;
pub mod multikey;
pub mod proof;
pub mod qr;
pub mod registry;
pub mod resolution;
pub mod status;
pub mod status_proof;

use std::sync::Arc;

use weft_chain::Module;

pub use did::Did;
pub use document::{DidState, Relationships, Service, UpdateOp};
pub use error::DidError;

/// The on-chain modules of this crate, for the node's registry.
pub fn modules() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(registry::DidRegistry),
        Arc::new(issuer::IssuerRegistry),
        Arc::new(cpt::CptRegistry),
        Arc::new(status::StatusRegistry),
        Arc::new(evidence::EvidenceRegistry),
    ]
}

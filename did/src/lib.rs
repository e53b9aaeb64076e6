//! `weft-did`: decentralised identifiers, issuer governance, claim schemas (CPTs),
//! verifiable credentials and presentations, status lists, evidence and QR envelopes.
//!
//! Depends on `weft-chain` (to provide its on-chain modules through the module
//! interface) and `weft-zk` (predicate proofs). It must never talk HTTP or SQL:
//! those belong to `weft-api`.
//!
//! Nothing is implemented yet; the DID/CPT and credential issues fill this crate.

//! `weft-mpc`: private set intersection, anonymous voting, secure aggregation and
//! FHE jobs.
//!
//! Depends on `weft-chain` (for its on-chain modules, via the module interface
//! only) and `weft-zk` (proofs, threshold ElGamal, membership circuits). It must
//! never talk HTTP or SQL: those belong to `weft-api`.
//!
//! Nothing is implemented yet; the PSI and voting issues fill this crate.

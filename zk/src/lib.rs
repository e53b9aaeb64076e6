//! `weft-zk`: the proof systems Weft's credentials and voting stand on.
//!
//! (Module map to be completed as the modules land.)
//!
//! Ristretto255 side (Bulletproofs, sigma protocols, threshold ElGamal):
//! see `transcript`, `range`, `sigma`, `elgamal`, `dkg`, `dlog`.
//!
//! BN254 side (Groth16 membership circuit): `membership` — Poseidon (BN254 `Fr`, t = 4, x^5,
//! 8 + 56 rounds), a sparse Poseidon Merkle tree, the R1CS circuit (root, nullifier, scope,
//! signal public), typed Groth16 setup (single-party, or a multi-party powers-of-tau + delta ceremony),
//! prove/verify/batch-verify, and canonical encodings.
//! Notes: `zk/docs/notes-membership.md`.
//!
//! **Invariant:** this crate does no IO and knows nothing of the chain.

// -- ristretto255 side --

// -- BN254 / Groth16 side --

pub mod membership;

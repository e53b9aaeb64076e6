//! `weft-zk`: the proof systems Weft's credentials and voting stand on.
//!
//! (Module map to be completed as the modules land.)
//!
//! Ristretto255 side (Bulletproofs, sigma protocols, threshold ElGamal):
//! see `transcript`, `range`, `sigma`, `elgamal`, `dkg`, `dlog`.
//!
//! BN254 side (Groth16 membership circuit): see `membership`.
//!
//! **Invariant:** this crate does no IO and knows nothing of the chain.

// -- ristretto255 side --

// -- BN254 / Groth16 side --

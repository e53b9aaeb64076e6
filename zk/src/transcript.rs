//! Every Fiat-Shamir transcript of the ristretto255 side starts here.
//!
//! A transcript is `Transcript::new(PROTOCOL)`, then a versioned domain separator naming the
//! proof, then the caller's [`Context`] (poll id, credential id, verifier challenge), then the
//! full public statement, and only then the prover's messages and the challenges. This module
//! lists every label; no other module invents one.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;

/// The merlin protocol label shared by all ristretto255 proofs of this crate.
pub(crate) const PROTOCOL: &[u8] = b"weft-zk/ristretto255";

/// Versioned domain separators, one per proof kind. Changing a proof's transcript means a new
/// version here.
pub(crate) mod ds {
    /// Schnorr proof of knowledge of a discrete logarithm.
    pub const SCHNORR: &[u8] = b"weft/zk/schnorr/v1";
    /// Chaum-Pedersen proof of equality of discrete logarithms.
    pub const DLEQ: &[u8] = b"weft/zk/dleq/v1";
    /// Disjunctive proof that an ElGamal ciphertext encrypts one of k public values.
    pub const ONE_OF: &[u8] = b"weft/zk/elgamal-one-of/v1";
    /// Proof that a vector of ciphertexts sums to a public value.
    pub const SUM_EQUALS: &[u8] = b"weft/zk/elgamal-sum-equals/v1";
    /// Proof that a vector of ciphertexts sums to a value of a public set.
    pub const SUM_IN_SET: &[u8] = b"weft/zk/elgamal-sum-in-set/v1";
    /// Single n-bit range proof.
    pub const RANGE: &[u8] = b"weft/zk/range/v1";
    /// Aggregated n-bit range proof for m commitments.
    pub const RANGE_AGGREGATED: &[u8] = b"weft/zk/range-aggregated/v1";
    /// Proof that a committed value lies in `[a, b]`.
    pub const RANGE_INTERVAL: &[u8] = b"weft/zk/range-interval/v1";
    /// DKG proof of possession of a participant's constant term.
    pub const DKG_POP: &[u8] = b"weft/zk/dkg-pop/v1";
    /// DLEQ proof attached to a threshold decryption share.
    pub const DECRYPTION_SHARE: &[u8] = b"weft/zk/decryption-share/v1";
}

/// Message labels.
pub(crate) mod label {
    pub const DOMAIN: &[u8] = b"dom-sep";
    pub const CONTEXT: &[u8] = b"context";
    pub const BASE_G: &[u8] = b"G";
    pub const BASE_H: &[u8] = b"H";
    pub const PUBLIC_KEY: &[u8] = b"pk";
    pub const POINT_A: &[u8] = b"A";
    pub const POINT_B: &[u8] = b"B";
    pub const COMMITMENT: &[u8] = b"commitment";
    pub const NONCE_R: &[u8] = b"R";
    pub const NONCE_R1: &[u8] = b"R1";
    pub const NONCE_R2: &[u8] = b"R2";
    pub const CIPHERTEXT_C1: &[u8] = b"c1";
    pub const CIPHERTEXT_C2: &[u8] = b"c2";
    pub const COUNT: &[u8] = b"count";
    pub const ALLOWED: &[u8] = b"allowed";
    pub const VALUE: &[u8] = b"value";
    pub const BITS: &[u8] = b"bits";
    pub const LOWER: &[u8] = b"lower";
    pub const UPPER: &[u8] = b"upper";
    pub const THRESHOLD: &[u8] = b"threshold";
    pub const PARTICIPANTS: &[u8] = b"participants";
    pub const INDEX: &[u8] = b"index";
    pub const CHALLENGE: &[u8] = b"challenge";
}

/// The caller-supplied context bound into every proof: a poll id, a credential id, a
/// verifier's challenge. A proof made under one context never verifies under another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context<'a>(&'a [u8]);

impl<'a> Context<'a> {
    /// Wraps the context bytes. The bytes are absorbed length-prefixed, so distinct byte
    /// strings always give distinct transcripts.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    /// The context bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// Starts a transcript for proof kind `domain` under `context`.
pub(crate) fn new_transcript(domain: &'static [u8], context: &Context<'_>) -> Transcript {
    let mut t = Transcript::new(PROTOCOL);
    t.append_message(label::DOMAIN, domain);
    t.append_message(label::CONTEXT, context.as_bytes());
    t
}

/// Typed absorption and challenge helpers on merlin's transcript.
pub(crate) trait TranscriptExt {
    /// Absorbs a point in its canonical compressed form.
    fn append_point(&mut self, label: &'static [u8], point: &RistrettoPoint);
    /// Absorbs an already compressed point.
    fn append_compressed(&mut self, label: &'static [u8], point: &CompressedRistretto);
    /// Squeezes a uniformly distributed scalar (64 bytes reduced mod l).
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}

impl TranscriptExt for Transcript {
    fn append_point(&mut self, label: &'static [u8], point: &RistrettoPoint) {
        self.append_message(label, point.compress().as_bytes());
    }

    fn append_compressed(&mut self, label: &'static [u8], point: &CompressedRistretto) {
        self.append_message(label, point.as_bytes());
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_and_context_change_the_challenge() {
        let c = |d, ctx: &[u8]| new_transcript(d, &Context::new(ctx)).challenge_scalar(b"x");
        assert_eq!(c(ds::DLEQ, b"poll-1"), c(ds::DLEQ, b"poll-1"));
        assert_ne!(c(ds::DLEQ, b"poll-1"), c(ds::DLEQ, b"poll-2"));
        assert_ne!(c(ds::DLEQ, b"poll-1"), c(ds::SCHNORR, b"poll-1"));
    }
}

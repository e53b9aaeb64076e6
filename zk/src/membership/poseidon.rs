//! Poseidon over BN254's scalar field, and the three domain-separated hashes the
//! membership circuit uses.
//!
//! # Parameters
//!
//! | parameter | value | why |
//! |---|---|---|
//! | field | BN254 `Fr` (254-bit prime) | the Groth16 scalar field |
//! | state width `t` | 4 (rate 3, capacity 1) | the widest input is `(domain, a, b)`: one permutation per hash |
//! | S-box | `x^5` (`alpha = 5`) | smallest `alpha` with `gcd(alpha, p - 1) = 1` for this `p` |
//! | full rounds `R_F` | 8 | Poseidon paper (Grassi et al., USENIX Sec '21), Table 2, 128-bit security, `t = 4` |
//! | partial rounds `R_P` | 56 | same table (`t = 4`, 254-bit prime, `x^5`) |
//! | round constants and MDS | Grain LFSR, `find_poseidon_ark_and_mds(254, 3, 8, 56, 0)` | the paper's reference generation, seeded by the parameters alone |
//!
//! The constants are derived once, deterministically, from the parameters above (nothing
//! else seeds the LFSR), and cached for the life of the process. The frozen test vectors in
//! this module pin them: any change to the parameters changes every root and nullifier, so it
//! must be a new version of the domain tags.
//!
//! # Domain separation
//!
//! Every hash absorbs a domain tag as its first element, followed by a fixed number of inputs:
//!
//! - `leaf = Poseidon(DOMAIN_LEAF, secret)`
//! - `node = Poseidon(DOMAIN_NODE, left, right)`
//! - `nullifier = Poseidon(DOMAIN_NULLIFIER, secret, scope)`
//!
//! The sponge does not pad, so absorbing `(a, b)` and `(a, b, 0)` would collide; this is harmless
//! here because each tag fixes its input length.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::{
    poseidon::{find_poseidon_ark_and_mds, PoseidonConfig, PoseidonSponge},
    CryptographicSponge, FieldBasedCryptographicSponge,
};
use ark_ff::PrimeField;

/// Number of full rounds (`R_F`).
pub const FULL_ROUNDS: usize = 8;
/// Number of partial rounds (`R_P`).
pub const PARTIAL_ROUNDS: usize = 56;
/// S-box exponent.
pub const ALPHA: u64 = 5;
/// Sponge rate (field elements absorbed per permutation).
pub const RATE: usize = 3;
/// Sponge capacity (field elements).
pub const CAPACITY: usize = 1;

/// The Poseidon parameters, generated on first use and cached.
pub(crate) fn config() -> &'static PoseidonConfig<Fr> {
    static CONFIG: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            u64::from(Fr::MODULUS_BIT_SIZE),
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            0,
        );
        PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, CAPACITY)
    })
}

/// The three uses of Poseidon in the membership circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    /// `leaf = H(DOMAIN_LEAF, secret)`.
    Leaf,
    /// `node = H(DOMAIN_NODE, left, right)`.
    Node,
    /// `nullifier = H(DOMAIN_NULLIFIER, secret, scope)`.
    Nullifier,
}

impl Domain {
    /// The ASCII label whose little-endian integer value (mod `p`) is the tag.
    pub(crate) const fn label(self) -> &'static [u8] {
        match self {
            Domain::Leaf => b"weft-zk/membership/leaf/v1",
            Domain::Node => b"weft-zk/membership/node/v1",
            Domain::Nullifier => b"weft-zk/membership/nullifier/v1",
        }
    }

    /// The domain tag as a field element (labels are at most 31 bytes, below `p`, so no reduction occurs).
    pub(crate) fn tag(self) -> Fr {
        Fr::from_le_bytes_mod_order(self.label())
    }
}

/// `Poseidon(domain.tag(), inputs...)`, squeezing one element.
pub(crate) fn hash(domain: Domain, inputs: &[Fr]) -> Fr {
    let mut sponge = PoseidonSponge::new(config());
    sponge.absorb(&domain.tag());
    for input in inputs {
        sponge.absorb(input);
    }
    sponge.squeeze_native_field_elements(1)[0]
}

/// The leaf commitment of a member's secret.
pub(crate) fn leaf(secret: &Fr) -> Fr {
    hash(Domain::Leaf, &[*secret])
}

/// An inner node of the Merkle tree.
pub(crate) fn node(left: &Fr, right: &Fr) -> Fr {
    hash(Domain::Node, &[*left, *right])
}

/// The nullifier of `secret` in `scope`.
pub(crate) fn nullifier(secret: &Fr, scope: &Fr) -> Fr {
    hash(Domain::Nullifier, &[*secret, *scope])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, UniformRand};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn parameters_have_the_documented_shape() {
        let c = config();
        assert_eq!(c.full_rounds, 8);
        assert_eq!(c.partial_rounds, 56);
        assert_eq!(c.alpha, 5);
        assert_eq!(c.rate + c.capacity, 4);
        assert_eq!(c.ark.len(), 64);
        assert!(c.ark.iter().all(|row| row.len() == 4));
        assert_eq!(c.mds.len(), 4);
        assert!(c.mds.iter().all(|row| row.len() == 4));
    }

    #[test]
    fn domain_tags_are_distinct_and_unreduced() {
        let tags = [Domain::Leaf, Domain::Node, Domain::Nullifier].map(Domain::tag);
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[2]);
        assert_ne!(tags[0], tags[2]);
        for d in [Domain::Leaf, Domain::Node, Domain::Nullifier] {
            assert!(d.label().len() <= 31); // < 2^248 < p: no reduction
            let bytes = d.tag().into_bigint().to_bytes_le();
            assert_eq!(&bytes[..d.label().len()], d.label());
        }
    }

    #[test]
    fn domains_separate_equal_inputs() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let a = Fr::rand(&mut rng);
        let b = Fr::rand(&mut rng);
        assert_ne!(node(&a, &b), nullifier(&a, &b));
        assert_ne!(node(&a, &b), node(&b, &a));
        assert_ne!(leaf(&a), leaf(&b));
    }

    #[test]
    fn frozen_vectors() {
        // Pins the parameters, tags and sponge wiring. A change here breaks every deployed
        // eligibility root; bump the domain labels instead.
        let one = Fr::from(1u64);
        let two = Fr::from(2u64);
        let got = [leaf(&one), node(&one, &two), nullifier(&one, &two)]
            .map(|x| x.into_bigint().to_string());
        assert_eq!(got, FROZEN);
    }

    /// `leaf(1)`, `node(1, 2)`, `nullifier(1, 2)` as decimal integers; generated by this
    /// implementation (not cross-checked against another Poseidon instance, whose constants
    /// and domain tags would differ anyway).
    const FROZEN: [&str; 3] = [
        "16194943980426451546582765624237590446685200364323208864813301676832969176095",
        "17716527075960242667434776186661899293285432778014629522151789585181727834858",
        "6485064341740227303273787334487930748484101882317229876576292567741927945088",
    ];
}

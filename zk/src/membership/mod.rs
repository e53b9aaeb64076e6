//! Groth16 (BN254) proof of membership in a Poseidon Merkle tree, with a per-scope nullifier
//! and a public signal bound into the proof.
//!
//! A member holds a [`MembershipSecret`]; its [`LeafCommitment`] is a leaf of the eligibility
//! tree ([`MerkleTree`]). To act in a scope (a poll), the member proves, without revealing
//! which leaf is theirs:
//!
//! - `root = MerkleRoot(leaf(secret), path)`,
//! - `nullifier = Poseidon(DOMAIN_NULLIFIER, secret, scope)`,
//! - and binds a `signal` (the ballot hash) into the proof.
//!
//! Public inputs, in order: `root, nullifier, scope, signal` ([`MembershipStatement`]).
//! See `docs/notes-membership.md` for notation, soundness and the setup's trust model.
//!
//! Entry points: [`MembershipParams::setup_with_rng`] (single party, trusted) or the
//! multi-party ceremony ([`PowersOfTau`], [`Phase2`], [`verify_ceremony_with_rng`]);
//! [`prove_with_rng`], [`verify`], [`batch_verify_with_rng`].

mod circuit;
mod constraints;
mod encoding;
mod error;
mod groth16;
mod poseidon;
mod setup;
mod tree;

use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand, Zero};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use circuit::{constraint_count, MembershipCircuit};
pub use encoding::VERSION as ENCODING_VERSION;
pub use error::{DecodeError, ProveError, SetupError, TreeError, VerificationError};
pub use groth16::{
    batch_verify, batch_verify_with_rng, prove, prove_with_rng, verify, MembershipParams,
    MembershipProof, MembershipProvingKey, MembershipVerifyingKey, PreparedMembershipVerifyingKey,
    ProvingKeyDigest,
};
pub use poseidon::{ALPHA, CAPACITY, FULL_ROUNDS, PARTIAL_ROUNDS, RATE};
pub use setup::{
    verify_ceremony_with_rng, CeremonyError, KnowledgeProof, Phase1Contribution, Phase2,
    Phase2Contribution, PowersOfTau,
};
pub use tree::{MerklePath, MerkleTree, DEFAULT_DEPTH, MAX_DEPTH};

use encoding::{fr_from_bytes, fr_to_bytes, serde_via_bytes};

/// Hash-to-field: `SHA-512(len(dst) as u64 BE || dst || msg)`, read little-endian and reduced
/// mod `r`. The 512-bit digest makes the bias of the reduction below `2^-250`.
fn hash_to_field(dst: &[u8], msg: &[u8]) -> Fr {
    let digest = Sha512::new()
        .chain_update((dst.len() as u64).to_be_bytes())
        .chain_update(dst)
        .chain_update(msg)
        .finalize();
    Fr::from_le_bytes_mod_order(&digest)
}

/// Defines a public field-element newtype with canonical 32-byte encoding and serde.
macro_rules! public_field {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub(crate) Fr);

        impl $name {
            /// Canonical encoding: 32 bytes, little-endian.
            pub fn to_bytes(&self) -> [u8; 32] {
                fr_to_bytes(&self.0)
            }

            /// Decodes a canonical encoding (rejects values `>=` the BN254 scalar modulus).
            pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
                fr_from_bytes(bytes).map(Self)
            }

            /// Like [`Self::from_bytes`], for a slice that must be exactly 32 bytes.
            pub fn try_from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
                let bytes: &[u8; 32] = bytes.try_into().map_err(|_| DecodeError::Malformed)?;
                Self::from_bytes(bytes)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}(0x", stringify!($name))?;
                for b in self.to_bytes().iter().rev() {
                    write!(f, "{b:02x}")?;
                }
                f.write_str(")")
            }
        }

        serde_via_bytes!($name, "32 bytes: a canonical BN254 scalar");
    };
}

public_field!(
    /// A leaf of the eligibility tree: `Poseidon(DOMAIN_LEAF, secret)`.
    LeafCommitment
);
public_field!(
    /// The root of the eligibility tree.
    MerkleRoot
);
public_field!(
    /// `Poseidon(DOMAIN_NULLIFIER, secret, scope)`: the same for every proof by one member in
    /// one scope, unlinkable across scopes.
    Nullifier
);
public_field!(
    /// The context a nullifier is bound to (e.g. a poll id), as a field element.
    Scope
);
public_field!(
    /// The public message bound into a proof (e.g. the ballot hash), as a field element.
    Signal
);

impl Scope {
    /// Domain separation tag of [`Scope::from_context`].
    pub const DST: &'static [u8] = b"weft-zk/membership/scope/v1";

    /// Derives a scope from context bytes (a poll id): `hash_to_field(Scope::DST, context)`.
    pub fn from_context(context: &[u8]) -> Self {
        Self(hash_to_field(Self::DST, context))
    }
}

impl Signal {
    /// Domain separation tag of [`Signal::from_message`].
    pub const DST: &'static [u8] = b"weft-zk/membership/signal/v1";

    /// Derives a signal from message bytes (a ballot hash): `hash_to_field(Signal::DST, msg)`,
    /// where `hash_to_field` is SHA-512 over the length-prefixed tag and the message, reduced
    /// mod the BN254 scalar field order.
    pub fn from_message(message: &[u8]) -> Self {
        Self(hash_to_field(Self::DST, message))
    }
}

/// A member's secret. Zeroized on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MembershipSecret(Fr);

impl MembershipSecret {
    /// A fresh uniformly random secret.
    pub fn random_with_rng(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        loop {
            let s = Fr::rand(rng);
            if !s.is_zero() {
                return Self(s);
            }
        }
    }

    /// A fresh secret from the operating system's RNG.
    pub fn random() -> Self {
        Self::random_with_rng(&mut rand::rngs::OsRng)
    }

    /// Canonical 32-byte encoding (in a buffer zeroized on drop).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(fr_to_bytes(&self.0))
    }

    /// Decodes a canonical encoding; zero is rejected ([`DecodeError::ZeroSecret`]), as
    /// [`MembershipSecret::random`] never returns it.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let secret = fr_from_bytes(bytes)?;
        if secret.is_zero() {
            return Err(DecodeError::ZeroSecret);
        }
        Ok(Self(secret))
    }

    /// This secret's leaf in the eligibility tree.
    pub fn commitment(&self) -> LeafCommitment {
        LeafCommitment(poseidon::leaf(&self.0))
    }

    /// This secret's nullifier in `scope`.
    pub fn nullifier(&self, scope: &Scope) -> Nullifier {
        Nullifier(poseidon::nullifier(&self.0, &scope.0))
    }
}

impl ConstantTimeEq for MembershipSecret {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.to_bytes().ct_eq(&*other.to_bytes())
    }
}

impl core::fmt::Debug for MembershipSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MembershipSecret(<redacted>)")
    }
}

/// The public statement: "some leaf under `root` has a secret whose nullifier in `scope` is
/// `nullifier`, and its holder endorses `signal`".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembershipStatement {
    /// The eligibility tree's root.
    pub root: MerkleRoot,
    /// The member's nullifier in `scope`.
    pub nullifier: Nullifier,
    /// The scope (poll).
    pub scope: Scope,
    /// The bound message (ballot hash).
    pub signal: Signal,
}

impl MembershipStatement {
    /// The Groth16 public inputs, in circuit order.
    pub(crate) fn public_inputs(&self) -> [Fr; 4] {
        [self.root.0, self.nullifier.0, self.scope.0, self.signal.0]
    }

    /// Canonical encoding: version, kind, then the four 32-byte fields.
    pub fn to_bytes(&self) -> Vec<u8> {
        encoding::encode(encoding::Kind::Statement, None, &self.public_inputs())
    }

    /// Decodes [`Self::to_bytes`], strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (_, [root, nullifier, scope, signal]) =
            encoding::decode::<[Fr; 4]>(encoding::Kind::Statement, false, bytes)?;
        Ok(Self {
            root: MerkleRoot(root),
            nullifier: Nullifier(nullifier),
            scope: Scope(scope),
            signal: Signal(signal),
        })
    }

    fn try_from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_bytes(bytes)
    }
}

serde_via_bytes!(
    MembershipStatement,
    "a versioned membership statement encoding"
);

/// The prover's private input: the secret and its authentication path.
#[derive(Clone)]
pub struct MembershipWitness {
    secret: MembershipSecret,
    path: MerklePath,
}

impl MembershipWitness {
    /// Pairs a secret with the path of its leaf.
    pub fn new(secret: MembershipSecret, path: MerklePath) -> Self {
        Self { secret, path }
    }

    /// The statement this witness proves in `scope` for `signal`.
    pub fn statement(&self, scope: Scope, signal: Signal) -> MembershipStatement {
        MembershipStatement {
            root: self.path.root_from(&self.secret.commitment()),
            nullifier: self.secret.nullifier(&scope),
            scope,
            signal,
        }
    }

    /// The depth of the path.
    pub fn depth(&self) -> usize {
        self.path.depth()
    }
}

impl core::fmt::Debug for MembershipWitness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MembershipWitness")
            .field("depth", &self.path.depth())
            .finish_non_exhaustive()
    }
}

impl Drop for MembershipWitness {
    fn drop(&mut self) {
        self.path.index.zeroize();
        self.path.siblings.zeroize();
    }
}

/// Protocol notes: notation, the circuit, why it is sound, and the setup's trust model.
#[doc = include_str!("../../docs/notes-membership.md")]
mod notes {}

#[cfg(test)]
mod tests;

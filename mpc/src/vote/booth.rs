//! The organiser's parameters and the voter's booth, as library calls for the CLI and the
//! HTTP service: generate a poll's Groth16 parameters, load a proving key (fully checked,
//! or by a digest recorded when it was checked), and build a ballot from a voter's secret.
//!
//! [`build_ballot_with_rng`] takes the same inputs as the CLI's `make_ballot` (the recorded
//! poll state, the class's recorded leaves, the secret, the class, the chosen choice indices
//! and the proving key) and returns the same [`Ballot`], with typed errors. It also checks
//! that the proving key belongs to the poll (its verifying key is the recorded one) and
//! verifies the finished ballot before returning it: a ballot that would be refused on chain
//! never leaves the booth, and a verifying proof reveals nothing beyond its statement even if
//! the proving key was not made honestly (see `docs/notes-vote.md`, "Parameters and the
//! booth").
//!
//! Costs (release, 2 shared cores, depth 20; docs/BENCHMARKS.md): parameters about 2 s,
//! a fully checked load about 2 s, a load by digest under 0.1 s, a ballot about 1.5 s.

use rand_core::{CryptoRng, RngCore};
use thiserror::Error;
use weft_zk::membership::{
    DecodeError, LeafCommitment, MembershipParams, MembershipProvingKey, MembershipSecret,
    MembershipVerifyingKey, MerkleTree, ProvingKeyDigest, TreeError,
};
use weft_zk::GroupKey;

use super::ballot::{BallotVerifier, Voter};
use super::errors::BallotError;
use super::types::{Ballot, PollState};

/// Why parameters could not be made or loaded, or a ballot could not be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BoothError {
    /// The tree depth is outside what the membership circuit supports.
    #[error("unsupported tree depth {depth} (supported: 1..={max})")]
    UnsupportedDepth {
        /// The depth asked for.
        depth: usize,
        /// The largest supported depth.
        max: usize,
    },
    /// Parameter generation failed inside arkworks (an internal error).
    #[error("parameter generation failed: {0}")]
    Setup(String),
    /// The proving-key bytes were refused (malformed, truncated, tampered, wrong digest).
    #[error("proving key refused: {0}")]
    Key(DecodeError),
    /// The proving key is not the poll's: its verifying key differs from the recorded one.
    #[error("the proving key does not belong to this poll (its verifying key differs)")]
    KeyMismatch,
    /// The poll's joint key or eligibility roots are not recorded yet.
    #[error("the poll's joint key or eligibility roots are not recorded yet")]
    NotReady,
    /// A chosen choice index is not one of the poll's choices.
    #[error("choice {choice} is out of range: the poll has {choices} choices")]
    ChoiceOutOfRange {
        /// The index given.
        choice: usize,
        /// The number of choices.
        choices: usize,
    },
    /// The voter's commitment is not among the class's recorded leaves.
    #[error("the voter's commitment is not registered in class {class}")]
    NotRegistered {
        /// The class searched.
        class: u32,
    },
    /// A recorded value (joint key, verifying key, leaf) does not decode.
    #[error("the poll record is malformed: {0}")]
    Record(String),
    /// The class's leaves do not fit a tree of the poll's depth.
    #[error("eligibility tree: {0}")]
    Tree(#[from] TreeError),
    /// Making or checking the ballot failed (rule broken, unknown class, proof failure).
    #[error(transparent)]
    Ballot(#[from] BallotError),
}

impl BoothError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            BoothError::UnsupportedDepth { .. } => "unsupported_depth",
            BoothError::Setup(_) => "setup_failed",
            BoothError::Key(DecodeError::DigestMismatch) => "key_digest_mismatch",
            BoothError::Key(_) => "key_malformed",
            BoothError::KeyMismatch => "key_not_for_poll",
            BoothError::NotReady => "poll_not_ready",
            BoothError::ChoiceOutOfRange { .. } => "choice_out_of_range",
            BoothError::NotRegistered { .. } => "not_registered",
            BoothError::Record(_) => "record_malformed",
            BoothError::Tree(_) => "tree",
            BoothError::Ballot(BallotError::RuleViolated) => "rule_violated",
            BoothError::Ballot(BallotError::UnknownClass(_)) => "unknown_class",
            BoothError::Ballot(_) => "ballot_failed",
        }
    }
}

/// A poll's generated parameters, ready to store and publish.
#[derive(Clone, Debug)]
pub struct GeneratedParams {
    /// The proving key (for voters).
    pub proving_key: MembershipProvingKey,
    /// [`MembershipProvingKey::to_bytes`] of it: the file to write or upload.
    pub proving_key_bytes: Vec<u8>,
    /// The digest of those bytes: keep it with the key to reload it with [`load_by_digest`].
    pub digest: ProvingKeyDigest,
    /// The verifying key's encoding, for the poll spec's `verifying_key`.
    pub verifying_key: Vec<u8>,
}

/// Generates Groth16 membership parameters for a tree of `depth` (single-party setup: whoever
/// runs it is trusted for eligibility soundness; see the membership notes for the ceremony).
pub fn generate_params_with_rng(
    depth: usize,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<GeneratedParams, BoothError> {
    let params = MembershipParams::setup_with_rng(depth, rng).map_err(|e| match e {
        weft_zk::membership::SetupError::UnsupportedDepth { depth, max } => {
            BoothError::UnsupportedDepth { depth, max }
        }
        other => BoothError::Setup(other.to_string()),
    })?;
    let proving_key = params.proving_key().clone();
    let proving_key_bytes = proving_key.to_bytes();
    Ok(GeneratedParams {
        digest: ProvingKeyDigest::of_bytes(&proving_key_bytes),
        verifying_key: proving_key.verifying_key().to_bytes(),
        proving_key,
        proving_key_bytes,
    })
}

/// [`generate_params_with_rng`] with the operating system's RNG.
pub fn generate_params(depth: usize) -> Result<GeneratedParams, BoothError> {
    generate_params_with_rng(depth, &mut rand::rngs::OsRng)
}

/// Loads proving-key bytes from an untrusted source (an upload, a file from the organiser),
/// checking every point, and returns the key with the digest to reload it by later.
///
/// With `verifying_key` (a poll spec's recorded verifying key), the key must belong to it.
pub fn load_proving_key(
    bytes: &[u8],
    verifying_key: Option<&[u8]>,
) -> Result<(MembershipProvingKey, ProvingKeyDigest), BoothError> {
    let key = MembershipProvingKey::from_bytes(bytes).map_err(BoothError::Key)?;
    if let Some(vk) = verifying_key {
        check_key_matches(&key, vk)?;
    }
    Ok((key, ProvingKeyDigest::of_bytes(bytes)))
}

/// Reloads proving-key bytes that were checked by [`load_proving_key`] (or made by
/// [`generate_params_with_rng`]) when `digest` was recorded: a digest check instead of the
/// point checks. `digest` must come from the caller's own record, not from whoever supplies
/// the bytes.
pub fn load_by_digest(
    bytes: &[u8],
    digest: &ProvingKeyDigest,
) -> Result<MembershipProvingKey, BoothError> {
    MembershipProvingKey::from_bytes_checked_by_digest(bytes, digest).map_err(BoothError::Key)
}

fn check_key_matches(key: &MembershipProvingKey, recorded_vk: &[u8]) -> Result<(), BoothError> {
    let vk = MembershipVerifyingKey::from_bytes(recorded_vk)
        .map_err(|e| BoothError::Record(format!("verifying key: {e}")))?;
    if key.verifying_key() == vk {
        Ok(())
    } else {
        Err(BoothError::KeyMismatch)
    }
}

/// A class's eligibility tree rebuilt from its recorded leaves (to find a voter's position).
#[derive(Clone, Debug)]
pub struct EligibilityTree {
    tree: MerkleTree,
    leaves: Vec<[u8; 32]>,
}

impl EligibilityTree {
    /// Rebuilds the tree of `depth` from the recorded leaves, in order.
    pub fn from_leaves(depth: u8, leaves: &[[u8; 32]]) -> Result<Self, BoothError> {
        let decoded = leaves
            .iter()
            .map(LeafCommitment::from_bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BoothError::Record(format!("leaf: {e}")))?;
        let tree = MerkleTree::from_leaves(usize::from(depth), decoded)?;
        Ok(Self {
            tree,
            leaves: leaves.to_vec(),
        })
    }

    /// The tree.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// The position of `commitment` among the leaves, if registered.
    pub fn position(&self, commitment: &[u8; 32]) -> Option<u64> {
        self.leaves
            .iter()
            .position(|l| l == commitment)
            .map(|i| i as u64)
    }
}

/// Builds a ballot for `choices` (indices from 0) in `class` from the voter's secret, against
/// the recorded joint key and roots, with `tree` the class's eligibility tree, and verifies it
/// before returning it. Equivalent to the CLI's `make_ballot`, plus the key and self checks.
pub fn build_ballot_with_rng(
    state: &PollState,
    tree: &EligibilityTree,
    secret: &MembershipSecret,
    class: u32,
    choices: &[usize],
    proving_key: &MembershipProvingKey,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Ballot, BoothError> {
    let (Some(group), Some(roots)) = (&state.group_key, &state.roots) else {
        return Err(BoothError::NotReady);
    };
    let group = GroupKey::from_bytes(&group.0)
        .map_err(|e| BoothError::Record(format!("joint key: {e}")))?;
    check_key_matches(proving_key, &state.spec.verifying_key)?;
    let n = state.spec.choices.len();
    let mut selection = vec![false; n];
    for &c in choices {
        if c >= n {
            return Err(BoothError::ChoiceOutOfRange {
                choice: c,
                choices: n,
            });
        }
        selection[c] = true;
    }
    let index = tree
        .position(&secret.commitment().to_bytes())
        .ok_or(BoothError::NotRegistered { class })?;
    let path = tree.tree.path(index)?;
    let verifier = BallotVerifier::new(state.id, &state.spec, group.public_key(), roots)?;
    let voter = Voter {
        secret,
        path,
        class,
    };
    let ballot = verifier.create_ballot_with_rng(&voter, &selection, proving_key, rng)?;
    // What the module will run on `Cast`; a few milliseconds.
    verifier.verify(&ballot)?;
    Ok(ballot)
}

/// [`build_ballot_with_rng`] with the operating system's RNG.
pub fn build_ballot(
    state: &PollState,
    tree: &EligibilityTree,
    secret: &MembershipSecret,
    class: u32,
    choices: &[usize],
    proving_key: &MembershipProvingKey,
) -> Result<Ballot, BoothError> {
    build_ballot_with_rng(
        state,
        tree,
        secret,
        class,
        choices,
        proving_key,
        &mut rand::rngs::OsRng,
    )
}

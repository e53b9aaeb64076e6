//! Malachite's `Context` on Weft's types: heights, validator addresses and sets, the proposed
//! value (a block reference), proposals, proposal parts and votes.
//!
//! The value Malachite agrees on is a [`BlockValue`]: the hash of a block header. The block
//! itself (header and transactions) travels in proposal parts and is checked and executed by
//! the ledger before this node votes for its hash.

use std::fmt;

use crate::{Address, BlockHeader, Hash, PublicKey, SignedTransaction};
use borsh::{BorshDeserialize, BorshSerialize};
use informalsystems_malachitebft_core_types as mc;
use mc::{NilOrVal, Round, VoteType};

/// The Weft consensus context (stateless; the chain id lives in the signing provider).
#[derive(Clone, Debug, Default)]
pub struct WeftContext;

/// A block height.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mc::Height for Height {
    const ZERO: Self = Height(0);
    // Height 0 is the genesis block, which needs no consensus.
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address (Weft's account address of its consensus key).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct ValidatorAddress(pub Address);

impl fmt::Display for ValidatorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mc::Address for ValidatorAddress {}

/// A validator: key, address and voting power.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    /// Address of the key.
    pub address: ValidatorAddress,
    /// Consensus (and node) key.
    pub public_key: PublicKey,
    /// Voting power.
    pub power: u64,
}

impl Validator {
    /// A validator with this key and power.
    pub fn new(public_key: PublicKey, power: u64) -> Self {
        Validator {
            address: ValidatorAddress(public_key.address()),
            public_key,
            power,
        }
    }
}

impl mc::Validator<WeftContext> for Validator {
    fn address(&self) -> &ValidatorAddress {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> mc::VotingPower {
        self.power
    }
}

/// The validator set of a height, in on-chain order (which fixes proposer rotation).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorSet {
    /// Members, in on-chain order.
    pub validators: Vec<Validator>,
}

impl mc::ValidatorSet<WeftContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> mc::VotingPower {
        self.validators.iter().map(|v| v.power).sum()
    }

    fn get_by_address(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.validators.iter().find(|v| v.address == *address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// The value agreed on: the hash of a proposed block's header.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct BlockValue(pub Hash);

impl mc::Value for BlockValue {
    type Id = Hash;

    fn id(&self) -> Hash {
        self.0
    }
}

/// A proposal: "at `height`/`round`, `proposer` proposes block `value`".
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The proposed block hash.
    pub value: BlockValue,
    /// Proof-of-lock round (`Nil` for a fresh value).
    pub pol_round: Round,
    /// Proposer.
    pub proposer: ValidatorAddress,
}

impl mc::Proposal<WeftContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockValue {
        &self.value
    }

    fn take_value(self) -> BlockValue {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.proposer
    }
}

/// First part of a streamed proposal: who proposes what, where.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PartInit {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// Proof-of-lock round.
    pub pol_round: Round,
    /// Proposer.
    pub proposer: ValidatorAddress,
    /// The block header (its hash is the value).
    pub header: BlockHeader,
}

/// A proposal streamed in parts: `Init`, any number of `Txs`, then `Fin` with the proposer's
/// signature over the header hash, height, round and the hash of all transaction parts.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
    /// Header and metadata.
    Init(Box<PartInit>),
    /// A chunk of the block's transactions, in order.
    Txs(Vec<SignedTransaction>),
    /// End of the proposal, signed by the proposer.
    Fin(crate::Signature),
}

impl mc::ProposalPart<WeftContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init(_))
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin(_))
    }
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    /// Prevote or precommit.
    pub vote_type: VoteType,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block hash voted for, or nil.
    pub value: NilOrVal<Hash>,
    /// Voter.
    pub validator: ValidatorAddress,
}

impl mc::Vote<WeftContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<Hash> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<Hash> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator
    }

    fn extension(&self) -> Option<&mc::SignedExtension<WeftContext>> {
        None
    }

    fn take_extension(&mut self) -> Option<mc::SignedExtension<WeftContext>> {
        None
    }

    fn extend(self, _extension: mc::SignedExtension<WeftContext>) -> Self {
        // Weft does not use vote extensions.
        self
    }
}

/// Ed25519 with Weft's key and signature types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519Scheme;

/// A signature did not have 64 bytes.
#[derive(Debug, Clone, thiserror::Error)]
#[error("a signature has 64 bytes, got {0}")]
pub struct SignatureLength(pub usize);

impl mc::SigningScheme for Ed25519Scheme {
    type DecodingError = SignatureLength;
    type Signature = crate::Signature;
    type PublicKey = PublicKey;
    type PrivateKey = crate::Keypair;

    fn decode_signature(bytes: &[u8]) -> Result<Self::Signature, Self::DecodingError> {
        let arr: [u8; 64] = bytes.try_into().map_err(|_| SignatureLength(bytes.len()))?;
        Ok(crate::Signature(arr))
    }

    fn encode_signature(signature: &Self::Signature) -> Vec<u8> {
        signature.0.to_vec()
    }
}

impl mc::Context for WeftContext {
    type Address = ValidatorAddress;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Ed25519Scheme;

    /// Round-robin over the set in on-chain order, shifted by height and round (voting power
    /// does not weight the rotation).
    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let n = validator_set.validators.len().max(1) as u64;
        let r = round.as_u32().map_or(0, u64::from);
        let index = (height.0.wrapping_add(r)) % n;
        // An empty set never reaches consensus (genesis validation requires validators).
        &validator_set.validators[usize::try_from(index).unwrap_or(0)]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: ValidatorAddress,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<Hash>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Prevote,
            height,
            round,
            value: value_id,
            validator: address,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<Hash>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Precommit,
            height,
            round,
            value: value_id,
            validator: address,
        }
    }
}

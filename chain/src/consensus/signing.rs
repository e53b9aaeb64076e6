//! What validators sign, and the Malachite signing provider over Weft's Ed25519 keys.
//!
//! Every message is domain-separated and bound to the chain id. A precommit for a block is
//! signed over exactly [`CommitCertificate::signing_bytes`], so the precommits Malachite
//! gathers for a decision are the signatures of Weft's stored [`CommitCertificate`]
//! (see [`super::certificate`]).

use crate::{CommitCertificate, Hash, Keypair, PublicKey, Signature};
use borsh::BorshSerialize;
use informalsystems_malachitebft_core_types as mc;
use mc::{NilOrVal, SignedMessage, VoteType};

use super::context::{Proposal, ProposalPart, Vote, WeftContext};
use super::ByzantineMode;

/// Domain of prevotes and nil precommits.
pub const VOTE_DOMAIN: &[u8] = b"weft/vote/v1";
/// Domain of proposals.
pub const PROPOSAL_DOMAIN: &[u8] = b"weft/proposal/v1";
/// Domain of proposal parts signed by the engine.
pub const PART_DOMAIN: &[u8] = b"weft/proposal-part/v1";
/// Domain of the `Fin` signature closing a streamed proposal.
pub const FIN_DOMAIN: &[u8] = b"weft/proposal-fin/v1";

fn with_domain(domain: &[u8], body: impl BorshSerialize) -> Vec<u8> {
    let mut out = domain.to_vec();
    body.serialize(&mut out).expect("write to Vec");
    out
}

/// The bytes a vote's signature covers.
pub fn vote_signing_bytes(chain_id: &str, vote: &Vote) -> Vec<u8> {
    if let (VoteType::Precommit, NilOrVal::Val(hash), Some(round)) =
        (vote.vote_type, &vote.value, vote.round.as_u32())
    {
        return CommitCertificate::signing_bytes(chain_id, vote.height.0, round, hash);
    }
    let kind: u8 = match vote.vote_type {
        VoteType::Prevote => 0,
        VoteType::Precommit => 1,
    };
    let value: Option<Hash> = match vote.value {
        NilOrVal::Nil => None,
        NilOrVal::Val(h) => Some(h),
    };
    with_domain(
        VOTE_DOMAIN,
        (chain_id, kind, vote.height.0, vote.round.as_i64(), value),
    )
}

/// The bytes a proposal's signature covers.
pub fn proposal_signing_bytes(chain_id: &str, p: &Proposal) -> Vec<u8> {
    with_domain(
        PROPOSAL_DOMAIN,
        (
            chain_id,
            p.height.0,
            p.round.as_i64(),
            p.value.0,
            p.pol_round.as_i64(),
            p.proposer.0,
        ),
    )
}

/// The bytes the `Fin` part's signature covers: the proposal's place and block hash.
pub fn fin_signing_bytes(
    chain_id: &str,
    height: u64,
    round: mc::Round,
    pol_round: mc::Round,
    block_hash: &Hash,
) -> Vec<u8> {
    with_domain(
        FIN_DOMAIN,
        (
            chain_id,
            height,
            round.as_i64(),
            pol_round.as_i64(),
            *block_hash,
        ),
    )
}

/// Signs and verifies consensus messages with this node's validator key.
#[derive(Debug, Clone)]
pub struct Signer {
    chain_id: String,
    key: Keypair,
    byzantine: Option<ByzantineMode>,
}

impl Signer {
    /// A signer for `chain_id` with `key`; `byzantine` is for fault tests only.
    pub fn new(chain_id: String, key: Keypair, byzantine: Option<ByzantineMode>) -> Self {
        Signer {
            chain_id,
            key,
            byzantine,
        }
    }

    /// The chain id messages are bound to.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The validator key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs raw bytes (used for `Fin` parts).
    pub fn sign_bytes(&self, bytes: &[u8]) -> Signature {
        self.key.sign(bytes)
    }

    fn sign_consensus(&self, bytes: &[u8]) -> Signature {
        match self.byzantine {
            // Fault injection: a signature over other bytes, which no honest node accepts.
            Some(ByzantineMode::BadSignatures) => {
                let mut tampered = bytes.to_vec();
                tampered.extend_from_slice(b"byzantine");
                self.key.sign(&tampered)
            }
            _ => self.key.sign(bytes),
        }
    }
}

impl mc::SigningProvider<WeftContext> for Signer {
    fn sign_vote(&self, vote: Vote) -> SignedMessage<WeftContext, Vote> {
        let sig = self.sign_consensus(&vote_signing_bytes(&self.chain_id, &vote));
        SignedMessage::new(vote, sig)
    }

    fn verify_signed_vote(&self, vote: &Vote, signature: &Signature, pk: &PublicKey) -> bool {
        pk.verify(&vote_signing_bytes(&self.chain_id, vote), signature)
    }

    fn sign_proposal(&self, proposal: Proposal) -> SignedMessage<WeftContext, Proposal> {
        let sig = self.sign_consensus(&proposal_signing_bytes(&self.chain_id, &proposal));
        SignedMessage::new(proposal, sig)
    }

    fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        pk: &PublicKey,
    ) -> bool {
        pk.verify(&proposal_signing_bytes(&self.chain_id, proposal), signature)
    }

    fn sign_proposal_part(&self, part: ProposalPart) -> SignedMessage<WeftContext, ProposalPart> {
        let sig = self.sign_consensus(&with_domain(PART_DOMAIN, (&self.chain_id, &part)));
        SignedMessage::new(part, sig)
    }

    fn verify_signed_proposal_part(
        &self,
        part: &ProposalPart,
        signature: &Signature,
        pk: &PublicKey,
    ) -> bool {
        pk.verify(&with_domain(PART_DOMAIN, (&self.chain_id, part)), signature)
    }

    fn sign_vote_extension(&self, extension: ()) -> SignedMessage<WeftContext, ()> {
        // Vote extensions are disabled; sign a fixed, domain-separated message anyway.
        let sig = self
            .key
            .sign(&with_domain(b"weft/vote-extension/v1", &self.chain_id));
        SignedMessage::new(extension, sig)
    }

    fn verify_signed_vote_extension(
        &self,
        _extension: &(),
        _signature: &Signature,
        _pk: &PublicKey,
    ) -> bool {
        // Never accepted: Weft does not use vote extensions.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::context::{Height, ValidatorAddress};
    use mc::{Round, SigningProvider};

    fn vote(kind: VoteType, value: NilOrVal<Hash>) -> Vote {
        Vote {
            vote_type: kind,
            height: Height(7),
            round: Round::new(2),
            value,
            validator: ValidatorAddress::default(),
        }
    }

    #[test]
    fn precommit_for_a_block_signs_the_commit_certificate_bytes() {
        let h = Hash::sha256(b"block");
        let v = vote(VoteType::Precommit, NilOrVal::Val(h));
        assert_eq!(
            vote_signing_bytes("c", &v),
            CommitCertificate::signing_bytes("c", 7, 2, &h)
        );
        // Prevotes and nil precommits use another domain: they never count as commits.
        let pv = vote(VoteType::Prevote, NilOrVal::Val(h));
        assert_ne!(vote_signing_bytes("c", &pv), vote_signing_bytes("c", &v));
        let nil = vote(VoteType::Precommit, NilOrVal::Nil);
        assert!(vote_signing_bytes("c", &nil).starts_with(VOTE_DOMAIN));
    }

    #[test]
    fn signatures_bind_chain_and_content_and_byzantine_ones_fail() {
        let key = Keypair::from_seed(&[3; 32]);
        let signer = Signer::new("c".into(), key.clone(), None);
        let other_chain = Signer::new("d".into(), key.clone(), None);
        let v = vote(VoteType::Prevote, NilOrVal::Nil);
        let signed = signer.sign_vote(v.clone());
        assert!(signer.verify_signed_vote(&v, &signed.signature, &key.public_key()));
        assert!(!other_chain.verify_signed_vote(&v, &signed.signature, &key.public_key()));
        let mut moved = v.clone();
        moved.height = Height(8);
        assert!(!signer.verify_signed_vote(&moved, &signed.signature, &key.public_key()));

        let byz = Signer::new("c".into(), key.clone(), Some(ByzantineMode::BadSignatures));
        let bad = byz.sign_vote(v.clone());
        assert!(!signer.verify_signed_vote(&v, &bad.signature, &key.public_key()));
    }
}

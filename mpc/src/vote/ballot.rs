//! Making and checking ballots.
//!
//! A ballot for a poll with `k` choices under joint key `Y`, by a voter of class weight `w`:
//!
//! 1. `ct_i = Enc_Y(v_i; r_i)` with `v_i in {0, w}` for each choice `i`;
//! 2. `pi_i`: one-of-{0, w} proof of `ct_i` (weft-zk `OneOfProof`);
//! 3. `pi_total`: the sum of the `ct_i` is allowed by the rule (weft-zk `SumProof`: exactly `w`
//!    for single/weighted, one of `min..=max` for k-of-n, nothing for approval);
//! 4. the nullifier `nf = Poseidon(sk, scope)` with `scope = Scope(SCOPE || poll)`;
//! 5. a Groth16 membership proof for `(root_class, nf, scope, Signal(hash(ballot without 4)))`.
//!
//! Proofs 2 and 3 use the context `BALLOT || poll || nf`: copying another voter's ciphertexts
//! and proofs into a ballot with one's own nullifier fails. The Groth16 signal binds the
//! whole rest of the ballot, so a membership proof cannot be moved to another ballot.
//!
//! [`verify_ballot`] is deterministic: the batch weights of the sigma-proof check are drawn
//! from ChaCha20 seeded with a hash of the whole ballot, so every validator reaches the same
//! answer. A prover who tries to grind those weights has to change the ballot, which
//! re-draws them: each attempt passes a false proof with probability at most about `2^-128`.

use std::sync::Arc;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use weft_zk::membership::{
    self, MembershipProof, MembershipProvingKey, MembershipSecret, MembershipStatement,
    MembershipVerifyingKey, MembershipWitness, MerklePath, MerkleRoot, Nullifier,
    PreparedMembershipVerifyingKey, Scope, Signal,
};
use weft_zk::sigma::or_proof::{OneOfProof, OneOfStatement};
use weft_zk::sigma::sum::{AllowedTotal, SumProof, SumStatement};
use weft_zk::{Ciphertext, Context, PublicKey};

use super::errors::BallotError;
use super::transcript;
use super::types::{Ballot, Bytes, PollId, PollSpec, Rule};

/// What a ballot is checked against: the poll's public parameters once the key is recorded
/// and eligibility sealed.
#[derive(Clone, Debug)]
pub struct BallotVerifier {
    poll: PollId,
    choices: usize,
    rule: Rule,
    public_key: PublicKey,
    roots: Vec<MerkleRoot>,
    pvk: Arc<PreparedMembershipVerifyingKey>,
}

/// The owned form of a rule's allowed total.
enum Total {
    None,
    Exactly(u64),
    OneOf(Vec<u64>),
}

impl Total {
    fn allowed(&self) -> Option<AllowedTotal<'_>> {
        match self {
            Total::None => None,
            Total::Exactly(v) => Some(AllowedTotal::Exactly(*v)),
            Total::OneOf(set) => Some(AllowedTotal::OneOf(set)),
        }
    }
}

impl BallotVerifier {
    /// Builds the verifier from the poll's spec, joint key and class roots.
    pub fn new(
        poll: PollId,
        spec: &PollSpec,
        public_key: PublicKey,
        roots: &[[u8; 32]],
    ) -> Result<Self, BallotError> {
        let vk = MembershipVerifyingKey::from_bytes(&spec.verifying_key)
            .map_err(|e| BallotError::Malformed(format!("verifying key: {e}")))?;
        Self::with_prepared(poll, spec, public_key, roots, Arc::new(vk.prepare()))
    }

    /// Like [`BallotVerifier::new`] with an already prepared verifying key (cached by the module).
    pub fn with_prepared(
        poll: PollId,
        spec: &PollSpec,
        public_key: PublicKey,
        roots: &[[u8; 32]],
        pvk: Arc<PreparedMembershipVerifyingKey>,
    ) -> Result<Self, BallotError> {
        let roots = roots
            .iter()
            .map(MerkleRoot::from_bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BallotError::Malformed(format!("root: {e}")))?;
        Ok(Self {
            poll,
            choices: spec.choices.len(),
            rule: spec.rule.clone(),
            public_key,
            roots,
            pvk,
        })
    }

    /// The poll's joint encryption key.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    fn weight(&self, class: u32) -> Result<u64, BallotError> {
        self.rule
            .class_weights()
            .get(class as usize)
            .copied()
            .filter(|_| (class as usize) < self.roots.len())
            .ok_or(BallotError::UnknownClass(class))
    }

    fn total(&self, weight: u64) -> Total {
        match &self.rule {
            Rule::Single | Rule::Weighted { .. } => Total::Exactly(weight),
            Rule::Approval => Total::None,
            Rule::KOfN { min, max } => Total::OneOf((u64::from(*min)..=u64::from(*max)).collect()),
        }
    }

    /// Checks every proof of `ballot` and returns its ciphertexts and nullifier.
    /// Deterministic (see the module docs).
    pub fn verify(&self, ballot: &Ballot) -> Result<(Vec<Ciphertext>, Nullifier), BallotError> {
        if ballot.poll != self.poll {
            return Err(BallotError::WrongPoll);
        }
        if ballot.ciphertexts.len() != self.choices || ballot.choice_proofs.len() != self.choices {
            return Err(BallotError::ChoiceCount {
                expected: self.choices,
                found: ballot.ciphertexts.len().max(ballot.choice_proofs.len()),
            });
        }
        let weight = self.weight(ballot.class)?;
        let nullifier = Nullifier::from_bytes(&ballot.nullifier)
            .map_err(|e| BallotError::Malformed(format!("nullifier: {e}")))?;
        let cts = ballot
            .ciphertexts
            .iter()
            .map(|b| Ciphertext::from_bytes(&b.0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BallotError::Malformed(format!("ciphertext: {e}")))?;
        let proofs = ballot
            .choice_proofs
            .iter()
            .map(|b| OneOfProof::from_bytes(&b.0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BallotError::Malformed(format!("choice proof: {e}")))?;
        let membership_proof = MembershipProof::from_bytes(&ballot.membership_proof.0)
            .map_err(|e| BallotError::Malformed(format!("membership proof: {e}")))?;

        let hash = ballot.hash();
        let seed =
            transcript::hash_parts(&[transcript::BATCH_SEED, &hash, &ballot.membership_proof.0]);
        let mut rng = ChaCha20Rng::from_seed(seed);

        let ctx_bytes = transcript::context(transcript::BALLOT, &self.poll, &ballot.nullifier);
        let ctx = Context::new(&ctx_bytes);
        let allowed = choice_values(weight);
        let items: Vec<(OneOfStatement<'_>, OneOfProof)> = cts
            .iter()
            .zip(proofs)
            .map(|(ct, p)| {
                (
                    OneOfStatement {
                        context: ctx,
                        public_key: self.public_key,
                        ciphertext: *ct,
                        allowed: &allowed,
                    },
                    p,
                )
            })
            .collect();
        OneOfProof::verify_batch_with_rng(&items, &mut rng)
            .map_err(|_| BallotError::ChoiceOutOfRange)?;

        let total = self.total(weight);
        match (total.allowed(), &ballot.total_proof) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(BallotError::Malformed(
                    "approval ballots carry no total proof".into(),
                ))
            }
            (Some(_), None) => return Err(BallotError::RuleViolated),
            (Some(allowed), Some(bytes)) => {
                let proof = SumProof::from_bytes(&bytes.0)
                    .map_err(|e| BallotError::Malformed(format!("total proof: {e}")))?;
                let statement = SumStatement {
                    context: ctx,
                    public_key: self.public_key,
                    ciphertexts: &cts,
                    total: allowed,
                };
                proof
                    .verify_with_rng(&statement, &mut rng)
                    .map_err(|_| BallotError::RuleViolated)?;
            }
        }

        let statement = MembershipStatement {
            root: self.roots[ballot.class as usize],
            nullifier,
            scope: scope(&self.poll),
            signal: Signal::from_message(&hash),
        };
        membership::verify(&self.pvk, &statement, &membership_proof)
            .map_err(|_| BallotError::Membership)?;
        Ok((cts, nullifier))
    }
}

/// The values one choice's ciphertext may encrypt for a class of weight `w`.
fn choice_values(weight: u64) -> [u64; 2] {
    [0, weight]
}

/// The nullifier scope of a poll.
pub fn scope(poll: &PollId) -> Scope {
    Scope::from_context(&transcript::context(transcript::SCOPE, poll, &[]))
}

/// The nullifier a member's secret has in a poll.
pub fn nullifier(secret: &MembershipSecret, poll: &PollId) -> Nullifier {
    secret.nullifier(&scope(poll))
}

/// A voter's private inputs: the secret, the path of its leaf in its class's tree, and the
/// class.
#[derive(Debug)]
pub struct Voter<'a> {
    /// The membership secret.
    pub secret: &'a MembershipSecret,
    /// The path of `secret`'s leaf in the class tree.
    pub path: MerklePath,
    /// The eligibility class.
    pub class: u32,
}

impl BallotVerifier {
    /// Makes a ballot selecting `selection[i]` for each choice `i` (`true` = vote for it).
    /// The selection must obey the rule; the proving key must match the poll's verifying key.
    pub fn create_ballot_with_rng(
        &self,
        voter: &Voter<'_>,
        selection: &[bool],
        proving_key: &MembershipProvingKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Ballot, BallotError> {
        if selection.len() != self.choices {
            return Err(BallotError::ChoiceCount {
                expected: self.choices,
                found: selection.len(),
            });
        }
        let weight = self.weight(voter.class)?;
        let values: Vec<u64> = selection
            .iter()
            .map(|s| if *s { weight } else { 0 })
            .collect();
        let total: u64 = values.iter().sum();
        let total_rule = self.total(weight);
        let obeys = match &total_rule {
            Total::None => true,
            Total::Exactly(v) => *v == total,
            Total::OneOf(set) => set.contains(&total),
        };
        if !obeys {
            return Err(BallotError::RuleViolated);
        }
        let allowed_total = total_rule.allowed();

        let nf = nullifier(voter.secret, &self.poll);
        let nf_bytes = nf.to_bytes();
        let ctx_bytes = transcript::context(transcript::BALLOT, &self.poll, &nf_bytes);
        let ctx = Context::new(&ctx_bytes);
        let allowed = choice_values(weight);
        let mut cts = Vec::with_capacity(values.len());
        let mut rs = Vec::with_capacity(values.len());
        let mut proofs = Vec::with_capacity(values.len());
        for v in &values {
            let (ct, r) = self.public_key.encrypt_with_rng(*v, rng);
            let statement = OneOfStatement {
                context: ctx,
                public_key: self.public_key,
                ciphertext: ct,
                allowed: &allowed,
            };
            let proof = OneOfProof::prove_with_rng(&statement, *v, &r, rng)
                .map_err(|e| BallotError::Prove(e.to_string()))?;
            cts.push(ct);
            rs.push(r);
            proofs.push(Bytes(proof.to_bytes()));
        }
        let total_proof = match allowed_total {
            None => None,
            Some(total) => {
                let statement = SumStatement {
                    context: ctx,
                    public_key: self.public_key,
                    ciphertexts: &cts,
                    total,
                };
                let proof = SumProof::prove_with_rng(&statement, &values, &rs, rng)
                    .map_err(|e| BallotError::Prove(e.to_string()))?;
                Some(Bytes(proof.to_bytes()))
            }
        };
        drop(rs);
        let mut ballot = Ballot {
            poll: self.poll,
            class: voter.class,
            nullifier: nf_bytes,
            ciphertexts: cts.iter().map(|c| Bytes(c.to_bytes())).collect(),
            choice_proofs: proofs,
            total_proof,
            membership_proof: Bytes::default(),
        };
        self.attach_membership_proof(&mut ballot, voter, proving_key, rng)?;
        Ok(ballot)
    }

    /// Proves membership for `ballot` as it stands (signal = its hash) and stores the proof
    /// in it. [`BallotVerifier::create_ballot_with_rng`] ends with this; it is public so that
    /// tools (and tests of adversarial ballots) can re-sign an edited ballot.
    pub fn attach_membership_proof(
        &self,
        ballot: &mut Ballot,
        voter: &Voter<'_>,
        proving_key: &MembershipProvingKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(), BallotError> {
        let root = self
            .roots
            .get(voter.class as usize)
            .ok_or(BallotError::UnknownClass(voter.class))?;
        let statement = MembershipStatement {
            root: *root,
            nullifier: nullifier(voter.secret, &self.poll),
            scope: scope(&self.poll),
            signal: Signal::from_message(&ballot.hash()),
        };
        let witness = MembershipWitness::new(voter.secret.clone(), voter.path.clone());
        let proof = membership::prove_with_rng(proving_key, &witness, &statement, rng)
            .map_err(|e| BallotError::Prove(e.to_string()))?;
        ballot.membership_proof = Bytes(proof.to_bytes());
        Ok(())
    }
}

//! Plain data of the voting layer: poll specification, ballots, calls, recorded state.
//!
//! Everything here is borsh (chain encoding) and serde (JSON for the API). Cryptographic
//! objects travel as their canonical weft-zk byte encodings and are decoded strictly where
//! they are used.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use weft_chain::Address;

use super::transcript;

/// Most choices a poll may have.
pub const MAX_CHOICES: usize = 32;
/// Largest weight of a weight class.
pub const MAX_WEIGHT: u64 = 1_000_000;
/// Most weight classes of a weighted poll.
pub const MAX_CLASSES: usize = 16;
/// Most counters of a poll.
pub const MAX_COUNTERS: usize = 64;
/// Longest title or choice label, in bytes.
pub const MAX_LABEL_LEN: usize = 256;
/// Most leaves added in one call.
pub const MAX_LEAVES_PER_CALL: usize = 4096;

/// A poll's identifier: `SHA-256("weft/vote/poll-id/v1", organiser, seq, spec)`.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
pub struct PollId(#[serde(with = "hex::serde")] pub [u8; 32]);

impl PollId {
    /// The id of the `seq`-th poll (from 0) created by `organiser` with `spec`.
    pub fn derive(organiser: &Address, seq: u64, spec: &PollSpec) -> Self {
        let spec = borsh::to_vec(spec).expect("write to Vec");
        PollId(transcript::hash_parts(&[
            transcript::POLL_ID,
            organiser.as_bytes(),
            &seq.to_be_bytes(),
            &spec,
        ]))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (an optional `0x` prefix is accepted).
    pub fn from_hex(s: &str) -> Option<Self> {
        let s = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(s).ok()?;
        Some(PollId(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for PollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PollId({})", self.to_hex())
    }
}

impl fmt::Display for PollId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// How a ballot may fill in the choices.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Exactly one choice.
    Single,
    /// Any subset of the choices (including none).
    Approval,
    /// Between `min` and `max` choices (inclusive).
    KOfN {
        /// Fewest choices.
        min: u32,
        /// Most choices.
        max: u32,
    },
    /// Exactly one choice, counted with the voter's weight. Voters are enrolled per weight
    /// class (one eligibility tree per class, each class's weight attested by the issuer
    /// that enrolled them); a ballot names its class, which reveals the weight but not the
    /// voter.
    Weighted {
        /// The weight of each class (class `i` has weight `weights[i]`).
        weights: Vec<u64>,
    },
}

impl Rule {
    /// The weight of each eligibility class (one class of weight 1 unless weighted).
    pub fn class_weights(&self) -> Vec<u64> {
        match self {
            Rule::Weighted { weights } => weights.clone(),
            _ => vec![1],
        }
    }

    /// The largest number a ballot can add to one choice's count.
    pub fn max_weight(&self) -> u64 {
        self.class_weights().into_iter().max().unwrap_or(1)
    }
}

/// What the voting window is measured in.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum WindowUnit {
    /// Block heights.
    Height,
    /// Block timestamps, in milliseconds since the Unix epoch.
    TimestampMs,
}

/// The voting window: ballots are accepted in blocks with `start <= now <= end`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Window {
    /// Unit of `start` and `end`.
    pub unit: WindowUnit,
    /// First instant at which ballots are accepted.
    pub start: u64,
    /// Last instant at which ballots are accepted.
    pub end: u64,
}

/// Where the window stands at a given block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before `start`: setup (DKG, eligibility).
    Before,
    /// Within the window.
    Open,
    /// After `end`: tally.
    After,
}

impl Window {
    /// The phase at a block of `height` and `timestamp_ms`.
    pub fn phase(&self, height: u64, timestamp_ms: u64) -> Phase {
        let now = match self.unit {
            WindowUnit::Height => height,
            WindowUnit::TimestampMs => timestamp_ms,
        };
        if now < self.start {
            Phase::Before
        } else if now <= self.end {
            Phase::Open
        } else {
            Phase::After
        }
    }
}

/// Everything fixed when a poll is created.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct PollSpec {
    /// Title.
    pub title: String,
    /// Choice labels.
    pub choices: Vec<String>,
    /// Ballot rule.
    pub rule: Rule,
    /// Voting window.
    pub window: Window,
    /// The counters' DIDs (`did:weft:<chain-id>:0x<address>`, registered on this chain);
    /// counter `i` (from 1) is `counters[i - 1]`. A counter's transactions must be signed by
    /// an `authentication` or `capabilityInvocation` key of its DID's current document.
    pub counters: Vec<String>,
    /// How many counters' decryption shares finish the tally.
    pub threshold: u32,
    /// Whether a later ballot with the same nullifier replaces the earlier one.
    pub allow_revote: bool,
    /// Depth of every eligibility tree.
    pub tree_depth: u8,
    /// The Groth16 membership verifying key (weft-zk encoding) ballots are checked against.
    /// Its setup is a trust assumption of the poll: see `mpc/docs/notes-vote.md`.
    #[serde(with = "hex::serde")]
    pub verifying_key: Vec<u8>,
    /// Optional eligibility from a credential: a holder of a matching credential registers
    /// their own commitment with [`VoteCall::RegisterWithCredential`] before sealing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialEligibility>,
}

/// Most issuers a credential eligibility rule may list.
pub const MAX_ELIGIBILITY_ISSUERS: usize = 16;
/// Longest claim name of [`CredentialEligibility::class_claim`], in bytes.
pub const MAX_CLAIM_NAME_LEN: usize = 64;

/// Who may register through a credential: holders of a credential of one CPT (and version),
/// issued by a recognised authority issuer or one of `issuers`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CredentialEligibility {
    /// The CPT id the credential must pin.
    pub cpt_id: u64,
    /// The CPT version it must pin (any registered version if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpt_version: Option<u32>,
    /// Issuer DIDs (`did:weft` of this chain) accepted besides recognised authority issuers;
    /// empty: any recognised authority issuer.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Weighted polls: the `credentialSubject` claim (a top-level integer) holding the voter's
    /// issuer-attested weight; the leaf goes to the class with that weight. Absent: class 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_claim: Option<String>,
}

/// A DKG share encrypted to its recipient's share key: `E = e*G`, `K = e*P_to`,
/// `sealed = share_bytes XOR SHA-512(pad label, poll, from, to, E, K)[..40]`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct EncryptedShare {
    /// Recipient index.
    pub to: u32,
    /// The ephemeral point `E`, compressed.
    #[serde(with = "hex::serde")]
    pub ephemeral: [u8; 32],
    /// The 40 sealed bytes (`from || to || share`).
    #[serde(with = "hex::serde")]
    pub sealed: Vec<u8>,
}

/// A ballot. Carries nothing about its sender: it is submitted from a fresh one-time account
/// (or a relayer), and the only voter-derived value is the per-poll nullifier.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Ballot {
    /// The poll.
    pub poll: PollId,
    /// Eligibility class (0 unless the rule is weighted).
    pub class: u32,
    /// The voter's nullifier in this poll (a BN254 field element, 32 bytes).
    #[serde(with = "hex::serde")]
    pub nullifier: [u8; 32],
    /// One exponential-ElGamal ciphertext per choice (weft-zk encoding).
    pub ciphertexts: Vec<Bytes>,
    /// One proof per choice that its ciphertext encrypts 0 or the class weight.
    pub choice_proofs: Vec<Bytes>,
    /// Proof that the total obeys the rule (absent for approval voting).
    pub total_proof: Option<Bytes>,
    /// Groth16 membership proof whose signal is [`Ballot::hash`].
    pub membership_proof: Bytes,
}

/// Bytes shown as hex in JSON.
#[derive(
    Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Bytes(#[serde(with = "hex::serde")] pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Ballot {
    /// The ballot hash: SHA-256 over everything but the membership proof. It is the proof's
    /// signal, so the membership proof cannot be moved to another ballot.
    pub fn hash(&self) -> [u8; 32] {
        let mut body = self.clone();
        body.membership_proof = Bytes::default();
        let bytes = borsh::to_vec(&body).expect("write to Vec");
        transcript::hash_parts(&[transcript::BALLOT_HASH, &bytes])
    }

    /// Encoded size in bytes (what a transaction carries).
    pub fn encoded_len(&self) -> usize {
        borsh::to_vec(self).map(|v| v.len()).unwrap_or(0)
    }
}

/// A counter's round-1 post.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct DkgBroadcastPost {
    /// Feldman commitments and proof of possession (weft-zk `Round1Broadcast` encoding).
    pub broadcast: Bytes,
    /// The counter's share-encryption public key (weft-zk `PublicKey` encoding).
    pub share_key: Bytes,
    /// Schnorr proof of knowledge of the share key's secret.
    pub share_key_proof: Bytes,
}

/// The calls of the voting module (method names in [`VoteCall::method`]).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum VoteCall {
    /// Create a poll (signer needs the `vote.organiser` permission).
    CreatePoll(PollSpec),
    /// Counter: post the DKG round-1 broadcast and share key.
    DkgBroadcast {
        /// Poll.
        poll: PollId,
        /// The post.
        post: DkgBroadcastPost,
    },
    /// Counter: post the encrypted shares for the other counters.
    DkgShares {
        /// Poll.
        poll: PollId,
        /// One per other accepted counter.
        shares: Vec<EncryptedShare>,
    },
    /// Counter: post complaints (possibly none: this also says "my shares checked out").
    DkgComplaints {
        /// Poll.
        poll: PollId,
        /// Accused dealer indices.
        accused: Vec<u32>,
    },
    /// Counter: answer complaints by revealing the disputed shares.
    DkgResponses {
        /// Poll.
        poll: PollId,
        /// weft-zk `ComplaintResponse` encodings.
        responses: Vec<Bytes>,
    },
    /// Organiser: compute and record the joint key from the public DKG transcript.
    FinalizeKey {
        /// Poll.
        poll: PollId,
    },
    /// Organiser: append eligibility commitments to a class's tree.
    AddLeaves {
        /// Poll.
        poll: PollId,
        /// Eligibility class.
        class: u32,
        /// Poseidon leaf commitments (32 bytes each).
        leaves: Vec<[u8; 32]>,
    },
    /// Organiser: close eligibility; the module computes and records every class root.
    Seal {
        /// Poll.
        poll: PollId,
    },
    /// A credential holder: register one's own eligibility commitment, proving eligibility
    /// with a credential (the poll's [`PollSpec::credential`] rule). Signed by an
    /// `authentication` or `capabilityInvocation` key of the credential subject's DID; once
    /// per subject DID per poll; only before sealing.
    RegisterWithCredential {
        /// Poll.
        poll: PollId,
        /// The secured VC (JSON text, Data Integrity `eddsa-jcs-2022`).
        credential: String,
        /// Poseidon leaf commitment of the voter's secret.
        #[serde(with = "hex::serde")]
        commitment: [u8; 32],
    },
    /// Anyone: cast a ballot.
    Cast(Ballot),
    /// Counter: post decryption shares of the aggregate, one per choice.
    Decrypt {
        /// Poll.
        poll: PollId,
        /// weft-zk `DecryptionShare` encodings, one per choice.
        shares: Vec<Bytes>,
    },
}

impl VoteCall {
    /// The method name of the call.
    pub fn method(&self) -> &'static str {
        match self {
            VoteCall::CreatePoll(_) => "create_poll",
            VoteCall::DkgBroadcast { .. } => "dkg_broadcast",
            VoteCall::DkgShares { .. } => "dkg_shares",
            VoteCall::DkgComplaints { .. } => "dkg_complaints",
            VoteCall::DkgResponses { .. } => "dkg_responses",
            VoteCall::FinalizeKey { .. } => "finalize_key",
            VoteCall::AddLeaves { .. } => "add_leaves",
            VoteCall::Seal { .. } => "seal",
            VoteCall::RegisterWithCredential { .. } => "register_with_credential",
            VoteCall::Cast(_) => "cast",
            VoteCall::Decrypt { .. } => "decrypt",
        }
    }
}

/// A leaf registered through a credential (stored per poll and subject DID). It links the
/// subject DID to its commitment, as organiser enrolment does; ballots stay unlinkable.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CredentialRegistration {
    /// Eligibility class.
    pub class: u32,
    /// Leaf index in that class's tree.
    pub index: u64,
    /// The commitment.
    #[serde(with = "hex::serde")]
    pub commitment: [u8; 32],
    /// The credential issuer's DID address.
    pub issuer: Address,
    /// Height of registration.
    pub height: u64,
}

/// The recorded result of a poll.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TallyResult {
    /// Count (sum of weights) per choice.
    pub counts: Vec<u64>,
    /// The counters whose shares were combined (exactly `t`, ascending).
    pub combined: Vec<u32>,
    /// Height at which the result was recorded.
    pub height: u64,
}

/// The mutable public state of a poll.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct PollState {
    /// The poll id.
    pub id: PollId,
    /// The organiser (creator) account.
    pub organiser: Address,
    /// The organiser's poll sequence number this id was derived from.
    pub seq: u64,
    /// The specification.
    pub spec: PollSpec,
    /// Height of creation.
    pub created_height: u64,
    /// The DKG group key (weft-zk `GroupKey` encoding), once finalised.
    pub group_key: Option<Bytes>,
    /// Number of leaves per eligibility class.
    pub leaf_counts: Vec<u64>,
    /// Eligibility roots per class, once sealed.
    pub roots: Option<Vec<[u8; 32]>>,
    /// Distinct nullifiers that voted (turnout).
    pub ballots: u64,
    /// Running homomorphic sum of the counted ballots, one ciphertext per choice.
    pub aggregate: Vec<Bytes>,
    /// Counters whose valid decryption shares are recorded, ascending.
    pub decrypted_by: Vec<u32>,
    /// The result, once `t` valid shares are in.
    pub result: Option<TallyResult>,
}

/// The public DKG transcript of a poll, as recorded.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct DkgRecord {
    /// Accepted round-1 posts by counter index.
    pub broadcasts: Vec<(u32, DkgBroadcastPost)>,
    /// Encrypted shares by dealer index.
    pub shares: Vec<(u32, Vec<EncryptedShare>)>,
    /// Complaints by accuser index (a counter with an entry here has finished checking).
    pub complaints: Vec<(u32, Vec<u32>)>,
    /// Complaint responses by dealer index.
    pub responses: Vec<(u32, Vec<Bytes>)>,
}

/// Everything needed to re-check a poll from chain data alone.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct PollRecord {
    /// The poll state.
    pub state: PollState,
    /// The DKG transcript.
    pub dkg: DkgRecord,
    /// Eligibility leaves per class.
    pub leaves: Vec<Vec<[u8; 32]>>,
    /// The counted ballots, in order of first cast (a re-vote replaces in place).
    pub ballots: Vec<Ballot>,
    /// Recorded decryption shares by counter index.
    pub decryptions: Vec<(u32, Vec<Bytes>)>,
}

/// Read-only queries of the voting module.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum VoteQuery {
    /// `PollState` of a poll.
    Poll(PollId),
    /// All poll ids, in creation order.
    Polls,
    /// `DkgRecord` of a poll.
    Dkg(PollId),
    /// Leaves of one class.
    Leaves {
        /// Poll.
        poll: PollId,
        /// Class.
        class: u32,
    },
    /// Counted ballots `[from, from + limit)`.
    Ballots {
        /// Poll.
        poll: PollId,
        /// First index.
        from: u64,
        /// Most ballots returned.
        limit: u64,
    },
    /// The whole `PollRecord`.
    Record(PollId),
    /// The credential registration of a subject DID (borsh `Option<CredentialRegistration>`).
    Registration {
        /// Poll.
        poll: PollId,
        /// The subject DID's address.
        subject: Address,
    },
    /// Whether a nullifier has voted.
    NullifierUsed {
        /// Poll.
        poll: PollId,
        /// Nullifier.
        nullifier: [u8; 32],
    },
}

impl VoteQuery {
    /// The method name of the query.
    pub fn method(&self) -> &'static str {
        match self {
            VoteQuery::Poll(_) => "poll",
            VoteQuery::Polls => "polls",
            VoteQuery::Dkg(_) => "dkg",
            VoteQuery::Leaves { .. } => "leaves",
            VoteQuery::Ballots { .. } => "ballots",
            VoteQuery::Record(_) => "record",
            VoteQuery::Registration { .. } => "registration",
            VoteQuery::NullifierUsed { .. } => "nullifier_used",
        }
    }
}

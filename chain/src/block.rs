//! Blocks, headers, receipts and commit certificates.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::{Address, Hash, Keypair, PublicKey, Signature};
use crate::tx::SignedTransaction;

/// Domain separator of header hashes.
pub const HEADER_DOMAIN: &[u8] = b"weft/header/v1";
/// Domain separator of commit signatures.
pub const COMMIT_DOMAIN: &[u8] = b"weft/commit/v1";

/// A block header. Its hash identifies the block.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Chain id.
    pub chain_id: String,
    /// Height; genesis is 0.
    pub height: u64,
    /// Hash of the parent header ([`Hash::ZERO`] for genesis).
    pub parent_hash: Hash,
    /// Proposer's timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Address of the proposing validator.
    pub proposer: Address,
    /// Merkle root over the block's transaction hashes.
    pub transactions_root: Hash,
    /// Merkle root over the block's receipt hashes.
    pub receipts_root: Hash,
    /// Root of the authenticated state after executing this block.
    pub state_root: Hash,
    /// Hash of the validator set that commits this block.
    pub validators_hash: Hash,
}

impl BlockHeader {
    /// SHA-256 of `b"weft/header/v1" || borsh(header)`.
    pub fn hash(&self) -> Hash {
        let body = borsh::to_vec(self).expect("write to Vec");
        Hash::sha256_parts(&[HEADER_DOMAIN, &body])
    }
}

/// One validator's commit signature.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct ValidatorSignature {
    /// The validator's key.
    pub validator: PublicKey,
    /// Signature over [`CommitCertificate::signing_bytes`].
    pub signature: Signature,
}

/// Proof that the validator set committed a block: one signature today, 2f+1 under BFT.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CommitCertificate {
    /// Height of the committed block.
    pub height: u64,
    /// Consensus round (0 for the single validator).
    pub round: u32,
    /// Hash of the committed header.
    pub block_hash: Hash,
    /// Validator signatures.
    pub signatures: Vec<ValidatorSignature>,
}

impl CommitCertificate {
    /// `b"weft/commit/v1" || borsh((chain_id, height, round, block_hash))`.
    pub fn signing_bytes(chain_id: &str, height: u64, round: u32, block_hash: &Hash) -> Vec<u8> {
        let mut out = COMMIT_DOMAIN.to_vec();
        BorshSerialize::serialize(&(chain_id, height, round, block_hash), &mut out)
            .expect("write to Vec");
        out
    }

    /// A certificate signed by one validator.
    pub fn sign_single(chain_id: &str, header: &BlockHeader, round: u32, key: &Keypair) -> Self {
        let block_hash = header.hash();
        let msg = Self::signing_bytes(chain_id, header.height, round, &block_hash);
        CommitCertificate {
            height: header.height,
            round,
            block_hash,
            signatures: vec![ValidatorSignature {
                validator: key.public_key(),
                signature: key.sign(&msg),
            }],
        }
    }

    /// Checks that the certificate is for `header` and that validators holding more than two
    /// thirds of the voting power signed it. `validators` is `(public key, power)`.
    pub fn verify(&self, header: &BlockHeader, validators: &[(PublicKey, u64)]) -> bool {
        if self.height != header.height || self.block_hash != header.hash() {
            return false;
        }
        let total: u128 = validators.iter().map(|(_, p)| u128::from(*p)).sum();
        let msg = Self::signing_bytes(&header.chain_id, self.height, self.round, &self.block_hash);
        let mut seen = std::collections::BTreeSet::new();
        let mut signed: u128 = 0;
        for s in &self.signatures {
            let Some((_, power)) = validators.iter().find(|(k, _)| *k == s.validator) else {
                return false;
            };
            if !seen.insert(s.validator) || !s.validator.verify(&msg, &s.signature) {
                return false;
            }
            signed += u128::from(*power);
        }
        total > 0 && signed * 3 > total * 2
    }
}

/// A block: header, transactions and the certificate that committed it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// Transactions, in execution order.
    pub transactions: Vec<SignedTransaction>,
    /// Commit certificate.
    pub certificate: CommitCertificate,
}

impl Block {
    /// The block hash (hash of its header).
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }
}

/// Outcome of a transaction.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub enum ReceiptStatus {
    /// The call succeeded and its writes were applied.
    Success,
    /// The call failed; its writes were discarded (the nonce still advanced).
    Failed,
}

/// An event emitted by a module.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Event {
    /// Emitting module.
    pub module: String,
    /// Event kind.
    pub kind: String,
    /// Key/value attributes.
    pub attributes: Vec<(String, String)>,
}

/// The kind of a failed transaction's error: what callers branch on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TxErrorKind {
    /// No such module.
    UnknownModule,
    /// The method is unknown or its arguments are invalid.
    InvalidArgs,
    /// The signer may not make this call.
    Unauthorized,
    /// A referenced object does not exist.
    NotFound,
    /// The call broke a module rule (the code says which).
    Rejected,
}

/// Why a transaction failed, as its receipt records it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TxError {
    /// The kind.
    pub kind: TxErrorKind,
    /// A stable snake_case code (the module's refusal code, or the kind's name).
    pub code: String,
    /// Human-readable detail: for people, never for matching.
    pub message: String,
}

impl std::fmt::Display for TxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of executing one transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Receipt {
    /// Transaction hash.
    pub tx_hash: Hash,
    /// Block height.
    pub height: u64,
    /// Index within the block.
    pub index: u32,
    /// Outcome.
    pub status: ReceiptStatus,
    /// Why it failed (`None` on success).
    pub error: Option<TxError>,
    /// Events (empty when failed).
    pub events: Vec<Event>,
}

impl Receipt {
    /// SHA-256 of the borsh encoding.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&borsh::to_vec(self).expect("write to Vec"))
    }
}

/// A committed block with its receipts (what subscribers receive).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CommittedBlock {
    /// The block.
    pub block: Block,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
}

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// Binary Merkle root over `leaves` with domain-separated leaf (`0x00`) and node (`0x01`)
/// hashing; an odd node is carried up unchanged. The empty list has root SHA-256("").
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::sha256(b"");
    }
    let mut level: Vec<Hash> = leaves
        .iter()
        .map(|l| Hash::sha256_parts(&[&[LEAF_PREFIX], &l.0]))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => Hash::sha256_parts(&[&[NODE_PREFIX], &l.0, &r.0]),
                [one] => *one,
                _ => unreachable!("chunks(2)"),
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BlockHeader {
        BlockHeader {
            chain_id: "weft-test".into(),
            height: 3,
            parent_hash: Hash::sha256(b"p"),
            timestamp_ms: 1,
            proposer: Address::default(),
            transactions_root: merkle_root(&[]),
            receipts_root: merkle_root(&[]),
            state_root: Hash::sha256(b"s"),
            validators_hash: Hash::ZERO,
        }
    }

    #[test]
    fn merkle_root_is_order_sensitive_and_domain_separated() {
        let a = Hash::sha256(b"a");
        let b = Hash::sha256(b"b");
        let c = Hash::sha256(b"c");
        assert_ne!(merkle_root(&[a, b]), merkle_root(&[b, a]));
        assert_ne!(merkle_root(&[a, b, c]), merkle_root(&[a, b]));
        assert_ne!(merkle_root(&[a]), a);
        assert_ne!(merkle_root(&[a, b]), merkle_root(&[merkle_root(&[a, b])]));
    }

    #[test]
    fn certificate_verifies_only_for_its_header_and_set() {
        let kp = Keypair::from_seed(&[9u8; 32]);
        let other = Keypair::from_seed(&[8u8; 32]);
        let h = header();
        let cert = CommitCertificate::sign_single(&h.chain_id, &h, 0, &kp);
        assert!(cert.verify(&h, &[(kp.public_key(), 1)]));
        assert!(!cert.verify(&h, &[(other.public_key(), 1)]));
        assert!(!cert.verify(&h, &[(kp.public_key(), 1), (other.public_key(), 1)]));
        let mut h2 = h.clone();
        h2.state_root = Hash::ZERO;
        assert!(!cert.verify(&h2, &[(kp.public_key(), 1)]));
        let mut bad = cert.clone();
        bad.signatures[0].signature.0[0] ^= 1;
        assert!(!bad.verify(&h, &[(kp.public_key(), 1)]));
    }
}

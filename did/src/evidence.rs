//! The `evidence` module and its Merkle tree: credential hashes anchored on chain in batches,
//! one root per batch, with a per-credential inclusion proof kept off chain.
//!
//! # Hashing
//!
//! - [`credential_hash`]: SHA-256 of the RFC 8785 (JCS) form of the **whole secured credential**
//!   (proof included), so anyone holding the credential recomputes it without any secret.
//! - Tree (RFC 6962-style domain separation): leaf = `SHA-256(0x00 || hash)`, node =
//!   `SHA-256(0x01 || left || right)`. Levels are built pairwise from the left; an odd last
//!   node is promoted unchanged to the next level. A one-leaf tree's root is its leaf.
//!
//! # Rules (checked on the transaction signer)
//!
//! - `Anchor { root, count }`: anyone; the batch records the signer account, height and block
//!   time, and gets the next sequential id. `count` in `1..=`[`MAX_BATCH`].
//! - `Revoke { batch }`: only the batch's signer, once; the batch stays readable with its
//!   revocation height and time.
//!
//! # State (namespace `evidence`)
//!
//! `n` → next batch id (u64); `b/<id u64 BE>` → [`Batch`].

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use weft_chain::{Address, Call, Module, ModuleError, ReadContext, TxContext};

/// Module name and state namespace.
pub const NAME: &str = "evidence";
/// Most leaves in one batch.
pub const MAX_BATCH: u32 = 1 << 24;

/// An `evidence` transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum EvidenceCall {
    /// Anchors a batch root.
    Anchor {
        /// Merkle root over the batch's credential hashes.
        root: [u8; 32],
        /// Number of leaves.
        count: u32,
    },
    /// Revokes a batch the signer anchored.
    Revoke {
        /// The batch id.
        batch: u64,
    },
}

impl EvidenceCall {
    /// The method name used in [`Call::method`].
    pub fn method(&self) -> &'static str {
        match self {
            EvidenceCall::Anchor { .. } => "anchor",
            EvidenceCall::Revoke { .. } => "revoke",
        }
    }

    /// The chain [`Call`] of this transaction.
    pub fn call(&self) -> Call {
        Call {
            module: NAME.to_string(),
            method: self.method().to_string(),
            args: borsh::to_vec(self).expect("write to Vec"),
        }
    }
}

/// An `evidence` query.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum EvidenceQuery {
    /// Returns borsh `Option<Batch>`.
    Batch {
        /// The batch id.
        batch: u64,
    },
    /// Returns borsh `u64`: how many batches exist (ids are `0..n`).
    Count,
}

impl EvidenceQuery {
    /// The method name used with `Node::call`.
    pub fn method(&self) -> &'static str {
        match self {
            EvidenceQuery::Batch { .. } => "batch",
            EvidenceQuery::Count => "count",
        }
    }

    /// `(method, args)` for `Node::call`.
    pub fn args(&self) -> (&'static str, Vec<u8>) {
        (self.method(), borsh::to_vec(self).expect("write to Vec"))
    }
}

/// A revocation of a batch.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BatchRevocation {
    /// Height of the revoking block.
    pub height: u64,
    /// Its block time (ms).
    pub timestamp_ms: u64,
}

/// An anchored batch.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Batch {
    /// Sequential id.
    pub id: u64,
    /// Merkle root.
    pub root: [u8; 32],
    /// Leaves.
    pub count: u32,
    /// The anchoring account.
    pub signer: Address,
    /// Height of the anchoring block.
    pub height: u64,
    /// Its block time (ms).
    pub timestamp_ms: u64,
    /// Set once the signer revoked the batch.
    pub revoked: Option<BatchRevocation>,
}

const NEXT_KEY: &[u8] = b"n";
fn batch_key(id: u64) -> Vec<u8> {
    [b"b/".as_slice(), &id.to_be_bytes()].concat()
}

fn stored<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, ModuleError> {
    borsh::from_slice(bytes)
        .map_err(|e| ModuleError::Storage(format!("corrupt evidence state: {e}")))
}

/// Reads a batch.
pub fn read_batch(
    get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, ModuleError>,
    id: u64,
) -> Result<Option<Batch>, ModuleError> {
    get(&batch_key(id))?.map(|b| stored(&b)).transpose()
}

// ---------------------------------------------------------------------------------------------
// Hashing and the Merkle tree

/// SHA-256 of the JCS form of the whole secured credential.
pub fn credential_hash(credential: &Value) -> [u8; 32] {
    Sha256::digest(crate::canonical::to_vec(credential)).into()
}

/// `SHA-256(0x00 || hash)`.
pub fn leaf_hash(hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(hash);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// A Merkle tree over credential hashes (all levels kept, for proofs).
#[derive(Debug, Clone)]
pub struct MerkleTree {
    levels: Vec<Vec<[u8; 32]>>,
}

/// Why a tree could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// No leaves.
    #[error("a Merkle tree needs at least one leaf")]
    Empty,
    /// More than [`MAX_BATCH`] leaves.
    #[error("more than {MAX_BATCH} leaves")]
    TooMany,
}

impl MerkleTree {
    /// Builds the tree over credential hashes (leaves are domain-separated here).
    pub fn new(hashes: &[[u8; 32]]) -> Result<MerkleTree, MerkleError> {
        if hashes.is_empty() {
            return Err(MerkleError::Empty);
        }
        if hashes.len() > MAX_BATCH as usize {
            return Err(MerkleError::TooMany);
        }
        let mut levels = vec![hashes.iter().map(leaf_hash).collect::<Vec<_>>()];
        while levels.last().expect("non-empty").len() > 1 {
            let prev = levels.last().expect("non-empty");
            let next = prev
                .chunks(2)
                .map(|p| match p {
                    [l, r] => node_hash(l, r),
                    [only] => *only,
                    _ => unreachable!("chunks(2)"),
                })
                .collect();
            levels.push(next);
        }
        Ok(MerkleTree { levels })
    }

    /// The root.
    pub fn root(&self) -> [u8; 32] {
        self.levels.last().expect("non-empty")[0]
    }

    /// Number of leaves.
    pub fn count(&self) -> u32 {
        self.levels[0].len() as u32
    }

    /// The inclusion proof of leaf `index`, if in range.
    pub fn proof(&self, index: u32) -> Option<InclusionProof> {
        if index >= self.count() {
            return None;
        }
        let mut path = Vec::new();
        let mut i = index as usize;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                path.push(level[sibling]);
            }
            i /= 2;
        }
        Some(InclusionProof {
            index,
            count: self.count(),
            path,
        })
    }
}

/// Proof that a leaf is at `index` of a tree of `count` leaves.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The leaf's position.
    pub index: u32,
    /// Leaves in the tree.
    pub count: u32,
    /// Sibling hashes, bottom up (promoted levels contribute none).
    pub path: Vec<[u8; 32]>,
}

impl InclusionProof {
    /// The proof as JSON (`path` as hex strings).
    pub fn to_json(&self) -> Value {
        json!({
            "index": self.index,
            "count": self.count,
            "path": self.path.iter().map(hex::encode).collect::<Vec<_>>(),
        })
    }

    /// Parses [`InclusionProof::to_json`]'s output.
    pub fn from_json(value: &Value) -> Option<InclusionProof> {
        let index = u32::try_from(value.get("index")?.as_u64()?).ok()?;
        let count = u32::try_from(value.get("count")?.as_u64()?).ok()?;
        let path = value
            .get("path")?
            .as_array()?
            .iter()
            .map(|h| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(h.as_str()?, &mut out).ok()?;
                Some(out)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(InclusionProof { index, count, path })
    }
}

/// Whether `proof` shows the credential hash `hash` under `root`.
pub fn verify(root: &[u8; 32], hash: &[u8; 32], proof: &InclusionProof) -> bool {
    if proof.count == 0 || proof.index >= proof.count || proof.count > MAX_BATCH {
        return false;
    }
    let mut acc = leaf_hash(hash);
    let mut i = proof.index as u64;
    let mut width = proof.count as u64;
    let mut path = proof.path.iter();
    while width > 1 {
        let promoted = i == width - 1 && width % 2 == 1;
        if !promoted {
            let Some(sibling) = path.next() else {
                return false;
            };
            acc = if i.is_multiple_of(2) {
                node_hash(&acc, sibling)
            } else {
                node_hash(sibling, &acc)
            };
        }
        i /= 2;
        width = width.div_ceil(2);
    }
    path.next().is_none() && subtle::ConstantTimeEq::ct_eq(&acc[..], &root[..]).into()
}

// ---------------------------------------------------------------------------------------------
// The module

/// The `evidence` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvidenceRegistry;

impl Module for EvidenceRegistry {
    fn name(&self) -> &'static str {
        NAME
    }

    fn execute(
        &self,
        ctx: &mut TxContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<(), ModuleError> {
        let c: EvidenceCall =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if c.method() != method {
            return Err(ModuleError::InvalidArgs(format!(
                "method {method:?} does not match arguments ({})",
                c.method()
            )));
        }
        match c {
            EvidenceCall::Anchor { root, count } => {
                if count == 0 || count > MAX_BATCH {
                    return Err(ModuleError::InvalidArgs(format!(
                        "count must be in 1..={MAX_BATCH}"
                    )));
                }
                let id = match ctx.get(NEXT_KEY)? {
                    Some(b) => stored::<u64>(&b)?,
                    None => 0,
                };
                let batch = Batch {
                    id,
                    root,
                    count,
                    signer: ctx.signer(),
                    height: ctx.height(),
                    timestamp_ms: ctx.timestamp_ms(),
                    revoked: None,
                };
                ctx.set(NEXT_KEY, borsh::to_vec(&(id + 1)).expect("write"));
                ctx.set(&batch_key(id), borsh::to_vec(&batch).expect("write"));
                ctx.emit(
                    "anchored",
                    vec![
                        ("batch".into(), id.to_string()),
                        ("root".into(), hex::encode(root)),
                        ("count".into(), count.to_string()),
                    ],
                );
                Ok(())
            }
            EvidenceCall::Revoke { batch } => {
                let mut b = read_batch(|k| ctx.get(k), batch)?
                    .ok_or_else(|| ModuleError::NotFound(format!("evidence batch {batch}")))?;
                if b.signer != ctx.signer() {
                    return Err(ModuleError::Unauthorized(format!(
                        "only the signer {} may revoke batch {batch}",
                        b.signer
                    )));
                }
                if b.revoked.is_some() {
                    return Err(ModuleError::Rejected(format!(
                        "batch {batch} is already revoked"
                    )));
                }
                b.revoked = Some(BatchRevocation {
                    height: ctx.height(),
                    timestamp_ms: ctx.timestamp_ms(),
                });
                ctx.set(&batch_key(batch), borsh::to_vec(&b).expect("write"));
                ctx.emit("revoked", vec![("batch".into(), batch.to_string())]);
                Ok(())
            }
        }
    }

    fn query(
        &self,
        ctx: &ReadContext<'_>,
        method: &str,
        args: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let q: EvidenceQuery =
            borsh::from_slice(args).map_err(|e| ModuleError::InvalidArgs(e.to_string()))?;
        if q.method() != method {
            return Err(ModuleError::UnknownMethod(method.to_string()));
        }
        let out = match q {
            EvidenceQuery::Batch { batch } => borsh::to_vec(&read_batch(|k| ctx.get(k), batch)?),
            EvidenceQuery::Count => borsh::to_vec(&match ctx.get(NEXT_KEY)? {
                Some(b) => stored::<u64>(&b)?,
                None => 0,
            }),
        };
        Ok(out.expect("write to Vec"))
    }

    fn describe_call(&self, _method: &str, args: &[u8]) -> Option<Value> {
        let c: EvidenceCall = borsh::from_slice(args).ok()?;
        Some(match c {
            EvidenceCall::Anchor { root, count } => {
                json!({ "Anchor": { "root": hex::encode(root), "count": count } })
            }
            EvidenceCall::Revoke { batch } => json!({ "Revoke": { "batch": batch } }),
        })
    }
}

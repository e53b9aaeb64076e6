//! Undecided proposals: the blocks behind the hashes Malachite votes on.
//!
//! Malachite's WAL records the proposed *values* (block hashes) and votes; the blocks
//! themselves are kept here, durably (one file per proposal, written and fsynced before this
//! node votes for or proposes it), so that after a crash a decision replayed from the WAL can
//! still be committed. Files of committed heights are removed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{BlockHeader, Hash, SignedTransaction};
use borsh::{BorshDeserialize, BorshSerialize};
use informalsystems_malachitebft_core_types::{Round, Validity};

use super::context::{BlockValue, Height, ValidatorAddress, WeftContext};

/// A proposed block's contents.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BlockData {
    /// Header (its hash is the value).
    pub header: BlockHeader,
    /// Transactions.
    pub transactions: Vec<SignedTransaction>,
}

/// A proposal seen (or made) by this node, with the block and its validity.
#[derive(Debug, Clone, BorshSerialize, BorshDeserialize)]
pub struct StoredProposal {
    /// Round it was proposed in.
    pub round: Round,
    /// Its proof-of-lock round.
    pub valid_round: Round,
    /// Proposer.
    pub proposer: ValidatorAddress,
    /// Whether this node found it valid.
    pub valid: bool,
    /// The block.
    pub block: Arc<BlockData>,
}

impl StoredProposal {
    /// As Malachite's proposed value.
    pub fn to_proposed_value(
        &self,
    ) -> informalsystems_malachitebft_core_consensus::ProposedValue<WeftContext> {
        informalsystems_malachitebft_core_consensus::ProposedValue {
            height: Height(self.block.header.height),
            round: self.round,
            valid_round: self.valid_round,
            proposer: self.proposer,
            value: BlockValue(self.block.header.hash()),
            validity: Validity::from_bool(self.valid),
        }
    }
}

/// Durable store of undecided proposals.
#[derive(Debug)]
pub struct ProposalStore {
    dir: PathBuf,
    /// By height, then (round, hash).
    by_height: BTreeMap<u64, BTreeMap<(i64, Hash), StoredProposal>>,
}

fn file_name(height: u64, round: Round, hash: &Hash) -> String {
    format!(
        "{height:020}-{}-{}.bin",
        round.as_i64(),
        hex::encode(hash.0)
    )
}

impl ProposalStore {
    /// Opens `dir`, loading proposals above `committed_height` and deleting the rest.
    pub fn open(dir: &Path, committed_height: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut store = ProposalStore {
            dir: dir.to_path_buf(),
            by_height: BTreeMap::new(),
        };
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let loaded = std::fs::read(&path)
                .ok()
                .and_then(|b| borsh::from_slice::<StoredProposal>(&b).ok());
            match loaded {
                Some(p) if p.block.header.height > committed_height => {
                    let h = p.block.header.height;
                    let key = (p.round.as_i64(), p.block.header.hash());
                    store.by_height.entry(h).or_default().insert(key, p);
                }
                // Committed, unreadable (torn write) or a temporary file: not needed.
                _ => std::fs::remove_file(&path)?,
            }
        }
        Ok(store)
    }

    /// Records a proposal durably (no-op if already stored with the same validity).
    pub fn insert(&mut self, p: StoredProposal) -> std::io::Result<()> {
        let height = p.block.header.height;
        let hash = p.block.header.hash();
        let key = (p.round.as_i64(), hash);
        if let Some(old) = self.by_height.get(&height).and_then(|m| m.get(&key)) {
            if old.valid == p.valid {
                return Ok(());
            }
        }
        let name = file_name(height, p.round, &hash);
        let tmp = self.dir.join(format!("{name}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&borsh::to_vec(&p)?)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, self.dir.join(&name))?;
        self.by_height.entry(height).or_default().insert(key, p);
        Ok(())
    }

    /// Proposals of `height` made in `round`.
    pub fn at_round(&self, height: u64, round: Round) -> Vec<StoredProposal> {
        self.by_height
            .get(&height)
            .map(|m| {
                m.iter()
                    .filter(|((r, _), _)| *r == round.as_i64())
                    .map(|(_, p)| p.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A stored block with this hash at `height`.
    pub fn block(&self, height: u64, hash: &Hash) -> Option<Arc<BlockData>> {
        self.by_height.get(&height).and_then(|m| {
            m.iter()
                .find(|((_, h), _)| h == hash)
                .map(|(_, p)| Arc::clone(&p.block))
        })
    }

    /// Forgets (and deletes) everything at or below `height`.
    pub fn prune_through(&mut self, height: u64) {
        let keep = self.by_height.split_off(&(height + 1));
        let gone = std::mem::replace(&mut self.by_height, keep);
        for (h, m) in gone {
            for ((round, hash), _) in m {
                let name = format!("{h:020}-{round}-{}.bin", hex::encode(hash.0));
                if let Err(e) = std::fs::remove_file(self.dir.join(name)) {
                    tracing::warn!(error = %e, height = h, "could not remove a decided proposal file");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Address, Hash};

    fn proposal(height: u64, round: u32, valid: bool) -> StoredProposal {
        StoredProposal {
            round: Round::new(round),
            valid_round: Round::Nil,
            proposer: ValidatorAddress::default(),
            valid,
            block: Arc::new(BlockData {
                header: BlockHeader {
                    chain_id: "c".into(),
                    height,
                    parent_hash: Hash::ZERO,
                    timestamp_ms: u64::from(round),
                    proposer: Address::default(),
                    transactions_root: Hash::ZERO,
                    receipts_root: Hash::ZERO,
                    state_root: Hash::ZERO,
                    validators_hash: Hash::ZERO,
                },
                transactions: Vec::new(),
            }),
        }
    }

    #[test]
    fn proposals_survive_reopen_and_committed_heights_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ProposalStore::open(dir.path(), 0).unwrap();
        let p5 = proposal(5, 0, true);
        let p5r1 = proposal(5, 1, false);
        let p6 = proposal(6, 0, true);
        for p in [&p5, &p5r1, &p6] {
            store.insert(p.clone()).unwrap();
        }
        // A torn write (temporary file) is ignored and removed on open.
        std::fs::write(dir.path().join("x.bin.tmp"), b"torn").unwrap();
        drop(store);

        // Reopened after a crash with head 4: everything above is back.
        let mut store = ProposalStore::open(dir.path(), 4).unwrap();
        assert!(!dir.path().join("x.bin.tmp").exists());
        assert_eq!(store.at_round(5, Round::new(0)).len(), 1);
        let r1 = store.at_round(5, Round::new(1));
        assert_eq!(r1.len(), 1);
        assert!(!r1[0].valid);
        let h5 = p5.block.header.hash();
        assert_eq!(store.block(5, &h5).unwrap().header, p5.block.header);
        assert!(store.block(6, &h5).is_none());

        // Height 5 committed: its proposals go, height 6 stays (also on disk).
        store.prune_through(5);
        assert!(store.block(5, &h5).is_none());
        drop(store);
        let store = ProposalStore::open(dir.path(), 5).unwrap();
        assert!(store.at_round(5, Round::new(0)).is_empty());
        assert_eq!(store.at_round(6, Round::new(0)).len(), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

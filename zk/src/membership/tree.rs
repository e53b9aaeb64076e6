//! Native Poseidon Merkle tree with empty-subtree defaults.
//!
//! Leaves are appended left to right. Only the filled prefix of each level is stored; every
//! node to its right is the root of an empty subtree, `empty[level]`, where `empty[0] = 0` and
//! `empty[l + 1] = node(empty[l], empty[l])`. A depth-20 tree with `n` leaves therefore costs
//! `O(n + depth)` memory and `O(depth)` hashes per insert.
//!
//! The empty leaf `0` is not a commitment anyone can open: that would need a Poseidon
//! preimage of `0` under the leaf domain.

use ark_bn254::Fr;
use ark_ff::Zero;

use super::{error::TreeError, poseidon, LeafCommitment, MerkleRoot};

/// The default depth: about a million members.
pub const DEFAULT_DEPTH: usize = 20;
/// The largest supported depth (leaf indices are `u64`, and the circuit grows linearly).
pub const MAX_DEPTH: usize = 32;

pub(crate) fn check_depth(depth: usize) -> Result<(), TreeError> {
    if (1..=MAX_DEPTH).contains(&depth) {
        Ok(())
    } else {
        Err(TreeError::UnsupportedDepth {
            depth,
            max: MAX_DEPTH,
        })
    }
}

/// An append-only Poseidon Merkle tree of fixed depth.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    depth: usize,
    /// `levels[0]` are the leaves, `levels[depth]` has at most the root.
    levels: Vec<Vec<Fr>>,
    /// Roots of empty subtrees by height.
    empty: Vec<Fr>,
}

impl MerkleTree {
    /// An empty tree of the given depth (`1..=MAX_DEPTH`).
    pub fn new(depth: usize) -> Result<Self, TreeError> {
        check_depth(depth)?;
        let mut empty = Vec::with_capacity(depth + 1);
        empty.push(Fr::zero());
        for l in 0..depth {
            empty.push(poseidon::node(&empty[l], &empty[l]));
        }
        Ok(Self {
            depth,
            levels: vec![Vec::new(); depth + 1],
            empty,
        })
    }

    /// A tree holding `leaves` in order.
    pub fn from_leaves(
        depth: usize,
        leaves: impl IntoIterator<Item = LeafCommitment>,
    ) -> Result<Self, TreeError> {
        let mut tree = Self::new(depth)?;
        for leaf in leaves {
            tree.insert(leaf)?;
        }
        Ok(tree)
    }

    /// The tree's depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves inserted.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether no leaf has been inserted.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// Number of leaf slots, `2^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    /// Appends a leaf and returns its index.
    pub fn insert(&mut self, leaf: LeafCommitment) -> Result<u64, TreeError> {
        let index = self.len();
        if index >= self.capacity() {
            return Err(TreeError::Full {
                capacity: self.capacity(),
            });
        }
        self.levels[0].push(leaf.0);
        let mut i = index as usize;
        for l in 0..self.depth {
            let parent = i / 2;
            let left = self.node_at(l, 2 * parent);
            let right = self.node_at(l, 2 * parent + 1);
            let value = poseidon::node(&left, &right);
            let level = &mut self.levels[l + 1];
            if parent < level.len() {
                level[parent] = value;
            } else {
                level.push(value);
            }
            i = parent;
        }
        Ok(index)
    }

    fn node_at(&self, level: usize, i: usize) -> Fr {
        self.levels[level]
            .get(i)
            .copied()
            .unwrap_or(self.empty[level])
    }

    /// The current root.
    pub fn root(&self) -> MerkleRoot {
        MerkleRoot(self.node_at(self.depth, 0))
    }

    /// The authentication path of the leaf at `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath, TreeError> {
        if index >= self.len() {
            return Err(TreeError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        }
        let mut i = index as usize;
        let siblings = (0..self.depth)
            .map(|l| {
                let s = self.node_at(l, i ^ 1);
                i /= 2;
                s
            })
            .collect();
        Ok(MerklePath { index, siblings })
    }
}

/// An authentication path: the leaf's index (its bits, least significant first, say whether
/// the running node is a right child at each level) and the sibling at each level, leaf first.
#[derive(Clone, PartialEq, Eq)]
pub struct MerklePath {
    pub(crate) index: u64,
    pub(crate) siblings: Vec<Fr>,
}

impl core::fmt::Debug for MerklePath {
    /// The index and siblings locate the member in the tree; they are not printed.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MerklePath")
            .field("depth", &self.siblings.len())
            .finish_non_exhaustive()
    }
}

impl MerklePath {
    /// The path's depth.
    pub fn depth(&self) -> usize {
        self.siblings.len()
    }

    /// The leaf index this path opens.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Direction bits, leaf level first: `true` when the running node is the right child.
    pub(crate) fn directions(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.siblings.len()).map(move |l| (self.index >> l) & 1 == 1)
    }

    /// The root obtained by hashing `leaf` up this path.
    pub fn root_from(&self, leaf: &LeafCommitment) -> MerkleRoot {
        let mut cur = leaf.0;
        for (sibling, is_right) in self.siblings.iter().zip(self.directions()) {
            cur = if is_right {
                poseidon::node(sibling, &cur)
            } else {
                poseidon::node(&cur, sibling)
            };
        }
        MerkleRoot(cur)
    }

    /// Whether this path opens `leaf` under `root`.
    pub fn verify(&self, leaf: &LeafCommitment, root: &MerkleRoot) -> bool {
        self.root_from(leaf) == *root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn leaves(n: usize, seed: u64) -> Vec<LeafCommitment> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (0..n).map(|_| LeafCommitment(Fr::rand(&mut rng))).collect()
    }

    /// Reference: hash the full bottom level up, no shortcuts.
    fn dense_root(depth: usize, leaves: &[LeafCommitment]) -> Fr {
        let mut level: Vec<Fr> = (0..1usize << depth)
            .map(|i| leaves.get(i).map_or(Fr::zero(), |l| l.0))
            .collect();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|p| poseidon::node(&p[0], &p[1]))
                .collect();
        }
        level[0]
    }

    #[test]
    fn sparse_root_matches_dense_reference() {
        for n in [0, 1, 2, 3, 5, 8, 13, 16] {
            let ls = leaves(n, n as u64);
            let tree = MerkleTree::from_leaves(4, ls.clone()).unwrap();
            assert_eq!(tree.root().0, dense_root(4, &ls), "n = {n}");
        }
    }

    #[test]
    fn every_path_verifies_and_only_for_its_leaf() {
        let ls = leaves(11, 3);
        let tree = MerkleTree::from_leaves(5, ls.clone()).unwrap();
        let root = tree.root();
        for (i, leaf) in ls.iter().enumerate() {
            let path = tree.path(i as u64).unwrap();
            assert_eq!(path.depth(), 5);
            assert!(path.verify(leaf, &root));
            assert!(!path.verify(&ls[(i + 1) % ls.len()], &root));
        }
        let mut path = tree.path(4).unwrap();
        path.index ^= 1;
        assert!(!path.verify(&ls[4], &root));
    }

    #[test]
    fn depth_20_with_hundreds_of_leaves_is_cheap() {
        let ls = leaves(300, 9);
        let tree = MerkleTree::from_leaves(DEFAULT_DEPTH, ls.clone()).unwrap();
        assert_eq!(tree.len(), 300);
        let path = tree.path(299).unwrap();
        assert!(path.verify(&ls[299], &tree.root()));
    }

    #[test]
    fn full_tree_and_bad_indices_are_errors() {
        let mut tree = MerkleTree::from_leaves(2, leaves(4, 1)).unwrap();
        assert_eq!(
            tree.insert(LeafCommitment(Fr::from(1u64))),
            Err(TreeError::Full { capacity: 4 })
        );
        assert_eq!(
            tree.path(4).unwrap_err(),
            TreeError::IndexOutOfRange { index: 4, len: 4 }
        );
        assert!(matches!(
            MerkleTree::new(0),
            Err(TreeError::UnsupportedDepth { .. })
        ));
        assert!(matches!(
            MerkleTree::new(MAX_DEPTH + 1),
            Err(TreeError::UnsupportedDepth { .. })
        ));
        assert_eq!(MerkleTree::new(MAX_DEPTH).unwrap().capacity(), 1 << 32);
    }

    #[test]
    fn the_root_changes_with_every_insert() {
        let mut tree = MerkleTree::new(8).unwrap();
        let mut seen = vec![tree.root()];
        for leaf in leaves(6, 5) {
            tree.insert(leaf).unwrap();
            assert!(!seen.contains(&tree.root()));
            seen.push(tree.root());
        }
    }
}

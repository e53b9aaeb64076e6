//! One in-process node for the module tests: a single validator, blocks produced by hand one
//! second apart, every module of `weft_did::modules()` registered.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::cell::Cell;
use std::sync::Arc;

use weft_chain::{
    Call, Genesis, Keypair, ModuleRegistry, Node, NodeConfig, ReceiptStatus, Transaction,
};

/// The chain id of the test node.
pub const CHAIN: &str = "weft-test";

/// A test node.
pub struct Env {
    _dir: tempfile::TempDir,
    /// The single validator (signs blocks).
    pub validator: Keypair,
    /// The governance committee of [`Env::governed`].
    pub committee: Keypair,
    /// The node.
    pub node: Arc<Node>,
    /// Timestamp (ms) of the last block.
    pub clock: Cell<u64>,
}

impl Env {
    /// A node whose governance authority is its validator.
    pub fn new() -> Env {
        Self::open(false)
    }

    /// A node whose governance authority is a separate committee key.
    pub fn governed() -> Env {
        Self::open(true)
    }

    fn open(committee_governs: bool) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let validator = Keypair::from_seed(&[200; 32]);
        let committee = Keypair::from_seed(&[201; 32]);
        let authority = if committee_governs {
            committee.address()
        } else {
            validator.address()
        };
        let genesis = Genesis::single_validator(CHAIN, &validator, vec![authority]);
        let modules = weft_did::modules()
            .into_iter()
            .fold(ModuleRegistry::with_defaults(), |r, m| r.with(m));
        let node = Node::open(
            NodeConfig {
                data_dir: dir.path().to_path_buf(),
                ..NodeConfig::default()
            },
            genesis,
            modules,
        )
        .unwrap();
        Env {
            _dir: dir,
            validator,
            committee,
            node,
            clock: Cell::new(1_000_000),
        }
    }

    /// Submits `call` signed by `key`, commits a block one second after the previous one, and
    /// returns the receipt's event attributes, or its error.
    pub fn exec_events(&self, key: &Keypair, call: Call) -> Result<Vec<(String, String)>, String> {
        let nonce = self.node.next_nonce(&key.address()).unwrap();
        let tx = Transaction {
            chain_id: CHAIN.into(),
            sender: key.public_key(),
            nonce,
            call,
        }
        .sign(key);
        let hash = self.node.submit(tx).unwrap();
        self.clock.set(self.clock.get() + 1000);
        self.node
            .produce_block(&self.validator, self.clock.get(), false)
            .unwrap()
            .unwrap();
        let receipt = self.node.receipt(&hash).unwrap().unwrap();
        match receipt.status {
            ReceiptStatus::Success => Ok(receipt
                .events
                .into_iter()
                .flat_map(|e| e.attributes)
                .collect()),
            ReceiptStatus::Failed => Err(receipt.error.map(|e| e.message).unwrap_or_default()),
        }
    }

    /// [`Env::exec_events`] without the events.
    pub fn exec(&self, key: &Keypair, call: Call) -> Result<(), String> {
        self.exec_events(key, call).map(|_| ())
    }
}

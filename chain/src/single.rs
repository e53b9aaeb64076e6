//! The single-validator driver: today's stand-in for BFT consensus.

use std::sync::Arc;

use crate::crypto::Keypair;
use crate::node::Node;

/// Produces blocks from the pool with one validator key.
#[derive(Debug)]
pub struct SingleValidator;

/// Handle to a running [`SingleValidator`].
#[derive(Debug)]
pub struct SingleValidatorHandle {}

impl SingleValidator {
    /// Starts the block production loop on a dedicated thread.
    pub fn spawn(node: Arc<Node>, key: Keypair) -> SingleValidatorHandle {
        let _ = (node, key);
        unimplemented!()
    }
}

impl SingleValidatorHandle {
    /// Stops after the block in flight and waits for the thread to finish.
    pub fn shutdown(self) {
        unimplemented!()
    }
}

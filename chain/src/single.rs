//! The single-validator driver: today's stand-in for BFT consensus.
//!
//! A dedicated thread waits until the pool has ready transactions (or the heartbeat interval
//! passes), lets a short batching delay gather more, then asks the node to produce, certify and
//! commit a block with the validator key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::crypto::Keypair;
use crate::node::Node;

/// Produces blocks from the pool with one validator key.
#[derive(Debug)]
pub struct SingleValidator;

/// Handle to a running [`SingleValidator`]; dropping it also stops the driver.
#[derive(Debug)]
pub struct SingleValidatorHandle {
    node: Arc<Node>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl SingleValidator {
    /// Starts the block production loop on a dedicated thread.
    pub fn spawn(node: Arc<Node>, key: Keypair) -> SingleValidatorHandle {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let node = Arc::clone(&node);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("weft-validator".into())
                .spawn(move || run(&node, &key, &stop))
                .expect("spawn validator thread")
        };
        SingleValidatorHandle {
            node,
            stop,
            thread: Some(thread),
        }
    }
}

fn run(node: &Node, key: &Keypair, stop: &AtomicBool) {
    let cfg = node.config().block.clone();
    let mut last_block = Instant::now();
    while !stop.load(Ordering::Acquire) {
        let deadline = last_block + cfg.max_block_interval;
        node.wait_for_ready(deadline, || stop.load(Ordering::Acquire));
        if stop.load(Ordering::Acquire) {
            break;
        }
        let ready = node.ready_transactions();
        if ready == 0 && Instant::now() < deadline {
            continue;
        }
        if ready > 0 && ready < cfg.max_block_txs && !cfg.batch_delay.is_zero() {
            std::thread::sleep(cfg.batch_delay);
        }
        match node.produce_block(key, now_ms(), ready == 0) {
            Ok(Some(b)) => {
                last_block = Instant::now();
                tracing::debug!(
                    height = b.block.header.height,
                    txs = b.block.transactions.len(),
                    "committed block"
                );
            }
            // Nothing was ready after all (e.g. dropped meanwhile): do not spin.
            Ok(None) => {
                std::thread::sleep(cfg.batch_delay.max(std::time::Duration::from_millis(1)))
            }
            Err(e) => {
                tracing::error!(error = %e, "block production failed");
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
}

impl SingleValidatorHandle {
    /// Stops after the block in flight and waits for the thread to finish.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.node.wake();
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("validator thread panicked");
            }
        }
    }
}

impl Drop for SingleValidatorHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

//! Byzantine fault-tolerant consensus for Weft, driving the ledger core
//! ([`crate::Node`]) through Malachite (Tendermint), with Malachite's write-ahead log,
//! libp2p networking and value sync.
//!
//! # Flow
//!
//! Malachite agrees on block hashes ([`context::BlockValue`]); the blocks travel as streamed
//! proposal parts and are checked by re-execution before this node votes (see [`app`] for the
//! message-by-message contract). A precommit is signed over Weft's commit-certificate bytes, so
//! a decision's 2f+1 precommits are stored as the block's certificate and verify with
//! [`crate::Node::verify_certificate`] on any node.
//!
//! # Module map
//!
//! - [`context`]: Malachite's `Context` on Weft types (height, validators, value, votes...).
//! - [`signing`]: what is signed (domain-separated, chain-bound) and the signing provider.
//! - [`certificate`]: Malachite commit certificate <-> Weft `CommitCertificate`.
//! - [`codec`]: borsh encoding of network and WAL messages.
//! - [`proposals`]: durable store of undecided proposed blocks.
//! - [`app`]: the application loop answering the engine.
//! - this file: [`ConsensusOptions`] and [`spawn`], which starts engine and app on their own
//!   runtime thread.

pub mod app;
pub mod certificate;
pub mod codec;
pub mod context;
pub mod proposals;
pub mod signing;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::{Keypair, Node, PublicKey};
use async_trait::async_trait;
use informalsystems_malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, P2pConfig, PubSubProtocol, TimeoutConfig, ValuePayload,
    ValueSyncConfig,
};
use informalsystems_malachitebft_app_channel::app::events::{RxEvent, TxEvent};
use informalsystems_malachitebft_app_channel::app::node::{EngineHandle, NodeConfig, NodeHandle};
use informalsystems_malachitebft_app_channel::app::types::Keypair as P2pKeypair;
use serde::{Deserialize, Serialize};

use self::context::{ValidatorAddress, WeftContext};
use self::signing::Signer;

/// Fault injection for Byzantine tests (set with `WEFT_TEST_BYZANTINE`; never in production).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ByzantineMode {
    /// Votes and proposals are signed over the wrong bytes.
    BadSignatures,
    /// Own proposals claim a state root their transactions do not produce.
    BadProposals,
}

impl std::str::FromStr for ByzantineMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bad-signatures" => Ok(ByzantineMode::BadSignatures),
            "bad-proposals" => Ok(ByzantineMode::BadProposals),
            other => Err(format!(
                "unknown byzantine mode {other:?} (bad-signatures, bad-proposals)"
            )),
        }
    }
}

/// Consensus timeouts, in milliseconds (serialised in the node's config file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    /// Propose step (must exceed the block interval: the proposer waits for transactions).
    pub propose_ms: u64,
    /// Prevote step.
    pub prevote_ms: u64,
    /// Precommit step.
    pub precommit_ms: u64,
    /// Added per round to each step.
    pub delta_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            propose_ms: 3000,
            prevote_ms: 1000,
            precommit_ms: 1000,
            delta_ms: 500,
        }
    }
}

/// Everything consensus needs besides the ledger node.
#[derive(Debug, Clone)]
pub struct ConsensusOptions {
    /// Directory for the WAL (`wal/`) and undecided proposals (`proposals/`).
    pub home: PathBuf,
    /// This node's key: validator key if it is in the set, and its libp2p identity.
    pub key: Keypair,
    /// Name in logs.
    pub moniker: String,
    /// libp2p listen multiaddr, e.g. `/ip4/127.0.0.1/tcp/27000`.
    pub listen: String,
    /// Peers' multiaddrs.
    pub peers: Vec<String>,
    /// Step timeouts.
    pub timeouts: Timeouts,
    /// Empty block after this long without transactions.
    pub max_block_interval: Duration,
    /// Batch delay once transactions are ready.
    pub batch_delay: Duration,
    /// How often peers exchange sync status.
    pub sync_status_interval: Duration,
    /// Fault injection (tests only).
    pub byzantine: Option<ByzantineMode>,
}

/// Consensus could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// A setting is invalid.
    #[error("invalid consensus setting: {0}")]
    Config(String),
    /// The proposal store could not be opened.
    #[error("proposal store: {0}")]
    Io(#[from] std::io::Error),
    /// The engine failed to start.
    #[error("consensus engine: {0}")]
    Engine(String),
}

/// Malachite's node configuration (what its engine reads).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }
    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }
    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }
}

/// Placeholder for Malachite's key-file hook: the key is loaded by Weft's node home.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct KeyFromHome;

/// The Malachite `Node` implementation (keys, home directory, configuration).
#[derive(Debug, Clone)]
struct EngineNode {
    home: PathBuf,
    key: Keypair,
    config: EngineConfig,
    chain_id: String,
    byzantine: Option<ByzantineMode>,
}

/// Handle for Malachite's `NodeHandle` trait.
struct EngineNodeHandle {
    engine: EngineHandle,
    events: TxEvent<WeftContext>,
}

#[async_trait]
impl NodeHandle<WeftContext> for EngineNodeHandle {
    fn subscribe(&self) -> RxEvent<WeftContext> {
        self.events.subscribe()
    }

    async fn kill(&self, _reason: Option<String>) -> eyre::Result<()> {
        self.engine.actor.kill_and_wait(None).await?;
        self.engine.handle.abort();
        Ok(())
    }
}

#[async_trait]
impl informalsystems_malachitebft_app_channel::app::node::Node for EngineNode {
    type Context = WeftContext;
    type Config = EngineConfig;
    type Genesis = KeyFromHome;
    type PrivateKeyFile = KeyFromHome;
    type SigningProvider = Signer;
    type NodeHandle = EngineNodeHandle;

    async fn start(&self) -> eyre::Result<EngineNodeHandle> {
        Err(eyre::eyre!(
            "start Weft consensus with weft_chain::consensus::spawn"
        ))
    }

    async fn run(self) -> eyre::Result<()> {
        Err(eyre::eyre!(
            "start Weft consensus with weft_chain::consensus::spawn"
        ))
    }

    fn get_home_dir(&self) -> PathBuf {
        self.home.clone()
    }

    fn load_config(&self) -> eyre::Result<EngineConfig> {
        Ok(self.config.clone())
    }

    fn get_address(&self, pk: &PublicKey) -> ValidatorAddress {
        ValidatorAddress(pk.address())
    }

    fn get_public_key(&self, pk: &Keypair) -> PublicKey {
        pk.public_key()
    }

    fn get_keypair(&self, pk: Keypair) -> P2pKeypair {
        let mut seed = pk.to_seed();
        P2pKeypair::ed25519_from_bytes(&mut seed[..]).expect("a 32-byte seed is a valid key")
    }

    fn load_private_key(&self, _file: KeyFromHome) -> Keypair {
        self.key.clone()
    }

    fn load_private_key_file(&self) -> eyre::Result<KeyFromHome> {
        Ok(KeyFromHome)
    }

    fn load_genesis(&self) -> eyre::Result<KeyFromHome> {
        Ok(KeyFromHome)
    }

    fn get_signing_provider(&self, key: Keypair) -> Signer {
        Signer::new(self.chain_id.clone(), key, self.byzantine)
    }
}

/// A running consensus engine and application.
#[derive(Debug)]
pub struct ConsensusHandle {
    thread: Option<std::thread::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ConsensusHandle {
    /// Stops the engine and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("consensus thread panicked");
            }
        }
    }
}

impl Drop for ConsensusHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn engine_config(opts: &ConsensusOptions) -> Result<EngineConfig, ConsensusError> {
    let listen = opts
        .listen
        .parse()
        .map_err(|e| ConsensusError::Config(format!("listen address {:?}: {e}", opts.listen)))?;
    let mut peers = Vec::new();
    for p in &opts.peers {
        peers.push(
            p.parse()
                .map_err(|e| ConsensusError::Config(format!("peer address {p:?}: {e}")))?,
        );
    }
    let t = &opts.timeouts;
    let ms = Duration::from_millis;
    let timeouts = TimeoutConfig {
        timeout_propose: ms(t.propose_ms),
        timeout_propose_delta: ms(t.delta_ms),
        timeout_prevote: ms(t.prevote_ms),
        timeout_prevote_delta: ms(t.delta_ms),
        timeout_precommit: ms(t.precommit_ms),
        timeout_precommit_delta: ms(t.delta_ms),
        timeout_rebroadcast: ms(t.propose_ms + t.prevote_ms + t.precommit_ms),
    };
    if opts.max_block_interval >= timeouts.timeout_propose {
        return Err(ConsensusError::Config(format!(
            "the propose timeout ({} ms) must exceed the maximum block interval ({} ms): \
             the proposer waits for transactions up to that interval",
            t.propose_ms,
            opts.max_block_interval.as_millis()
        )));
    }
    let consensus = ConsensusConfig {
        timeouts,
        p2p: P2pConfig {
            listen_addr: listen,
            persistent_peers: peers,
            discovery: DiscoveryConfig::default(),
            // Every validator of a consortium network connects to every other (persistent
            // peers): broadcast reaches each peer at once, while gossipsub's mesh (sized for
            // larger networks) may leave a peer to the once-a-second gossip heartbeat.
            protocol: PubSubProtocol::Broadcast,
            ..P2pConfig::default()
        },
        value_payload: ValuePayload::ProposalAndParts,
        queue_capacity: 100,
    };
    let value_sync = ValueSyncConfig {
        enabled: true,
        status_update_interval: opts.sync_status_interval,
        request_timeout: Duration::from_secs(10),
        ..ValueSyncConfig::default()
    };
    Ok(EngineConfig {
        moniker: opts.moniker.clone(),
        consensus,
        value_sync,
    })
}

/// Starts Malachite and the application for `node` on a dedicated thread with its own
/// multi-threaded runtime. Consensus resumes from the WAL and the proposal store in
/// `opts.home`. A node whose key is not in the validator set follows the chain as an observer.
pub fn spawn(node: Arc<Node>, opts: ConsensusOptions) -> Result<ConsensusHandle, ConsensusError> {
    let config = engine_config(&opts)?;
    std::fs::create_dir_all(&opts.home)?;
    let proposals = proposals::ProposalStore::open(&opts.home.join("proposals"), node.height())?;
    if let Some(mode) = opts.byzantine {
        tracing::warn!(?mode, "BYZANTINE FAULT INJECTION ENABLED (test harness)");
    }
    let signer = Signer::new(
        node.chain_id().to_string(),
        opts.key.clone(),
        opts.byzantine,
    );
    let engine_node = EngineNode {
        home: opts.home.clone(),
        key: opts.key.clone(),
        config: config.clone(),
        chain_id: node.chain_id().to_string(),
        byzantine: opts.byzantine,
    };
    let timing = app::Timing {
        max_block_interval: opts.max_block_interval,
        batch_delay: opts.batch_delay,
    };
    let (started_tx, started_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("weft-consensus".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("weft-consensus-rt")
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = started_tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let app =
                    app::App::new(Arc::clone(&node), signer, timing, opts.byzantine, proposals);
                let started = informalsystems_malachitebft_app_channel::start_engine(
                    WeftContext,
                    engine_node,
                    config,
                    codec::BorshCodec,
                    codec::BorshCodec,
                    Some(context::Height(node.height() + 1)),
                    app::validator_set(&node, node.height() + 1).unwrap_or(context::ValidatorSet {
                        validators: Vec::new(),
                    }),
                )
                .await;
                let (channels, engine) = match started {
                    Ok(x) => x,
                    Err(e) => {
                        let _ = started_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = started_tx.send(Ok(()));
                tokio::select! {
                    result = app.run(channels) => {
                        if let Err(e) = result {
                            tracing::error!(error = %e, "consensus application stopped");
                        }
                    }
                    _ = stop_rx => {}
                }
                if let Err(e) = engine.actor.kill_and_wait(None).await {
                    tracing::warn!(error = %e, "stopping the consensus engine");
                }
                engine.handle.abort();
            });
        })
        .map_err(ConsensusError::Io)?;
    match started_rx.recv() {
        Ok(Ok(())) => Ok(ConsensusHandle {
            thread: Some(thread),
            stop: Some(stop_tx),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(ConsensusError::Engine(e))
        }
        Err(_) => {
            let _ = thread.join();
            Err(ConsensusError::Engine("consensus thread exited".into()))
        }
    }
}

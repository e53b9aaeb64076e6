//! `weft testnet`: lays out a local multi-validator network (one home per node).
//!
//! ```text
//! DIR/
//!   admin.key              the governance committee's admin account (seed hex, 0600)
//!   node0 .. nodeN-1/      validators; nodeN.. are observers (--observers)
//!     genesis.json         the same in every home
//!     keys/node.key        the node's key: validator key and libp2p identity (0600)
//!     node.json            listen addresses, peers, block and consensus timing
//!     chain/  consensus/   created by `weft node` (ledger; WAL and undecided proposals)
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use weft_chain::{Genesis, GenesisValidator, Keypair};

use super::TestnetArgs;
use weft_service::node_home::write_key_file;

/// Configuration of one node of a multi-node network (`node.json`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NetworkNodeConfig {
    /// Name in logs.
    pub moniker: String,
    /// HTTP listen address (JSON-RPC, WebSocket, peer transaction forwarding).
    pub http: std::net::SocketAddr,
    /// libp2p listen multiaddr for consensus.
    pub p2p: String,
    /// Other nodes' libp2p multiaddrs.
    pub peers: Vec<String>,
    /// Other nodes' HTTP base URLs (transactions are forwarded there).
    pub peer_http: Vec<String>,
    /// Empty block after this long without transactions (milliseconds).
    pub max_block_interval_ms: u64,
    /// Wait for more transactions once some are ready (milliseconds).
    pub batch_delay_ms: u64,
    /// Consensus step timeouts.
    #[serde(default)]
    pub timeouts: weft_chain::consensus::Timeouts,
    /// Sync status exchange interval (milliseconds).
    #[serde(default = "default_sync_ms")]
    pub sync_status_interval_ms: u64,
}

fn default_sync_ms() -> u64 {
    1000
}

/// `node.json` of a home.
pub fn config_path(home: &Path) -> PathBuf {
    home.join("node.json")
}

/// `keys/node.key` of a home.
pub fn key_path(home: &Path) -> PathBuf {
    home.join("keys").join("node.key")
}

pub fn run(args: TestnetArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.validators >= 1, "--validators must be at least 1");
    let total = args.validators + args.observers;
    if args.dir.exists() && std::fs::read_dir(&args.dir)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", args.dir.display());
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;

    let keys: Vec<Keypair> = (0..total).map(|_| Keypair::generate()).collect();
    let admin = Keypair::generate();
    write_key_file(&args.dir.join("admin.key"), &admin)?;
    let genesis = Genesis {
        chain_id: args.chain_id.clone(),
        timestamp_ms: 0,
        validators: keys[..args.validators]
            .iter()
            .enumerate()
            .map(|(i, k)| GenesisValidator {
                name: format!("validator-{i}"),
                public_key: k.public_key(),
                power: 1,
            })
            .collect(),
        committee: vec![admin.address()],
        config: Default::default(),
    };
    genesis.validate().context("genesis")?;
    let genesis_json = serde_json::to_vec_pretty(&genesis)?;

    let p2p = |i: usize| format!("/ip4/127.0.0.1/tcp/{}", args.base_port as usize + 2 * i);
    let http =
        |i: usize| std::net::SocketAddr::from(([127, 0, 0, 1], args.base_port + 2 * i as u16 + 1));
    for (i, key) in keys.iter().enumerate() {
        let home = args.dir.join(format!("node{i}"));
        std::fs::create_dir_all(home.join("keys"))?;
        write_key_file(&key_path(&home), key)?;
        std::fs::write(home.join("genesis.json"), &genesis_json)?;
        let others: Vec<usize> = (0..total).filter(|j| *j != i).collect();
        let config = NetworkNodeConfig {
            moniker: format!("node{i}"),
            http: http(i),
            p2p: p2p(i),
            peers: others.iter().map(|j| p2p(*j)).collect(),
            peer_http: others
                .iter()
                .map(|j| format!("http://{}", http(*j)))
                .collect(),
            max_block_interval_ms: args.max_block_interval_ms,
            batch_delay_ms: 5,
            timeouts: weft_chain::consensus::Timeouts {
                propose_ms: args.max_block_interval_ms + 2000,
                ..weft_chain::consensus::Timeouts::default()
            },
            sync_status_interval_ms: default_sync_ms(),
        };
        std::fs::write(config_path(&home), serde_json::to_vec_pretty(&config)?)?;
    }

    println!(
        "wrote a {}-validator network{} for chain {:?} in {}",
        args.validators,
        if args.observers > 0 {
            format!(" with {} observer(s)", args.observers)
        } else {
            String::new()
        },
        args.chain_id,
        args.dir.display()
    );
    println!(
        "  committee admin key: {}",
        args.dir.join("admin.key").display()
    );
    println!("start each node in its own terminal:");
    for i in 0..total {
        let role = if i < args.validators {
            "validator"
        } else {
            "observer"
        };
        println!(
            "  weft node --home {}    # {role}, rpc http://{}/rpc",
            args.dir.join(format!("node{i}")).display(),
            http(i)
        );
    }
    Ok(())
}

//! `weft testnet` and `weft join`: node homes for a consortium of organisations.
//!
//! Every node is one organisation's full platform node (`weft node`): consensus, JSON-RPC,
//! REST API, off-chain store, keystore and web UI. `weft testnet` lays out N founding
//! organisations (validators) and M observers on one machine:
//!
//! ```text
//! DIR/
//!   node0 .. nodeN-1/      validators; nodeN.. are observers (--observers)
//!     genesis.json         the same in every home
//!     keys/node.key        the node's key: validator key and libp2p identity (0600)
//!     keys/operator.key    the organisation's operator account (0600); custodied by the
//!                          node as key "admin" of tenant "operator"; for the founders, a
//!                          member of the genesis governance committee
//!     node.json            listen addresses, peers, block timing, store, master key file
//!     admin.token          the organisation's first admin token, written at first start (0600)
//!     chain/  consensus/   created by `weft node` (ledger; WAL and undecided proposals)
//!     api.db               created by `weft node` (the organisation's off-chain store)
//!   secrets/nodeI.master.key  each organisation's master key (created at first start; outside
//!                          the home, as the keystore requires)
//! ```
//!
//! The genesis committee is the founding organisations' operator accounts: a proposal (a new
//! validator, a permission) passes once a strict majority of them approve.
//!
//! `weft join` lays out one new organisation's home from the network's genesis file and a
//! member's addresses; it starts as an observer, and the committee votes it in
//! (`weft tx send … governance propose add-validator`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use weft_chain::{Genesis, GenesisValidator, Keypair};

use super::{JoinArgs, TestnetArgs};
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
    /// The organisation's off-chain store (default `<home>/api.db`).
    #[serde(default)]
    pub database_url: Option<String>,
    /// The organisation's master key file (outside the home; created at first start).
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
    /// The URL other organisations reach this node at (default `http://<http>`).
    #[serde(default)]
    pub public_url: Option<String>,
    /// Where the first admin token is written at first start (mode 0600); unset: printed only.
    #[serde(default)]
    pub admin_token_file: Option<PathBuf>,
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

/// `keys/operator.key` of a home: the organisation's operator account.
pub fn operator_key_path(home: &Path) -> PathBuf {
    home.join("keys").join("operator.key")
}

/// `admin.token` of a home.
pub fn admin_token_path(home: &Path) -> PathBuf {
    home.join("admin.token")
}

fn ensure_empty_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// An absolute form of `path` (node.json is read from anywhere).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn run(args: TestnetArgs) -> anyhow::Result<()> {
    layout(&args)?;
    print_layout(&args);
    Ok(())
}

/// Writes the homes of `args` (see the module docs), printing nothing.
pub fn layout(args: &TestnetArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.validators >= 1, "--validators must be at least 1");
    let total = args.validators + args.observers;
    anyhow::ensure!(
        args.base_port as usize + 2 * total <= u16::MAX as usize,
        "--base-port too high for {total} nodes"
    );
    ensure_empty_dir(&args.dir)?;
    let dir = absolute(&args.dir);

    let keys: Vec<Keypair> = (0..total).map(|_| Keypair::generate()).collect();
    let operators: Vec<Keypair> = (0..total).map(|_| Keypair::generate()).collect();
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
        committee: operators[..args.validators]
            .iter()
            .map(Keypair::address)
            .collect(),
        config: Default::default(),
    };
    genesis.validate().context("genesis")?;
    let genesis_json = serde_json::to_vec_pretty(&genesis)?;

    let p2p = |i: usize| format!("/ip4/127.0.0.1/tcp/{}", args.base_port as usize + 2 * i);
    let http =
        |i: usize| std::net::SocketAddr::from(([127, 0, 0, 1], args.base_port + 2 * i as u16 + 1));
    std::fs::create_dir_all(dir.join("secrets"))?;
    for (i, key) in keys.iter().enumerate() {
        let home = dir.join(format!("node{i}"));
        std::fs::create_dir_all(home.join("keys"))?;
        write_key_file(&key_path(&home), key)?;
        write_key_file(&operator_key_path(&home), &operators[i])?;
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
            timeouts: timeouts(args.max_block_interval_ms),
            sync_status_interval_ms: default_sync_ms(),
            database_url: None,
            master_key_file: Some(dir.join("secrets").join(format!("node{i}.master.key"))),
            public_url: None,
            admin_token_file: Some(admin_token_path(&home)),
        };
        std::fs::write(config_path(&home), serde_json::to_vec_pretty(&config)?)?;
    }
    Ok(())
}

fn print_layout(args: &TestnetArgs) {
    let total = args.validators + args.observers;
    let dir = absolute(&args.dir);
    let http =
        |i: usize| std::net::SocketAddr::from(([127, 0, 0, 1], args.base_port + 2 * i as u16 + 1));
    println!(
        "wrote a {}-organisation network{} for chain {:?} in {}",
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
        "governance committee: the {} founding organisations' operator accounts (keys/operator.key)",
        args.validators
    );
    println!("start each node in its own terminal; each is one organisation's full node:");
    for i in 0..total {
        let home = dir.join(format!("node{i}"));
        let role = if i < args.validators {
            "validator"
        } else {
            "observer"
        };
        println!("  weft node --home {}", home.display());
        println!(
            "      {role}; web ui http://{0}/  api http://{0}/api/v1  rpc http://{0}/rpc",
            http(i)
        );
        println!(
            "      admin token: {} (written at first start); operator key: {}",
            admin_token_path(&home).display(),
            operator_key_path(&home).display()
        );
    }
}

fn timeouts(max_block_interval_ms: u64) -> weft_chain::consensus::Timeouts {
    weft_chain::consensus::Timeouts {
        propose_ms: max_block_interval_ms + 2000,
        ..weft_chain::consensus::Timeouts::default()
    }
}

/// `weft join`: a new organisation's observer home, from the network's genesis and a member's
/// addresses.
pub fn join(args: JoinArgs) -> anyhow::Result<()> {
    let genesis_json = std::fs::read(&args.genesis)
        .with_context(|| format!("reading {}", args.genesis.display()))?;
    let genesis: Genesis = serde_json::from_slice(&genesis_json)
        .with_context(|| format!("parsing {}", args.genesis.display()))?;
    genesis.validate().context("genesis")?;
    anyhow::ensure!(
        args.peers.len() == args.peer_http.len(),
        "give as many --peer-http as --peer (the same member nodes)"
    );
    ensure_empty_dir(&args.home)?;
    let home = absolute(&args.home);
    let key = Keypair::generate();
    let operator = Keypair::generate();
    write_key_file(&key_path(&home), &key)?;
    write_key_file(&operator_key_path(&home), &operator)?;
    std::fs::write(home.join("genesis.json"), &genesis_json)?;
    let secrets = home
        .parent()
        .map(|p| p.join("secrets"))
        .context("the home needs a parent directory (for the master key file)")?;
    std::fs::create_dir_all(&secrets)?;
    let name = home
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("node")
        .to_string();
    let config = NetworkNodeConfig {
        moniker: args.moniker.clone(),
        http: args.http,
        p2p: args.p2p.clone(),
        peers: args.peers.clone(),
        peer_http: args.peer_http.clone(),
        max_block_interval_ms: args.max_block_interval_ms,
        batch_delay_ms: 5,
        timeouts: timeouts(args.max_block_interval_ms),
        sync_status_interval_ms: default_sync_ms(),
        database_url: None,
        master_key_file: Some(secrets.join(format!("{name}.master.key"))),
        public_url: None,
        admin_token_file: Some(admin_token_path(&home)),
    };
    std::fs::write(config_path(&home), serde_json::to_vec_pretty(&config)?)?;
    println!(
        "wrote an observer home for chain {:?} in {}",
        genesis.chain_id,
        home.display()
    );
    println!("  start it:          weft node --home {}", home.display());
    println!("  node public key:   {}", key.public_key());
    println!("  operator account:  {}", operator.address());
    println!(
        "  to become a validator, a committee member proposes it and the committee votes:\n    \
         weft tx send --rpc <member rpc> --key <member operator key> governance propose \
         add-validator {} --name {}",
        key.public_key(),
        args.moniker
    );
    Ok(())
}

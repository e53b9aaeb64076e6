//! `weft-cli`: the `weft` command line — clap definitions and one function per client
//! subcommand, and the load generators of `weft bench`.
//!
//! The client subcommands talk to a running node over JSON-RPC and REST ([`client`]) or work on
//! local key files (`weft_service::keyfile`); they never call the HTTP handlers. The two
//! subcommands that *run* a node (`weft up`, `weft node`) compose the HTTP server, so the binary
//! (`weft-api`'s `main.rs`) supplies them through [`NodeRunner`]: this crate does not depend on
//! `weft-api`.
//!
//! - [`client`]: a small JSON-RPC client on awc.
//! - `chain`, `did`, `key`, `psi`, `qr`, `token`, `tx`, `vc`, [`vote`]: the subcommands.
//! - [`testnet`]: `weft testnet` and `weft join`, node homes of a consortium;
//!   [`local_net`]: a local consortium of `weft node` child processes (bench, demos).
//! - [`bench`](mod@bench), [`bench_did`], [`bench_vc`]: `weft bench chain|did|vc`.
//!
//! Subcommands return `anyhow::Result`; `main` prints the error chain and exits non-zero.

pub mod bench;
pub mod bench_did;
pub mod bench_vc;
mod chain;
pub mod client;
mod did;
mod key;
pub mod local_net;
pub mod psi;
pub mod qr;
pub mod testnet;
mod token;
mod tx;
mod vc;
pub mod vote;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Default data directory of `weft up`.
pub const DEFAULT_DATA_DIR: &str = "./weft-data";
/// Default HTTP listen address of `weft up`.
pub const DEFAULT_HTTP: &str = "127.0.0.1:8080";
/// Default node URL of the client subcommands.
pub const DEFAULT_RPC: &str = "http://127.0.0.1:8080";

const KEY_FILE_NOTE: &str = "`weft key new` writes a passphrase-encrypted key file (PBKDF2 + \
AES-256-GCM, mode 0600; passphrase from WEFT_KEY_PASSPHRASE or a prompt). The data directory's \
keys/*.key hold plain hex seeds (mode 0600): protect the data directory like a private key. \
The server's custodied keys are sealed under the master key, which is never stored in the data \
directory.";

/// Weft: a consortium chain node and its tools.
#[derive(Debug, Parser)]
#[command(name = "weft", version, about, after_help = KEY_FILE_NOTE)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a single-validator node on the embedded store (creates genesis and keys on first run).
    #[command(after_help = KEY_FILE_NOTE)]
    Up(UpArgs),
    /// Write genesis, keys and configs for a local multi-validator network.
    Testnet(TestnetArgs),
    /// Run one organisation's full node of a network written by `weft testnet` or `weft join`:
    /// BFT consensus (Malachite), JSON-RPC, the platform REST API, store, keystore and web UI.
    Node(NodeArgs),
    /// Lay out a new organisation's node home to join a running network as an observer (the
    /// committee can then vote it in as a validator).
    Join(JoinArgs),
    /// Create or inspect account keys.
    #[command(subcommand, after_help = KEY_FILE_NOTE)]
    Key(KeyCommand),
    /// Query a running node.
    #[command(subcommand)]
    Chain(ChainCommand),
    /// Sign and submit transactions.
    #[command(subcommand)]
    Tx(TxCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Manage API tokens through a running server (needs an admin token).
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// DIDs: create, resolve, add or rotate keys, deactivate.
    #[command(subcommand)]
    Did(did::DidCommand),
    /// Authority issuers: apply, recognise (committee), list.
    #[command(subcommand)]
    Issuer(did::IssuerCommand),
    /// Claim protocol types (JSON Schemas on chain): register, show.
    #[command(subcommand)]
    Cpt(did::CptCommand),
    /// Verifiable credentials: issue through a server, verify (prints every check).
    #[command(subcommand)]
    Vc(vc::VcCommand),
    /// Anonymous voting: inspect and audit polls.
    #[command(subcommand)]
    Vote(vote::VoteCommand),
    /// Private set intersection with a partner's server.
    #[command(subcommand)]
    Psi(psi::PsiCommand),
    /// QR envelopes: encode a payload to PNG/SVG, decode an image.
    #[command(subcommand)]
    Qr(qr::QrCommand),
}

/// `weft up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Data directory (genesis.json, keys/, chain/).
    #[arg(long, env = "WEFT_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// HTTP listen address for JSON-RPC (`/rpc`) and subscriptions (`/ws`). Port 0 picks a free port.
    #[arg(long, env = "WEFT_HTTP", default_value = DEFAULT_HTTP)]
    pub http: SocketAddr,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Off-chain database: `postgres://...` or `sqlite://...` (default: `<data-dir>/api.db`).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// File holding the 32-byte master secret as hex (else WEFT_MASTER_KEY, else
    /// ~/.config/weft/master.key, created on first start). Never inside the data directory.
    #[arg(long, env = "WEFT_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// REST rate limit per client IP, requests per second (burst: twice that); 0 disables.
    #[arg(long, default_value_t = 200.0)]
    pub ip_rate_limit: f64,
    /// REST rate limit per token, requests per second (burst: twice that); 0 disables.
    #[arg(long, default_value_t = 50.0)]
    pub token_rate_limit: f64,
    /// How long REST transaction endpoints wait for a receipt, in seconds.
    #[arg(long, default_value_t = 30)]
    pub receipt_timeout: u64,
    /// The URL wallets and other organisations reach this node at, written into every URL Weft
    /// puts in a credential (status lists). Default: WEFT_PUBLIC_URL, else
    /// `http://<listen address>`; a loopback address is warned about at start.
    #[arg(long)]
    pub public_url: Option<String>,
}

/// `weft testnet`.
#[derive(Debug, Args)]
pub struct TestnetArgs {
    /// Number of validators (equal voting power).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Number of observer (non-validator) nodes.
    #[arg(long, default_value_t = 0)]
    pub observers: usize,
    /// Directory to create (must not exist or be empty).
    #[arg(long)]
    pub dir: PathBuf,
    /// Chain id.
    #[arg(long, default_value = "weft-testnet")]
    pub chain_id: String,
    /// First port: node i uses base+2i for p2p and base+2i+1 for HTTP, on 127.0.0.1.
    #[arg(long, default_value_t = 26650)]
    pub base_port: u16,
    /// With no transactions, an empty block after this many milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub max_block_interval_ms: u64,
}

/// `weft node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The node's home directory (written by `weft testnet` or `weft join`).
    #[arg(long, env = "WEFT_HOME")]
    pub home: PathBuf,
    /// Off-chain database: `postgres://...` or `sqlite://...` (default: `node.json`'s
    /// `database_url`, else `<home>/api.db`). Not read from `DATABASE_URL`: each organisation
    /// has its own store.
    #[arg(long)]
    pub database_url: Option<String>,
    /// File holding the organisation's 32-byte master secret as hex (default: `node.json`'s
    /// `master_key_file`, else WEFT_MASTER_KEY, else ~/.config/weft/master.key). Never inside
    /// the home directory.
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
    /// The URL other organisations and wallets reach this node at (default: `node.json`'s
    /// `public_url`, else `http://<http listen address>`). Written into the organisation's DID
    /// document (service `WeftNode`) and into credentials' status-list URLs.
    #[arg(long)]
    pub public_url: Option<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// `weft join`.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The network's genesis file (from any member).
    #[arg(long)]
    pub genesis: PathBuf,
    /// A member node's libp2p address (`/ip4/…/tcp/…`); repeat for several.
    #[arg(long = "peer", required = true)]
    pub peers: Vec<String>,
    /// The same member nodes' HTTP base URLs (transactions are forwarded there); repeat.
    #[arg(long = "peer-http", required = true)]
    pub peer_http: Vec<String>,
    /// The new node's home directory (must not exist or be empty).
    #[arg(long)]
    pub home: PathBuf,
    /// HTTP listen address of the new node.
    #[arg(long, default_value = DEFAULT_HTTP)]
    pub http: SocketAddr,
    /// libp2p listen address of the new node.
    #[arg(long, default_value = "/ip4/127.0.0.1/tcp/26656")]
    pub p2p: String,
    /// Name in logs.
    #[arg(long, default_value = "joiner")]
    pub moniker: String,
    /// With no transactions, an empty block after this many milliseconds (must match the
    /// network's validators for a smooth start; any value is safe).
    #[arg(long, default_value_t = 2000)]
    pub max_block_interval_ms: u64,
}

/// `weft key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new account key and write it to a passphrase-encrypted file (prints address
    /// and public key). Passphrase from WEFT_KEY_PASSPHRASE, else prompted.
    New {
        /// Where to write the key (refuses to overwrite).
        #[arg(long, default_value = "weft.key")]
        out: PathBuf,
        /// Write the seed as plain hex instead (like the data directory's keys).
        #[arg(long)]
        plaintext: bool,
    },
    /// Show the address and public key of a key file (no passphrase needed).
    Show {
        /// The key file.
        #[arg(default_value = "./weft-data/keys/admin.key")]
        file: PathBuf,
    },
}

/// `weft chain ...`.
#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Height, latest hash, chain id, pool size and validators of a running node.
    Status {
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = DEFAULT_RPC)]
        rpc: String,
    },
}

/// `weft tx ...`.
#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Sign a transaction locally, submit it, wait for its receipt and print it.
    Send(tx::SendArgs),
}

/// `weft bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Committed TPS and commit latency under JSON-RPC load (one validator, or `--validators N`).
    Chain(crate::bench::BenchArgs),
    /// DID creations committed per second through REST, and resolutions per second.
    Did(crate::bench_did::BenchDidArgs),
    /// Credentials issued (with status and evidence) and verified per second over HTTP.
    Vc(crate::bench_vc::BenchVcArgs),
}

/// Runs the subcommands that serve a node: supplied by the binary, which composes the HTTP
/// server over the service layer.
pub trait NodeRunner {
    /// `weft up`.
    fn up(&self, args: UpArgs) -> anyhow::Result<()>;
    /// `weft node`.
    fn node(&self, args: NodeArgs) -> anyhow::Result<()>;
}

/// Runs a parsed command line (`weft up` and `weft node` through `runner`).
pub fn run(cli: Cli, runner: &dyn NodeRunner) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => runner.up(args),
        Command::Testnet(args) => testnet::run(args),
        Command::Node(args) => runner.node(args),
        Command::Join(args) => testnet::join(args),
        Command::Key(KeyCommand::New { out, plaintext }) => key::new(&out, plaintext),
        Command::Key(KeyCommand::Show { file }) => key::show(&file),
        Command::Chain(ChainCommand::Status { rpc }) => block_on(chain::status(&rpc)),
        Command::Tx(TxCommand::Send(args)) => block_on(tx::send(args)),
        Command::Bench(BenchCommand::Chain(args)) => crate::bench::run(args),
        Command::Bench(BenchCommand::Did(args)) => crate::bench_did::run(args),
        Command::Bench(BenchCommand::Vc(args)) => crate::bench_vc::run(args),
        Command::Token(command) => block_on(token::run(command)),
        Command::Did(command) => block_on(did::run_did(command)),
        Command::Issuer(command) => block_on(did::run_issuer(command)),
        Command::Cpt(command) => block_on(did::run_cpt(command)),
        Command::Vc(command) => block_on(vc::run(command)),
        Command::Vote(command) => block_on(vote::run(command)),
        Command::Psi(command) => block_on(psi::run(command)),
        Command::Qr(command) => qr::run(command),
    }
}

/// Runs a client future on a fresh single-threaded actix runtime (`awc` is not `Send`).
pub fn block_on<T>(
    future: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    actix_web::rt::System::new().block_on(future)
}

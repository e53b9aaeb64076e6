//! `weft bench chain`: committed transactions per second of a node under JSON-RPC load.
//!
//! The load generator is this process; the node is a separate `weft up` child on a temporary data
//! directory, or with `--validators N` (N > 1) a local BFT network written by `weft testnet` with
//! one `weft node` child per validator, loaded through node 0 (unless `--rpc` points at a running
//! node). Steps:
//!
//! 1. the ceiling: raw Ed25519 verification on this machine, one core (single signatures) and all
//!    cores (batch verification);
//! 2. pre-sign N governance `Noop` transactions from S fresh sender keys;
//! 3. subscribe to `newBlocks` over `/ws` (with transaction hashes) to timestamp commits;
//! 4. send the transactions with `sendTransactions` in chunks over several keep-alive connections
//!    (each connection owns a disjoint set of senders, so nonces arrive in order), as fast as the
//!    node accepts them (open loop), or paced at `--rate` transactions per second so the latency
//!    measures the chain rather than a queue the generator built;
//! 5. report committed TPS (first submit to last commit seen), commit latency p50/p99 (chunk
//!    submit to its block seen) and block sizes, with a Markdown table row for `docs/BENCHMARKS.md`.
//!
//! Committed means durable: the node acknowledges a block only after it is on disk.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ed25519_dalek::{Signer, SigningKey};
use futures_util::{SinkExt, StreamExt};
use rand::{rngs::StdRng, RngCore, SeedableRng};
use serde_json::{json, Value};
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{Keypair, Transaction};

use crate::client::RpcClient;

/// `weft bench chain` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Transactions to submit.
    #[arg(long, default_value_t = 200_000)]
    pub txs: usize,
    /// Distinct sender keys.
    #[arg(long, default_value_t = 500)]
    pub senders: usize,
    /// Transactions per `sendTransactions` request.
    #[arg(long, default_value_t = 1000)]
    pub chunk: usize,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Benchmark a running node instead of starting one.
    #[arg(long)]
    pub rpc: Option<String>,
    /// Give up waiting for commits after this many seconds without progress.
    #[arg(long, default_value_t = 60)]
    pub stall_timeout: u64,
    /// Offered load in transactions per second across all connections (0: as fast as accepted).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Validators of the network to start (1: `weft up`; more: `weft testnet` + `weft node`s).
    #[arg(long, default_value_t = 1, conflicts_with = "rpc")]
    pub validators: usize,
}

/// Runs the benchmark and prints its report.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.txs == 0 || args.senders == 0 || args.chunk == 0 || args.connections == 0 {
        bail!("--txs, --senders, --chunk and --connections must be positive");
    }
    if args.validators == 0 || args.validators > 16 {
        bail!("--validators must be between 1 and 16");
    }
    let connections = args.connections.min(args.senders);

    let mut child = None;
    let mut network = None;
    let rpc = match &args.rpc {
        Some(rpc) => rpc.clone(),
        None if args.validators > 1 => {
            let exe = std::env::current_exe().context("locating the weft binary")?;
            let net = crate::local_net::LocalNetwork::start(
                &exe,
                &temp_dir("weft-bench-net"),
                args.validators,
                2000,
                false,
            )?;
            let url = format!("{}/rpc", net.url(0));
            eprintln!(
                "network: {} validators, load through {url} (homes {}, logs there)",
                args.validators,
                net.dir().display()
            );
            network = Some(net);
            url
        }
        None => {
            let node = ChildNode::start()?;
            let url = node.rpc.clone();
            eprintln!(
                "node: {url} (data {}, log {})",
                node.dir.display(),
                node.log.display()
            );
            child = Some(node);
            url
        }
    };

    eprintln!("measuring the Ed25519 verification ceiling ...");
    let ceiling = Ceiling::measure();
    eprintln!(
        "  single, 1 core: {:.0}/s; batch, {} cores: {:.0}/s",
        ceiling.single_per_sec, ceiling.threads, ceiling.batch_per_sec
    );

    let result = actix_web::rt::System::new().block_on(load(&args, &rpc, connections));
    let report = result?;
    report.print(&args, connections, &ceiling);
    drop(child);
    drop(network);
    Ok(())
}

/// A fresh path under the temporary directory.
pub(crate) fn temp_dir(prefix: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        stamp.as_millis()
    ))
}

/// A `weft up` child process on a temporary data directory; killed and removed on drop.
pub(crate) struct ChildNode {
    child: Child,
    dir: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) rpc: String,
    /// The admin token `weft up` printed on its first start.
    pub(crate) admin_token: Option<String>,
}

impl ChildNode {
    fn start() -> anyhow::Result<Self> {
        Self::start_with(&[])
    }

    /// Starts `weft up` with `extra` arguments; returns once it printed its RPC URL and, on this
    /// first start, its admin token.
    pub(crate) fn start_with(extra: &[&str]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the weft binary")?;
        let dir = temp_dir("weft-bench");
        let log = std::env::temp_dir().join("weft-bench-node.log");
        let log_file = std::fs::File::create(&log).context("creating the node log")?;
        let mut child = Command::new(exe)
            .args(["up", "--http", "127.0.0.1:0", "--data-dir"])
            .arg(&dir)
            .args(extra)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            // A throwaway node: its own master secret and the data directory's SQLite store.
            .env("WEFT_MASTER_KEY", hex::encode(rand::random::<[u8; 32]>()))
            .env_remove("WEFT_MASTER_KEY_FILE")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .context("starting weft up")?;
        let stdout = child.stdout.take().context("no stdout from weft up")?;
        let mut node = ChildNode {
            child,
            dir,
            log,
            rpc: String::new(),
            admin_token: None,
        };
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next() {
            let line = line.context("reading weft up output")?;
            let line = line.trim();
            if let Some(url) = line.strip_prefix("rpc url:") {
                node.rpc = url.trim().to_string();
            } else if let Some(rest) = line.strip_prefix("admin token:") {
                node.admin_token = rest.split_whitespace().next().map(str::to_string);
            } else if line.starts_with("stop with Ctrl-C") && !node.rpc.is_empty() {
                // Keep reading so the node never writes to a closed pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Ok(node);
            }
        }
        bail!(
            "weft up exited before it was ready (see {})",
            node.log.display()
        )
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Raw Ed25519 verification rates on this machine.
#[derive(Debug)]
struct Ceiling {
    single_per_sec: f64,
    batch_per_sec: f64,
    threads: usize,
}

impl Ceiling {
    fn measure() -> Self {
        const N: usize = 4096;
        let mut rng = StdRng::from_entropy();
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        let verifying = key.verifying_key();
        let messages: Vec<Vec<u8>> = (0..N)
            .map(|_| {
                let mut m = vec![0u8; 150];
                rng.fill_bytes(&mut m);
                m
            })
            .collect();
        let signatures: Vec<_> = messages.iter().map(|m| key.sign(m)).collect();

        let start = Instant::now();
        let mut verified = 0usize;
        while start.elapsed() < Duration::from_secs(1) {
            for (m, s) in messages.iter().zip(&signatures).take(512) {
                if verifying.verify_strict(m, s).is_ok() {
                    verified += 1;
                }
            }
        }
        let single_per_sec = verified as f64 / start.elapsed().as_secs_f64();

        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let keys = vec![verifying; 256];
        let start = Instant::now();
        let mut rounds = 0usize;
        while start.elapsed() < Duration::from_secs(1) {
            std::thread::scope(|scope| {
                for part in 0..threads {
                    let (messages, signatures, keys) = (&messages, &signatures, &keys);
                    scope.spawn(move || {
                        for chunk in (part * 256..N).step_by(threads * 256) {
                            let end = (chunk + 256).min(N);
                            let m: Vec<&[u8]> =
                                messages[chunk..end].iter().map(Vec::as_slice).collect();
                            let ok = ed25519_dalek::verify_batch(
                                &m,
                                &signatures[chunk..end],
                                &keys[..end - chunk],
                            );
                            debug_assert!(ok.is_ok());
                        }
                    });
                }
            });
            rounds += 1;
        }
        let batch_per_sec = (rounds * N) as f64 / start.elapsed().as_secs_f64();
        Self {
            single_per_sec,
            batch_per_sec,
            threads,
        }
    }
}

/// Pre-signed load for one connection: the transaction indices of each request, in order.
struct Lane {
    requests: Vec<Vec<usize>>,
}

struct Report {
    submitted: usize,
    accepted: usize,
    rejected: usize,
    retried: usize,
    committed: usize,
    elapsed: Duration,
    submit_elapsed: Duration,
    p50: Duration,
    p99: Duration,
    blocks: usize,
    max_block: usize,
}

async fn load(args: &BenchArgs, rpc: &str, connections: usize) -> anyhow::Result<Report> {
    let client = RpcClient::new(rpc);
    wait_ready(&client).await?;
    if args.validators > 1 {
        wait_for_first_block(&client).await?;
    }
    let status = client.call("getSyncStatus", json!([])).await?;
    let chain_id = status
        .get("chainId")
        .and_then(Value::as_str)
        .context("no chain id")?
        .to_string();

    eprintln!(
        "pre-signing {} transactions from {} senders ...",
        args.txs, args.senders
    );
    let started = Instant::now();
    let (hashes, raws, lanes) = presign(args, &chain_id, connections);
    let raws = Rc::new(raws);
    eprintln!("  done in {:.1} s", started.elapsed().as_secs_f64());
    let index: HashMap<String, usize> = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), i))
        .collect();

    // Subscribe before the first submission so no commit is missed.
    let commits: Rc<RefCell<Commits>> = Rc::new(RefCell::new(Commits::new(hashes.len())));
    let (_response, mut socket) = awc::Client::new()
        .ws(client.ws_url())
        .max_frame_size(256 * 1024 * 1024)
        .connect()
        .await
        .map_err(|err| anyhow::anyhow!("connecting to {}: {err}", client.ws_url()))?;
    let subscribe = json!({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
        "params": {"topic": "newBlocks", "transactionHashes": true}});
    socket
        .send(awc::ws::Message::Text(subscribe.to_string().into()))
        .await?;
    let watcher = {
        let commits = commits.clone();
        actix_web::rt::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let awc::ws::Frame::Text(bytes) = frame else {
                    continue;
                };
                let Ok(message) = serde_json::from_slice::<Value>(&bytes) else {
                    continue;
                };
                let Some(result) = message.pointer("/params/result") else {
                    continue;
                };
                let now = Instant::now();
                let txs = result.get("transactions").and_then(Value::as_array);
                let mut commits = commits.borrow_mut();
                let mut ours = 0;
                for hash in txs.into_iter().flatten().filter_map(Value::as_str) {
                    if let Some(&i) = index.get(hash) {
                        if commits.at[i].is_none() {
                            commits.at[i] = Some(now);
                            commits.count += 1;
                            ours += 1;
                        }
                    }
                }
                if ours > 0 {
                    commits.blocks.push(ours);
                }
                commits.last_progress = now;
            }
        })
    };

    eprintln!("submitting over {connections} connections ...");
    let submit_at: Rc<RefCell<Vec<Option<Instant>>>> =
        Rc::new(RefCell::new(vec![None; hashes.len()]));
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .connector(awc::Connector::new().limit(connections))
        .finish();
    let url = client.url().to_string();
    let first_submit = Instant::now();
    // Each connection carries an equal share of the offered load.
    let lane_rate = (args.rate > 0).then(|| args.rate as f64 / connections as f64);
    let mut tasks = Vec::new();
    for lane in lanes {
        let (http, url, submit_at, raws) =
            (http.clone(), url.clone(), submit_at.clone(), raws.clone());
        let pace = lane_rate.map(|rate| (first_submit, rate));
        tasks.push(actix_web::rt::spawn(async move {
            send_lane(&http, &url, lane, &raws, &submit_at, pace).await
        }));
    }
    let (mut accepted, mut rejected, mut retried) = (0, 0, 0);
    for task in tasks {
        let (a, r, t) = task.await.context("load task panicked")??;
        accepted += a;
        rejected += r;
        retried += t;
    }
    let submit_elapsed = first_submit.elapsed();
    eprintln!(
        "  {accepted} accepted, {rejected} rejected in {:.2} s; waiting for commits ...",
        submit_elapsed.as_secs_f64()
    );

    let stall = Duration::from_secs(args.stall_timeout);
    commits.borrow_mut().last_progress = Instant::now();
    loop {
        {
            let commits = commits.borrow();
            if commits.count >= accepted {
                break;
            }
            if commits.last_progress.elapsed() > stall {
                eprintln!("  stalled: {} of {accepted} committed", commits.count);
                break;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    watcher.abort();

    let commits = commits.borrow();
    let submit_at = submit_at.borrow();
    let mut latencies: Vec<Duration> = commits
        .at
        .iter()
        .zip(submit_at.iter())
        .filter_map(|(c, s)| Some(c.as_ref()?.saturating_duration_since(*s.as_ref()?)))
        .collect();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let last_commit = commits
        .at
        .iter()
        .flatten()
        .max()
        .copied()
        .unwrap_or(first_submit);
    Ok(Report {
        submitted: hashes.len(),
        accepted,
        rejected,
        retried,
        committed: commits.count,
        elapsed: last_commit.saturating_duration_since(first_submit),
        submit_elapsed,
        p50: percentile(0.50),
        p99: percentile(0.99),
        blocks: commits.blocks.len(),
        max_block: commits.blocks.iter().copied().max().unwrap_or(0),
    })
}

struct Commits {
    at: Vec<Option<Instant>>,
    count: usize,
    blocks: Vec<usize>,
    last_progress: Instant,
}

impl Commits {
    fn new(n: usize) -> Self {
        Self {
            at: vec![None; n],
            count: 0,
            blocks: Vec::new(),
            last_progress: Instant::now(),
        }
    }
}

async fn wait_ready(client: &RpcClient) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.call("getBlockNumber", json!([])).await {
            Ok(_) => return Ok(()),
            Err(err) if Instant::now() > deadline => bail!("node not ready: {err}"),
            Err(_) => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits until the network has committed a block, i.e. its validators found each other.
async fn wait_for_first_block(client: &RpcClient) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let height = client
            .call("getBlockNumber", json!([]))
            .await
            .ok()
            .and_then(|v| v.as_u64());
        if height.is_some_and(|h| h >= 1) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the network committed no block within 60 s");
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Signs every transaction (all cores) and groups them into per-connection request bodies.
fn presign(
    args: &BenchArgs,
    chain_id: &str,
    connections: usize,
) -> (Vec<String>, Vec<String>, Vec<Lane>) {
    let mut rng = StdRng::from_entropy();
    let senders: Vec<Keypair> = (0..args.senders)
        .map(|_| Keypair::generate_with_rng(&mut rng))
        .collect();
    let call = governance::call(GovernanceCall::Noop);
    // Transaction i: sender i % S, nonce i / S.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per_thread = args.txs.div_ceil(threads);
    let signed: Vec<(String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (senders, call) = (&senders, &call);
                scope.spawn(move || {
                    let range = (t * per_thread)..((t + 1) * per_thread).min(args.txs);
                    range
                        .map(|i| {
                            let key = &senders[i % senders.len()];
                            let tx = Transaction {
                                chain_id: chain_id.to_string(),
                                sender: key.public_key(),
                                nonce: (i / senders.len()) as u64,
                                call: call.clone(),
                            }
                            .sign(key);
                            (
                                tx.hash().to_string(),
                                format!("0x{}", hex::encode(tx.encode())),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let (hashes, raws): (Vec<String>, Vec<String>) = signed.into_iter().unzip();

    // Connection c owns senders s with s % C == c, so each sender's nonces go out in order.
    let mut lane_txs: Vec<Vec<usize>> = vec![Vec::new(); connections];
    for i in 0..hashes.len() {
        lane_txs[(i % args.senders) % connections].push(i);
    }
    let lanes = lane_txs
        .into_iter()
        .map(|txs| Lane {
            requests: txs.chunks(args.chunk).map(<[usize]>::to_vec).collect(),
        })
        .collect();
    (hashes, raws, lanes)
}

fn request_body(indices: &[usize], raws: &[String]) -> String {
    let txs: Vec<&str> = indices.iter().map(|&i| raws[i].as_str()).collect();
    json!({"jsonrpc": "2.0", "id": 1, "method": "sendTransactions", "params": [txs]}).to_string()
}

/// Sends one connection's requests in order. Returns (accepted, rejected, retried).
/// Transactions refused because the pool is full are resent (in order) until accepted.
/// With `pace = (start, rate)`, a request is not sent before the moment at which `rate`
/// transactions per second since `start` would have reached it.
async fn send_lane(
    http: &awc::Client,
    url: &str,
    lane: Lane,
    raws: &[String],
    submit_at: &RefCell<Vec<Option<Instant>>>,
    pace: Option<(Instant, f64)>,
) -> anyhow::Result<(usize, usize, usize)> {
    let (mut accepted, mut rejected, mut retried) = (0, 0, 0);
    let mut scheduled = 0usize;
    for mut indices in lane.requests {
        if let Some((start, rate)) = pace {
            let due = start + Duration::from_secs_f64(scheduled as f64 / rate);
            actix_web::rt::time::sleep_until(due.into()).await;
            scheduled += indices.len();
        }
        let mut attempts = 0;
        loop {
            let sent = Instant::now();
            let results = post_batch(http, url, request_body(&indices, raws)).await?;
            if results.len() != indices.len() {
                bail!(
                    "node answered {} results for {} transactions",
                    results.len(),
                    indices.len()
                );
            }
            let mut retry = Vec::new();
            for (&i, result) in indices.iter().zip(&results) {
                if result.get("hash").is_some() {
                    accepted += 1;
                    submit_at.borrow_mut()[i] = Some(sent);
                    continue;
                }
                let code = result.pointer("/error/data/code").and_then(Value::as_i64);
                // 8: pool full, 9: sender quota; both clear as blocks commit.
                if matches!(code, Some(8 | 9)) && attempts < 1000 {
                    retry.push(i);
                } else {
                    rejected += 1;
                    if rejected <= 3 {
                        eprintln!("  rejected: {result}");
                    }
                }
            }
            if retry.is_empty() {
                break;
            }
            retried += retry.len();
            attempts += 1;
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            indices = retry;
        }
    }
    Ok((accepted, rejected, retried))
}

async fn post_batch(http: &awc::Client, url: &str, body: String) -> anyhow::Result<Vec<Value>> {
    let mut response = http
        .post(url)
        .insert_header(("content-type", "application/json"))
        .send_body(body)
        .await
        .map_err(|err| anyhow::anyhow!("POST {url}: {err}"))?;
    let bytes = response.body().limit(64 * 1024 * 1024).await?;
    let value: Value = serde_json::from_slice(&bytes)?;
    let result = crate::client::into_result(value)?;
    match result {
        Value::Array(results) => Ok(results),
        other => bail!("unexpected sendTransactions result: {other}"),
    }
}

impl Report {
    fn print(&self, args: &BenchArgs, connections: usize, ceiling: &Ceiling) {
        let tps = self.committed as f64 / self.elapsed.as_secs_f64().max(1e-9);
        let per_block = self.committed as f64 / self.blocks.max(1) as f64;
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        println!();
        let offered = match args.rate {
            0 => "open loop".to_string(),
            rate => format!("offered {rate} tx/s"),
        };
        println!(
            "weft bench chain: {} validator(s), {} txs, {} senders, {} per request, {connections} connections, {offered}",
            args.validators, args.txs, args.senders, args.chunk
        );
        println!(
            "  submitted {} / accepted {} / rejected {} / retried {}",
            self.submitted, self.accepted, self.rejected, self.retried
        );
        println!(
            "  committed {} in {:.2} s (submission took {:.2} s)",
            self.committed,
            self.elapsed.as_secs_f64(),
            self.submit_elapsed.as_secs_f64()
        );
        println!("  committed TPS:        {tps:.0}");
        println!(
            "  commit latency:       p50 {} ms, p99 {} ms",
            self.p50.as_millis(),
            self.p99.as_millis()
        );
        println!(
            "  blocks:               {} (mean {per_block:.0} txs, max {})",
            self.blocks, self.max_block
        );
        println!(
            "  Ed25519 ceiling:      {:.0}/s single (1 core), {:.0}/s batch ({} cores)",
            ceiling.single_per_sec, ceiling.batch_per_sec, ceiling.threads
        );
        println!("  load average (1 min): {load}");
        println!();
        println!("| validators | offered tx/s | txs | senders | conns | committed TPS | p50 ms | p99 ms | blocks | txs/block | Ed25519 1-core/s | Ed25519 batch/s ({} cores) | load |", ceiling.threads);
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        let rate = match args.rate {
            0 => "open".to_string(),
            rate => rate.to_string(),
        };
        println!(
            "| {} | {rate} | {} | {} | {connections} | {tps:.0} | {} | {} | {} | {per_block:.0} | {:.0} | {:.0} | {load} |",
            args.validators, self.committed, args.senders, self.p50.as_millis(), self.p99.as_millis(), self.blocks,
            ceiling.single_per_sec, ceiling.batch_per_sec
        );
    }
}

//! A local consortium of `weft node` child processes: one organisation per node, laid out by
//! `weft testnet` in a directory, for `weft bench chain --validators N` and the demos.
//!
//! Each child is a full platform node (consensus, RPC, REST, UI) with its own store, master key
//! and admin token. The children are killed when the [`LocalNetwork`] is dropped; the directory
//! is removed too unless it was asked to be kept.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::testnet::{admin_token_path, operator_key_path};
use crate::TestnetArgs;

/// How long a node may take to print its banner.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The `weft` binary: `WEFT_BIN`, else a `weft` beside the running executable (or one directory
/// up, for test and example binaries under `target/*/deps`), else `weft` on the `PATH`.
pub fn weft_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("WEFT_BIN") {
        return Ok(PathBuf::from(path));
    }
    let name = format!("weft{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().context("locating the running executable")?;
    for dir in exe.ancestors().skip(1).take(2) {
        let candidate = dir.join(&name);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(&name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "cannot find the weft binary: build it (`cargo build --release -p weft-api`) or set WEFT_BIN"
    )
}

/// A running local network.
#[derive(Debug)]
pub struct LocalNetwork {
    dir: PathBuf,
    keep: bool,
    children: Vec<Child>,
    urls: Vec<String>,
}

impl LocalNetwork {
    /// Lays out `validators` organisations in `dir` (created; must be empty or absent) with a
    /// free port range and starts one `weft node` per organisation; returns once every node has
    /// printed its banner. With `keep`, the directory survives the drop (logs, tokens).
    pub fn start(
        exe: &Path,
        dir: &Path,
        validators: usize,
        max_block_interval_ms: u64,
        keep: bool,
    ) -> anyhow::Result<LocalNetwork> {
        let base_port = free_port_block(2 * validators as u16)?;
        crate::testnet::layout(&TestnetArgs {
            validators,
            observers: 0,
            dir: dir.to_path_buf(),
            chain_id: "weft-local".into(),
            base_port,
            max_block_interval_ms,
        })?;
        let mut net = LocalNetwork {
            dir: dir.to_path_buf(),
            keep,
            children: Vec::new(),
            urls: (0..validators)
                .map(|i| format!("http://127.0.0.1:{}", base_port as usize + 2 * i + 1))
                .collect(),
        };
        for i in 0..validators {
            let home = net.home(i);
            let log =
                std::fs::File::create(home.join("node.log")).context("creating a node log")?;
            let mut child = Command::new(exe)
                .args(["node", "--home"])
                .arg(&home)
                .env(
                    "RUST_LOG",
                    std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
                )
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", exe.display()))?;
            let stdout = child.stdout.take().context("node stdout")?;
            net.children.push(child);
            wait_for_banner(stdout, &home)?;
        }
        Ok(net)
    }

    /// The directory holding the homes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Organisation `i`'s home.
    pub fn home(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node{i}"))
    }

    /// Organisation `i`'s base URL (web UI at `/`, REST at `/api/v1`, JSON-RPC at `/rpc`).
    pub fn url(&self, i: usize) -> &str {
        &self.urls[i]
    }

    /// Number of organisations.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// Where organisation `i`'s admin token is written at first start.
    pub fn admin_token_file(&self, i: usize) -> PathBuf {
        admin_token_path(&self.home(i))
    }

    /// Organisation `i`'s admin token.
    pub fn admin_token(&self, i: usize) -> anyhow::Result<String> {
        let path = self.admin_token_file(i);
        Ok(std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim()
            .to_string())
    }

    /// Organisation `i`'s operator key file.
    pub fn operator_key_file(&self, i: usize) -> PathBuf {
        operator_key_path(&self.home(i))
    }

    /// Waits until every organisation's DID is on chain with its endpoint (each node registers
    /// it in the background after start); returns the DIDs.
    pub async fn organisation_dids(&self, timeout: Duration) -> anyhow::Result<Vec<String>> {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(5))
            .finish();
        let deadline = Instant::now() + timeout;
        let mut dids = Vec::new();
        for url in &self.urls {
            loop {
                let answer: Option<serde_json::Value> = match client
                    .get(format!("{url}/api/v1/organisation"))
                    .send()
                    .await
                {
                    Ok(mut r) => r.json().await.ok(),
                    Err(_) => None,
                };
                if let Some(v) = answer.filter(|v| v["endpoint"].is_string()) {
                    dids.push(v["did"].as_str().unwrap_or_default().to_string());
                    break;
                }
                if Instant::now() > deadline {
                    bail!("the organisation DID of {url} is not on chain after {timeout:?}");
                }
                actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            }
        }
        Ok(dids)
    }
}

impl Drop for LocalNetwork {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Reads a node's stdout until its banner ends, then drains it in the background.
fn wait_for_banner(stdout: std::process::ChildStdout, home: &Path) -> anyhow::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                // Nobody listens any more: keep draining so the node never blocks on stdout.
                continue;
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("stop with Ctrl-C") => return Ok(()),
            Ok(_) => {}
            Err(_) => bail!(
                "the node in {} did not start (see {})",
                home.display(),
                home.join("node.log").display()
            ),
        }
    }
}

/// The first port of `count` consecutive free TCP ports on 127.0.0.1.
pub fn free_port_block(count: u16) -> anyhow::Result<u16> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::from_entropy();
    for _ in 0..100 {
        let base: u16 = rng.gen_range(20_000..50_000) & !1;
        let free = (base..base + count)
            .all(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
        if free {
            return Ok(base);
        }
    }
    bail!("no block of {count} free ports on 127.0.0.1")
}

/// Resolves on Ctrl-C or SIGTERM: how `--keep-running` demos wait, so that their nodes are
/// stopped (by [`LocalNetwork`]'s drop) either way.
pub async fn until_stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

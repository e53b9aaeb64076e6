//! `weft psi run`: runs a PSI session as initiator through this organisation's Weft server
//! (`--api`, with a partner or admin token), against a peer server that made an offer for it,
//! with a progress bar fed from the session's progress; writes the intersection as CSV.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};

/// `weft psi ...`.
#[derive(Debug, Subcommand)]
pub enum PsiCommand {
    /// Run a session as initiator with a peer server; print the result, write the intersection.
    Run(RunArgs),
}

/// What the parties learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CliMode {
    /// The intersection, to this side only.
    OneSide,
    /// The intersection, to both sides (`both-sides`, as in the API and UI; `both` also works).
    #[value(name = "both-sides", alias = "both")]
    Both,
    /// Only its size, to both sides.
    Cardinality,
}

impl CliMode {
    fn api_name(self) -> &'static str {
        match self {
            CliMode::OneSide => "one-side",
            CliMode::Both => "both-sides",
            CliMode::Cardinality => "cardinality",
        }
    }
}

/// `weft psi run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The peer's Weft server (base URL). Default: the `WeftNode` endpoint in the peer's
    /// did:weft document on chain.
    #[arg(long)]
    pub peer: Option<String>,
    /// The peer's DID (as its offer answered).
    #[arg(long)]
    pub peer_did: String,
    /// The peer's set size (as its offer answered).
    #[arg(long)]
    pub peer_size: u64,
    /// CSV file with a header row.
    #[arg(long)]
    pub input: PathBuf,
    /// The identifier column.
    #[arg(long)]
    pub column: String,
    /// What the parties learn.
    #[arg(long, value_enum, default_value = "one-side")]
    pub mode: CliMode,
    /// Normalisation: none, trim, lowercase, email, phone.
    #[arg(long, default_value = "none")]
    pub normalise: String,
    /// Default country calling code for `--normalise phone` (e.g. 44).
    #[arg(long)]
    pub country: Option<String>,
    /// Write the intersection here as CSV (default: standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// This organisation's Weft server.
    #[arg(long, env = "WEFT_API", default_value = super::DEFAULT_RPC)]
    pub api: String,
    /// A partner or admin token of that server.
    #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The custodied key that speaks for this organisation.
    #[arg(long, default_value = "admin")]
    pub key_id: String,
    /// This organisation's did:weft (default: the key's own did:weft if on chain, else its did:key).
    #[arg(long)]
    pub did: Option<String>,
    /// Give up if the session has not finished after this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub timeout: u64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs a `weft psi` subcommand.
pub async fn run(command: PsiCommand) -> anyhow::Result<()> {
    match command {
        PsiCommand::Run(args) => run_session(args).await,
    }
}

struct Api {
    base: String,
    token: String,
    client: awc::Client,
}

impl Api {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let req = self
            .client
            .request(
                awc::http::Method::from_bytes(method.as_bytes())?,
                url.as_str(),
            )
            .insert_header(("Authorization", format!("Bearer {}", self.token)));
        let mut resp = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        }
        .map_err(|e| anyhow!("{method} {url}: {e}"))?;
        let bytes = resp
            .body()
            .limit(1 << 30)
            .await
            .with_context(|| format!("{method} {url}"))?;
        if !resp.status().is_success() {
            let text = String::from_utf8_lossy(&bytes);
            let detail = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.chars().take(300).collect());
            bail!("{method} {path}: HTTP {}: {detail}", resp.status().as_u16());
        }
        Ok(bytes.to_vec())
    }

    async fn json(&self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let bytes = self.send(method, path, body).await?;
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: not JSON"))
    }
}

fn bar(quiet: bool) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
    if quiet {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} items ({per_sec}, ETA {eta}) {msg}",
        )
        .expect("static template"),
    );
    pb
}

async fn run_session(args: RunArgs) -> anyhow::Result<()> {
    let csv = std::fs::read_to_string(&args.input)
        .with_context(|| format!("reading {}", args.input.display()))?;
    let api = Api {
        base: args.api.trim_end_matches('/').to_string(),
        token: args.token.clone(),
        client: awc::Client::builder()
            .timeout(Duration::from_secs(600))
            .finish(),
    };
    let mut input = json!({"csv": csv, "column": args.column, "normalise": args.normalise});
    if let Some(c) = &args.country {
        input["country"] = json!(c);
    }
    let mut body = json!({
        "key_id": args.key_id, "peer_did": args.peer_did,
        "peer_size": args.peer_size, "mode": args.mode.api_name(), "input": input,
    });
    if let Some(did) = &args.did {
        body["did"] = json!(did);
    }
    if let Some(peer) = &args.peer {
        body["peer_url"] = json!(peer);
    }
    drop(csv);
    let started = api
        .json("POST", "/api/v1/psi/sessions", Some(&body))
        .await?;
    let id = started["id"]
        .as_str()
        .ok_or_else(|| anyhow!("the server answered no session id"))?
        .to_string();
    eprintln!(
        "session {id}: {} own items, {} peer items, mode {}",
        started["own_size"],
        args.peer_size,
        args.mode.api_name()
    );
    let pb = bar(args.quiet);
    let deadline = std::time::Instant::now() + Duration::from_secs(args.timeout);
    let status = loop {
        let s = api
            .json("GET", &format!("/api/v1/psi/sessions/{id}"), None)
            .await?;
        let p = &s["progress"];
        let n = |k: &str| p[k].as_u64().unwrap_or(0);
        pb.set_length(n("total").max(1));
        pb.set_position(n("blinded") + n("exchanged") + n("compared"));
        pb.set_message(format!(
            "blinded {} · exchanged {} · compared {}",
            n("blinded"),
            n("exchanged"),
            n("compared")
        ));
        if s["state"] != "running" {
            break s;
        }
        if std::time::Instant::now() > deadline {
            pb.abandon();
            let _ = api
                .send("DELETE", &format!("/api/v1/psi/sessions/{id}"), None)
                .await;
            bail!(
                "session {id} did not finish within {} s; cancelled",
                args.timeout
            );
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    };
    pb.finish();
    match status["state"].as_str() {
        Some("completed") => {}
        other => bail!(
            "session {id} {}: {}",
            other.unwrap_or("?"),
            status["error"].as_str().unwrap_or("no reason given")
        ),
    }
    eprintln!(
        "completed: intersection size {}, result digest {}",
        status["intersection_size"],
        status["digest"].as_str().unwrap_or("?")
    );
    for tx in status["ledger"].as_array().into_iter().flatten() {
        eprintln!(
            "  on chain: psi.{} {} ({})",
            tx["method"].as_str().unwrap_or("?"),
            tx["tx_hash"].as_str().unwrap_or("-"),
            tx["status"].as_str().unwrap_or("?")
        );
    }
    if args.mode == CliMode::Cardinality {
        println!("{}", status["intersection_size"]);
        return Ok(());
    }
    let result = api
        .send(
            "GET",
            &format!("/api/v1/psi/sessions/{id}/result.csv"),
            None,
        )
        .await?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &result).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("intersection written to {}", path.display());
        }
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(&result)?;
        }
    }
    Ok(())
}

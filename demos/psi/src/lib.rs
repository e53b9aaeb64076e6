//! The PSI demo: two organisations (a bank and an insurer), each running its own full Weft
//! node as a separate process on one two-validator chain over loopback, intersect synthetic
//! customer lists with a known overlap through their REST APIs (`/api/v1/psi`), choosing each
//! other by DID; then it checks that both learnt exactly the known overlap and that the chain
//! holds the session record with the digest both signed.
//!
//! [`run`] does it all and reports each step through a callback, so the binary prints them (and
//! keeps the nodes up with `--keep-running`) and the test runs a small instance. The nodes are
//! `weft node` processes of the `weft` binary ([`weft_cli::local_net::weft_binary`]).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context as _};
use serde_json::{json, Value};
use weft_cli::local_net::{weft_binary, LocalNetwork};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct DemoConfig {
    /// The bank's customers (initiator).
    pub bank: u64,
    /// The insurer's customers (responder).
    pub insurer: u64,
    /// Customers of both.
    pub overlap: u64,
    /// Give up after this long.
    pub timeout: Duration,
}

/// What the demo found.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Session id (hex).
    pub session: String,
    /// Intersection size each side learnt (bank, insurer).
    pub learnt: (u64, u64),
    /// Wall time of the PSI session (start to both completed).
    pub session_time: Duration,
    /// The on-chain record (`GET /api/v1/psi/sessions/{id}/record`).
    pub record: Value,
}

/// Customer `i` as the bank writes it (a CSV row: id, e-mail, name).
fn customer(i: u64) -> String {
    format!("{i},customer.{i:07}@example.com,Customer {i}")
}

/// The two lists: the bank has `0..bank`, the insurer `bank-overlap .. bank-overlap+insurer`,
/// so exactly `overlap` are shared; the insurer writes e-mails in upper case with spaces (the
/// `email` normalisation makes them equal).
fn lists(c: &DemoConfig) -> (String, String, BTreeSet<String>) {
    let mut bank = String::from("id,email,name\n");
    for i in 0..c.bank {
        bank.push_str(&customer(i));
        bank.push('\n');
    }
    let start = c.bank - c.overlap;
    let mut insurer = String::from("policy,email\n");
    for i in start..start + c.insurer {
        insurer.push_str(&format!(
            "P{i}, {} \n",
            format!("customer.{i:07}@example.com").to_uppercase()
        ));
    }
    let shared = (start..c.bank)
        .map(|i| format!("customer.{i:07}@example.com"))
        .collect();
    (bank, insurer, shared)
}

struct Server {
    base: String,
    token: String,
    did: String,
}

impl Server {
    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .finish();
        let req = client
            .request(
                awc::http::Method::from_bytes(method.as_bytes())?,
                format!("{}{path}", self.base),
            )
            .insert_header(("Authorization", format!("Bearer {}", self.token)));
        let mut resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .map_err(|e| anyhow!("{method} {path}: {e}"))?;
        let bytes = resp.body().limit(64 << 20).await?;
        if !resp.status().is_success() {
            bail!(
                "{method} {path}: HTTP {}: {}",
                resp.status(),
                String::from_utf8_lossy(&bytes)
            );
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}"))
    }

    async fn csv(&self, path: &str) -> anyhow::Result<String> {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .finish();
        let mut resp = client
            .get(format!("{}{path}", self.base))
            .insert_header(("Authorization", format!("Bearer {}", self.token)))
            .send()
            .await
            .map_err(|e| anyhow!("GET {path}: {e}"))?;
        let bytes = resp.body().limit(256 << 20).await?;
        ensure!(
            resp.status().is_success(),
            "GET {path}: HTTP {}",
            resp.status()
        );
        Ok(String::from_utf8(bytes.to_vec())?)
    }

    async fn settle(&self, id: &str, deadline: Instant) -> anyhow::Result<Value> {
        loop {
            let s = self
                .json("GET", &format!("/api/v1/psi/sessions/{id}"), None)
                .await?;
            if s["state"] != "running" {
                return Ok(s);
            }
            ensure!(Instant::now() < deadline, "session {id} still running: {s}");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs the demo in `dir` (created; kept if `keep`, else removed when the returned network is
/// dropped); `step` receives a line per step. Returns the report and the running network.
pub async fn run(
    c: DemoConfig,
    dir: &Path,
    keep: bool,
    mut step: impl FnMut(&str),
) -> anyhow::Result<(DemoReport, LocalNetwork)> {
    ensure!(
        c.overlap <= c.bank && c.overlap <= c.insurer,
        "the overlap exceeds a list"
    );
    let deadline = Instant::now() + c.timeout;

    step("starting two organisations' Weft nodes (separate processes, one chain)");
    let exe = weft_binary()?;
    let net = LocalNetwork::start(&exe, dir, 2, 1000, keep)?;
    let dids = net
        .organisation_dids(c.timeout.min(Duration::from_secs(120)))
        .await?;
    let org = |i: usize| -> anyhow::Result<Server> {
        Ok(Server {
            base: net.url(i).to_string(),
            token: net.admin_token(i)?,
            did: dids[i].clone(),
        })
    };
    let (bank, insurer) = (org(0)?, org(1)?);
    for (name, s, i) in [("bank", &bank, 0), ("insurer", &insurer, 1)] {
        step(&format!(
            "{name:<8} web UI {}/  DID {}  admin token {} (in {})",
            s.base,
            s.did,
            s.token,
            net.admin_token_file(i).display()
        ));
    }

    let (bank_csv, insurer_csv, shared) = lists(&c);
    step(&format!(
        "synthetic customers: bank {}, insurer {}, known overlap {}",
        c.bank, c.insurer, c.overlap
    ));

    let offer = insurer
        .json(
            "POST",
            "/api/v1/psi/offers",
            Some(
                json!({"key_id": "admin", "peer_did": bank.did, "mode": "both-sides",
                "input": {"csv": insurer_csv, "column": "email", "normalise": "email"}}),
            ),
        )
        .await?;
    step(&format!(
        "insurer offers one both-sides session to the bank over {} e-mails",
        offer["size"]
    ));

    let t0 = Instant::now();
    let started = bank
        .json(
            "POST",
            "/api/v1/psi/sessions",
            Some(json!({"key_id": "admin", "peer_did": insurer.did,
                "peer_size": offer["size"], "mode": "both-sides",
                "input": {"csv": bank_csv, "column": "email", "normalise": "email"}})),
        )
        .await?;
    let id = started["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no session id"))?
        .to_string();
    step(&format!(
        "bank starts session {id} naming the insurer by DID (its node's endpoint comes from the chain): psi.create is on chain, exchanging…"
    ));
    let done_bank = bank.settle(&id, deadline).await?;
    let done_insurer = insurer.settle(&id, deadline).await?;
    let session_time = t0.elapsed();
    for (who, s) in [("bank", &done_bank), ("insurer", &done_insurer)] {
        ensure!(s["state"] == "completed", "{who}: session ended {s}");
    }
    step(&format!(
        "both completed in {:.2?}: bank learnt {}, insurer learnt {}",
        session_time, done_bank["intersection_size"], done_insurer["intersection_size"]
    ));

    let expected: Vec<&String> = shared.iter().collect();
    for who in [&bank, &insurer] {
        let csv = who
            .csv(&format!("/api/v1/psi/sessions/{id}/result.csv"))
            .await?;
        let got: Vec<&str> = csv.lines().skip(1).collect();
        ensure!(
            got.len() == expected.len() && got.iter().zip(&expected).all(|(a, b)| a == b),
            "{} got {} items, expected exactly the {} shared customers",
            who.base,
            got.len(),
            expected.len()
        );
    }
    step(&format!(
        "both result files hold exactly the {} known shared customers",
        expected.len()
    ));

    let rec = loop {
        let r = bank
            .json("GET", &format!("/api/v1/psi/sessions/{id}/record"), None)
            .await?;
        match r["status"].as_str() {
            Some("completed") => break r,
            Some("failed") => bail!("chain shows failure: {r}"),
            _ => {}
        }
        ensure!(
            Instant::now() < deadline,
            "the chain does not show completion"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(
        rec["initiator_did"] == json!(bank.did) && rec["responder_did"] == json!(insurer.did),
        "the record names other parties: {rec}"
    );
    ensure!(
        rec["result_digest"] == done_bank["digest"],
        "the chain's digest differs from the bank's"
    );
    step(&format!(
        "chain: session {} created at height {} by the bank naming the insurer, joined, completed at height {} with digest {} (signed by both)",
        &id[..16],
        rec["created_height"],
        rec["updated_height"],
        rec["result_digest"].as_str().unwrap_or_default()
    ));
    step(&format!(
        "web UI of this session: {}/psi/sessions/{id} (sign in with the bank's token)",
        bank.base
    ));
    let learnt = (
        done_bank["intersection_size"].as_u64().unwrap_or(0),
        done_insurer["intersection_size"].as_u64().unwrap_or(0),
    );
    Ok((
        DemoReport {
            session: id,
            learnt,
            session_time,
            record: rec,
        },
        net,
    ))
}

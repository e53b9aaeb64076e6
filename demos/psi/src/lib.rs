//! The PSI demo: two Weft servers (a bank and an insurer) on loopback, on one single-validator
//! chain, each with its own store and organisation key, intersect synthetic customer lists
//! with a known overlap over HTTP (`/api/v1/psi`), then check that both learnt exactly the
//! known overlap and that the chain holds the session record with the digest both signed.
//!
//! [`run`] does it all and reports each step through a callback, so the binary prints them and
//! the test runs a small instance.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context as _};
use serde_json::{json, Value};
use weft_api::rest::psi::{PsiConfig, PsiService};
use weft_api::rest::{self, ApiConfig};
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_chain::{Keypair, Node, SingleValidator, SingleValidatorHandle};
use weft_mpc::psi::ledger::{self, SessionRecord, SessionStatus};
use weft_mpc::psi::wire::did_key;
use weft_service::node_home::NodeHome;
use weft_service::store::sqlite_url;

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
    /// The on-chain record.
    pub record: SessionRecord,
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
    address: weft_chain::Address,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Server {
    async fn start(node: Arc<Node>, psi: PsiConfig) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let key = Keypair::generate();
        let master = weft_service::keystore::MasterKey::random()?;
        let url = sqlite_url(&dir.path().join("api.db"));
        let (state, boot) = weft_api::rest::ApiState::start(
            node.clone(),
            &url,
            &master,
            &key,
            ApiConfig::default(),
        )
        .await?;
        let token = boot
            .admin_token
            .ok_or_else(|| anyhow!("no bootstrap token"))?
            .to_string();
        let service = PsiService::new(psi);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = AppBuilder::new(node).with_ui().group(move |cfg| {
            rest::configure(cfg, state.clone());
            cfg.app_data(service.clone());
        });
        let options = ServeOptions {
            workers: Some(2),
            shutdown_timeout: Duration::from_secs(1),
        };
        actix_web::rt::spawn(serve(listener, app, options, async move {
            let _ = stopped.await;
        }));
        Ok(Server {
            base,
            token,
            did: did_key(&key.public_key()),
            address: key.address(),
            stop: Some(stop),
            _dir: dir,
        })
    }

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

fn record(node: &Node, sid: &[u8; 32]) -> anyhow::Result<Option<SessionRecord>> {
    let (m, a) = ledger::session_query(sid);
    let bytes = node
        .call(ledger::NAME, m, &a, None)
        .map_err(|e| anyhow!("{e}"))?;
    Ok(borsh::from_slice(&bytes)?)
}

struct Validator(Option<SingleValidatorHandle>);

impl Drop for Validator {
    fn drop(&mut self) {
        if let Some(v) = self.0.take() {
            v.shutdown();
        }
    }
}

/// Runs the demo; `step` receives a line per step.
pub async fn run(c: DemoConfig, mut step: impl FnMut(&str)) -> anyhow::Result<DemoReport> {
    ensure!(
        c.overlap <= c.bank && c.overlap <= c.insurer,
        "the overlap exceeds a list"
    );
    let deadline = Instant::now() + c.timeout;

    step("starting a single-validator Weft chain (temporary directory)");
    let dir = tempfile::tempdir()?;
    let home = NodeHome::new(dir.path().join("chain"));
    let contents = home.init_or_load()?;
    let node = Node::open(
        home.node_config(),
        contents.genesis.clone(),
        weft_service::modules::registry(),
    )?;
    let _validator = Validator(Some(SingleValidator::spawn(
        node.clone(),
        contents.validator,
    )));

    let psi = PsiConfig {
        request_timeout: Duration::from_secs(120),
        ..PsiConfig::default()
    };
    let bank = Server::start(node.clone(), psi).await?;
    let insurer = Server::start(node.clone(), psi).await?;
    step(&format!("bank server    {}  {}", bank.base, bank.did));
    step(&format!("insurer server {}  {}", insurer.base, insurer.did));

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
            Some(
                json!({"key_id": "admin", "peer_url": insurer.base, "peer_did": insurer.did,
                "peer_size": offer["size"], "mode": "both-sides",
                "input": {"csv": bank_csv, "column": "email", "normalise": "email"}}),
            ),
        )
        .await?;
    let id = started["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no session id"))?
        .to_string();
    step(&format!(
        "bank starts session {id}: psi.create is on chain, exchanging…"
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

    let sid: [u8; 32] = hex::decode(&id)?
        .try_into()
        .map_err(|_| anyhow!("bad session id"))?;
    let rec = loop {
        match record(&node, &sid)? {
            Some(r) if r.status == SessionStatus::Completed => break r,
            Some(r) if r.status == SessionStatus::Failed => bail!("chain shows failure: {r:?}"),
            _ => {}
        }
        ensure!(
            Instant::now() < deadline,
            "the chain does not show completion"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(rec.initiator == bank.address && rec.responder == insurer.address);
    ensure!(
        rec.result_digest.map(hex::encode).as_deref() == done_bank["digest"].as_str(),
        "the chain's digest differs from the bank's"
    );
    step(&format!(
        "chain: session {} created at height {} by the bank naming the insurer, joined, completed at height {} with digest {} (signed by both)",
        &id[..16],
        rec.created_height,
        rec.updated_height,
        hex::encode(rec.result_digest.unwrap_or_default())
    ));
    step(&format!(
        "web UI of this session: {}/psi/sessions/{id} (while the demo runs)",
        bank.base
    ));
    let learnt = (
        done_bank["intersection_size"].as_u64().unwrap_or(0),
        done_insurer["intersection_size"].as_u64().unwrap_or(0),
    );
    Ok(DemoReport {
        session: id,
        learnt,
        session_time,
        record: rec,
    })
}

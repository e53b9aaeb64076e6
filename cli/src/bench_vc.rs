//! `weft bench vc`: credentials issued per second (with a status entry and evidence anchoring)
//! and verified per second, both through the HTTP API of a `weft up` child.
//!
//! The node runs on a temporary data directory with the REST rate limits off. Steps:
//!
//! 1. an issuer tenant creates a DID, applies as an authority issuer and is recognised by the
//!    committee (the operator's key); it publishes a CPT;
//! 2. `POST /credentials/issue` N times with `options: {status: true, evidence: true}`, C in
//!    flight: each answer arrives once the credential is signed, its status index allocated and
//!    its hash anchored on chain with an inclusion proof, so issued/s = 201s / wall time;
//! 3. `POST /credentials/verify` over the issued credentials for a fixed time from C
//!    connections (status checked, chain lookups cached by the server).
//!
//! Run it under `taskset -c 0` for a one-core figure (server and client share that core).

use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::bench::ChildNode;

/// `weft bench vc` options.
#[derive(Debug, clap::Args)]
pub struct BenchVcArgs {
    /// Credentials to issue.
    #[arg(long, default_value_t = 5_000)]
    pub issues: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 128)]
    pub concurrency: usize,
    /// Seconds of verification load.
    #[arg(long, default_value_t = 10)]
    pub verify_secs: u64,
    /// Skip evidence anchoring at issuance.
    #[arg(long)]
    pub no_evidence: bool,
}

/// Runs the benchmark and prints its report.
pub fn run(args: BenchVcArgs) -> anyhow::Result<()> {
    if args.issues == 0 || args.concurrency == 0 || args.verify_secs == 0 {
        bail!("--issues, --concurrency and --verify-secs must be positive");
    }
    let node = ChildNode::start_with(&["--ip-rate-limit", "0", "--token-rate-limit", "0"])?;
    let token = node
        .admin_token
        .clone()
        .context("weft up printed no admin token")?;
    eprintln!("node: {} (log {})", node.rpc, node.log.display());
    let base = node.rpc.trim_end_matches("/rpc").to_string();
    let report =
        actix_web::rt::System::new().block_on(async move { measure(&args, &base, &token).await });
    drop(node);
    report
}

struct Http {
    client: awc::Client,
    base: String,
}

impl Http {
    async fn post(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let mut response = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("content-type", "application/json"))
            .send_body(body.to_string())
            .await
            .map_err(|e| anyhow::anyhow!("POST {path}: {e}"))?;
        let bytes = response.body().limit(4 << 20).await?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((response.status().as_u16(), value))
    }

    async fn expect(
        &self,
        path: &str,
        token: &str,
        body: Value,
        status: u16,
    ) -> anyhow::Result<Value> {
        let (got, value) = self.post(path, token, &body).await?;
        if got != status {
            bail!("POST {path}: HTTP {got}: {value}");
        }
        Ok(value)
    }
}

async fn wait_ready(http: &Http, admin: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match http.post("/api/v1/tokens", admin, &json!({})).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => bail!("API not ready: {e}"),
            Err(_) => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn measure(args: &BenchVcArgs, base: &str, admin: &str) -> anyhow::Result<()> {
    let http = Rc::new(Http {
        client: awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .connector(awc::Connector::new().limit(args.concurrency))
            .finish(),
        base: base.to_string(),
    });
    wait_ready(&http, admin).await?;

    // 1. A recognised issuer with a CPT.
    let t = http
        .expect(
            "/api/v1/tokens",
            admin,
            json!({"tenant": "bench-issuer", "roles": ["issuer"], "label": "bench"}),
            201,
        )
        .await?;
    let token = t["token"].as_str().context("no token")?.to_string();
    let d = http
        .expect("/api/v1/dids", &token, json!({"key_id": "k1"}), 201)
        .await?;
    let did = d["did"].as_str().context("no did")?.to_string();
    http.expect(
        "/api/v1/issuers",
        &token,
        json!({"key_id": "k1", "name": "Bench", "description": "bench"}),
        200,
    )
    .await?;
    http.expect(
        &format!("/api/v1/issuers/{did}/recognition"),
        admin,
        json!({"key_id": "admin", "recognised": true}),
        200,
    )
    .await?;
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "level": {"type": "integer", "minimum": 0}},
        "required": ["name", "level"]});
    http.expect(
        "/api/v1/cpts",
        &token,
        json!({"key_id": "k1", "id": 1001, "schema": schema}),
        201,
    )
    .await?;

    // 2. Issuance.
    eprintln!(
        "issuing {} credentials, {} in flight ...",
        args.issues, args.concurrency
    );
    let evidence = !args.no_evidence;
    let started = Instant::now();
    let results: Vec<(Option<Value>, Duration)> = futures_util::stream::iter(0..args.issues)
        .map(|i| {
            let (http, token, did) = (http.clone(), token.clone(), did.clone());
            async move {
                let body = json!({
                    "credential": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential"],
                        "issuer": did,
                        "credentialSchema": {"id": "urn:weft:cpt:1001:1", "type": "JsonSchema"},
                        "credentialSubject": {"name": format!("member {i}"), "level": i % 7},
                    },
                    "options": {"key_id": "k1", "status": true, "evidence": evidence},
                });
                let sent = Instant::now();
                let vc = match http.post("/credentials/issue", &token, &body).await {
                    Ok((201, v)) => Some(v["verifiableCredential"].clone()),
                    _ => None,
                };
                (vc, sent.elapsed())
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let issue_elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let pct = |l: &[Duration], p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let issued: Vec<Value> = results.into_iter().filter_map(|(vc, _)| vc).collect();
    if issued.is_empty() {
        bail!("no credential was issued (see the node log)");
    }
    let issued_per_sec = issued.len() as f64 / issue_elapsed.as_secs_f64().max(1e-9);

    // 3. Verification.
    eprintln!(
        "verifying for {} s over {} connections ...",
        args.verify_secs, args.concurrency
    );
    let bodies: Rc<Vec<Value>> = Rc::new(
        issued
            .iter()
            .map(|vc| json!({"verifiableCredential": vc}))
            .collect(),
    );
    let stop_at = Instant::now() + Duration::from_secs(args.verify_secs);
    let verify_started = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..args.concurrency {
        let (http, bodies, token) = (http.clone(), bodies.clone(), token.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            let mut i = lane;
            while Instant::now() < stop_at {
                match http
                    .post("/credentials/verify", &token, &bodies[i % bodies.len()])
                    .await
                {
                    Ok((200, _)) => ok += 1,
                    _ => failed += 1,
                }
                i += 7;
            }
            (ok, failed)
        }));
    }
    let (mut verified, mut failed) = (0usize, 0usize);
    for task in tasks {
        let (ok, bad) = task.await.context("verification task panicked")?;
        verified += ok;
        failed += bad;
    }
    let verified_per_sec = verified as f64 / verify_started.elapsed().as_secs_f64();

    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    println!();
    println!(
        "weft bench vc: {} issuances (status entry{}), {} in flight, {} s of verification",
        args.issues,
        if evidence {
            " + evidence anchoring"
        } else {
            ""
        },
        args.concurrency,
        args.verify_secs
    );
    println!(
        "  issued:   {} of {} in {:.2} s = {issued_per_sec:.0}/s; latency p50 {} ms, p99 {} ms",
        issued.len(),
        args.issues,
        issue_elapsed.as_secs_f64(),
        pct(&latencies, 0.5).as_millis(),
        pct(&latencies, 0.99).as_millis()
    );
    println!("  verified: {verified} ({failed} not verified) = {verified_per_sec:.0}/s over HTTP");
    println!("  load average (1 min): {load}");
    println!();
    println!("| issued | in flight | evidence | issued/s | issue p50 ms | issue p99 ms | verified/s (HTTP) | load |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {issued_per_sec:.0} | {} | {} | {verified_per_sec:.0} | {load} |",
        issued.len(),
        args.concurrency,
        if evidence { "yes" } else { "no" },
        pct(&latencies, 0.5).as_millis(),
        pct(&latencies, 0.99).as_millis()
    );
    Ok(())
}

//! `weft bench did`: DID creations committed per second through the REST API, and DID
//! resolutions per second through the DIF resolver endpoint.
//!
//! The node is a `weft up` child on a temporary data directory with the REST rate limits off
//! (they would otherwise be what is measured). Steps:
//!
//! 1. pre-sign N `did.create` transactions, each by a fresh Ed25519 key (all cores);
//! 2. `POST /api/v1/dids {"transaction": ...}` with the admin token, C requests in flight; each
//!    response arrives only once the creation is committed (the handler waits for the receipt),
//!    so creations/s = 201 responses / (first request to last response);
//! 3. `GET /1.0/identifiers/{did}` over the created DIDs for a fixed time from C connections,
//!    and prints the `wrk` command that measures the same endpoint independently.

use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::StreamExt;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::{json, Value};
use weft_chain::{Keypair, Transaction};
use weft_did::registry::DidCall;
use weft_did::Did;

use crate::bench::ChildNode;
use crate::client::RpcClient;

/// `weft bench did` options.
#[derive(Debug, clap::Args)]
pub struct BenchDidArgs {
    /// DIDs to create.
    #[arg(long, default_value_t = 20_000)]
    pub creates: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Seconds of resolution load.
    #[arg(long, default_value_t = 10)]
    pub resolve_secs: u64,
}

/// Runs the benchmark and prints its report.
pub fn run(args: BenchDidArgs) -> anyhow::Result<()> {
    if args.creates == 0 || args.concurrency == 0 || args.resolve_secs == 0 {
        bail!("--creates, --concurrency and --resolve-secs must be positive");
    }
    let node = ChildNode::start_with(&["--ip-rate-limit", "0", "--token-rate-limit", "0"])?;
    let token = node
        .admin_token
        .clone()
        .context("weft up printed no admin token")?;
    eprintln!("node: {} (log {})", node.rpc, node.log.display());
    let rpc = node.rpc.clone();
    let report =
        actix_web::rt::System::new().block_on(async move { measure(&args, &rpc, &token).await });
    drop(node);
    report
}

async fn measure(args: &BenchDidArgs, rpc: &str, token: &str) -> anyhow::Result<()> {
    let client = RpcClient::new(rpc);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        match client.call("getSyncStatus", json!([])).await {
            Ok(status) => break status,
            Err(err) if Instant::now() > deadline => bail!("node not ready: {err}"),
            Err(_) => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let chain_id = status
        .get("chainId")
        .and_then(Value::as_str)
        .context("no chain id")?
        .to_string();
    let base = rpc.trim_end_matches("/rpc").to_string();

    eprintln!("pre-signing {} did.create transactions ...", args.creates);
    let (dids, bodies) = presign(args.creates, &chain_id)?;

    let http = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .connector(awc::Connector::new().limit(args.concurrency))
        .finish();
    let url = format!("{base}/api/v1/dids");
    let auth = format!("Bearer {token}");
    eprintln!(
        "creating over REST, {} requests in flight ...",
        args.concurrency
    );
    let started = Instant::now();
    let results: Vec<(bool, Duration)> = futures_util::stream::iter(bodies)
        .map(|body| {
            let (http, url, auth) = (http.clone(), url.clone(), auth.clone());
            async move {
                let sent = Instant::now();
                let ok = match http
                    .post(&url)
                    .insert_header(("authorization", auth))
                    .insert_header(("content-type", "application/json"))
                    .send_body(body)
                    .await
                {
                    Ok(mut response) => {
                        let _ = response.body().limit(1 << 20).await;
                        response.status().as_u16() == 201
                    }
                    Err(_) => false,
                };
                (ok, sent.elapsed())
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let create_elapsed = started.elapsed();
    let created = results.iter().filter(|(ok, _)| *ok).count();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let creates_per_sec = created as f64 / create_elapsed.as_secs_f64().max(1e-9);
    if created == 0 {
        bail!("no DID was created (see the node log)");
    }

    eprintln!(
        "resolving for {} s over {} connections ...",
        args.resolve_secs, args.concurrency
    );
    let urls: Rc<Vec<String>> = Rc::new(
        dids.iter()
            .take(created.max(1))
            .map(|did| format!("{base}/1.0/identifiers/{did}"))
            .collect(),
    );
    let stop_at = Instant::now() + Duration::from_secs(args.resolve_secs);
    let resolve_started = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..args.concurrency {
        let (http, urls) = (http.clone(), urls.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            let mut i = lane;
            while Instant::now() < stop_at {
                let url = &urls[i % urls.len()];
                i += args_stride(urls.len());
                match http.get(url).send().await {
                    Ok(mut response) if response.status().is_success() => {
                        let _ = response.body().limit(1 << 20).await;
                        ok += 1;
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let (mut resolved, mut failed) = (0usize, 0usize);
    for task in tasks {
        let (ok, bad) = task.await.context("resolution task panicked")?;
        resolved += ok;
        failed += bad;
    }
    let resolves_per_sec = resolved as f64 / resolve_started.elapsed().as_secs_f64();

    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    println!();
    println!(
        "weft bench did: {} creations, {} in flight, {} s of resolution",
        args.creates, args.concurrency, args.resolve_secs
    );
    println!(
        "  created (committed):  {created} of {} in {:.2} s = {creates_per_sec:.0}/s; latency p50 {} ms, p99 {} ms",
        args.creates,
        create_elapsed.as_secs_f64(),
        pct(0.5).as_millis(),
        pct(0.99).as_millis()
    );
    println!("  resolved:             {resolved} ({failed} failed) = {resolves_per_sec:.0}/s (this process as the client)");
    println!("  load average (1 min): {load}");
    println!(
        "  independent check:    wrk -t2 -c64 -d10s --latency {}",
        urls[0]
    );
    println!();
    println!(
        "| creates | in flight | created/s | create p50 ms | create p99 ms | resolved/s | load |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {created} | {} | {creates_per_sec:.0} | {} | {} | {resolves_per_sec:.0} | {load} |",
        args.concurrency,
        pct(0.5).as_millis(),
        pct(0.99).as_millis()
    );
    Ok(())
}

/// Step between the DIDs one connection resolves (co-prime enough to spread reads).
fn args_stride(len: usize) -> usize {
    if len > 7 && len % 7 != 0 {
        7
    } else {
        1
    }
}

/// `n` DIDs and the JSON bodies of their client-signed creation requests.
fn presign(n: usize, chain_id: &str) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1);
    let per_thread = n.div_ceil(threads);
    let signed: Vec<(String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut rng = StdRng::from_entropy();
                    let range = (t * per_thread)..((t + 1) * per_thread).min(n);
                    range
                        .map(|_| {
                            let key = Keypair::generate_with_rng(&mut rng);
                            let call = DidCall::Create {
                                public_key: key.public_key(),
                                services: Vec::new(),
                            }
                            .call();
                            let tx = Transaction {
                                chain_id: chain_id.to_string(),
                                sender: key.public_key(),
                                nonce: 0,
                                call,
                            }
                            .sign(&key);
                            let did = Did::weft(chain_id, key.address()).to_string();
                            let body = json!({
                                "transaction": format!("0x{}", hex::encode(tx.encode()))
                            })
                            .to_string();
                            (did, body)
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
    if signed.len() != n {
        bail!("pre-signing produced {} of {n} transactions", signed.len());
    }
    Ok(signed.into_iter().unzip())
}

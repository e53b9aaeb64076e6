//! `weft node --home DIR`: one node of a multi-node network laid out by `weft testnet`.
//!
//! Opens the ledger, starts Malachite consensus (validator if the node key is in the validator
//! set, observer otherwise), serves JSON-RPC and `/ws`, and forwards transactions admitted from
//! clients to the other nodes (`POST /p2p/txs`), so that any node's clients reach the proposer.
//! Transactions received from peers are not forwarded again.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use anyhow::Context;
use weft_chain::{Node, NodeConfig, SignedTransaction};

use super::up::{say, shutdown_signal};
use weft_api::rpc::RpcLimits;
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_api::ws::WsConfig;
use weft_cli::testnet::{config_path, key_path, NetworkNodeConfig};
use weft_cli::NodeArgs;
use weft_service::node_home::read_key_file;

/// Largest forwarded batch body accepted from a peer.
const MAX_FORWARD_BODY: usize = 32 * 1024 * 1024;
/// Forwarded transactions are gathered for this long before a POST.
const FORWARD_BATCH: Duration = Duration::from_millis(5);

pub fn run(args: NodeArgs) -> anyhow::Result<()> {
    let home = args.home;
    let cfg_path = config_path(&home);
    let config: NetworkNodeConfig = serde_json::from_slice(
        &std::fs::read(&cfg_path).with_context(|| format!("reading {}", cfg_path.display()))?,
    )
    .with_context(|| format!("parsing {}", cfg_path.display()))?;
    let genesis_path = home.join("genesis.json");
    let genesis: weft_chain::Genesis = serde_json::from_slice(
        &std::fs::read(&genesis_path)
            .with_context(|| format!("reading {}", genesis_path.display()))?,
    )
    .with_context(|| format!("parsing {}", genesis_path.display()))?;
    let key = read_key_file(&key_path(&home))?;

    let mut node_config = NodeConfig {
        data_dir: home.join("chain"),
        ..NodeConfig::default()
    };
    node_config.block.max_block_interval = Duration::from_millis(config.max_block_interval_ms);
    node_config.block.batch_delay = Duration::from_millis(config.batch_delay_ms);
    let node = Node::open(node_config, genesis, weft_service::modules::registry())
        .context("opening the ledger")?;
    let listener =
        TcpListener::bind(config.http).with_context(|| format!("binding {}", config.http))?;
    let addr = listener.local_addr()?;

    let is_validator = node
        .validators(None)?
        .iter()
        .any(|v| v.public_key == key.public_key());
    let byzantine = match std::env::var("WEFT_TEST_BYZANTINE") {
        Ok(mode) => Some(mode.parse().map_err(anyhow::Error::msg)?),
        Err(_) => None,
    };
    let consensus = weft_chain::consensus::spawn(
        node.clone(),
        weft_chain::consensus::ConsensusOptions {
            home: home.join("consensus"),
            key: key.clone(),
            moniker: config.moniker.clone(),
            listen: config.p2p.clone(),
            peers: config.peers.clone(),
            timeouts: config.timeouts.clone(),
            max_block_interval: Duration::from_millis(config.max_block_interval_ms),
            batch_delay: Duration::from_millis(config.batch_delay_ms),
            sync_status_interval: Duration::from_millis(config.sync_status_interval_ms),
            byzantine,
        },
    )
    .context("starting consensus")?;

    let banner = [
        format!("weft node up ({})", config.moniker),
        format!("  home:       {}", home.display()),
        format!("  chain id:   {}", node.chain_id()),
        format!("  height:     {}", node.height()),
        format!(
            "  role:       {}",
            if is_validator {
                "validator"
            } else {
                "observer"
            }
        ),
        format!("  node key:   {}", key.public_key()),
        format!("  p2p:        {}", config.p2p),
        format!("  rpc url:    http://{addr}/rpc"),
        format!("  ws url:     ws://{addr}/ws"),
        "  stop with Ctrl-C".to_string(),
    ];
    for line in banner {
        say(&line);
    }

    let app = AppBuilder::new(node.clone())
        .with_node_interface(RpcLimits::default(), WsConfig::default())
        .group(|cfg| {
            cfg.service(
                web::resource("/p2p/txs")
                    .app_data(web::PayloadConfig::new(MAX_FORWARD_BODY))
                    .route(web::post().to(receive_forwarded)),
            );
        });
    let peers = config.peer_http.clone();
    let forward_node = node.clone();
    let served = actix_web::rt::System::new().block_on(async move {
        actix_web::rt::spawn(forward_loop(forward_node, peers));
        serve(listener, app, ServeOptions::default(), shutdown_signal()).await
    });

    tracing::info!("HTTP stopped; stopping consensus");
    consensus.shutdown();
    let height = node.height();
    drop(node);
    served.context("HTTP server failed")?;
    say(&format!("weft node stopped cleanly at height {height}"));
    Ok(())
}

/// `POST /p2p/txs`: a peer's forwarded batch (borsh `Vec<Vec<u8>>` of encoded transactions).
async fn receive_forwarded(node: web::Data<Arc<Node>>, body: web::Bytes) -> HttpResponse {
    let Ok(raw) = borsh::from_slice::<Vec<Vec<u8>>>(&body) else {
        return HttpResponse::BadRequest().body("malformed batch");
    };
    let txs: Vec<SignedTransaction> = raw
        .iter()
        .filter_map(|b| SignedTransaction::decode(b).ok())
        .collect();
    let node = node.get_ref().clone();
    match web::block(move || node.submit_batch_from_peer(txs)).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// Forwards client-admitted transactions to every peer in small batches, best effort: a peer
/// that is down misses them (its own clients and the proposer's pool still have theirs).
async fn forward_loop(node: Arc<Node>, peers: Vec<String>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut admitted = node.subscribe_admitted();
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    loop {
        let mut batch: Vec<Vec<u8>> = Vec::new();
        match admitted.recv().await {
            Ok(txs) => batch.extend(txs.iter().map(SignedTransaction::encode)),
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "transaction forwarding lagged");
                continue;
            }
            Err(RecvError::Closed) => return,
        }
        let until = tokio::time::Instant::now() + FORWARD_BATCH;
        while let Ok(Ok(txs)) = tokio::time::timeout_at(until, admitted.recv()).await {
            batch.extend(txs.iter().map(SignedTransaction::encode));
        }
        let body = match borsh::to_vec(&batch) {
            Ok(b) => web::Bytes::from(b),
            Err(_) => continue,
        };
        for peer in &peers {
            let request = client
                .post(format!("{peer}/p2p/txs"))
                .send_body(body.clone());
            let peer = peer.clone();
            actix_web::rt::spawn(async move {
                if let Err(e) = request.await {
                    tracing::debug!(%peer, error = %e, "forwarding transactions failed");
                }
            });
        }
    }
}

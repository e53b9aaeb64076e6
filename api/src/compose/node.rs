//! `weft node --home DIR`: one organisation's full node of a consortium network laid out by
//! `weft testnet` or `weft join`.
//!
//! Opens the ledger, starts Malachite consensus (validator if the node key is in the validator
//! set, observer otherwise) and serves, on one listener, everything `weft up` serves: JSON-RPC
//! and `/ws`, the platform REST API over the organisation's own store, keystore and master
//! key, and the web UI. It forwards transactions admitted from clients to the other nodes
//! (`POST /p2p/txs`), so that any node's clients reach the proposer; transactions received from
//! peers are not forwarded again.
//!
//! At start it makes sure the organisation's DID (its operator account's `did:weft`) is on
//! chain with a `WeftNode` service naming this node's public URL
//! ([`weft_service::org::ensure_org_did`]), retrying in the background until the node has
//! caught up and the transaction commits.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use anyhow::Context;
use weft_chain::{Node, NodeConfig, SignedTransaction};

use super::up::{say, shutdown_signal};
use weft_api::rest::{self, ApiConfig};
use weft_api::rpc::RpcLimits;
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_api::ws::WsConfig;
use weft_cli::testnet::{config_path, key_path, operator_key_path, NetworkNodeConfig};
use weft_cli::NodeArgs;
use weft_service::node_home::read_key_file;
use weft_service::org;
use weft_service::platform;
use weft_service::store::Backend;

/// Largest forwarded batch body accepted from a peer.
const MAX_FORWARD_BODY: usize = 32 * 1024 * 1024;
/// Forwarded transactions are gathered for this long before a POST.
const FORWARD_BATCH: Duration = Duration::from_millis(5);
/// Pause between attempts to register the organisation's DID.
const ORG_DID_RETRY: Duration = Duration::from_secs(3);

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
    let operator_key = read_key_file(&operator_key_path(&home)).with_context(|| {
        format!(
            "{} has no organisation operator key (lay homes out with `weft testnet` or `weft join`)",
            home.display()
        )
    })?;
    let database_url = args
        .database_url
        .or(config.database_url.clone())
        .unwrap_or_else(|| platform::default_database_url(&home));
    let backend = Backend::of_url(&database_url).context("--database-url")?;
    let master_key_file = args.master_key_file.or(config.master_key_file.clone());
    let (master, origin) = platform::master_key(master_key_file.as_deref(), &home)?;

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
    // Not from WEFT_PUBLIC_URL: several nodes may share a machine and an environment.
    let public_url = super::public_url(
        args.public_url.or(config.public_url.clone()).as_deref(),
        false,
        addr,
    )?;

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

    let api_config = ApiConfig {
        public_url: Some(public_url.clone()),
        ..ApiConfig::default()
    };
    let system = actix_web::rt::System::new();
    let started = system.block_on(rest::ApiState::start(
        node.clone(),
        &database_url,
        &master,
        &operator_key,
        api_config,
    ));
    drop(master);
    let (state, boot) = match started {
        Ok(started) => started,
        Err(err) => {
            consensus.shutdown();
            return Err(err).context("starting the platform API");
        }
    };
    let org_did = weft_did::Did::weft(node.chain_id(), operator_key.address());
    drop(operator_key);

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
        format!("  org did:    {org_did}"),
        format!("  p2p:        {}", config.p2p),
        format!("  web ui:     http://{addr}/"),
        format!("  api url:    http://{addr}/api/v1 (docs: http://{addr}/api/docs/)"),
        format!("  rpc url:    http://{addr}/rpc"),
        format!("  ws url:     ws://{addr}/ws"),
        format!("  public url: {public_url}"),
        super::database_line(backend, &database_url),
        super::master_key_line(&origin),
    ];
    // Registered inside the runtime, polled later by `serve`: returning the future is the point.
    #[allow(clippy::async_yields_async)]
    let shutdown = system.block_on(async { shutdown_signal() });
    for line in banner {
        say(&line);
    }
    if let Some(token) = &boot.admin_token {
        match &config.admin_token_file {
            Some(path) => {
                write_secret_file(path, token.as_str())
                    .with_context(|| format!("writing the admin token to {}", path.display()))?;
                say(&format!(
                    "  admin token: written to {} (tenant \"{}\", role admin; created now)",
                    path.display(),
                    weft_api::auth::OPERATOR_TENANT
                ));
            }
            None => say(&format!(
                "  admin token: {} (tenant \"{}\", role admin; shown only now, store it safely)",
                token.as_str(),
                weft_api::auth::OPERATOR_TENANT
            )),
        }
    } else if let Some(path) = &config.admin_token_file {
        say(&format!(
            "  admin token: in {} (created at first start)",
            path.display()
        ));
    }
    drop(boot);
    say("  stop with Ctrl-C");

    let app = AppBuilder::new(node.clone())
        .with_node_interface(RpcLimits::default(), WsConfig::default())
        .group(|cfg| {
            cfg.service(
                web::resource("/p2p/txs")
                    .app_data(web::PayloadConfig::new(MAX_FORWARD_BODY))
                    .route(web::post().to(receive_forwarded)),
            );
        })
        .group({
            let state = state.clone();
            move |cfg| rest::configure(cfg, state.clone())
        })
        .with_ui();
    let options = ServeOptions {
        workers: args.workers,
        ..ServeOptions::default()
    };
    let peers = config.peer_http.clone();
    let forward_node = node.clone();
    let org_ctx = state.ctx.clone();
    let served = system.block_on(async move {
        actix_web::rt::spawn(forward_loop(forward_node, peers));
        actix_web::rt::spawn(register_org_did(org_ctx, public_url));
        serve(listener, app, options, shutdown).await
    });
    system.block_on(state.store.close());
    drop(state);

    tracing::info!("HTTP stopped; stopping consensus");
    consensus.shutdown();
    let height = node.height();
    drop(node);
    served.context("HTTP server failed")?;
    say(&format!("weft node stopped cleanly at height {height}"));
    Ok(())
}

/// Registers (or updates) the organisation's DID with this node's endpoint, retrying until it
/// commits: an observer that is still catching up, or a network without a quorum yet, only
/// delays it.
async fn register_org_did(ctx: Arc<weft_service::Context>, public_url: String) {
    let mut attempts = 0u32;
    let mut next_warning = 10u32;
    loop {
        actix_web::rt::time::sleep(ORG_DID_RETRY).await;
        attempts += 1;
        match org::ensure_org_did(&ctx, &public_url).await {
            Ok((did, change)) => {
                tracing::info!(%did, ?change, endpoint = %public_url, "organisation DID on chain");
                if change != org::OrgDidChange::Unchanged {
                    say(&format!(
                        "  organisation DID {did} registered with endpoint {public_url}"
                    ));
                }
                return;
            }
            Err(err @ weft_service::ServiceError::Conflict(_)) => {
                // A deactivated organisation DID: retrying cannot help.
                tracing::warn!(code = err.code(), %err, "not registering the organisation DID");
                return;
            }
            Err(err) => {
                // Every 10th failure at warn level: the first ones are expected while syncing.
                if attempts == next_warning {
                    next_warning += 10;
                    tracing::warn!(code = err.code(), %err, attempts, "registering the organisation DID");
                } else {
                    tracing::debug!(code = err.code(), %err, "registering the organisation DID");
                }
            }
        }
    }
}

/// Writes a secret to a new or truncated file readable only by its owner.
fn write_secret_file(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(secret.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
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

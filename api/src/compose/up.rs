//! `weft up`: one validator, the embedded store, JSON-RPC and subscriptions, and the platform
//! API (REST, OpenAPI, metrics) on its off-chain store.

use std::net::TcpListener;
use std::time::Duration;

use anyhow::Context;
use weft_chain::{Node, SingleValidator};

use weft_api::rate_limit::{Rate, RateLimits};
use weft_api::rest::{self, ApiConfig};
use weft_api::rpc::RpcLimits;
use weft_api::server::{serve, AppBuilder, ServeOptions};
use weft_api::ws::WsConfig;
use weft_cli::UpArgs;
use weft_service::node_home::{read_key_file, NodeHome};
use weft_service::platform;
use weft_service::store::Backend;

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let home = NodeHome::new(&args.data_dir);
    let contents = home
        .init_or_load()
        .with_context(|| format!("preparing {}", args.data_dir.display()))?;
    let (master, origin) = platform::master_key(args.master_key_file.as_deref(), home.root())?;
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| platform::default_database_url(home.root()));
    let backend = Backend::of_url(&database_url).context("--database-url")?;
    let operator_key = read_key_file(&home.admin_key_path())?;
    let listener =
        TcpListener::bind(args.http).with_context(|| format!("binding {}", args.http))?;
    let addr = listener.local_addr()?;
    let public_url = super::public_url(args.public_url.as_deref(), true, addr)?;

    let node = Node::open(
        home.node_config(),
        contents.genesis.clone(),
        weft_service::modules::registry(),
    )
    .context("opening the ledger")?;
    let validator = SingleValidator::spawn(node.clone(), contents.validator.clone());
    let config = ApiConfig {
        rate_limits: RateLimits {
            per_ip: Rate {
                per_second: args.ip_rate_limit,
                burst: 2.0 * args.ip_rate_limit,
            },
            per_token: Rate {
                per_second: args.token_rate_limit,
                burst: 2.0 * args.token_rate_limit,
            },
        },
        receipt_timeout: Duration::from_secs(args.receipt_timeout),
        public_url: Some(public_url.clone()),
        ..ApiConfig::default()
    };
    let system = actix_web::rt::System::new();
    let started = system.block_on(weft_api::rest::ApiState::start(
        node.clone(),
        &database_url,
        &master,
        &operator_key,
        config,
    ));
    drop(operator_key);
    drop(master);
    let (state, boot) = match started {
        Ok(started) => started,
        Err(err) => {
            validator.shutdown();
            return Err(err).context("starting the platform API");
        }
    };

    let verb = if contents.created { "created" } else { "using" };
    let banner = [
        format!("weft node up ({verb} data directory)"),
        format!("  data dir:   {}", home.root().display()),
        format!("  chain id:   {}", node.chain_id()),
        format!("  height:     {}", node.height()),
        format!("  web ui:     http://{addr}/"),
        format!("  rpc url:    http://{addr}/rpc"),
        format!("  ws url:     ws://{addr}/ws"),
        format!("  validator:  {}", contents.validator.address()),
        format!(
            "  admin:      {} (key: {}; custodied as key \"{}\" of tenant \"{}\")",
            contents.admin,
            home.admin_key_path().display(),
            platform::OPERATOR_KEY_ID,
            weft_api::auth::OPERATOR_TENANT,
        ),
        format!("  api url:    http://{addr}/api/v1 (docs: http://{addr}/api/docs/)"),
        super::database_line(backend, &database_url),
        super::master_key_line(&origin),
        format!("  public url: {public_url}"),
    ];
    // Registered inside the runtime, polled later by `serve`: returning the future is the point.
    #[allow(clippy::async_yields_async)]
    let shutdown = system.block_on(async { shutdown_signal() });
    for line in banner {
        say(&line);
    }
    if let Some(token) = &boot.admin_token {
        say(&format!(
            "  admin token: {} (tenant \"{}\", role admin; shown only now, store it safely)",
            token.as_str(),
            weft_api::auth::OPERATOR_TENANT
        ));
    }
    drop(boot);
    say("  stop with Ctrl-C");

    let app = AppBuilder::new(node.clone())
        .with_node_interface(RpcLimits::default(), WsConfig::default())
        .group({
            let state = state.clone();
            move |cfg| rest::configure(cfg, state.clone())
        })
        .with_ui();
    let options = ServeOptions {
        workers: args.workers,
        ..ServeOptions::default()
    };
    let served = system.block_on(serve(listener, app, options, shutdown));
    system.block_on(state.store.close());
    drop(state);

    tracing::info!("HTTP stopped; finishing the block in flight");
    validator.shutdown();
    let height = node.height();
    drop(node);
    served.context("HTTP server failed")?;
    say(&format!("weft node stopped cleanly at height {height}"));
    Ok(())
}

/// Registers the Ctrl-C and SIGTERM handlers now (so a signal that arrives right after the banner
/// is not lost to the default action) and returns a future that resolves on either. Must be called
/// inside the runtime that will poll the future.
pub(super) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let future = {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                (Err(err), _) | (_, Err(err)) => {
                    tracing::warn!(%err, "cannot watch SIGTERM; only Ctrl-C stops the node");
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    };
    #[cfg(not(unix))]
    let future = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    async move {
        future.await;
        tracing::info!("shutdown requested");
    }
}

/// Prints a line; a closed stdout must not bring the node down.
pub(super) fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

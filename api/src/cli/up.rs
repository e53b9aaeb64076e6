//! `weft up`: one validator, the embedded store, JSON-RPC and subscriptions.

use std::net::TcpListener;

use anyhow::Context;
use weft_chain::{ModuleRegistry, Node, SingleValidator};

use super::UpArgs;
use crate::node_home::NodeHome;
use crate::rpc::RpcLimits;
use crate::server::{serve, AppBuilder, ServeOptions};
use crate::ws::WsConfig;

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let home = NodeHome::new(&args.data_dir);
    let contents = home
        .init_or_load()
        .with_context(|| format!("preparing {}", args.data_dir.display()))?;
    let listener =
        TcpListener::bind(args.http).with_context(|| format!("binding {}", args.http))?;
    let addr = listener.local_addr()?;

    let node = Node::open(
        home.node_config(),
        contents.genesis.clone(),
        ModuleRegistry::with_defaults(),
    )
    .context("opening the ledger")?;
    let validator = SingleValidator::spawn(node.clone(), contents.validator.clone());

    let verb = if contents.created { "created" } else { "using" };
    let banner = [
        format!("weft node up ({verb} data directory)"),
        format!("  data dir:   {}", home.root().display()),
        format!("  chain id:   {}", node.chain_id()),
        format!("  height:     {}", node.height()),
        format!("  rpc url:    http://{addr}/rpc"),
        format!("  ws url:     ws://{addr}/ws"),
        format!("  validator:  {}", contents.validator.address()),
        format!(
            "  admin:      {} (key: {})",
            contents.admin,
            home.admin_key_path().display()
        ),
        "  stop with Ctrl-C".to_string(),
    ];
    for line in banner {
        say(&line);
    }

    let app = AppBuilder::new(node.clone())
        .with_node_interface(RpcLimits::default(), WsConfig::default());
    let options = ServeOptions {
        workers: args.workers,
        ..ServeOptions::default()
    };
    let served =
        actix_web::rt::System::new().block_on(serve(listener, app, options, shutdown_signal()));

    tracing::info!("HTTP stopped; finishing the block in flight");
    validator.shutdown();
    let height = node.height();
    drop(node);
    served.context("HTTP server failed")?;
    say(&format!("weft node stopped cleanly at height {height}"));
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub(super) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(%err, "cannot watch SIGTERM; only Ctrl-C stops the node");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown requested");
}

/// Prints a line; a closed stdout must not bring the node down.
pub(super) fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

//! `cargo run --release -p weft-demo-psi -- [--sizes A,B] [--overlap K] [--keep-running]`: see
//! the README.

use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Parser;
use weft_demo_psi::{run, DemoConfig};

/// Two organisations' Weft nodes on loopback intersect synthetic customer lists with PSI.
#[derive(Debug, Parser)]
#[command(name = "weft-demo-psi")]
struct Args {
    /// Customers of the bank and of the insurer.
    #[arg(long, default_value = "100000,80000")]
    sizes: String,
    /// Customers of both.
    #[arg(long, default_value_t = 25_000)]
    overlap: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
    /// Keep both nodes (and their web UIs) running after the demo until Ctrl-C; their homes,
    /// logs and tokens stay in the printed directory.
    #[arg(long)]
    keep_running: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (a, b) = args
        .sizes
        .split_once(',')
        .context("--sizes is A,B (two counts)")?;
    let config = DemoConfig {
        bank: a.trim().parse().context("--sizes: bank count")?,
        insurer: b.trim().parse().context("--sizes: insurer count")?,
        overlap: args.overlap,
        timeout: Duration::from_secs(args.timeout),
    };
    if config.overlap > config.bank.min(config.insurer) {
        bail!("--overlap exceeds a list");
    }
    let dir = std::env::temp_dir().join(format!("weft-demo-psi-{}", std::process::id()));
    let system = actix_web::rt::System::new();
    let (report, network) = system.block_on(run(config, &dir, args.keep_running, |line| {
        println!("• {line}");
    }))?;
    println!(
        "done: both sides learnt exactly {} shared customers (session {} in {:.2?})",
        report.learnt.0, report.session, report.session_time
    );
    if args.keep_running {
        println!(
            "the nodes keep running: bank {}/ and insurer {}/ (homes in {}); stop with Ctrl-C",
            network.url(0),
            network.url(1),
            network.dir().display()
        );
        system.block_on(weft_cli::local_net::until_stopped());
    }
    drop(network);
    Ok(())
}

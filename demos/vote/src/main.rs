//! `cargo run --release -p weft-demo-vote -- --voters 200`: see `demos/vote/README.md`.

use clap::Parser;
use weft_demo_vote::{run, Options};

/// An anonymous, verifiable poll end to end on three organisations' nodes.
#[derive(Debug, Parser)]
#[command(name = "weft-demo-vote")]
struct Args {
    /// Number of voters.
    #[arg(long, default_value_t = 200)]
    voters: usize,
    /// Seconds between creating the poll and opening the window (setup must fit).
    #[arg(long)]
    setup_secs: Option<u64>,
    /// Length of the voting window in seconds (default: 20 + voters / 2).
    #[arg(long)]
    window_secs: Option<u64>,
    /// Ballots made and submitted per batch.
    #[arg(long, default_value_t = 16)]
    parallel: usize,
    /// Keep the three nodes (and their web UIs) running after the demo until Ctrl-C; their
    /// homes, logs and tokens stay in the printed directory.
    #[arg(long)]
    keep_running: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut opts = Options::for_voters(args.voters);
    if let Some(s) = args.setup_secs {
        opts.setup_secs = s;
    }
    if let Some(w) = args.window_secs {
        opts.window_secs = w;
    }
    opts.parallel = args.parallel;
    let dir = std::env::temp_dir().join(format!("weft-demo-vote-{}", std::process::id()));
    let system = actix_web::rt::System::new();
    let (outcome, network) = system.block_on(run(&opts, &dir, args.keep_running))?;
    anyhow::ensure!(
        outcome.published == outcome.expected,
        "the published result {:?} differs from the intended {:?}",
        outcome.published,
        outcome.expected
    );
    anyhow::ensure!(outcome.audit_passed, "the audit failed");
    println!(
        "the published result equals the intended distribution {:?}, and the audit passed",
        outcome.expected
    );
    if args.keep_running {
        println!(
            "the nodes keep running: {} (homes in {}); stop with Ctrl-C",
            (0..network.len())
                .map(|i| format!("{}/", network.url(i)))
                .collect::<Vec<_>>()
                .join(", "),
            network.dir().display()
        );
        system.block_on(weft_cli::local_net::until_stopped());
    }
    drop(network);
    Ok(())
}

//! `cargo run --release -p weft-demo-vote -- --voters 200`: see `demos/vote/README.md`.

use clap::Parser;
use weft_demo_vote::{run, Options};

/// An anonymous, verifiable poll end to end on an in-process node.
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
    let outcome = actix_web::rt::System::new().block_on(run(&opts))?;
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
    Ok(())
}

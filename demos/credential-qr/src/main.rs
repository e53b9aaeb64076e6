//! `cargo run --release -p weft-demo-credential-qr -- [--out DIR] [--keep-running]`: see the
//! README.

use std::path::PathBuf;

use clap::Parser;

/// Issue a credential at one organisation, show it as a QR code at a second, verify it at a
/// third, revoke it, verify again.
#[derive(Debug, Parser)]
#[command(name = "weft-demo-credential-qr")]
struct Args {
    /// Write the holder's QR codes (PNG) into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the three nodes (and their web UIs) running after the demo until Ctrl-C; their
    /// homes, logs and tokens stay in the printed directory.
    #[arg(long)]
    keep_running: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("weft-demo-credential-qr-{}", std::process::id()));
    let system = actix_web::rt::System::new();
    let (outcome, network) = system.block_on(weft_demo_credential_qr::run(
        args.out.as_deref(),
        &dir,
        args.keep_running,
        |line| println!("{line}"),
    ))?;
    println!(
        "done: verified before revocation, refused after with {:?}",
        outcome.after_revocation
    );
    if args.keep_running {
        println!(
            "the nodes keep running: issuer {}/, holder {}/, verifier {}/ (homes in {}); stop with Ctrl-C",
            network.url(0),
            network.url(1),
            network.url(2),
            network.dir().display()
        );
        system.block_on(weft_cli::local_net::until_stopped());
    }
    drop(network);
    Ok(())
}

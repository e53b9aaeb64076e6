//! `cargo run --release -p weft-demo-credential-qr -- [--out DIR]`: see the README.

use std::path::PathBuf;

use clap::Parser;

/// Issue a credential, show it as a QR code, verify it, revoke it, verify again.
#[derive(Debug, Parser)]
#[command(name = "weft-demo-credential-qr")]
struct Args {
    /// Write the holder's QR codes (PNG) into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let outcome = actix_web::rt::System::new()
        .block_on(weft_demo_credential_qr::run(args.out.as_deref(), |line| {
            println!("{line}")
        }))?;
    println!(
        "done: verified before revocation, refused after with {:?}",
        outcome.after_revocation
    );
    Ok(())
}

//! `weft qr`: QR envelopes offline — `encode` a payload (JSON [`Payload`] or `WEFT1:` text) to a
//! PNG or SVG, and `decode` an image back to its envelope text and payload JSON.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use weft_did::qr::{self, Payload};

/// `weft qr ...`.
#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// Read the QR code in IMAGE; print the envelope text and the decoded payload as JSON.
    Decode {
        /// The image file (PNG).
        image: PathBuf,
    },
    /// Render a payload as a QR code.
    Encode {
        /// A JSON payload (`{"t": "vc"|"vp"|"sd"|"ref"|"req", "c": ...}`) or `WEFT1:` text.
        #[arg(long = "in")]
        input: PathBuf,
        /// Output file; `.png` or `.svg` chooses the format.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `weft qr ...`.
pub fn run(command: QrCommand) -> anyhow::Result<()> {
    match command {
        QrCommand::Decode { image } => {
            let bytes = std::fs::read(&image)
                .with_context(|| format!("cannot read {}", image.display()))?;
            let text =
                qr::decode_qr_image(&bytes).map_err(|e| anyhow!("{}: {e}", image.display()))?;
            let payload = qr::decode_envelope(&text).map_err(|e| anyhow!("envelope: {e}"))?;
            println!("{text}");
            println!("{}", serde_json::to_string_pretty(&payload)?);
            Ok(())
        }
        QrCommand::Encode { input, out } => {
            let raw = std::fs::read_to_string(&input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let raw = raw.trim();
            let text = if raw.starts_with(qr::PREFIX) {
                qr::decode_envelope(raw).map_err(|e| anyhow!("envelope: {e}"))?;
                raw.to_string()
            } else {
                let payload: Payload = serde_json::from_str(raw)
                    .context("the input is neither WEFT1: text nor a JSON payload")?;
                qr::encode_envelope(&payload).map_err(|e| anyhow!("{e}"))?
            };
            write_image(&text, &out)?;
            println!("{text}");
            Ok(())
        }
    }
}

fn write_image(text: &str, out: &Path) -> anyhow::Result<()> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("png") => qr::render_png(text).map_err(|e| anyhow!("{e}"))?,
        Some("svg") => qr::render_svg(text)
            .map_err(|e| anyhow!("{e}"))?
            .into_bytes(),
        _ => bail!("--out must end in .png or .svg"),
    };
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}

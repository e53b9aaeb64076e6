//! `weft qr`: QR envelopes — `encode` a payload (JSON [`Payload`] or `WEFT1:` text) to a PNG or
//! SVG, and `decode` an image back to its envelope text and payload JSON. Offline, except that
//! a payload over the inline limit is stored on a server (`--api`, `--token`) and encoded as a
//! one-time reference (`POST /api/v1/qr/refs`).

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
        /// A payload over the inline limit is stored on this Weft server and the QR code holds a
        /// one-time, expiring reference to it (needs `--token`).
        #[arg(long, env = "WEFT_API")]
        api: Option<String>,
        /// An API token of that server (any role).
        #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Lifetime of the reference, in seconds (at most 600).
        #[arg(long, default_value_t = 600)]
        ttl_secs: u64,
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
        QrCommand::Encode {
            input,
            out,
            api,
            token,
            ttl_secs,
        } => {
            let raw = std::fs::read_to_string(&input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let raw = raw.trim();
            let text = if raw.starts_with(qr::PREFIX) {
                qr::decode_envelope(raw).map_err(|e| anyhow!("envelope: {e}"))?;
                raw.to_string()
            } else {
                let payload: Payload = serde_json::from_str(raw)
                    .context("the input is neither WEFT1: text nor a JSON payload")?;
                match qr::encode_envelope(&payload) {
                    Ok(text) => text,
                    Err(qr::EnvelopeError::TooLargeUseReference(len)) => match (api, token) {
                        (Some(api), Some(token)) => {
                            crate::block_on(reference(&api, &token, raw, ttl_secs))?
                        }
                        _ => bail!(
                            "the envelope would be {len} characters, over the inline limit of {}: \
                             pass --api URL and --token TOKEN to encode a one-time reference \
                             stored on that server",
                            qr::MAX_INLINE_ENVELOPE
                        ),
                    },
                    Err(e) => bail!("{e}"),
                }
            };
            write_image(&text, &out)?;
            println!("{text}");
            Ok(())
        }
    }
}

/// Stores `payload` (JSON text) on the server behind a one-time reference; returns the
/// reference's `WEFT1:` envelope.
async fn reference(api: &str, token: &str, payload: &str, ttl_secs: u64) -> anyhow::Result<String> {
    let url = format!("{}/api/v1/qr/refs", api.trim_end_matches('/'));
    let payload: serde_json::Value = serde_json::from_str(payload)?;
    let mut response = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .finish()
        .post(&url)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send_json(&serde_json::json!({"payload": payload, "ttl_secs": ttl_secs}))
        .await
        .map_err(|e| anyhow!("request to {url} failed: {e}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .limit(1 << 20)
        .await
        .context("the server answered non-JSON")?;
    if !status.is_success() {
        bail!(
            "storing the reference: HTTP {status}: {}",
            body.get("detail")
                .and_then(|d| d.as_str())
                .unwrap_or_default()
        );
    }
    let envelope = body["envelope"]
        .as_str()
        .context("the server answered no envelope")?
        .to_string();
    eprintln!(
        "stored behind a one-time reference: {} (expires at {})",
        body["url"].as_str().unwrap_or_default(),
        body["expires"]
    );
    Ok(envelope)
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

//! `weft vc issue|verify`: issue a credential through a server (with a token whose tenant
//! custodies the issuer's key) and verify one, printing every check. `verify` exits non-zero
//! when the credential does not verify.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde_json::{json, Value};

use super::DEFAULT_RPC;

/// `weft vc ...`.
#[derive(Debug, Subcommand)]
pub enum VcCommand {
    /// Issue the credential in FILE (VC 2.0 JSON without proof); prints the signed credential.
    Issue {
        /// The unsigned credential.
        file: PathBuf,
        /// Which custodied key signs (default: any assertion key of the issuer).
        #[arg(long)]
        key_id: Option<String>,
        /// Server URL.
        #[arg(long, env = "WEFT_API", default_value = DEFAULT_RPC)]
        api: String,
        /// An API token with a signer role.
        #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Verify the credential in FILE; prints each check; exit code 1 when not verified.
    Verify {
        /// The secured credential.
        file: PathBuf,
        /// Do not check credentialStatus.
        #[arg(long)]
        no_status: bool,
        /// Check status through a state proof against a certified block header (the check's
        /// detail then names the proved height).
        #[arg(long, conflicts_with = "no_status")]
        status_proof: bool,
        /// Server URL.
        #[arg(long, env = "WEFT_API", default_value = DEFAULT_RPC)]
        api: String,
    },
}

async fn post(
    api: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .disable_redirects()
        .finish();
    let url = format!("{}{path}", api.trim_end_matches('/'));
    let mut request = client.post(&url);
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Bearer {token}")));
    }
    let mut response = request
        .send_json(&body)
        .await
        .map_err(|err| anyhow::anyhow!("request to {url} failed: {err}"))?;
    let status = response.status().as_u16();
    let bytes = response
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .context("reading the response")?;
    let value: Value = serde_json::from_slice(&bytes).context("the server answered non-JSON")?;
    Ok((status, value))
}

fn read_json(file: &PathBuf) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))
}

/// Runs a `weft vc` command.
pub async fn run(command: VcCommand) -> anyhow::Result<()> {
    match command {
        VcCommand::Issue {
            file,
            key_id,
            api,
            token,
        } => {
            let credential = read_json(&file)?;
            let options = match key_id {
                Some(k) => json!({ "key_id": k }),
                None => json!({}),
            };
            let (status, v) = post(
                &api,
                "/credentials/issue",
                Some(&token),
                json!({ "credential": credential, "options": options }),
            )
            .await?;
            if status != 201 {
                bail!(
                    "server answered {status} {}: {}",
                    v["code"].as_str().unwrap_or(""),
                    v["detail"].as_str().unwrap_or("")
                );
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&v["verifiableCredential"])?
            );
            Ok(())
        }
        VcCommand::Verify {
            file,
            no_status,
            status_proof,
            api,
        } => {
            let credential = read_json(&file)?;
            let (status, v) = post(
                &api,
                "/credentials/verify",
                None,
                json!({
                    "verifiableCredential": credential,
                    "options": { "checkStatus": !no_status, "statusProof": status_proof },
                }),
            )
            .await?;
            if (status != 200 && status != 422) || v["report"].is_null() {
                bail!(
                    "server answered {status} {}: {}",
                    v["code"].as_str().unwrap_or(""),
                    v["detail"].as_str().unwrap_or("")
                );
            }
            for check in v["report"]["checks"].as_array().into_iter().flatten() {
                let mark = if check["passed"] == true {
                    "ok  "
                } else {
                    "FAIL"
                };
                let reason = check["reason"].as_str().unwrap_or("");
                let detail = check["detail"].as_str().unwrap_or("");
                println!(
                    "{mark} {:<24} {reason} {detail}",
                    check["name"].as_str().unwrap_or("?")
                );
            }
            if v["verified"] == true {
                println!("verified");
                Ok(())
            } else {
                println!("NOT verified");
                std::process::exit(1);
            }
        }
    }
}

//! `weft tx send`: sign locally, submit over JSON-RPC, wait for the receipt.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};
use weft_chain::governance::{self, Action, GovernanceCall};
use weft_chain::{Address, Call, GenesisValidator, PublicKey, Transaction};

use super::DEFAULT_RPC;
use crate::client::RpcClient;

/// `weft tx send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The sender's key file (encrypted by `weft key new`, or a plain hex seed).
    #[arg(long)]
    key: PathBuf,
    /// Node URL.
    #[arg(long, env = "WEFT_RPC", default_value = DEFAULT_RPC)]
    rpc: String,
    /// How long to wait for the receipt, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Submit through the REST API (`POST /api/v1/transactions/signed`) with this API token
    /// instead of JSON-RPC `sendTransaction`. The transaction is still signed here.
    #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The call to make.
    #[command(subcommand)]
    call: ModuleCall,
}

#[derive(Debug, Subcommand)]
enum ModuleCall {
    /// The governance module.
    #[command(subcommand)]
    Governance(GovernanceCommand),
}

#[derive(Debug, Subcommand)]
enum GovernanceCommand {
    /// Do nothing (a liveness probe).
    Noop,
    /// Set a configuration value (committee members only).
    SetConfig { key: String, value: String },
    /// Propose a committee decision.
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// Vote on an open proposal.
    Vote { proposal_id: u64, choice: Choice },
}

#[derive(Debug, Subcommand)]
enum ProposeCommand {
    /// Add a committee member.
    AddMember { address: Address },
    /// Remove a committee member.
    RemoveMember { address: Address },
    /// Grant a permission to an account.
    Grant {
        account: Address,
        permission: String,
    },
    /// Revoke a permission.
    Revoke {
        account: Address,
        permission: String,
    },
    /// Set a configuration value.
    SetConfig { key: String, value: String },
    /// Add a validator: proposes the current set (read from the node) plus this node key.
    AddValidator {
        /// The new validator's node public key (printed by `weft join`).
        public_key: PublicKey,
        /// Its name in the validator set.
        #[arg(long)]
        name: String,
        /// Its voting power.
        #[arg(long, default_value_t = 1)]
        power: u64,
    },
    /// Remove a validator: proposes the current set (read from the node) without this key.
    RemoveValidator {
        /// The validator's node public key.
        public_key: PublicKey,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Choice {
    Yes,
    No,
}

impl ModuleCall {
    /// The call; `validators` is the current validator set (for add/remove-validator).
    fn into_call(self, validators: Vec<GenesisValidator>) -> anyhow::Result<Call> {
        match self {
            ModuleCall::Governance(command) => Ok(governance::call(match command {
                GovernanceCommand::Noop => GovernanceCall::Noop,
                GovernanceCommand::SetConfig { key, value } => {
                    GovernanceCall::SetConfig { key, value }
                }
                GovernanceCommand::Propose(action) => GovernanceCall::Propose {
                    action: match action {
                        ProposeCommand::AddMember { address } => Action::AddMember(address),
                        ProposeCommand::RemoveMember { address } => Action::RemoveMember(address),
                        ProposeCommand::Grant {
                            account,
                            permission,
                        } => Action::Grant {
                            account,
                            permission,
                        },
                        ProposeCommand::Revoke {
                            account,
                            permission,
                        } => Action::Revoke {
                            account,
                            permission,
                        },
                        ProposeCommand::SetConfig { key, value } => {
                            Action::SetConfig { key, value }
                        }
                        ProposeCommand::AddValidator {
                            public_key,
                            name,
                            power,
                        } => {
                            if validators.iter().any(|v| v.public_key == public_key) {
                                bail!("{public_key} is already a validator");
                            }
                            let mut set = validators;
                            set.push(GenesisValidator {
                                name,
                                public_key,
                                power,
                            });
                            Action::SetValidators(set)
                        }
                        ProposeCommand::RemoveValidator { public_key } => {
                            let before = validators.len();
                            let set: Vec<GenesisValidator> = validators
                                .into_iter()
                                .filter(|v| v.public_key != public_key)
                                .collect();
                            if set.len() == before {
                                bail!("{public_key} is not a validator");
                            }
                            Action::SetValidators(set)
                        }
                    },
                },
                GovernanceCommand::Vote {
                    proposal_id,
                    choice,
                } => GovernanceCall::Vote {
                    proposal_id,
                    approve: matches!(choice, Choice::Yes),
                },
            })),
        }
    }

    /// Whether building the call needs the current validator set.
    fn needs_validators(&self) -> bool {
        matches!(
            self,
            ModuleCall::Governance(GovernanceCommand::Propose(
                ProposeCommand::AddValidator { .. } | ProposeCommand::RemoveValidator { .. }
            ))
        )
    }
}

/// The node's current validator set (JSON-RPC `getValidators`).
async fn current_validators(client: &RpcClient) -> anyhow::Result<Vec<GenesisValidator>> {
    let set = client
        .call("getValidators", json!([]))
        .await
        .context("asking the node for its validator set")?;
    let mut out = Vec::new();
    for v in set.as_array().context("getValidators: not an array")? {
        out.push(GenesisValidator {
            name: v["name"].as_str().unwrap_or_default().to_string(),
            public_key: v["publicKey"]
                .as_str()
                .context("getValidators: no publicKey")?
                .parse()
                .map_err(|e| anyhow::anyhow!("getValidators: bad publicKey: {e}"))?,
            power: v["power"].as_u64().context("getValidators: no power")?,
        });
    }
    Ok(out)
}

pub async fn send(args: SendArgs) -> anyhow::Result<()> {
    let key = super::key::load_signing_key(&args.key)?;
    let client = RpcClient::new(&args.rpc);
    let status = client
        .call("getSyncStatus", json!([]))
        .await
        .context("asking the node for its chain id")?;
    let chain_id = status
        .get("chainId")
        .and_then(Value::as_str)
        .context("node reported no chain id")?
        .to_string();
    let nonce = client
        .call("getNonce", json!([key.address()]))
        .await?
        .as_u64()
        .context("node reported a non-numeric nonce")?;
    let validators = if args.call.needs_validators() {
        current_validators(&client).await?
    } else {
        Vec::new()
    };
    let tx = Transaction {
        chain_id,
        sender: key.public_key(),
        nonce,
        call: args.call.into_call(validators)?,
    }
    .sign(&key);
    let raw = format!("0x{}", hex::encode(tx.encode()));
    if let Some(token) = &args.token {
        return send_via_rest(&args.rpc, token, &raw).await;
    }
    let hash = client
        .call("sendTransaction", json!([raw]))
        .await
        .context("submitting the transaction")?;
    println!(
        "submitted {} (sender {}, nonce {nonce})",
        display(&hash),
        key.address()
    );

    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    loop {
        let receipt = client.call("getTransactionReceipt", json!([hash])).await?;
        if !receipt.is_null() {
            println!("{}", serde_json::to_string_pretty(&receipt)?);
            let status = receipt.get("status").map(display).unwrap_or_default();
            if !status.eq_ignore_ascii_case("success") {
                bail!(
                    "transaction failed: {}",
                    crate::client::receipt_error(&receipt)
                );
            }
            return Ok(());
        }
        let status = client.call("getTransactionStatus", json!([hash])).await?;
        if status.get("status").and_then(Value::as_str) == Some("dropped") {
            bail!(
                "transaction dropped: {}",
                status.get("reason").map(display).unwrap_or_default()
            );
        }
        if Instant::now() > deadline {
            bail!("no receipt after {} s (status: {status})", args.timeout);
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Posts a locally signed transaction to the REST API, which waits for the receipt.
async fn send_via_rest(base: &str, token: &str, raw: &str) -> anyhow::Result<()> {
    let url = format!(
        "{}/api/v1/transactions/signed",
        base.trim_end_matches('/').trim_end_matches("/rpc")
    );
    let mut response = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .disable_redirects()
        .finish()
        .post(&url)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send_json(&json!({ "transaction": raw }))
        .await
        .map_err(|err| anyhow::anyhow!("request to {url} failed: {err}"))?;
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .limit(1 << 20)
        .await
        .context("the server answered non-JSON")?;
    println!("{}", serde_json::to_string_pretty(&body)?);
    if status >= 400 {
        bail!(
            "server answered {status} {}: {}",
            body.get("code").map(display).unwrap_or_default(),
            body.get("detail").map(display).unwrap_or_default()
        );
    }
    if body.get("status").and_then(Value::as_str) != Some("success") {
        bail!(
            "transaction failed: {}",
            body.get("error").map(display).unwrap_or_default()
        );
    }
    Ok(())
}

fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

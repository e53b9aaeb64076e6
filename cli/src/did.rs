//! `weft did|issuer|cpt ...`: DIDs, authority issuers and CPTs from the command line.
//!
//! Writes are signed locally with a key file and submitted over JSON-RPC (`sendTransaction`),
//! then the receipt is awaited; reads use the node's resolver (`/1.0/identifiers/{did}`) and
//! public REST reads (`/api/v1/issuers`, `/api/v1/cpts/{id}`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use weft_chain::governance::{self, permissions, Action, GovernanceCall};
use weft_chain::{Address, Call, Keypair, PublicKey, Transaction};
use weft_did::cpt::CptCall;
use weft_did::issuer::IssuerCall;
use weft_did::registry::DidCall;
use weft_did::{multikey, Did, Relationships, UpdateOp};

use super::DEFAULT_RPC;
use crate::client::RpcClient;

/// Where the node is and who signs.
#[derive(Debug, Args)]
pub struct Signer {
    /// The signer's key file (encrypted by `weft key new`, or a plain hex seed).
    #[arg(long)]
    key: PathBuf,
    /// Node URL.
    #[arg(long, env = "WEFT_RPC", default_value = DEFAULT_RPC)]
    rpc: String,
    /// How long to wait for the receipt, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// `weft did ...`.
#[derive(Debug, Subcommand)]
pub enum DidCommand {
    /// Create the DID of the key file's key (signed by that key).
    Create {
        #[command(flatten)]
        signer: Signer,
    },
    /// Resolve a DID (did:weft through the node, did:key locally).
    Resolve {
        /// The DID.
        did: String,
        /// A version id.
        #[arg(long)]
        version_id: Option<u32>,
        /// A time (RFC 3339): the version valid then.
        #[arg(long)]
        version_time: Option<String>,
        /// Print only the document.
        #[arg(long)]
        document: bool,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = DEFAULT_RPC)]
        rpc: String,
    },
    /// Add a key to a DID document.
    AddKey {
        #[command(flatten)]
        signer: Signer,
        /// The DID (default: the signer's own).
        #[arg(long)]
        did: Option<String>,
        /// The new key: 0x + 64 hex, or a multikey (z6Mk...).
        #[arg(long)]
        public_key: String,
        /// Relationships (comma-separated): authentication, assertionMethod, capabilityInvocation.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "authentication,assertionMethod"
        )]
        relationships: Vec<String>,
    },
    /// Replace a key (same relationships, new fragment).
    RotateKey {
        #[command(flatten)]
        signer: Signer,
        /// The DID (default: the signer's own).
        #[arg(long)]
        did: Option<String>,
        /// Fragment of the key to replace (e.g. key-1).
        #[arg(long)]
        fragment: String,
        /// The new key: 0x + 64 hex, or a multikey.
        #[arg(long)]
        public_key: String,
    },
    /// Deactivate a DID (permanent).
    Deactivate {
        #[command(flatten)]
        signer: Signer,
        /// The DID (default: the signer's own).
        #[arg(long)]
        did: Option<String>,
    },
}

/// `weft issuer ...`.
#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Apply to be an authority issuer (the signer's DID applies).
    Apply {
        #[command(flatten)]
        signer: Signer,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Propose (as a committee member) to recognise an applicant, or with --revoke to
    /// de-recognise it.
    Recognise {
        #[command(flatten)]
        signer: Signer,
        /// The applicant's DID.
        did: String,
        /// De-recognise instead.
        #[arg(long)]
        revoke: bool,
    },
    /// List applicants and their standing.
    List {
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = DEFAULT_RPC)]
        rpc: String,
    },
}

/// `weft cpt ...`.
#[derive(Debug, Subcommand)]
pub enum CptCommand {
    /// Register a CPT (or a new version of one you published).
    Register {
        #[command(flatten)]
        signer: Signer,
        /// The JSON Schema file (draft 2020-12).
        #[arg(long)]
        schema: PathBuf,
        /// The id (default: next free id from 2,000,000).
        #[arg(long)]
        id: Option<u64>,
    },
    /// Show a CPT.
    Show {
        /// The id.
        id: u64,
        /// A version (default: latest).
        #[arg(long)]
        version: Option<u32>,
        /// Node URL.
        #[arg(long, env = "WEFT_RPC", default_value = DEFAULT_RPC)]
        rpc: String,
    },
}

fn base(rpc: &str) -> String {
    rpc.trim_end_matches('/')
        .trim_end_matches("/rpc")
        .to_string()
}

async fn get_json(url: &str, accept: &str) -> anyhow::Result<(u16, Value)> {
    let mut response = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish()
        .get(url)
        .insert_header(("Accept", accept))
        .send()
        .await
        .map_err(|err| anyhow::anyhow!("request to {url} failed: {err}"))?;
    let status = response.status().as_u16();
    // Resolution results come as `application/did-resolution` or `application/did`, which awc's
    // `json()` refuses: parse the bytes whatever the JSON media type.
    let bytes = response
        .body()
        .limit(16 << 20)
        .await
        .map_err(|err| anyhow::anyhow!("reading the answer of {url}: {err}"))?;
    let body: Value = serde_json::from_slice(&bytes).context("the server answered non-JSON")?;
    Ok((status, body))
}

async fn chain_id(client: &RpcClient) -> anyhow::Result<String> {
    let status = client
        .call("getSyncStatus", json!([]))
        .await
        .context("asking the node for its chain id")?;
    Ok(status
        .get("chainId")
        .and_then(Value::as_str)
        .context("node reported no chain id")?
        .to_string())
}

/// Signs `call`, submits it, waits for the receipt and fails unless it succeeded.
async fn submit(signer: &Signer, key: &Keypair, call: Call) -> anyhow::Result<Value> {
    let client = RpcClient::new(&signer.rpc);
    let chain_id = chain_id(&client).await?;
    let nonce = client
        .call("getNonce", json!([key.address()]))
        .await?
        .as_u64()
        .context("node reported a non-numeric nonce")?;
    let tx = Transaction {
        chain_id,
        sender: key.public_key(),
        nonce,
        call,
    }
    .sign(key);
    let hash = client
        .call(
            "sendTransaction",
            json!([format!("0x{}", hex::encode(tx.encode()))]),
        )
        .await
        .context("submitting the transaction")?;
    let deadline = Instant::now() + Duration::from_secs(signer.timeout);
    loop {
        let receipt = client.call("getTransactionReceipt", json!([hash])).await?;
        if !receipt.is_null() {
            let ok = receipt
                .get("status")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("success"));
            if !ok {
                bail!(
                    "transaction {hash} failed: {}",
                    crate::client::receipt_error(&receipt)
                );
            }
            return Ok(receipt);
        }
        if Instant::now() > deadline {
            bail!("no receipt for {hash} after {} s", signer.timeout);
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

fn parse_key(text: &str) -> anyhow::Result<PublicKey> {
    if text.starts_with('z') {
        return Ok(multikey::decode(text)?);
    }
    let key: PublicKey = text
        .parse()
        .map_err(|e| anyhow::anyhow!("public key {text:?}: {e}"))?;
    if key.to_verifying_key().is_none() {
        bail!("{text} is not a valid Ed25519 key");
    }
    Ok(key)
}

/// The address of `did` (must be a did:weft of this chain), or the signer's own.
async fn target(signer: &Signer, key: &Keypair, did: Option<&str>) -> anyhow::Result<Address> {
    let Some(did) = did else {
        return Ok(key.address());
    };
    let client = RpcClient::new(&signer.rpc);
    match Did::parse(did)? {
        Did::Weft {
            chain_id: c,
            address,
        } => {
            let ours = chain_id(&client).await?;
            if c != ours {
                bail!("{did} belongs to chain {c:?}, the node serves {ours:?}");
            }
            Ok(address)
        }
        Did::Key(_) => bail!("a did:key cannot be changed on chain"),
    }
}

async fn print_did(signer: &Signer, address: Address) -> anyhow::Result<()> {
    let client = RpcClient::new(&signer.rpc);
    let did = Did::weft(&chain_id(&client).await?, address);
    let (_, body) = get_json(
        &format!("{}/1.0/identifiers/{did}", base(&signer.rpc)),
        "application/did-resolution",
    )
    .await?;
    println!("{}", serde_json::to_string_pretty(&body)?);
    Ok(())
}

async fn update(signer: Signer, did: Option<String>, op: UpdateOp) -> anyhow::Result<()> {
    let key = super::key::load_signing_key(&signer.key)?;
    let address = target(&signer, &key, did.as_deref()).await?;
    submit(
        &signer,
        &key,
        DidCall::Update {
            did: address,
            ops: vec![op],
        }
        .call(),
    )
    .await?;
    print_did(&signer, address).await
}

/// Runs `weft did ...`.
pub async fn run_did(command: DidCommand) -> anyhow::Result<()> {
    match command {
        DidCommand::Create { signer } => {
            let key = super::key::load_signing_key(&signer.key)?;
            let call = DidCall::Create {
                public_key: key.public_key(),
                services: vec![],
            }
            .call();
            submit(&signer, &key, call).await?;
            print_did(&signer, key.address()).await
        }
        DidCommand::Resolve {
            did,
            version_id,
            version_time,
            document,
            rpc,
        } => {
            let mut url = format!("{}/1.0/identifiers/{did}", base(&rpc));
            match (version_id, version_time) {
                (Some(v), None) => url.push_str(&format!("?versionId={v}")),
                (None, Some(t)) => url.push_str(&format!("?versionTime={t}")),
                (None, None) => {}
                (Some(_), Some(_)) => bail!("give --version-id or --version-time, not both"),
            }
            let (status, body) = get_json(&url, "application/did-resolution").await?;
            let shown = if document {
                &body["didDocument"]
            } else {
                &body
            };
            println!("{}", serde_json::to_string_pretty(shown)?);
            if status >= 400 && status != 410 {
                bail!(
                    "resolution failed ({status}): {}",
                    body["didResolutionMetadata"]["error"]
                        .as_str()
                        .unwrap_or("error")
                );
            }
            Ok(())
        }
        DidCommand::AddKey {
            signer,
            did,
            public_key,
            relationships,
        } => {
            let relationships =
                Relationships::from_names(&relationships).map_err(anyhow::Error::msg)?;
            let op = UpdateOp::AddKey {
                public_key: parse_key(&public_key)?,
                relationships,
            };
            update(signer, did, op).await
        }
        DidCommand::RotateKey {
            signer,
            did,
            fragment,
            public_key,
        } => {
            let op = UpdateOp::RotateKey {
                fragment,
                public_key: parse_key(&public_key)?,
            };
            update(signer, did, op).await
        }
        DidCommand::Deactivate { signer, did } => {
            let key = super::key::load_signing_key(&signer.key)?;
            let address = target(&signer, &key, did.as_deref()).await?;
            submit(&signer, &key, DidCall::Deactivate { did: address }.call()).await?;
            print_did(&signer, address).await
        }
    }
}

/// Runs `weft issuer ...`.
pub async fn run_issuer(command: IssuerCommand) -> anyhow::Result<()> {
    match command {
        IssuerCommand::Apply {
            signer,
            name,
            description,
        } => {
            let key = super::key::load_signing_key(&signer.key)?;
            submit(
                &signer,
                &key,
                IssuerCall::Apply { name, description }.call(),
            )
            .await?;
            let did = Did::weft(
                &chain_id(&RpcClient::new(&signer.rpc)).await?,
                key.address(),
            );
            let (_, body) = get_json(
                &format!("{}/api/v1/issuers/{did}", base(&signer.rpc)),
                "application/json",
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&body)?);
            Ok(())
        }
        IssuerCommand::Recognise {
            signer,
            did,
            revoke,
        } => {
            let key = super::key::load_signing_key(&signer.key)?;
            let account = target(&signer, &key, Some(&did)).await?;
            let permission = permissions::AUTHORITY_ISSUER.to_string();
            let action = if revoke {
                Action::Revoke {
                    account,
                    permission,
                }
            } else {
                Action::Grant {
                    account,
                    permission,
                }
            };
            let receipt = submit(
                &signer,
                &key,
                governance::call(GovernanceCall::Propose { action }),
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&receipt["events"])?);
            Ok(())
        }
        IssuerCommand::List { rpc } => {
            let (status, body) = get_json(
                &format!("{}/api/v1/issuers?limit=1000", base(&rpc)),
                "application/json",
            )
            .await?;
            if status >= 400 {
                bail!("server answered {status}: {body}");
            }
            for i in body["issuers"].as_array().into_iter().flatten() {
                println!(
                    "{}  {}  {}",
                    i["did"].as_str().unwrap_or(""),
                    if i["recognised"] == true {
                        "recognised"
                    } else {
                        "applied   "
                    },
                    i["name"].as_str().unwrap_or("")
                );
            }
            Ok(())
        }
    }
}

/// Runs `weft cpt ...`.
pub async fn run_cpt(command: CptCommand) -> anyhow::Result<()> {
    match command {
        CptCommand::Register { signer, schema, id } => {
            let key = super::key::load_signing_key(&signer.key)?;
            let text = std::fs::read_to_string(&schema)
                .with_context(|| format!("reading {}", schema.display()))?;
            weft_did::cpt::validate_schema(&text)?;
            let receipt =
                submit(&signer, &key, CptCall::Register { id, schema: text }.call()).await?;
            println!("{}", serde_json::to_string_pretty(&receipt["events"])?);
            Ok(())
        }
        CptCommand::Show { id, version, rpc } => {
            let mut url = format!("{}/api/v1/cpts/{id}", base(&rpc));
            if let Some(v) = version {
                url.push_str(&format!("?version={v}"));
            }
            let (status, body) = get_json(&url, "application/json").await?;
            println!("{}", serde_json::to_string_pretty(&body)?);
            if status >= 400 {
                bail!("server answered {status}");
            }
            Ok(())
        }
    }
}

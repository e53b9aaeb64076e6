//! `weft token create|list|revoke`: manage API tokens through a running server's REST API with an
//! admin token (so it works while the server runs, against SQLite or PostgreSQL alike).
//!
//! Recovery: `weft token create --admin [--data-dir D] [--database-url U] [--master-key-file F]`
//! needs no server and no token: it opens the node's store and master key directly (as `weft up`
//! does, `weft_service::platform::recovery_admin_token`) and creates an admin token of the
//! operator tenant. Whoever can read the data directory's database and the master key can do
//! this; nobody else can.

use std::path::PathBuf;

use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::DEFAULT_RPC;

/// Server and credentials.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Server URL.
    #[arg(long, env = "WEFT_API", default_value = DEFAULT_RPC)]
    api: String,
    /// An admin token (printed once by `weft up` on first start).
    #[arg(long, env = "WEFT_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// Where the node's store and master key are (`weft token create --admin`).
#[derive(Debug, Args)]
pub struct RecoveryArgs {
    /// Data directory of the node (its `api.db` is the default store).
    #[arg(long, env = "WEFT_DATA_DIR", default_value = super::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Off-chain database: `postgres://...` or `sqlite://...` (default: `<data-dir>/api.db`).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// File holding the master secret (else WEFT_MASTER_KEY, else ~/.config/weft/master.key).
    #[arg(long, env = "WEFT_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

/// `weft token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (printed once). With `--admin`: recovery of a lost operator admin token,
    /// directly in the node's store (needs the data directory and the master key, no server).
    Create {
        #[command(flatten)]
        api: ApiArgs,
        /// Tenant (default: the admin token's own).
        #[arg(long)]
        tenant: Option<String>,
        /// Role (repeatable): admin, issuer, verifier, partner, organiser, holder.
        #[arg(long = "role", required_unless_present = "admin")]
        roles: Vec<String>,
        /// Label.
        #[arg(long, default_value = "")]
        label: String,
        /// Recovery: create an admin token of the operator tenant in the node's store directly.
        #[arg(long, conflicts_with_all = ["tenant", "roles"])]
        admin: bool,
        #[command(flatten)]
        recovery: RecoveryArgs,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        api: ApiArgs,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a token by id (effective immediately).
    Revoke {
        #[command(flatten)]
        api: ApiArgs,
        /// Token id (`tok_...`).
        token_id: String,
    },
}

async fn request(
    api: &ApiArgs,
    method: awc::http::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .disable_redirects()
        .finish();
    let url = format!("{}{path}", api.api.trim_end_matches('/'));
    let Some(token) = &api.token else {
        bail!("an admin token is required (--token or WEFT_TOKEN)");
    };
    let request = client
        .request(method, &url)
        .insert_header(("Authorization", format!("Bearer {token}")));
    let mut response = match body {
        Some(body) => request.send_json(&body).await,
        None => request.send().await,
    }
    .map_err(|err| anyhow::anyhow!("request to {url} failed: {err}"))?;
    let status = response.status().as_u16();
    let bytes = response
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .context("reading the response")?;
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).context("the server answered non-JSON")?
    };
    if status >= 400 {
        let detail = value.get("detail").and_then(Value::as_str).unwrap_or("");
        let code = value.get("code").and_then(Value::as_str).unwrap_or("");
        bail!("server answered {status} {code}: {detail}");
    }
    Ok((status, value))
}

pub async fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            admin: true,
            recovery,
            label,
            ..
        } => {
            let created = recover_admin(&recovery, &label).await?;
            println!("token id: {}", created.record.token_id);
            println!("tenant:   {}", created.record.tenant);
            println!("roles:    {}", created.record.roles.join(","));
            println!("token:    {}", created.token.as_str());
            println!("(the token is shown only now; store it safely)");
        }
        TokenCommand::Create {
            api,
            tenant,
            roles,
            label,
            ..
        } => {
            let (_, created) = request(
                &api,
                awc::http::Method::POST,
                "/api/v1/tokens",
                Some(json!({ "tenant": tenant, "roles": roles, "label": label })),
            )
            .await?;
            println!("token id: {}", text(&created["token_id"]));
            println!("tenant:   {}", text(&created["tenant"]));
            println!("roles:    {}", list(&created["roles"]));
            println!("token:    {}", text(&created["token"]));
            println!("(the token is shown only now; store it safely)");
        }
        TokenCommand::List { api, tenant } => {
            let path = match tenant {
                Some(t) => format!("/api/v1/tokens?tenant={t}"),
                None => "/api/v1/tokens".to_string(),
            };
            let (_, tokens) = request(&api, awc::http::Method::GET, &path, None).await?;
            println!(
                "{:<22} {:<16} {:<8} {:<28} label",
                "token id", "tenant", "state", "roles"
            );
            for t in tokens.as_array().into_iter().flatten() {
                let state = if t.get("revoked_ms").is_some_and(|v| !v.is_null()) {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<22} {:<16} {:<8} {:<28} {}",
                    text(&t["token_id"]),
                    text(&t["tenant"]),
                    state,
                    list(&t["roles"]),
                    text(&t["label"])
                );
            }
        }
        TokenCommand::Revoke { api, token_id } => {
            request(
                &api,
                awc::http::Method::DELETE,
                &format!("/api/v1/tokens/{token_id}"),
                None,
            )
            .await?;
            println!("revoked {token_id}");
        }
    }
    Ok(())
}

/// `weft token create --admin`: an admin token of the operator tenant, made in the store of
/// `args.data_dir` (or `args.database_url`) under the master key (see the module docs).
pub async fn recover_admin(
    args: &RecoveryArgs,
    label: &str,
) -> anyhow::Result<weft_service::auth::NewToken> {
    use weft_service::platform::{self, MasterKeyOrigin};
    if let Some(file) = &args.master_key_file {
        if !file.exists() {
            bail!("no master key file at {}", file.display());
        }
    }
    let (master, origin) = platform::master_key(args.master_key_file.as_deref(), &args.data_dir)?;
    if let MasterKeyOrigin::File {
        path,
        created: true,
        ..
    } = &origin
    {
        // A fresh key cannot open this node's keys: do not leave it behind.
        let _ = std::fs::remove_file(path);
        bail!("no master key found (looked at {})", path.display());
    }
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            let db = args.data_dir.join("api.db");
            if !db.exists() {
                bail!(
                    "{} does not exist: is {} the node's data directory?",
                    db.display(),
                    args.data_dir.display()
                );
            }
            platform::default_database_url(&args.data_dir)
        }
    };
    let label = if label.is_empty() {
        "recovery admin"
    } else {
        label
    };
    Ok(platform::recovery_admin_token(&url, &master, label).await?)
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn list(value: &Value) -> String {
    value
        .as_array()
        .map(|a| a.iter().map(text).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

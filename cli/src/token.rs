//! `weft token create|list|revoke`: manage API tokens through a running server's REST API with an
//! admin token (so it works while the server runs, against SQLite or PostgreSQL alike).

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
    token: String,
}

/// `weft token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (printed once).
    Create {
        #[command(flatten)]
        api: ApiArgs,
        /// Tenant (default: the admin token's own).
        #[arg(long)]
        tenant: Option<String>,
        /// Role (repeatable): admin, issuer, verifier, partner, organiser, holder.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Label.
        #[arg(long, default_value = "")]
        label: String,
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
    let request = client
        .request(method, &url)
        .insert_header(("Authorization", format!("Bearer {}", api.token)));
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
            api,
            tenant,
            roles,
            label,
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

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn list(value: &Value) -> String {
    value
        .as_array()
        .map(|a| a.iter().map(text).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

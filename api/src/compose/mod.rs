//! Node composition for the `weft` binary: `weft up` (one validator) and `weft node` (one node
//! of a BFT network) open the ledger, start consensus, build the service context and serve the
//! HTTP interface (JSON-RPC, WebSocket, REST, web UI) over it.

mod node;
mod up;

/// Runs `weft up` and `weft node` for [`weft_cli::run`].
#[derive(Debug)]
pub struct Runner;

impl weft_cli::NodeRunner for Runner {
    fn up(&self, args: weft_cli::UpArgs) -> anyhow::Result<()> {
        up::run(args)
    }

    fn node(&self, args: weft_cli::NodeArgs) -> anyhow::Result<()> {
        node::run(args)
    }
}

use std::net::SocketAddr;

use weft_service::platform::MasterKeyOrigin;
use weft_service::store::Backend;

/// The node's public URL: `given`, else (if `from_env`) `WEFT_PUBLIC_URL`, else
/// `http://<addr>`. Must be an absolute `http(s)` URL; a loopback host is allowed (local
/// networks) with a warning.
pub(crate) fn public_url(
    given: Option<&str>,
    from_env: bool,
    addr: SocketAddr,
) -> anyhow::Result<String> {
    let env = from_env
        .then(|| std::env::var("WEFT_PUBLIC_URL").ok())
        .flatten()
        .filter(|s| !s.is_empty());
    let url = given
        .map(str::to_string)
        .or(env)
        .unwrap_or_else(|| format!("http://{addr}"));
    let url = url.trim_end_matches('/').to_string();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            anyhow::anyhow!("--public-url {url:?} must start with http:// or https://")
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    anyhow::ensure!(!host.is_empty(), "--public-url {url:?} has no host");
    let bare = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    if bare == "localhost"
        || bare
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    {
        tracing::warn!(
            %url,
            "the public URL is a loopback address: wallets and other organisations on other \
             machines cannot reach it (pass --public-url)"
        );
    }
    Ok(url)
}

/// The banner line naming the off-chain store (never the PostgreSQL URL: it may hold a password).
pub(crate) fn database_line(backend: Backend, database_url: &str) -> String {
    format!(
        "  database:   {}",
        match backend {
            Backend::Sqlite => format!("sqlite ({database_url})"),
            Backend::Postgres => "postgres (from --database-url / DATABASE_URL)".into(),
        }
    )
}

/// The banner line naming where the master key came from.
pub(crate) fn master_key_line(origin: &MasterKeyOrigin) -> String {
    format!(
        "  master key: {}",
        match origin {
            MasterKeyOrigin::Env => "from WEFT_MASTER_KEY".into(),
            MasterKeyOrigin::File {
                path,
                created,
                default,
            } => format!(
                "{}{}{}",
                path.display(),
                if *default { " (per-user default)" } else { "" },
                if *created {
                    " (created now; back it up: custodied keys cannot be opened without it)"
                } else {
                    ""
                }
            ),
        }
    )
}

//! One harness to start a whole platform node in-process — ledger, single validator, service
//! context, HTTP (JSON-RPC, WebSocket, REST, UI) on a free port — for integration tests and
//! demos, and a small HTTP client for its REST API.
//!
//! ```ignore
//! let p = Platform::start(PlatformOptions::default()).await?;
//! let reply = p.post("/api/v1/dids", Some(&p.admin_token), json!({"key_id": "k1"})).await;
//! ```

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use serde_json::Value;
use tokio::sync::oneshot;
use weft_chain::{Genesis, Keypair, Node, SingleValidator, SingleValidatorHandle};
use weft_service::node_home::{read_key_file, NodeHome};
use weft_service::store::sqlite_url;

use crate::rest::{self, ApiConfig, ApiState};
use crate::rpc::RpcLimits;
use crate::server::{serve, AppBuilder, ServeOptions};
use crate::ws::WsConfig;

/// How to start a [`Platform`].
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    /// REST settings.
    pub api: ApiConfig,
    /// HTTP worker threads.
    pub workers: usize,
    /// Serve the web UI too.
    pub ui: bool,
    /// Off-chain database URL (default: SQLite in the platform's temporary directory).
    pub database_url: Option<String>,
}

impl Default for PlatformOptions {
    fn default() -> Self {
        PlatformOptions {
            api: ApiConfig::default(),
            workers: 2,
            ui: false,
            database_url: None,
        }
    }
}

/// Why a platform did not start.
#[derive(Debug, thiserror::Error)]
pub enum PlatformStartError {
    /// Laying out the data directory or reading its keys failed.
    #[error("data directory: {0}")]
    Home(#[from] weft_service::node_home::HomeError),
    /// The node did not open.
    #[error("node: {0}")]
    Node(String),
    /// The service layer did not start.
    #[error("platform: {0}")]
    Platform(#[from] weft_service::platform::PlatformError),
    /// The master key could not be made.
    #[error("master key: {0}")]
    MasterKey(#[from] weft_service::keystore::KeystoreError),
    /// Binding the HTTP listener failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

/// A running platform node on a temporary directory; stopped when dropped.
pub struct Platform {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The bootstrap admin token of the operator tenant.
    pub admin_token: String,
    /// The genesis (chain id, committee).
    pub genesis: Genesis,
    /// The operator's key (the genesis committee member; custodied as `admin`).
    pub operator: Keypair,
    /// The node.
    pub node: Arc<Node>,
    /// The REST state.
    pub state: web::Data<ApiState>,
    http: awc::Client,
    stop: Option<oneshot::Sender<()>>,
    validator: Option<SingleValidatorHandle>,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(v) = self.validator.take() {
            v.shutdown();
        }
    }
}

impl Platform {
    /// Starts a single-validator platform node (must run inside an actix system).
    pub async fn start(options: PlatformOptions) -> Result<Platform, PlatformStartError> {
        let dir = tempfile::tempdir()?;
        let home = NodeHome::new(dir.path().join("data"));
        let contents = home.init_or_load()?;
        let operator = read_key_file(&home.admin_key_path())?;
        let node = Node::open(
            home.node_config(),
            contents.genesis.clone(),
            weft_service::modules::registry(),
        )
        .map_err(|e| PlatformStartError::Node(e.to_string()))?;
        let validator = SingleValidator::spawn(node.clone(), contents.validator);
        let master = weft_service::keystore::MasterKey::random()?;
        let db = options
            .database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&dir.path().join("api.db")));
        let (state, boot) =
            ApiState::start(node.clone(), &db, &master, &operator, options.api).await?;
        let admin_token = boot
            .admin_token
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let mut app = AppBuilder::new(node.clone())
            .with_node_interface(RpcLimits::default(), WsConfig::default());
        if options.ui {
            app = app.with_ui();
        }
        let served = state.clone();
        let app = app.group(move |cfg| rest::configure(cfg, served.clone()));
        let serve_options = ServeOptions {
            workers: Some(options.workers),
            shutdown_timeout: Duration::from_secs(1),
        };
        actix_web::rt::spawn(serve(listener, app, serve_options, async move {
            let _ = stopped.await;
        }));
        Ok(Platform {
            base,
            admin_token,
            genesis: contents.genesis,
            operator,
            node,
            state,
            http: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
            stop: Some(stop),
            validator: Some(validator),
            dir,
        })
    }

    /// The platform's temporary directory (the node's data directory is `data/` below it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends `method path` with an optional bearer token and JSON body text.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let sent = match body {
            Some(body) => {
                request
                    .insert_header(("Content-Type", "application/json"))
                    .send_body(body)
                    .await
            }
            None => request.send().await,
        };
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => {
                return Reply {
                    status: 0,
                    content_type: String::new(),
                    text: format!("request failed: {e}"),
                }
            }
        };
        let bytes = response.body().limit(32 << 20).await.unwrap_or_default();
        Reply {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// `GET path` without a token.
    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send("POST", path, token, Some(body.to_string())).await
    }

    /// A new token of `tenant` with `roles`, made with the admin token.
    pub async fn token(&self, tenant: &str, roles: &[&str]) -> String {
        self.post(
            "/api/v1/tokens",
            Some(&self.admin_token),
            serde_json::json!({"tenant": tenant, "roles": roles, "label": "testkit"}),
        )
        .await
        .ok(201)["token"]
            .as_str()
            .expect("a token")
            .to_string()
    }
}

/// An HTTP reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status (0 if the request failed).
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: String,
    /// The body.
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not: a test helper).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The JSON body, asserting the status.
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        self.json()
    }

    /// The problem document, asserting status, media type and code.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "{}",
            self.content_type
        );
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        p
    }
}

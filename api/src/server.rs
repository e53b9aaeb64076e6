//! The HTTP server: an [`AppBuilder`] of route groups, and [`serve`] on a bound listener.
//!
//! Route groups today: JSON-RPC (`POST /rpc`) and subscriptions (`GET /ws`). Later groups (REST
//! under `/api/v1`, auth, the web UI) register through [`AppBuilder::group`] the same way.
//! [`serve`] takes an already bound `std::net::TcpListener` and a shutdown future, so tests bind
//! port 0 and the binary decides what "shutdown" means (Ctrl-C, SIGTERM).

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, ResponseError};
use weft_chain::Node;

use crate::rpc::{self, RpcLimits};
use crate::ws::{self, WsConfig};

type Group = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// The application: shared state plus the route groups to mount.
#[derive(Clone)]
pub struct AppBuilder {
    node: Arc<Node>,
    groups: Vec<Group>,
    ui: bool,
}

impl std::fmt::Debug for AppBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppBuilder")
            .field("groups", &self.groups.len())
            .field("ui", &self.ui)
            .finish_non_exhaustive()
    }
}

impl AppBuilder {
    /// An application serving `node`, with no routes yet.
    pub fn new(node: Arc<Node>) -> Self {
        Self {
            node,
            groups: Vec::new(),
            ui: false,
        }
    }

    /// The node interface: `POST /rpc` and `GET /ws`.
    pub fn with_node_interface(self, limits: RpcLimits, ws: WsConfig) -> Self {
        self.group(move |cfg| rpc::routes(limits)(cfg))
            .group(move |cfg| ws::routes(ws)(cfg))
    }

    /// The web UI: pages at `/`, assets at `/assets/`; unknown pages get the UI's 404 page
    /// (see [`not_found`]).
    pub fn with_ui(mut self) -> Self {
        self.ui = true;
        self.group(crate::ui::routes)
    }

    /// Adds a route group.
    pub fn group(
        mut self,
        configure: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static,
    ) -> Self {
        self.groups.push(Arc::new(configure));
        self
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.node.clone()));
        for group in &self.groups {
            group(cfg);
        }
    }
}

/// Paths of machine-to-machine endpoints: an unknown path under these keeps actix-web's empty
/// 404, whatever else is mounted.
const MACHINE_PATHS: &[&str] = &["/rpc", "/ws", "/psi/peer", "/psi/oprf"];

/// The answer for a path no route matches (the application's default service):
///
/// - under `/api/`: the `not_found` problem document (`application/problem+json`), as inside the
///   `/api/v1` scope;
/// - `/rpc`, `/ws`, `/psi/peer`, `/psi/oprf` and anything under `/p2p/` or these: an empty 404, as
///   before (machines do not read HTML);
/// - anything else: the web UI's error page with status 404 when the UI is mounted, else an empty
///   404.
///
/// Only unmatched paths come here: a known resource asked with another method still answers 405
/// (turned into problem+json by [`crate::problem::method_not_allowed`]).
pub async fn not_found(req: HttpRequest, ui: bool) -> HttpResponse {
    let path = req.path();
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if under("/api") {
        return crate::problem::not_found(&req).error_response();
    }
    if !ui || under("/p2p") || MACHINE_PATHS.iter().any(|p| under(p)) {
        return HttpResponse::NotFound().finish();
    }
    crate::ui::not_found(path)
}

/// Server tuning.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// How long in-flight requests may run after shutdown is requested.
    pub shutdown_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            workers: None,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting connections and
/// waits for requests in flight. Must run inside an actix (tokio) runtime.
pub async fn serve(
    listener: TcpListener,
    app: AppBuilder,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut server = HttpServer::new(move || {
        let app = app.clone();
        let ui = app.ui;
        App::new()
            .wrap(actix_web::middleware::ErrorHandlers::new().handler(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                crate::problem::method_not_allowed,
            ))
            .configure(move |cfg| app.configure(cfg))
            .default_service(web::to(move |req: HttpRequest| not_found(req, ui)))
    })
    .disable_signals()
    .shutdown_timeout(options.shutdown_timeout.as_secs());
    if let Some(workers) = options.workers {
        server = server.workers(workers);
    }
    let server = server.listen(listener)?.run();
    let handle = server.handle();
    let mut server = std::pin::pin!(server);
    tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            // The server future itself processes the stop command: poll both.
            let ((), result) = tokio::join!(handle.stop(true), server);
            result
        }
    }
}

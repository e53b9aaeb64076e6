//! The REST API under `/api/v1`, its OpenAPI document and the operational endpoints.
//!
//! - [`configure`] registers everything on an actix service config: `/api/v1/...`,
//!   `/api/openapi.json`, Swagger UI at `/api/docs/`, `/healthz`, `/readyz`, `/metrics`.
//! - [`ApiState`] is the one shared state (node, store, keystore, chain client, limiters, metrics,
//!   the credential verifier and the one-time QR references).
//! - Handlers: [`chain`] (public chain reads), [`access`] (whoami, tokens, keys),
//!   [`transactions`] (custodial and client-signed submission), [`ops`] (health, metrics),
//!   [`did`] (DIDs, issuers, CPTs, DID resolution), [`polls`] (voting), [`psi`] (set intersection).
//!   Each capability module has `configure_v1` / `configure_root` and its own OpenAPI `Doc`.
//!
//! Request flow: metrics/IP-limit middleware → extractors ([`crate::auth::Principal`] for the
//! token and role, [`crate::problem::ApiJson`] for the body) → handler → store / keystore /
//! chain client → node. Every failure is an [`ApiError`] answered as problem+json.

pub mod access;
pub mod chain;
pub mod credentials;
pub mod did;
pub mod governance;
pub mod ops;
pub mod org;
pub mod polls;
pub mod psi;
pub mod qr;
pub mod transactions;

use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;
use weft_chain::Node;

use crate::metrics::{self, Metrics};
use crate::problem::{self, ApiError, BodyLimit};
use crate::rate_limit::{Limiters, RateLimits};
use weft_service::platform::{Bootstrap, PlatformError};
use weft_service::Context;

/// Tunables of the REST API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted JSON body, in bytes.
    pub max_body_bytes: usize,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// How long transaction endpoints wait for a receipt.
    pub receipt_timeout: Duration,
    /// The URL others reach this node at (see [`Context::public_url`]); `None` keeps the
    /// context's default.
    pub public_url: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_body_bytes: 256 * 1024,
            rate_limits: RateLimits::default(),
            receipt_timeout: Duration::from_secs(30),
            public_url: None,
        }
    }
}

/// Shared state of the REST API (registered as `web::Data<ApiState>`): the service
/// [`Context`] plus what only HTTP needs (rate limiters, metrics, settings, PSI peer sessions,
/// one-time QR references). It dereferences to the [`Context`], so handlers pass `&state` to
/// service functions.
#[derive(Debug)]
pub struct ApiState {
    /// The services.
    pub ctx: Arc<Context>,
    /// Rate limiters.
    pub limits: Limiters,
    /// Metrics registry.
    pub metrics: Metrics,
    /// Settings.
    pub config: ApiConfig,
    /// PSI sessions with partner servers (registered as its own app data by [`configure`]).
    pub psi: web::Data<psi::PsiService>,
    /// One-time QR references (`/qr/refs`, `/q/{token}`).
    pub qr_refs: qr::RefStore,
}

impl std::ops::Deref for ApiState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl ApiState {
    /// State over an existing service context.
    pub fn with_context(ctx: Arc<Context>, config: ApiConfig) -> Self {
        ApiState {
            qr_refs: qr::RefStore::new(ctx.store.clone()),
            ctx,
            limits: Limiters::new(config.rate_limits),
            metrics: Metrics::new(),
            config,
            psi: psi::PsiService::new(psi::PsiConfig::default()),
        }
    }

    /// Starts the platform side of a node ([`weft_service::platform::start`]) and builds the
    /// REST state over it.
    pub async fn start(
        node: Arc<Node>,
        database_url: &str,
        master: &weft_service::keystore::MasterKey,
        operator_key: &weft_chain::Keypair,
        config: ApiConfig,
    ) -> Result<(web::Data<ApiState>, Bootstrap), PlatformError> {
        let (ctx, boot) = weft_service::platform::start(
            node,
            database_url,
            master,
            operator_key,
            config.receipt_timeout,
        )
        .await?;
        let ctx = match &config.public_url {
            Some(url) => ctx.with_public_url(url),
            None => ctx,
        };
        Ok((
            web::Data::new(ApiState::with_context(Arc::new(ctx), config)),
            boot,
        ))
    }
}

/// The OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Weft platform API",
        description = "REST API of a Weft node. Errors are RFC 9457 application/problem+json \
                       with a stable `code` (see docs/api.md). Any /api route may also answer \
                       429 `rate_limited` (with Retry-After), and any body-taking route 413 \
                       `payload_too_large` or 415 `unsupported_media_type`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        chain::head,
        chain::blocks,
        chain::block,
        chain::transactions,
        chain::transaction,
        chain::validators,
        org::organisation,
        access::whoami,
        access::create_token,
        access::list_tokens,
        access::revoke_token,
        access::list_keys,
        access::create_key,
        transactions::send_custodial,
        transactions::send_signed,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "chain", description = "Public chain reads (no token)"),
        (name = "access", description = "Identity of the caller, tokens and custodied keys"),
        (name = "transactions", description = "Submitting transactions"),
        (name = "ops", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`weft_` + 64 hex digits)"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(did::Doc::openapi());
    doc.merge(governance::Doc::openapi());
    doc.merge(credentials::Doc::openapi());
    doc.merge(polls::Doc::openapi());
    doc.merge(psi::Doc::openapi());
    doc.merge(psi::oprf::Doc::openapi());
    doc.merge(qr::Doc::openapi());
    doc.merge(credentials::status::Doc::openapi());
    doc.merge(credentials::evidence::Doc::openapi());
    doc
}

/// A resource whose other methods answer 405 problem+json with an `Allow` header: actix-web's
/// own default service answers 405 with `Allow` (it knows the routes' methods), and the
/// application turns that into the problem document (`crate::problem::method_not_allowed`).
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path)
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(problem::not_found(&req))
}

/// Registers the REST API, OpenAPI, Swagger UI and the operational endpoints.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<ApiState>) {
    let limit = BodyLimit(state.config.max_body_bytes);
    let psi_service = state.psi.clone();
    cfg.app_data(state)
        .app_data(psi_service)
        .service(
            web::scope("/healthz")
                .wrap(from_fn(metrics::observe))
                .service(resource("").route(web::get().to(ops::healthz))),
        )
        .service(
            web::scope("/readyz")
                .wrap(from_fn(metrics::observe))
                .service(resource("").route(web::get().to(ops::readyz))),
        )
        .service(resource("/metrics").route(web::get().to(ops::metrics)))
        .service(web::resource("/api/docs").route(web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((actix_web::http::header::LOCATION, "/api/docs/"))
                .finish()
        })))
        .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi()))
        .service(
            web::scope("/api/v1")
                .wrap(from_fn(metrics::observe))
                .configure(|cfg| problem::extractor_config(cfg, limit))
                .service(resource("/chain/head").route(web::get().to(chain::head)))
                .service(resource("/chain/blocks").route(web::get().to(chain::blocks)))
                .service(resource("/chain/blocks/{height}").route(web::get().to(chain::block)))
                .service(resource("/chain/transactions").route(web::get().to(chain::transactions)))
                .service(
                    resource("/chain/transactions/{hash}").route(web::get().to(chain::transaction)),
                )
                .service(resource("/chain/validators").route(web::get().to(chain::validators)))
                .service(resource("/organisation").route(web::get().to(org::organisation)))
                .service(resource("/auth/whoami").route(web::get().to(access::whoami)))
                .service(
                    resource("/tokens")
                        .route(web::get().to(access::list_tokens))
                        .route(web::post().to(access::create_token)),
                )
                .service(
                    resource("/tokens/{token_id}").route(web::delete().to(access::revoke_token)),
                )
                .service(
                    resource("/keys")
                        .route(web::get().to(access::list_keys))
                        .route(web::post().to(access::create_key)),
                )
                .service(
                    resource("/transactions").route(web::post().to(transactions::send_custodial)),
                )
                .service(
                    resource("/transactions/signed")
                        .route(web::post().to(transactions::send_signed)),
                )
                .configure(did::configure_v1)
                .configure(governance::configure_v1)
                .configure(credentials::configure_v1)
                .configure(polls::configure_v1)
                .configure(psi::configure_v1)
                .configure(qr::configure_v1)
                .configure(credentials::status::configure_v1)
                .configure(credentials::evidence::configure_v1)
                .default_service(web::to(api_not_found)),
        )
        .configure(did::configure_root)
        .configure(credentials::configure_root)
        .configure(|cfg| credentials::status::configure_root(cfg, limit))
        .configure(psi::configure_root)
        .configure(qr::configure_root);
}

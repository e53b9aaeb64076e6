//! The web UI: server-rendered pages over the node, and two static assets.
//!
//! - [`layout`]: the page shell (navigation, sign-in status), shared widgets and the error page.
//! - [`explorer`]: Chain — latest blocks (live over `/ws`), a block, a transaction, validators,
//!   search by height or hash.
//! - [`sections`]: sign-in, and the one-line summary of each section.
//! - [`identity`], [`credentials`] (issue, wallet, verify), [`psi`], [`voting`], [`governance`]: each
//!   capability's own pages (and page scripts).
//! - `assets/`: `weft.css` and `weft.js` (sign-in with a token, live block list), compiled into
//!   the binary, so the UI needs no front-end toolchain and no files beside the binary.
//!
//! Pages only read. Anything that writes goes through the REST API with the signed-in token,
//! which the browser keeps in `sessionStorage` and sends as a bearer header: the UI never holds
//! more authority than the person using it. Every page is sent with a strict Content Security
//! Policy (scripts and styles from this origin only, no inline script), and maud escapes every
//! value it renders.

mod credentials;
mod explorer;
mod governance;
mod identity;
mod layout;
mod psi;
mod sections;
mod voting;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

/// Content Security Policy of every UI response.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const CSS: &str = include_str!("assets/weft.css");
const JS: &str = include_str!("assets/weft.js");

/// Mounts the UI at `/` (pages) and `/assets/` (stylesheet and script).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(explorer::overview))
        .route("/chain", web::get().to(explorer::chain))
        .route("/chain/blocks/{height}", web::get().to(explorer::block))
        .route("/chain/tx/{hash}", web::get().to(explorer::transaction))
        .route("/chain/validators", web::get().to(explorer::validators))
        .route("/chain/search", web::get().to(explorer::search))
        .route("/signin", web::get().to(sections::signin))
        .configure(credentials::routes)
        .configure(identity::routes)
        .configure(psi::routes)
        .configure(voting::routes)
        .configure(governance::routes)
        .route(
            "/assets/weft.css",
            web::get().to(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/weft.js",
            web::get().to(|| async { asset("text/javascript; charset=utf-8", JS) }),
        );
}

/// The UI's 404 page for a path no route matches (used by the application's default service,
/// `crate::server::not_found`). The path is shown escaped.
pub(crate) fn not_found(path: &str) -> HttpResponse {
    layout::error_page(
        actix_web::http::StatusCode::NOT_FOUND,
        "Page not found",
        &format!("There is no page at {path}."),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// An HTML response with the UI's security headers.
fn html(status: actix_web::http::StatusCode, markup: maud::Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

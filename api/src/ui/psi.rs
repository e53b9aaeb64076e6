//! PSI pages: private set intersection sessions.
//!
//! Not implemented yet: the page says what it will hold. Page scripts go in their own asset
//! (`assets/psi.js`, served by [`routes`]), since the CSP forbids inline script.

use actix_web::{web, HttpResponse};

/// Mounts this section's pages (and assets).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/psi", web::get().to(index));
}

/// `GET /psi`.
async fn index() -> HttpResponse {
    super::sections::coming("/psi", "PSI")
}

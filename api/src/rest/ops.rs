//! Operational endpoints: liveness, readiness, Prometheus metrics.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiState;
use crate::problem::{ApiError, Problem};

/// Health report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Chain height (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Database backend (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
        height: None,
        database: None,
    })
}

/// The node and the database answer.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<ApiState>) -> Result<web::Json<Health>, ApiError> {
    state.store.ping().await.map_err(|err| {
        tracing::warn!(error = %err, "readiness: database unreachable");
        ApiError::Unavailable("database unreachable".into())
    })?;
    let node = state.node.clone();
    let height = web::block(move || node.sync_status().latest_height)
        .await
        .map_err(|_| ApiError::Unavailable("node unreachable".into()))?;
    Ok(web::Json(Health {
        status: "ok".into(),
        height: Some(height),
        database: Some(format!("{:?}", state.store.backend()).to_lowercase()),
    }))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Metrics", content_type = "text/plain", body = String)))]
pub async fn metrics(state: web::Data<ApiState>) -> HttpResponse {
    let status = state.node.sync_status();
    let text = state.metrics.render(
        status.latest_height,
        status.pool_size,
        state.store.pool_size(),
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

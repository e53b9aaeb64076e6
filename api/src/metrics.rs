//! Prometheus metrics (`GET /metrics`, text exposition format) and the request-logging middleware.
//!
//! Counted per request under `/api`, `/healthz`, `/readyz`: method, matched route pattern (never
//! the raw path, so ids do not explode the label space) and status; latency as a histogram.
//! Chain height, pool size and database connections are gauges read at scrape time.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::rest::ApiState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The metrics registry and the handles the server updates.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    height: Gauge<i64, std::sync::atomic::AtomicI64>,
    pool_size: Gauge<i64, std::sync::atomic::AtomicI64>,
    db_connections: Gauge<i64, std::sync::atomic::AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every Weft metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("weft");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let height = Gauge::default();
        let pool_size = Gauge::default();
        let db_connections = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
        registry.register("chain_height", "Committed chain height", height.clone());
        registry.register(
            "mempool_size",
            "Transactions in the pool",
            pool_size.clone(),
        );
        registry.register(
            "db_connections",
            "Open database connections",
            db_connections.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            height,
            pool_size,
            db_connections,
        }
    }

    /// Records one request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// The text exposition, after setting the gauges.
    pub fn render(&self, height: u64, pool_size: usize, db_connections: u32) -> String {
        self.height.set(i64::try_from(height).unwrap_or(i64::MAX));
        self.pool_size
            .set(i64::try_from(pool_size).unwrap_or(i64::MAX));
        self.db_connections.set(i64::from(db_connections));
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: rate-limits by client IP (under `/api`), records metrics and logs each request
/// (method, route pattern, status, latency — never headers, bodies or query strings).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<ApiState>>().cloned();
    let method = req.method().to_string();
    let started = Instant::now();
    if let Some(state) = &state {
        if req.path().starts_with("/api/") {
            let ip = req
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            if let Err(err) = state.limits.check_ip(&ip) {
                let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
                let response = req.error_response(err);
                state
                    .metrics
                    .observe(&method, &route, 429, started.elapsed().as_secs_f64());
                return Ok(response);
            }
        }
    }
    let response = next.call(req).await?.map_into_boxed_body();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        state
            .metrics
            .observe(&method, &route, status, elapsed.as_secs_f64());
    }
    tracing::debug!(
        %method,
        %route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_gauges() {
        let metrics = Metrics::new();
        metrics.observe("GET", "/api/v1/chain/head", 200, 0.002);
        let text = metrics.render(7, 3, 2);
        assert!(text.contains("weft_chain_height 7"), "{text}");
        assert!(text.contains("weft_mempool_size 3"), "{text}");
        assert!(
            text.contains("weft_http_requests_total{method=\"GET\",route=\"/api/v1/chain/head\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("weft_http_request_duration_seconds_bucket"));
    }
}

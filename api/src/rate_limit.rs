//! Token-bucket rate limits per client IP (every `/api` request) and per token (authenticated
//! requests). Exceeding either answers 429 problem+json with `Retry-After`.
//!
//! Buckets live in memory, keyed by IP or token id; the table is bounded (full buckets are
//! forgotten first), so a flood of distinct keys cannot exhaust memory.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::problem::ApiError;

/// A sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second refilled; 0 disables the limit.
    pub per_second: f64,
    /// Bucket capacity.
    pub burst: f64,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate {
        per_second: 0.0,
        burst: 0.0,
    };
}

/// Rate-limit settings of the REST API.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Per client IP.
    pub per_ip: Rate,
    /// Per token.
    pub per_token: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_ip: Rate {
                per_second: 200.0,
                burst: 400.0,
            },
            per_token: Rate {
                per_second: 50.0,
                burst: 100.0,
            },
        }
    }
}

const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// One family of buckets.
#[derive(Debug)]
pub struct Buckets {
    rate: Rate,
    table: Mutex<HashMap<String, Bucket>>,
}

impl Buckets {
    /// Buckets refilled at `rate`.
    pub fn new(rate: Rate) -> Buckets {
        Buckets {
            rate,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket at `now`; on refusal, how long until one is free.
    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.rate.per_second <= 0.0 {
            return Ok(());
        }
        let mut table = self.table.lock();
        if table.len() >= MAX_KEYS && !table.contains_key(key) {
            let (rate, burst) = (self.rate.per_second, self.rate.burst);
            table.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
            if table.len() >= MAX_KEYS {
                // Still full of active clients: refuse newcomers briefly rather than grow.
                return Err(Duration::from_secs(1));
            }
        }
        let bucket = table.entry(key.to_string()).or_insert(Bucket {
            tokens: self.rate.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate.per_second;
            Err(Duration::from_secs_f64(wait))
        }
    }
}

/// The REST API's limiters.
#[derive(Debug)]
pub struct Limiters {
    ip: Buckets,
    token: Buckets,
}

impl Limiters {
    /// Limiters with the given settings.
    pub fn new(limits: RateLimits) -> Limiters {
        Limiters {
            ip: Buckets::new(limits.per_ip),
            token: Buckets::new(limits.per_token),
        }
    }

    /// Counts a request from `ip`.
    pub fn check_ip(&self, ip: &str) -> Result<(), ApiError> {
        self.ip
            .check_at(ip, Instant::now())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })
    }

    /// Counts a request with token `token_id`.
    pub fn check_token(&self, token_id: &str) -> Result<(), ApiError> {
        self.token
            .check_at(token_id, Instant::now())
            .map_err(|retry_after| ApiError::RateLimited { retry_after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let buckets = Buckets::new(Rate {
            per_second: 2.0,
            burst: 3.0,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(buckets.check_at("a", t0).is_ok());
        }
        let wait = buckets.check_at("a", t0).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500));
        // Another key has its own bucket.
        assert!(buckets.check_at("b", t0).is_ok());
        // Half a second refills one request.
        assert!(buckets
            .check_at("a", t0 + Duration::from_millis(500))
            .is_ok());
        assert!(buckets
            .check_at("a", t0 + Duration::from_millis(500))
            .is_err());
    }

    #[test]
    fn zero_rate_is_unlimited() {
        let buckets = Buckets::new(Rate::UNLIMITED);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(buckets.check_at("a", t0).is_ok());
        }
    }
}

//! Token-bucket rate limits: per OAuth2 client (`limits.client_rps`, `client_burst`) for
//! authenticated requests, per client IP (`limits.ip_rps`, `ip_burst`) for the rest. Over
//! the limit: 429 `rate_limited` with `Retry-After`, counted in
//! `proof_rate_limited_total{kind}`. The buckets live in memory per replica, so the
//! service-wide rate is up to replicas × the configured rate.

use crate::auth::Principal;
use crate::error::ApiError;
use crate::metrics::Metrics;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets for one kind of key.
pub struct Limiter {
    rps: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Most keys tracked; beyond that, buckets that have refilled completely are dropped.
const MAX_KEYS: usize = 100_000;

impl Limiter {
    /// `None` when `rps` is 0 (no limit).
    #[must_use]
    pub fn new(rps: f64, burst: u32) -> Option<Self> {
        (rps > 0.0).then(|| Self {
            rps,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes one token for `key`; `Err(seconds)` says when the next one is due.
    ///
    /// # Errors
    /// Seconds until a request from `key` would pass.
    pub fn take(&self, key: &str) -> Result<(), f64> {
        let now = Instant::now();
        let mut m = match self.buckets.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if m.len() >= MAX_KEYS && !m.contains_key(key) {
            let (rps, burst) = (self.rps, self.burst);
            m.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rps < burst);
        }
        let b = m.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rps).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - b.tokens) / self.rps)
        }
    }
}

/// Both limiters of a service.
pub struct RateLimits {
    /// Per authenticated client.
    pub client: Option<Limiter>,
    /// Per IP, for requests without an authenticated client.
    pub ip: Option<Limiter>,
}

impl RateLimits {
    /// Takes one request from its client's bucket (or its IP's, when no client is
    /// authenticated): `None` when it may go on, else the 429 problem response with
    /// `Retry-After` that refuses it, counted in `metrics`. Runs after
    /// [`crate::auth::authorize`], so the client is known.
    pub fn check(&self, metrics: &Metrics, req: &Request) -> Option<Response> {
        check(self, metrics, req)
    }
}

fn check(limits: &RateLimits, metrics: &Metrics, req: &Request) -> Option<Response> {
    if limits.client.is_none() && limits.ip.is_none() {
        // The default: no key to work out, nothing to count.
        return None;
    }
    let (limiter, kind, key) = match req.extensions().get::<Arc<Principal>>() {
        Some(p) => (limits.client.as_ref(), "client", p.client_id.clone()),
        None => (
            limits.ip.as_ref(),
            "ip",
            req.extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(String::new, |c| c.0.ip().to_string()),
        ),
    };
    // No limiter of this kind: nothing to count.
    limiter?.take(&key).err().map(|wait| {
        metrics.rate_limited(kind);
        let secs = wait.ceil().max(1.0) as u64;
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests from this {kind}; retry in {secs} s"),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    })
}

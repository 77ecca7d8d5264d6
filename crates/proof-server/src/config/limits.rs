//! The `limits` section: request sizes, time-outs, concurrency and rate limits.

use serde::Deserialize;

/// Request limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Deepest JSON nesting accepted in a request body.
    pub json_depth: usize,
    /// Longest a request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Most requests processed at once; more wait.
    pub concurrency: usize,
    /// Requests per second per OAuth2 client (token bucket refill); 0 = no limit.
    pub client_rps: f64,
    /// Requests a client may send at once before the rate applies.
    pub client_burst: u32,
    /// Requests per second per client IP for requests without an authenticated client
    /// (auth off, public routes); 0 = no limit.
    pub ip_rps: f64,
    /// Burst per IP.
    pub ip_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 1 << 20,
            json_depth: 64,
            request_timeout_ms: 10_000,
            concurrency: 256,
            client_rps: 0.0,
            client_burst: 20,
            ip_rps: 0.0,
            ip_burst: 20,
        }
    }
}

impl Limits {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        for (name, v) in [
            ("limits.body_bytes", self.body_bytes),
            ("limits.json_depth", self.json_depth),
            ("limits.concurrency", self.concurrency),
        ] {
            if v == 0 {
                p.push(format!("`{name}` must be greater than 0"));
            }
        }
        for (name, rps, burst) in [
            ("limits.client", self.client_rps, self.client_burst),
            ("limits.ip", self.ip_rps, self.ip_burst),
        ] {
            if !(rps >= 0.0 && rps.is_finite()) {
                p.push(format!(
                    "`{name}_rps` must be 0 (no limit) or a positive number"
                ));
            }
            if rps > 0.0 && burst == 0 {
                p.push(format!(
                    "`{name}_burst` must be at least 1 when `{name}_rps` is set"
                ));
            }
        }
        if self.request_timeout_ms == 0 {
            p.push("`limits.request_timeout_ms` must be greater than 0".into());
        }
    }
}

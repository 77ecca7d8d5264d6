//! The `limits` section: request sizes, time-outs, concurrency, connection caps and rate
//! limits.

use serde::Deserialize;

/// Request limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, in bytes (every route but `POST /lists`).
    pub body_bytes: usize,
    /// Largest body of `POST /lists` (a list file), in bytes.
    pub lists_body_bytes: usize,
    /// Deepest JSON nesting accepted in a request body.
    pub json_depth: usize,
    /// Longest a request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Longest a client may take to send a request body once its head has arrived, in
    /// milliseconds; slower clients get 408 `body_timeout` and the connection is closed.
    pub body_read_timeout_ms: u64,
    /// Longest a connection may take from its first byte of a request head to the end of
    /// that head, in milliseconds; then it is closed.
    pub header_read_timeout_ms: u64,
    /// Longest a connection may stay open without a request in progress and without a
    /// byte of a new one, in milliseconds (keep-alive and fresh connections alike).
    pub idle_timeout_ms: u64,
    /// Most open connections per listener; more are closed at once and counted. Lowered
    /// at startup to what the process's open-file limit allows.
    pub max_connections: usize,
    /// Most open connections per peer IP address, per listener.
    pub max_connections_per_peer: usize,
    /// Most requests processed at once; more wait. A request takes its slot only once
    /// its whole body has arrived.
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
            lists_body_bytes: 256 << 20,
            json_depth: 64,
            request_timeout_ms: 10_000,
            body_read_timeout_ms: 5_000,
            header_read_timeout_ms: 5_000,
            idle_timeout_ms: 60_000,
            max_connections: 4_096,
            max_connections_per_peer: 512,
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
            ("limits.lists_body_bytes", self.lists_body_bytes),
            ("limits.json_depth", self.json_depth),
            ("limits.concurrency", self.concurrency),
            ("limits.max_connections", self.max_connections),
            (
                "limits.max_connections_per_peer",
                self.max_connections_per_peer,
            ),
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
        for (name, v) in [
            ("limits.request_timeout_ms", self.request_timeout_ms),
            ("limits.body_read_timeout_ms", self.body_read_timeout_ms),
            ("limits.header_read_timeout_ms", self.header_read_timeout_ms),
            ("limits.idle_timeout_ms", self.idle_timeout_ms),
        ] {
            if v == 0 {
                p.push(format!("`{name}` must be greater than 0"));
            }
        }
        if self.body_read_timeout_ms > self.request_timeout_ms {
            p.push(
                "`limits.body_read_timeout_ms` must not exceed `limits.request_timeout_ms`".into(),
            );
        }
    }
}

//! Service metrics, one home for every name (dashboards and alerts depend on them; see
//! `docs/metrics.md`). One registry per application instance, no globals, so tests can run
//! servers side by side. Histograms are prometheus-client's cumulative histograms with
//! buckets from 10 µs to 10 s ([`DURATION_BUCKETS`]). Labels are bounded: routes are the
//! matched route templates, never raw paths; ids are never labels.

mod lists;
mod receipt_log;

pub use lists::{LIST_AGE, LIST_ENTRIES, LIST_MAX_AGE, LIST_UPDATES, ListLabel, ListMetrics};
pub use receipt_log::{LOG_APPEND_DURATION, LOG_APPEND_FAILURES, LOG_ENTRIES, LogMetrics};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Metric names (without the `_total` suffix prometheus-client adds to counters).
pub mod names {
    /// Counter `{route, method, status}`.
    pub const HTTP_REQUESTS: &str = "proof_http_requests";
    /// Histogram `{route}`.
    pub const HTTP_REQUEST_DURATION: &str = "proof_http_request_duration_seconds";
    /// Counter `{verdict}`.
    pub const VERIFY: &str = "proof_verify";
    /// Histogram.
    pub const VERIFY_DURATION: &str = "proof_verify_duration_seconds";
    /// Counter `{result}`.
    pub const COMPILE: &str = "proof_compile";
    /// Histogram.
    pub const COMPILE_DURATION: &str = "proof_compile_duration_seconds";
    /// Counter `{result}` (hit, miss).
    pub const CACHE_REQUESTS: &str = "proof_cache_requests";
    /// Gauge.
    pub const CACHE_ENTRIES: &str = "proof_cache_entries";
    /// Counter.
    pub const STORE_ERRORS: &str = "proof_store_errors";
    /// Counter: rules selected as active, summed over plans.
    pub const ADAPT_SELECTED_RULES: &str = "adapt_selected_rules";
    /// Counter `{selector}`.
    pub const ADAPT_PLANS: &str = "adapt_plans";
    /// Counter.
    pub const ADAPT_SELECTION_FAILURES: &str = "adapt_selection_failures";
    /// Histogram (1 µs to about 1 s).
    pub const ADAPT_SELECTION_LATENCY: &str = "adapt_selection_latency_seconds";
    /// Counter `{result}` (ok, error, timeout).
    pub const TLS_HANDSHAKES: &str = "proof_tls_handshakes";
    /// Counter `{result}` (ok, error).
    pub const TLS_RELOADS: &str = "proof_tls_reloads";
    /// Gauge `{cert}` (server, client_ca): notAfter as Unix seconds.
    pub const TLS_CERT_NOT_AFTER: &str = "proof_tls_cert_not_after_seconds";
    /// Counter `{result}` (ok, none, missing, untrusted, expired, revoked, san_denied,
    /// rejected).
    pub const TLS_CLIENT_AUTH: &str = "proof_tls_client_auth";
    /// Counter `{result}` (ok, invalid_token, insufficient_scope, unavailable).
    pub const AUTH_REQUESTS: &str = "proof_auth_requests";
    /// Counter `{result}` (ok, error, retry): JWKS fetch attempts.
    pub const JWKS_REFRESH: &str = "proof_jwks_refresh";
    /// Gauge: keys in the cached JWKS.
    pub const JWKS_KEYS: &str = "proof_jwks_keys";
    /// Gauge: Unix time of the last successful JWKS fetch.
    pub const JWKS_LAST_SUCCESS: &str = "proof_jwks_last_success_timestamp_seconds";
    /// Counter `{kind}` (client, ip): requests refused with 429.
    pub const RATE_LIMITED: &str = "proof_rate_limited";
    /// Gauge `{listener}` (api, admin): open connections.
    pub const CONNECTIONS_OPEN: &str = "proof_connections_open";
    /// Counter `{listener, reason}` (listener_full, peer_full): connections closed at
    /// accept because a cap was reached.
    pub const CONNECTIONS_REFUSED: &str = "proof_connections_refused";
    /// Counter `{listener, reason}` (header_timeout, idle_timeout): connections the
    /// service closed because the client was too slow or silent.
    pub const CONNECTIONS_TIMED_OUT: &str = "proof_connections_timed_out";
    /// Counter `{result}` (issued, refused, unavailable): receipts asked for on `/verify`.
    pub const RECEIPTS: &str = "proof_receipts";
    /// Counter: log lines dropped because the log writer's queue was full.
    pub const LOG_LINES_DROPPED: &str = "proof_log_lines_dropped";
}

/// `{listener}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListenerLabel {
    /// `api` or `admin`.
    pub listener: &'static str,
}

/// `{listener, reason}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConnLabels {
    /// `api` or `admin`.
    pub listener: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// Listener names, as labels.
pub const LISTENERS: [&str; 2] = ["api", "admin"];
/// Reasons a connection is refused at accept.
pub const REFUSED_REASONS: [&str; 2] = ["listener_full", "peer_full"];
/// Reasons the service closes a connection.
pub const TIMEOUT_REASONS: [&str; 2] = ["header_timeout", "idle_timeout"];

/// `{kind}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// `client` (per OAuth2 client) or `ip`.
    pub kind: String,
}

/// `{route, method, status}`. Static strings and a number, so counting a request
/// allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// Route template (one of [`ROUTES`]), `unmatched`, or `other`.
    pub route: &'static str,
    /// HTTP method ([`method_label`]).
    pub method: &'static str,
    /// Status code.
    pub status: u16,
}

/// `{route}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    /// Route template.
    pub route: &'static str,
}

/// Every route template of both routers: the values of the `route` label. A template not
/// listed here is counted as `other` (a unit test in `routes` keeps the list complete).
pub const ROUTES: [&str; 16] = [
    "/verify",
    "/proof/adapt",
    "/policy/compile",
    "/policy/{id}",
    "/policies",
    "/lists",
    "/keys",
    "/log/checkpoint",
    "/log/entries/{index}",
    "/log/proof/inclusion",
    "/log/proof/consistency",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/cache/flush",
];

/// The `route` label of a matched route template.
#[must_use]
pub fn route_label(template: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|r| **r == template)
        .copied()
        .unwrap_or("other")
}

/// The `method` label: the method's name for the standard ones, else `other`.
#[must_use]
pub fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// `{verdict}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabel {
    /// `OK`, `WARN`, `FAIL`, or `error` for requests that produced no report. (Label
    /// values are static strings, so counting allocates nothing.)
    pub verdict: &'static str,
}

/// `{result}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// Outcome.
    pub result: &'static str,
}

/// Request and work durations: 10 µs to 10 s in 1-2.5-5 steps. Decimal boundaries, so SLO
/// thresholds (`le="0.025"`, `le="0.5"`) are exact buckets and read well in PromQL.
pub const DURATION_BUCKETS: [f64; 19] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Orchestrator selection latency: 1 µs to 1 s in 1-2.5-5 steps.
pub const SELECTION_BUCKETS: [f64; 19] = [
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
];

impl ResultLabel {
    const fn of(result: &'static str) -> Self {
        Self { result }
    }
}

/// Adds one to the `{result}` series of a counter family.
fn count(f: &Family<ResultLabel, Counter>, result: &'static str) {
    f.get_or_create(&ResultLabel::of(result)).inc();
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// `{selector}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SelectorLabel {
    /// `basic` or `weighted`.
    pub selector: String,
}

/// `{cert}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CertLabel {
    /// `server` (the serving leaf) or `client_ca` (the earliest-expiring client CA).
    pub cert: String,
}

/// The metric handles.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// HTTP requests.
    pub http_requests: Family<HttpLabels, Counter>,
    /// HTTP latency.
    pub http_duration: Family<RouteLabel, Histogram>,
    /// Verifications by verdict.
    pub verify: Family<VerdictLabel, Counter>,
    /// Verification latency (evaluation only).
    pub verify_duration: Histogram,
    /// Compilations by result (`ok`, `invalid`, `conflict`, `error`).
    pub compile: Family<ResultLabel, Counter>,
    /// Compilation latency.
    pub compile_duration: Histogram,
    /// Cache lookups by result.
    pub cache_requests: Family<ResultLabel, Counter>,
    /// Cached IRs.
    pub cache_entries: Gauge,
    /// Store failures.
    pub store_errors: Counter,
    /// Active rules selected by plans.
    pub adapt_selected_rules: Counter,
    /// Plans made, by selector.
    pub adapt_plans: Family<SelectorLabel, Counter>,
    /// Selections that failed (context or weights that do not fit).
    pub adapt_selection_failures: Counter,
    /// Time to select and plan.
    pub adapt_selection_latency: Histogram,
    /// TLS handshakes by result.
    pub tls_handshakes: Family<ResultLabel, Counter>,
    /// TLS configuration reloads by result.
    pub tls_reloads: Family<ResultLabel, Counter>,
    /// Certificate expiry (Unix seconds).
    pub tls_cert_not_after: Family<CertLabel, Gauge>,
    /// Client certificate outcomes per connection.
    pub tls_client_auth: Family<ResultLabel, Counter>,
    /// Authentication outcomes on protected routes.
    pub auth_requests: Family<ResultLabel, Counter>,
    /// JWKS fetch attempts.
    pub jwks_refresh: Family<ResultLabel, Counter>,
    /// Cached signing keys.
    pub jwks_keys: Gauge,
    /// Last successful JWKS fetch (Unix seconds).
    pub jwks_last_success: Gauge,
    /// Requests refused by the rate limits.
    pub rate_limited: Family<KindLabel, Counter>,
    /// Open connections per listener.
    pub connections_open: Family<ListenerLabel, Gauge>,
    /// Connections refused at accept.
    pub connections_refused: Family<ConnLabels, Counter>,
    /// Connections closed for a slow or silent client.
    pub connections_timed_out: Family<ConnLabels, Counter>,
    /// Log lines dropped (copied from the log writer at each scrape).
    pub log_lines_dropped: Counter,
    /// Serialises copying the log writer's count, so concurrent scrapes add it once.
    log_sync: Arc<std::sync::Mutex<()>>,
    /// Reference lists.
    pub lists: ListMetrics,
    /// The verification log.
    pub receipt_log: LogMetrics,
    /// Receipts asked for.
    pub receipts: Family<ResultLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    #[must_use]
    pub fn new() -> Self {
        let mut r = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<RouteLabel, Histogram>::new_with_constructor(
            duration_histogram as fn() -> Histogram,
        );
        let verify = Family::<VerdictLabel, Counter>::default();
        let verify_duration = duration_histogram();
        let compile = Family::<ResultLabel, Counter>::default();
        let compile_duration = duration_histogram();
        let cache_requests = Family::<ResultLabel, Counter>::default();
        let cache_entries = Gauge::default();
        let store_errors = Counter::default();
        let adapt_selected_rules = Counter::default();
        let adapt_plans = Family::<SelectorLabel, Counter>::default();
        let adapt_selection_failures = Counter::default();
        let adapt_selection_latency = Histogram::new(SELECTION_BUCKETS);
        let tls_handshakes = Family::<ResultLabel, Counter>::default();
        let tls_reloads = Family::<ResultLabel, Counter>::default();
        let tls_cert_not_after = Family::<CertLabel, Gauge>::default();
        let tls_client_auth = Family::<ResultLabel, Counter>::default();
        let auth_requests = Family::<ResultLabel, Counter>::default();
        let jwks_refresh = Family::<ResultLabel, Counter>::default();
        let jwks_keys = Gauge::default();
        let jwks_last_success = Gauge::default();
        let rate_limited = Family::<KindLabel, Counter>::default();
        let connections_open = Family::<ListenerLabel, Gauge>::default();
        let connections_refused = Family::<ConnLabels, Counter>::default();
        let connections_timed_out = Family::<ConnLabels, Counter>::default();
        let log_lines_dropped = Counter::default();
        for listener in LISTENERS {
            let _ = connections_open.get_or_create(&ListenerLabel { listener });
            for reason in REFUSED_REASONS {
                let _ = connections_refused.get_or_create(&ConnLabels { listener, reason });
            }
            for reason in TIMEOUT_REASONS {
                let _ = connections_timed_out.get_or_create(&ConnLabels { listener, reason });
            }
        }
        r.register(
            names::CONNECTIONS_OPEN,
            "Open connections per listener",
            connections_open.clone(),
        );
        r.register(
            names::CONNECTIONS_REFUSED,
            "Connections closed at accept because the listener's or the peer's cap was reached",
            connections_refused.clone(),
        );
        r.register(
            names::CONNECTIONS_TIMED_OUT,
            "Connections closed because a request head did not arrive in time or the connection stayed idle",
            connections_timed_out.clone(),
        );
        r.register(
            names::LOG_LINES_DROPPED,
            "Log lines dropped because the log writer's queue was full",
            log_lines_dropped.clone(),
        );
        for k in ["client", "ip"] {
            let _ = rate_limited.get_or_create(&KindLabel { kind: k.to_owned() });
        }
        r.register(
            names::RATE_LIMITED,
            "Requests refused with 429 by the rate limits, per client or per IP",
            rate_limited.clone(),
        );
        r.register(
            names::AUTH_REQUESTS,
            "Bearer-token checks on protected routes by result",
            auth_requests.clone(),
        );
        r.register(
            names::JWKS_REFRESH,
            "JWKS fetch attempts by result (retry: a failed attempt that is retried)",
            jwks_refresh.clone(),
        );
        r.register(
            names::JWKS_KEYS,
            "Signing keys in the cached JWKS",
            jwks_keys.clone(),
        );
        r.register(
            names::JWKS_LAST_SUCCESS,
            "Unix time of the last successful JWKS fetch",
            jwks_last_success.clone(),
        );
        r.register(
            names::TLS_HANDSHAKES,
            "TLS handshakes on the API listener by result",
            tls_handshakes.clone(),
        );
        r.register(
            names::TLS_RELOADS,
            "TLS certificate reloads by result (error: the old set stayed in service)",
            tls_reloads.clone(),
        );
        r.register(
            names::TLS_CERT_NOT_AFTER,
            "Expiry of the serving certificate and of the earliest client CA, as Unix seconds",
            tls_cert_not_after.clone(),
        );
        r.register(
            names::TLS_CLIENT_AUTH,
            "Client certificate outcomes per TLS connection",
            tls_client_auth.clone(),
        );
        r.register(
            names::HTTP_REQUESTS,
            "HTTP requests by route template, method and status",
            http_requests.clone(),
        );
        r.register(
            names::HTTP_REQUEST_DURATION,
            "HTTP request latency by route template",
            http_duration.clone(),
        );
        r.register(
            names::VERIFY,
            "Verifications by verdict (error: no report)",
            verify.clone(),
        );
        r.register(
            names::VERIFY_DURATION,
            "Time to evaluate a policy on a context",
            verify_duration.clone(),
        );
        r.register(
            names::COMPILE,
            "Policy compilations by result",
            compile.clone(),
        );
        r.register(
            names::COMPILE_DURATION,
            "Time to compile a policy",
            compile_duration.clone(),
        );
        r.register(
            names::CACHE_REQUESTS,
            "Compiled-IR cache lookups by result",
            cache_requests.clone(),
        );
        r.register(
            names::CACHE_ENTRIES,
            "Compiled IRs in the cache",
            cache_entries.clone(),
        );
        r.register(
            names::STORE_ERRORS,
            "Policy store failures",
            store_errors.clone(),
        );
        r.register(
            names::ADAPT_SELECTED_RULES,
            "Rules selected as active by the orchestrator",
            adapt_selected_rules.clone(),
        );
        r.register(
            names::ADAPT_PLANS,
            "Plans made, by selector",
            adapt_plans.clone(),
        );
        r.register(
            names::ADAPT_SELECTION_FAILURES,
            "Selections that failed",
            adapt_selection_failures.clone(),
        );
        r.register(
            names::ADAPT_SELECTION_LATENCY,
            "Time to select and order rules",
            adapt_selection_latency.clone(),
        );
        // Known label values start at zero, so dashboards and alerts see 0 rather than no
        // data before the first event (gauges are set only when they mean something).
        let zero = |f: &Family<ResultLabel, Counter>, results: &[&'static str]| {
            for r in results {
                let _ = f.get_or_create(&ResultLabel::of(r));
            }
        };
        for v in ["OK", "WARN", "FAIL", "error"] {
            let _ = verify.get_or_create(&VerdictLabel { verdict: v });
        }
        zero(&compile, &["ok", "invalid", "conflict", "error"]);
        zero(&cache_requests, &["hit", "miss"]);
        zero(
            &auth_requests,
            &["ok", "invalid_token", "insufficient_scope", "unavailable"],
        );
        zero(&jwks_refresh, &["ok", "error", "retry"]);
        zero(&tls_handshakes, &["ok", "error", "timeout"]);
        zero(&tls_reloads, &["ok", "error"]);
        zero(
            &tls_client_auth,
            &[
                "ok",
                "none",
                "missing",
                "untrusted",
                "expired",
                "revoked",
                "san_denied",
                "rejected",
            ],
        );
        for s in ["basic", "weighted"] {
            let _ = adapt_plans.get_or_create(&SelectorLabel {
                selector: s.to_owned(),
            });
        }
        let lists = ListMetrics::register(&mut r);
        let receipt_log = LogMetrics::register(&mut r);
        let receipts = Family::<ResultLabel, Counter>::default();
        zero(&receipts, &["issued", "refused", "unavailable"]);
        r.register(
            names::RECEIPTS,
            "Receipts asked for on /verify, by result (refused: no signing key configured; unavailable: the log could not append)",
            receipts.clone(),
        );
        Self {
            lists,
            receipt_log,
            receipts,
            registry: Arc::new(r),
            http_requests,
            http_duration,
            verify,
            verify_duration,
            compile,
            compile_duration,
            cache_requests,
            cache_entries,
            store_errors,
            adapt_selected_rules,
            adapt_plans,
            adapt_selection_failures,
            adapt_selection_latency,
            tls_handshakes,
            tls_reloads,
            tls_cert_not_after,
            tls_client_auth,
            auth_requests,
            jwks_refresh,
            jwks_keys,
            jwks_last_success,
            rate_limited,
            connections_open,
            connections_refused,
            connections_timed_out,
            log_lines_dropped,
            log_sync: Arc::new(std::sync::Mutex::new(())),
        }
    }

    /// Raises `proof_log_lines_dropped_total` to `total`, the log writer's own count.
    pub fn sync_log_drops(&self, total: u64) {
        let _one = match self.log_sync.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let have = self.log_lines_dropped.get();
        if total > have {
            self.log_lines_dropped.inc_by(total - have);
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    ///
    /// # Errors
    /// Only if formatting fails.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    /// Counts a compile outcome.
    pub fn compiled(&self, result: &'static str) {
        count(&self.compile, result);
    }

    /// Counts a compiled-IR cache lookup (`hit` or `miss`).
    pub fn cache_lookup(&self, result: &'static str) {
        count(&self.cache_requests, result);
    }

    /// Counts a TLS handshake.
    pub fn tls_handshake(&self, result: &'static str) {
        count(&self.tls_handshakes, result);
    }

    /// Counts a TLS reload.
    pub fn tls_reloaded(&self, result: &'static str) {
        count(&self.tls_reloads, result);
    }

    /// Counts a client certificate outcome.
    pub fn tls_client_auth(&self, result: &'static str) {
        count(&self.tls_client_auth, result);
    }

    /// Sets a certificate's expiry.
    pub fn tls_not_after(&self, cert: &str, unix_seconds: i64) {
        self.tls_cert_not_after
            .get_or_create(&CertLabel {
                cert: cert.to_owned(),
            })
            .set(unix_seconds);
    }

    /// Counts an authentication outcome.
    pub fn auth(&self, result: &'static str) {
        count(&self.auth_requests, result);
    }

    /// Counts a JWKS fetch attempt.
    pub fn jwks_refreshed(&self, result: &'static str) {
        count(&self.jwks_refresh, result);
    }

    /// Records a successful JWKS fetch of `keys` keys.
    pub fn jwks_loaded(&self, keys: usize) {
        self.jwks_keys.set(i64::try_from(keys).unwrap_or(i64::MAX));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.jwks_last_success
            .set(i64::try_from(now).unwrap_or(i64::MAX));
    }

    /// Counts a request refused by a rate limit.
    pub fn rate_limited(&self, kind: &str) {
        self.rate_limited
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Counts a verification outcome.
    pub fn verified(&self, verdict: &'static str) {
        self.verify.get_or_create(&VerdictLabel { verdict }).inc();
    }
}

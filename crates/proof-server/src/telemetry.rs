//! Logging and request observation: JSON log lines written by a thread of their own
//! ([`log_writer`]: a full buffer drops lines and counts them, it never blocks a request), a
//! request id per request (`x-request-id` honoured when well formed, else generated), one
//! access-log line (probes at `log.probe_level`) and the HTTP metrics per request, the
//! request timeout, and the 403 for connections whose client certificate was
//! refused (see [`crate::tls`]); a verified client's SAN is logged as `client_san`. Context
//! contents are never logged: handlers log policy id, `ir_hash`, `context_hash` and rule ids
//! only.

use crate::config::{LogFormat, LogSettings, ProbeLevel};
use crate::error::ApiError;
use crate::metrics::{HttpLabels, RouteLabel};
use crate::state::AppState;
use crate::tls::ClientIdentity;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

mod log_writer;

/// Keeps the log writer thread running; dropping it writes the pending lines.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<log_writer::Flusher>,
}

/// The log writer's buffer; the subscriber is process-wide, and so is this.
static WRITER: OnceLock<Arc<log_writer::Shared>> = OnceLock::new();

/// Log lines dropped so far because `log.queue_lines` lines were pending.
#[must_use]
pub fn dropped_log_lines() -> u64 {
    WRITER.get().map_or(0, |w| w.dropped())
}

/// Installs the global log subscriber, writing to stdout from a thread of its own with up
/// to `log.queue_lines` lines pending (once per process; later calls are ignored).
///
/// # Errors
/// When `level` is not a valid filter, or the writer thread cannot start.
pub fn init_logging(log: &LogSettings) -> Result<LogGuard, String> {
    let filter =
        EnvFilter::try_new(&log.level).map_err(|e| format!("`log.level` `{}`: {e}", log.level))?;
    if WRITER.get().is_some() {
        return Ok(LogGuard { _writer: None });
    }
    let (writer, flusher) = log_writer::start(log.queue_lines, std::io::stdout())
        .map_err(|e| format!("cannot start the log writer: {e}"))?;
    let shared = Arc::clone(&writer.0);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match log.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if installed.is_err() {
        return Ok(LogGuard { _writer: None });
    }
    let _ = WRITER.set(shared);
    Ok(LogGuard {
        _writer: Some(flusher),
    })
}

/// The route template a request matched, carried from the router to the outer middleware.
#[derive(Clone)]
struct RouteTag(&'static str);

/// Inner layer (per matched route) of the admin listener: records the route template on
/// the response. The API's route layer does the same through [`tag`].
pub async fn tag_route(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    tag(&mut resp, matched.as_ref());
    resp
}

/// Puts the matched route template on `resp` for [`observe`]'s access log and metrics.
pub fn tag(resp: &mut Response, matched: Option<&MatchedPath>) {
    let route = matched.map_or("unmatched", |m| crate::metrics::route_label(m.as_str()));
    resp.extensions_mut().insert(RouteTag(route));
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn new_request_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let s = RandomState::new();
    format!(
        "{:016x}{:016x}",
        s.hash_one(n),
        s.hash_one(n ^ 0x9e37_79b9_7f4a_7c15)
    )
}

fn valid_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| s.to_owned())
}

/// What a handler learnt about its request, for the request's access-log line: a handler
/// puts it in the response's extensions and [`observe`] logs it as fields of that line's
/// event. (Recording them on the request span instead costs more: the JSON formatter
/// re-serialises a span's fields on every record and parses them again for every event.)
/// Context values never go here: only policy id, `ir_hash`, `context_hash`, verdict and
/// rule ids.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The policy verified or planned.
    pub policy_id: Option<String>,
    /// Its IR hash.
    pub ir_hash: Option<String>,
    /// The verified context's hash.
    pub context_hash: Option<String>,
    /// `OK`, `WARN` or `FAIL`.
    pub verdict: Option<&'static str>,
    /// Failed rule ids, comma-separated.
    pub failed_rules: Option<String>,
    /// The plan's rule order, comma-separated (adaptive runs).
    pub active_rules: Option<String>,
}

/// The admin listener's probe routes, whose access-log lines go at `log.probe_level`.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// `tracing::span!` or `tracing::event!` at a level chosen at run time (the macros take a
/// constant level).
macro_rules! at_level {
    ($level:expr, $kind:ident, $($rest:tt)*) => {
        match $level {
            ProbeLevel::Trace => tracing::$kind!(tracing::Level::TRACE, $($rest)*),
            ProbeLevel::Debug => tracing::$kind!(tracing::Level::DEBUG, $($rest)*),
            ProbeLevel::Info => tracing::$kind!(tracing::Level::INFO, $($rest)*),
            ProbeLevel::Warn => tracing::$kind!(tracing::Level::WARN, $($rest)*),
            ProbeLevel::Error => tracing::$kind!(tracing::Level::ERROR, $($rest)*),
        }
    };
}

/// The outer layer's work around `inner` (the rest of the stack): request id, timeout,
/// access log and HTTP metrics.
pub async fn observe<F, Fut>(state: &AppState, req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let rid = req
        .headers()
        .get("x-request-id")
        .and_then(valid_request_id)
        .unwrap_or_else(new_request_id);
    let method = crate::metrics::method_label(req.method());
    let start = Instant::now();
    let level = if is_probe(req.uri().path()) {
        state.settings.log.probe_level
    } else {
        ProbeLevel::Info
    };
    // Handlers say what they learnt in an `Outcome`, and middleware records the client on
    // the span, so each request is one log line with everything known about it.
    let span = at_level!(
        level,
        span,
        "request",
        request_id = %rid,
        client_san = tracing::field::Empty,
        client_id = tracing::field::Empty,
        auth_error = tracing::field::Empty,
    );
    let client = req.extensions().get::<ClientIdentity>().cloned();
    if let Some(ClientIdentity::Verified { san }) = &client {
        span.record("client_san", san.as_str());
    }
    let timeout = Duration::from_millis(state.settings.limits.request_timeout_ms);
    let run = async {
        match client {
            // The connection's certificate was refused: no handler runs.
            Some(ClientIdentity::Rejected { code, detail }) => {
                ApiError::new(StatusCode::FORBIDDEN, code, detail).into_response()
            }
            _ => inner(req).await,
        }
    };
    let mut resp = match tokio::time::timeout(timeout, run.instrument(span.clone())).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            format!("the request took longer than {} ms", timeout.as_millis()),
        )
        .into_response(),
    };
    let route = resp
        .extensions_mut()
        .remove::<RouteTag>()
        .map_or("unmatched", |t| t.0);
    let o = resp
        .extensions_mut()
        .remove::<Outcome>()
        .unwrap_or_default();
    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    let m = &state.metrics;
    m.http_requests
        .get_or_create(&HttpLabels {
            route,
            method,
            status,
        })
        .inc();
    m.http_duration
        .get_or_create(&RouteLabel { route })
        .observe(elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("x-request-id", v);
    }
    span.in_scope(|| {
        at_level!(
            level,
            event,
            method,
            route,
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            policy_id = o.policy_id.as_deref(),
            ir_hash = o.ir_hash.as_deref(),
            context_hash = o.context_hash.as_deref(),
            verdict = o.verdict,
            failed_rules = o.failed_rules.as_deref(),
            active_rules = o.active_rules.as_deref(),
            "request"
        );
    });
    resp
}

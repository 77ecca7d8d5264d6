//! The admin listener: liveness, readiness with reasons, Prometheus metrics, cache flush.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::PolicyStore;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `GET /healthz`: the process is up. (The bytes `Json(json!({"status": "ok"}))` would
/// give, without building them per probe.)
pub async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"ok\"}",
    )
        .into_response()
}

/// `GET /readyz`: 200 when the store answers, lists are loaded and (with OAuth2) signing
/// keys are usable, else 503 naming why; the JWKS state is reported either way.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut reasons = Vec::new();
    if let Err(e) = state.store.ping().await {
        state.metrics.store_errors.inc();
        tracing::warn!(error = %e, "readiness: store does not answer");
        reasons.push(format!("the {} store does not answer", state.store.kind()));
    }
    if state.settings.readiness.require_lists && state.lists.snapshot().registry.is_empty() {
        reasons.push("no reference list is loaded".to_owned());
    }
    let jwks = state
        .auth
        .as_ref()
        .and_then(|a| a.jwks())
        .map(|j| j.status());
    if let Some(j) = &jwks
        && j.state == "unavailable"
    {
        reasons.push("no signing keys from the identity provider (JWKS unavailable)".to_owned());
    }
    if reasons.is_empty() {
        let mut body = serde_json::Map::new();
        body.insert("status".into(), json!("ready"));
        body.insert("store".into(), json!(state.store.kind()));
        body.insert("lists".into(), json!(state.lists.snapshot().current.len()));
        if let Some(j) = jwks {
            body.insert("jwks".into(), json!(j));
        }
        return Ok(Json(Value::Object(body)));
    }
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_ready",
        reasons.join("; "),
    )
    .with("reasons", json!(reasons));
    if let Some(j) = jwks {
        err = err.with("jwks", json!(j));
    }
    Err(err)
}

/// `GET /metrics`: Prometheus text format 0.0.4.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    state
        .metrics
        .sync_log_drops(crate::telemetry::dropped_log_lines());
    state.lists.refresh_ages(time::OffsetDateTime::now_utc());
    let body = state.metrics.encode().map_err(|_| ApiError::internal())?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

/// `POST /cache/flush`: empties the compiled-IR cache.
pub async fn flush(State(state): State<AppState>) -> Json<Value> {
    let flushed = state.cache.flush();
    tracing::info!(flushed, "cache flushed");
    Json(json!({"flushed": flushed}))
}

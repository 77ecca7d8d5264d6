//! The verification log's routes (scope `log:read`; docs/log.md): the latest signed
//! checkpoint (or the one of a size), an entry, and inclusion and consistency proofs.
//! Hashes in proofs are base64, as in C2SP checkpoints and tlog-proofs.

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::receipt_log::{LogError, ReceiptLog};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proof_core::lists::merkle::Hash;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::IntoParams;

fn log(state: &AppState) -> Result<&Arc<ReceiptLog>, ApiError> {
    state.receipt_log.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "log_disabled",
            "this server signs no receipts and keeps no verification log (no `signing.key_file`)",
        )
    })
}

fn log_error(e: LogError) -> ApiError {
    match e {
        LogError::Range(m) => ApiError::new(StatusCode::NOT_FOUND, "not_in_log", m),
        LogError::Unavailable(m) => {
            tracing::error!(error = %m, "verification log unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "log_unavailable",
                "the verification log cannot be read now; retry later",
            )
        }
    }
}

fn b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| STANDARD.encode(h)).collect()
}

/// Which checkpoint.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckpointQuery {
    /// A tree size the log reached; default: the latest checkpoint.
    pub size: Option<u64>,
}

/// `GET /log/checkpoint`.
#[utoipa::path(get, path = "/log/checkpoint", params(CheckpointQuery),
    responses((status = 200, description = "The signed checkpoint (C2SP tlog-checkpoint in a signed note), text/plain", content_type = "text/plain"),
              (status = 404, description = "`log_disabled`, `not_in_log` (no checkpoint of that size; the empty log before its first entry)")))]
pub async fn checkpoint(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CheckpointQuery>,
) -> Result<Response, ApiError> {
    log(&state)?;
    let cp = state
        .store
        .log_checkpoint(q.size)
        .await
        .map_err(|e| log_error(LogError::Unavailable(e.to_string())))?
        .ok_or_else(|| {
            log_error(LogError::Range(match q.size {
                Some(s) => format!("the log signed no checkpoint of size {s}"),
                None => "the log has no entry yet".into(),
            }))
        })?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        cp.note,
    )
        .into_response())
}

/// `GET /log/entries/{index}`.
#[utoipa::path(get, path = "/log/entries/{index}", params(("index" = u64, Path, description = "Entry index, from 0")),
    responses((status = 200, description = "`{index, leaf_hash, created_at, receipt}`: the receipt (DSSE envelope) and the RFC 6962 leaf hash (hex) of its statement", body = Object),
              (status = 404, description = "`log_disabled`, `not_in_log`")))]
pub async fn entry(
    State(state): State<AppState>,
    ApiPath(index): ApiPath<u64>,
) -> Result<Json<Value>, ApiError> {
    log(&state)?;
    let row = state
        .store
        .log_entry(index)
        .await
        .map_err(|e| log_error(LogError::Unavailable(e.to_string())))?
        .ok_or_else(|| log_error(LogError::Range(format!("the log has no entry {index}"))))?;
    let receipt: Value = serde_json::from_str(&row.receipt).map_err(|_| ApiError::internal())?;
    Ok(Json(json!({
        "index": row.index,
        "leaf_hash": row.leaf_hash,
        "created_at": row.created_at,
        "receipt": receipt,
    })))
}

/// An inclusion proof's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    /// The entry.
    pub index: u64,
    /// The tree size (a checkpoint's).
    pub size: u64,
}

/// `GET /log/proof/inclusion`.
#[utoipa::path(get, path = "/log/proof/inclusion", params(InclusionQuery),
    responses((status = 200, description = "`{index, size, hashes}`: the RFC 6962 audit path, base64, leaf side first", body = Object),
              (status = 404, description = "`log_disabled`, `not_in_log`")))]
pub async fn inclusion(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> Result<Json<Value>, ApiError> {
    let path = log(&state)?
        .inclusion(q.index, q.size)
        .await
        .map_err(log_error)?;
    Ok(Json(
        json!({"index": q.index, "size": q.size, "hashes": b64(&path)}),
    ))
}

/// A consistency proof's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size.
    pub to: u64,
}

/// `GET /log/proof/consistency`.
#[utoipa::path(get, path = "/log/proof/consistency", params(ConsistencyQuery),
    responses((status = 200, description = "`{from, to, hashes}`: the RFC 6962 consistency proof, base64", body = Object),
              (status = 404, description = "`log_disabled`, `not_in_log`")))]
pub async fn consistency(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
    let path = log(&state)?
        .consistency(q.from, q.to)
        .await
        .map_err(log_error)?;
    Ok(Json(
        json!({"from": q.from, "to": q.to, "hashes": b64(&path)}),
    ))
}

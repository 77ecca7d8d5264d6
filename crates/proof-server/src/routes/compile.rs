//! `POST /policy/compile`: compile a policy (YAML text or a JSON object), store it, and
//! return the IR with its lints. Idempotent for the same policy; a different policy under an
//! existing id and version is a conflict.

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::store::{NewPolicy, PolicyStore, PutOutcome};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use proof_core::diag::Diagnostic;
use proof_core::policy::{self, LintMode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use utoipa::ToSchema;

/// Lint strictness.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LintModeArg {
    /// Hygiene findings are errors (default).
    #[default]
    Strict,
    /// Hygiene findings are warnings.
    Relaxed,
}

/// A policy to compile: `policy_yaml` (text) or `policy` (the same document as JSON).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompileRequest {
    /// The policy as YAML text.
    pub policy_yaml: Option<String>,
    /// The policy as a JSON object.
    #[schema(value_type = Option<Object>)]
    pub policy: Option<Value>,
    /// `strict` (default) or `relaxed`.
    #[serde(default)]
    pub lint_mode: LintModeArg,
}

/// The compiled policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompileResponse {
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// Policy hash.
    pub policy_hash: String,
    /// IR hash.
    pub ir_hash: String,
    /// The IR.
    #[schema(value_type = Object)]
    pub ir: Value,
    /// Warnings and infos (errors make the request fail with 422).
    #[schema(value_type = Vec<Object>)]
    pub lints: Vec<Diagnostic>,
    /// True when this request stored it; false when it was already stored.
    pub stored: bool,
}

/// `POST /policy/compile`.
#[utoipa::path(post, path = "/policy/compile", request_body = CompileRequest,
    responses((status = 201, body = CompileResponse, description = "Compiled and stored"),
              (status = 200, body = CompileResponse, description = "Already stored (idempotent)"),
              (status = 409, description = "`policy_conflict`: another policy has this id and version"),
              (status = 422, description = "`policy_invalid` (with `lints`) or `invalid_request`")))]
pub async fn compile(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CompileRequest>,
) -> Result<(StatusCode, Json<CompileResponse>), ApiError> {
    let result = run(&state, req).await;
    let label = match &result {
        Ok(_) => "ok",
        Err(e) if e.code == "policy_invalid" || e.code == "invalid_request" => "invalid",
        Err(e) if e.code == "policy_conflict" => "conflict",
        Err(_) => "error",
    };
    state.metrics.compiled(label);
    result
}

async fn run(
    state: &AppState,
    req: CompileRequest,
) -> Result<(StatusCode, Json<CompileResponse>), ApiError> {
    let source = match (req.policy_yaml, req.policy) {
        (Some(y), None) => y,
        // JSON is YAML, so a JSON policy compiles as is and spans point into this text.
        (None, Some(p @ Value::Object(_))) => {
            serde_json::to_string_pretty(&p).map_err(|_| ApiError::internal())?
        }
        (None, Some(_)) => return Err(ApiError::invalid("`policy` must be a JSON object")),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "give `policy_yaml` or `policy`, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "give `policy_yaml` (text) or `policy` (object)",
            ));
        }
    };
    let mode = match req.lint_mode {
        LintModeArg::Strict => LintMode::Strict,
        LintModeArg::Relaxed => LintMode::Relaxed,
    };
    let start = Instant::now();
    let compiled = policy::compile(&source, mode).map_err(|e| {
        let errors = e
            .diagnostics
            .iter()
            .filter(|d| d.level == proof_core::diag::Level::Error)
            .count();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "policy_invalid",
            format!("the policy has {errors} error(s); see `lints`"),
        )
        .with("lints", json!(e.diagnostics))
    })?;
    state
        .metrics
        .compile_duration
        .observe(start.elapsed().as_secs_f64());
    let ir = compiled.ir;
    let new = NewPolicy::from_ir(&ir, source).map_err(|_| ApiError::internal())?;
    let outcome = state.store.put(&new).await.map_err(|e| {
        state.metrics.store_errors.inc();
        tracing::error!(error = %e, policy_id = %new.policy_id, "store write failed");
        ApiError::store()
    })?;
    let (status, stored) = match outcome {
        PutOutcome::Stored => (StatusCode::CREATED, true),
        PutOutcome::AlreadyStored => (StatusCode::OK, false),
        PutOutcome::Conflict { existing_hash } => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "policy_conflict",
                format!("policy `{}` version `{}` is already stored with a different content; publish a new version", new.policy_id, new.version),
            )
            .with("existing_policy_hash", json!(existing_hash)));
        }
    };
    tracing::info!(policy_id = %ir.policy_id, version = %ir.version, policy_hash = %ir.policy_hash, ir_hash = %ir.ir_hash, stored, "compiled");
    let ir_value = serde_json::to_value(&ir).map_err(|_| ApiError::internal())?;
    let resp = CompileResponse {
        policy_id: ir.policy_id.clone(),
        version: ir.version.clone(),
        policy_hash: ir.policy_hash.clone(),
        ir_hash: ir.ir_hash.clone(),
        ir: ir_value,
        lints: compiled.diagnostics,
        stored,
    };
    state.cache.insert(Arc::new(ir));
    Ok((status, Json(resp)))
}

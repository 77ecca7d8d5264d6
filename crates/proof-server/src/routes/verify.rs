//! `POST /verify`: a context against a stored policy (by id, version or hash) or an
//! embedded IR. The response body is byte for byte the report the CLI prints.

use super::policies::{resolve, selector};
use crate::error::ApiError;
use crate::extract::JsonValue;
use crate::metrics::SelectorLabel;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proof_core::eval::{self, Context, EvalError};
use proof_core::ir::{Ir, IrError};
use proof_core::orchestrator::{self, Plan};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use utoipa::ToSchema;

/// A verification request: `policy_id` (with `version` or `policy_hash`, else the latest)
/// or an embedded `ir`, plus the `context`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// A stored policy's id.
    pub policy_id: Option<String>,
    /// A version of it.
    pub version: Option<String>,
    /// A `sha256:` policy hash of it.
    pub policy_hash: Option<String>,
    /// A compiled IR (only when `features.allow_embedded_ir` is on); its hashes are checked.
    #[schema(value_type = Option<Object>)]
    pub ir: Option<Value>,
    /// The company's context: the policy's inputs, optionally `as_of`.
    #[schema(value_type = Object)]
    pub context: Value,
    /// Options.
    #[serde(default)]
    pub options: VerifyOptions,
}

/// Everything in a verify request except `context` and `ir`, which are moved out of the
/// parsed body rather than deserialised again (a context can be large).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    policy_id: Option<String>,
    version: Option<String>,
    policy_hash: Option<String>,
    #[serde(default)]
    options: VerifyOptions,
}

impl VerifyRequest {
    pub(super) fn from_body(body: Value) -> Result<Self, ApiError> {
        let Value::Object(mut m) = body else {
            return Err(ApiError::invalid("the body must be a JSON object"));
        };
        let context = m
            .remove("context")
            .ok_or_else(|| ApiError::invalid("missing field `context`"))?;
        let ir = m.remove("ir").filter(|v| !v.is_null());
        let head: Head = serde_json::from_value(Value::Object(m))
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        Ok(Self {
            policy_id: head.policy_id,
            version: head.version,
            policy_hash: head.policy_hash,
            ir,
            context,
            options: head.options,
        })
    }
}

/// Verification options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyOptions {
    /// Evaluation time, RFC 3339; default: the context's `as_of`, else the server clock.
    pub as_of: Option<String>,
    /// Plan with the configured selector and evaluate the active rules cheapest first.
    #[serde(default)]
    pub adaptive: bool,
    /// Stop at the first failing rule of severity `fail`; the rest are reported `skipped`.
    #[serde(default)]
    pub fail_fast: bool,
}

pub(super) async fn pick_ir(state: &AppState, req: &VerifyRequest) -> Result<Arc<Ir>, ApiError> {
    match (&req.policy_id, &req.ir) {
        (Some(_), Some(_)) => Err(ApiError::invalid("give `policy_id` or `ir`, not both")),
        (None, None) => Err(ApiError::invalid(
            "give `policy_id` (a stored policy) or `ir` (a compiled policy)",
        )),
        (None, Some(ir)) => {
            if !state.settings.features.allow_embedded_ir {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "embedded_ir_disabled",
                    "this server does not accept embedded IR; verify a stored policy by `policy_id`",
                ));
            }
            if req.version.is_some() || req.policy_hash.is_some() {
                return Err(ApiError::invalid(
                    "`version` and `policy_hash` select a stored policy; they do not apply to `ir`",
                ));
            }
            let ir: Ir = serde_json::from_value(ir.clone()).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_ir",
                    format!("`ir`: {e}"),
                )
            })?;
            ir.validate().map_err(|e| match e {
                IrError::HashMismatch { .. } => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "ir_hash_mismatch",
                    e.to_string(),
                ),
                other => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_ir",
                    other.to_string(),
                ),
            })?;
            Ok(Arc::new(ir))
        }
        (Some(id), None) => {
            resolve(
                state,
                id,
                &selector(req.version.clone(), req.policy_hash.clone())?,
            )
            .await
        }
    }
}

/// `POST /verify`.
#[utoipa::path(post, path = "/verify", request_body = VerifyRequest,
    responses((status = 200, description = "The report (same bytes as `proof verify`)", content_type = "application/json", body = Object),
              (status = 403, description = "`embedded_ir_disabled`"), (status = 404, description = "`policy_not_found`"),
              (status = 422, description = "`invalid_context`, `unknown_list_root`, `invalid_ir`, `ir_hash_mismatch`, `invalid_request`")))]
pub async fn verify(
    State(state): State<AppState>,
    JsonValue(body): JsonValue,
) -> Result<Response, ApiError> {
    let result = match VerifyRequest::from_body(body) {
        Ok(req) => run(&state, &req).await,
        Err(e) => Err(e),
    };
    if result.is_err() {
        state.metrics.verified("error");
    }
    result
}

/// Maps an evaluation error to its problem document.
pub(super) fn eval_error(e: EvalError) -> ApiError {
    match e {
        EvalError::Context(c) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_context",
            format!("{}: {}", c.path, c.message),
        )
        .with("path", json!(c.path)),
        EvalError::UnknownRoot {
            ref path, ref root, ..
        } => {
            let (path, root) = (path.clone(), root.clone());
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_list_root",
                e.to_string(),
            )
            .with("path", json!(path))
            .with("root", json!(root))
        }
        EvalError::Select(s) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weights_mismatch",
            s.to_string(),
        ),
        EvalError::Canonical(_) => ApiError::internal(),
    }
}

/// The parsed `options.as_of`.
pub(super) fn as_of(req: &VerifyRequest) -> Result<Option<time::OffsetDateTime>, ApiError> {
    req.options
        .as_of
        .as_deref()
        .map(proof_core::temporal::parse_timestamp)
        .transpose()
        .map_err(|m| ApiError::invalid(format!("`options.as_of`: {m}")))
}

/// Decodes the context and plans it with the configured selector, counting the
/// orchestrator metrics.
pub(super) fn make_plan(
    state: &AppState,
    ir: &Ir,
    req: &VerifyRequest,
    at: Option<time::OffsetDateTime>,
) -> Result<(Context, time::OffsetDateTime, Plan), ApiError> {
    let m = &state.metrics;
    let start = Instant::now();
    let result = eval::context::decode(&ir.inputs, &req.context)
        .map_err(EvalError::from)
        .and_then(|ctx| {
            let at = eval::resolve_as_of(at, &ctx);
            let plan = orchestrator::plan(ir, &ctx, at, state.selector.as_ref())?;
            Ok((ctx, at, plan))
        });
    m.adapt_selection_latency
        .observe(start.elapsed().as_secs_f64());
    match result {
        Ok((ctx, at, plan)) => {
            m.adapt_plans
                .get_or_create(&SelectorLabel {
                    selector: plan.selector.clone(),
                })
                .inc();
            m.adapt_selected_rules
                .inc_by(plan.active_rules.len() as u64);
            tracing::Span::current().record("active_rules", plan.order.join(",").as_str());
            Ok((ctx, at, plan))
        }
        Err(e) => {
            m.adapt_selection_failures.inc();
            Err(eval_error(e))
        }
    }
}

async fn run(state: &AppState, req: &VerifyRequest) -> Result<Response, ApiError> {
    let ir = pick_ir(state, req).await?;
    let at = as_of(req)?;
    let start = Instant::now();
    let report = if req.options.adaptive {
        let (ctx, at, plan) = make_plan(state, &ir, req, at)?;
        eval::verify_decoded(
            &ir,
            &req.context,
            &ctx,
            at,
            &state.lists,
            Some(&plan.order),
            req.options.fail_fast,
        )
    } else {
        let opts = eval::RunOptions {
            selector: None,
            fail_fast: req.options.fail_fast,
        };
        eval::verify_with(&ir, &req.context, at, &state.lists, opts).map(|v| v.report)
    }
    .map_err(eval_error)?;
    state
        .metrics
        .verify_duration
        .observe(start.elapsed().as_secs_f64());
    let verdict = serde_json::to_value(report.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    state.metrics.verified(&verdict);
    let failed: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.status == eval::Status::Fail)
        .map(|r| r.rule_id.as_str())
        .collect();
    crate::telemetry::record_verification(
        &report.policy_id,
        &report.ir_hash,
        &report.context_hash,
        &verdict,
        &failed,
    );
    let body = report.to_pretty_json().map_err(|_| ApiError::internal())?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

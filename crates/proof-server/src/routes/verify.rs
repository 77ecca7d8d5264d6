//! `POST /verify`: a context against a stored policy (by id, version or hash) or an
//! embedded IR. The response body is byte for byte the report the CLI prints.

use super::policies::{resolve, selector};
use crate::error::ApiError;
use crate::extract::{JsonBytes, parse_json};
use crate::metrics::SelectorLabel;
use crate::state::AppState;
use crate::telemetry::Outcome;
use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proof_core::eval::{self, Context, EvalError};
use proof_core::ir::{Ir, IrError};
use proof_core::json::{self, Doc, Tree};
use proof_core::orchestrator::{self, Plan};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use utoipa::ToSchema;

// This type describes the body (OpenAPI); the handlers read it into a `Req`.
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

/// A parsed [`VerifyRequest`] whose context is a JSON tree `C`: a `serde_json::Value`, or
/// on `/verify`'s fast path a [`Doc`] borrowing from the body.
pub(super) struct Req<C> {
    pub(super) policy_id: Option<String>,
    pub(super) version: Option<String>,
    pub(super) policy_hash: Option<String>,
    pub(super) ir: Option<Value>,
    pub(super) context: C,
    pub(super) options: VerifyOptions,
}

impl<C> Req<C> {
    fn new(head: Head, ir: Option<Value>, context: C) -> Self {
        Self {
            policy_id: head.policy_id,
            version: head.version,
            policy_hash: head.policy_hash,
            ir,
            context,
            options: head.options,
        }
    }
}

impl Req<Value> {
    /// The request in `body`, or the problem with it.
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
        Ok(Self::new(head, ir, context))
    }
}

impl<'a> Req<Doc<'a>> {
    /// The request in `body` when it is well formed; `None` otherwise, and the caller
    /// takes the `Value` path, which names the problem.
    fn from_doc(body: Doc<'a>) -> Option<Self> {
        let Doc::Object(members) = body else {
            return None;
        };
        let (mut context, mut ir, mut head) = (None, None, serde_json::Map::new());
        for (k, v) in members {
            match k.as_ref() {
                "context" => context = Some(v),
                "ir" => ir = Some(v).filter(|v| *v != Doc::Null).map(|v| v.to_value()),
                _ => {
                    head.insert(k.into_owned(), v.to_value());
                }
            }
        }
        let head: Head = serde_json::from_value(Value::Object(head)).ok()?;
        Some(Self::new(head, ir, context?))
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

pub(super) async fn pick_ir<C>(state: &AppState, req: &Req<C>) -> Result<Arc<Ir>, ApiError> {
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
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    let depth = state.settings.limits.json_depth;
    // Fast path: the context borrows its strings from the body. Anything it does not take
    // (bad JSON, a malformed request) goes the `Value` way, which says what is wrong.
    let fast = simdutf8::basic::from_utf8(&body)
        .ok()
        .and_then(|text| json::doc_from_str_strict_depth(text, depth).ok())
        .and_then(Req::from_doc);
    let result = match fast {
        Some(req) => run(&state, &req).await,
        None => match parse_json(&body, depth).and_then(Req::from_body) {
            Ok(req) => run(&state, &req).await,
            Err(e) => Err(e),
        },
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
pub(super) fn as_of<C>(req: &Req<C>) -> Result<Option<time::OffsetDateTime>, ApiError> {
    req.options
        .as_of
        .as_deref()
        .map(proof_core::temporal::parse_timestamp)
        .transpose()
        .map_err(|m| ApiError::invalid(format!("`options.as_of`: {m}")))
}

/// Decodes the context and plans it with the configured selector, counting the
/// orchestrator metrics.
pub(super) fn make_plan<C: Tree>(
    state: &AppState,
    ir: &Ir,
    req: &Req<C>,
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
            Ok((ctx, at, plan))
        }
        Err(e) => {
            m.adapt_selection_failures.inc();
            Err(eval_error(e))
        }
    }
}

async fn run<C: Tree + Sync>(state: &AppState, req: &Req<C>) -> Result<Response, ApiError> {
    let ir = pick_ir(state, req).await?;
    let at = as_of(req)?;
    let start = Instant::now();
    let mut active_rules = None;
    let report = if req.options.adaptive {
        let (ctx, at, plan) = make_plan(state, &ir, req, at)?;
        active_rules = Some(plan.order.join(","));
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
    let verdict = report.verdict.as_str();
    state.metrics.verified(verdict);
    let failed: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.status == eval::Status::Fail)
        .map(|r| r.rule_id.as_str())
        .collect();
    let body = report.to_pretty_json().map_err(|_| ApiError::internal())?;
    let outcome = Outcome {
        failed_rules: Some(failed.join(",")),
        verdict: Some(verdict),
        active_rules,
        policy_id: Some(report.policy_id),
        ir_hash: Some(report.ir_hash),
        context_hash: Some(report.context_hash),
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Extension(outcome),
        body,
    )
        .into_response())
}

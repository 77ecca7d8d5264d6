//! `POST /verify`: a context against a stored policy (by id, version or hash) or an
//! embedded IR. The response body is byte for byte the report the CLI prints.

use super::policies::{resolve, selector};
use crate::config::WithinGrace;
use crate::error::ApiError;
use crate::extract::{JsonBytes, parse_json};
use crate::metrics::SelectorLabel;
use crate::state::AppState;
use crate::telemetry::Outcome;
use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proof_core::eval::{self, Context, EvalError, Scanned};
use proof_core::ir::{Ir, IrError};
use proof_core::json::{self, Cursor, Doc, Tree};
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
    /// Answer `{report, receipt, disclosure}`: the report with a signed receipt and its
    /// disclosure bundle (docs/evidence.md); 403 `receipts_disabled` without a signing key.
    #[serde(default)]
    pub receipt: bool,
    /// With a receipt (implies `receipt`): the disclosure bundle also carries, for every
    /// hash a membership rule checked, its inclusion or absence proof against the list.
    #[serde(default)]
    pub proofs: bool,
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
    responses((status = 200, description = "The report (same bytes as `proof verify`); with `options.receipt` or `options.proofs`, `{report, receipt, disclosure}`: the receipt is in the verification log and carries `log_proof`", content_type = "application/json", body = Object),
              (status = 403, description = "`embedded_ir_disabled`, `receipts_disabled`"), (status = 404, description = "`policy_not_found`"),
              (status = 422, description = "`invalid_context`, `unknown_list_root`, `list_superseded`, `invalid_ir`, `ir_hash_mismatch`, `invalid_request`"),
              (status = 503, description = "`log_unavailable`: a receipt was asked for and the verification log could not append it")))]
pub async fn verify(
    State(state): State<AppState>,
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    let depth = state.settings.limits.json_depth;
    let text = simdutf8::basic::from_utf8(&body).ok();
    // The policy lookup the one-pass reader made before it gave up, if it did.
    let mut looked_up = None;
    let result = match text {
        Some(text) => one_pass(&state, text, &mut looked_up).await,
        None => None,
    };
    let result = match result {
        Some(result) => result,
        None => {
            // The context borrows its strings from the body. Anything the borrowed tree does
            // not take (bad JSON, a malformed request) goes the `Value` way, which says what
            // is wrong.
            let doc = text
                .and_then(|text| json::doc_from_str_strict_depth(text, depth).ok())
                .and_then(Req::from_doc);
            match doc {
                Some(req) => run(&state, &req, looked_up).await,
                None => match parse_json(&body, depth).and_then(Req::from_body) {
                    Ok(req) => run(&state, &req, looked_up).await,
                    Err(e) => Err(e),
                },
            }
        }
    };
    if result.is_err() {
        state.metrics.verified("error");
    }
    result
}

/// A policy lookup made for a request's `policy_id`, `version` and `policy_hash` (in that
/// order), and what it found.
type LookedUp = (Selection, Result<Arc<Ir>, ApiError>);
type Selection = (Option<String>, Option<String>, Option<String>);

/// `/verify` in one pass over the body, without a JSON tree, for requests as clients send
/// them: plain strings, `policy_id` (and `version` or `policy_hash`) before `context`, and
/// a context that [`eval::context::scan`] reads (it decodes and hashes in the same pass).
/// The answer is the one the general path gives for the same body.
///
/// `None` when the body is anything else; the caller then takes the general path, which
/// accepts or refuses it and names the problem. `looked_up` then holds the policy lookup
/// made before giving up, so that the general path need not repeat it (nor count it
/// twice); it uses it only for a request with the same selection.
async fn one_pass(
    state: &AppState,
    text: &str,
    looked_up: &mut Option<LookedUp>,
) -> Option<Result<Response, ApiError>> {
    let mut req = Req {
        policy_id: None,
        version: None,
        policy_hash: None,
        ir: None,
        context: (),
        options: VerifyOptions::default(),
    };
    let mut lookup = None;
    let answer = read_one_pass(state, text, &mut req, &mut lookup).await;
    if answer.is_none()
        && let Some(found) = lookup
    {
        *looked_up = Some(((req.policy_id, req.version, req.policy_hash), found));
    }
    answer
}

/// [`one_pass`]'s reading: fills `req` from the body's members and `lookup` with the
/// policy lookup once the context starts.
async fn read_one_pass(
    state: &AppState,
    text: &str,
    req: &mut Req<()>,
    lookup: &mut Option<Result<Arc<Ir>, ApiError>>,
) -> Option<Result<Response, ApiError>> {
    // Levels that may open below the body's object (the context and its arrays).
    let room = state.settings.limits.json_depth.min(127).checked_sub(1)?;
    let mut cur = Cursor::new(text);
    if !cur.eat(b'{') {
        return None;
    }
    let mut options_seen = false;
    let mut scanned: Option<(Arc<Ir>, Scanned, Instant)> = None;
    loop {
        let key = cur.plain_str()?;
        if !cur.eat(b':') {
            return None;
        }
        if scanned.is_some() && matches!(key, "policy_id" | "version" | "policy_hash" | "ir") {
            // Read after the lookup: it may mean another policy (and `req` does not say
            // so, so the general path will not use the lookup).
            return None;
        }
        match key {
            "policy_id" => once(&mut req.policy_id, cur.plain_str()?)?,
            "version" => once(&mut req.version, cur.plain_str()?)?,
            "policy_hash" => once(&mut req.policy_hash, cur.plain_str()?)?,
            "options" if !options_seen => {
                options_seen = true;
                req.options = options(&mut cur)?;
            }
            "context" if scanned.is_none() && req.policy_id.is_some() => {
                let found = pick_ir(state, req).await;
                let ir = match &found {
                    Ok(ir) => Arc::clone(ir),
                    Err(_) => {
                        *lookup = Some(found);
                        return None;
                    }
                };
                *lookup = Some(found);
                let start = Instant::now();
                let context = eval::context::scan(&ir.inputs, &mut cur, room)?;
                scanned = Some((ir, context, start));
            }
            _ => return None,
        }
        if !cur.next(b'}')? {
            break;
        }
    }
    if !cur.at_end() {
        return None;
    }
    let (ir, Scanned { context, hash }, start) = scanned?;
    let at = match as_of(req) {
        Ok(at) => at,
        Err(e) => return Some(Err(e)),
    };
    Some(
        respond(
            state,
            &ir,
            &req.options,
            at,
            start,
            || Ok(context),
            || Ok(hash),
        )
        .await,
    )
}

/// Sets `slot` to `value` unless it is already set (a repeated member, which strict JSON
/// refuses).
fn once(slot: &mut Option<String>, value: &str) -> Option<()> {
    slot.is_none().then(|| *slot = Some(value.to_owned()))
}

/// `options` as [`VerifyOptions`] reads it, for plain strings and booleans only.
fn options(cur: &mut Cursor<'_>) -> Option<VerifyOptions> {
    let mut o = VerifyOptions::default();
    let (mut adaptive, mut fail_fast, mut receipt, mut proofs) = (None, None, None, None);
    if !cur.eat(b'{') {
        return None;
    }
    if cur.eat(b'}') {
        return Some(o);
    }
    loop {
        let key = cur.plain_str()?;
        if !cur.eat(b':') {
            return None;
        }
        match key {
            "as_of" => once(&mut o.as_of, cur.plain_str()?)?,
            "adaptive" if adaptive.is_none() => adaptive = Some(cur.boolean()?),
            "fail_fast" if fail_fast.is_none() => fail_fast = Some(cur.boolean()?),
            "receipt" if receipt.is_none() => receipt = Some(cur.boolean()?),
            "proofs" if proofs.is_none() => proofs = Some(cur.boolean()?),
            _ => return None,
        }
        if !cur.next(b'}')? {
            break;
        }
    }
    o.adaptive = adaptive.unwrap_or(false);
    o.fail_fast = fail_fast.unwrap_or(false);
    o.receipt = receipt.unwrap_or(false);
    o.proofs = proofs.unwrap_or(false);
    Some(o)
}

fn count_receipt(state: &AppState, result: &'static str) {
    state
        .metrics
        .receipts
        .get_or_create(&crate::metrics::ResultLabel { result })
        .inc();
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

/// Decodes the context (with `decode`) and plans it with the configured selector, counting
/// the orchestrator metrics.
pub(super) fn make_plan(
    state: &AppState,
    ir: &Ir,
    at: Option<time::OffsetDateTime>,
    decode: impl FnOnce() -> Result<Context, EvalError>,
) -> Result<(Context, time::OffsetDateTime, Plan), ApiError> {
    let m = &state.metrics;
    let start = Instant::now();
    let result = decode().and_then(|ctx| {
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

/// The context of `req` decoded against `ir`'s inputs.
pub(super) fn decode<C: Tree>(ir: &Ir, req: &Req<C>) -> Result<Context, EvalError> {
    eval::context::decode(&ir.inputs, &req.context).map_err(EvalError::from)
}

/// `/verify` for a parsed request; `looked_up` is a policy lookup already made for this
/// body, used when it was made for the request's selection (and no embedded IR).
async fn run<C: Tree + Sync>(
    state: &AppState,
    req: &Req<C>,
    looked_up: Option<LookedUp>,
) -> Result<Response, ApiError> {
    let ir = match looked_up {
        Some(((id, version, hash), ir))
            if req.ir.is_none()
                && id == req.policy_id
                && version == req.version
                && hash == req.policy_hash =>
        {
            ir?
        }
        _ => pick_ir(state, req).await?,
    };
    let at = as_of(req)?;
    let start = Instant::now();
    respond(
        state,
        &ir,
        &req.options,
        at,
        start,
        || decode(&ir, req),
        || proof_core::hash::value_sha256(&req.context).map_err(EvalError::from),
    )
    .await
}

/// The report for a context (decoded by `decode`, hashed by `hash`) as the response, with
/// the verification metrics (`start`: when the work on the context began); with a receipt,
/// once its entry is in the verification log.
async fn respond(
    state: &AppState,
    ir: &Ir,
    options: &VerifyOptions,
    at: Option<time::OffsetDateTime>,
    start: Instant,
    decode: impl FnOnce() -> Result<Context, EvalError>,
    hash: impl FnOnce() -> Result<String, EvalError>,
) -> Result<Response, ApiError> {
    let logging = if options.receipt || options.proofs {
        let Some(log) = state.receipt_log.as_ref() else {
            count_receipt(state, "refused");
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "receipts_disabled",
                "this server signs no receipts (no `signing.key_file`); verify without `options.receipt`",
            ));
        };
        Some(log)
    } else {
        None
    };
    let mut active_rules = None;
    let (ctx, at, order) = if options.adaptive {
        let (ctx, at, plan) = make_plan(state, ir, at, decode)?;
        active_rules = Some(plan.order.join(","));
        (ctx, at, Some(plan.order))
    } else {
        let ctx = decode().map_err(eval_error)?;
        let at = eval::resolve_as_of(at, &ctx);
        (ctx, at, None)
    };
    let lists = state.lists.snapshot();
    let within_grace = state.lists.settings().within_grace;
    let superseded = lists
        .superseded_in(&ctx, within_grace)
        .map_err(super::lists::superseded_error)?;
    let mut report = hash()
        .and_then(|hash| {
            eval::report(
                ir,
                &ctx,
                hash,
                at,
                &lists.registry,
                order.as_deref(),
                options.fail_fast,
            )
        })
        .map_err(eval_error)?;
    if !superseded.is_empty() {
        if within_grace == WithinGrace::Warn {
            report.verdict = report.verdict.max(eval::Verdict::Warn);
        }
        report.superseded = superseded;
    }
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
    let body = match logging {
        None => report.to_pretty_bytes().map_err(|_| ApiError::internal())?,
        Some(log) => {
            let checked = options
                .proofs
                .then(|| eval::membership_inputs(ir, &ctx, at));
            let draft =
                proof_evidence::receipt::draft(&report, &lists.registry, checked.as_deref())
                    .map_err(|e| {
                        tracing::error!(error = %e, "receipt not issued");
                        ApiError::internal()
                    })?
                    .state(eval::stated_inputs(&ctx));
            drop(ctx);
            let issued = log.append(draft).await.map_err(|e| {
                count_receipt(state, "unavailable");
                tracing::error!(error = %e, "receipt refused: not in the verification log");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "log_unavailable",
                    "the verification log cannot append now, so no receipt is issued; retry later",
                )
            })?;
            count_receipt(state, "issued");
            // Moved in rather than interpolated by `json!`, which would copy each tree.
            let mut doc = serde_json::Map::new();
            doc.insert(
                "report".into(),
                serde_json::to_value(&report).map_err(|_| ApiError::internal())?,
            );
            doc.insert("receipt".into(), issued.receipt);
            doc.insert("disclosure".into(), issued.disclosure);
            let doc = Value::Object(doc);
            let mut b = serde_json::to_vec_pretty(&doc).map_err(|_| ApiError::internal())?;
            b.push(b'\n');
            b
        }
    };
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

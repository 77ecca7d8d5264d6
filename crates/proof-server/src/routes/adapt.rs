//! `POST /proof/adapt`: the plan for a context (which rules run, in which order, why),
//! made with the configured selector. The body is a verify request; the answer is the same
//! plan `proof adapt --dry-run` prints.

use super::verify::{Req, VerifyRequest, as_of, decode, make_plan, pick_ir};
use crate::error::ApiError;
use crate::extract::JsonValue;
use crate::state::AppState;
use crate::telemetry::Outcome;
use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `POST /proof/adapt`.
#[utoipa::path(post, path = "/proof/adapt", request_body = VerifyRequest,
    responses((status = 200, description = "The plan: `policy_id`, `ir_hash`, `selector`, `as_of`, `active_rules`, `order`, `cost`, `cost_sum`, `reason`, `skipped`", content_type = "application/json", body = Object),
              (status = 422, description = "`invalid_context`, `weights_mismatch`, `invalid_request`")))]
pub async fn adapt(
    State(state): State<AppState>,
    JsonValue(body): JsonValue,
) -> Result<Response, ApiError> {
    let req = Req::from_body(body)?;
    if req.options.adaptive || req.options.fail_fast || req.options.receipt || req.options.proofs {
        return Err(ApiError::invalid(
            "`adaptive`, `fail_fast`, `receipt` and `proofs` apply to /verify, not to /proof/adapt",
        ));
    }
    let ir = pick_ir(&state, &req).await?;
    let (_, _, plan) = make_plan(&state, &ir, as_of(&req)?, || decode(&ir, &req))?;
    let body = plan.to_pretty_json().map_err(|_| ApiError::internal())?;
    let outcome = Outcome {
        active_rules: Some(plan.order.join(",")),
        policy_id: Some(plan.policy_id),
        ir_hash: Some(plan.ir_hash),
        ..Outcome::default()
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Extension(outcome),
        body,
    )
        .into_response())
}

//! The two routers: the public API and the admin listener (health, readiness, metrics,
//! cache flush), which an ingress never routes.

pub(crate) mod adapt;
pub(crate) mod admin;
mod admit;
pub(crate) mod compile;
pub mod openapi;
pub(crate) mod policies;
pub(crate) mod verify;

pub use compile::{CompileRequest, CompileResponse};
pub use policies::{ListInfo, ListsResponse, PolicyPage, PolicyResponse, PolicySummary};
pub use verify::{VerifyOptions, VerifyRequest};

use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

fn observed(router: Router<AppState>, state: &AppState) -> Router {
    let slots = admit::Slots::new(state);
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(slots, admit::admit))
        .layer(from_fn_with_state(state.clone(), telemetry::observe))
        .with_state(state.clone())
}

/// The public API.
pub fn api(state: &AppState) -> Router {
    let r = Router::new()
        .route("/verify", post(verify::verify))
        .route("/proof/adapt", post(adapt::adapt))
        .route("/policy/compile", post(compile::compile))
        .route("/policy/{id}", get(policies::get_policy))
        .route("/policies", get(policies::list_policies))
        .route("/lists", get(policies::lists))
        .route("/openapi.json", get(openapi::serve))
        .route_layer(from_fn_with_state(state.clone(), guard));
    observed(r, state)
}

/// The API's route layer: authentication, then rate limiting (inside it, so that limits
/// apply per authenticated client), then the handler; the route template goes on the
/// response for the access log. One layer rather than one per concern, because every
/// `from_fn` layer clones the services inside it on each request.
async fn guard(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let route = matched.as_ref().map_or("", MatchedPath::as_str);
    let refused = match &state.auth {
        Some(auth) => crate::auth::authorize(auth, route, &mut req).await,
        // Auth off: every request goes on.
        None => None,
    };
    let refused = refused.or_else(|| state.rate_limits.check(&state.metrics, &req));
    let mut resp = match refused {
        None => next.run(req).await,
        Some(refusal) => refusal,
    };
    telemetry::tag(&mut resp, matched.as_ref());
    resp
}

/// The admin listener.
pub fn admin(state: &AppState) -> Router {
    let r = Router::new()
        .route("/healthz", get(admin::healthz))
        .route("/readyz", get(admin::readyz))
        .route("/metrics", get(admin::metrics))
        .route("/cache/flush", post(admin::flush))
        .route_layer(from_fn(telemetry::tag_route));
    observed(r, state)
}

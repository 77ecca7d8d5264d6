//! The two routers: the public API and the admin listener (health, readiness, metrics,
//! cache flush), which an ingress never routes.

pub(crate) mod adapt;
pub(crate) mod admin;
mod admit;
pub(crate) mod compile;
pub(crate) mod keys;
pub(crate) mod lists;
pub mod openapi;
pub(crate) mod policies;
pub(crate) mod receipt_log;
pub(crate) mod verify;

pub use compile::{CompileRequest, CompileResponse};
pub use lists::{ListInfo, ListsResponse, Published, SupersededInfo};
pub use policies::{PolicyPage, PolicyResponse, PolicySummary};
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
        .layer(from_fn_with_state((state.clone(), slots), outer))
        .with_state(state.clone())
}

/// The outer layer of both routers: observation (request id, timeout, access log,
/// metrics) around admission (the body, then a slot). One layer rather than two, because
/// every `from_fn` layer clones the services inside it on each request.
async fn outer(
    State((state, slots)): State<(AppState, admit::Slots)>,
    req: Request,
    next: Next,
) -> Response {
    telemetry::observe(&state, req, |req| admit::admit(&slots, req, next)).await
}

/// The public API.
pub fn api(state: &AppState) -> Router {
    let r = Router::new()
        .route("/verify", post(verify::verify))
        .route("/proof/adapt", post(adapt::adapt))
        .route("/policy/compile", post(compile::compile))
        .route("/policy/{id}", get(policies::get_policy))
        .route("/policies", get(policies::list_policies))
        .route("/lists", get(lists::lists).post(lists::publish))
        .route("/keys", get(keys::keys))
        .route("/log/checkpoint", get(receipt_log::checkpoint))
        .route("/log/entries/{index}", get(receipt_log::entry))
        .route("/log/proof/inclusion", get(receipt_log::inclusion))
        .route("/log/proof/consistency", get(receipt_log::consistency))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]
    use utoipa::OpenApi as _;

    #[test]
    fn every_route_template_has_its_own_metric_label() {
        let api = super::openapi::ApiDoc::openapi();
        let admin = ["/healthz", "/readyz", "/metrics", "/cache/flush"];
        let templates: Vec<&str> = api.paths.paths.keys().map(String::as_str).collect();
        assert!(templates.len() >= 6, "{templates:?}");
        for t in templates.into_iter().chain(admin) {
            assert_eq!(
                crate::metrics::route_label(t),
                t,
                "`{t}` is not in metrics::ROUTES"
            );
        }
    }
}

//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/openapi.json`. A test keeps `docs/openapi.json` equal to it.

use crate::routes;
use axum::Json;
use utoipa::OpenApi;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "proof",
        description = "LkSG compliance verification: compile policies, verify contexts. Errors are application/problem+json with a stable `code`."
    ),
    paths(
        routes::verify::verify,
        routes::adapt::adapt,
        routes::compile::compile,
        routes::policies::get_policy,
        routes::policies::list_policies,
        routes::policies::lists
    ),
    components(schemas(
        routes::VerifyRequest,
        routes::VerifyOptions,
        routes::CompileRequest,
        routes::CompileResponse,
        routes::PolicyResponse,
        routes::PolicyPage,
        routes::PolicySummary,
        routes::ListsResponse,
        routes::ListInfo
    ))
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline.
#[must_use]
pub fn document() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// `GET /openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

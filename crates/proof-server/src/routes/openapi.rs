//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/openapi.json`. A test keeps `docs/openapi.json` equal to it.

use super as routes;
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
        routes::lists::lists,
        routes::lists::publish,
        routes::keys::keys,
        routes::receipt_log::checkpoint,
        routes::receipt_log::entry,
        routes::receipt_log::inclusion,
        routes::receipt_log::consistency
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
        routes::ListInfo,
        routes::SupersededInfo,
        routes::Published
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme (OAuth2 JWT access tokens; see `docs/auth.md`). The
/// scopes each route needs are configuration (`auth.scopes`), so they are described, not
/// fixed here.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "OAuth2 access token (RFC 9068 at+jwt) from the configured issuer, by the client-credentials grant. Default scopes: verify:run for POST /verify and POST /proof/adapt, policy:compile for POST /policy/compile, policy:read for GET /policy/{id}, /policies and /lists, lists:write for POST /lists; GET /keys and GET /openapi.json are public. 401 missing_token or invalid_token, 403 insufficient_scope, 503 auth_unavailable.",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

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

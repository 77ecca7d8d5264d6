//! Every API error, mapped to `application/problem+json` (RFC 9457) in one place. Each has a
//! stable `code`; clients branch on it, never on `detail`. Logging happens in the request
//! middleware, not here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `unknown_list_root`.
    pub code: &'static str,
    /// What went wrong, for people.
    pub detail: String,
    /// Extra members (e.g. `lints`, `path`).
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// An error without extra members.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// Adds a member to the problem document.
    #[must_use]
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// 400 `invalid_json`.
    pub fn bad_json(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", detail)
    }

    /// 422 `invalid_request`: JSON that does not fit the request schema.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", detail)
    }

    /// 404 `policy_not_found`.
    pub fn policy_not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "policy_not_found", detail)
    }

    /// 503 `store_unavailable`; the cause is logged by the caller, not sent.
    pub fn store() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the policy store is not available; try again",
        )
    }

    /// 500 `internal`.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("urn:proof:problem:{}", self.code)),
        );
        body.insert(
            "title".into(),
            json!(self.status.canonical_reason().unwrap_or("Error")),
        );
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("code".into(), json!(self.code));
        body.insert("detail".into(), json!(self.detail));
        for (k, v) in self.extra {
            body.insert(k, v);
        }
        let text = serde_json::to_string(&Value::Object(body)).unwrap_or_else(|_| "{}".into());
        let mut resp = (self.status, text).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

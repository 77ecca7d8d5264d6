//! Request extraction with the service's limits: content type, body size, JSON nesting
//! depth, duplicate keys, and the request schema, each refused with its own problem code.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON request body's bytes: content type and size checked, not yet parsed.
pub struct JsonBytes(pub axum::body::Bytes);

impl FromRequest<AppState> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(ct) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("send `Content-Type: application/json` (got `{ct}`)"),
            ));
        }
        let limit = state.settings.limits.body_bytes;
        axum::body::to_bytes(req.into_body(), limit)
            .await
            .map(JsonBytes)
            .map_err(|_| body_too_large(limit))
    }
}

/// The 413 for a body over `limit` bytes (here and in admission, which reads bodies first).
pub fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body exceeds {limit} bytes"),
    )
}

/// True for `application/json` and `*/*+json` media types, in any case, with or without
/// parameters (compared without allocating: this runs on every request with a body).
fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let json_suffix = mime
        .len()
        .checked_sub(5)
        .and_then(|at| mime.get(at..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"));
    mime.eq_ignore_ascii_case("application/json") || json_suffix
}

/// Parses a JSON body, refusing duplicate keys and nesting deeper than `depth`, each with
/// its own problem code.
///
/// # Errors
/// `json_too_deep` or `invalid_json`.
pub fn parse_json(bytes: &[u8], depth: usize) -> Result<Value, ApiError> {
    proof_core::json::from_slice_strict_depth(bytes, depth).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("nested deeper than") || msg.contains("recursion limit exceeded") {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "json_too_deep",
                format!("the JSON body is nested deeper than {depth} levels ({msg})"),
            )
        } else {
            ApiError::bad_json(format!("the body is not valid JSON: {msg}"))
        }
    })
}

/// A JSON request body as a value: content type, size, depth and duplicate keys checked.
pub struct JsonValue(pub Value);

impl FromRequest<AppState> for JsonValue {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes, state.settings.limits.json_depth).map(JsonValue)
    }
}

/// A JSON request body of type `T` (see [`JsonValue`] for the checks).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let JsonValue(v) = JsonValue::from_request(req, state).await?;
        serde_json::from_value(v)
            .map(JsonBody)
            .map_err(|e| ApiError::invalid(e.to_string()))
    }
}

/// Query parameters of type `T`, refused as problem+json when they do not fit.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Self(q.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
    }
}

/// Path parameters of type `T`, refused as problem+json (`invalid_path`) when they do not
/// fit, like every other error of the API.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_media_types_are_recognised_in_any_case_with_parameters() {
        for ct in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;charset=UTF-8",
            "application/problem+json",
            "application/vnd.proof.v1+JSON",
        ] {
            assert!(is_json(ct), "{ct}");
        }
        for ct in [
            "",
            "text/plain",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "+jso",
            "json",
            "ä+jsön",
        ] {
            assert!(!is_json(ct), "{ct}");
        }
    }
}

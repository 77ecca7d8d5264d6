//! Admission: a request takes one of the listener's `limits.concurrency` slots only once
//! its whole body has arrived, so clients that declare a body and send it slowly (or never)
//! cannot hold the slots of requests that are ready. The body must arrive within
//! `limits.body_read_timeout_ms` (else 408 `body_timeout`, and the connection is closed)
//! and stay within `limits.body_bytes` (else 413 `body_too_large`). `POST /lists` is the
//! exception: its handler reads the list file after authentication, under
//! `limits.lists_body_bytes` and the same time limit.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// One listener's processing slots and the body limits.
#[derive(Clone)]
pub struct Slots {
    slots: Arc<Semaphore>,
    body_bytes: usize,
    body_timeout: Duration,
}

impl Slots {
    pub fn new(state: &AppState) -> Self {
        let l = &state.settings.limits;
        Self {
            slots: Arc::new(Semaphore::new(l.concurrency)),
            body_bytes: l.body_bytes,
            body_timeout: Duration::from_millis(l.body_read_timeout_ms),
        }
    }
}

fn is_list_upload(req: &Request) -> bool {
    req.method() == axum::http::Method::POST && req.uri().path() == "/lists"
}

/// Reads the body, then waits for a slot, then runs the request.
pub async fn admit(s: &Slots, req: Request, next: Next) -> Response {
    // A list file (`POST /lists`) is read by its handler, after authentication, under its
    // own larger limit: a client without `lists:write` never gets that far.
    let req = if req.body().size_hint().exact() == Some(0) || is_list_upload(&req) {
        req
    } else {
        let limit = s.body_bytes;
        let (parts, body) = req.into_parts();
        match tokio::time::timeout(s.body_timeout, axum::body::to_bytes(body, limit)).await {
            Ok(Ok(bytes)) => Request::from_parts(parts, Body::from(bytes)),
            Ok(Err(_)) => return crate::extract::body_too_large(limit).into_response(),
            Err(_) => {
                let mut resp = ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    format!(
                        "the request body did not arrive within {} ms",
                        s.body_timeout.as_millis()
                    ),
                )
                .into_response();
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return resp;
            }
        }
    };
    // The semaphore is never closed, so acquiring fails only in theory; then the request
    // goes on without a slot rather than failing.
    let list_upload = is_list_upload(&req);
    let _slot = s.slots.acquire().await.ok();
    let mut resp = next.run(req).await;
    if list_upload && !resp.status().is_success() {
        // A refused list upload may leave its body unread, and then the connection cannot
        // carry another request: say so, so that the client does not reuse it.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

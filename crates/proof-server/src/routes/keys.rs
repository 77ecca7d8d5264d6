//! `GET /keys`: the public keys receipts are signed with (a JWK set, docs/keys.md).

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// `GET /keys`: the active key first, then the retired ones; `{"keys": []}` when the
/// service signs no receipts. Public halves only.
#[utoipa::path(get, path = "/keys", responses((status = 200, description = "A JWK set (RFC 7517) of Ed25519 keys (RFC 8037)", body = Object)))]
pub async fn keys(State(state): State<AppState>) -> Json<Value> {
    Json(
        state
            .signing
            .as_ref()
            .map_or_else(|| json!({"keys": []}), |k| k.jwks()),
    )
}

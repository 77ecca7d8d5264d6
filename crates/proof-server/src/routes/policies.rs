//! Reading policies: `GET /policy/{id}`, `GET /policies`, and the
//! resolution of "policy id + version/hash/latest" to a compiled IR that `/verify` shares.

use crate::cache::Lookup;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store::{PolicyStore, Selector, StoredPolicy};
use axum::Json;
use axum::extract::State;
use proof_core::ir::Ir;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Which version of a policy (`version` or `hash`; neither means the latest).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PolicyQuery {
    /// A version string.
    pub version: Option<String>,
    /// A `sha256:` policy hash.
    pub hash: Option<String>,
}

/// One stored policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyResponse {
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// Policy hash.
    pub policy_hash: String,
    /// IR hash.
    pub ir_hash: String,
    /// When it was stored (RFC 3339).
    pub created_at: String,
    /// The compiled IR.
    #[schema(value_type = Object)]
    pub ir: Value,
}

/// Page parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

/// A policy in a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicySummary {
    /// Policy id.
    pub policy_id: String,
    /// Version.
    pub version: String,
    /// Policy hash.
    pub policy_hash: String,
    /// IR hash.
    pub ir_hash: String,
    /// When it was stored.
    pub created_at: String,
}

/// A page of policies, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyPage {
    /// The policies.
    pub items: Vec<PolicySummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

pub(super) fn selector(
    version: Option<String>,
    hash: Option<String>,
) -> Result<Selector, ApiError> {
    match (version, hash) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "give `version` or the policy hash, not both",
        )),
        (Some(v), None) => Ok(Selector::Version(v)),
        (None, Some(h)) => Ok(Selector::Hash(h)),
        (None, None) => Ok(Selector::Latest),
    }
}

async fn fetch(state: &AppState, id: &str, sel: &Selector) -> Result<StoredPolicy, ApiError> {
    let found = state.store.get(id, sel).await.map_err(|e| {
        state.metrics.store_errors.inc();
        tracing::error!(error = %e, policy_id = id, "store read failed");
        ApiError::store()
    })?;
    found.ok_or_else(|| {
        let which = match sel {
            Selector::Latest => String::new(),
            Selector::Version(v) => format!(" version `{v}`"),
            Selector::Hash(h) => format!(" with hash `{h}`"),
        };
        ApiError::policy_not_found(format!("no policy `{id}`{which}"))
    })
}

fn parse_ir(state: &AppState, p: &StoredPolicy) -> Result<Arc<Ir>, ApiError> {
    let ir = Ir::from_json_str(&p.ir).map_err(|e| {
        tracing::error!(error = %e, policy_id = %p.policy_id, "stored IR does not validate");
        ApiError::internal()
    })?;
    let ir = Arc::new(ir);
    state.cache.insert(Arc::clone(&ir));
    Ok(ir)
}

/// The compiled IR for a policy id and selector, from the cache when possible.
pub(super) async fn resolve(
    state: &AppState,
    id: &str,
    sel: &Selector,
) -> Result<Arc<Ir>, ApiError> {
    let known = match state.cache.lookup(id, sel) {
        Lookup::Hit(ir) => return Ok(ir),
        Lookup::Miss => true,
        Lookup::Unknown => false,
    };
    let stored = fetch(state, id, sel).await?;
    if *sel == Selector::Latest {
        state.cache.set_latest(id, &stored.policy_hash);
    }
    if !known && let Some(ir) = state.cache.get(id, &stored.policy_hash) {
        return Ok(ir);
    }
    parse_ir(state, &stored)
}

/// `GET /policy/{id}`: the latest version, or `?version=` / `?hash=`.
#[utoipa::path(get, path = "/policy/{id}", params(("id" = String, Path, description = "Policy id"), PolicyQuery),
    responses((status = 200, body = PolicyResponse), (status = 404, description = "`policy_not_found`")))]
pub async fn get_policy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PolicyQuery>,
) -> Result<Json<PolicyResponse>, ApiError> {
    let sel = selector(q.version, q.hash)?;
    let p = fetch(&state, &id, &sel).await?;
    let ir: Value = serde_json::from_str(&p.ir).map_err(|_| ApiError::internal())?;
    Ok(Json(PolicyResponse {
        policy_id: p.policy_id,
        version: p.version,
        policy_hash: p.policy_hash,
        ir_hash: p.ir_hash,
        created_at: p.created_at,
        ir,
    }))
}

/// `GET /policies`: stored policies, oldest first, a page at a time.
#[utoipa::path(get, path = "/policies", params(PageQuery), responses((status = 200, body = PolicyPage)))]
pub async fn list_policies(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<PolicyPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("`limit` must be between 1 and 500"));
    }
    let rows = state
        .store
        .list(q.cursor.unwrap_or(0), limit + 1)
        .await
        .map_err(|e| {
            state.metrics.store_errors.inc();
            tracing::error!(error = %e, "store list failed");
            ApiError::store()
        })?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    let items: Vec<StoredPolicy> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let next_cursor = if more {
        items.last().map(|p| p.seq)
    } else {
        None
    };
    let items = items
        .into_iter()
        .map(|p| PolicySummary {
            policy_id: p.policy_id,
            version: p.version,
            policy_hash: p.policy_hash,
            ir_hash: p.ir_hash,
            created_at: p.created_at,
        })
        .collect();
    Ok(Json(PolicyPage { items, next_cursor }))
}

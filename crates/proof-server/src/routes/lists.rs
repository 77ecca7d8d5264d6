//! `GET /lists` (what this replica serves: current lists and each stored list's
//! superseded versions) and `POST /lists` (publish a new version of a list to the store).

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::lists::{Origin, Refused, Served, Snapshot, Superseded};
use crate::state::AppState;
use crate::store::{ListPut, NewListVersion};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use proof_core::lists::{RefList, parse_list};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// A list in service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListInfo {
    /// Name.
    pub name: String,
    /// `entity`, `region`, `hash` or `id`.
    pub kind: String,
    /// Merkle root, 64 hex digits: what a context names it by.
    pub root: String,
    /// Entries in the file.
    pub entries: usize,
    /// Distinct leaves.
    pub distinct: usize,
    /// Provenance from the file header (source, format, publisher date, ...).
    pub meta: BTreeMap<String, String>,
    /// `file` (from `lists_dir`) or `store` (published with `POST /lists`).
    pub origin: String,
    /// The stored version; absent for file lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the served version was published (file lists: when the file changed), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Earlier versions of a stored list, oldest first.
    pub superseded: Vec<SupersededInfo>,
}

/// A stored version that a later one replaced.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupersededInfo {
    /// Version.
    pub version: String,
    /// Its root.
    pub root: String,
    /// Its distinct leaves.
    pub size: i64,
    /// When it was published.
    pub published_at: String,
    /// When the next version was published.
    pub superseded_at: String,
    /// The next version.
    pub superseded_by: String,
    /// True while a context naming it is still evaluated (within `lists.superseded_grace_s`).
    pub evaluated: bool,
}

/// Every list in service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListsResponse {
    /// Lists ordered by root.
    pub lists: Vec<ListInfo>,
}

fn superseded_info(s: &Superseded) -> SupersededInfo {
    SupersededInfo {
        version: s.version.version.clone(),
        root: s.version.root.clone(),
        size: s.version.size,
        published_at: s.version.created_at.clone(),
        superseded_at: s.at().to_owned(),
        superseded_by: s.by.version.clone(),
        evaluated: s.loaded,
    }
}

fn info(snap: &Snapshot, s: &Served) -> ListInfo {
    let l = &s.list;
    let (origin, version) = match &s.origin {
        Origin::File { .. } => ("file", None),
        Origin::Store(v) => ("store", Some(v.version.clone())),
    };
    ListInfo {
        name: l.name.clone(),
        kind: l.kind.name().to_owned(),
        root: l.root_hex().to_owned(),
        entries: l.entries,
        distinct: l.len(),
        meta: l.meta.clone(),
        origin: origin.to_owned(),
        version,
        published_at: s.published().map(proof_core::temporal::format_timestamp),
        superseded: snap.superseded_of(&l.name).map(superseded_info).collect(),
    }
}

/// `GET /lists`: roots, sizes, versions and provenance of the lists in service.
#[utoipa::path(get, path = "/lists", responses((status = 200, body = ListsResponse)))]
pub async fn lists(State(state): State<AppState>) -> Json<ListsResponse> {
    let snap = state.lists.snapshot();
    let mut lists: Vec<ListInfo> = snap.current.values().map(|s| info(&snap, s)).collect();
    lists.sort_by(|a, b| a.root.cmp(&b.root));
    Json(ListsResponse { lists })
}

/// Which list and version a published file is.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PublishQuery {
    /// The list's name; default: the file's `# name:` header. Both given must agree.
    pub name: Option<String>,
    /// The version, unique per list (for example the publisher's file date).
    pub version: String,
}

/// What `POST /lists` stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Leaf kind.
    pub kind: String,
    /// Merkle root, computed from the file.
    pub root: String,
    /// Distinct leaves.
    pub size: usize,
    /// Entries before de-duplication.
    pub entries: usize,
    /// When it was stored, RFC 3339.
    pub created_at: String,
}

fn token_ok(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

fn invalid_list(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_list", detail)
}

fn conflict(code: &'static str, detail: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, detail)
}

/// Reads and checks the list file of a `POST /lists` request.
async fn read_list(
    state: &AppState,
    q: &PublishQuery,
    req: Request,
) -> Result<(RefList, String), ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ct != "text/csv" && ct != "text/plain" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the list file with `Content-Type: text/csv` (got `{ct}`)"),
        ));
    }
    let limit = state.settings.limits.lists_body_bytes;
    let timeout = std::time::Duration::from_millis(state.settings.limits.body_read_timeout_ms);
    let bytes = tokio::time::timeout(timeout, axum::body::to_bytes(req.into_body(), limit))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the list file did not arrive within {} ms",
                    timeout.as_millis()
                ),
            )
        })?
        .map_err(|_| crate::extract::body_too_large(limit))?;
    // Without a copy when the body is one buffer (it is up to `lists_body_bytes`).
    let text = String::from_utf8(Vec::from(bytes))
        .map_err(|e| invalid_list(format!("the list file is not UTF-8: {e}")))?;
    let default_name = q.name.clone().unwrap_or_default();
    let (list, text) = tokio::task::spawn_blocking(move || {
        let list = parse_list(&default_name, &text);
        (list, text)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let list = list.map_err(|e| invalid_list(format!("the list file: {e}")))?;
    if let (Some(n), Some(h)) = (&q.name, list.meta.get("name"))
        && n != h
    {
        return Err(invalid_list(format!(
            "`name` is `{n}` but the file's `# name:` header says `{h}`"
        )));
    }
    if list.name.is_empty() {
        return Err(invalid_list(
            "name the list: `?name=` or a `# name:` header line",
        ));
    }
    if !token_ok(&list.name, &['.', '_', '-']) {
        return Err(invalid_list(format!(
            "list name `{}`: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            list.name
        )));
    }
    if let Some(stated) = list.meta.get("root")
        && stated != list.root_hex()
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "root_mismatch",
            format!(
                "the file's `# root:` header says {stated}, but its leaves give {}; the file was changed after import",
                list.root_hex()
            ),
        ));
    }
    Ok((list, text))
}

/// `POST /lists?version=V[&name=N]`: stores a new version of a list from its list file
/// (the body, `text/csv`; `limits.lists_body_bytes`). The root is computed here; the
/// replica that stored it serves it on return, the others within a poll interval.
#[utoipa::path(post, path = "/lists", params(PublishQuery),
    request_body(content = String, content_type = "text/csv", description = "A list file, as `proof lists import` writes it"),
    responses((status = 201, body = Published),
              (status = 409, description = "`list_version_exists`, `list_name_taken`, `list_kind_changed`"),
              (status = 413, description = "`body_too_large` (over `limits.lists_body_bytes`)"),
              (status = 415, description = "`unsupported_media_type`"),
              (status = 422, description = "`invalid_list`, `root_mismatch`")))]
pub async fn publish(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PublishQuery>,
    req: Request,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    if !token_ok(&q.version, &['.', '_', '-', ':', '+']) {
        return Err(ApiError::invalid(format!(
            "version `{}`: 1 to 64 letters, digits, `.`, `_`, `-`, `:` or `+`, starting with a letter or digit",
            q.version
        )));
    }
    let (list, body) = read_list(&state, &q, req).await?;
    let snap = state.lists.snapshot();
    if matches!(
        snap.current.get(&list.name).map(|s| &s.origin),
        Some(Origin::File { .. })
    ) {
        return Err(conflict(
            "list_name_taken",
            format!(
                "a list named `{}` is loaded from the lists directory; publish under another name",
                list.name
            ),
        ));
    }
    if let Some(earlier) = snap.versions.iter().rev().find(|v| v.name == list.name)
        && earlier.kind != list.kind.name()
    {
        return Err(conflict(
            "list_kind_changed",
            format!(
                "list `{}` holds `{}` leaves (version `{}`); this file holds `{}` leaves",
                list.name,
                earlier.kind,
                earlier.version,
                list.kind.name()
            ),
        ));
    }
    let new = NewListVersion {
        name: list.name.clone(),
        version: q.version.clone(),
        kind: list.kind.name().to_owned(),
        root: list.root_hex().to_owned(),
        size: i64::try_from(list.len()).unwrap_or(i64::MAX),
        entries: i64::try_from(list.entries).unwrap_or(i64::MAX),
        provenance: serde_json::to_string(&list.meta).map_err(|_| ApiError::internal())?,
        body,
    };
    let stored = state.store.put_list(&new).await.map_err(|e| {
        state.metrics.store_errors.inc();
        tracing::error!(error = %e, list = %new.name, "storing a list version failed");
        ApiError::store()
    })?;
    let v = match stored {
        ListPut::Stored(v) => v,
        ListPut::VersionExists { root } => {
            let same = if root == new.root {
                " with the same root"
            } else {
                ""
            };
            return Err(conflict(
                "list_version_exists",
                format!(
                    "list `{}` already has version `{}`{same}; versions are immutable, publish a new version",
                    new.name, new.version
                ),
            )
            .with("root", json!(root)));
        }
    };
    tracing::info!(list = %v.name, version = %v.version, root = %v.root, leaves = v.size, "list version stored");
    state.lists.adopt(v.seq, Arc::new(list)).await;
    // This replica serves it on return; a failure here is retried by the poll.
    let _ = state.lists.refresh(&state.store).await;
    Ok((
        StatusCode::CREATED,
        Json(Published {
            name: v.name,
            version: v.version,
            kind: v.kind,
            root: v.root,
            size: usize::try_from(v.size).unwrap_or(0),
            entries: usize::try_from(v.entries).unwrap_or(0),
            created_at: v.created_at,
        }),
    ))
}

/// The problem for a context naming a superseded version past its grace period.
pub(super) fn superseded_error(r: Refused) -> ApiError {
    let s = &r.superseded;
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "list_superseded",
        format!(
            "$.{}: list `{}` version `{}` (root {}) was superseded at {} by version `{}` (root {}) and is no longer evaluated; rebuild the context with the current list",
            r.input,
            s.version.name,
            s.version.version,
            s.version.root,
            s.at(),
            s.by.version,
            s.by.root
        ),
    )
    .with("path", json!(format!("$.{}", r.input)))
    .with("list", json!(s.version.name))
    .with("version", json!(s.version.version))
    .with("root", json!(s.version.root))
    .with("superseded_at", json!(s.at()))
    .with("superseded_by", json!(s.by.version))
    .with("superseded_by_root", json!(s.by.root))
}

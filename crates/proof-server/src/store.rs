//! The policy store: compiled policies as immutable versions keyed by `(policy_id,
//! policy_hash)`, one version string per policy id, and reference lists as immutable
//! versions keyed by `(name, version)` ([`lists`]). One trait, [`PolicyStore`], with a
//! SQLite implementation (the embedded default) and a PostgreSQL one (several replicas),
//! each with its own migrations under `migrations/`. Every write is one transaction.

mod lists;
mod receipt_log;
mod sql;

pub use lists::{ListPut, ListVersion, NewListVersion};
pub use receipt_log::{Head, LogEntryRow, NewLogEntry, StoredCheckpoint};

use proof_core::hash::CanonicalError;
use proof_core::ir::Ir;
use sql::{PgStore, SqliteStore};
use std::future::Future;

/// A policy to store.
#[derive(Clone, Debug)]
pub struct NewPolicy {
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub version: String,
    /// `sha256:` of the parsed policy document.
    pub policy_hash: String,
    /// `sha256:` of the IR.
    pub ir_hash: String,
    /// The IR, canonical JSON.
    pub ir: String,
    /// The policy source as submitted (YAML or JSON text).
    pub source: String,
}

impl NewPolicy {
    /// The row for a compiled policy and the source it came from.
    ///
    /// # Errors
    /// When the IR cannot be canonicalised.
    pub fn from_ir(ir: &Ir, source: String) -> Result<Self, CanonicalError> {
        let bytes = ir.canonical_bytes()?;
        Ok(Self {
            policy_id: ir.policy_id.clone(),
            version: ir.version.clone(),
            policy_hash: ir.policy_hash.clone(),
            ir_hash: ir.ir_hash.clone(),
            // INVARIANT: canonical JSON is UTF-8.
            ir: String::from_utf8_lossy(&bytes).into_owned(),
            source,
        })
    }
}

/// A stored policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPolicy {
    /// Insertion order; later versions have higher numbers.
    pub seq: i64,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub version: String,
    /// Policy hash.
    pub policy_hash: String,
    /// IR hash.
    pub ir_hash: String,
    /// The IR, canonical JSON.
    pub ir: String,
    /// The source as submitted.
    pub source: String,
    /// When it was stored, RFC 3339 UTC.
    pub created_at: String,
}

/// Which version of a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The most recently stored version.
    Latest,
    /// A version string.
    Version(String),
    /// A policy hash.
    Hash(String),
}

/// What a put did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// Newly stored.
    Stored,
    /// The same policy was already stored (idempotent).
    AlreadyStored,
    /// Another policy is stored under this id and version.
    Conflict {
        /// The hash of the policy already stored.
        existing_hash: String,
    },
}

/// A store failure (connection, SQL, migration).
#[derive(Debug, thiserror::Error)]
#[error("store error: {0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.to_string())
    }
}

/// The store interface.
pub trait PolicyStore: Send + Sync {
    /// Stores a policy unless it is already there.
    fn put(&self, p: &NewPolicy) -> impl Future<Output = Result<PutOutcome, StoreError>> + Send;
    /// One version of a policy.
    fn get(
        &self,
        id: &str,
        sel: &Selector,
    ) -> impl Future<Output = Result<Option<StoredPolicy>, StoreError>> + Send;
    /// Policies ordered by `seq`, after `after_seq`, at most `limit`.
    fn list(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<StoredPolicy>, StoreError>> + Send;
    /// Checks the store answers.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The configured store.
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

impl Store {
    /// Connects to `url` (`sqlite:` or `postgres://`) and runs the migrations.
    ///
    /// # Errors
    /// When the store cannot be reached or migrated.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(
                SqliteStore::connect(url, max_connections).await?,
            ))
        } else {
            Ok(Self::Postgres(
                PgStore::connect(url, max_connections).await?,
            ))
        }
    }

    /// `sqlite` or `postgres`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

impl PolicyStore for Store {
    async fn put(&self, p: &NewPolicy) -> Result<PutOutcome, StoreError> {
        match self {
            Self::Sqlite(s) => s.put(p).await,
            Self::Postgres(s) => s.put(p).await,
        }
    }
    async fn get(&self, id: &str, sel: &Selector) -> Result<Option<StoredPolicy>, StoreError> {
        match self {
            Self::Sqlite(s) => s.get(id, sel).await,
            Self::Postgres(s) => s.get(id, sel).await,
        }
    }
    async fn list(&self, after_seq: i64, limit: i64) -> Result<Vec<StoredPolicy>, StoreError> {
        match self {
            Self::Sqlite(s) => s.list(after_seq, limit).await,
            Self::Postgres(s) => s.list(after_seq, limit).await,
        }
    }
    async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.ping().await,
            Self::Postgres(s) => s.ping().await,
        }
    }
}

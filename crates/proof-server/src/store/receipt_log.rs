//! The verification log in the store: entries by index, the signed checkpoint of every
//! size the log reached, and one head row whose lock orders the appends of every replica.

use super::{SqliteStore, Store, StoreError};
use sqlx::Row;

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewLogEntry {
    /// Its index.
    pub index: u64,
    /// The RFC 6962 leaf hash of the receipt's signed statement, hex.
    pub leaf_hash: String,
    /// The receipt (the DSSE envelope), JSON.
    pub receipt: String,
}

/// A signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size.
    pub size: u64,
    /// The log's origin.
    pub origin: String,
    /// The root, hex.
    pub root: String,
    /// The signed note.
    pub note: String,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntryRow {
    /// Its index.
    pub index: u64,
    /// Its leaf hash, hex.
    pub leaf_hash: String,
    /// The receipt, JSON.
    pub receipt: String,
    /// When it was appended, RFC 3339 UTC.
    pub created_at: String,
}

fn i(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError(format!("log index {n} out of range")))
}

fn u(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError(format!("negative log index {n}")))
}

/// What `append` hands to the batch: the size of the log in the store and the leaf hashes
/// of the entries from the caller's known size to it (appended by other replicas).
pub type Head = (u64, Vec<String>);

macro_rules! log_store {
    ($store:ty, $db:ty, $p:expr) => {
        impl $store {
            async fn log_leaves(&self, from: u64) -> Result<Vec<(u64, String)>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT idx, leaf_hash FROM receipt_log_entries WHERE idx >= {} ORDER BY idx",
                    $p[0]
                )))
                .bind(i(from)?)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((u(r.try_get("idx")?)?, r.try_get("leaf_hash")?)))
                    .collect()
            }

            async fn log_append<T: Send>(
                &self,
                known: u64,
                batch: impl FnOnce(Head) -> Result<(Vec<NewLogEntry>, StoredCheckpoint, T), String>
                + Send,
            ) -> Result<T, StoreError> {
                let mut tx = self.pool.begin().await?;
                // The write lock first: appends of every replica queue here.
                sqlx::query("UPDATE receipt_log_head SET size = size WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let size: i64 = sqlx::query("SELECT size FROM receipt_log_head WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("size")?;
                let size = u(size)?;
                let missing = if size > known {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT leaf_hash FROM receipt_log_entries WHERE idx >= {} ORDER BY idx",
                        $p[0]
                    )))
                    .bind(i(known)?)
                    .fetch_all(&mut *tx)
                    .await?;
                    rows.iter()
                        .map(|r| r.try_get("leaf_hash"))
                        .collect::<Result<Vec<String>, _>>()?
                } else {
                    Vec::new()
                };
                let (entries, cp, out) = batch((size, missing)).map_err(StoreError)?;
                let now = super::sql::now();
                if !entries.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO receipt_log_entries (idx, leaf_hash, receipt, created_at) ",
                    );
                    let rows = entries
                        .iter()
                        .map(|e| Ok((i(e.index)?, e)))
                        .collect::<Result<Vec<_>, StoreError>>()?;
                    q.push_values(rows, |mut b, (idx, e)| {
                        b.push_bind(idx)
                            .push_bind(e.leaf_hash.clone())
                            .push_bind(e.receipt.clone())
                            .push_bind(now.clone());
                    });
                    q.build().execute(&mut *tx).await?;
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO receipt_log_checkpoints (size, origin, root, note, created_at) \
                     VALUES ({}, {}, {}, {}, {}) ON CONFLICT (size) DO NOTHING",
                    $p[0], $p[1], $p[2], $p[3], $p[4]
                )))
                .bind(i(cp.size)?)
                .bind(&cp.origin)
                .bind(&cp.root)
                .bind(&cp.note)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE receipt_log_head SET size = {} WHERE id = 1",
                    $p[0]
                )))
                .bind(i(cp.size)?)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(out)
            }

            async fn log_entry(&self, index: u64) -> Result<Option<LogEntryRow>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT idx, leaf_hash, receipt, created_at FROM receipt_log_entries WHERE idx = {}",
                    $p[0]
                )))
                .bind(i(index)?)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok(LogEntryRow {
                        index: u(r.try_get("idx")?)?,
                        leaf_hash: r.try_get("leaf_hash")?,
                        receipt: r.try_get("receipt")?,
                        created_at: r.try_get("created_at")?,
                    })
                })
                .transpose()
            }

            async fn log_checkpoint(
                &self,
                size: Option<u64>,
            ) -> Result<Option<StoredCheckpoint>, StoreError> {
                let q = match size {
                    Some(_) => format!(
                        "SELECT size, origin, root, note FROM receipt_log_checkpoints WHERE size = {}",
                        $p[0]
                    ),
                    None => "SELECT size, origin, root, note FROM receipt_log_checkpoints \
                             ORDER BY size DESC LIMIT 1"
                        .to_owned(),
                };
                let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
                if let Some(s) = size {
                    query = query.bind(i(s)?);
                }
                let row = query.fetch_optional(&self.pool).await?;
                row.map(|r| {
                    Ok(StoredCheckpoint {
                        size: u(r.try_get("size")?)?,
                        origin: r.try_get("origin")?,
                        root: r.try_get("root")?,
                        note: r.try_get("note")?,
                    })
                })
                .transpose()
            }
        }
    };
}

log_store!(SqliteStore, sqlx::Sqlite, ["?1", "?2", "?3", "?4", "?5"]);
log_store!(
    super::PgStore,
    sqlx::Postgres,
    ["$1", "$2", "$3", "$4", "$5"]
);

impl Store {
    /// The leaf hashes of the entries from index `from` on, in order.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn log_leaves(&self, from: u64) -> Result<Vec<(u64, String)>, StoreError> {
        match self {
            Self::Sqlite(s) => s.log_leaves(from).await,
            Self::Postgres(s) => s.log_leaves(from).await,
        }
    }

    /// Appends one batch in one transaction under the log's lock: `batch` gets the log's
    /// size in the store and the leaf hashes appended since `known` (by other replicas),
    /// and returns the entries to append, the signed checkpoint of the new size, and what
    /// the caller wants back once the transaction has committed.
    ///
    /// # Errors
    /// When the store fails or `batch` refuses (nothing is written then).
    pub async fn log_append<T: Send>(
        &self,
        known: u64,
        batch: impl FnOnce(Head) -> Result<(Vec<NewLogEntry>, StoredCheckpoint, T), String> + Send,
    ) -> Result<T, StoreError> {
        match self {
            Self::Sqlite(s) => s.log_append(known, batch).await,
            Self::Postgres(s) => s.log_append(known, batch).await,
        }
    }

    /// The entry at `index`.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn log_entry(&self, index: u64) -> Result<Option<LogEntryRow>, StoreError> {
        match self {
            Self::Sqlite(s) => s.log_entry(index).await,
            Self::Postgres(s) => s.log_entry(index).await,
        }
    }

    /// The checkpoint of `size`, or the latest one.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn log_checkpoint(
        &self,
        size: Option<u64>,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        match self {
            Self::Sqlite(s) => s.log_checkpoint(size).await,
            Self::Postgres(s) => s.log_checkpoint(size).await,
        }
    }
}

//! Reference lists in the store: immutable versions keyed by `(name, version)`. A version
//! row holds the list file as published (`body`) and what was computed from it (kind,
//! root, size, entries, provenance), so that replicas can list versions without reading
//! bodies and load a body only when a version is new to them.

use super::{SqliteStore, Store, StoreError};
use sqlx::Row;

/// A list version to store.
#[derive(Clone, Debug)]
pub struct NewListVersion {
    /// List name.
    pub name: String,
    /// Version string, unique per name.
    pub version: String,
    /// Leaf kind (`entity`, `region`, `hash`, `id`).
    pub kind: String,
    /// Merkle root, 64 hex digits.
    pub root: String,
    /// Distinct leaves.
    pub size: i64,
    /// Entries in the file before de-duplication.
    pub entries: i64,
    /// The file's header lines as a JSON object.
    pub provenance: String,
    /// The list file.
    pub body: String,
}

/// A stored list version, without its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListVersion {
    /// Insertion order; a later version of a name has a higher number.
    pub seq: i64,
    /// List name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Leaf kind.
    pub kind: String,
    /// Merkle root, 64 hex digits.
    pub root: String,
    /// Distinct leaves.
    pub size: i64,
    /// Entries before de-duplication.
    pub entries: i64,
    /// Header lines as a JSON object.
    pub provenance: String,
    /// When it was stored, RFC 3339 UTC.
    pub created_at: String,
}

/// What storing a list version did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListPut {
    /// Stored as a new version.
    Stored(ListVersion),
    /// This name already has this version (versions are immutable); its root.
    VersionExists {
        /// The root stored under that version.
        root: String,
    },
}

const META: &str = "seq, name, version, kind, root, size, entries, provenance, created_at";

fn row_to_version<R: Row>(r: &R) -> Result<ListVersion, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ListVersion {
        seq: r.try_get("seq")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        kind: r.try_get("kind")?,
        root: r.try_get("root")?,
        size: r.try_get("size")?,
        entries: r.try_get("entries")?,
        provenance: r.try_get("provenance")?,
        created_at: r.try_get("created_at")?,
    })
}

macro_rules! list_store {
    ($store:ty, $p:expr) => {
        impl $store {
            /// Stores a version unless the name already has it; one transaction.
            pub(super) async fn put_list(&self, l: &NewListVersion) -> Result<ListPut, StoreError> {
                let mut tx = self.pool.begin().await?;
                let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT root FROM lists WHERE name = {} AND version = {}",
                    $p[0], $p[1]
                )))
                .bind(&l.name)
                .bind(&l.version)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(r) = existing {
                    return Ok(ListPut::VersionExists { root: r.try_get("root")? });
                }
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO lists (name, version, kind, root, size, entries, provenance, body, created_at) \
                     VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING RETURNING {META}",
                    $p[0], $p[1], $p[2], $p[3], $p[4], $p[5], $p[6], $p[7], $p[8]
                )))
                .bind(&l.name)
                .bind(&l.version)
                .bind(&l.kind)
                .bind(&l.root)
                .bind(l.size)
                .bind(l.entries)
                .bind(&l.provenance)
                .bind(&l.body)
                .bind(super::sql::now())
                .fetch_optional(&mut *tx)
                .await?;
                let outcome = match row {
                    Some(r) => ListPut::Stored(row_to_version(&r)?),
                    // A concurrent writer stored this version between the check and the
                    // insert; immutable versions make that a duplicate like any other.
                    None => ListPut::VersionExists { root: String::new() },
                };
                tx.commit().await?;
                Ok(outcome)
            }

            /// Every version of every list, by `seq`, without bodies.
            pub(super) async fn list_versions(&self) -> Result<Vec<ListVersion>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {META} FROM lists ORDER BY seq"
                )))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(row_to_version).collect::<Result<_, _>>()?)
            }

            /// The body of the version with this `seq`.
            pub(super) async fn list_body(&self, seq: i64) -> Result<Option<String>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT body FROM lists WHERE seq = {}",
                    $p[0]
                )))
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| r.try_get("body")).transpose()?)
            }
        }
    };
}

list_store!(
    SqliteStore,
    ["?1", "?2", "?3", "?4", "?5", "?6", "?7", "?8", "?9"]
);
list_store!(
    super::PgStore,
    ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9"]
);

impl Store {
    /// Stores a list version unless its name already has that version.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn put_list(&self, l: &NewListVersion) -> Result<ListPut, StoreError> {
        match self {
            Self::Sqlite(s) => s.put_list(l).await,
            Self::Postgres(s) => s.put_list(l).await,
        }
    }

    /// Every list version, oldest first, without bodies.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_versions(&self) -> Result<Vec<ListVersion>, StoreError> {
        match self {
            Self::Sqlite(s) => s.list_versions().await,
            Self::Postgres(s) => s.list_versions().await,
        }
    }

    /// One version's list file.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list_body(&self, seq: i64) -> Result<Option<String>, StoreError> {
        match self {
            Self::Sqlite(s) => s.list_body(seq).await,
            Self::Postgres(s) => s.list_body(seq).await,
        }
    }
}

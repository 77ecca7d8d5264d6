//! The SQLite and PostgreSQL stores. Their logic is identical and their SQL differs only in
//! placeholders (`?` and `$1`), so both are generated from one template.

use super::{NewPolicy, PolicyStore, PutOutcome, Selector, StoreError, StoredPolicy};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

const COLUMNS: &str = "seq, policy_id, version, policy_hash, ir_hash, ir, source, created_at";

/// The SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

/// The PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(super) pool: PgPool,
}

impl SqliteStore {
    /// Opens (creating if missing) and migrates. WAL journal, `synchronous = FULL`: a
    /// committed policy survives a crash.
    pub(super) async fn connect(url: &str, max: u32) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = opts
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create `{}`: {e}", dir.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(opts)
            .await?;
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrate(&mut migrator, &pool).await?;
        Ok(Self { pool })
    }
}

impl PgStore {
    /// Connects and migrates (migrations take an advisory lock, so replicas starting
    /// together do not race).
    pub(super) async fn connect(url: &str, max: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrate(&mut migrator, &pool).await?;
        Ok(Self { pool })
    }
}

/// Applies this binary's migrations (under the database's lock) and tolerates migrations
/// it does not know: those are a newer release's, which only add (docs/deploy.md#migrations),
/// so that a rollback to this binary starts against the newer schema.
async fn migrate<'a, DB>(
    migrator: &mut sqlx::migrate::Migrator,
    pool: &'a sqlx::Pool<DB>,
) -> Result<(), StoreError>
where
    DB: sqlx::Database,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
    &'a sqlx::Pool<DB>: sqlx::Executor<'a, Database = DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<<DB as sqlx::Database>::Row>,
{
    migrator.set_ignore_missing(true);
    migrator
        .run(pool)
        .await
        .map_err(|e| StoreError(e.to_string()))?;
    let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let mut newer: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await?;
    newer.retain(|v| *v > known);
    newer.sort_unstable();
    if !newer.is_empty() {
        tracing::warn!(
            known,
            newer = ?newer,
            "the store's schema has migrations newer than this binary (a rollback?); \
             running on it, since migrations only add within a release"
        );
    }
    Ok(())
}

fn row_to_policy<R: Row>(r: &R) -> Result<StoredPolicy, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredPolicy {
        seq: r.try_get("seq")?,
        policy_id: r.try_get("policy_id")?,
        version: r.try_get("version")?,
        policy_hash: r.try_get("policy_hash")?,
        ir_hash: r.try_get("ir_hash")?,
        ir: r.try_get("ir")?,
        source: r.try_get("source")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(super) fn now() -> String {
    proof_core::temporal::format_timestamp(time::OffsetDateTime::now_utc())
}

macro_rules! sql_store {
    ($store:ident, $p1:literal, $p2:literal, $p3:literal, $p4:literal, $p5:literal, $p6:literal, $p7:literal) => {
        impl PolicyStore for $store {
            async fn put(&self, p: &NewPolicy) -> Result<PutOutcome, StoreError> {
                let mut tx = self.pool.begin().await?;
                let inserted = sqlx::query(concat!(
                    "INSERT INTO policies (policy_id, version, policy_hash, ir_hash, ir, source, created_at) VALUES (",
                    $p1, ", ", $p2, ", ", $p3, ", ", $p4, ", ", $p5, ", ", $p6, ", ", $p7,
                    ") ON CONFLICT DO NOTHING"
                ))
                .bind(&p.policy_id)
                .bind(&p.version)
                .bind(&p.policy_hash)
                .bind(&p.ir_hash)
                .bind(&p.ir)
                .bind(&p.source)
                .bind(now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let outcome = if inserted == 1 {
                    PutOutcome::Stored
                } else {
                    let row = sqlx::query(concat!(
                        "SELECT policy_hash FROM policies WHERE policy_id = ", $p1, " AND version = ", $p2
                    ))
                    .bind(&p.policy_id)
                    .bind(&p.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match row {
                        Some(r) => {
                            let existing: String = r.try_get("policy_hash")?;
                            if existing == p.policy_hash {
                                PutOutcome::AlreadyStored
                            } else {
                                PutOutcome::Conflict { existing_hash: existing }
                            }
                        }
                        // INVARIANT: (policy_id, policy_hash) conflicted, and the hash covers
                        // the version, so the same version exists; reaching here means a
                        // concurrent writer; report the stored state as already stored.
                        None => PutOutcome::AlreadyStored,
                    }
                };
                tx.commit().await?;
                Ok(outcome)
            }

            async fn get(&self, id: &str, sel: &Selector) -> Result<Option<StoredPolicy>, StoreError> {
                let row = match sel {
                    Selector::Latest => {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "SELECT {COLUMNS} FROM policies WHERE policy_id = {} ORDER BY seq DESC LIMIT 1",
                            $p1
                        )))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?
                    }
                    Selector::Version(v) => {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "SELECT {COLUMNS} FROM policies WHERE policy_id = {} AND version = {}",
                            $p1, $p2
                        )))
                        .bind(id)
                        .bind(v)
                        .fetch_optional(&self.pool)
                        .await?
                    }
                    Selector::Hash(h) => {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "SELECT {COLUMNS} FROM policies WHERE policy_id = {} AND policy_hash = {}",
                            $p1, $p2
                        )))
                        .bind(id)
                        .bind(h)
                        .fetch_optional(&self.pool)
                        .await?
                    }
                };
                Ok(row.map(|r| row_to_policy(&r)).transpose()?)
            }

            async fn list(&self, after_seq: i64, limit: i64) -> Result<Vec<StoredPolicy>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM policies WHERE seq > {} ORDER BY seq LIMIT {}",
                    $p1, $p2
                )))
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(row_to_policy).collect::<Result<_, _>>()?)
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

sql_store!(SqliteStore, "?1", "?2", "?3", "?4", "?5", "?6", "?7");
sql_store!(PgStore, "$1", "$2", "$3", "$4", "$5", "$6", "$7");

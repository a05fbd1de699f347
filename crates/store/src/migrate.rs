//! A small migration runner: each file under `migrations/<dialect>/` runs
//! once, in order. The SQL is compiled into the binary, so nothing has to be
//! shipped beside it (and sqlx's macro crate is not needed). Both dialects
//! have a file for every version.

use super::{Dialect, Store, StoreResult};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

impl Migration {
    fn sql(&self, dialect: Dialect) -> &'static str {
        dialect.pick(self.sqlite, self.postgres)
    }
}

/// A migration by version, name and file stem (the same in both folders).
macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $file, ".sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "initial", "0001_initial"),
    migration!(2, "recordings", "0002_recordings"),
    migration!(3, "availability", "0003_availability"),
    migration!(4, "search_folded", "0004_search_folded"),
    migration!(5, "team_region", "0005_team_region"),
    migration!(6, "call_events", "0006_call_events"),
    migration!(7, "number_choices", "0007_number_choices"),
    migration!(8, "call_owners", "0008_call_owners"),
    migration!(9, "outbound_calls", "0009_outbound_calls"),
];

/// The advisory lock (PostgreSQL) that instances starting together take in
/// turn, so one migrates and the others find the schema current. Any
/// constant unlikely to be another application's serves.
const MIGRATION_LOCK: i64 = 0x7269_6e67_6261_636b; // "ringback"

/// Applies the migrations the database has not seen, all in one transaction;
/// returns how many.
pub(super) async fn run(store: &Store) -> StoreResult<usize> {
    let dialect = store.dialect();
    with_pool!(store, |pool| {
        // SQLite: IMMEDIATE takes the write lock at once, so a second process
        // opening the same file waits instead of failing half way.
        let mut tx = pool
            .begin_with(dialect.pick("BEGIN IMMEDIATE", "BEGIN"))
            .await?;
        if dialect == Dialect::Postgres {
            // Held until the commit; the second instance waits here, then
            // finds every version applied.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::raw_sql(dialect.pick(
            "CREATE TABLE IF NOT EXISTS ringback_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at INTEGER NOT NULL DEFAULT (unixepoch('subsec') * 1000)
            )",
            "CREATE TABLE IF NOT EXISTS ringback_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
                    DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
            )",
        ))
        .execute(&mut *tx)
        .await?;
        let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM ringback_migrations")
            .fetch_all(&mut *tx)
            .await?;
        let mut applied = 0;
        for migration in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
            tracing::info!(
                version = migration.version,
                name = migration.name,
                ?dialect,
                "applying migration"
            );
            sqlx::raw_sql(migration.sql(dialect))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO ringback_migrations (version, name) VALUES ($1, $2)")
                .bind(migration.version)
                .bind(migration.name)
                .execute(&mut *tx)
                .await?;
            applied += 1;
        }
        tx.commit().await?;
        Ok(applied)
    })
}

/// How many migrations this build knows: a database it opened has applied
/// every one.
pub const MIGRATION_COUNT: usize = MIGRATIONS.len();

//! A small migration runner: each file under `migrations/sqlite/` runs once, in
//! order, inside a transaction. The SQL is compiled into the binary, so nothing
//! has to be shipped beside it (and sqlx's macro crate is not needed).

use super::StoreResult;
use sqlx::SqlitePool;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "recordings",
        sql: include_str!("../../migrations/sqlite/0002_recordings.sql"),
    },
    Migration {
        version: 3,
        name: "availability",
        sql: include_str!("../../migrations/sqlite/0003_availability.sql"),
    },
    Migration {
        version: 4,
        name: "search_folded",
        sql: include_str!("../../migrations/sqlite/0004_search_folded.sql"),
    },
    Migration {
        version: 5,
        name: "team_region",
        sql: include_str!("../../migrations/sqlite/0005_team_region.sql"),
    },
    Migration {
        version: 6,
        name: "call_events",
        sql: include_str!("../../migrations/sqlite/0006_call_events.sql"),
    },
    Migration {
        version: 7,
        name: "number_choices",
        sql: include_str!("../../migrations/sqlite/0007_number_choices.sql"),
    },
];

pub(super) async fn run(pool: &SqlitePool) -> StoreResult<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS ringback_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at INTEGER NOT NULL DEFAULT (unixepoch('subsec') * 1000)
        )",
    )
    .execute(pool)
    .await?;

    for migration in MIGRATIONS {
        let mut tx = pool.begin().await?;
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM ringback_migrations WHERE version = ?")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await?;
        if applied.is_some() {
            continue;
        }
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO ringback_migrations (version, name) VALUES (?, ?)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    super::fold::backfill(pool).await
}

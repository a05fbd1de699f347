//! Ringback's persistent state: one [`Store`] API over SQLite or PostgreSQL.
//!
//! SQLite (an embedded file, nothing to install) is the default; PostgreSQL
//! serves several server instances sharing one database. sqlx's `Any` driver
//! cannot read SQLite booleans or return SQLite ids, so the store holds one
//! of two concrete pools and compiles each query body once per backend
//! (`with_pool!`). Queries keep to what both dialects read alike (`$N`
//! placeholders, `RETURNING`, `ON CONFLICT`, `TRUE`/`FALSE`); where they
//! differ, [`Dialect::pick`] chooses between two texts. The schema's
//! migrations live side by side in `migrations/sqlite/` and
//! `migrations/postgres/`, with the same versions.

/// Runs `$body` with `$pool` bound to the store's concrete pool. The body is
/// compiled once per backend, so one text of sqlx calls serves both.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}

mod calls;
mod choices;
mod dials;
pub mod fold;
mod logs;
mod migrate;
mod numbers;
mod owners;
mod people;
mod reps;
mod row;
mod sessions;
mod settings;
pub mod testing;
mod timeline;

pub use calls::{CallFilter, CarrierCall, NewCall};
pub use choices::ChoiceList;
pub use dials::NewOutboundCall;
pub use logs::{LogInput, LogWrite};
pub use migrate::MIGRATION_COUNT;
pub use owners::Orphan;
pub use people::PersonFields;
pub use reps::{NewRep, RepAuth, RepCredentials, TeamRegion};
pub use sessions::{MAX_TICKETS_PER_SESSION, TicketGrant};
pub use timeline::MAX_EVENTS_PER_CALL;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A uniqueness or immutability rule, or the call's state, refused the write.
    #[error("{0}")]
    Conflict(String),
    /// The request named something it may not use (another team's
    /// disposition, another rep's Person, a retired value).
    #[error("{0}")]
    Invalid(String),
    /// The database holds a value this version does not understand.
    #[error("unexpected value in column {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
    /// The call's stored state is newer than the one the write was based on.
    #[error("call {0} was changed elsewhere (a newer state is stored)")]
    Stale(protocol::CallId),
    #[error(
        "unsupported database URL {0:?}: use sqlite://path/to/file.db or postgres://user@host/database"
    )]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    migrations_applied: usize,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The SQL dialect of a store's backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The text for this dialect, where the two disagree.
    fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Self::Sqlite => sqlite,
            Self::Postgres => postgres,
        }
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite file `ringback.db` in `data_dir`.
    pub async fn open_data_dir(data_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::new().filename(data_dir.join("ringback.db"));
        Self::open_sqlite(options).await
    }

    /// Opens the database a URL names: `sqlite:…` or `postgres://…`
    /// (`postgresql://` too), and brings its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Self::open_sqlite(SqliteConnectOptions::from_str(url)?).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(PgConnectOptions::from_str(url)?).await
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> StoreResult<Self> {
        let options = options
            .create_if_missing(true)
            .foreign_keys(true)
            // WAL lets readers (the Calls page) run while a call is being written.
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Self::migrated(Pool::Sqlite(pool)).await
    }

    async fn open_postgres(options: PgConnectOptions) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Self::migrated(Pool::Postgres(pool)).await
    }

    async fn migrated(pool: Pool) -> StoreResult<Self> {
        let mut store = Self {
            pool,
            migrations_applied: 0,
        };
        store.migrations_applied = migrate::run(&store).await?;
        fold::backfill(&store).await?;
        Ok(store)
    }

    /// Which backend this store talks to.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// How many migrations opening this store applied (0 when the schema was
    /// already current, as when another instance migrated it first).
    pub fn migrations_applied(&self) -> usize {
        self.migrations_applied
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await);
    }
}

/// Reads a text column into an enum, naming the column if the value is unknown.
fn parse_enum<T>(
    column: &'static str,
    value: String,
    parse: impl Fn(&str) -> Option<T>,
) -> StoreResult<T> {
    parse(&value).ok_or(StoreError::Corrupt { column, value })
}

/// serde's snake_case name of a unit enum variant, as stored in text columns.
fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The inverse of [`enum_text`].
fn enum_from_text<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// True when a unique constraint refused a write (on either backend).
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

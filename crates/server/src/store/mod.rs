//! Persistent state: one [`Store`] API over sqlx.
//!
//! SQLite (an embedded file, nothing to install) is the default. The API speaks
//! domain types only, so a PostgreSQL implementation can sit behind it later
//! without touching the handlers; its migrations would live in
//! `migrations/postgres/` beside the SQLite ones.

mod calls;
mod choices;
pub mod fold;
mod logs;
mod migrate;
mod numbers;
mod people;
mod reps;
mod sessions;
mod settings;
mod timeline;

pub use people::PersonFields;

pub use calls::{CallFilter, NewCall};
pub use choices::ChoiceList;
pub use logs::{LogInput, LogWrite};
pub use reps::{NewRep, RepAuth, RepCredentials};
pub use sessions::{MAX_TICKETS_PER_SESSION, TicketGrant};
pub use timeline::MAX_EVENTS_PER_CALL;

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
    #[error("unsupported database URL {0:?}: use sqlite://path/to/file.db (PostgreSQL is planned)")]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the SQLite file `ringback.db` in `data_dir`.
    pub async fn open_data_dir(data_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::new().filename(data_dir.join("ringback.db"));
        Self::open_sqlite(options).await
    }

    /// Opens the database a URL names. Only `sqlite:` URLs are supported today.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let options = SqliteConnectOptions::from_str(url)?;
        Self::open_sqlite(options).await
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
        let store = Self { pool };
        migrate::run(&store.pool).await?;
        Ok(store)
    }

    pub async fn close(&self) {
        self.pool.close().await;
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

//! Reading a column the same way from either backend's rows.

use super::StoreResult;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Postgres, Row, Sqlite, Type};

/// A Rust type both backends decode.
pub(crate) trait Column:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A result row of either backend, so one function reads both.
pub(crate) trait Columns {
    fn column<T: Column>(&self, name: &str) -> StoreResult<T>;
}

impl Columns for SqliteRow {
    fn column<T: Column>(&self, name: &str) -> StoreResult<T> {
        Ok(self.try_get(name)?)
    }
}

impl Columns for PgRow {
    fn column<T: Column>(&self, name: &str) -> StoreResult<T> {
        Ok(self.try_get(name)?)
    }
}

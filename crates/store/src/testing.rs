//! For tests, here and in the crates built on the store: a PostgreSQL
//! database of a test's own on a shared test server.

use sqlx::{AssertSqlSafe, Connection};
use std::sync::atomic::{AtomicU32, Ordering};

/// Creates an empty database named `<prefix>_<pid>_<n>` on the PostgreSQL
/// server `server_url` points at (any database on it), dropping one of that
/// name left by an earlier run; returns the new database's URL.
///
/// # Panics
/// When the server cannot be reached or refuses: it is for tests.
pub async fn create_database(server_url: &str, prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(server_url)
        .await
        .expect("connect to the test PostgreSQL server");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .expect("create the test database");
    }
    let _ = admin.close().await;
    with_database(server_url, &name)
}

/// `url` naming `database` instead of the one it names (if any), its query kept.
fn with_database(url: &str, database: &str) -> String {
    let (url, query) = url.split_once('?').unwrap_or((url, ""));
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let base = match url[authority_start..].find('/') {
        Some(slash) => &url[..authority_start + slash],
        None => url,
    };
    if query.is_empty() {
        format!("{base}/{database}")
    } else {
        format!("{base}/{database}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_server_url_names_the_new_database_whatever_it_named() {
        for (url, expected) in [
            ("postgres://u@h:5432/postgres", "postgres://u@h:5432/db"),
            ("postgres://u@h:5432", "postgres://u@h:5432/db"),
            (
                "postgres://u@h/x?sslmode=disable",
                "postgres://u@h/db?sslmode=disable",
            ),
        ] {
            assert_eq!(with_database(url, "db"), expected);
        }
    }
}

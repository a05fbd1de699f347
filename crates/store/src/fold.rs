//! Case-folded copies of the text people search (names and accounts).
//!
//! SQLite's `lower()`, `LIKE` and `NOCASE` fold ASCII only (as does
//! PostgreSQL's `lower()` under the C locale), so "ZOË" would not find
//! "Zoë". The store keeps a folded copy of each searchable field beside it
//! (written with the field; rows from before the column are filled in at
//! start-up by [`backfill`]) and searches it for a folded query. Folding in
//! Rust after the query instead would break the Calls list's pagination and
//! the people search's limit, which SQL applies.

use super::{Store, StoreResult};
use protocol::PersonSnapshot;

/// Lower case beyond ASCII, with the few letters whose lower case has two
/// forms made one: "ß" reads as "ss" and a final "ς" as "σ", so a search
/// matches however the name was written.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ς' => out.push('σ'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A `LIKE` pattern matching text that contains `folded` anywhere (with
/// `ESCAPE '\'`): `%`, `_` and `\` in a search are themselves.
pub(crate) fn contains_pattern(folded: &str) -> String {
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Fills in the folded columns of rows written before they existed.
pub(super) async fn backfill(store: &Store) -> StoreResult<()> {
    with_pool!(store, |pool| {
        let people: Vec<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, name, account FROM people WHERE name_folded IS NULL")
                .fetch_all(pool)
                .await?;
        for (id, name, account) in people {
            sqlx::query("UPDATE people SET name_folded = $1, account_folded = $2 WHERE id = $3")
                .bind(fold(&name))
                .bind(account.as_deref().map(fold))
                .bind(id)
                .execute(pool)
                .await?;
        }
        let calls: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, person_snapshot FROM calls WHERE person_name_folded IS NULL",
        )
        .fetch_all(pool)
        .await?;
        for (id, snapshot) in calls {
            // An unreadable snapshot shows no name, and so folds to "".
            let name = serde_json::from_str::<PersonSnapshot>(&snapshot)
                .ok()
                .and_then(|person| person.name);
            sqlx::query("UPDATE calls SET person_name_folded = $1 WHERE id = $2")
                .bind(fold(name.as_deref().unwrap_or_default()))
                .bind(id)
                .execute(pool)
                .await?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::{contains_pattern, fold};

    #[test]
    fn folds_beyond_ascii() {
        assert_eq!(fold("ZOË"), fold("Zoë"));
        assert_eq!(fold("ÅNGSTRÖM"), "ångström");
        assert_eq!(fold("Straße"), fold("STRASSE"));
        assert_eq!(fold("ΟΔΟΣ"), fold("οδος"));
        assert_eq!(fold("İstanbul").chars().next(), Some('i'));
        assert_eq!(fold("Ada"), "ada");
    }

    #[test]
    fn like_wildcards_in_a_search_match_only_themselves() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}

//! People: the prospects a rep calls, matched to inbound calls by phone number.

use super::fold::{contains_pattern, fold};
use super::row::Columns;
use super::{Store, StoreResult};
use protocol::{Person, PersonId, RepId, UnixMillis};

/// A Person's fields, already validated and with phones in E.164.
#[derive(Debug, Clone)]
pub struct PersonFields {
    pub name: String,
    pub title: Option<String>,
    pub account: Option<String>,
    pub phones: Vec<String>,
    pub crm_url: Option<String>,
}

/// A Person's numbers as one comma-separated column, `phones` (SQLite has
/// had `string_agg` since 3.44; the bundled one is newer).
macro_rules! phones_column {
    () => {
        "(SELECT string_agg(number, ',' ORDER BY number) FROM person_phones
            WHERE person_id = p.id) AS phones"
    };
}
pub(super) use phones_column;

/// A SELECT of people with their phones, completed by a literal WHERE clause.
macro_rules! select_people {
    ($tail:literal $(,)?) => {
        concat!(
            "SELECT p.id, p.name, p.title, p.account, p.crm_url, ",
            phones_column!(),
            " FROM people p",
            $tail
        )
    };
}

/// Adds a Person's numbers inside the transaction `$tx` (of either backend).
macro_rules! insert_phones {
    ($tx:expr, $person:expr, $phones:expr) => {
        for number in $phones {
            sqlx::query(
                "INSERT INTO person_phones (person_id, number) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind($person)
            .bind(number)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

impl Store {
    pub async fn create_person(
        &self,
        rep: RepId,
        fields: &PersonFields,
        now: UnixMillis,
    ) -> StoreResult<Person> {
        let id: i64 = with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO people (rep_id, name, title, account, crm_url, created_at, updated_at,
                    name_folded, account_folded)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)
                 RETURNING id",
            )
            .bind(rep.0)
            .bind(&fields.name)
            .bind(&fields.title)
            .bind(&fields.account)
            .bind(&fields.crm_url)
            .bind(now)
            .bind(fold(&fields.name))
            .bind(fields.account.as_deref().map(fold))
            .fetch_one(&mut *tx)
            .await?;
            insert_phones!(tx, id, &fields.phones);
            tx.commit().await?;
            id
        });
        Ok(person_from_fields(PersonId(id), fields))
    }

    /// Replaces a Person's fields. `None` when the rep has no such Person.
    pub async fn update_person(
        &self,
        rep: RepId,
        id: PersonId,
        fields: &PersonFields,
        now: UnixMillis,
    ) -> StoreResult<Option<Person>> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE people SET name = $1, title = $2, account = $3, crm_url = $4, updated_at = $5,
                    name_folded = $6, account_folded = $7
                 WHERE id = $8 AND rep_id = $9",
            )
            .bind(&fields.name)
            .bind(&fields.title)
            .bind(&fields.account)
            .bind(&fields.crm_url)
            .bind(now)
            .bind(fold(&fields.name))
            .bind(fields.account.as_deref().map(fold))
            .bind(id.0)
            .bind(rep.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Ok(None);
            }
            sqlx::query("DELETE FROM person_phones WHERE person_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            insert_phones!(tx, id.0, &fields.phones);
            tx.commit().await?;
        });
        Ok(Some(person_from_fields(id, fields)))
    }

    pub async fn person(&self, rep: RepId, id: PersonId) -> StoreResult<Option<Person>> {
        with_pool!(self, |pool| {
            sqlx::query(select_people!(" WHERE p.id = $1 AND p.rep_id = $2"))
                .bind(id.0)
                .bind(rep.0)
                .fetch_optional(pool)
                .await?
                .map(|row| person_from_row(&row))
                .transpose()
        })
    }

    /// The rep's people whose name or account contains `query`, ignoring case
    /// (beyond ASCII: see [`fold`]); all when empty.
    pub async fn search_people(
        &self,
        rep: RepId,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<Person>> {
        with_pool!(self, |pool| {
            sqlx::query(select_people!(
                " WHERE p.rep_id = $1
                    AND (p.name_folded LIKE $2 ESCAPE '\\'
                         OR COALESCE(p.account_folded, '') LIKE $2 ESCAPE '\\')
                  ORDER BY p.name, p.id LIMIT $3",
            ))
            .bind(rep.0)
            .bind(contains_pattern(&fold(query)))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(person_from_row)
            .collect()
        })
    }
}

fn person_from_fields(id: PersonId, fields: &PersonFields) -> Person {
    Person {
        id,
        name: fields.name.clone(),
        title: fields.title.clone(),
        account: fields.account.clone(),
        phones: fields.phones.clone(),
        crm_url: fields.crm_url.clone(),
    }
}

pub(super) fn person_from_row(row: &impl Columns) -> StoreResult<Person> {
    let phones: Option<String> = row.column("phones")?;
    Ok(Person {
        id: PersonId(row.column("id")?),
        name: row.column("name")?,
        title: row.column("title")?,
        account: row.column("account")?,
        crm_url: row.column("crm_url")?,
        phones: phones
            .map(|p| p.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

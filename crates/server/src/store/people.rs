//! People: the prospects a rep calls, matched to inbound calls by phone number.

use super::fold::fold;
use super::{Store, StoreResult};
use protocol::{Person, PersonId, RepId, UnixMillis};
use sqlx::Row;

/// A Person's fields, already validated and with phones in E.164.
#[derive(Debug, Clone)]
pub struct PersonFields {
    pub name: String,
    pub title: Option<String>,
    pub account: Option<String>,
    pub phones: Vec<String>,
    pub crm_url: Option<String>,
}

/// A SELECT of people with their phones, completed by a literal WHERE clause.
macro_rules! select_people {
    ($tail:literal $(,)?) => {
        concat!(
            "SELECT p.id, p.name, p.title, p.account, p.crm_url,
                (SELECT group_concat(number, ',') FROM person_phones WHERE person_id = p.id) AS phones
             FROM people p",
            $tail
        )
    };
}

impl Store {
    pub async fn create_person(
        &self,
        rep: RepId,
        fields: &PersonFields,
        now: UnixMillis,
    ) -> StoreResult<Person> {
        let mut tx = self.pool.begin().await?;
        let id = sqlx::query(
            "INSERT INTO people (rep_id, name, title, account, crm_url, created_at, updated_at,
                name_folded, account_folded)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rep.0)
        .bind(&fields.name)
        .bind(&fields.title)
        .bind(&fields.account)
        .bind(&fields.crm_url)
        .bind(now)
        .bind(now)
        .bind(fold(&fields.name))
        .bind(fields.account.as_deref().map(fold))
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        insert_phones(&mut tx, id, &fields.phones).await?;
        tx.commit().await?;
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
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE people SET name = ?, title = ?, account = ?, crm_url = ?, updated_at = ?,
                name_folded = ?, account_folded = ?
             WHERE id = ? AND rep_id = ?",
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
        sqlx::query("DELETE FROM person_phones WHERE person_id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        insert_phones(&mut tx, id.0, &fields.phones).await?;
        tx.commit().await?;
        Ok(Some(person_from_fields(id, fields)))
    }

    pub async fn person(&self, rep: RepId, id: PersonId) -> StoreResult<Option<Person>> {
        let row = sqlx::query(select_people!(" WHERE p.id = ? AND p.rep_id = ?"))
            .bind(id.0)
            .bind(rep.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| person_from_row(&row)).transpose()
    }

    /// The rep's people whose name or account contains `query`, ignoring case
    /// (beyond ASCII: see [`fold`]); all when empty.
    pub async fn search_people(
        &self,
        rep: RepId,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<Person>> {
        let rows = sqlx::query(select_people!(
            " WHERE p.rep_id = ?1
                AND (instr(p.name_folded, ?2) > 0 OR instr(COALESCE(p.account_folded, ''), ?2) > 0)
              ORDER BY p.name LIMIT ?3",
        ))
        .bind(rep.0)
        .bind(fold(query))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(person_from_row).collect()
    }
}

async fn insert_phones(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    person: i64,
    phones: &[String],
) -> StoreResult<()> {
    for number in phones {
        sqlx::query("INSERT OR IGNORE INTO person_phones (person_id, number) VALUES (?, ?)")
            .bind(person)
            .bind(number)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
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

pub(super) fn person_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Person> {
    let phones: Option<String> = row.try_get("phones")?;
    Ok(Person {
        id: PersonId(row.try_get("id")?),
        name: row.try_get("name")?,
        title: row.try_get("title")?,
        account: row.try_get("account")?,
        crm_url: row.try_get("crm_url")?,
        phones: phones
            .map(|p| p.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

//! People who share a number: which of them a call from it is, and the
//! choice a rep made for it ([`calls::rank`] decides the order).

use super::people::{person_from_row, phones_column};
use super::row::Columns;
use super::{Store, StoreResult};
use calls::Candidate;
use protocol::{CallId, Person, PersonSnapshot, RepId, UnixMillis};

impl Store {
    /// The rep's People with this number, most likely first (the one chosen
    /// for it last, then the one called or logged at it most recently, then
    /// the one edited last), at most [`calls::MAX_CANDIDATES`].
    pub async fn people_by_phone(&self, rep: RepId, number: &str) -> StoreResult<Vec<Person>> {
        let (mut people, candidates) = with_pool!(self, |pool| {
            let rows = sqlx::query(concat!(
                "SELECT p.id, p.name, p.title, p.account, p.crm_url, p.updated_at, ",
                phones_column!(),
                ", (SELECT chosen_at FROM number_choices
                      WHERE rep_id = $1 AND number = $2 AND person_id = p.id) AS chosen_at,
                    (SELECT MAX(started_at) FROM calls
                      WHERE rep_id = $1 AND from_number = $2 AND person_id = p.id) AS last_call_at
                 FROM people p
                 WHERE p.rep_id = $1
                   AND p.id IN (SELECT person_id FROM person_phones WHERE number = $2)
                 LIMIT 200"
            ))
            .bind(rep.0)
            .bind(number)
            .fetch_all(pool)
            .await?;
            let mut people = Vec::with_capacity(rows.len());
            let mut candidates = Vec::with_capacity(rows.len());
            for row in &rows {
                let person = person_from_row(row)?;
                candidates.push(Candidate {
                    person: person.id,
                    chosen_at: row.column("chosen_at")?,
                    last_call_at: row.column("last_call_at")?,
                    updated_at: row.column("updated_at")?,
                });
                people.push(person);
            }
            (people, candidates)
        });
        let mut ranked = Vec::with_capacity(people.len().min(calls::MAX_CANDIDATES));
        for id in calls::rank(candidates) {
            if let Some(i) = people.iter().position(|p| p.id == id) {
                ranked.push(people.swap_remove(i));
            }
        }
        Ok(ranked)
    }

    /// The rep chose `person` for a call from `number`: the call (and so its
    /// log) is theirs, and the next call from that number leads with them.
    /// `false` when the call is not the rep's or is logged already.
    pub async fn choose_person(
        &self,
        rep: RepId,
        call: CallId,
        number: &str,
        person: &PersonSnapshot,
        now: UnixMillis,
    ) -> StoreResult<bool> {
        let Some(person_id) = person.id else {
            return Ok(false);
        };
        let snapshot = serde_json::to_string(person).map_err(|e| super::StoreError::Corrupt {
            column: "calls.person_snapshot",
            value: e.to_string(),
        })?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE calls SET person_id = $1, person_snapshot = $2
                 WHERE id = $3 AND rep_id = $4
                   AND NOT EXISTS (
                       SELECT 1 FROM call_logs WHERE call_id = $3 AND automatic = FALSE)",
            )
            .bind(person_id.0)
            .bind(&snapshot)
            .bind(call.0)
            .bind(rep.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO number_choices (rep_id, number, person_id, chosen_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (rep_id, number) DO UPDATE SET person_id = excluded.person_id,
                    chosen_at = excluded.chosen_at",
            )
            .bind(rep.0)
            .bind(number)
            .bind(person_id.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(true)
    }
}

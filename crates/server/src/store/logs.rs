//! Call logs: written once by the rep (or automatically for a voicemail),
//! then only their notes and status change.

use super::{RepAuth, Store, StoreError, StoreResult};
use protocol::api::{CallView, UpdateLogRequest};
use protocol::{
    CallId, CallOutcome, CallStatus, DispositionId, LogStatus, PersonId, SentimentId, UnixMillis,
};

/// A rep's log of a call.
#[derive(Debug, Clone)]
pub struct LogInput {
    pub idempotency_key: String,
    pub notes: String,
    pub disposition_id: Option<DispositionId>,
    pub sentiment_id: Option<SentimentId>,
    /// For a call from an unknown number: the Person to log it to.
    pub person_id: Option<PersonId>,
}

/// What logging did.
#[derive(Debug, Clone)]
pub enum LogWrite {
    Created(CallView),
    /// The idempotency key had been used for this call: nothing was written.
    Replayed(CallView),
}

/// A refusal the API turns into a 409.
fn conflict(message: &str) -> StoreError {
    StoreError::Conflict(message.to_owned())
}

/// A refusal the API turns into a 422.
fn invalid(message: &str) -> StoreError {
    StoreError::Invalid(message.to_owned())
}

impl Store {
    /// Logs a call exactly once per idempotency key. `None` when the rep has no
    /// such call.
    pub async fn log_call(
        &self,
        rep: RepAuth,
        call: CallId,
        input: &LogInput,
        now: UnixMillis,
    ) -> StoreResult<Option<LogWrite>> {
        // IMMEDIATE takes the write lock first, so two deliveries of one log
        // queue up and the second finds the first's idempotency key.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        let earlier: Option<i64> = sqlx::query_scalar(
            "SELECT call_id FROM call_logs WHERE rep_id = ? AND idempotency_key = ?",
        )
        .bind(rep.rep_id.0)
        .bind(&input.idempotency_key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(earlier) = earlier {
            drop(tx);
            if earlier != call.0 {
                return Err(conflict(
                    "this idempotency key was already used to log another call",
                ));
            }
            return Ok(self
                .call_view(rep.rep_id, call)
                .await?
                .map(LogWrite::Replayed));
        }

        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT status, person_id FROM calls WHERE id = ? AND rep_id = ?")
                .bind(call.0)
                .bind(rep.rep_id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((status, call_person)) = row else {
            return Ok(None);
        };
        if status == super::enum_text(&CallStatus::Ringing) {
            return Err(conflict(
                "the call is still ringing; answer it before logging",
            ));
        }

        let person = match (call_person, input.person_id) {
            (Some(person), _) => Some(person),
            (None, Some(chosen)) => {
                let owned: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM people WHERE id = ? AND rep_id = ?")
                        .bind(chosen.0)
                        .bind(rep.rep_id.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                Some(owned.ok_or_else(|| invalid("person_id does not name one of your people"))?)
            }
            (None, None) => None,
        };
        self.check_choices(&mut tx, rep, input).await?;

        // A new log, or the rep logging over the automatic voicemail log (once):
        // an existing rep's log is never touched, and then no row changes.
        let written = sqlx::query(
            "INSERT INTO call_logs (call_id, rep_id, person_id, idempotency_key, notes, disposition_id,
                sentiment_id, status, automatic, logged_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'completed', 0, ?, ?)
             ON CONFLICT (call_id) DO UPDATE SET
                idempotency_key = excluded.idempotency_key, notes = excluded.notes,
                disposition_id = excluded.disposition_id, sentiment_id = excluded.sentiment_id,
                person_id = excluded.person_id, automatic = 0, updated_at = excluded.updated_at
             WHERE call_logs.automatic = 1",
        )
        .bind(call.0)
        .bind(rep.rep_id.0)
        .bind(person)
        .bind(&input.idempotency_key)
        .bind(&input.notes)
        .bind(input.disposition_id.map(|d| d.0))
        .bind(input.sentiment_id.map(|s| s.0))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if written.rows_affected() == 0 {
            return Err(conflict(
                "this call is already logged; its disposition and sentiment cannot change (notes can be edited)",
            ));
        }
        if person.is_some() && call_person.is_none() {
            sqlx::query("UPDATE calls SET person_id = ? WHERE id = ?")
                .bind(person)
                .bind(call.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(self
            .call_view(rep.rep_id, call)
            .await?
            .map(LogWrite::Created))
    }

    async fn check_choices(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        rep: RepAuth,
        input: &LogInput,
    ) -> StoreResult<()> {
        match input.disposition_id {
            Some(disposition) => {
                let sql = "SELECT retired FROM dispositions WHERE id = ? AND team_id = ?";
                check_choice(tx, sql, "disposition", disposition.0, rep).await?;
            }
            None => {
                let required: bool =
                    sqlx::query_scalar("SELECT disposition_required FROM teams WHERE id = ?")
                        .bind(rep.team_id.0)
                        .fetch_one(&mut **tx)
                        .await?;
                if required {
                    return Err(invalid(
                        "your team requires a disposition to log a call; pick one",
                    ));
                }
            }
        }
        if let Some(sentiment) = input.sentiment_id {
            let sql = "SELECT retired FROM sentiments WHERE id = ? AND team_id = ?";
            check_choice(tx, sql, "sentiment", sentiment.0, rep).await?;
        }
        Ok(())
    }

    /// Edits a log's notes and status. Asking to change a logged disposition or
    /// sentiment is a conflict (and the database trigger refuses it too).
    pub async fn update_log(
        &self,
        rep: RepAuth,
        call: CallId,
        edit: &UpdateLogRequest,
        now: UnixMillis,
    ) -> StoreResult<Option<CallView>> {
        let UpdateLogRequest {
            notes,
            status,
            disposition_id: disposition,
            sentiment_id: sentiment,
        } = edit;
        let (notes, status) = (notes.as_deref(), *status);
        let Some(view) = self.call_view(rep.rep_id, call).await? else {
            return Ok(None);
        };
        let Some(log) = &view.log else {
            return Err(conflict("this call is not logged yet; log it first"));
        };
        let changes_disposition =
            disposition.is_some_and(|d| log.disposition.as_ref().map(|c| c.id) != Some(d));
        let changes_sentiment =
            sentiment.is_some_and(|s| log.sentiment.as_ref().map(|c| c.id) != Some(s));
        if changes_disposition || changes_sentiment {
            return Err(conflict(
                "disposition and sentiment cannot change once a call is logged",
            ));
        }
        if status == Some(LogStatus::NoAnswer) && view.outcome != Some(CallOutcome::Voicemail) {
            return Err(conflict(
                "only a voicemail's log can be marked \"no answer\"",
            ));
        }
        sqlx::query(
            "UPDATE call_logs SET notes = COALESCE(?, notes), status = COALESCE(?, status), updated_at = ?
             WHERE call_id = ? AND rep_id = ?",
        )
        .bind(notes)
        .bind(status.map(|s| super::enum_text(&s)))
        .bind(now)
        .bind(call.0)
        .bind(rep.rep_id.0)
        .execute(&self.pool)
        .await?;
        self.call_view(rep.rep_id, call).await
    }

    /// Rule 5: a voicemail is logged as a completed call by the server.
    pub async fn log_voicemail(&self, call: CallId, now: UnixMillis) -> StoreResult<()> {
        sqlx::query(
            "INSERT OR IGNORE INTO call_logs (call_id, rep_id, person_id, idempotency_key, notes, status,
                automatic, logged_at, updated_at)
             SELECT id, rep_id, person_id, 'voicemail:' || id, '', 'completed', 1, ?, ? FROM calls WHERE id = ?",
        )
        .bind(now)
        .bind(now)
        .bind(call.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// A disposition or sentiment must be the team's own and not retired.
async fn check_choice(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    retired_sql: &'static str,
    kind: &str,
    id: i64,
    rep: RepAuth,
) -> StoreResult<()> {
    let retired: Option<bool> = sqlx::query_scalar(retired_sql)
        .bind(id)
        .bind(rep.team_id.0)
        .fetch_optional(&mut **tx)
        .await?;
    match retired {
        None => Err(StoreError::Invalid(format!(
            "{kind}_id is not one of your team's {kind}s"
        ))),
        Some(true) => Err(StoreError::Invalid(format!(
            "that {kind} is retired; pick a current one"
        ))),
        Some(false) => Ok(()),
    }
}

impl StoreError {
    /// True when the database trigger of rule 8 refused a write.
    pub fn is_immutable_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db))
            if db.message().contains("cannot change once a call is logged"))
    }
}
